"""Turn (spec, manifest, seed) into a concrete scene graph, with every draw from one generator.

The order of draws is fixed (surface and its pack material, objects and theirs,
placement, lights, camera, poster, background, then sensor effects), so the same inputs
always give byte-identical graphs; a spec without ``sensor`` draws nothing for it.
Distractors draw from a generator of their own. With ``camera.views`` > 1 the scene comes
from a generator shared by its views, and each view's camera and sensor from the image's.
Procedural materials (scenes/dressing.py), then privacy operators (scenes/privacy.py), are
drawn last, from generators of their own.
Assets excluded by an audit reject are removed from what may be sampled before any draw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulacra.assets_manifest import AssetRecord, Manifest
from simulacra.errors import AssetError, SpecError
from simulacra.randomize import (
    derive_seed,
    place_in_volume,
    place_on_grid,
    place_on_surface,
    random_rotation_deg,
    sample_lights,
    sample_material,
    sample_orbit_camera,
    sample_sensor,
)
from simulacra.randomize.privacy import PrivacyParams
from simulacra.scenes.background import hdri_pool, resolve_background
from simulacra.scenes.distractors import resolve_distractors
from simulacra.scenes.dressing import dress
from simulacra.scenes.environment import Support, resolve_environment
from simulacra.scenes.graph import ObjectNode, PackMaterialNode, PosterNode, SceneGraph, SurfaceNode
from simulacra.scenes.packs import asset_ref, draw_pack, pack_pool
from simulacra.scenes.privacy import plan_privacy
from simulacra.scenes.room import resolve_room
from simulacra.scenes.shapes import category_meshes, draw_shape
from simulacra.scenes.spec import SceneSpec

_SURFACE_THICKNESS = 0.04
_LOOK_AT_HEIGHT = 0.1  # metres above the table: objects low in frame, a poster behind in view
_SCENE_STREAM = 0x5CE7E << 20  # tags the scene seed of multi-view specs, apart from any image seed


def _mesh_pool(spec: SceneSpec, manifest: Manifest, exclude: frozenset[str]) -> list[AssetRecord]:
    meshes = category_meshes(manifest, spec.objects.meshes, spec.objects.categories, field="objects")
    pool = [r for r in meshes if r.id not in exclude]
    if not pool:
        raise AssetError("no mesh asset is left to sample: every candidate was excluded or filtered out")
    return pool


def _poster_pool(spec: SceneSpec, manifest: Manifest, exclude: frozenset[str]) -> list[AssetRecord]:
    textures = {
        r.id: r for r in manifest.of_kind("texture") if r.material is None
    }  # pack maps are not posters
    for index, asset_id in enumerate(spec.posters.assets):
        if asset_id not in textures:
            raise SpecError(f"posters.assets[{index}]: no texture asset {asset_id!r} in the manifest")
    ids = spec.posters.assets or tuple(textures)
    return [textures[i] for i in ids if i not in exclude]


def _footprint_radius(record: AssetRecord, scale: float) -> float:
    (x0, y0, _), (x1, y1, _) = record.bounds  # type: ignore[misc]
    return math.hypot(max(abs(x0), abs(x1)), max(abs(y0), abs(y1))) * scale


def _sphere_radius(record: AssetRecord, scale: float) -> float:
    corners = np.abs(np.asarray(record.bounds, dtype=float)).max(axis=0)  # type: ignore[arg-type]
    return float(np.linalg.norm(corners)) * scale


def _place_objects(
    spec: SceneSpec, drawn: list, supports: list[Support], *, rng: np.random.Generator
) -> list[ObjectNode]:
    """Object nodes on the supports, dealt out in turn; objects with no spot are left out."""
    objects: list[ObjectNode] = []
    for index, support in enumerate(supports):
        objects += _place_on_support(spec, drawn[index :: len(supports)], support, len(objects), rng=rng)
    return objects


def _place_on_support(
    spec: SceneSpec, drawn: list, support: Support, first_id: int, *, rng: np.random.Generator
) -> list[ObjectNode]:
    """Object nodes at the spots ``objects.placement`` draws on one support."""
    surface_size = support.size
    mode = spec.objects.placement
    tumbling = mode in ("in_volume", "physics_drop")
    if tumbling:
        spots = place_in_volume(
            [_sphere_radius(r, s) for r, s, *_ in drawn], surface_size, spec.objects.height_range, rng=rng
        )
    elif mode == "grid":
        radii = [_footprint_radius(r, s) for r, s, *_ in drawn]
        spots = place_on_grid(radii, surface_size, spec.objects.grid, spec.objects.grid_jitter, rng=rng)
    else:
        spots = place_on_surface([_footprint_radius(r, s) for r, s, *_ in drawn], surface_size, rng=rng)
    objects = []
    for (record, scale, material, texture, generated), spot in zip(drawn, spots, strict=True):
        if spot is None:
            continue
        rotation = None
        if tumbling:
            x, y, z = spot
            rotation = random_rotation_deg(rng=rng)
            yaw = rotation[2]
        else:
            x, y, yaw = spot
            z = round(0.0 - record.bounds[0][2] * scale, 6)  # type: ignore[index]  (lowest point to z = 0)
        location = (x, y, z) if support.centre == (0.0, 0.0, 0.0) else _offset((x, y, z), support.centre)
        objects.append(
            ObjectNode(
                instance_id=first_id + len(objects) + 1,
                asset=asset_ref(record),
                category=record.category or "",
                location=location,
                yaw_deg=yaw,
                scale=round(scale * record.unit_scale, 9),
                material=material,
                texture=texture,
                rotation_deg=rotation,
                generated=generated,
            )
        )
    return objects


def _offset(point: tuple[float, float, float], by: tuple[float, float, float]) -> tuple[float, float, float]:
    return (round(point[0] + by[0], 6), round(point[1] + by[1], 6), round(point[2] + by[2], 6))


def resolve(
    spec: SceneSpec,
    manifest: Manifest,
    *,
    job_seed: int,
    image_index: int,
    attempt: int = 0,
    exclude: frozenset[str] = frozenset(),
) -> SceneGraph:
    """Resolve one image's scene graph.

    Args:
        exclude: asset ids that must not appear (e.g. the ones an audit rejected).

    Raises:
        SpecError: the spec names a category or asset the manifest lacks.
        AssetError: exclusions leave nothing to sample.
    """
    views = spec.camera.views
    seed, scene_seed, rng, view_rng = _generators(spec, job_seed, image_index, attempt)
    _check_intrinsics(spec)
    pools = _Pools.of(spec, manifest, exclude)
    surface = SurfaceNode(
        size=(spec.surface.width_range.draw(rng=rng), spec.surface.depth_range.draw(rng=rng)),
        thickness=_SURFACE_THICKNESS,
        material=sample_material(spec.surface.material, rng=rng),
        texture=draw_pack(spec.surface.material, pools.surface_packs, rng=rng),
    )
    environment, supports = resolve_environment(spec.environment, surface.size, rng=rng)
    objects = _place_objects(spec, _draw_objects(spec, pools, rng=rng), supports, rng=rng)
    target = _look_at(objects, supports if environment is not None else None)
    lights = sample_lights(spec.lights, target, rng=rng)
    camera = sample_orbit_camera(spec.camera, target, rng=view_rng, resolution=spec.resolution)
    # A poster faces the camera; with several views, a direction drawn for the whole scene.
    facing = camera.azimuth_deg if views == 1 else spec.camera.azimuth_deg_range.draw(rng=rng)
    poster_nodes = _draw_posters(spec, pools.posters, target, facing, rng=rng)
    background = resolve_background(spec.background, pools.hdris, rng=rng)
    # Last, so a spec without ``sensor`` (or with it added) keeps every earlier draw.
    sensor = sample_sensor(spec.sensor, rng=view_rng) if spec.sensor is not None else ()
    # Clutter draws from a generator of its own: adding it moves nothing above.
    distractors = resolve_distractors(
        spec.distractors, manifest, exclude, objects, supports, scene_seed=scene_seed
    )
    room = resolve_room(spec.environment.room, surface, scene_seed=scene_seed)  # its own generator, too
    graph = SceneGraph(
        spec_name=spec.name,
        job_seed=job_seed,
        image_index=image_index,
        attempt=attempt,
        seed=seed,
        excluded_assets=tuple(sorted(exclude)),
        resolution=spec.resolution,
        samples=spec.samples,
        surface=surface,
        objects=tuple(objects),
        lights=lights,
        camera=camera,
        posters=poster_nodes,
        background=background,
        environment=environment,
        sensor=sensor or None,
        distractors=distractors,
        room=room,
        scene_index=image_index // views if views > 1 else None,
        view=image_index % views if views > 1 else None,
    )
    # Procedural materials, then privacy operators, draw from generators of their own: nothing above moves.
    graph = dress(graph, spec, scene_seed=scene_seed)
    return plan_privacy(graph, spec.privacy or PrivacyParams(), manifest, scene_seed=scene_seed)


def _check_intrinsics(spec: SceneSpec) -> None:
    """Intrinsics given as pixels must fit the spec's resolution; SpecError names the field."""
    if spec.camera.intrinsics is not None:
        try:
            spec.camera.intrinsics.check_image(spec.resolution)
        except ValueError as err:
            raise SpecError(f"camera.{err}") from None


