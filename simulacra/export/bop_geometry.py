"""The camera and object poses of a scene graph as matrices, in the conventions the renderer builds them.

The graph stores a camera as location + look-at + field of view (or K) and an object as
location + Euler angles + scale; the renderer turns them into Blender transforms. These
are the same transforms in numpy, in OpenCV's camera frame (x right, y down, z forward),
which BOP and most pose code use.
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.randomize import CameraPose
from simulacra.scenes import ObjectNode

_WORLD_UP = np.array([0.0, 0.0, 1.0])


def intrinsics(camera: CameraPose, resolution: tuple[int, int]) -> np.ndarray:
    """The K matrix the render used: the graph's own, or BlenderProc's from a field of view.

    Blender's automatic sensor fit applies the field of view to the larger image side, and
    BlenderProc puts the principal point at the centre in pixel-centre coordinates.
    """
    if camera.k is not None:
        return np.array(camera.k, dtype=np.float64)
    width, height = resolution
    focal = max(width, height) / (2 * math.tan(math.radians(camera.fov_deg) / 2))
    return np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2], [0.0, 0.0, 1.0]])


def world_to_camera(camera: CameraPose) -> tuple[np.ndarray, np.ndarray]:
    """Rotation and translation (metres) from world to OpenCV camera coordinates.

    The renderer aims the camera with BlenderProc's ``rotation_from_forward_vec`` (track -Z,
    up Y): forward at the look-at point, image up as close to world +z as it can be.
    """
    location = np.asarray(camera.location, dtype=np.float64)
    forward = np.asarray(camera.look_at, dtype=np.float64) - location
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, _WORLD_UP)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    rotation = np.stack([right, down, forward])  # rows: the camera axes in world coordinates
    return rotation, -rotation @ location


def object_rotation(node: ObjectNode) -> np.ndarray:
    """The object's rotation, model to world: Blender's XYZ Euler order (z applied last)."""
    x, y, z = (math.radians(a) for a in (node.rotation_deg or (0.0, 0.0, node.yaw_deg)))
    rx = np.array([[1, 0, 0], [0, math.cos(x), -math.sin(x)], [0, math.sin(x), math.cos(x)]])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rz = np.array([[math.cos(z), -math.sin(z), 0], [math.sin(z), math.cos(z), 0], [0, 0, 1]])
    return rz @ ry @ rx
