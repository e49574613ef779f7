"""A room around the table (``environment.room``), resolved from a generator of its own.

The room draws from a generator derived from the scene seed, so adding one moves none of
the scene's other draws (the same table, objects, lights and camera, now indoors), and
every view of a scene stands in the same room. Everything is axis-aligned boxes: a floor,
a ceiling, four walls split around their window openings, the table's legs and furniture
against the walls. Its lamps are ordinary lights recorded in the room node.
"""

from __future__ import annotations

import numpy as np

from simulacra.randomize import Light, derive_seed, sample_material, temperature_to_rgb, uniform
from simulacra.scenes.environment import box_node
from simulacra.scenes.graph import BoxNode, RoomNode, SurfaceNode
from simulacra.scenes.spec import RoomSpec

_ROOM_STREAM = 0x4003 << 20  # apart from the camera redraws and the other streams
WALL = 0.1  # wall, floor and ceiling thickness, metres
LEG = 0.05  # table leg side, metres
_MARGIN = 0.2  # window edges and furniture stay this far from a wall's ends
# Walls by (axis the wall runs along, which side): front (-y, behind the camera), back, left, right.
_WALLS = (("x", -1), ("x", 1), ("y", -1), ("y", 1))


def resolve_room(spec: RoomSpec | None, surface: SurfaceNode, *, scene_seed: int) -> RoomNode | None:
    """The room around ``surface`` (None without ``environment.room``)."""
    if spec is None:
        return None
    rng = np.random.default_rng(derive_seed(scene_seed, _ROOM_STREAM))
    size = (spec.width_range.draw(rng=rng), spec.depth_range.draw(rng=rng), spec.height_range.draw(rng=rng))
    floor_z = -spec.table_height_range.draw(rng=rng)
    materials = {
        part: sample_material(getattr(spec, part), rng=rng) for part in ("floor", "walls", "ceiling")
    }
    width, depth, height = size
    floor = box_node((0.0, 0.0, floor_z - WALL / 2), (width, depth, WALL), materials["floor"])
    ceiling = box_node((0.0, 0.0, floor_z + height + WALL / 2), (width, depth, WALL), materials["ceiling"])
    walls = _walls(spec, size, floor_z, materials["walls"], rng=rng)
    return RoomNode(
        floor_z=floor_z,
        size=size,
        floor=floor,
        ceiling=ceiling,
        walls=walls,
        legs=_legs(surface, floor_z),
        furniture=_furniture(spec, size, floor_z, rng=rng),
        lights=_lamps(spec, size, floor_z, rng=rng),
    )


def _walls(
    spec: RoomSpec, size, floor_z: float, material, *, rng: np.random.Generator
) -> tuple[BoxNode, ...]:
    """Four walls; ``windows_range`` of them (drawn in turn, never the front) get one opening."""
    width, depth, height = size
    windows = spec.windows_range.draw(rng=rng)
    with_window = {1 + int(i) for i in rng.permutation(3)[:windows]}  # back, left, right
    boxes: list[BoxNode] = []
    for index, (axis, side) in enumerate(_WALLS):
        length = width if axis == "x" else depth
        offset = side * ((depth if axis == "x" else width) + WALL) / 2
        opening = _opening(spec, length, height, rng=rng) if index in with_window else None
        for along, up, run, rise in _pieces(length + 2 * WALL, height, opening):
            centre = (along, offset) if axis == "x" else (offset, along)
            extent = (run, WALL) if axis == "x" else (WALL, run)
            boxes.append(box_node((*centre, floor_z + up), (*extent, rise), material))
    return tuple(boxes)


def _opening(spec: RoomSpec, length: float, height: float, *, rng: np.random.Generator):
    """(centre along the wall, sill height, width, height) of one window that fits the wall."""
    window_width = min(spec.window_width_range.draw(rng=rng), length - 2 * _MARGIN)
    window_height = spec.window_height_range.draw(rng=rng)
    sill = min(spec.sill_height_range.draw(rng=rng), height - _MARGIN - window_height)
    window_height = min(window_height, height - _MARGIN - max(sill, 0.0))
    free = length / 2 - _MARGIN - window_width / 2
    return uniform((-free, free), rng=rng), max(sill, 0.0), window_width, window_height


