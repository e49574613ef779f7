"""Find faces in images that are about to enter scenes (textures, HDRIs, backgrounds).

A texture with a face in it is a person in the dataset. Detection uses dlib's HOG
frontal-face detector, which ships inside dlib (no model file, no download). When a
reference index is given, each face crop is also audited against it, so a screened
asset can say whose face (which reference) it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Large textures are screened at this size: faces that matter in a scene are not tiny,
# and HOG detection time grows with the pixel count.
_SCREEN_SIDE = 1024
_MIN_FACE_PX = 40


@dataclass(frozen=True)
class FaceBox:
    """A detected face in the original image's pixel coordinates."""

    left: int
    top: int
    right: int
    bottom: int


def _detector():
    try:
        import dlib
    except ImportError as err:
        from simulacra.errors import SimulacraError

        raise SimulacraError(f"face screening needs dlib ({err}); install with `make setup`") from None
    return dlib.get_frontal_face_detector()


def detect_faces(rgb: np.ndarray) -> list[FaceBox]:
    """Frontal faces in an RGB uint8 image (upsampled once so faces of ~40 px are found)."""
    scale = min(1.0, _SCREEN_SIDE / max(rgb.shape[:2]))
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    boxes = []
    for rect in _detector()(np.ascontiguousarray(small), 1):
        box = FaceBox(
            left=max(0, int(rect.left() / scale)),
            top=max(0, int(rect.top() / scale)),
            right=min(rgb.shape[1], int(rect.right() / scale)),
            bottom=min(rgb.shape[0], int(rect.bottom() / scale)),
        )
        if min(box.right - box.left, box.bottom - box.top) >= _MIN_FACE_PX * scale:
            boxes.append(box)
    return boxes


def to_display_rgb(pixels: np.ndarray) -> np.ndarray:
    """An HDR (float) image tone-mapped to uint8 RGB for screening; uint8 passes through."""
    if pixels.dtype == np.uint8:
        return pixels
    mapped = pixels / (1.0 + pixels)  # Reinhard
    return np.clip(np.power(np.clip(mapped, 0, 1), 1 / 2.2) * 255, 0, 255).astype(np.uint8)


def find_faces(rgb: np.ndarray, *, upsample: int, min_face_px: int) -> list[FaceBox]:
    """Frontal faces in an RGB uint8 image: the one detector, for screening, identity and privacy operators.

    Images are searched at most at 1024 px; dlib upsamples ``upsample`` times so that small
    faces are found, and faces whose side is under ``min_face_px`` (at search scale) are left out.
    """
    scale = min(1.0, _SCREEN_SIDE / max(rgb.shape[:2]))
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    boxes = []
    for rect in _detector()(np.ascontiguousarray(small), upsample):
        box = FaceBox(
            left=max(0, int(rect.left() / scale)),
            top=max(0, int(rect.top() / scale)),
            right=min(rgb.shape[1], int(rect.right() / scale)),
            bottom=min(rgb.shape[0], int(rect.bottom() / scale)),
        )
        if min(box.right - box.left, box.bottom - box.top) >= min_face_px * scale:
            boxes.append(box)
    return boxes
