"""``simulacra compare``: several dataset versions side by side, evaluations where saved."""

from __future__ import annotations

import json
import shutil

from simulacra.cli import run
from simulacra.dataset.version import dataset_version
from simulacra.evaluation.compare import comparison


def test_compare_lists_versions_counts_and_saved_evaluations(tiny_dataset, tmp_path, capsys):
    """Version ids, per-class counts, audit state; utility and coverage where eval/ holds them, else '-'."""
    evaluated = tmp_path / "v2"
    shutil.copytree(tiny_dataset, evaluated)
    (evaluated / "eval").mkdir()
    utility = {
        "segmentation": {
            "metric": "mIoU",
            "mean": 0.4213,
            "ci95": [0.38, 0.46],
            "test": "x",
            "test_version": "ds-t",
        }
    }
    (evaluated / "eval/utility.json").write_text(json.dumps(utility))
    coverage = {"/data/refs/images": {"k": 5, "density": 0.91, "coverage": 0.72, "dcr": None}}
    (evaluated / "eval/coverage.json").write_text(json.dumps(coverage))
    rows = dict(comparison([tiny_dataset, evaluated]))
    assert rows["Version id"] == [dataset_version(tiny_dataset)] * 2
    assert rows["Images"] == ["8", "8"]
    assert rows["mIoU (segmentation, test ds-t)"] == ["-", "0.421 [0.380, 0.460]"]
    assert rows["Coverage vs refs/images (k=5)"] == ["-", "0.720"]
    assert rows["Audit: renders audited"] == ["0 (not audited)"] * 2
    coco = json.loads((tiny_dataset / "annotations/coco.json").read_text())
    first = coco["categories"][0]["name"]
    count = sum(a["category_id"] == coco["categories"][0]["id"] for a in coco["annotations"])
    assert rows[f"  {first}"] == [str(count)] * 2
    assert run(["compare", str(tiny_dataset), str(evaluated)]) == 0
    assert "Version id" in capsys.readouterr().out


def test_compare_missing_dataset_is_one_line(tiny_dataset, tmp_path, capsys):
    """A folder that is not a dataset: named, exit 2."""
    assert run(["compare", str(tiny_dataset), str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err