def _pieces(length: float, height: float, opening) -> list[tuple[float, float, float, float]]:
    """(centre along, centre height, run, rise) of a wall's boxes: one, or four around an opening."""
    if opening is None:
        return [(0.0, height / 2, length, height)]
    centre, sill, run, rise = opening
    left, right = centre - run / 2, centre + run / 2
    top = sill + rise
    pieces = [
        ((-length / 2 + left) / 2, height / 2, left + length / 2, height),
        ((right + length / 2) / 2, height / 2, length / 2 - right, height),
        (centre, sill / 2, run, sill),
        (centre, (top + height) / 2, run, height - top),
    ]
    return [piece for piece in pieces if piece[2] > 1e-6 and piece[3] > 1e-6]


def _legs(surface: SurfaceNode, floor_z: float) -> tuple[BoxNode, ...]:
    """Four legs under the table top's corners, down to the floor, in the table's material."""
    half_w, half_d = surface.size[0] / 2 - LEG, surface.size[1] / 2 - LEG
    bottom, top = floor_z, -surface.thickness
    return tuple(
        box_node((x, y, (bottom + top) / 2), (LEG, LEG, top - bottom), surface.material)
        for x in (-half_w, half_w)
        for y in (-half_d, half_d)
    )


def _furniture(spec: RoomSpec, size, floor_z: float, *, rng: np.random.Generator) -> tuple[BoxNode, ...]:
    """Boxes standing on the floor against the back and side walls, one wall each."""
    width, depth, _ = size
    pieces = []
    for index in rng.permutation(3)[: spec.furniture_range.draw(rng=rng)]:
        axis, side = _WALLS[1 + int(index)]
        run = spec.furniture_width_range.draw(rng=rng)
        deep = spec.furniture_depth_range.draw(rng=rng)
        rise = spec.furniture_height_range.draw(rng=rng)
        length = width if axis == "x" else depth
        run = min(run, length - 2 * _MARGIN)
        free = length / 2 - _MARGIN - run / 2
        along = uniform((-free, free), rng=rng)
        across = side * ((depth if axis == "x" else width) / 2 - deep / 2)
        centre = (along, across) if axis == "x" else (across, along)
        extent = (run, deep) if axis == "x" else (deep, run)
        pieces.append(
            box_node((*centre, floor_z + rise / 2), (*extent, rise), sample_material(spec.furniture, rng=rng))
        )
    return tuple(pieces)


def _lamps(spec: RoomSpec, size, floor_z: float, *, rng: np.random.Generator) -> tuple[Light, ...]:
    """Area lights just under the ceiling, shining down, and maybe a warm lamp near a corner."""
    width, depth, height = size
    lights = []
    for _ in range(spec.ceiling_lights_range.draw(rng=rng)):
        x, y = uniform((-width / 4, width / 4), rng=rng), uniform((-depth / 4, depth / 4), rng=rng)
        kelvin = uniform((3500.0, 6000.0), rng=rng)
        lights.append(
            Light(
                kind="AREA",
                location=(x, y, round(floor_z + height - 0.05, 6)),
                energy=spec.ceiling_energy_range.draw(rng=rng),
                color=temperature_to_rgb(kelvin),
                temperature_k=kelvin,
                rotation_deg=(0.0, 0.0, 0.0),  # an area light shines along its -z: down
                size=0.6,
            )
        )
    if rng.random() < spec.lamp_probability:
        corner_x, corner_y = (float(rng.choice((-1.0, 1.0))) for _ in range(2))
        kelvin = uniform((2700.0, 3300.0), rng=rng)
        location = (corner_x * (width / 2 - 0.4), corner_y * (depth / 2 - 0.4), round(floor_z + 1.5, 6))
        lights.append(
            Light(
                location=tuple(round(v, 6) for v in location),
                energy=spec.lamp_energy_range.draw(rng=rng),
                color=temperature_to_rgb(kelvin),
                temperature_k=kelvin,
            )
        )
    return tuple(lights)
