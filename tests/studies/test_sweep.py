"""`simulacra sweep`: one dataset per value under the same seed, a summary table, clean refusals."""

from __future__ import annotations

import json

import pytest

from simulacra.cli import run
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender

SPEC = """\
name: sweep
resolution: [64, 64]
samples: 8
posters:
  probability: 0.0
"""


def _graphs(folder) -> list[SceneGraph]:
    return [SceneGraph.from_json(line) for line in (folder / "scene_graphs.jsonl").read_text().splitlines()]


def test_sweep_writes_one_dataset_per_value_and_a_summary(tmp_path, capfd):
    """Two light counts give two datasets that differ in lights only; sweep.md/json summarise them."""
    (tmp_path / "spec.yaml").write_text(SPEC)
    out = tmp_path / "sweep"
    args = ["sweep", str(tmp_path / "spec.yaml"), "--set", "lights.count_range=1,3", "-n", "1"]
    assert run([*args, "-o", str(out), "--seed", "5"]) == 0
    one, three = out / "lights.count_range=1", out / "lights.count_range=3"
    (g1,), (g3,) = _graphs(one), _graphs(three)
    assert (len(g1.lights), len(g3.lights)) == (1, 3)
    assert g1.seed == g3.seed
    rows = json.loads((out / "sweep.json").read_text())
    assert [r["dataset"] for r in rows] == [one.name, three.name]
    assert rows[1]["settings"] == {"lights.count_range": 3}
    for row in rows:
        assert row["images"] == 1 and row["instances"] >= 1
        assert row["instances_per_image"] == row["instances"]
        assert 0.0 < row["visible_fraction"] <= 1.0 and 0.0 < row["brightness"] < 1.0
    table = (out / "sweep.md").read_text()
    assert "| lights.count_range=3 | 1 |" in table
    assert table in capfd.readouterr().out


def test_sweep_refuses_a_bad_path_and_writes_nothing(tmp_path, capfd):
    """A misspelt field: one line naming the --set option, exit 2, no output folder."""
    (tmp_path / "spec.yaml").write_text(SPEC)
    out = tmp_path / "sweep"
    args = ["sweep", str(tmp_path / "spec.yaml"), "--set", "lights.cuont_range=1,3", "-o", str(out)]
    assert run(args) == 2
    message = capfd.readouterr().err.strip()
    assert "--set lights.cuont_range=1: lights.cuont_range: unknown field" in message
    assert len(message.splitlines()) == 1
    assert not out.exists()
