"""`simulacra rerender`: one image rendered again from its scene graph matches the stored pixels."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from simulacra.cli import run

pytestmark = pytest.mark.blender

SPEC = """\
name: rerender
resolution: [64, 64]
samples: 8
lights:
  count_range: [2, 3]
posters:
  probability: 0.0
"""


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("rerender")
    (root / "spec.yaml").write_text(SPEC)
    out = root / "out"
    assert run(["generate", str(root / "spec.yaml"), "-n", "2", "-o", str(out), "--seed", "9"]) == 0
    return out


def test_rerender_matches_stored_image(dataset, tmp_path, capfd):
    """Image 1 rendered again is pixel-identical to the stored PNG; -o writes that render."""
    copy = tmp_path / "again.png"
    assert run(["rerender", str(dataset), "--id", "1", "-o", str(copy)]) == 0
    assert "matches" in capfd.readouterr().err
    assert np.array_equal(cv2.imread(str(copy)), cv2.imread(str(dataset / "images/000001.png")))


def test_rerender_reports_a_changed_image(dataset, tmp_path, capfd):
    """A stored image edited after the fact is a mismatch: exit 1 with max and mean difference."""
    import shutil

    edited = tmp_path / "edited"
    shutil.copytree(dataset, edited)
    path = edited / "images/000000.png"
    image = cv2.imread(str(path))
    image[10:20, 10:20] = 255 - image[10:20, 10:20]
    cv2.imwrite(str(path), image)
    assert run(["rerender", str(edited), "--id", "0"]) == 1
    message = capfd.readouterr().err
    assert "differs" in message and "max difference" in message and "mean difference" in message


def test_rerender_refuses_bad_input(dataset, tmp_path, capfd):
    """An unknown id and a folder that is no dataset: one line each, exit 2, nothing written."""
    assert run(["rerender", str(dataset), "--id", "7", "-o", str(tmp_path / "x.png")]) == 2
    assert "no image with id 7" in capfd.readouterr().err
    assert not (tmp_path / "x.png").exists()
    assert run(["rerender", str(tmp_path), "--id", "0"]) == 2
    assert "not a simulacra dataset" in capfd.readouterr().err


def test_rerender_refines_when_the_job_did(tmp_path, capfd):
    """A refined dataset's image is re-rendered and refined again, and matches."""
    from simulacra.generate.demo import BUNDLED_REFINER

    (tmp_path / "spec.yaml").write_text(SPEC)
    out = tmp_path / "refined"
    args = ["generate", str(tmp_path / "spec.yaml"), "-n", "1", "-o", str(out), "--seed", "2"]
    assert run([*args, "--refine", str(BUNDLED_REFINER)]) == 0
    assert run(["rerender", str(out), "--id", "0"]) == 0
    assert "matches" in capfd.readouterr().err


SENSOR_SPEC = (
    SPEC.replace("name: rerender", "name: sensed")
    + """\
sensor:
  chromatic_aberration: {shift_px_range: [0.5, 1.0]}
  blur: {sigma_range: [0.5, 1.0]}
  vignetting: {strength_range: [0.2, 0.4]}
  exposure: {ev_range: [-0.3, 0.3]}
  noise: {sigma_range: [2, 4]}
  jpeg: {quality_range: [50, 80]}
"""
)


def test_sensor_effects_recorded_and_rerendered_exactly(tmp_path, capfd):
    """With every sensor effect on, the graph lists them in order and rerender matches the stored PNG."""
    from simulacra.randomize import SENSOR_ORDER
    from simulacra.scenes import SceneGraph

    (tmp_path / "spec.yaml").write_text(SENSOR_SPEC)
    out = tmp_path / "out"
    assert run(["generate", str(tmp_path / "spec.yaml"), "-n", "1", "-o", str(out), "--seed", "9"]) == 0
    graph = SceneGraph.from_json((out / "scene_graphs.jsonl").read_text().splitlines()[0])
    assert [effect.effect for effect in graph.sensor] == list(SENSOR_ORDER)
    versions = json.loads((out / "job.json").read_text())["versions"]
    assert set(versions) == {"simulacra", "bpy", "blenderproc"}
    capfd.readouterr()
    assert run(["rerender", str(out), "--id", "0"]) == 0
    assert "matches" in capfd.readouterr().err
