"""The one dataset reader fails one way: absent optional files read empty, the rest name the file."""

from __future__ import annotations

import json

import pytest

from simulacra.dataset.layout import AUDIT_LOG, COCO_FILE, EVAL_DIR, GRAPHS, UTILITY_FILE, record_file
from simulacra.dataset.reader import (
    graph_lines,
    load_job_record,
    load_records,
    read_audit_log,
    read_coco,
    read_eval_result,
    read_failures,
    read_graphs,
)
from simulacra.errors import DatasetError


def test_optional_files_read_empty_when_absent(tmp_path):
    """No graphs, audit log, failures or saved results: each reads as empty, nothing raises."""
    assert graph_lines(tmp_path) == []
    assert read_graphs(tmp_path) == []
    assert read_audit_log(tmp_path) == []
    assert read_failures(tmp_path) == []
    assert read_eval_result(tmp_path, UTILITY_FILE) == {}
    assert load_records(tmp_path) == []


def test_required_files_name_themselves_when_absent(tmp_path):
    """COCO and job.json belong to every dataset: a missing one is a DatasetError naming it."""
    with pytest.raises(DatasetError, match=r"annotations/coco\.json"):
        read_coco(tmp_path)
    with pytest.raises(DatasetError, match=r"job\.json"):
        load_job_record(tmp_path)


@pytest.mark.parametrize(
    ("name", "read", "message"),
    [
        (GRAPHS, read_graphs, r"scene_graphs\.jsonl: malformed scene graph"),
        (AUDIT_LOG, read_audit_log, r"audit\.jsonl: malformed JSON line"),
        (COCO_FILE, read_coco, r"coco\.json: malformed JSON"),
        ("job.json", load_job_record, r"job\.json is malformed"),
        (record_file(3), load_records, r"000003\.json is malformed"),
    ],
)
def test_a_malformed_file_is_named(tmp_path, name, read, message):
    """Every file present but broken raises DatasetError with its name, never a traceback."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json\n")
    with pytest.raises(DatasetError, match=message):
        read(tmp_path)


def test_saved_results_and_logs_round_trip(tmp_path):
    """What the writers put down reads back as it was."""
    (tmp_path / AUDIT_LOG).write_text(json.dumps({"image_index": 0}) + "\n\n")
    (tmp_path / EVAL_DIR).mkdir()
    (tmp_path / EVAL_DIR / UTILITY_FILE).write_text(json.dumps({"segmentation": {"mean": 0.5}}))
    assert read_audit_log(tmp_path) == [{"image_index": 0}]
    assert read_eval_result(tmp_path, UTILITY_FILE) == {"segmentation": {"mean": 0.5}}
