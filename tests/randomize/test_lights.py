"""Light types: default specs draw as before, typed lights are aimed and use their own ranges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from simulacra.errors import SpecError
from simulacra.randomize import LightParams, aim_rotation_deg, sample_lights
from simulacra.scenes import spec_from_dict

TARGET = (0.1, -0.2, 0.1)


def test_default_kinds_draw_only_point_lights_and_dump_as_before():
    """``kinds: [POINT]`` leaves out new fields and draws the same stream as a typed-free spec."""
    params = LightParams()
    lights = sample_lights(params, TARGET, rng=np.random.default_rng(5))
    assert all(light.kind == "POINT" and light.rotation_deg is None for light in lights)
    assert "kinds" not in params.model_dump() and "sun_strength_range" not in params.model_dump()
    assert '"rotation_deg"' not in lights[0].model_dump_json(exclude_none=True)


def test_typed_lights_are_aimed_at_the_target_with_their_own_values():
    """SUN strength comes from sun_strength_range; SUN/SPOT/AREA shine (-Z) toward the target."""
    params = LightParams(count_range=(12, 12), kinds=("SUN", "SPOT", "AREA"), sun_strength_range=(2.0, 3.0))
    lights = sample_lights(params, TARGET, rng=np.random.default_rng(1))
    assert {light.kind for light in lights} == {"SUN", "SPOT", "AREA"}
    for light in lights:
        direction = Rotation.from_euler("xyz", light.rotation_deg, degrees=True).apply((0, 0, -1))
        expected = np.subtract(TARGET, light.location)
        assert np.allclose(direction, expected / np.linalg.norm(expected), atol=1e-5)
        assert (light.kind == "SUN") == (2.0 <= light.energy <= 3.0)
        assert (light.spot_size_deg is not None) == (light.kind == "SPOT")
        assert (light.size is not None) == (light.kind == "AREA")


def test_typed_draws_are_seeded():
    """The same generator state gives the same typed lights."""
    params = LightParams(kinds=("POINT", "SPOT"), count_range=(4, 4))
    first = sample_lights(params, TARGET, rng=np.random.default_rng(9))
    assert first == sample_lights(params, TARGET, rng=np.random.default_rng(9))


def test_aim_straight_down_needs_no_rotation():
    assert aim_rotation_deg((0.0, 0.0, 2.0), (0.0, 0.0, 0.0)) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(
    ("yaml_lights", "message"),
    [
        ({"kinds": ["LASER"]}, r"lights\.kinds\[0\]: "),
        ({"kinds": []}, r"lights\.kinds: "),
        ({"sun_strength_range": [5, 1]}, r"lights\.sun_strength_range: .*empty"),
    ],
)
def test_bad_light_kinds_name_the_yaml_path(yaml_lights, message):
    """A bad light type or range is one SpecError naming its YAML path."""
    with pytest.raises(SpecError, match=message):
        spec_from_dict({"name": "x", "lights": yaml_lights}, source="spec x.yaml")


def test_typed_light_params_round_trip():
    """Set typed fields dump and load back to the same params."""
    params = LightParams(kinds=("SUN", "POINT"), sun_strength_range=(1.5, 2.5))
    assert LightParams.model_validate(params.model_dump()) == params
