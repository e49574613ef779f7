"""Fidelity and diversity of a synthetic set against real images: density and coverage.

Density and coverage (Naeem et al. 2020, "Reliable Fidelity and Diversity Metrics for
Generative Models", k = 5): each real image gets a ball reaching its k-th nearest real
neighbour. Density is the average number of real balls a synthetic image falls in,
divided by k (about 1 when the synthetic set is distributed like the real one, above 1
when it crowds the dense real regions); coverage is the share of real balls holding at
least one synthetic image (how much of the real variety the synthetic set reaches).

No downloaded weights: the feature space is classical descriptors of a 64x64 resampling
(HOG for shape and layout, a hue-saturation histogram and a 4x4 grid of mean Lab colour
for appearance), each group scaled to unit length so none dominates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit import read_image
from simulacra.dataset.reader import read_coco, read_rgb
from simulacra.errors import AssetError, EvaluationError

K = 5
_SIDE = 64
_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
FEATURES = "hog9x16px+hs-hist12x4+lab-grid4x4 @64px"


@dataclass(frozen=True)
class CoverageResult:
    """Density and coverage of ``synthetic`` against ``reference``; ``dcr`` from the auditor, if asked."""

    synthetic: str
    reference: str
    k: int
    synthetic_images: int
    reference_images: int
    reference_skipped: int  # unreadable or refused files in the reference folder
    density: float
    coverage: float
    features: str
    dcr: dict | None = None

    def to_json(self) -> dict:
        return asdict(self)


def image_features(rgb: np.ndarray) -> np.ndarray:
    """The descriptor of one ``HxWx3`` uint8 RGB image, float32 (3 unit-length groups)."""
    from skimage.feature import hog

    small = cv2.resize(rgb, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    shape = hog(gray, orientations=9, pixels_per_cell=(16, 16), cells_per_block=(2, 2), feature_vector=True)
    hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
    hue_sat = cv2.calcHist([hsv], [0, 1], None, [12, 4], [0, 180, 0, 256]).ravel()
    lab = cv2.resize(cv2.cvtColor(small, cv2.COLOR_RGB2LAB), (4, 4), interpolation=cv2.INTER_AREA)
    groups = [shape, np.sqrt(hue_sat), lab.astype(np.float32).ravel() - 128]
    return np.concatenate([g / (np.linalg.norm(g) + 1e-8) for g in groups]).astype(np.float32)


def density_coverage(real: np.ndarray, fake: np.ndarray, k: int = K) -> tuple[float, float]:
    """Density and coverage of ``fake`` rows against ``real`` rows (Euclidean), per Naeem et al. 2020.

    Raises:
        EvaluationError: fewer than ``k + 1`` real rows (no k-th neighbour) or no fake rows.
    """
    if len(real) <= k:
        raise EvaluationError(f"density and coverage need more than k={k} reference images, got {len(real)}")
    if len(fake) == 0:
        raise EvaluationError("no synthetic images to measure")
    radii = np.sort(_distances(real, real), axis=1)[:, k]  # column 0 is the image itself
    inside = _distances(real, fake) < radii[:, None]  # (real, fake): fake j in real ball i
    density = float(inside.sum()) / (k * len(fake))
    coverage = float(inside.any(axis=1).mean())
    return density, coverage


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.maximum(squared, 0))


def folder_features(
    folder: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[np.ndarray, int]:
    """Descriptors of every image under ``folder`` (recursively), and how many files were unreadable.

    Images are read with the auditor's reader, which refuses decompression bombs.
    """
    if not folder.is_dir():
        raise EvaluationError(f"{folder}: no such folder")
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in _SUFFIXES and p.is_file())
    rows, skipped = [], 0
    for n, path in enumerate(paths, 1):
        try:
            rgb, _ = read_image(path)
        except AssetError:
            skipped += 1
            continue
        rows.append(image_features(rgb))
        if progress:
            progress(n, len(paths))
    if not rows:
        raise EvaluationError(f"{folder}: no readable images ({skipped} unreadable)")
    return np.stack(rows), skipped


def dataset_features(root: Path, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Descriptors of every image a dataset's COCO file lists."""
    images = read_coco(root)["images"]
    rows = []
    for n, image in enumerate(images, 1):
        rows.append(image_features(read_rgb(root, image)))
        if progress:
            progress(n, len(images))
    if not rows:
        raise EvaluationError(f"{root}: the dataset has no images")
    return np.stack(rows)


def evaluate_coverage(
    synthetic: Path, reference: Path, *, k: int = K, progress: Callable[[int, int], None] | None = None
) -> CoverageResult:
    """Density and coverage of the dataset ``synthetic`` against the image folder ``reference``."""
    fake = dataset_features(synthetic, progress)
    real, skipped = folder_features(reference, progress)
    density, coverage = density_coverage(real, fake, k)
    return CoverageResult(
        synthetic=str(synthetic),
        reference=str(reference),
        k=k,
        synthetic_images=len(fake),
        reference_images=len(real),
        reference_skipped=skipped,
        density=round(density, 6),
        coverage=round(coverage, 6),
        features=FEATURES,
    )
