"""Turn (spec, manifest, seed) into a concrete scene graph, with every draw from one generator.

The order of draws is fixed (surface and its pack material, objects and theirs,
placement, lights, camera, poster, background), so the same inputs always give
byte-identical graphs. Assets excluded by an audit reject are removed from what may be
sampled before any draw.
"""

from __future__ import annotations

import math

import numpy as np

from simulacra.assets_manifest import AssetRecord, Manifest
from simulacra.errors import AssetError, SpecError
from simulacra.randomize import (
    derive_seed,
    place_on_surface,
    sample_lights,
    sample_material,
    sample_orbit_camera,
)
from simulacra.scenes.graph import BackgroundNode, ObjectNode, PosterNode, SceneGraph, SurfaceNode
from simulacra.scenes.packs import asset_ref, draw_pack, pack_pool
from simulacra.scenes.spec import SceneSpec

_SURFACE_THICKNESS = 0.04
_LOOK_AT_HEIGHT = 0.1  # metres above the table: objects low in frame, a poster behind in view


def _mesh_pool(spec: SceneSpec, manifest: Manifest, exclude: frozenset[str]) -> list[AssetRecord]:
    meshes = [r for r in manifest.of_kind("mesh") if r.category and r.bounds]
    known = {r.category for r in meshes}
    for index, category in enumerate(spec.objects.categories):
        if category not in known:
            raise SpecError(f"objects.categories[{index}]: no mesh of category {category!r} in the manifest")
    wanted = set(spec.objects.categories) or known
    pool = [r for r in meshes if r.category in wanted and r.id not in exclude]
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
    seed = derive_seed(job_seed, image_index, attempt)
    rng = np.random.default_rng(seed)
    meshes = _mesh_pool(spec, manifest, exclude)
    posters = _poster_pool(spec, manifest, exclude)
    surface_packs = pack_pool(spec.surface.material, manifest, exclude, field="surface.material")
    object_packs = pack_pool(spec.objects.material, manifest, exclude, field="objects.material")

    surface = SurfaceNode(
        size=(spec.surface.width_range.draw(rng=rng), spec.surface.depth_range.draw(rng=rng)),
        thickness=_SURFACE_THICKNESS,
        material=sample_material(spec.surface.material, rng=rng),
        texture=draw_pack(spec.surface.material, surface_packs, rng=rng),
    )
    drawn = []
    for _ in range(spec.objects.count_range.draw(rng=rng)):
        record = meshes[int(rng.integers(len(meshes)))]
        scale = spec.objects.scale_range.draw(rng=rng)  # bounds are already in normalized units
        material = sample_material(spec.objects.material, rng=rng)
        drawn.append((record, scale, material, draw_pack(spec.objects.material, object_packs, rng=rng)))
    spots = place_on_surface([_footprint_radius(r, s) for r, s, _, _ in drawn], surface.size, rng=rng)
    objects = []
    for (record, scale, material, texture), spot in zip(drawn, spots, strict=True):
        if spot is None:
            continue
        x, y, yaw = spot
        ground = 0.0 - record.bounds[0][2] * scale  # type: ignore[index]  (lift the lowest point to z = 0)
        objects.append(
            ObjectNode(
                instance_id=len(objects) + 1,
                asset=asset_ref(record),
                category=record.category or "",
                location=(x, y, round(ground, 6)),
                yaw_deg=yaw,
                scale=round(scale * record.unit_scale, 9),
                material=material,
                texture=texture,
            )
        )
    if objects:
        target = (
            round(float(np.mean([o.location[0] for o in objects])), 6),
            round(float(np.mean([o.location[1] for o in objects])), 6),
            _LOOK_AT_HEIGHT,
        )
    else:
        target = (0.0, 0.0, _LOOK_AT_HEIGHT)
    lights = sample_lights(spec.lights, target, rng=rng)
    camera = sample_orbit_camera(spec.camera, target, rng=rng)

    poster_nodes = []
    if posters and rng.random() < spec.posters.probability:
        record = posters[int(rng.integers(len(posters)))]
        width = spec.posters.width_range.draw(rng=rng)
        distance = spec.posters.distance_range.draw(rng=rng)
        azimuth = math.radians(camera.azimuth_deg)
        poster_nodes.append(
            PosterNode(
                asset=asset_ref(record),
                location=(
                    round(target[0] - math.sin(azimuth) * distance, 6),
                    round(target[1] + math.cos(azimuth) * distance, 6),
                    spec.posters.center_height_range.draw(rng=rng),
                ),
                yaw_deg=camera.azimuth_deg,
                width=width,
                height=width,
            )
        )
    background = BackgroundNode(
        gray=spec.background.gray_range.draw(rng=rng),
        strength=spec.background.strength_range.draw(rng=rng),
    )
    return SceneGraph(
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
        posters=tuple(poster_nodes),
        background=background,
    )
