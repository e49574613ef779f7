"""objects.meshes / distractors.meshes: generated shapes drawn per object from the seed, opt-in."""

from __future__ import annotations

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.cli import run
from simulacra.errors import AssetError
from simulacra.scenes import SceneGraph, load_spec, resolve, spec_from_dict
from tests.conftest import only_error_line


def _spec(**objects):
    data = load_spec("tabletop").model_dump(mode="json")
    data["objects"].update(objects)
    return spec_from_dict(data, source="test")


def test_fixed_is_the_default_and_dumps_as_before():
    """A spec that does not opt in has no ``meshes`` key in its dump (its hash is unchanged)."""
    assert "meshes" not in load_spec("tabletop").model_dump(mode="json")["objects"]
    generated = _spec(meshes="generated")
    assert generated.model_dump(mode="json")["objects"]["meshes"] == "generated"
    assert spec_from_dict(generated.model_dump(mode="json"), source="again") == generated  # round trip


def test_fixed_scenes_draw_only_mesh_files():
    """Without the opt-in no object uses a generator record or carries a drawn shape."""
    manifest = builtin_manifest()
    for index in range(10):
        graph = resolve(load_spec("tabletop"), manifest, job_seed=2, image_index=index)
        assert all(
            node.generated is None and manifest.get(node.asset.id).generator is None for node in graph.objects
        )


def test_generated_shapes_are_seeded_recorded_and_replayable():
    """Same seed, same bytes; every object's shape is in its node; the graph reloads to the same graph."""
    spec, manifest = _spec(meshes="generated"), builtin_manifest()
    graphs = [resolve(spec, manifest, job_seed=5, image_index=i) for i in range(8)]
    again = [resolve(spec, manifest, job_seed=5, image_index=i).to_json() for i in range(8)]
    assert [g.to_json() for g in graphs] == again
    nodes = [node for graph in graphs for node in graph.objects]
    assert all(node.generated is not None and node.generated.generator == node.category for node in nodes)
    assert len({node.generated for node in nodes}) == len(nodes)  # continuous: no two alike
    assert all(SceneGraph.from_json(graph.to_json()) == graph for graph in graphs)


def test_objects_stand_on_the_table_by_their_drawn_bounds():
    """Upright objects rest at z = 0: placement used the drawn shape's bounds (its floor is at 0)."""
    graph = resolve(_spec(meshes="generated"), builtin_manifest(), job_seed=1, image_index=0)
    assert graph.objects and all(node.location[2] == 0.0 for node in graph.objects)


def test_user_categories_keep_their_files(tmp_path):
    """A category without a generator is drawn from its mesh files in generated mode too."""
    manifest = builtin_manifest()
    renamed = [
        r.model_copy(update={"category": "widget"}) if r.id == "builtin:box_0" else r for r in manifest.assets
    ]
    mixed = manifest.model_copy(update={"assets": tuple(renamed)})
    spec = _spec(meshes="generated", categories=["widget", "mug"])
    nodes = [n for i in range(10) for n in resolve(spec, mixed, job_seed=3, image_index=i).objects]
    widgets = [n for n in nodes if n.category == "widget"]
    assert widgets and all(n.generated is None and n.asset.id == "builtin:box_0" for n in widgets)
    assert all(n.generated is not None for n in nodes if n.category == "mug")


def test_a_generator_version_this_code_lacks_is_refused():
    """A manifest written by another generator version names the asset instead of drawing a different mesh."""
    manifest = builtin_manifest()
    old = [
        r.model_copy(update={"generator": r.generator.model_copy(update={"version": 99})})
        if r.generator
        else r
        for r in manifest.assets
    ]
    with pytest.raises(AssetError, match=r"asset 'builtin:shape_\w+': generator '\w+' version 99"):
        resolve(
            _spec(meshes="generated"),
            manifest.model_copy(update={"assets": tuple(old)}),
            job_seed=0,
            image_index=0,
        )


def test_unknown_mesh_mode_is_one_line(tmp_path, capsys):
    """A misspelt mode is named with its YAML path, exit 2, no traceback."""
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\nobjects:\n  meshes: generate\n")
    assert run(["generate", str(spec), "-n", "1", "-o", str(tmp_path / "out")]) == 2
    assert "objects.meshes" in only_error_line(capsys)


def test_a_generator_only_category_in_fixed_mode_says_how_to_opt_in(tmp_path, capsys):
    """Asking for a category only a generator provides, without the opt-in, names the field to set."""
    spec = tmp_path / "fixed.yaml"
    spec.write_text("name: fixed\nobjects:\n  categories: [mug, bucket]\n")
    assert run(["generate", str(spec), "-n", "1", "-o", str(tmp_path / "out")]) == 2
    line = only_error_line(capsys)
    assert "objects.categories[1]: 'bucket' has only a shape generator; set objects.meshes: generated" in line


def test_a_job_lists_generator_only_categories_when_it_generates(tmp_path):
    """Labels of a job that does not opt in keep the categories of before; opting in adds the rest."""
    from simulacra.job import Job, WorkItem

    manifest = builtin_manifest()
    files = manifest.categories(generated=False)

    def job(*specs) -> Job:
        items = tuple(WorkItem(i, spec) for i, spec in enumerate(specs))
        return Job(name="t", items=items, manifest=manifest, seed=0, out=tmp_path / "out")

    assert job(load_spec("tabletop")).categories() == files
    both = job(load_spec("tabletop"), _spec(meshes="generated")).categories()
    assert both[: len(files)] == files and len(both) > len(files) == 11
    assert both == manifest.categories()
