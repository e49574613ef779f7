"""Silhouette areas: pixel-centre sampling with the camera's own intrinsics and pose."""

from __future__ import annotations

import numpy as np

from simulacra.render.silhouette import silhouette_pixels

# A Blender camera at z = 2 looking straight down (-Z): identity rotation.
_POSE = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 2.0], [0, 0, 0, 1]])
_K = np.array([[100.0, 0, 31.5], [0, 100.0, 31.5], [0, 0, 1]])


def _square(half: float, z: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    corners = np.array([[-half, -half, z], [half, -half, z], [half, half, z], [-half, half, z]])
    return corners, np.array([[0, 1, 2], [0, 2, 3]])


def test_square_covers_the_pixels_whose_centres_it_contains():
    """A square spanning 20 px centred on the principal point covers exactly 20 x 20 pixels."""
    vertices, triangles = _square(0.2)  # 0.4 m at 2 m with f = 100 px: 20 px
    assert silhouette_pixels(vertices, triangles, _POSE, _K, (64, 64)) == 400


def test_out_of_frame_and_behind_camera_count_nothing():
    """Geometry behind the camera or outside the frame adds no pixels; a frame-filling one is clipped."""
    behind, triangles = _square(0.2, z=3.0)
    assert silhouette_pixels(behind, triangles, _POSE, _K, (64, 64)) == 0
    huge, _ = _square(50.0)
    assert silhouette_pixels(huge, triangles, _POSE, _K, (64, 64)) == 64 * 64
