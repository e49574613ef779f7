"""Shape generators' parameters: the numbers each procedural mesh category draws per object.

A generator (mug, bucket, tote, ...) is a frozen record of continuous shape values in
metres; :mod:`simulacra.assets_manifest.shapes` builds the mesh from it and draws nothing.
Each field's :class:`~simulacra.randomize.procedural.Span` annotation says how it is
drawn, so the record is its own schema, and fields are drawn in declaration order (one
generator value each): the same generator state always gives the same shape. The drawn
record goes into the object's graph node, so any image's meshes can be rebuilt exactly.
"""

from __future__ import annotations

import functools
import operator
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simulacra.randomize.distributions import uniform
from simulacra.randomize.procedural import Span


class _Shape(BaseModel):
    """Every generator bevels its edges by ``bevel`` metres (fillets in the outline, rounded box corners)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bevel: Annotated[float, Span(0.0015, 0.005)]


class Box(_Shape):
    """A carton or packet: a box with rounded edges."""

    generator: Literal["box"] = "box"
    width: Annotated[float, Span(0.06, 0.28)]
    depth: Annotated[float, Span(0.05, 0.2)]
    height: Annotated[float, Span(0.04, 0.22)]


class Can(_Shape):
    """A food can: a cylinder with a raised rim at top and bottom."""

    generator: Literal["can"] = "can"
    radius: Annotated[float, Span(0.025, 0.055)]
    height: Annotated[float, Span(0.06, 0.17)]
    rim: Annotated[float, Span(0.001, 0.003)]


class Ball(_Shape):
    """A ball, round to slightly squashed."""

    generator: Literal["ball"] = "ball"
    radius: Annotated[float, Span(0.03, 0.11)]
    squash: Annotated[float, Span(0.85, 1.0)]  # height over width


class Bottle(_Shape):
    """A bottle: body, a shoulder of ``shoulder`` metres, neck and lip."""

    generator: Literal["bottle"] = "bottle"
    radius: Annotated[float, Span(0.025, 0.048)]
    body_height: Annotated[float, Span(0.1, 0.22)]
    shoulder: Annotated[float, Span(0.02, 0.06)]
    neck_radius: Annotated[float, Span(0.009, 0.017)]
    neck_height: Annotated[float, Span(0.02, 0.07)]


class Mug(_Shape):
    """A mug: a hollow cylinder and a side handle (``handle`` of the height)."""

    generator: Literal["mug"] = "mug"
    radius: Annotated[float, Span(0.03, 0.055)]
    height: Annotated[float, Span(0.07, 0.12)]
    wall: Annotated[float, Span(0.003, 0.007)]
    handle: Annotated[float, Span(0.25, 0.4)]
    handle_thickness: Annotated[float, Span(0.005, 0.011)]


class Bowl(_Shape):
    """A bowl: a flaring wall on a foot of ``foot`` times the rim radius."""

    generator: Literal["bowl"] = "bowl"
    radius: Annotated[float, Span(0.05, 0.11)]
    foot: Annotated[float, Span(0.3, 0.55)]
    height: Annotated[float, Span(0.035, 0.08)]
    wall: Annotated[float, Span(0.003, 0.008)]


class Plate(_Shape):
    """A plate: a flat well of ``well`` times the radius and a raised rim."""

    generator: Literal["plate"] = "plate"
    radius: Annotated[float, Span(0.08, 0.14)]
    well: Annotated[float, Span(0.5, 0.75)]
    height: Annotated[float, Span(0.01, 0.025)]
    wall: Annotated[float, Span(0.003, 0.006)]


class Cup(_Shape):
    """A tumbler or paper cup: a hollow frustum, ``taper`` the bottom over the top radius."""

    generator: Literal["cup"] = "cup"
    radius: Annotated[float, Span(0.03, 0.046)]
    taper: Annotated[float, Span(0.6, 0.9)]
    height: Annotated[float, Span(0.07, 0.13)]
    wall: Annotated[float, Span(0.002, 0.005)]


class Vase(_Shape):
    """A vase: base, belly at ``belly_at`` of the height, neck and flared lip."""

    generator: Literal["vase"] = "vase"
    base: Annotated[float, Span(0.025, 0.04)]
    belly: Annotated[float, Span(0.045, 0.075)]
    belly_at: Annotated[float, Span(0.25, 0.55)]
    neck: Annotated[float, Span(0.015, 0.03)]
    height: Annotated[float, Span(0.15, 0.28)]


class Glass(_Shape):
    """A stemmed glass: foot, stem, bowl."""

    generator: Literal["glass"] = "glass"
    foot: Annotated[float, Span(0.028, 0.04)]
    stem: Annotated[float, Span(0.004, 0.007)]
    bowl: Annotated[float, Span(0.032, 0.046)]
    height: Annotated[float, Span(0.14, 0.21)]
    stem_share: Annotated[float, Span(0.3, 0.5)]  # of the height


class Book(_Shape):
    """A book: hard covers around a page block set back from the fore edge."""

    generator: Literal["book"] = "book"
    width: Annotated[float, Span(0.12, 0.18)]
    depth: Annotated[float, Span(0.17, 0.25)]
    thickness: Annotated[float, Span(0.012, 0.05)]
    cover: Annotated[float, Span(0.0015, 0.003)]


class Jar(_Shape):
    """A jar: a body and a wider, lower screw lid."""

    generator: Literal["jar"] = "jar"
    radius: Annotated[float, Span(0.03, 0.055)]
    height: Annotated[float, Span(0.06, 0.15)]
    lid_height: Annotated[float, Span(0.01, 0.025)]
    lid_overhang: Annotated[float, Span(0.001, 0.004)]


class Bucket(_Shape):
    """A bucket: a hollow frustum with a rolled rim and a wire handle over the top."""

    generator: Literal["bucket"] = "bucket"
    radius: Annotated[float, Span(0.09, 0.15)]
    taper: Annotated[float, Span(0.7, 0.9)]
    height: Annotated[float, Span(0.14, 0.26)]
    wall: Annotated[float, Span(0.003, 0.006)]
    wire: Annotated[float, Span(0.002, 0.004)]


class Flowerpot(_Shape):
    """A flowerpot: a tapered hollow body under a thick rim band."""

    generator: Literal["flowerpot"] = "flowerpot"
    radius: Annotated[float, Span(0.05, 0.11)]
    taper: Annotated[float, Span(0.6, 0.8)]
    height: Annotated[float, Span(0.06, 0.15)]
    rim_height: Annotated[float, Span(0.01, 0.025)]
    wall: Annotated[float, Span(0.005, 0.01)]


class Saucepan(_Shape):
    """A saucepan: a hollow cylinder and a long straight handle."""

    generator: Literal["saucepan"] = "saucepan"
    radius: Annotated[float, Span(0.06, 0.1)]
    height: Annotated[float, Span(0.05, 0.1)]
    wall: Annotated[float, Span(0.002, 0.004)]
    handle_length: Annotated[float, Span(0.1, 0.18)]
    handle_width: Annotated[float, Span(0.015, 0.025)]


class SprayCan(_Shape):
    """An aerosol can: a cylinder with a domed shoulder and a cap."""

    generator: Literal["spray_can"] = "spray_can"
    radius: Annotated[float, Span(0.022, 0.034)]
    height: Annotated[float, Span(0.11, 0.2)]
    dome: Annotated[float, Span(0.01, 0.025)]
    cap_height: Annotated[float, Span(0.02, 0.04)]


class TapeRoll(_Shape):
    """A roll of tape lying flat: a ring of ``core`` times the outer radius inside."""

    generator: Literal["tape_roll"] = "tape_roll"
    radius: Annotated[float, Span(0.04, 0.07)]
    core: Annotated[float, Span(0.55, 0.78)]
    width: Annotated[float, Span(0.018, 0.05)]


class Tote(_Shape):
    """A warehouse tote: an open box of five walls."""

    generator: Literal["tote"] = "tote"
    width: Annotated[float, Span(0.22, 0.4)]
    depth: Annotated[float, Span(0.16, 0.3)]
    height: Annotated[float, Span(0.08, 0.2)]
    wall: Annotated[float, Span(0.005, 0.012)]


class Drum(_Shape):
    """A drum: a cylinder with two rolling hoops of ``rib`` metres."""

    generator: Literal["drum"] = "drum"
    radius: Annotated[float, Span(0.07, 0.13)]
    height: Annotated[float, Span(0.16, 0.3)]
    rib: Annotated[float, Span(0.002, 0.006)]


class TrafficCone(_Shape):
    """A traffic cone: a square base plate and a cone."""

    generator: Literal["traffic_cone"] = "traffic_cone"
    base: Annotated[float, Span(0.08, 0.14)]  # half the base plate's side
    height: Annotated[float, Span(0.2, 0.34)]
    top: Annotated[float, Span(0.008, 0.018)]
    plate: Annotated[float, Span(0.008, 0.015)]


class Pipe(_Shape):
    """A length of pipe lying on its side; ``bore`` is the inner over the outer radius."""

    generator: Literal["pipe"] = "pipe"
    radius: Annotated[float, Span(0.012, 0.04)]
    bore: Annotated[float, Span(0.6, 0.85)]
    length: Annotated[float, Span(0.1, 0.3)]


class Spool(_Shape):
    """A cable spool standing on end: two flanges and a core of ``core`` times their radius."""

    generator: Literal["spool"] = "spool"
    radius: Annotated[float, Span(0.04, 0.09)]
    core: Annotated[float, Span(0.35, 0.65)]
    height: Annotated[float, Span(0.05, 0.12)]
    flange: Annotated[float, Span(0.004, 0.01)]


_MODELS = (Box, Can, Ball, Bottle, Mug, Bowl, Plate, Cup, Vase, Glass, Book, Jar, Bucket, Flowerpot)
_MODELS += (Saucepan, SprayCan, TapeRoll, Tote, Drum, TrafficCone, Pipe, Spool)
SHAPES: dict[str, type[_Shape]] = {model.model_fields["generator"].default: model for model in _MODELS}

# One record of any generator, told apart by ``generator`` (the graph's JSON carries it).
ShapeParams = Annotated[functools.reduce(operator.or_, _MODELS), Field(discriminator="generator")]


def _span(model: type[_Shape], name: str) -> Span:
    return next(m for m in model.model_fields[name].metadata if isinstance(m, Span))


def drawn_shape_fields(model: type[_Shape]) -> tuple[str, ...]:
    """The fields a generator draws, in draw order (every field but ``generator``)."""
    return tuple(name for name in model.model_fields if name != "generator")


def sample_shape(name: str, *, rng: np.random.Generator) -> ShapeParams:
    """Draw every value of generator ``name`` from ``rng``, in declaration order."""
    model = SHAPES[name]
    span = functools.partial(_span, model)
    return model(
        **{
            field: uniform((span(field).low, span(field).high), rng=rng)
            for field in drawn_shape_fields(model)
        }
    )


def middle_shape(name: str) -> ShapeParams:
    """Generator ``name`` at the middle of every range: the library's representative mesh."""
    model = SHAPES[name]
    values = {
        field: round((_span(model, field).low + _span(model, field).high) / 2, 6)
        for field in drawn_shape_fields(model)
    }
    return model(**values)


def describe_shapes() -> str:
    """One line per generator and what it draws: the text ``simulacra schema scene`` shows."""
    low, high = _span(_Shape, "bevel").low, _span(_Shape, "bevel").high
    lines = [f"every generator first draws bevel [{low:g}, {high:g}] (edge rounding, metres)"]
    for name, model in SHAPES.items():
        fields = ", ".join(
            f"{field} {_span(model, field).describe()}" for field in drawn_shape_fields(model)[1:]
        )
        lines.append(f"{name}: {model.__doc__.splitlines()[0]} Draws {fields}; lengths in metres.")  # type: ignore[union-attr]
    return "\n".join(lines)
