"""A folder of training images, decoded once with the auditor's size-checked reader.

Why: training must refuse a bad folder (missing, empty, a corrupt or oversized file)
before it writes anything, and the model card needs a fingerprint of what it saw
(hashes and counts, never file names or pixels: a name can identify a person).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit import read_image
from simulacra.audit.images import IMAGE_SUFFIXES
from simulacra.errors import AssetError, RefineError


@dataclass(frozen=True)
class ImageSet:
    """Decoded RGB uint8 images of one domain and the sha256 of each file.

    Attributes:
        images: one ``HxWx3`` uint8 array per file, each at least ``size`` on its short side.
        sha256: the files' hashes, in the same (sorted path) order.
    """

    images: tuple[np.ndarray, ...]
    sha256: tuple[str, ...]

    def fingerprint(self) -> dict:
        """Counts and hashes of the files (no names, no pixels), for the model card."""
        digest = hashlib.sha256("\n".join(sorted(self.sha256)).encode()).hexdigest()
        return {"count": len(self.sha256), "sha256": digest, "files_sha256": sorted(self.sha256)}


def image_files(directory: Path) -> list[Path]:
    """Image files under ``directory`` (recursively, sorted).

    Raises:
        RefineError: the folder is missing or holds no image file.
    """
    if not directory.is_dir():
        raise RefineError(f"image folder {directory} does not exist")
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise RefineError(f"image folder {directory} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def load_image_set(directory: Path, size: int, max_side: int | None = None) -> ImageSet:
    """Decode every image under ``directory``; upscale any smaller than ``size``.

    ``max_side`` caps the short side (downscaling larger images) so that memory stays
    bounded and crops see a comparable scale in both domains.

    Raises:
        RefineError: missing or empty folder, or a file that cannot be decoded safely.
    """
    images, hashes = [], []
    for path in image_files(directory):
        try:
            rgb, sha256 = read_image(path)
        except AssetError as exc:
            raise RefineError(str(exc)) from exc
        images.append(_fit(rgb, size, max_side))
        hashes.append(sha256)
    return ImageSet(tuple(images), tuple(hashes))


def _fit(rgb: np.ndarray, size: int, max_side: int | None) -> np.ndarray:
    short = min(rgb.shape[:2])
    target = max(short, size) if max_side is None else min(max(short, size), max(max_side, size))
    if target == short:
        return rgb
    scale = target / short
    h, w = rgb.shape[:2]
    shape = (max(size, round(w * scale)), max(size, round(h * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, shape, interpolation=interpolation)
