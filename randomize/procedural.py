"""Procedural material families: the values each one draws, and the seeded draw itself.

A family (wood, marble, brushed metal, ...) is a frozen record of the numbers that
Blender's shader nodes need; ``render/procedural.py`` builds the nodes from it and draws
nothing. Each field's annotation says how it is drawn, so the record is its own schema:
:class:`Span` is a uniform draw, :class:`Hsv` a colour from the family's own palette
(wood is brown whatever the spec's hues), :class:`Tint` the role's sampled colour
(``objects.material`` and friends), optionally darkened. Fields are drawn in declaration
order, a fixed number of generator values each, so the same generator state always
gives the same record. Spatial values are in metres: the renderer samples every pattern
at world position, so a plank's rings are as wide on a mug as on the table.
"""

from __future__ import annotations

import colorsys
import functools
import operator
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simulacra.randomize.distributions import uniform

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Span:
    """A uniform draw from [low, high] (one generator value)."""

    low: float
    high: float

    def describe(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Hsv:
    """A colour of the family's own palette: hue, saturation and value drawn in turn (three values)."""

    hue: tuple[float, float]
    saturation: tuple[float, float]
    value: tuple[float, float]

    def describe(self) -> str:
        return f"colour, hue {list(self.hue)} saturation {list(self.saturation)} value {list(self.value)}"


@dataclass(frozen=True)
class Tint:
    """The role's sampled base colour with its value scaled by a draw from ``value`` (one value)."""

    value: tuple[float, float] = (1.0, 1.0)

    def describe(self) -> str:
        scale = "" if self.value == (1.0, 1.0) else f", value x {list(self.value)}"
        return f"the role's colour{scale}"


class _Family(BaseModel):
    """Fields every family draws first: how far its pattern is shifted in noise space, how it is turned."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    w: Annotated[float, Span(0.0, 100.0)]
    yaw_deg: Annotated[float, Span(0.0, 360.0)]


class Wood(_Family):
    """Wood: growth rings around the grain axis, fine grain streaks, dark knots."""

    family: Literal["wood"] = "wood"
    light: Annotated[RGB, Hsv((0.05, 0.1), (0.35, 0.7), (0.4, 0.8))]
    darkness: Annotated[float, Span(0.35, 0.7)]  # value of the late wood against ``light``
    ring_scale: Annotated[float, Span(25.0, 80.0)]  # rings per 0.3 m
    ring_distortion: Annotated[float, Span(1.0, 6.0)]
    grain_scale: Annotated[float, Span(150.0, 400.0)]
    knots: Annotated[float, Span(0.0, 1.0)]  # 0: clear wood, 1: many knots
    roughness: Annotated[float, Span(0.35, 0.75)]


class Marble(_Family):
    """Marble and stone: veins through a pale ground, speckled like granite as ``speckle`` grows."""

    family: Literal["marble"] = "marble"
    ground: Annotated[RGB, Hsv((0.0, 1.0), (0.0, 0.15), (0.55, 0.95))]
    vein: Annotated[RGB, Hsv((0.0, 1.0), (0.0, 0.4), (0.05, 0.45))]
    vein_scale: Annotated[float, Span(1.5, 6.0)]
    vein_width: Annotated[float, Span(0.02, 0.12)]
    distortion: Annotated[float, Span(4.0, 12.0)]
    speckle: Annotated[float, Span(0.0, 1.0)]
    roughness: Annotated[float, Span(0.05, 0.35)]


class Concrete(_Family):
    """Concrete and plaster: a grey ground, large stains, fine grit and pits in the bump."""

    family: Literal["concrete"] = "concrete"
    ground: Annotated[RGB, Hsv((0.05, 0.15), (0.0, 0.12), (0.35, 0.8))]
    stain: Annotated[float, Span(0.1, 0.4)]  # how much darker the stains are
    stain_scale: Annotated[float, Span(1.0, 5.0)]
    grit_scale: Annotated[float, Span(150.0, 500.0)]
    pits: Annotated[float, Span(0.0, 1.0)]
    bump: Annotated[float, Span(0.1, 0.5)]
    roughness: Annotated[float, Span(0.75, 0.98)]


class BrushedMetal(_Family):
    """Brushed and scratched metal: streaks along one direction, random scratches in the roughness."""

    family: Literal["brushed_metal"] = "brushed_metal"
    color: Annotated[RGB, Hsv((0.05, 0.12), (0.0, 0.5), (0.55, 0.95))]  # steel, aluminium to brass
    roughness: Annotated[float, Span(0.15, 0.45)]
    brush_scale: Annotated[float, Span(300.0, 900.0)]
    anisotropy: Annotated[float, Span(0.3, 0.9)]
    scratches: Annotated[float, Span(0.0, 1.0)]
    scratch_scale: Annotated[float, Span(3.0, 12.0)]


class PaintedMetal(_Family):
    """Painted metal: the role's colour as paint, chipped to bare metal, with a fine orange peel."""

    family: Literal["painted_metal"] = "painted_metal"
    paint: Annotated[RGB, Tint()]
    chips: Annotated[float, Span(0.0, 0.35)]  # share of the surface chipped
    chip_scale: Annotated[float, Span(5.0, 20.0)]
    peel: Annotated[float, Span(0.02, 0.15)]  # orange-peel bump strength
    roughness: Annotated[float, Span(0.2, 0.55)]


class Plastic(_Family):
    """Plastic, glossy to matte (``roughness``), with fine noise in colour and surface."""

    family: Literal["plastic"] = "plastic"
    color: Annotated[RGB, Tint()]
    roughness: Annotated[float, Span(0.05, 0.7)]
    noise_scale: Annotated[float, Span(200.0, 800.0)]
    noise: Annotated[float, Span(0.0, 0.08)]  # colour variation
    bump: Annotated[float, Span(0.0, 0.05)]
    coat: Annotated[float, Span(0.0, 0.6)]


class Rubber(_Family):
    """Rubber: a dark, rough, faintly sheened version of the role's colour, with a fine grain."""

    family: Literal["rubber"] = "rubber"
    color: Annotated[RGB, Tint((0.1, 0.45))]
    roughness: Annotated[float, Span(0.65, 0.95)]
    grain_scale: Annotated[float, Span(300.0, 1200.0)]
    bump: Annotated[float, Span(0.05, 0.25)]
    sheen: Annotated[float, Span(0.0, 0.4)]


class Fabric(_Family):
    """Woven fabric: warp and weft threads of the role's colour crossing, with sheen and fuzz."""

    family: Literal["fabric"] = "fabric"
    color: Annotated[RGB, Tint()]
    threads: Annotated[float, Span(25.0, 120.0)]  # weave scale
    contrast: Annotated[float, Span(0.15, 0.5)]  # how dark the hidden thread is
    sheen: Annotated[float, Span(0.3, 1.0)]
    fuzz: Annotated[float, Span(0.0, 0.3)]
    roughness: Annotated[float, Span(0.75, 1.0)]


class Leather(_Family):
    """Leather: the role's colour darkened, pebbled by a cellular grain, creased by large noise."""

    family: Literal["leather"] = "leather"
    color: Annotated[RGB, Tint((0.35, 0.8))]
    grain_scale: Annotated[float, Span(150.0, 500.0)]
    bump: Annotated[float, Span(0.1, 0.4)]
    creases: Annotated[float, Span(0.0, 0.3)]
    roughness: Annotated[float, Span(0.35, 0.7)]


class Ceramic(_Family):
    """Glazed ceramic: the role's colour under a glossy coat, glaze pooling and faint crackle."""

    family: Literal["ceramic"] = "ceramic"
    color: Annotated[RGB, Tint()]
    roughness: Annotated[float, Span(0.02, 0.2)]
    pooling: Annotated[float, Span(0.0, 0.25)]  # darker glaze where it pooled
    crackle: Annotated[float, Span(0.0, 1.0)]
    crackle_scale: Annotated[float, Span(20.0, 80.0)]


class Paper(_Family):
    """Paper and cardboard: fibrous stock (white to kraft) with print-like patches of ink and stripes."""

    family: Literal["paper"] = "paper"
    stock: Annotated[RGB, Hsv((0.07, 0.11), (0.0, 0.55), (0.45, 0.95))]
    ink: Annotated[RGB, Tint()]
    coverage: Annotated[float, Span(0.0, 0.6)]  # share of patch cells printed
    patch_scale: Annotated[float, Span(4.0, 15.0)]
    stripe_scale: Annotated[float, Span(20.0, 80.0)]
    fibre_scale: Annotated[float, Span(200.0, 700.0)]
    roughness: Annotated[float, Span(0.7, 0.95)]


class Glass(_Family):
    """Glass: clear to tinted transmission, smooth or frosted."""

    family: Literal["glass"] = "glass"
    tint: Annotated[RGB, Hsv((0.0, 1.0), (0.0, 0.25), (0.85, 1.0))]
    ior: Annotated[float, Span(1.44, 1.56)]
    roughness: Annotated[float, Span(0.0, 0.2)]


class Liquid(_Family):
    """Translucent liquid: the role's colour absorbed through the volume, a smooth surface."""

    family: Literal["liquid"] = "liquid"
    color: Annotated[RGB, Tint()]
    density: Annotated[float, Span(2.0, 30.0)]  # absorption per metre
    ior: Annotated[float, Span(1.33, 1.4)]


_MODELS = (Wood, Marble, Concrete, BrushedMetal, PaintedMetal, Plastic, Rubber)
_MODELS += (Fabric, Leather, Ceramic, Paper, Glass, Liquid)
FAMILIES: dict[str, type[_Family]] = {model.model_fields["family"].default: model for model in _MODELS}
FLAT = "flat"  # today's plain Principled colour: the family a spec may mix in by weight
FAMILY_NAMES = (FLAT, *FAMILIES)

# One record of any family, told apart by ``family`` (the graph's JSON carries it).
ProceduralMaterial = Annotated[functools.reduce(operator.or_, _MODELS), Field(discriminator="family")]


def _rgb(hue: float, saturation: float, value: float) -> RGB:
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return (round(red, 6), round(green, 6), round(blue, 6))


def _draw(rule: Span | Hsv | Tint, base: RGB, rng: np.random.Generator) -> float | RGB:
    if isinstance(rule, Span):
        return uniform((rule.low, rule.high), rng=rng)
    if isinstance(rule, Hsv):
        return _rgb(*(uniform(pair, rng=rng) for pair in (rule.hue, rule.saturation, rule.value)))
    hue, saturation, value = colorsys.rgb_to_hsv(*base)
    return _rgb(hue, saturation, min(1.0, value * uniform(rule.value, rng=rng)))


def _rule(model: type[_Family], name: str) -> Span | Hsv | Tint:
    return next(m for m in model.model_fields[name].metadata if isinstance(m, Span | Hsv | Tint))


def drawn_fields(model: type[_Family]) -> tuple[str, ...]:
    """The fields a family draws, in draw order (every field but ``family``)."""
    return tuple(name for name in model.model_fields if name != "family")


def sample_family(name: str, base: RGB, *, rng: np.random.Generator) -> ProceduralMaterial:
    """Draw every value of family ``name``; ``base`` is the role's sampled base colour (for tints)."""
    model = FAMILIES[name]
    return model(**{field: _draw(_rule(model, field), base, rng) for field in drawn_fields(model)})


def sample_procedural(
    families: dict[str, float], base: RGB, *, rng: np.random.Generator
) -> ProceduralMaterial | None:
    """A family drawn by weight, then its values; None for ``flat``. No families: draws nothing.

    Weights are taken in :data:`FAMILY_NAMES` order, whatever order the spec lists them in.
    """
    if not families:
        return None
    names = [name for name in FAMILY_NAMES if name in families]
    weights = np.asarray([families[name] for name in names], dtype=float)
    name = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    return None if name == FLAT else sample_family(name, base, rng=rng)


def family_colours(record: _Family) -> tuple[str, ...]:
    """The names of a record's colour fields (what a privacy hue shift moves)."""
    model = type(record)
    return tuple(name for name in drawn_fields(model) if isinstance(_rule(model, name), Hsv | Tint))


def describe_families() -> str:
    """One line per family and what it draws: the text ``simulacra schema scene`` shows."""
    lines = [f"{FLAT}: the plain sampled colour, roughness and metallic (as without families)"]
    for name, model in FAMILIES.items():
        fields = ", ".join(f"{field} {_rule(model, field).describe()}" for field in drawn_fields(model)[2:])
        lines.append(f"{name}: {model.__doc__.splitlines()[0]} Draws {fields}.")  # type: ignore[union-attr]
    return "\n".join(lines)
