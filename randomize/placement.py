"""Collision-free placement of upright objects on a rectangular support surface.

Objects are treated as discs of their horizontal bounding radius, so any yaw is safe.
Rejection sampling with a bounded number of tries keeps the draw count (and hence the
random stream) deterministic.
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.randomize.distributions import uniform

_TRIES_PER_OBJECT = 200


def place_on_surface(
    radii: list[float], surface_size: tuple[float, float], *, rng: np.random.Generator, margin: float = 0.01
) -> list[tuple[float, float, float] | None]:
    """Positions ``(x, y, yaw_deg)`` for discs of ``radii`` inside the surface, none overlapping.

    The list is aligned with ``radii``; an object that found no free spot gets ``None``.
    """
    half_w, half_d = surface_size[0] / 2, surface_size[1] / 2
    placed: list[tuple[float, float, float]] = []
    placed_radii: list[float] = []
    positions: list[tuple[float, float, float] | None] = []
    for radius in radii:
        positions.append(None)
        if radius + margin > min(half_w, half_d):
            continue
        for _ in range(_TRIES_PER_OBJECT):
            x = uniform((-half_w + radius + margin, half_w - radius - margin), rng=rng)
            y = uniform((-half_d + radius + margin, half_d - radius - margin), rng=rng)
            if all(
                math.hypot(x - px, y - py) >= radius + pr + margin
                for (px, py, _), pr in zip(placed, placed_radii, strict=True)
            ):
                placed.append((x, y, uniform((0.0, 360.0), rng=rng)))
                placed_radii.append(radius)
                positions[-1] = placed[-1]
                break
    return positions
