"""Collision-free placement of upright objects on a rectangular support surface.

Objects are treated as discs of their horizontal bounding radius, so any yaw is safe.
Rejection sampling with a bounded number of tries keeps the draw count (and hence the
random stream) deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from simulacra.randomize.distributions import FloatDist, uniform

_TRIES_PER_OBJECT = 200


def _first_free(
    radii: list[float],
    max_radius: float,
    propose: Callable[[float], tuple[float, ...]],
    accept: Callable[[tuple[float, ...]], tuple[float, float, float]],
    margin: float,
) -> list[tuple[float, float, float] | None]:
    """For each radius, the first of a bounded number of proposals clear of every accepted one.

    ``accept`` turns an accepted centre into the returned position (drawing, e.g., a yaw
    at that point of the random stream); objects that fit nowhere get ``None``.
    """
    accepted: list[tuple[tuple[float, ...], float]] = []
    positions: list[tuple[float, float, float] | None] = []
    for radius in radii:
        positions.append(None)
        if radius + margin > max_radius:
            continue
        for _ in range(_TRIES_PER_OBJECT):
            centre = propose(radius)
            if all(math.dist(centre, other) >= radius + r + margin for other, r in accepted):
                accepted.append((centre, radius))
                positions[-1] = accept(centre)
                break
    return positions


def place_on_surface(
    radii: list[float], surface_size: tuple[float, float], *, rng: np.random.Generator, margin: float = 0.01
) -> list[tuple[float, float, float] | None]:
    """Positions ``(x, y, yaw_deg)`` for discs of ``radii`` inside the surface, none overlapping.

    The list is aligned with ``radii``; an object that found no free spot gets ``None``.
    """
    half_w, half_d = surface_size[0] / 2, surface_size[1] / 2

    def propose(radius: float) -> tuple[float, float]:
        x = uniform((-half_w + radius + margin, half_w - radius - margin), rng=rng)
        return x, uniform((-half_d + radius + margin, half_d - radius - margin), rng=rng)

    def accept(centre: tuple[float, ...]) -> tuple[float, float, float]:
        return centre[0], centre[1], uniform((0.0, 360.0), rng=rng)

    return _first_free(radii, min(half_w, half_d), propose, accept, margin)


def place_on_grid(
    radii: list[float],
    surface_size: tuple[float, float],
    grid: tuple[int, int],
    jitter: float,
    *,
    rng: np.random.Generator,
) -> list[tuple[float, float, float] | None]:
    """Positions ``(x, y, yaw_deg)`` in a rows x cols grid of cells, row by row.

    Each object sits at its cell's centre moved by up to ``jitter`` half-cells, clamped so
    its footprint stays on the surface; objects beyond rows x cols get ``None``.
    """
    rows, cols = grid
    half_w, half_d = surface_size[0] / 2, surface_size[1] / 2
    cell_w, cell_d = surface_size[0] / cols, surface_size[1] / rows
    positions: list[tuple[float, float, float] | None] = []
    for index, radius in enumerate(radii):
        if index >= rows * cols or radius > min(half_w, half_d):
            positions.append(None)
            continue
        row, col = divmod(index, cols)
        dx = uniform((-jitter, jitter), rng=rng) * cell_w / 2
        dy = uniform((-jitter, jitter), rng=rng) * cell_d / 2
        x = float(np.clip(-half_w + (col + 0.5) * cell_w + dx, -half_w + radius, half_w - radius))
        y = float(np.clip(-half_d + (row + 0.5) * cell_d + dy, -half_d + radius, half_d - radius))
        positions.append((x, y, uniform((0.0, 360.0), rng=rng)))
    return positions


def random_rotation_deg(*, rng: np.random.Generator) -> tuple[float, float, float]:
    """A rotation drawn uniformly over all orientations, as XYZ Euler angles in degrees."""
    from scipy.spatial.transform import Rotation

    quaternion = rng.standard_normal(4)
    angles = Rotation.from_quat(quaternion / np.linalg.norm(quaternion)).as_euler("xyz", degrees=True)
    return (round(float(angles[0]), 6), round(float(angles[1]), 6), round(float(angles[2]), 6))


def place_in_volume(
    radii: list[float],
    surface_size: tuple[float, float],
    gap: FloatDist,
    *,
    rng: np.random.Generator,
    margin: float = 0.01,
) -> list[tuple[float, float, float] | None]:
    """Centres ``(x, y, z)`` of non-overlapping spheres of ``radii`` floating above the surface.

    Each sphere lies over the surface with a gap drawn from ``gap`` below it; one
    that found no free spot gets ``None``.
    """
    half_w, half_d = surface_size[0] / 2, surface_size[1] / 2

    def propose(radius: float) -> tuple[float, float, float]:
        x = uniform((-half_w + radius, half_w - radius), rng=rng)
        y = uniform((-half_d + radius, half_d - radius), rng=rng)
        return x, y, round(radius + gap.draw(rng=rng), 6)

    def accept(centre: tuple[float, ...]) -> tuple[float, float, float]:
        return centre[0], centre[1], centre[2]

    return _first_free(radii, min(half_w, half_d), propose, accept, margin)
