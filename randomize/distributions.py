"""Validated distributions for spec fields, and the seeded draws over them.

Every random number in a scene comes from here. A spec field holds one of:

- a number: a constant (draws nothing, so a constant never shifts later draws);
- ``[low, high]``: uniform (``int_uniform`` for counts), the form specs always had;
- a mapping with ``kind``: ``uniform``, ``int_uniform``, ``log_uniform``,
  ``truncated_normal`` (``mean``, ``std``, ``low``, ``high``) or ``choice`` (``values``,
  optional ``weights``).

Parameters are checked when a spec loads (``low <= high``, ``std > 0``, weights that
sum to more than 0, ...), so a sampler never sees an impossible distribution. Each
draw consumes a fixed number of generator values, so streams stay aligned. Constants
and ``[low, high]`` pairs serialize back to the short form, so specs round-trip.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_serializer,
    model_validator,
)
from scipy.special import ndtr, ndtri


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    low, high = pair
    if low > high:
        raise ValueError(f"range [{low}, {high}] is empty: low must be <= high")
    return pair


def uniform(value_range: tuple[float, float], *, rng: np.random.Generator) -> float:
    """One draw from [low, high], rounded so graphs print the same on every machine."""
    low, high = value_range
    return round(float(rng.uniform(low, high)), 6)


def int_uniform(value_range: tuple[int, int], *, rng: np.random.Generator) -> int:
    """One integer draw from [low, high], both ends included."""
    low, high = value_range
    return int(rng.integers(low, high + 1))


DISTRIBUTION_KINDS = frozenset(
    {"constant", "uniform", "int_uniform", "log_uniform", "truncated_normal", "choice"}
)


class _Distribution(BaseModel, ABC):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @abstractmethod
    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""


class _Interval(_Distribution):
    """A distribution over ``[low, high]``; refuses an empty interval."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> _Interval:
        _ordered((self.low, self.high))
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class Constant(_Distribution):
    """Always ``value``; draws nothing from the generator. Written as a plain number."""

    kind: Literal["constant"] = "constant"
    value: float

    def draw(self, *, rng: np.random.Generator) -> float:
        return self.value

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    @model_serializer(mode="plain")
    def _short(self) -> float:
        return self.value


class IntConstant(Constant):
    value: int

    def draw(self, *, rng: np.random.Generator) -> int:
        return self.value


class Uniform(_Interval):
    """Uniform on [low, high]. Written as ``[low, high]``."""

    kind: Literal["uniform"] = "uniform"

    def draw(self, *, rng: np.random.Generator) -> float:
        return uniform((self.low, self.high), rng=rng)

    @model_serializer(mode="plain")
    def _short(self) -> list[float]:
        return [self.low, self.high]


class IntUniform(Uniform):
    """Integers low..high, both included. Written as ``[low, high]``."""

    kind: Literal["int_uniform"] = "int_uniform"  # type: ignore[assignment]
    low: int
    high: int

    def draw(self, *, rng: np.random.Generator) -> int:
        return int_uniform((self.low, self.high), rng=rng)


class LogUniform(_Interval):
    """Uniform in log space on [low, high], low > 0: scales and intensities spanning decades."""

    kind: Literal["log_uniform"] = "log_uniform"
    low: float = Field(gt=0.0)

    def draw(self, *, rng: np.random.Generator) -> float:
        return round(math.exp(float(rng.uniform(math.log(self.low), math.log(self.high)))), 6)


class TruncatedNormal(_Interval):
    """Normal(mean, std) restricted to [low, high], drawn by inverse CDF (one generator value)."""

    kind: Literal["truncated_normal"] = "truncated_normal"
    mean: float
    std: float = Field(gt=0.0)

    def draw(self, *, rng: np.random.Generator) -> float:
        lo, hi = ndtr((self.low - self.mean) / self.std), ndtr((self.high - self.mean) / self.std)
        value = self.mean + self.std * float(ndtri(lo + (hi - lo) * float(rng.random())))
        # Far in a tail both CDF values round to 0 or 1; clipping keeps the draw inside.
        return round(min(max(value, self.low), self.high), 6)


