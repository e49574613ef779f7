"""Plan an image's privacy perturbation: which operators, at what strength, on what.

The resolver calls :func:`plan_privacy` last. Its draws come from generators of their
own, so no earlier draw moves; an image with nothing to perturb (strength 0 and no
flagged texture) gets no ``privacy`` node, and its graph is byte-identical to one
resolved before privacy operators existed.

What changes the scene's look (texture operators, material shifts) is drawn from the
scene seed, so every view of a scene (``camera.views`` > 1) shows the same perturbed
scene; the post-render operators are drawn per image, like sensor noise. With one view
per scene both seeds are the image seed and one generator draws everything, as before.
"""

from __future__ import annotations

import numpy as np

from simulacra.assets_manifest import Manifest
from simulacra.randomize import derive_seed
from simulacra.randomize.privacy import (
    HueShift,
    PrivacyNode,
    PrivacyParams,
    TextureTreatment,
    apply_material_op,
    apply_procedural_op,
    sample_op,
)
from simulacra.scenes.graph import SceneGraph

_PRIVACY_STREAM = 0x9217 << 20  # far above any camera redraw number and the sensor noise stream


def _shows_person(manifest: Manifest, asset_id: str) -> bool:
    flags = manifest.get(asset_id).flags
    return flags.contains_person or flags.identifiable


def plan_privacy(
    graph: SceneGraph, params: PrivacyParams, manifest: Manifest, *, scene_seed: int
) -> SceneGraph:
    """``graph`` with its privacy perturbation: textures to treat, materials shifted, frame ops.

    Strength is ``params.strength_at(graph.attempt)``; textures of flagged assets get
    ``params.flagged`` at no less than ``params.flagged_strength`` even at strength 0.
    Material shifts are applied here, so the graph's materials are the ones rendered.
    ``scene_seed`` is the seed the resolver drew the scene from (the image seed when
    the spec has one view per scene).
    """
    strength = params.strength_at(graph.attempt)
    rng = np.random.default_rng(derive_seed(scene_seed, _PRIVACY_STREAM))
    image_rng = rng if graph.view is None else np.random.default_rng(derive_seed(graph.seed, _PRIVACY_STREAM))
    treatments = []
    for ref in graph.texture_maps():  # sorted by id: a fixed draw order
        flagged = _shows_person(manifest, ref.id)
        names, level = (
            (params.flagged, max(strength, params.flagged_strength))
            if flagged
            else (params.textures, strength)
        )
        if names and level > 0:
            ops = tuple(sample_op(name, level, rng=rng) for name in names)
            treatments.append(TextureTreatment(asset=ref.id, flagged=flagged, ops=ops))  # type: ignore[arg-type]
    shifts: tuple[HueShift, ...] = ()
    image = ()
    if strength > 0:
        shifts = tuple(sample_op(name, strength, rng=rng) for name in params.materials)  # type: ignore[misc]
        image = tuple(sample_op(name, strength, rng=image_rng) for name in params.image)
    if not (treatments or shifts or image):
        return graph
    node = PrivacyNode(strength=strength, textures=tuple(treatments), materials=shifts, image=image)  # type: ignore[arg-type]
    return _shifted(graph, shifts).model_copy(update={"privacy": node})


def _shifted(graph: SceneGraph, shifts: tuple[HueShift, ...]) -> SceneGraph:
    """``graph`` with every sampled material and procedural colour shifted (surface to clutter)."""
    if not shifts:
        return graph

    def shift(node):
        material, procedural = node.material, node.procedural
        for op in shifts:
            material = apply_material_op(material, op)
            procedural = apply_procedural_op(procedural, op) if procedural is not None else None
        return node.model_copy(update={"material": material, "procedural": procedural})

    return graph.model_copy(
        update={
            "surface": shift(graph.surface),
            "objects": tuple(shift(node) for node in graph.objects),
            "environment": tuple(shift(box) for box in graph.environment)
            if graph.environment
            else graph.environment,
            "distractors": tuple(shift(piece) for piece in graph.distractors)
            if graph.distractors
            else graph.distractors,
            "room": graph.room.with_boxes(shift) if graph.room is not None else None,
        }
    )
