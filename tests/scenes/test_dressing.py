"""Procedural materials in the resolver: opt-in per role, recorded, deterministic, old graphs untouched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from simulacra.assets_manifest import builtin_manifest
from simulacra.cli import run
from simulacra.randomize import FAMILIES
from simulacra.scenes import SceneGraph, load_spec, resolve, spec_from_dict

# sha256 over the graphs of images 0-5 (job seed 2026) and of the spec's dump, computed with
# main at dbb0069, before procedural materials existed. A spec without the new fields must
# resolve to these bytes and dump (so hash in job.json and the card) the same.
CLUTTER = {
    "name": "clutter",
    "distractors": {"count_range": [3, 4]},
    "environment": {"kind": "shelves"},
    "privacy": {"strength": 0.5, "materials": ["hue_shift"]},
    "sensor": {"noise": {}},
}
BEFORE = {
    "tabletop": (
        "b31e0e140bbbf85a28bba7208e1671b0768a5773f97a97c762847ee7801a19d6",
        "c0103461470efbf8136eab2f859b084c98eeb1cd5bcef85b816652b9a749d51d",
    ),
    "warehouse": (
        "d4c955a19619440c9c7f56bf6fc1b88baf879a827728d153826bcc783d9bf188",
        "305cd89fc8ec7c38d2dbd0713f05c0c4343aa9be29b64080125b948dcaa8d2a2",
    ),
    "bin-picking": (
        "9a7d13bd6c1f16f5864b09b2a6f90d45cd665ec45a6b7cabf28b53927bfb7406",
        "d2920ee39e7fbd15be804266dd3914111db1e339d1a0e5ba3aa1ece59316d3fa",
    ),
    "clutter": (
        "89bb0f0f6d9c526a99df69d552ec379924c82db5e8f40a604bdd7729c6f51184",
        "2c188c9c6d395d5ae8ba03882a65384bd7e77d5852d23035e4fdb3d20b9736a4",
    ),
}
DRESSED = {
    "name": "dressed",
    "surface": {"material": {"families": {"wood": 1, "marble": 1}}},
    "objects": {"count_range": [4, 6], "material": {"families": {"plastic": 2, "glass": 1, "flat": 1}}},
    "environment": {"kind": "bin", "material": {"families": {"concrete": 1}}},
    "distractors": {"count_range": [2, 3], "material": {"families": {"rubber": 1}}},
}


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


@pytest.mark.parametrize("name", list(BEFORE))
def test_specs_without_families_keep_their_graphs_from_before(manifest, name):
    """Presets, and a spec with clutter, shelves, privacy and sensor, resolve and dump as on main."""
    spec = spec_from_dict(CLUTTER, source="t") if name == "clutter" else load_spec(Path(name))
    graphs = hashlib.sha256()
    for index in range(6):
        graphs.update(resolve(spec, manifest, job_seed=2026, image_index=index).to_json().encode())
    assert (graphs.hexdigest(), hashlib.sha256(spec.model_dump_json().encode()).hexdigest()) == BEFORE[name]


def _without_procedural(graph: SceneGraph) -> str:
    data = json.loads(graph.to_json())
    for node in (
        data["surface"],
        *data["objects"],
        *data.get("environment", ()),
        *data.get("distractors", ()),
    ):
        node.pop("procedural", None)
    return json.dumps(data, separators=(",", ":"))


def test_families_resolve_to_the_same_graph_twice_and_move_nothing_else(manifest, tmp_path):
    """A spec file with families: same bytes twice; stripped of its records it is the flat spec's graph."""
    path = tmp_path / "dressed.yaml"
    path.write_text(yaml.safe_dump(DRESSED))
    spec = load_spec(path)
    flat = spec_from_dict(_without_families(DRESSED), source="flat")
    clutter = set()
    for index in range(4):
        graph = resolve(spec, manifest, job_seed=9, image_index=index)
        assert graph.to_json() == resolve(load_spec(path), manifest, job_seed=9, image_index=index).to_json()
        assert SceneGraph.from_json(graph.to_json()) == graph
        assert _without_procedural(graph) == resolve(flat, manifest, job_seed=9, image_index=index).to_json()
        assert graph.surface.procedural.family in {"wood", "marble"}
        assert {box.procedural for box in graph.environment} == {graph.environment[0].procedural}
        clutter |= {node.procedural.family for node in graph.distractors}
        assert all(
            node.procedural is None or node.procedural.family in {"plastic", "glass"}
            for node in graph.objects
        )
    assert clutter == {"rubber"}


def _without_families(data: dict) -> dict:
    """The same spec data with every ``families`` key left out (its ``material`` sections kept)."""
    return {
        key: _without_families(value) if isinstance(value, dict) else value
        for key, value in data.items()
        if key != "families"
    }


def test_hue_shift_moves_procedural_colours(manifest):
    """Privacy's material hue shift reaches the colours a family drew, not only the base colour."""
    dressed = {**DRESSED, "privacy": {"strength": 1.0, "materials": ["hue_shift"]}}
    shifted = resolve(spec_from_dict(dressed, source="t"), manifest, job_seed=9, image_index=0)
    plain = resolve(spec_from_dict(DRESSED, source="t"), manifest, job_seed=9, image_index=0)
    assert shifted.surface.procedural.family == plain.surface.procedural.family
    assert shifted.surface.procedural != plain.surface.procedural
    assert shifted.surface.procedural.w == plain.surface.procedural.w


@pytest.mark.parametrize(
    ("families", "expected"),
    [
        ("{wodo: 1}", "objects.material.families: unknown family 'wodo'; families: flat, wood,"),
        ("{wood: -1}", "objects.material.families: wood: weight -1.0 must be finite and >= 0"),
        ("{wood: 0, glass: 0}", "objects.material.families: the weights are all 0"),
    ],
)
def test_bad_families_are_one_line_naming_the_field(tmp_path, capsys, families, expected):
    """An unknown family or a bad weight: exit 2, one line with the YAML path, nothing written."""
    spec = tmp_path / "bad.yaml"
    spec.write_text(f"name: x\nobjects:\n  material:\n    families: {families}\n")
    assert run(["generate", str(spec), "-n", "1", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err, err
    assert not (tmp_path / "out").exists()


def test_schema_documents_every_family(tmp_path):
    """``simulacra schema scene`` describes the families field with each family and what it draws."""
    out = tmp_path / "scene.schema.json"
    assert run(["schema", "scene", "-o", str(out)]) == 0
    schema = json.loads(out.read_text())
    text = schema["$defs"]["MaterialParams"]["properties"]["families"]["description"]
    for name in ("flat", *FAMILIES):
        assert f"\n{name}: " in text
    assert "ring_scale [25, 80]" in text
