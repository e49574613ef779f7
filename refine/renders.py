"""Where a folder's renders and their instance masks are: a plain folder, or a simulacra dataset.

Why: label preservation can only be measured against the masks, and a dataset folder
keeps ``masks/`` next to ``images/`` — its masks must be read as labels, not refined
as if they were pictures.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit.images import MAX_PIXELS, header_size
from simulacra.errors import AssetError, RefineError
from simulacra.refine.imageset import image_files

MASK_SUFFIX = "_instance.png"  # the dataset writer's name for image N's instance ids


@dataclass(frozen=True)
class RenderFolder:
    """The renders to refine and, when known, the folder of their instance masks.

    Attributes:
        images: the folder refined; outputs keep paths relative to it.
        masks: where ``<stem>_instance.png`` lies for each render, or None.
        files: the render files under ``images``, sorted.
    """

    images: Path
    masks: Path | None
    files: tuple[Path, ...]

    def output_name(self, render: Path) -> str:
        """The refined image's path relative to the output folder (always PNG)."""
        return render.relative_to(self.images).with_suffix(".png").as_posix()

    def mask_path(self, render: Path) -> Path:
        """The instance mask of ``render`` (only meaningful when ``masks`` is set)."""
        relative = render.relative_to(self.images)
        return (self.masks or self.images) / relative.parent / f"{relative.stem}{MASK_SUFFIX}"


def _has_masks(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob(f"*{MASK_SUFFIX}"))


def locate_renders(directory: Path, masks: Path | None = None) -> RenderFolder:
    """The renders under ``directory`` and their masks (``masks`` overrides what is found).

    A dataset folder (``images/`` beside ``masks/*_instance.png``) refines only ``images/``;
    an ``images/`` folder with such a sibling ``masks/`` finds those masks.

    Raises:
        RefineError: no images, a ``masks`` folder that does not exist, or a render without its mask.
    """
    images, found = directory, None
    if (directory / "images").is_dir() and _has_masks(directory / "masks"):
        images, found = directory / "images", directory / "masks"
    elif directory.name == "images" and _has_masks(directory.parent / "masks"):
        found = directory.parent / "masks"
    if masks is not None and not masks.is_dir():
        raise RefineError(f"--masks {masks}: folder does not exist")
    folder = RenderFolder(images, masks or found, tuple(image_files(images)))
    if folder.masks is not None:
        missing = [f for f in folder.files if not folder.mask_path(f).is_file()]
        if missing:
            raise RefineError(
                f"{folder.mask_path(missing[0])}: instance mask of {missing[0].name} is missing "
                f"({len(missing)} of {len(folder.files)} renders have none)"
            )
    return folder


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """Decode a single-channel instance mask of ``shape`` (height, width), size-checked first.

    Raises:
        RefineError: unreadable, too large, not single-channel, or not the render's size.
    """
    try:
        width, height = header_size(path)
    except AssetError as exc:
        raise RefineError(str(exc)) from exc
    if width * height > MAX_PIXELS:
        raise RefineError(f"{path}: header claims {width}x{height} pixels; refused without decoding")
    mask = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_UNCHANGED)
    if mask is None or mask.ndim != 2:
        raise RefineError(f"{path}: not a single-channel instance mask")
    if mask.shape != shape:
        raise RefineError(
            f"{path}: mask is {mask.shape[1]}x{mask.shape[0]}, its render {shape[1]}x{shape[0]}"
        )
    return mask
