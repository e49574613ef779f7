"""The world around the scene: a uniform colour, an HDRI from the manifest, or a procedural sky.

A colour background draws exactly what it always drew (grey level, then strength), so
specs without ``background.kind`` keep their graphs. An HDRI is recorded as an
:class:`~simulacra.scenes.graph.AssetRef`, so its license reaches the dataset card.
"""

from __future__ import annotations

import numpy as np

from simulacra.assets_manifest import AssetRecord, Manifest
from simulacra.errors import AssetError, SpecError
from simulacra.scenes.graph import BackgroundNode, HdriNode, SkyNode
from simulacra.scenes.packs import asset_ref
from simulacra.scenes.spec import BackgroundSpec


def hdri_pool(spec: BackgroundSpec, manifest: Manifest, exclude: frozenset[str]) -> list[AssetRecord]:
    """The HDRIs an ``hdri`` background may draw (empty for other kinds), after exclusions."""
    if spec.kind != "hdri":
        return []
    hdris = {r.id: r for r in manifest.of_kind("hdri")}
    if not hdris:
        raise SpecError("background.kind: hdri, but the manifest has no asset of kind hdri")
    for index, asset_id in enumerate(spec.assets):
        if asset_id not in hdris:
            raise SpecError(f"background.assets[{index}]: no HDRI asset {asset_id!r} in the manifest")
    pool = [hdris[i] for i in spec.assets or tuple(hdris) if i not in exclude]
    if not pool:
        raise AssetError("no HDRI asset is left to sample: every candidate was excluded")
    return pool


def resolve_background(
    spec: BackgroundSpec, hdris: list[AssetRecord], *, rng: np.random.Generator
) -> BackgroundNode:
    """Draw the background of ``spec.kind``; ``hdris`` is :func:`hdri_pool`'s answer."""
    if spec.kind == "color":
        return BackgroundNode(gray=spec.gray_range.draw(rng=rng), strength=spec.strength_range.draw(rng=rng))
    if spec.kind == "hdri":
        record = hdris[int(rng.integers(len(hdris)))]
        hdri = HdriNode(asset=asset_ref(record), rotation_deg=spec.rotation_deg_range.draw(rng=rng))
        return BackgroundNode(hdri=hdri, strength=spec.strength_range.draw(rng=rng))
    sky = SkyNode(
        sun_elevation_deg=spec.sun_elevation_deg_range.draw(rng=rng),
        sun_rotation_deg=spec.sun_rotation_deg_range.draw(rng=rng),
        turbidity=spec.turbidity_range.draw(rng=rng),
        ground_albedo=spec.ground_albedo_range.draw(rng=rng),
        sun_strength=spec.sun_strength_range.draw(rng=rng),
    )
    return BackgroundNode(sky=sky, strength=spec.strength_range.draw(rng=rng))
