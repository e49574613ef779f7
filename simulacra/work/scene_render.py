"""Render one resolved scene graph under the spec's render-time rules.

Some rules can only be checked on the rendered frame: ``camera.min_visible_pixels``
needs each labeled object's visible pixel count, and ``physics_drop`` poses come from a
rigid-body simulation run in Blender. The camera is redrawn (a bounded,
seeded number of times, :func:`~simulacra.scenes.redraw_camera`) until every labeled
object shows at least that many pixels. If no draw meets the rule, the draw with the
fewest objects under the minimum is kept and those objects are left unlabeled (masks
and COCO), listed in the graph's ``unannotated``: a too-small object is ambiguous as a
label, but the rest of the image is still good data.

The graph's ``sensor`` effects (noise, blur, ...) are applied to the final frame's RGB
here, by :func:`with_sensor`, which ``rerender`` uses too. They touch pixels only: the
masks and boxes stay the geometric truth, even where blur or chromatic aberration
spread an object's colour past its mask. The graph's post-render privacy operators
(``privacy.image``: colour jitter, pixel noise, ...) are applied after them, in the same place.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from simulacra.randomize import apply_sensor
from simulacra.randomize.privacy import apply_image_ops
from simulacra.render import Frame, Renderer
from simulacra.scenes import SceneGraph, SceneSpec, redraw_camera


def under_minimum(graph: SceneGraph, frame: Frame, minimum: int) -> set[int]:
    """Instance ids of the graph's objects showing fewer than ``minimum`` pixels (hidden ones too)."""
    pixels = {info.instance_id: info.pixels for info in frame.instances}
    return {node.instance_id for node in graph.objects if pixels.get(node.instance_id, 0) < minimum}


def with_sensor(graph: SceneGraph, rgb: np.ndarray) -> np.ndarray:
    """``rgb`` as the graph's camera records it: its ``sensor`` effects applied, seeded by the graph.

    The graph's post-render privacy operators (``privacy.image``) follow, on the final pixels.
    """
    rgb = apply_sensor(rgb, graph.sensor, seed=graph.seed) if graph.sensor else rgb
    return apply_image_ops(rgb, graph.privacy.image) if graph.privacy else rgb


def render_scene(renderer: Renderer, graph: SceneGraph, spec: SceneSpec) -> tuple[SceneGraph, Frame]:
    """Render ``graph``; returns the graph as finally rendered (poses, camera, unlabeled ids) and its frame.

    A ``physics_drop`` graph is settled first, so the graph written is the one rendered.
    The frame's RGB has the graph's sensor effects and privacy perturbations applied
    (labels are untouched).
    """
    graph, frame = _render_visible(renderer, graph, spec)
    if graph.sensor or graph.privacy:
        frame = dataclasses.replace(frame, rgb=with_sensor(graph, frame.rgb))
    return graph, frame


def _render_visible(renderer: Renderer, graph: SceneGraph, spec: SceneSpec) -> tuple[SceneGraph, Frame]:
    """Render ``graph`` under the visibility rule (camera redraws), before sensor effects."""
    if spec.objects.placement == "physics_drop" and not graph.settled:
        graph = renderer.settle(graph)
    frame = renderer.render(graph)
    minimum = spec.camera.min_visible_pixels
    if minimum == 0:
        return graph, frame
    best = (under_minimum(graph, frame, minimum), graph, frame)
    for redraw in range(1, spec.camera.max_redraws + 1):
        if not best[0]:
            break
        candidate = redraw_camera(spec, graph, redraw)
        candidate_frame = renderer.render(candidate)
        small = under_minimum(candidate, candidate_frame, minimum)
        if len(small) < len(best[0]):
            best = (small, candidate, candidate_frame)
    small, graph, frame = best
    if small:
        graph = graph.model_copy(update={"unannotated": tuple(sorted(small))})
    return graph, frame.without_instances(small)
