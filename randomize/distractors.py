"""Placement of unlabeled clutter in the room the labeled objects leave on a support.

Distractors are discs (their horizontal bounding radius) that must clear every disc
already placed: the labeled objects' footprints first, then earlier distractors. The
check is in plan view, so a floating distractor never hangs over a labeled object
either. Rejection sampling with a bounded number of tries keeps the draw count fixed.
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.randomize.distributions import uniform

_TRIES = 200
Disc = tuple[tuple[float, float], float]  # centre (x, y) and radius


def place_clear_of(
    radius: float,
    centre: tuple[float, float],
    size: tuple[float, float],
    occupied: list[Disc],
    *,
    rng: np.random.Generator,
    margin: float = 0.01,
) -> tuple[float, float] | None:
    """A spot ``(x, y)`` for a disc of ``radius`` on the ``size`` rectangle around ``centre``.

    The disc stays on the rectangle and at least ``margin`` from every ``occupied`` disc;
    an accepted spot is appended to ``occupied``. None when no try found room.
    """
    half_w, half_d = size[0] / 2 - radius - margin, size[1] / 2 - radius - margin
    if half_w < 0 or half_d < 0:
        return None
    for _ in range(_TRIES):
        x = round(centre[0] + uniform((-half_w, half_w), rng=rng), 6)
        y = round(centre[1] + uniform((-half_d, half_d), rng=rng), 6)
        if all(math.dist((x, y), other) >= radius + r + margin for other, r in occupied):
            occupied.append(((x, y), radius))
            return x, y
    return None