class IntTruncatedNormal(TruncatedNormal):
    """A truncated normal rounded to the nearest integer (bounds are integers)."""

    low: int
    high: int

    def draw(self, *, rng: np.random.Generator) -> int:
        return round(super().draw(rng=rng))


class Choice(_Distribution):
    """One of ``values``, with optional relative ``weights`` (equal when left out)."""

    kind: Literal["choice"] = "choice"
    values: tuple[float, ...] = Field(min_length=1)
    weights: tuple[float, ...] | None = None

    @model_validator(mode="after")
    def _weights_fit(self) -> Choice:
        if self.weights is None:
            return self
        if len(self.weights) != len(self.values):
            raise ValueError(f"{len(self.weights)} weights for {len(self.values)} values")
        if any(not math.isfinite(w) or w < 0 for w in self.weights) or sum(self.weights) <= 0:
            raise ValueError("weights must be finite, >= 0, and not all 0")
        return self

    def draw(self, *, rng: np.random.Generator) -> float:
        weights = np.asarray(self.weights if self.weights is not None else [1.0] * len(self.values))
        return self.values[int(rng.choice(len(self.values), p=weights / weights.sum()))]

    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))


class IntChoice(Choice):
    values: tuple[int, ...] = Field(min_length=1)

    def draw(self, *, rng: np.random.Generator) -> int:
        return int(super().draw(rng=rng))


def _shorthand(pair_kind: str) -> Callable[[object], object]:
    """Turn a number into a constant and ``[low, high]`` into ``pair_kind``; leave mappings."""

    def expand(value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return {"kind": "constant", "value": value}
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"kind": pair_kind, "low": value[0], "high": value[1]}
        if isinstance(value, dict | _Distribution):
            return value
        raise ValueError(f"expected a number, a [low, high] pair or a mapping with 'kind'; got {value!r}")

    return expand


_FloatForms = Annotated[
    Constant | Uniform | LogUniform | TruncatedNormal | Choice, Field(discriminator="kind")
]
_IntForms = Annotated[IntConstant | IntUniform | IntTruncatedNormal | IntChoice, Field(discriminator="kind")]
FloatDist = Annotated[
    _FloatForms,
    BeforeValidator(_shorthand("uniform"), json_schema_input_type=float | tuple[float, float] | _FloatForms),
]
IntDist = Annotated[
    _IntForms,
    BeforeValidator(_shorthand("int_uniform"), json_schema_input_type=int | tuple[int, int] | _IntForms),
]


def within(low: float | None = None, high: float | None = None, *, strict: bool = False) -> AfterValidator:
    """Refuse a distribution that could draw outside [low, high] (open ends when ``strict``).

    Example: ``count_range: Annotated[IntDist, within(0, 200)]``.
    """

    def check(dist: _Distribution) -> _Distribution:
        lo, hi = dist.support()
        below = low is not None and (lo <= low if strict else lo < low)
        above = high is not None and (hi >= high if strict else hi > high)
        if below or above:
            bounds = " and ".join(
                f"{'>' if op == 'lo' else '<'}{'' if strict else '='} {bound}"
                for op, bound in (("lo", low), ("hi", high))
                if bound is not None
            )
            raise ValueError(f"expected values {bounds}; this distribution reaches [{lo}, {hi}]")
        return dist

    return AfterValidator(check)


def derive_seed(*parts: int) -> int:
    """A 63-bit seed derived from a job seed and indices (image, attempt, ...).

    SeedSequence mixes the parts so neighbouring images get unrelated streams, and the
    same parts give the same seed whichever worker or order renders them.
    """
    state = np.random.SeedSequence([int(p) for p in parts]).generate_state(2, dtype=np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def without_defaults(model: BaseModel, data: dict, names: tuple[str, ...]) -> dict:
    """``data`` (a dump of ``model``) without the ``names`` whose values are their defaults.

    Fields added to a params model later use this, so specs that do not set them dump,
    hash and round-trip exactly as before.
    """
    defaults = type(model)()
    for name in names:
        if getattr(model, name) == getattr(defaults, name):
            data.pop(name, None)
    return data
