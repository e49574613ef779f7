"""Generated meshes rendered by Blender: every object is built from its drawn shape, cached, and labeled."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import trimesh

from simulacra.assets_manifest.library import shape_cache_home
from simulacra.assets_manifest.shapes import shape_bounds, shape_key
from simulacra.cli import run
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender

SPEC = """\
name: generated
resolution: [64, 64]
samples: 4
objects:
  count_range: [4, 5]
  scale_range: [1.3, 1.6]
  meshes: generated
  material:
    texture_probability: 0.0
camera:
  distance_range: [0.8, 0.9]
posters:
  probability: 0.0
distractors:
  count_range: [1, 2]
  categories: [tote, pipe]
  shapes: []
  meshes: generated
"""


def _graphs(out) -> list[SceneGraph]:
    return [SceneGraph.from_json(line) for line in (out / "scene_graphs.jsonl").read_text().splitlines()]


def _cached(graph: SceneGraph) -> list:
    nodes = [*graph.objects, *(graph.distractors or ())]
    return [shape_cache_home() / n.generated.generator / f"{shape_key(n.generated)}.ply" for n in nodes]


@pytest.fixture(scope="module")
def twice(tmp_path_factory):
    """The same job (2 images) rendered twice into two folders."""
    root = tmp_path_factory.mktemp("generated")
    (root / "spec.yaml").write_text(SPEC)
    outs = []
    for name in ("first", "second"):
        assert (
            run(["generate", str(root / "spec.yaml"), "-n", "2", "-o", str(root / name), "--seed", "4"]) == 0
        )
        outs.append(root / name)
        if name == "first":
            stamps = {p: p.stat().st_mtime_ns for g in _graphs(outs[0]) for p in _cached(g)}
    return outs, stamps


def test_every_object_is_drawn_from_a_generator_and_labeled(twice):
    """Each object and distractor carries its drawn shape; visible objects are annotated by category."""
    (first, _), _ = twice
    coco = json.loads((first / "annotations" / "coco.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    annotated = {names[a["category_id"]] for a in coco["annotations"]}
    for graph in _graphs(first):
        assert all(node.generated is not None for node in (*graph.objects, *(graph.distractors or ())))
        assert all(ref.license == "CC0-1.0" for ref in graph.assets())
    drawn = {node.category for graph in _graphs(first) for node in graph.objects}
    assert annotated and annotated <= drawn


def test_meshes_are_cached_by_shape_and_the_rerender_matches(twice):
    """The first job wrote one file per drawn shape; the second built none anew and gave the same pixels."""
    (first, second), stamps = twice
    assert stamps and all(path.is_file() for path in stamps)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    for name in ("000000.png", "000001.png"):
        a, b = (cv2.imread(str(out / "images" / name)) for out in (first, second))
        assert np.array_equal(a, b)


def test_bop_models_are_the_drawn_shapes(twice, tmp_path):
    """A BOP export has one model per drawn shape (not one per generator record), each its shape's size."""
    (first, _), _ = twice
    assert (
        run(["export", str(first), "--format", "bop", "-o", str(tmp_path / "bop"), "--split", "train=1"]) == 0
    )
    source = json.loads((tmp_path / "bop" / "models" / "models_source.json").read_text())
    nodes = [node for graph in _graphs(first) for node in graph.objects]
    assert len(source) == len({(node.generated, node.scale) for node in nodes})
    for number, entry in source.items():
        node = next(n for n in nodes if n.generated.model_dump(mode="json") == entry["generated"])
        model = trimesh.load(tmp_path / "bop" / "models" / f"obj_{int(number):06d}.ply", process=False)
        (_, _, _), (_, _, top) = shape_bounds(node.generated)
        assert model.bounds[1][2] == pytest.approx(top * entry["scale"] * 1000, rel=1e-4)
