"""physics_drop: objects settle on the surface apart, the same way every time; rerender matches."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh
from scipy.spatial import ConvexHull
from scipy.spatial.transform import Rotation

from simulacra.assets_manifest import builtin_manifest
from simulacra.cli import run
from simulacra.render import Renderer
from simulacra.scenes import SceneGraph, resolve, spec_from_dict

pytestmark = pytest.mark.blender

SPEC = """\
name: drop
resolution: [64, 64]
samples: 8
posters:
  probability: 0.0
objects:
  count_range: [5, 6]
  placement: physics_drop
  height_range: [0.02, 0.15]
"""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("drop")
    (root / "spec.yaml").write_text(SPEC)
    out = root / "out"
    assert run(["generate", str(root / "spec.yaml"), "-n", "2", "-o", str(out), "--seed", "3"]) == 0
    return out


# Spheres among the drop: Blender builds a UV sphere's faces in a different order each time.
CLUTTERED = {
    "name": "drop-among-spheres",
    "resolution": [64, 64],
    "samples": 4,
    "posters": {"probability": 0.0},
    "objects": {"count_range": [5, 5], "placement": "physics_drop", "height_range": [0.02, 0.2]},
    "distractors": {"count_range": [4, 4], "shapes": ["sphere"]},
}


def _graphs(dataset) -> list[SceneGraph]:
    return [SceneGraph.from_json(line) for line in (dataset / "scene_graphs.jsonl").read_text().splitlines()]


def _posed_vertices(node, manifest) -> np.ndarray:
    mesh = trimesh.load(manifest.verified_file(manifest.get(node.asset.id)), force="mesh")
    rotation = Rotation.from_euler("xyz", node.rotation_deg, degrees=True)
    return rotation.apply(np.asarray(mesh.vertices) * node.scale) + np.asarray(node.location)


def _penetration(points: np.ndarray, hull: ConvexHull) -> float:
    """How deep the deepest point lies inside the hull (0 when none is inside)."""
    signed = points @ hull.equations[:, :3].T + hull.equations[:, 3]  # <= 0 inside each facet
    inside = signed.max(axis=1)
    return float(max(0.0, -inside.min()))


def test_settled_objects_rest_on_the_surface_apart(dataset):
    """Every graph is settled; no object sinks into the table or deeply into another one."""
    manifest = builtin_manifest()
    for graph in _graphs(dataset):
        assert graph.settled is True and graph.objects
        assert [n.instance_id for n in graph.objects] == list(range(1, len(graph.objects) + 1))
        posed = [_posed_vertices(node, manifest) for node in graph.objects]
        for vertices in posed:
            assert vertices[:, 2].min() > -0.01  # on or above the surface top (z = 0)
            assert vertices[:, 2].min() < 0.3  # fallen, not hanging where it was dropped
        assert min(float(v[:, 2].min()) for v in posed) < 0.01  # something lies on the table
        hulls = [ConvexHull(v) for v in posed]
        for i, vertices in enumerate(posed):
            for j, hull in enumerate(hulls):
                if i != j:
                    assert _penetration(vertices, hull) < 0.01, (graph.image_index, i, j)


def test_rerender_of_a_settled_image_matches(dataset, capfd):
    """The stored settled graph renders the same pixels again, without simulating."""
    assert run(["rerender", str(dataset), "--id", "1"]) == 0
    assert "matches" in capfd.readouterr().err


def test_settling_among_clutter_repeats_in_a_session_and_across_sessions():
    """One graph with primitive distractors settles to identical poses twice in a session and in a new one."""
    manifest = builtin_manifest()
    spec = spec_from_dict(CLUTTERED, source="test")
    graphs = [resolve(spec, manifest, job_seed=seed, image_index=0) for seed in (0, 3)]
    with Renderer(manifest, manifest.categories()) as renderer:
        first = [renderer.settle(graph) for graph in graphs]
        again = [renderer.settle(graph) for graph in graphs]
    with Renderer(manifest, manifest.categories()) as renderer:
        fresh = [renderer.settle(graph) for graph in reversed(graphs)][::-1]
    for one, two, three in zip(first, again, fresh, strict=True):
        assert one.objects and one.objects == two.objects == three.objects
