"""Bad input to `simulacra export`: one line naming the field or file, exit 2, no output at all."""

from __future__ import annotations

import json
import shutil

import pytest

from simulacra.cli import run
from simulacra.cli.export import Format, Segmentation, export_command
from simulacra.export import DEFAULT_SPLIT, FORMATS, SEGMENTATIONS
from tests.conftest import only_error_line


@pytest.mark.parametrize(
    ("split", "expected"),
    [
        ("train=0.8,dev=0.2", "'dev' is not a split"),
        ("train=0.8,val=0.1", "sum to 0.9"),
        ("train=0.8,val=x", "'val=x' is not name=share"),
        ("train=1.5", "not in (0, 1]"),
        ("train=1", "needs a val split"),  # asked of yolo below
    ],
)
def test_bad_split_is_one_line(tiny_dataset, tmp_path, capsys, split, expected):
    """Each malformed --split is named; nothing is written beside the output path."""
    out = tmp_path / "out"
    assert run(["export", str(tiny_dataset), "--format", "yolo", "-o", str(out), "--split", split]) == 2
    assert expected in only_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


def test_more_splits_than_scenes(tiny_dataset, tmp_path, capsys):
    """A one-image dataset cannot fill three splits: said before anything is written."""
    one = tmp_path / "one"
    shutil.copytree(tiny_dataset, one)
    coco = json.loads((one / "annotations/coco.json").read_text())
    coco["images"] = coco["images"][:1]
    coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] == coco["images"][0]["id"]]
    (one / "annotations/coco.json").write_text(json.dumps(coco))
    assert run(["export", str(one), "--format", "coco", "-o", str(tmp_path / "out")]) == 2
    assert "1 scenes cannot fill 3 splits" in only_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_missing_image_file_is_named_and_nothing_is_left(tiny_dataset, tmp_path, capsys):
    """An image the COCO file lists but the folder lacks: named, exit 2, no output, no staging folder."""
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset, broken)
    (broken / "images/000003.png").unlink()
    work = tmp_path / "work"
    work.mkdir()
    assert run(["export", str(broken), "--format", "hf", "-o", str(work / "out")]) == 2
    line = only_error_line(capsys)
    assert "images/000003.png is missing" in line and "coco.json" in line
    assert list(work.iterdir()) == []


def test_unknown_category_is_named(tiny_dataset, tmp_path, capsys):
    """An annotation whose category the COCO file does not define: the annotation is named."""
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset, broken)
    coco = json.loads((broken / "annotations/coco.json").read_text())
    coco["annotations"][2]["category_id"] = 999
    (broken / "annotations/coco.json").write_text(json.dumps(coco))
    assert run(["export", str(broken), "--format", "coco", "-o", str(tmp_path / "out")]) == 2
    assert f"annotation {coco['annotations'][2]['id']} has an unknown category_id" in only_error_line(capsys)
    assert not (tmp_path / "out").exists()


def test_refuses_a_folder_that_is_no_dataset_and_an_occupied_output(tiny_dataset, tmp_path, capsys):
    """No COCO file: named. An output folder with files, or one inside the dataset: refused, untouched."""
    assert run(["export", str(tmp_path), "--format", "coco", "-o", str(tmp_path / "out")]) == 2
    assert "not a simulacra dataset" in only_error_line(capsys)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    assert run(["export", str(tiny_dataset), "--format", "coco", "-o", str(taken)]) == 2
    assert "already exists and is not empty" in only_error_line(capsys)
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]
    assert run(["export", str(tiny_dataset), "--format", "coco", "-o", str(tiny_dataset / "export")]) == 2
    assert "inside the dataset" in only_error_line(capsys)
    assert not (tiny_dataset / "export").exists()


def test_cli_choices_are_the_exporters():
    """The CLI repeats the names (so --help loads no exporter); they must stay the same."""
    assert tuple(f.value for f in Format) == FORMATS
    assert tuple(s.value for s in Segmentation) == SEGMENTATIONS
    defaults = {name: parameter.default for name, parameter in _parameters().items()}
    assert defaults["split"] == DEFAULT_SPLIT


def _parameters():
    import inspect

    return inspect.signature(export_command).parameters
