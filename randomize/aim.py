"""Orientation that points a light's local -Z axis (Blender's emit direction) at a target."""

from __future__ import annotations

import numpy as np

from simulacra.randomize.camera import Vec3


def aim_rotation_deg(location: Vec3, target: Vec3) -> Vec3:
    """XYZ Euler angles (degrees) turning -Z toward ``target``, with local +Y kept upward.

    Example: a light straight above its target needs no rotation, ``(0.0, 0.0, 0.0)``.
    """
    from scipy.spatial.transform import Rotation

    forward = np.subtract(target, location).astype(float)
    length = float(np.linalg.norm(forward))
    if length == 0.0:
        raise ValueError(f"cannot aim from {location} at the same point")
    z_axis = -forward / length
    x_axis = np.cross((0.0, 0.0, 1.0), z_axis)
    if np.linalg.norm(x_axis) < 1e-9:  # looking straight down or up: any x works, keep world x
        x_axis = np.array((1.0, 0.0, 0.0))
    x_axis /= np.linalg.norm(x_axis)
    y_axis = np.cross(z_axis, x_axis)
    angles = Rotation.from_matrix(np.column_stack((x_axis, y_axis, z_axis))).as_euler("xyz", degrees=True)
    return (round(float(angles[0]), 6), round(float(angles[1]), 6), round(float(angles[2]), 6))
