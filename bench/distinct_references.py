"""Distinct reference images for scale benchmarks, made from photos that ship in packages.

A reference set of 10^4 images cannot be downloaded here, and repeating a few rows
would leave the costly part (keypoint retrieval and verification) small. Instead,
reference ``i`` is a seeded composition: a procedural background with 2-4 tiles cut
from the pool photos at random positions and scales, flipped, rotated, warped in
perspective and recoloured, at a real photo size (384-1024 px on the long side). Every
image is different in content and layout, so each adds its own keypoints, hashes and
global rows. The pool leaves out the photos the benchmarks plant (scikit-image's demo
photos, scikit-learn's china and flower, matplotlib's Grace Hopper), so no distractor
contains a planted reference.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit import read_image
from simulacra.audit.calibration import procedural_poster

_PLANTED = {"astronaut.png", "camera.png", "chelsea.png", "coffee.png", "rocket.jpg"}
_SIDES = (384, 512, 640, 768, 1024)


def pool_photos() -> list[np.ndarray]:
    """The scikit-image photos that are never planted, decoded as RGB."""
    import skimage.data

    folder = Path(skimage.data.__file__).parent
    photos = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in (".png", ".jpg") and path.name not in _PLANTED:
            rgb, _ = read_image(path)
            if min(rgb.shape[:2]) >= 64:
                photos.append(rgb)
    return photos


def _tile(photo: np.ndarray, width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of ``photo``, flipped, turned, warped and recoloured, resized to ``width x height``."""
    h, w = photo.shape[:2]
    cw, ch = int(w * rng.uniform(0.3, 1.0)), int(h * rng.uniform(0.3, 1.0))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    crop = photo[y : y + ch, x : x + cw]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = cv2.resize(np.ascontiguousarray(crop), (width, height), interpolation=cv2.INTER_AREA)
    jitter = rng.uniform(-0.12, 0.12, (4, 2)) * [width, height]
    corners = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    warp = cv2.getPerspectiveTransform(corners, (corners + jitter).astype(np.float32))
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-25, 25), 1.0)
    warp = np.vstack([turn, [0, 0, 1]]) @ warp
    crop = cv2.warpPerspective(crop, warp, (width, height), borderMode=cv2.BORDER_REFLECT)
    gain = rng.uniform(0.6, 1.3, 3) * rng.uniform(0.8, 1.2)
    return np.clip(crop * gain + rng.uniform(-25, 25, 3), 0, 255).astype(np.uint8)


def distinct_reference(index: int, pool: list[np.ndarray]) -> np.ndarray:
    """Reference ``index`` of the benchmark set (RGB uint8), a pure function of ``index``."""
    rng = np.random.default_rng([97, index])
    long_side = int(rng.choice(_SIDES))
    aspect = rng.uniform(0.66, 1.5)
    wide = aspect >= 1
    width, height = (long_side, int(long_side / aspect)) if wide else (int(long_side * aspect), long_side)
    canvas = cv2.resize(procedural_poster(rng), (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(2, 5))):
        tw, th = int(width * rng.uniform(0.35, 0.8)), int(height * rng.uniform(0.35, 0.8))
        x, y = int(rng.integers(0, width - tw + 1)), int(rng.integers(0, height - th + 1))
        canvas[y : y + th, x : x + tw] = _tile(pool[int(rng.integers(len(pool)))], tw, th, rng)
    return canvas


def _write_range(folder: Path, start: int, stop: int) -> None:
    pool = pool_photos()
    for i in range(start, stop):
        path = folder / f"ref_{i:07d}.jpg"
        if path.exists():
            continue
        bgr = cv2.cvtColor(distinct_reference(i, pool), cv2.COLOR_RGB2BGR)
        partial = path.with_suffix(".partial")
        partial.write_bytes(cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes())
        os.replace(partial, path)


def write_references(folder: Path, start: int, count: int, workers: int = 1) -> None:
    """Write references ``start .. start + count - 1`` as JPEG (quality 90) under ``folder``.

    References already there are kept (each is a pure function of its number), and each
    file appears whole or not at all, so a folder can be grown by later runs.
    """
    from concurrent.futures import ProcessPoolExecutor

    folder.mkdir(parents=True, exist_ok=True)
    step = max(1, -(-count // max(1, workers)))
    ranges = [(i, min(i + step, start + count)) for i in range(start, start + count, step)]
    with ProcessPoolExecutor(max(1, workers)) as executor:
        for done in [executor.submit(_write_range, folder, a, b) for a, b in ranges]:
            done.result()
