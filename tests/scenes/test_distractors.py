"""Distractors: unlabeled clutter clear of the labeled objects, from a generator of its own."""

from __future__ import annotations

import json
import math

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import SpecError
from simulacra.scenes import SceneGraph, resolve, spec_from_dict
from simulacra.scenes.distractors import _object_disc, _radii


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


def _spec(distractors: dict | None, **extra):
    data = {"name": "clutter", "objects": {"count_range": [4, 6]}, **extra}
    if distractors is not None:
        data["distractors"] = distractors
    return spec_from_dict(data, source="test")


def _disc(node, manifest):
    if node.asset is None:
        bounds, scale = ((-1.0, -1.0, -1.0), (1.0, 1.0, 1.0)), node.scale
    else:
        record = manifest.get(node.asset.id)
        bounds, scale = record.bounds, node.scale / record.unit_scale
    footprint, sphere = _radii(bounds, scale)
    return node.location[:2], sphere if node.rotation_deg is not None else footprint


def test_absent_distractors_leave_the_graph_unchanged(manifest):
    """No ``distractors`` section: no key in the spec dump or the graph JSON."""
    spec = _spec(None)
    assert "distractors" not in spec.model_dump(mode="json")
    assert '"distractors"' not in resolve(spec, manifest, job_seed=1, image_index=0).to_json()


def test_adding_distractors_moves_no_other_draw(manifest):
    """The graph with clutter equals the graph without it, plus the distractors."""
    base = resolve(_spec(None), manifest, job_seed=2, image_index=3)
    cluttered = resolve(_spec({"count_range": [3, 6]}), manifest, job_seed=2, image_index=3)
    assert cluttered.distractors and 3 <= len(cluttered.distractors) <= 6
    assert cluttered.model_copy(update={"distractors": None}).to_json() == base.to_json()
    assert SceneGraph.from_json(cluttered.to_json()) == cluttered


def test_distractors_stand_clear_of_objects_and_each_other(manifest):
    """Plan-view discs of objects and distractors never overlap; all lie on the table."""
    spec = _spec({"count_range": [8, 8], "categories": ["box"], "scale_range": [0.6, 1.0]})
    for index in range(5):
        graph = resolve(spec, manifest, job_seed=3, image_index=index)
        discs = [_object_disc(node, manifest) for node in graph.objects]
        discs += [_disc(node, manifest) for node in graph.distractors]
        for i, (a, ra) in enumerate(discs):
            for b, rb in discs[i + 1 :]:
                assert math.dist(a, b) >= ra + rb - 1e-6
        half_w, half_d = graph.surface.size[0] / 2, graph.surface.size[1] / 2
        for node in graph.distractors:
            assert abs(node.location[0]) < half_w and abs(node.location[1]) < half_d
            assert (node.asset is None) != (node.shape is None)


def test_mesh_distractors_are_assets_shapes_are_not(manifest):
    """Manifest meshes used as clutter are listed (with licenses) by graph.assets(); shapes are not assets."""
    spec = _spec({"count_range": [6, 6], "categories": ["vase"], "shapes": []})
    graph = resolve(spec, manifest, job_seed=4, image_index=0)
    assert graph.distractors and all(node.asset.id.startswith("builtin:vase") for node in graph.distractors)
    assert {node.asset.id for node in graph.distractors} <= {ref.id for ref in graph.assets()}


def test_floating_distractors_tumble_above_the_surface(manifest):
    """``in_volume`` clutter hangs above the surface with a full rotation."""
    spec = _spec({"count_range": [4, 4], "placement": "in_volume", "shapes": ["cube"]})
    graph = resolve(spec, manifest, job_seed=5, image_index=0)
    for node in graph.distractors:
        assert node.rotation_deg is not None and node.location[2] > node.scale


def test_shelf_distractors_are_dealt_to_the_levels(manifest):
    """On shelves, distractors stand on the levels in turn."""
    spec = _spec({"count_range": [6, 6], "shapes": ["cylinder"]}, environment={"kind": "shelves"})
    graph = resolve(spec, manifest, job_seed=6, image_index=0)
    assert len({round(node.location[2] - node.scale, 3) for node in graph.distractors}) > 1


@pytest.mark.parametrize(
    ("distractors", "message"),
    [
        ({"categories": ["unicorn"]}, r"distractors.categories\[0\]: no mesh of category 'unicorn'"),
        ({"shapes": [], "categories": []}, "distractors: shapes and categories are both empty"),
        ({"shapes": ["torus"]}, r"distractors.shapes\[0\]"),
        ({"count_range": [-1, 2]}, "distractors.count_range"),
    ],
)
def test_bad_distractors_name_the_field(manifest, distractors, message):
    """A wrong distractor field is reported with its YAML path."""
    with pytest.raises(SpecError, match=message):
        resolve(_spec(distractors), manifest, job_seed=0, image_index=0)


def test_spec_round_trips(manifest):
    """A spec with distractors dumps and loads back equal."""
    spec = _spec({"count_range": [1, 3], "categories": ["ball"], "placement": "in_volume"})
    assert spec_from_dict(json.loads(json.dumps(spec.model_dump(mode="json"))), source="again") == spec
