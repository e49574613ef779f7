"""How many pixels each labeled object would cover if nothing stood in front of it.

A COCO annotation's ``visible_fraction`` is its visible pixels over this unoccluded
area. Rendering every object alone would cost one render per object; projecting its
triangles with the camera's own intrinsics and pose and filling them is exact up to
pixel-centre sampling, like the renderer's own mask, and costs milliseconds.
"""

from __future__ import annotations

import numpy as np

# Blender cameras look down -Z with +Y up; OpenCV cameras look down +Z with +Y down.
_BLENDER_TO_OPENCV = np.diag([1.0, -1.0, -1.0, 1.0])


def silhouette_pixels(
    vertices: np.ndarray,
    triangles: np.ndarray,
    camera_to_world: np.ndarray,
    k: np.ndarray,
    size: tuple[int, int],
) -> int:
    """Pixels inside the image covered by the triangles, occlusion ignored.

    Args:
        vertices: (N, 3) world coordinates.
        triangles: (M, 3) vertex indices.
        camera_to_world: 4x4 Blender camera pose.
        k: 3x3 intrinsics with the principal point in pixel-centre coordinates (BlenderProc's K).
        size: (width, height) in pixels.
    """
    world_to_camera = np.linalg.inv(np.asarray(camera_to_world, dtype=np.float64) @ _BLENDER_TO_OPENCV)
    points = vertices @ world_to_camera[:3, :3].T + world_to_camera[:3, 3]
    return int(silhouette_mask(points, triangles, k, size).sum())


def silhouette_mask(
    points: np.ndarray, triangles: np.ndarray, k: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """The (height, width) mask of pixel centres the triangles cover, points in OpenCV camera coordinates.

    Triangles with a corner behind the camera are left out, as in :func:`silhouette_pixels`.
    """
    in_front = points[:, 2] > 1e-6
    pixels = np.zeros((len(points), 2))
    pixels[in_front] = (points[in_front] @ np.asarray(k).T)[:, :2] / points[in_front, 2:3]
    width, height = size
    mask = np.zeros((height, width), dtype=bool)
    for corners in pixels[triangles[in_front[triangles].all(axis=1)]]:
        _fill_centres(mask, corners)
    return mask


def _fill_centres(mask: np.ndarray, corners: np.ndarray) -> None:
    """Mark the pixels whose centres lie inside one triangle (edges included), as a renderer samples."""
    low = np.maximum(np.ceil(corners.min(axis=0)), 0).astype(int)
    high = np.minimum(np.floor(corners.max(axis=0)), np.array(mask.shape[::-1]) - 1).astype(int)
    if (high < low).any():
        return
    ys, xs = np.mgrid[low[1] : high[1] + 1, low[0] : high[0] + 1]
    (ax, ay), (bx, by), (cx, cy) = corners
    sign = np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))
    if sign == 0:
        return
    inside = (sign * ((bx - ax) * (ys - ay) - (by - ay) * (xs - ax)) >= 0) & (
        sign * ((cx - bx) * (ys - by) - (cy - by) * (xs - bx)) >= 0
    )
    inside &= sign * ((ax - cx) * (ys - cy) - (ay - cy) * (xs - cx)) >= 0
    mask[ys[inside], xs[inside]] = True


def object_triangles(blender_obj: object) -> tuple[np.ndarray, np.ndarray]:
    """World-space vertices and triangles of a Blender mesh object (modifiers not applied)."""
    mesh = blender_obj.data  # type: ignore[attr-defined]
    mesh.calc_loop_triangles()
    local = np.zeros(len(mesh.vertices) * 3)
    mesh.vertices.foreach_get("co", local)
    triangles = np.zeros(len(mesh.loop_triangles) * 3, dtype=np.int64)
    mesh.loop_triangles.foreach_get("vertices", triangles)
    matrix = np.array(blender_obj.matrix_world)  # type: ignore[attr-defined]
    world = local.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3]
    return world, triangles.reshape(-1, 3)
