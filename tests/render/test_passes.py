"""World-to-camera normal rotation, checked on hand-made cameras."""

from __future__ import annotations

import numpy as np

from simulacra.render.passes import world_to_camera_normals


def test_identity_camera_flips_y_and_z():
    """A Blender camera at identity looks down -Z: world +Z faces it (OpenCV -z), world +Y is up (-y)."""
    world = np.array([[[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]])
    camera = world_to_camera_normals(world, np.eye(4))
    assert np.allclose(camera[0], [[0, 0, -1], [0, -1, 0], [1, 0, 0]])


def test_rotated_camera_and_zero_pixels():
    """A camera turned 90 degrees about Z sees world +Y as its +x; zero normals stay zero."""
    turn = np.eye(4)
    turn[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]  # camera x axis -> world y
    world = np.array([[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]])
    camera = world_to_camera_normals(world, turn)
    assert np.allclose(camera[0, 0], [1, 0, 0])
    assert not camera[0, 1].any()


def test_averaged_edge_normals_are_renormalised():
    """An anti-aliased edge normal (average of two) comes out unit length."""
    world = np.array([[[0.0, 0.5, 0.5]]])
    assert np.isclose(np.linalg.norm(world_to_camera_normals(world, np.eye(4))), 1.0)
