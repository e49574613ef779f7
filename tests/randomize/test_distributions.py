"""Distributions: each validates its parameters, draws inside its support, and round-trips."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from simulacra.randomize import FloatDist, IntDist, uniform, within


class _Field(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)

    real: FloatDist = (0.0, 1.0)
    count: Annotated[IntDist, within(0, 50)] = (1, 3)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("real", [2.0, 1.0], "empty"),
        ("count", [5, 2], "empty"),
        ("count", [-1, 3], "expected values >= 0 and <= 50"),
        ("count", 51, "expected values >= 0 and <= 50"),
        ("real", {"kind": "log_uniform", "low": 0.0, "high": 1.0}, "greater than 0"),
        ("real", {"kind": "log_uniform", "low": 2.0, "high": 1.0}, "empty"),
        ("real", {"kind": "truncated_normal", "mean": 0, "std": 0, "low": -1, "high": 1}, "greater than 0"),
        ("real", {"kind": "truncated_normal", "mean": 0, "std": 1, "low": 1, "high": -1}, "empty"),
        ("real", {"kind": "choice", "values": []}, "at least 1"),
        ("real", {"kind": "choice", "values": [1, 2], "weights": [1]}, "1 weights for 2 values"),
        ("real", {"kind": "choice", "values": [1, 2], "weights": [0, 0]}, "not all 0"),
        ("real", {"kind": "choice", "values": [1, 2], "weights": [1, -1]}, ">= 0"),
        ("real", {"kind": "gamma", "shape": 2}, "does not match any of the expected tags"),
        ("real", [1.0, 2.0, 3.0], "a \\[low, high\\] pair"),
        ("real", "wide", "a \\[low, high\\] pair"),
        ("real", float("nan"), "finite"),
        ("real", {"kind": "uniform", "low": 0, "high": 1, "mode": 0.5}, "Extra inputs"),
        ("count", {"kind": "uniform", "low": 0, "high": 1}, "int_uniform"),
        ("count", 2.5, "valid integer"),
    ],
)
def test_bad_parameters_are_refused(field, value, message):
    """Every distribution checks its own parameters and names what is wrong."""
    with pytest.raises(ValidationError, match=message):
        _Field(**{field: value})


@pytest.mark.parametrize(
    "value",
    [
        3.5,
        [0.2, 0.9],
        {"kind": "uniform", "low": -1, "high": 2},
        {"kind": "log_uniform", "low": 0.01, "high": 100},
        {"kind": "truncated_normal", "mean": 0.5, "std": 0.2, "low": 0.0, "high": 0.6},
        {"kind": "truncated_normal", "mean": 50.0, "std": 0.1, "low": 0.0, "high": 1.0},  # far tail
        {"kind": "choice", "values": [1, 2, 4], "weights": [1, 0, 3]},
    ],
)
def test_float_draws_stay_in_support_and_round_trip(value):
    """Draws lie inside the support; the dumped form loads back equal and draws the same."""
    field = _Field(real=value)
    low, high = field.real.support()
    draws = [field.real.draw(rng=np.random.default_rng(seed)) for seed in range(200)]
    assert all(low <= d <= high for d in draws)
    again = _Field.model_validate(field.model_dump())
    assert again == field
    assert [again.real.draw(rng=np.random.default_rng(seed)) for seed in range(200)] == draws


@pytest.mark.parametrize(
    "value",
    [
        4,
        [2, 5],
        {"kind": "truncated_normal", "mean": 3, "std": 2, "low": 0, "high": 6},
        {"kind": "choice", "values": [0, 10]},
    ],
)
def test_int_draws_are_ints_in_support(value):
    """Count distributions give Python ints inside their support."""
    field = _Field(count=value)
    low, high = field.count.support()
    draws = [field.count.draw(rng=np.random.default_rng(seed)) for seed in range(100)]
    assert all(type(d) is int and low <= d <= high for d in draws)


def test_pair_is_the_old_uniform_draw():
    """A [low, high] pair draws exactly what specs drew before distributions existed."""
    field = _Field(real=[0.3, 0.9], count=[3, 8])
    rng, old = np.random.default_rng(5), np.random.default_rng(5)
    assert field.real.draw(rng=rng) == uniform((0.3, 0.9), rng=old)
    assert field.count.draw(rng=rng) == int(old.integers(3, 9))
    assert field.model_dump() == {"real": [0.3, 0.9], "count": [3, 8]}


def test_constant_draws_nothing():
    """A constant leaves the generator untouched, so later draws do not shift."""
    rng = np.random.default_rng(1)
    assert _Field(real=2.0).real.draw(rng=rng) == 2.0
    assert rng.random() == np.random.default_rng(1).random()


def test_shapes_differ_as_declared():
    """Log-uniform puts half its mass below the geometric mean; the truncated normal centres on its mean."""
    rng = np.random.default_rng(0)
    log_uniform = _Field(real={"kind": "log_uniform", "low": 0.01, "high": 100}).real
    assert 0.45 < np.mean([log_uniform.draw(rng=rng) < 1.0 for _ in range(4000)]) < 0.55
    normal = _Field(real={"kind": "truncated_normal", "mean": 2.0, "std": 0.5, "low": 0, "high": 10}).real
    draws = np.array([normal.draw(rng=rng) for _ in range(4000)])
    assert abs(draws.mean() - 2.0) < 0.05 and abs(draws.std() - 0.5) < 0.05
    choice = _Field(real={"kind": "choice", "values": [1, 2], "weights": [1, 3]}).real
    assert 0.7 < np.mean([choice.draw(rng=rng) == 2 for _ in range(4000)]) < 0.8
