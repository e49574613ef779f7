"""Light sampling: how many point lights, how bright, what colour, and where."""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict

from simulacra.randomize.camera import Vec3, orbit_offset
from simulacra.randomize.distributions import FloatDist, IntDist, within


class LightParams(BaseModel):
    """Point lights on a hemisphere above the scene; colour from a black-body temperature."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    count_range: Annotated[IntDist, within(0, 16)] = (1, 3)
    energy_range: Annotated[FloatDist, within(0.0)] = (60.0, 250.0)
    distance_range: Annotated[FloatDist, within(0.0, strict=True)] = (1.0, 2.0)
    elevation_deg_range: Annotated[FloatDist, within(-90.0, 90.0)] = (35.0, 80.0)
    azimuth_deg_range: FloatDist = (-180.0, 180.0)
    temperature_k_range: Annotated[FloatDist, within(1000.0, 40000.0)] = (3500.0, 7500.0)


class Light(BaseModel):
    """One point light in the resolved scene (watts, linear RGB colour)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "POINT"
    location: Vec3
    energy: float
    color: Vec3
    temperature_k: float


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
    """Draw the scene's lights around ``target``."""
    lights = []
    for _ in range(params.count_range.draw(rng=rng)):
        offset = orbit_offset(
            params.distance_range.draw(rng=rng),
            params.elevation_deg_range.draw(rng=rng),
            params.azimuth_deg_range.draw(rng=rng),
        )
        kelvin = params.temperature_k_range.draw(rng=rng)
        lights.append(
            Light(
                location=tuple(round(t + o, 6) for t, o in zip(target, offset, strict=True)),
                energy=params.energy_range.draw(rng=rng),
                color=temperature_to_rgb(kelvin),
                temperature_k=kelvin,
            )
        )
    return tuple(lights)
