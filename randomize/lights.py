"""Light sampling: how many point lights, how bright, what colour, and where."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from simulacra.randomize.camera import Vec3, orbit_offset
from simulacra.randomize.distributions import FloatRange, IntRange, int_uniform, uniform


class LightParams(BaseModel):
    """Point lights on a hemisphere above the scene; colour from a black-body temperature."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count_range: IntRange = (1, 3)
    energy_range: FloatRange = (60.0, 250.0)
    distance_range: FloatRange = (1.0, 2.0)
    elevation_deg_range: FloatRange = (35.0, 80.0)
    azimuth_deg_range: FloatRange = (-180.0, 180.0)
    temperature_k_range: FloatRange = (3500.0, 7500.0)


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
    for _ in range(int_uniform(params.count_range, rng=rng)):
        offset = orbit_offset(
            uniform(params.distance_range, rng=rng),
            uniform(params.elevation_deg_range, rng=rng),
            uniform(params.azimuth_deg_range, rng=rng),
        )
        kelvin = uniform(params.temperature_k_range, rng=rng)
        lights.append(
            Light(
                location=tuple(round(t + o, 6) for t, o in zip(target, offset, strict=True)),
                energy=uniform(params.energy_range, rng=rng),
                color=temperature_to_rgb(kelvin),
                temperature_k=kelvin,
            )
        )
    return tuple(lights)
