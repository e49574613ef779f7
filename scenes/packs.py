"""Texture-pack materials: which packs a surface may draw, and the seeded draw itself.

A pack is the set of manifest records sharing one ``material`` id (one folder of maps,
see :mod:`simulacra.assets_manifest.adding`). The renderer uses its colour, roughness
and normal maps; a pack without a colour map, or with a used map excluded (by the
license policy, an audit reject or a revocation), cannot be drawn.
"""

from __future__ import annotations

import numpy as np

from simulacra.assets_manifest import AssetRecord, Manifest
from simulacra.errors import SpecError
from simulacra.randomize import MaterialParams
from simulacra.scenes.graph import AssetRef, PackMaterialNode

RENDERED_MAPS = ("color", "roughness", "normal")


def asset_ref(record: AssetRecord) -> AssetRef:
    """An asset pinned by content hash, as the scene graph records it."""
    return AssetRef(id=record.id, sha256=record.sha256, license=record.license)


def pack_materials(manifest: Manifest) -> dict[str, dict[str, AssetRecord]]:
    """Pack material id -> {map role: record} for the maps the renderer uses, sorted by id."""
    packs: dict[str, dict[str, AssetRecord]] = {}
    for record in manifest.assets:
        if record.material is not None and record.map in RENDERED_MAPS:
            packs.setdefault(record.material, {})[record.map] = record
    return {name: packs[name] for name in sorted(packs) if "color" in packs[name]}


def pack_pool(
    params: MaterialParams, manifest: Manifest, exclude: frozenset[str], *, field: str
) -> list[PackMaterialNode]:
    """The packs ``params`` may draw, after exclusions; SpecError names an unknown id by ``field``."""
    packs = pack_materials(manifest)
    for index, name in enumerate(params.textures):
        if name not in packs:
            raise SpecError(f"{field}.textures[{index}]: no texture-pack material {name!r} in the manifest")
    pool = []
    for name in params.textures or tuple(packs):
        maps = packs[name]
        if any(record.id in exclude for record in maps.values()):
            continue
        refs = {role: asset_ref(record) for role, record in maps.items()}
        pool.append(PackMaterialNode(material=name, **refs))
    return pool


def draw_pack(
    params: MaterialParams, pool: list[PackMaterialNode], *, rng: np.random.Generator
) -> PackMaterialNode | None:
    """Maybe a pack for one surface. Draws nothing at probability 0 or with an empty pool."""
    if params.texture_probability <= 0.0 or not pool:
        return None
    if rng.random() >= params.texture_probability:
        return None
    return pool[int(rng.integers(len(pool)))]
