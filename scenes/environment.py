"""Fixtures around the objects (an open bin, shelves) resolved into unlabeled boxes.

Each fixture also says where objects go: a list of supports, flat rectangles objects
stand on or float over. A bare table is one support, the whole surface, and draws
nothing, so table scenes keep the graphs they had before fixtures existed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulacra.randomize import Material, sample_material
from simulacra.scenes.graph import BoxNode, Vec3
from simulacra.scenes.spec import EnvironmentSpec


@dataclass(frozen=True)
class Support:
    """A level rectangle objects are placed on: its centre (top face) and its size in x, y."""

    centre: Vec3
    size: tuple[float, float]


def box_node(location: Vec3, size: Vec3, material: Material) -> BoxNode:
    """An unlabeled box, its centre and size rounded like every drawn value."""
    return BoxNode(
        location=tuple(round(v, 6) for v in location),  # type: ignore[arg-type]
        size=tuple(round(v, 6) for v in size),  # type: ignore[arg-type]
        material=material,
    )


def _bin(width: float, depth: float, height: float, t: float, material: Material) -> list[BoxNode]:
    """Four walls standing on the table around a width x depth floor."""
    z = height / 2
    return [
        box_node((0.0, -(depth + t) / 2, z), (width + 2 * t, t, height), material),
        box_node((0.0, (depth + t) / 2, z), (width + 2 * t, t, height), material),
        box_node((-(width + t) / 2, 0.0, z), (t, depth, height), material),
        box_node(((width + t) / 2, 0.0, z), (t, depth, height), material),
    ]


def _shelves(
    width: float, depth: float, spacing: float, levels: int, t: float, material: Material
) -> list[BoxNode]:
    """Boards at each level and on top, two sides and a back (at +y, away from the camera)."""
    top = levels * spacing + t
    boxes = [
        box_node((0.0, 0.0, i * spacing + t / 2), (width, depth, t), material) for i in range(levels + 1)
    ]
    boxes += [
        box_node((-(width + t) / 2, 0.0, top / 2), (t, depth, top), material),
        box_node(((width + t) / 2, 0.0, top / 2), (t, depth, top), material),
        box_node((0.0, (depth + t) / 2, top / 2), (width + 2 * t, t, top), material),
    ]
    return boxes


def resolve_environment(
    spec: EnvironmentSpec, surface_size: tuple[float, float], *, rng: np.random.Generator
) -> tuple[tuple[BoxNode, ...] | None, list[Support]]:
    """The fixture's boxes (None for a bare table) and the supports objects are placed on."""
    if spec.kind == "table":
        return None, [Support((0.0, 0.0, 0.0), surface_size)]
    width, depth = spec.width_range.draw(rng=rng), spec.depth_range.draw(rng=rng)
    height, t = spec.height_range.draw(rng=rng), spec.thickness
    material = sample_material(spec.material, rng=rng)
    if spec.kind == "bin":
        return tuple(_bin(width, depth, height, t, material)), [Support((0.0, 0.0, 0.0), (width, depth))]
    levels = spec.levels_range.draw(rng=rng)
    supports = [Support((0.0, 0.0, round(i * height + t, 6)), (width, depth)) for i in range(levels)]
    return tuple(_shelves(width, depth, height, levels, t, material)), supports
