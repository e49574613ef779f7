"""Material sampling: base colour (in HSV, so ranges read naturally), roughness, metallic."""

from __future__ import annotations

import colorsys
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simulacra.randomize.distributions import FloatDist, within

Unit = Annotated[FloatDist, within(0.0, 1.0)]


class MaterialParams(BaseModel):
    """Principled-BSDF parameters; hue, saturation and value are in [0, 1]."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    hue_range: Unit = (0.0, 1.0)
    saturation_range: Unit = (0.3, 0.9)
    value_range: Unit = (0.3, 0.95)
    roughness_range: Unit = (0.2, 0.9)
    metallic_range: Unit = (0.0, 0.3)
    # Texture-pack materials (manifest records with ``material`` set): the chance that a
    # surface gets one, and which pack materials may be drawn (empty: every admitted one).
    # At probability 0 nothing is drawn, so the scene is exactly what it was without packs.
    texture_probability: float = Field(0.0, ge=0.0, le=1.0)
    textures: tuple[str, ...] = Field(default=(), description="pack material ids; empty means all")


class Material(BaseModel):
    """A resolved Principled-BSDF material (linear RGB base colour)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_color: tuple[float, float, float]
    roughness: float
    metallic: float


def sample_material(params: MaterialParams, *, rng: np.random.Generator) -> Material:
    """Draw one material."""
    hue = params.hue_range.draw(rng=rng)
    saturation = params.saturation_range.draw(rng=rng)
    value = params.value_range.draw(rng=rng)
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return Material(
        base_color=(round(red, 6), round(green, 6), round(blue, 6)),
        roughness=params.roughness_range.draw(rng=rng),
        metallic=params.metallic_range.draw(rng=rng),
    )
