"""Unlabeled clutter (``distractors``) resolved into graph nodes, from a generator of its own.

Distractors draw from a generator derived from the scene seed, so adding them to a
spec moves none of the scene's other draws, and every view of a scene gets the same
clutter. They stand clear of the labeled objects' footprints (plan view), are dealt to
the supports in turn like the objects, and are rendered as unlabeled geometry: they
occlude and cast shadows but never get an instance id, a class or an annotation.
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.assets_manifest import AssetRecord, Manifest
from simulacra.errors import AssetError
from simulacra.randomize import Material, derive_seed, random_rotation_deg, sample_material, uniform
from simulacra.randomize.distractors import Disc, place_clear_of
from simulacra.randomize.shapes import ShapeParams
from simulacra.scenes.environment import Support
from simulacra.scenes.graph import DistractorNode, ObjectNode, PackMaterialNode
from simulacra.scenes.packs import asset_ref, draw_pack, pack_pool
from simulacra.scenes.shapes import category_meshes, draw_shape, node_bounds
from simulacra.scenes.spec import DistractorsSpec

_DISTRACTOR_STREAM = 0xD157 << 20  # far above any camera redraw number and the other streams
_PRIMITIVE_HALF_SIZE = 0.05  # metres at scale 1: a primitive spans -1..1, so about 10 cm across
_PRIMITIVE_BOUNDS = ((-1.0, -1.0, -1.0), (1.0, 1.0, 1.0))

Item = AssetRecord | str  # a manifest mesh or a primitive shape name


def distractor_pool(spec: DistractorsSpec, manifest: Manifest, exclude: frozenset[str]) -> list[Item]:
    """Meshes of ``spec.categories`` (after exclusions), then the primitive shapes."""
    if spec.categories:
        meshes = category_meshes(manifest, spec.meshes, spec.categories, field="distractors")
    else:
        meshes = []  # no categories: primitives only (not every mesh, as for objects)
    pool: list[Item] = [r for r in meshes if r.id not in exclude]
    pool += list(spec.shapes)
    if not pool:
        raise AssetError("no distractor is left to sample: every mesh was excluded and no shapes are given")
    return pool


def _bounds(item: Item) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    return _PRIMITIVE_BOUNDS if isinstance(item, str) else item.bounds  # type: ignore[return-value]


def _radii(bounds, scale: float) -> tuple[float, float]:
    """Horizontal footprint radius and bounding-sphere radius of ``bounds`` at ``scale``."""
    corner = np.abs(np.asarray(bounds, dtype=float)).max(axis=0)
    return math.hypot(corner[0], corner[1]) * scale, float(np.linalg.norm(corner)) * scale


def _object_disc(node: ObjectNode, manifest: Manifest) -> Disc:
    """A labeled object's plan-view disc: its footprint, or its bounding sphere when tumbling."""
    record = manifest.get(node.asset.id)
    footprint, sphere = _radii(node_bounds(record, node.generated), node.scale / record.unit_scale)
    return (node.location[0], node.location[1]), sphere if node.rotation_deg is not None else footprint


def resolve_distractors(
    spec: DistractorsSpec | None,
    manifest: Manifest,
    exclude: frozenset[str],
    objects: list[ObjectNode],
    supports: list[Support],
    *,
    scene_seed: int,
) -> tuple[DistractorNode, ...] | None:
    """The scene's clutter (None when the spec has no ``distractors``); ones with no room are left out."""
    if spec is None:
        return None
    pool = distractor_pool(spec, manifest, exclude)
    packs = pack_pool(spec.material, manifest, exclude, field="distractors.material")
    rng = np.random.default_rng(derive_seed(scene_seed, _DISTRACTOR_STREAM))
    occupied = [_object_disc(node, manifest) for node in objects]
    nodes = []
    for index in range(spec.count_range.draw(rng=rng)):
        item, generated = _drawn(pool[int(rng.integers(len(pool)))], rng=rng)
        scale = spec.scale_range.draw(rng=rng)
        material = sample_material(spec.material, rng=rng)
        texture = draw_pack(spec.material, packs, rng=rng)
        support = supports[index % len(supports)]
        node = _place(spec, item, scale, material, texture, support, occupied, rng=rng)
        if node is not None:
            nodes.append(node if generated is None else node.model_copy(update={"generated": generated}))
    return tuple(nodes)


def _drawn(item: Item, *, rng: np.random.Generator) -> tuple[Item, ShapeParams | None]:
    """A primitive as it is; a mesh record through :func:`draw_shape` (a generator draws its shape)."""
    return (item, None) if isinstance(item, str) else draw_shape(item, rng=rng)


def _place(
    spec: DistractorsSpec,
    item: Item,
    scale: float,
    material: Material,
    texture: PackMaterialNode | None,
    support: Support,
    occupied: list[Disc],
    *,
    rng: np.random.Generator,
) -> DistractorNode | None:
    """One distractor on ``support`` clear of ``occupied``, upright or floating; None without room."""
    if isinstance(item, str):
        scale = round(scale * _PRIMITIVE_HALF_SIZE, 9)
        blender_scale = scale
    else:
        blender_scale = round(scale * item.unit_scale, 9)
    bounds = _bounds(item)
    footprint, sphere = _radii(bounds, scale)
    floating = spec.placement == "in_volume"
    spot = place_clear_of(
        sphere if floating else footprint, support.centre[:2], support.size, occupied, rng=rng
    )
    if spot is None:
        return None
    rotation = None
    if floating:
        z = round(support.centre[2] + sphere + spec.height_range.draw(rng=rng), 6)
        rotation = random_rotation_deg(rng=rng)
        yaw = rotation[2]
    else:
        z = round(support.centre[2] - bounds[0][2] * scale, 6)  # lowest point on the support
        yaw = uniform((0.0, 360.0), rng=rng)
    return DistractorNode(
        asset=None if isinstance(item, str) else asset_ref(item),
        shape=item if isinstance(item, str) else None,
        location=(spot[0], spot[1], z),
        yaw_deg=yaw,
        scale=blender_scale,
        material=material,
        texture=texture,
        rotation_deg=rotation,
    )
