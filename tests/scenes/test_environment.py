"""environment: bin walls and shelves resolve into unlabeled boxes; objects go inside or onto them."""

from __future__ import annotations

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.scenes import load_spec, resolve, spec_from_dict


@pytest.mark.parametrize("preset", ["bin-picking", "warehouse"])
def test_presets_load_and_resolve_deterministically(preset):
    """Both presets load by name, record their fixtures and give byte-identical graphs per seed."""
    spec, manifest = load_spec(preset), builtin_manifest()
    graph = resolve(spec, manifest, job_seed=0, image_index=1)
    assert graph.environment and len(graph.objects) >= 8
    assert graph.to_json() == resolve(spec, manifest, job_seed=0, image_index=1).to_json()


def test_bin_walls_enclose_the_objects():
    """Four walls around the floor; every dropped object starts over the floor, inside the walls."""
    spec = load_spec("bin-picking")
    for seed in range(3):
        graph = resolve(spec, builtin_manifest(), job_seed=seed, image_index=0)
        walls = graph.environment
        assert len(walls) == 4
        inner_x = min(abs(w.location[0]) - w.size[0] / 2 for w in walls if w.size[0] < w.size[1])
        inner_y = min(abs(w.location[1]) - w.size[1] / 2 for w in walls if w.size[1] < w.size[0])
        for node in graph.objects:
            assert abs(node.location[0]) < inner_x and abs(node.location[1]) < inner_y
            assert {node.category} <= {"box", "can"}


def test_shelf_objects_stand_on_the_levels():
    """Each object's lowest point is on a board's top face, within the board's width and depth."""
    spec, records = load_spec("warehouse"), {r.id: r for r in builtin_manifest().assets}
    graph = resolve(spec, builtin_manifest(), job_seed=4, image_index=0)
    boards = [b for b in graph.environment if b.size[2] == spec.environment.thickness]
    tops = {round(b.location[2] + b.size[2] / 2, 6) for b in boards}
    levels = set()
    for node in graph.objects:
        bottom = round(node.location[2] + records[node.asset.id].bounds[0][2] * node.scale, 6)
        assert bottom in tops
        levels.add(bottom)
        assert (
            abs(node.location[0]) <= boards[0].size[0] / 2 and abs(node.location[1]) <= boards[0].size[1] / 2
        )
    assert len(levels) == len(boards) - 1  # every level used; nothing on the top board
    assert graph.camera.look_at[2] > 0.3  # the camera looks at the shelves' middle, not the floor


def test_table_scenes_record_no_environment():
    """The default kind draws nothing and leaves the field out of the graph JSON."""
    graph = resolve(load_spec("tabletop"), builtin_manifest(), job_seed=0, image_index=0)
    assert graph.environment is None and '"environment"' not in graph.to_json()


def test_unknown_environment_kind_is_named():
    """A misspelt kind is refused with its YAML path."""
    from simulacra.errors import SpecError

    with pytest.raises(SpecError, match=r"environment\.kind"):
        spec_from_dict({"name": "x", "environment": {"kind": "crate"}}, source="test")
