"""Light sampling: how many lights, of which Blender type, how bright, what colour, and where.

A spec with the default ``kinds: [POINT]`` draws exactly what it drew before light types
existed (no kind draw, no aim), so its scene graphs keep their bytes.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer

from simulacra.randomize.aim import aim_rotation_deg
from simulacra.randomize.camera import Vec3, orbit_offset
from simulacra.randomize.distributions import FloatDist, IntDist, within, without_defaults

LightKind = Literal["POINT", "SUN", "SPOT", "AREA"]


class LightParams(BaseModel):
    """Lights on a hemisphere above the scene; colour from a black-body temperature.

    Each light's type is drawn uniformly from ``kinds``. POINT, SPOT and AREA take
    ``energy_range`` (watts); SUN takes ``sun_strength_range`` (W/m^2, irradiance), since
    a sun's strength is not a wattage. SUN, SPOT and AREA are aimed at the look-at target.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    count_range: Annotated[IntDist, within(0, 16)] = (1, 3)
    energy_range: Annotated[FloatDist, within(0.0)] = (60.0, 250.0)
    distance_range: Annotated[FloatDist, within(1e-6)] = (1.0, 2.0)
    elevation_deg_range: Annotated[FloatDist, within(-90.0, 90.0)] = (35.0, 80.0)
    azimuth_deg_range: FloatDist = (-180.0, 180.0)
    temperature_k_range: Annotated[FloatDist, within(1000.0, 40000.0)] = (3500.0, 7500.0)
    kinds: tuple[LightKind, ...] = Field(("POINT",), min_length=1, description="light types, drawn uniformly")
    sun_strength_range: Annotated[FloatDist, within(0.0)] = Field((1.0, 5.0), description="SUN, W/m^2")
    spot_size_deg_range: Annotated[FloatDist, within(1.0, 180.0)] = Field(
        (30.0, 60.0), description="SPOT cone angle, degrees"
    )
    area_size_range: Annotated[FloatDist, within(1e-6)] = Field(
        (0.1, 0.5), description="AREA square side, metres"
    )

    @model_serializer(mode="wrap")
    def _short(self, handler):
        # Fields added with light types are left out at their defaults, so old specs dump (and hash) the same.
        return without_defaults(self, handler(self), _TYPED_FIELDS)


_TYPED_FIELDS = ("kinds", "sun_strength_range", "spot_size_deg_range", "area_size_range")


class Light(BaseModel):
    """One light in the resolved scene (watts, or W/m^2 for SUN; linear RGB colour).

    ``rotation_deg`` (XYZ Euler), ``spot_size_deg`` and ``size`` are set only for the
    types that use them, and left out of the JSON otherwise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "POINT"
    location: Vec3
    energy: float
    color: Vec3
    temperature_k: float
    rotation_deg: Vec3 | None = None
    spot_size_deg: float | None = None
    size: float | None = None


def temperature_to_rgb(kelvin: float) -> Vec3:
    """Approximate linear RGB of a black body, normalised to max 1 (fit valid 1000-40000 K)."""
    t = kelvin / 100.0
    red = 1.0 if t <= 66 else min(1.0, 1.292936 * (t - 60) ** -0.1332047592)
    if t <= 66:
        green = min(1.0, max(0.0, 0.390081579 * np.log(t) - 0.631841444))
    else:
        green = min(1.0, 1.129890861 * (t - 60) ** -0.0755148492)
    blue = 1.0 if t >= 66 else (0.0 if t <= 19 else min(1.0, 0.543206789 * np.log(t - 10) - 1.196254089))
    return (round(float(red), 6), round(float(green), 6), round(float(blue), 6))


def sample_lights(params: LightParams, target: Vec3, *, rng: np.random.Generator) -> tuple[Light, ...]:
    """Draw the scene's lights around ``target``; a single kind draws no kind."""
    lights = []
    for _ in range(params.count_range.draw(rng=rng)):
        offset = orbit_offset(
            params.distance_range.draw(rng=rng),
            params.elevation_deg_range.draw(rng=rng),
            params.azimuth_deg_range.draw(rng=rng),
        )
        kelvin = params.temperature_k_range.draw(rng=rng)
        location = tuple(round(t + o, 6) for t, o in zip(target, offset, strict=True))
        light = Light(
            location=location,
            energy=params.energy_range.draw(rng=rng),
            color=temperature_to_rgb(kelvin),
            temperature_k=kelvin,
        )
        if params.kinds != ("POINT",):  # typed draws come after a light's point draws
            light = _typed(light, params, target, rng=rng)
        lights.append(light)
    return tuple(lights)


def _typed(light: Light, params: LightParams, target: Vec3, *, rng: np.random.Generator) -> Light:
    """The light given a kind drawn from ``params.kinds`` and that kind's own values."""
    kind = params.kinds[int(rng.integers(len(params.kinds)))] if len(params.kinds) > 1 else params.kinds[0]
    if kind == "POINT":
        return light
    update: dict[str, object] = {"kind": kind, "rotation_deg": aim_rotation_deg(light.location, target)}
    if kind == "SUN":
        update["energy"] = params.sun_strength_range.draw(rng=rng)
    elif kind == "SPOT":
        update["spot_size_deg"] = params.spot_size_deg_range.draw(rng=rng)
    else:
        update["size"] = params.area_size_range.draw(rng=rng)
    return light.model_copy(update=update)
