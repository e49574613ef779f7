"""Content-derived version ids: same recipe and labels, same id; any label or seed change, a new id."""

from __future__ import annotations

import json
import shutil

from simulacra.cli import run
from simulacra.dataset.version import dataset_version


def test_id_follows_content_not_path_or_date(tiny_dataset, tmp_path):
    """A copy elsewhere keeps the id, as does a new COCO date; one changed box gives a new id."""
    copy = tmp_path / "copy"
    shutil.copytree(tiny_dataset, copy)
    original = dataset_version(tiny_dataset)
    assert original.startswith("ds-") and len(original) == 15
    coco_path = copy / "annotations/coco.json"
    coco = json.loads(coco_path.read_text())
    coco["info"]["date_created"] = "1999-01-01"
    coco_path.write_text(json.dumps(coco))
    (copy / "eval").mkdir()
    (copy / "eval/utility.json").write_text("{}")  # evaluation results describe, not make, the dataset
    assert dataset_version(copy) == original
    coco["annotations"][0]["bbox"][0] += 1
    coco_path.write_text(json.dumps(coco))
    assert dataset_version(copy) != original


def test_regenerating_the_same_job_gives_the_same_id(tmp_path):
    """Two renders of one spec and seed share an id; another seed gets another."""
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: v\nresolution: [32, 32]\nsamples: 2\nposters:\n  probability: 0.0\n")
    ids = []
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        assert run(["generate", str(spec), "-n", "2", "-o", str(tmp_path / name), "--seed", seed]) == 0
        ids.append(dataset_version(tmp_path / name))
    assert ids[0] == ids[1] != ids[2]


def test_missing_job_file_is_named(tmp_path):
    """A folder without job.json: DatasetError naming job.json."""
    import pytest

    from simulacra.errors import DatasetError

    with pytest.raises(DatasetError, match=r"job\.json"):
        dataset_version(tmp_path)
