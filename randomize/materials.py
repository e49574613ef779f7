"""Material sampling: base colour (in HSV, so ranges read naturally), roughness, metallic."""

from __future__ import annotations

import colorsys
import math
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer

from simulacra.randomize.distributions import FloatDist, within, without_defaults
from simulacra.randomize.procedural import FAMILY_NAMES, describe_families

Unit = Annotated[FloatDist, within(0.0, 1.0)]
_FAMILIES_DOC = (
    "procedural material families by relative weight, e.g. {wood: 2, plastic: 1, flat: 1}; empty: "
    "the plain colour, drawing nothing. Each family's values are drawn per surface:\n" + describe_families()
)


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
    # Procedural families (randomize/procedural.py) by relative weight, ``flat`` being the plain
    # colour above. Empty: nothing is drawn and the graph is exactly what it was without them.
    families: dict[str, float] = Field(default_factory=dict, description=_FAMILIES_DOC)

    @field_validator("families")
    @classmethod
    def _known_weights(cls, families: dict[str, float]) -> dict[str, float]:
        for name, weight in families.items():
            if name not in FAMILY_NAMES:
                raise ValueError(f"unknown family {name!r}; families: {', '.join(FAMILY_NAMES)}")
            if not math.isfinite(weight) or weight < 0:
                raise ValueError(f"{name}: weight {weight} must be finite and >= 0")
        if families and sum(families.values()) <= 0:
            raise ValueError("the weights are all 0: no family can be drawn")
        return families

    @model_serializer(mode="wrap")
    def _without_unset_families(self, handler):
        # Specs without families dump (and hash) exactly as they did before families existed.
        return without_defaults(self, handler(self), ("families",))


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
