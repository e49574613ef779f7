"""Distractors occlude but are never labeled; the views of one scene see the same settled scene."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.cli import run
from simulacra.randomize import Material
from simulacra.render import Renderer
from simulacra.scenes import SceneGraph, resolve, spec_from_dict
from simulacra.scenes.graph import DistractorNode

pytestmark = pytest.mark.blender

SPEC = """\
name: clutter-views
resolution: [64, 64]
samples: 4
posters:
  probability: 0.0
objects:
  count_range: [3, 4]
  categories: [box, can, ball]
camera:
  views: 2
  distance_range: [1.3, 1.5]
  azimuth_deg_range: [-60, 60]
distractors:
  count_range: [3, 4]
  scale_range: [0.8, 1.2]
"""


@pytest.fixture(scope="module")
def session():
    manifest = builtin_manifest()
    with Renderer(manifest, manifest.categories()) as renderer:
        yield manifest, renderer


def test_distractor_hides_part_of_an_object_but_gets_no_label(session):
    """A cube before a box shows in RGB and depth, is background in the masks, lowers the visible fraction."""
    manifest, renderer = session
    spec = {"name": "occlude", "resolution": [64, 64], "samples": 4, "posters": {"probability": 0.0}}
    spec["objects"] = {"count_range": [1, 1], "categories": ["box"]}
    graph = resolve(spec_from_dict(spec, source="test"), manifest, job_seed=1, image_index=0)
    (box,) = graph.objects
    centre = np.add(box.location, (0.0, 0.0, 0.03))
    towards = np.subtract(graph.camera.location, centre)
    aside = np.cross(towards, (0.0, 0.0, 1.0))
    spot = centre + 0.3 * towards + 0.04 * aside / np.linalg.norm(aside)  # in front, off to one side
    cube = DistractorNode(
        shape="cube",
        location=tuple(float(v) for v in spot),
        yaw_deg=0.0,
        scale=0.025,
        material=Material(base_color=(0.9, 0.1, 0.1), roughness=0.5, metallic=0.0),
    )
    clear = renderer.render(graph)
    hidden = renderer.render(graph.model_copy(update={"distractors": (cube,)}))
    changed = np.any(clear.rgb != hidden.rgb, axis=2) & (hidden.depth < clear.depth - 0.05)
    assert changed.sum() > 8  # the cube shows, nearer than what it hides
    assert (hidden.instance_mask[changed] == 0).all() and (hidden.class_mask[changed] == 0).all()
    assert set(np.unique(hidden.instance_mask)) <= {0, box.instance_id}
    (before,), (after,) = clear.instances, hidden.instances
    assert after.unoccluded_pixels == before.unoccluded_pixels
    assert after.pixels < before.pixels and after.pixels / after.unoccluded_pixels < 0.95


def test_views_of_a_dropped_scene_settle_alike(session):
    """Each view settles its own copy of the scene, spheres among the clutter, to the same rest poses."""
    manifest, renderer = session
    spec = {"name": "drop", "resolution": [64, 64], "samples": 4, "camera": {"views": 2}}
    spec["objects"] = {"count_range": [5, 5], "placement": "physics_drop", "height_range": [0.02, 0.2]}
    spec["distractors"] = {"count_range": [4, 4], "shapes": ["sphere"]}
    spec = spec_from_dict(spec, source="test")
    for job_seed in (2, 5, 11):
        views = [resolve(spec, manifest, job_seed=job_seed, image_index=i) for i in (1, 0)]
        settled = [renderer.settle(graph) for graph in views]
        assert settled[0].objects, job_seed
        assert settled[0].objects == settled[1].objects and settled[0].camera != settled[1].camera, job_seed


def test_views_share_the_scene_and_clutter_has_no_annotation(tmp_path):
    """Two views of one scene show the same labeled objects; COCO annotates those only, never the clutter."""
    (tmp_path / "spec.yaml").write_text(SPEC)
    out = tmp_path / "out"
    assert run(["generate", str(tmp_path / "spec.yaml"), "-n", "2", "-o", str(out), "--seed", "6"]) == 0
    lines = (out / "scene_graphs.jsonl").read_text().splitlines()
    first, second = (SceneGraph.from_json(line) for line in lines)
    assert (first.scene_index, first.view, second.scene_index, second.view) == (0, 0, 0, 1)
    assert first.objects == second.objects
    assert first.distractors and first.distractors == second.distractors
    assert first.camera != second.camera
    ids = {node.instance_id for node in first.objects}
    coco = json.loads((out / "annotations/coco.json").read_text())
    assert coco["annotations"] and {a["instance_id"] for a in coco["annotations"]} <= ids
    seen = []
    for index in range(2):
        mask = cv2.imread(str(out / f"masks/{index:06d}_instance.png"), cv2.IMREAD_UNCHANGED)
        seen.append(set(np.unique(mask).tolist()) - {0})
        assert seen[-1] <= ids
    assert seen[0] == seen[1]  # both views show the same labeled objects
