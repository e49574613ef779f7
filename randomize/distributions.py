"""Typed ranges and the seeded draws over them; every random number in a scene comes from here.

Ranges are validated when a spec is loaded (``low <= high``), so a sampler never sees an
empty interval. Draws take the generator as a keyword: there is no default generator.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import AfterValidator


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    low, high = pair
    if low > high:
        raise ValueError(f"range [{low}, {high}] is empty: low must be <= high")
    return pair


FloatRange = Annotated[tuple[float, float], AfterValidator(_ordered)]
IntRange = Annotated[tuple[int, int], AfterValidator(_ordered)]


def uniform(value_range: tuple[float, float], *, rng: np.random.Generator) -> float:
    """One draw from [low, high], rounded so graphs print the same on every machine."""
    low, high = value_range
    return round(float(rng.uniform(low, high)), 6)


def int_uniform(value_range: tuple[int, int], *, rng: np.random.Generator) -> int:
    """One integer draw from [low, high], both ends included."""
    low, high = value_range
    return int(rng.integers(low, high + 1))


def derive_seed(*parts: int) -> int:
    """A 63-bit seed derived from a job seed and indices (image, attempt, ...).

    SeedSequence mixes the parts so neighbouring images get unrelated streams, and the
    same parts give the same seed whichever worker or order renders them.
    """
    state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))