def _generators(
    spec: SceneSpec, job_seed: int, image_index: int, attempt: int
) -> tuple[int, int, np.random.Generator, np.random.Generator]:
    """The image seed, the scene seed, and the generators of the scene and of its view.

    One view per scene: everything from the image's generator, as always. Several: the
    scene from a generator of (job seed, scene index, attempt), the camera and sensor
    from the image's own, so each image is still an independent work unit.
    """
    seed = derive_seed(job_seed, image_index, attempt)
    views = spec.camera.views
    scene_seed = seed if views == 1 else derive_seed(job_seed, image_index // views, attempt, _SCENE_STREAM)
    rng = np.random.default_rng(scene_seed)
    view_rng = rng if views == 1 else np.random.default_rng(seed)
    return seed, scene_seed, rng, view_rng


@dataclass(frozen=True)
class _Pools:
    """What the manifest (less the exclusions) offers each draw; built before any draw is made."""

    meshes: list[AssetRecord]
    posters: list[AssetRecord]
    hdris: list[AssetRecord]
    surface_packs: list[PackMaterialNode]
    object_packs: list[PackMaterialNode]

    @classmethod
    def of(cls, spec: SceneSpec, manifest: Manifest, exclude: frozenset[str]) -> _Pools:
        return cls(
            meshes=_mesh_pool(spec, manifest, exclude),
            posters=_poster_pool(spec, manifest, exclude),
            hdris=hdri_pool(spec.background, manifest, exclude),
            surface_packs=pack_pool(spec.surface.material, manifest, exclude, field="surface.material"),
            object_packs=pack_pool(spec.objects.material, manifest, exclude, field="objects.material"),
        )


def _draw_objects(spec: SceneSpec, pools: _Pools, *, rng: np.random.Generator) -> list[tuple]:
    """(mesh record, scale, material, texture, generated shape) of each object, before placement.

    A generator's record comes back with its drawn shape's bounds (the shape is drawn right
    after the record); a mesh file's record as it is, drawing nothing more.
    """
    drawn = []
    for _ in range(spec.objects.count_range.draw(rng=rng)):
        record, generated = draw_shape(pools.meshes[int(rng.integers(len(pools.meshes)))], rng=rng)
        scale = spec.objects.scale_range.draw(rng=rng)  # bounds are already in normalized units
        material = sample_material(spec.objects.material, rng=rng)
        texture = draw_pack(spec.objects.material, pools.object_packs, rng=rng)
        drawn.append((record, scale, material, texture, generated))
    return drawn


def _look_at(objects: list[ObjectNode], supports: list[Support] | None) -> tuple[float, float, float]:
    """The camera's and lights' target: the objects' centre, at the middle of the levels they stand on."""
    height = _LOOK_AT_HEIGHT
    if supports is not None:  # an environment: look at the middle of the levels objects stand on
        height = round(height + float(np.mean([s.centre[2] for s in supports])), 6)
    if not objects:
        return (0.0, 0.0, height)
    return (
        round(float(np.mean([o.location[0] for o in objects])), 6),
        round(float(np.mean([o.location[1] for o in objects])), 6),
        height,
    )


def _draw_posters(
    spec: SceneSpec,
    posters: list[AssetRecord],
    target: tuple[float, float, float],
    facing: float,
    *,
    rng: np.random.Generator,
) -> tuple[PosterNode, ...]:
    """At most one poster, behind the target and facing ``facing`` degrees of azimuth."""
    if not posters or rng.random() >= spec.posters.probability:
        return ()
    record = posters[int(rng.integers(len(posters)))]
    width = spec.posters.width_range.draw(rng=rng)
    distance = spec.posters.distance_range.draw(rng=rng)
    azimuth = math.radians(facing)
    location = (
        round(target[0] - math.sin(azimuth) * distance, 6),
        round(target[1] + math.cos(azimuth) * distance, 6),
        spec.posters.center_height_range.draw(rng=rng),
    )
    return (
        PosterNode(asset=asset_ref(record), location=location, yaw_deg=facing, width=width, height=width),
    )


def redraw_camera(spec: SceneSpec, graph: SceneGraph, redraw: int) -> SceneGraph:
    """The graph seen from camera draw number ``redraw`` (1, 2, ...), for the visibility rule.

    The draw comes from a generator derived from the image seed and ``redraw``, so the
    n-th redraw of an image is always the same camera; everything else stays as resolved.
    """
    rng = np.random.default_rng(derive_seed(graph.seed, redraw))
    camera = sample_orbit_camera(spec.camera, graph.camera.look_at, rng=rng, resolution=graph.resolution)
    return graph.model_copy(update={"camera": camera, "camera_redraws": redraw})
