"""What a format writer is handed: the source read once, its images by split, and where to write."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulacra.export.source import Source, SourceImage

SEGMENTATIONS = ("polygon", "rle")


@dataclass(frozen=True)
class ExportJob:
    """What a format writer needs: the source, its images by split, where to write, and a tick per image."""

    source: Source
    splits: dict[str, tuple[SourceImage, ...]]
    target: Path  # the staging folder; renamed to ``out`` when the writer returns
    out: Path
    segmentation: str
    advance: Callable[[], None]

    def copy_image(self, image: SourceImage, folder: str) -> str:
        """Copy ``image`` into ``folder`` (relative to the export root); returns its relative path."""
        relative = f"{folder}/{image.file_name}"
        (self.target / folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image.path, self.target / relative)
        return relative


Writer = Callable[[ExportJob], dict[str, str]]  # returns: image path in the export -> source file_name
