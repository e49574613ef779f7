"""Rooms (``environment.room``): a closed shell with window openings, its own draws, the indoor preset."""

from __future__ import annotations

import json

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.cli import run
from simulacra.scenes import SceneGraph, load_spec, resolve, spec_from_dict


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


def _span(box, axis: int) -> tuple[float, float]:
    return box.location[axis] - box.size[axis] / 2, box.location[axis] + box.size[axis] / 2


def test_indoor_preset_resolves_the_same_room_twice(manifest):
    """The ``indoor`` preset: byte-identical graphs per seed, a room, procedural floor and table."""
    spec = load_spec("indoor")
    for index in range(5):
        graph = resolve(spec, manifest, job_seed=3, image_index=index)
        assert (
            graph.to_json() == resolve(load_spec("indoor"), manifest, job_seed=3, image_index=index).to_json()
        )
        assert SceneGraph.from_json(graph.to_json()) == graph
        assert graph.room is not None and graph.room.floor.procedural is not None
        assert graph.surface.procedural is not None
        assert {leg.procedural for leg in graph.room.legs} == {graph.surface.procedural}


def test_room_encloses_the_table_and_camera_with_openings_only_in_the_far_walls(manifest):
    """Floor and ceiling span the room, legs reach the floor, the camera is inside, windows cut far walls."""
    spec = load_spec("indoor")
    openings = 0
    for index in range(10):
        graph = resolve(spec, manifest, job_seed=1, image_index=index)
        room = graph.room
        width, depth, height = room.size
        assert _span(room.floor, 2)[1] == pytest.approx(room.floor_z, abs=1e-5)
        assert _span(room.ceiling, 2)[0] == pytest.approx(room.floor_z + height, abs=1e-5)
        for leg in room.legs:
            assert _span(leg, 2) == pytest.approx((room.floor_z, -graph.surface.thickness), abs=1e-5)
        x, y, z = graph.camera.location
        assert abs(x) < width / 2 and abs(y) < depth / 2 and room.floor_z < z < room.floor_z + height
        front = [wall for wall in room.walls if wall.location[1] < -depth / 2]
        assert len(front) == 1 and front[0].size[0] > width  # behind the camera: one whole wall
        openings += len(room.walls) - 4  # a wall with a window is up to four pieces instead of one
        for piece in (*room.walls, *room.furniture):
            assert (
                _span(piece, 2)[0] >= room.floor_z - 1e-6
                and _span(piece, 2)[1] <= room.floor_z + height + 1e-6
            )
    assert openings > 0


def test_adding_a_room_moves_nothing_else(manifest):
    """The same spec with a room: every other part of the graph is byte-identical."""
    base = {"name": "r", "objects": {"count_range": [3, 5]}, "distractors": {"count_range": [1, 2]}}
    plain = spec_from_dict(base, source="t")
    roomy = spec_from_dict({**base, "environment": {"room": {}}}, source="t")
    for index in range(3):
        with_room = json.loads(resolve(roomy, manifest, job_seed=4, image_index=index).to_json())
        assert with_room.pop("room")["walls"]
        assert (
            json.dumps(with_room, separators=(",", ":"))
            == resolve(plain, manifest, job_seed=4, image_index=index).to_json()
        )


def test_bad_room_field_is_one_line_naming_it(tmp_path, capsys):
    """A room value out of range: exit 2, one line with its YAML path, nothing written."""
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: x\nenvironment:\n  room:\n    windows_range: [0, 4]\n")
    assert run(["generate", str(spec), "-n", "1", "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "environment.room.windows_range: expected values" in err, err
    assert not (tmp_path / "out").exists()
