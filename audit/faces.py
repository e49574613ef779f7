"""Find faces in renders and in images that are about to enter scenes, down to ~20 px.

A face of 25-40 px in a 256 px render is still a recognisable person, so faces are
looked for from about 20 px on their shorter side, frontal and turned (to ~45 degrees
of yaw). dlib's HOG detector (five sub-detectors: frontal, turned left and right,
tilted) sees faces of 80 px and up; running it on a 4x upsampled image costs ~100 ms
at 256 px and ~400 ms at 512 px. Instead OpenCV's Haar cascades (inside
opencv-python-headless: frontal, and profile both ways) propose candidates at every
scale, an octave of sizes at a time, and each candidate is verified by the HOG
detector on a crop upsampled so the face is 100 px; faces of 80 px and up are also
found by HOG on the whole image. Nothing is downloaded: both models ship inside their packages.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from simulacra.errors import MissingDependency

SEARCH_SIDE = 1024  # larger images are searched at this long side: cost grows with pixels
MIN_FACE_PX = 20  # short side of the smallest face looked for, in searched pixels
_FRONTAL_WINDOW = 24  # the frontal cascade's window; the image is upsampled so 20 px faces fill it
_PROFILE_WINDOW = 20
_FRONTAL_STEP = 1.1  # scale steps of the cascades' image pyramids (bench/face_bench.py)
_PROFILE_STEP = 1.2
_VERIFY_SIDE = 100  # a candidate is re-checked with the face at this size (HOG's window is 80 px)
_VERIFY_MARGIN = 0.6  # context around a candidate for the re-check, per side, in face sides
# HOG score a candidate must reach. Below dlib's 0 because the cascade already voted for
# it: blurred 24 px faces score -0.1..-0.4; clean scenes produced no face at -0.4.
_VERIFY_THRESHOLD = -0.4
_MAX_CANDIDATES = 12  # cascade candidates re-checked per image, largest first
_OVERLAP = 0.3  # boxes overlapping more than this (IoU) are one face


@dataclass(frozen=True)
class FaceBox:
    """A detected face in the original image's pixel coordinates."""

    left: int
    top: int
    right: int
    bottom: int


_loaded = threading.local()


def _models() -> tuple[Any, Any, Any]:
    """dlib's HOG detector and OpenCV's frontal and profile cascades, loaded once per thread.

    Per thread because a cascade keeps scratch state while it scans: threads that
    audit images side by side each get their own.
    """
    if not hasattr(_loaded, "models"):
        _loaded.models = _load_models()
    return _loaded.models


def _load_models() -> tuple[Any, Any, Any]:
    try:
        import dlib
    except ImportError as err:
        raise MissingDependency(f"face detection needs dlib ({err})") from None
    cascades = []
    for name in ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml"):
        cascade = cv2.CascadeClassifier(cv2.data.haarcascades + name)
        if cascade.empty():
            raise MissingDependency(
                f"{cv2.data.haarcascades + name}: cascade missing", "reinstall opencv-python-headless"
            )
        cascades.append(cascade)
    return dlib.get_frontal_face_detector(), cascades[0], cascades[1]


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _distinct(boxes: list[tuple[float, ...]]) -> list[tuple[float, ...]]:
    """Boxes ``(l, t, r, b, rank)`` best rank first, dropping any that overlaps a kept one."""
    kept: list[tuple[float, ...]] = []
    for box in sorted(boxes, key=lambda b: -b[4]):
        if all(_iou(box, other) <= _OVERLAP for other in kept):
            kept.append(box)
    return kept


