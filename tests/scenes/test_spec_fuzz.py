"""Generated specs either resolve or fail with one clear SimulacraError line, never a traceback."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import SimulacraError
from simulacra.scenes import resolve, spec_from_dict

_numbers = st.one_of(
    st.integers(-5, 300),
    st.floats(-1e3, 1e5),
    st.sampled_from([math.nan, math.inf, -math.inf]),
    st.booleans(),
)
_distribution = st.one_of(
    _numbers,
    st.lists(_numbers, min_size=0, max_size=3),
    st.fixed_dictionaries(
        {"kind": st.sampled_from(["uniform", "int_uniform", "log_uniform", "constant", "gamma"])},
        optional={"low": _numbers, "high": _numbers, "value": _numbers},
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("truncated_normal"),
            "mean": _numbers,
            "std": _numbers,
            "low": _numbers,
            "high": _numbers,
        }
    ),
    st.fixed_dictionaries(
        {"kind": st.just("choice"), "values": st.lists(_numbers, max_size=4)},
        optional={"weights": st.lists(_numbers, max_size=4)},
    ),
    st.text(max_size=5),
)
_fields = {
    "objects": ["count_range", "scale_range"],
    "surface": ["width_range", "depth_range"],
    "lights": ["count_range", "energy_range", "temperature_k_range", "elevation_deg_range"],
    "camera": ["distance_range", "elevation_deg_range", "azimuth_deg_range", "fov_deg"],
    "posters": ["width_range", "distance_range", "probability"],
    "background": ["gray_range", "strength_range"],
}
_specs = st.fixed_dictionaries(
    {"name": st.just("fuzz")},
    optional={
        section: st.fixed_dictionaries({}, optional={field: _distribution for field in fields})
        for section, fields in _fields.items()
    }
    | {"resolution": st.lists(st.integers(-1, 300), max_size=3), "samples": _numbers, "colour": _numbers},
)


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same 300 cases every run: CI must not flake
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=_specs)
def test_generated_specs_resolve_or_fail_clearly(manifest, data):
    """Any spec data: a graph whose draws respect the spec, or a one-line SimulacraError."""
    try:
        spec = spec_from_dict(data, source="spec fuzz.yaml")
        graph = resolve(spec, manifest, job_seed=1, image_index=0)
    except SimulacraError as error:
        assert "\\n" not in str(error) and str(error).startswith("spec fuzz.yaml: ")
        return
    assert len(graph.objects) <= spec.objects.count_range.support()[1]
    assert all(o.scale > 0 for o in graph.objects)
    assert spec.lights.count_range.support()[0] <= len(graph.lights) <= spec.lights.count_range.support()[1]
