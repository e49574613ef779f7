"""Dress a resolved scene in procedural materials: each role's families, drawn from one generator.

The resolver calls :func:`dress` after the scene is laid out and before privacy is
planned. Every procedural draw comes from one generator derived from the scene seed,
in a fixed order (surface, objects, the fixture, the clutter, the room), so opting a role in to
``families`` moves no object, light or camera: the same scene is rendered in other
materials, which is what a materials ablation compares, and every view of a scene shares
its look. A spec with no families draws nothing and its graph keeps its bytes. A surface
that drew a texture pack keeps it and gets no procedural family (it draws nothing).
"""

from __future__ import annotations

import numpy as np

from simulacra.randomize import MaterialParams, derive_seed, sample_procedural
from simulacra.scenes.graph import RoomNode, SceneGraph, SurfaceNode
from simulacra.scenes.spec import RoomSpec, SceneSpec

_MATERIAL_STREAM = 0x3A7E << 20  # apart from the camera redraws and the other streams


def _roles(spec: SceneSpec) -> tuple[MaterialParams | None, ...]:
    clutter = spec.distractors.material if spec.distractors is not None else None
    return spec.surface.material, spec.objects.material, spec.environment.material, clutter


def _dressed_room(room: RoomNode, spec: RoomSpec, surface: SurfaceNode, rng: np.random.Generator) -> RoomNode:
    """Floor, walls (one draw for all pieces), ceiling, then each piece of furniture; legs as the table."""
    walls = _dressed(room.walls[0], spec.walls, rng).procedural
    return room.model_copy(
        update={
            "floor": _dressed(room.floor, spec.floor, rng),
            "walls": tuple(box.model_copy(update={"procedural": walls}) for box in room.walls),
            "ceiling": _dressed(room.ceiling, spec.ceiling, rng),
            "furniture": tuple(_dressed(box, spec.furniture, rng) for box in room.furniture),
            "legs": tuple(box.model_copy(update={"procedural": surface.procedural}) for box in room.legs),
        }
    )


def _dressed(node, params: MaterialParams | None, rng: np.random.Generator):
    """``node`` in a family drawn by ``params``' weights; as it was when it has none or wears a pack."""
    if params is None or not params.families or getattr(node, "texture", None) is not None:
        return node
    procedural = sample_procedural(params.families, node.material.base_color, rng=rng)
    return node if procedural is None else node.model_copy(update={"procedural": procedural})


def dress(graph: SceneGraph, spec: SceneSpec, *, scene_seed: int) -> SceneGraph:
    """``graph`` with the procedural families its spec's roles ask for (``graph`` itself when none do).

    A fixture's boxes (bin walls, shelf boards) share one draw, as they share one colour.
    """
    surface, objects, fixture, clutter = _roles(spec)
    if not any(params is not None and params.families for params in _roles(spec)) and graph.room is None:
        return graph
    rng = np.random.default_rng(derive_seed(scene_seed, _MATERIAL_STREAM))
    update: dict[str, object] = {
        "surface": _dressed(graph.surface, surface, rng),
        "objects": tuple(_dressed(node, objects, rng) for node in graph.objects),
    }
    if graph.environment:
        procedural = _dressed(graph.environment[0], fixture, rng).procedural
        update["environment"] = tuple(
            box.model_copy(update={"procedural": procedural}) for box in graph.environment
        )
    if graph.distractors:
        update["distractors"] = tuple(_dressed(node, clutter, rng) for node in graph.distractors)
    if graph.room is not None and spec.environment.room is not None:
        update["room"] = _dressed_room(graph.room, spec.environment.room, update["surface"], rng)
    return graph.model_copy(update=update)
