"""What a refiner did, measured without downloaded weights: labels, realism, memorization.

* label preservation: do the render's edges survive refinement where labels live
  (inside each instance mask, and in a band around its outline that decides the
  mask and box)? F1 of Canny edges with a one-pixel tolerance; 1.0 is untouched.
* realism: accuracy of a small classifier (logistic regression on colour, gradient
  and noise statistics of crops) that tells candidate images from held-out real
  ones, cross-validated by image; 0.5 means indistinguishable, lower is better.
* memorization: the auditor's verdicts on refined outputs against a reference index
  (one built from the refiner's own real training folder, or any saved index).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import count
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit import ReferenceIndex, ShardedIndex, Verdict, auditor_of

EDGE_THRESHOLDS = (50, 150)
BAND = 3  # pixels either side of a mask outline
CROP = 32
CROPS_PER_IMAGE = 8


def _edges(rgb: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return cv2.Canny(gray, *EDGE_THRESHOLDS) > 0


def _f1(reference: np.ndarray, candidate: np.ndarray, region: np.ndarray) -> float | None:
    """Edge F1 inside ``region``, each edge pixel matched within one pixel; None if no edges."""
    kernel = np.ones((3, 3), np.uint8)
    ref, cand = reference & region, candidate & region
    if not ref.any() and not cand.any():
        return None
    recall = (ref & cv2.dilate(cand.astype(np.uint8), kernel).astype(bool)).sum() / max(1, ref.sum())
    precision = (cand & cv2.dilate(ref.astype(np.uint8), kernel).astype(bool)).sum() / max(1, cand.sum())
    return 0.0 if recall + precision == 0 else float(2 * recall * precision / (recall + precision))


def edge_agreement(render: np.ndarray, refined: np.ndarray, instances: np.ndarray) -> dict[str, float | None]:
    """Edge F1 between ``render`` and ``refined`` inside the instances and around their outlines.

    Args:
        render, refined: ``HxWx3`` uint8 RGB images of the same size.
        instances: ``HxW`` instance ids (0 is background) or a boolean mask.

    Raises:
        ValueError: the three arrays do not share a height and width.
    """
    if render.shape != refined.shape or render.shape[:2] != instances.shape[:2]:
        raise ValueError(
            f"render {render.shape}, refined {refined.shape} and mask {instances.shape} differ in size"
        )
    ids = instances.astype(np.int64)
    inside = ids > 0
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * BAND + 1, 2 * BAND + 1))
    band = np.zeros_like(inside)
    for value in np.unique(ids[inside]):
        mask = (ids == value).astype(np.uint8)
        band |= (cv2.dilate(mask, kernel) - cv2.erode(mask, kernel)).astype(bool)
    a, b = _edges(render), _edges(refined)
    return {"inside": _f1(a, b, inside), "boundary": _f1(a, b, band)}


def _features(rgb: np.ndarray) -> np.ndarray:
    """Colour, gradient and high-frequency statistics of one crop."""
    image = rgb.astype(np.float32) / 255.0
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    gx, gy = cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    magnitude = np.hypot(gx, gy)
    residual = gray - cv2.GaussianBlur(gray, (5, 5), 1.0)
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    gradient_hist = np.histogram(magnitude, bins=8, range=(0, 2))[0] / magnitude.size
    return np.concatenate(
        [
            image.reshape(-1, 3).mean(0),
            image.reshape(-1, 3).std(0),
            [hsv[..., 1].mean(), hsv[..., 1].std(), magnitude.mean(), magnitude.std()],
            [np.abs(residual).mean(), residual.std(), np.abs(cv2.Laplacian(gray, cv2.CV_32F)).mean()],
            gradient_hist,
        ]
    )


def _crops(rgb: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    h, w = rgb.shape[:2]
    if min(h, w) < CROP:
        rgb = cv2.resize(rgb, (max(w, CROP), max(h, CROP)), interpolation=cv2.INTER_CUBIC)
        h, w = rgb.shape[:2]
    out = []
    for _ in range(CROPS_PER_IMAGE):
        y, x = int(rng.integers(h - CROP + 1)), int(rng.integers(w - CROP + 1))
        out.append(rgb[y : y + CROP, x : x + CROP])
    return out


def realism_accuracy(
    candidates: Sequence[np.ndarray], real: Sequence[np.ndarray], *, seed: int, folds: int = 4
) -> float:
    """Held-out accuracy of a classifier telling ``candidates`` from ``real`` images (0.5 is ideal).

    Crops are drawn with a generator from ``seed``; folds split by image, so no image
    is both trained on and tested on.

    Raises:
        ValueError: fewer than ``folds`` images on either side.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if min(len(candidates), len(real)) < folds:
        raise ValueError(
            f"realism needs at least {folds} images per side, got {len(candidates)} and {len(real)}"
        )
    rng = np.random.default_rng(seed)
    rows, labels, groups = [], [], []
    for label, images in ((0, candidates), (1, real)):
        for image in images:
            for crop in _crops(image, rng):
                rows.append(_features(crop))
                labels.append(label)
                groups.append(len(groups) // CROPS_PER_IMAGE)
    x, y, g = np.array(rows), np.array(labels), np.array(groups)
    correct = 0
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train_rows, test_rows in splitter.split(x, y, g):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        model.fit(x[train_rows], y[train_rows])
        correct += int((model.predict(x[test_rows]) == y[test_rows]).sum())
    return correct / len(y)


def summarize_agreement(per_image: Sequence[dict[str, float | None]], files: Sequence[str]) -> dict:
    """Mean and worst image of :func:`edge_agreement` results, per region; images without edges skipped.

    Returns ``{"mean": {region: value}, "worst": {region: {"file", "value"}}}``, None where
    no image had edges in that region.
    """
    mean: dict[str, float | None] = {}
    worst: dict[str, dict | None] = {}
    for region in ("inside", "boundary"):
        scored = [(a[region], f) for a, f in zip(per_image, files, strict=True) if a[region] is not None]
        mean[region] = round(float(np.mean([v for v, _ in scored])), 4) if scored else None
        low = min(scored, key=lambda pair: pair[0], default=None)
        worst[region] = None if low is None else {"file": low[1], "value": round(low[0], 4)}
    return {"mean": mean, "worst": worst}


def memorization(
    refined: Iterable[np.ndarray],
    reference: Path | ReferenceIndex | ShardedIndex,
    files: Iterable[str] | None = None,
) -> list[Verdict]:
    """The auditor's verdicts on ``refined``, against a loaded index or one built from a real folder.

    ``refined`` may be a generator (images are audited one at a time); ``files`` names them
    in the verdicts (their positions otherwise).

    Raises:
        ReferenceIndexError: ``reference`` is a folder that is missing or holds no readable image.
    """
    if not isinstance(reference, ReferenceIndex | ShardedIndex):
        reference = ReferenceIndex.build(reference)
    auditor = auditor_of(reference)
    names = iter(files) if files is not None else map(str, count())
    return [auditor.audit(image, file=next(names)) for image in refined]
