"""``simulacra study``: one dataset per ablation variant, scored on a fixed target, with the ceiling."""

from __future__ import annotations

import json

import pytest

from simulacra.cli import run
from simulacra.scenes import SceneGraph
from tests.conftest import TINY_SPEC, only_error_line

pytestmark = pytest.mark.blender

TRAINING = ["--steps", "2", "--utility-seeds", "2", "--size", "64", "--device", "cpu", "--threads", "1"]


def _lights(folder) -> list[int]:
    lines = (folder / "scene_graphs.jsonl").read_text().splitlines()
    return [len(SceneGraph.from_json(line).lights) for line in lines]


def test_study_on_a_spec_target_writes_table_plot_card_and_ceiling(tmp_path, capfd):
    """Two axes: base, all on, all minus each; the target and the ceiling rendered from the target spec."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY_SPEC)
    out = tmp_path / "study"
    axes = ["--axis", "lights.count_range=1,3", "--axis", "posters.probability=0.0,1.0"]
    args = ["study", str(spec), *axes, "--target", str(spec), "-o", str(out), "-n", "2", "--target-n", "2"]
    assert run([*args, *TRAINING]) == 0
    saved = json.loads((out / "study.json").read_text())
    labels = [row["label"] for row in saved["rows"]]
    assert labels == ["base", "all", "all-lights.count_range", "all-posters.probability"]
    assert _lights(out / "datasets/base") == [1, 1] and _lights(out / "datasets/all") == [3, 3]
    assert _lights(out / "datasets/all-lights.count_range") == [1, 1]
    for row in saved["rows"]:
        assert row["images"] == 2 and len(row["utility"]["runs"]) == 2
        assert row["utility"]["ci95"] is not None and row["dataset_version"].startswith("ds-")
    assert saved["target_images"] == 2 and saved["ceiling"]["test"] == str(out / "target")
    table = (out / "study.md").read_text()
    assert "| all-posters.probability | 2 |" in table and "In-domain ceiling: 0." in table
    assert (out / "study.png").stat().st_size > 0
    assert table in (out / "STUDY_CARD.md").read_text()
    assert "(in-domain ceiling)" in capfd.readouterr().out


def test_study_on_a_dataset_target_has_no_ceiling(tmp_path, tiny_dataset):
    """A target folder is scored as it is: nothing rendered into target/, the ceiling not measured."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY_SPEC)
    out = tmp_path / "study"
    args = [
        "study",
        str(spec),
        "--axis",
        "lights.count_range=1,2",
        "--target",
        str(tiny_dataset),
        "-o",
        str(out),
    ]
    assert run([*args, "-n", "1", *TRAINING]) == 0
    saved = json.loads((out / "study.json").read_text())
    assert [row["label"] for row in saved["rows"]] == ["base", "all"]
    assert saved["ceiling"] is None and saved["target"] == str(tiny_dataset)
    assert not (out / "target").exists()
    assert "ceiling: not measured" in (out / "study.md").read_text()


@pytest.mark.parametrize(
    ("axis", "message"),
    [
        ("lights.count_range=1,2,3", "--axis lights.count_range=1,2,3: expected path=off,on (two values)"),
        ("lights.cuont_range=1,3", "--axis lights.cuont_range=1: lights.cuont_range: unknown field"),
    ],
)
def test_bad_axis_is_one_line_and_writes_nothing(tmp_path, capfd, axis, message):
    """Three values, or a misspelt field: named in one line, exit 2, no study folder."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY_SPEC)
    out = tmp_path / "study"
    assert run(["study", str(spec), "--axis", axis, "--target", str(spec), "-o", str(out)]) == 2
    assert message in only_error_line(capfd)
    assert not out.exists()


def test_target_with_a_category_no_variant_lists_is_refused_before_rendering(tmp_path, capfd, tiny_dataset):
    """A dataset target labelling a category the variants never list: one line, exit 2, nothing rendered."""
    import shutil

    target = tmp_path / "target"
    shutil.copytree(tiny_dataset, target)
    coco_path = target / "annotations/coco.json"
    coco = json.loads(coco_path.read_text())
    coco["categories"][0]["name"] = "widget"
    coco_path.write_text(json.dumps(coco))
    spec = tmp_path / "tiny.yaml"
    spec.write_text(TINY_SPEC)
    out = tmp_path / "study"
    args = ["study", str(spec), "--axis", "lights.count_range=1,2", "--target", str(target), "-o", str(out)]
    assert run([*args, "-n", "1", *TRAINING]) == 2
    assert "categories widget are not in the training set of base" in only_error_line(capfd)
    assert not out.exists()
