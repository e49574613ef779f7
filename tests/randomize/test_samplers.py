"""Samplers: validated ranges, seeded draws, and derived seeds."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from simulacra.randomize import (
    LightParams,
    MaterialParams,
    OrbitCameraParams,
    derive_seed,
    place_on_surface,
    sample_lights,
    sample_material,
    sample_orbit_camera,
    temperature_to_rgb,
)


def test_empty_range_is_refused():
    """A range with low > high fails validation and names the range."""
    with pytest.raises(ValidationError, match="empty"):
        LightParams(count_range=(3, 1))


def test_same_generator_state_same_draws():
    """Two generators with one seed give identical materials, lights and cameras."""
    draws = []
    for _ in range(2):
        rng = np.random.default_rng(11)
        draws.append(
            (
                sample_material(MaterialParams(), rng=rng),
                sample_lights(LightParams(), (0, 0, 0), rng=rng),
                sample_orbit_camera(OrbitCameraParams(), (0, 0, 0), rng=rng),
            )
        )
    assert draws[0] == draws[1]


def test_params_round_trip():
    """Sampler params serialise to a dict and back unchanged."""
    for params in (MaterialParams(), LightParams(), OrbitCameraParams()):
        assert type(params).model_validate(params.model_dump()) == params


def test_derive_seed_is_stable_and_spreads():
    """Derived seeds are a pure function of their parts and differ between neighbours."""
    assert derive_seed(1, 2, 0) == derive_seed(1, 2, 0)
    assert len({derive_seed(1, i, 0) for i in range(100)}) == 100


def test_placement_fits_and_separates():
    """Placed discs stay inside the surface and do not overlap; a too-big disc gets None."""
    rng = np.random.default_rng(0)
    radii = [0.1, 0.1, 0.1, 2.0]
    spots = place_on_surface(radii, (1.0, 1.0), rng=rng)
    assert spots[3] is None
    placed = [s for s in spots if s is not None]
    assert len(placed) == 3
    for x, y, _ in placed:
        assert abs(x) <= 0.4 and abs(y) <= 0.4
    for i, a in enumerate(placed):
        for b in placed[i + 1 :]:
            assert np.hypot(a[0] - b[0], a[1] - b[1]) >= 0.2


def test_colour_temperature_is_warm_to_cool():
    """Low temperatures are reddish, high ones bluish."""
    warm, cool = temperature_to_rgb(3000), temperature_to_rgb(9000)
    assert warm[0] > warm[2] and cool[2] > cool[0] * 0.9