def _octaves(cascade: Any, image: np.ndarray, window: int, step: float, smallest: int) -> list:
    """A cascade's detections ``(x, y, w, h)`` in ``image`` from ``smallest`` px, grouped as OpenCV does.

    OpenCV scans windows up to twice the cascade's at every second pixel and larger
    ones at every pixel: those larger windows, of faces already twice the smallest,
    took half the scan and more (detect_faces at 384 px from 32 px: 159 ms, 80 ms
    this way, measured side by side). Here each octave of sizes is scanned on a copy halved as often as
    needed, at OpenCV's step for the smallest ones (1/12 of the window); the raw hits
    of all octaves are then grouped once, as one scan groups them (3 hits or more).
    Measured with bench/face_bench.py: the same recall in every cell from 20 to 64 px.
    """
    rects: list[list[int]] = []
    level = image
    while min(level.shape) >= window:
        sx, sy = image.shape[1] / level.shape[1], image.shape[0] / level.shape[0]
        low = max(window, math.ceil(smallest / sx))
        if low <= 2 * window:
            found = cascade.detectMultiScale(level, step, 0, minSize=(low, low), maxSize=(2 * window,) * 2)
            rects += [[round(x * sx), round(y * sy), round(w * sx), round(h * sy)] for x, y, w, h in found]
        level = cv2.resize(level, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    return list(cv2.groupRectangles(rects, 2, 0.2)[0]) if rects else []


def _scan(cascade: Any, gray: np.ndarray, window: int, step: float, min_face: float, flipped: bool) -> list:
    """One cascade's boxes ``(l, t, r, b, side)`` in ``gray``'s pixels, from ``min_face`` px.

    Faces smaller than the cascade's ``window`` are found on a copy upsampled so
    they fill it.
    """
    image = np.ascontiguousarray(gray[:, ::-1]) if flipped else gray
    zoom = max(1.0, window / min_face)
    if zoom > 1:
        image = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
    smallest = max(window, round(min_face * zoom))
    width = gray.shape[1]
    found = []
    for x, y, w, h in _octaves(cascade, image, window, step, smallest):
        left, top, side = x / zoom, y / zoom, w / zoom
        if flipped:
            left = width - left - side
        found.append((left, top, left + side, top + h / zoom, side))
    return found


def _candidates(gray: np.ndarray, min_face: float) -> list[tuple[float, ...]]:
    """Cascade proposals ``(l, t, r, b, side)``: frontal, and profile both ways."""
    _, frontal, profile = _models()
    found = _scan(frontal, gray, _FRONTAL_WINDOW, _FRONTAL_STEP, min_face, False)
    for flipped in (False, True):
        found += _scan(profile, gray, _PROFILE_WINDOW, _PROFILE_STEP, min_face, flipped)
    return _distinct(found)[:_MAX_CANDIDATES]


def _verified(rgb: np.ndarray, candidate: tuple[float, ...]) -> list[tuple[float, ...]]:
    """HOG detections ``(l, t, r, b, score)`` on a crop around ``candidate``, face scaled to 100 px."""
    hog = _models()[0]
    left, top, right, bottom, side = candidate
    crop, (x0, y0), zoom = zoomed_crop(
        rgb, (left, top, right, bottom), _VERIFY_MARGIN * side, _VERIFY_SIDE / side
    )
    rects, scores, _ = hog.run(crop, 0, _VERIFY_THRESHOLD)
    return [
        (x0 + r.left() / zoom, y0 + r.top() / zoom, x0 + r.right() / zoom, y0 + r.bottom() / zoom, s)
        for r, s in zip(rects, scores, strict=True)
    ]


def zoomed_crop(
    rgb: np.ndarray, box: tuple[float, float, float, float], margin: float, zoom: float
) -> tuple[np.ndarray, tuple[int, int], float]:
    """``box`` grown by ``margin`` px (clipped), resampled by ``zoom``: the crop, its origin, the zoom.

    Small faces are looked at and embedded at a fixed size; this is that resampling.
    """
    left, top, right, bottom = box
    height, width = rgb.shape[:2]
    x0, y0 = int(max(0, left - margin)), int(max(0, top - margin))
    x1, y1 = int(min(width, right + margin)), int(min(height, bottom + margin))
    interpolation = cv2.INTER_CUBIC if zoom > 1 else cv2.INTER_AREA
    crop = cv2.resize(rgb[y0:y1, x0:x1], None, fx=zoom, fy=zoom, interpolation=interpolation)
    return np.ascontiguousarray(crop), (x0, y0), zoom


def detect_faces(
    rgb: np.ndarray, *, min_face: int = MIN_FACE_PX, search_side: int = SEARCH_SIDE
) -> list[FaceBox]:
    """Faces in an ``HxWx3`` uint8 RGB image, frontal or turned, from ``min_face`` px.

    Images longer than ``search_side`` are searched at that size, so their smallest
    faces found are ``min_face`` px at that size. About 30 ms at 256 px, 95 ms at
    512 px on one core when there is no face (46 and 126 ms with OpenCV's own scan
    of every size, measured side by side on a loaded machine).

    Example:
        >>> [(b.right - b.left) > 0 for b in detect_faces(photo)]
        [True]
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"detect_faces expects an HxWx3 uint8 RGB image, got {rgb.dtype} {rgb.shape}")
    hog = _models()[0]
    scale = min(1.0, search_side / max(rgb.shape[:2]))
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    small = np.ascontiguousarray(small)
    rects, scores, _ = hog.run(small, 0, 0.0)
    found = [(r.left(), r.top(), r.right(), r.bottom(), s) for r, s in zip(rects, scores, strict=True)]
    for candidate in _candidates(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), min_face):
        if all(_iou(candidate, face) <= _OVERLAP for face in found):
            found += _verified(small, candidate)
    height, width = rgb.shape[:2]
    boxes = []
    for left, top, right, bottom, _ in _distinct(found):
        box = FaceBox(
            left=max(0, round(left / scale)),
            top=max(0, round(top / scale)),
            right=min(width, round(right / scale)),
            bottom=min(height, round(bottom / scale)),
        )
        if box.right > box.left and box.bottom > box.top:
            boxes.append(box)
    return boxes


def to_display_rgb(pixels: np.ndarray) -> np.ndarray:
    """An HDR (float) image tone-mapped to uint8 RGB for screening; uint8 passes through."""
    if pixels.dtype == np.uint8:
        return pixels
    mapped = pixels / (1.0 + pixels)  # Reinhard
    return np.clip(np.power(np.clip(mapped, 0, 1), 1 / 2.2) * 255, 0, 255).astype(np.uint8)
