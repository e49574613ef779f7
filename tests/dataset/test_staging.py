"""The staging folder: found again by --resume, only by the same job, never silently lost."""

from __future__ import annotations

import pytest

from simulacra.dataset.atomic import remove_leftovers, write_atomic
from simulacra.dataset.layout import STATE
from simulacra.dataset.reader import load_records
from simulacra.dataset.records import ImageOutcome, commit, finished, outcome_files
from simulacra.dataset.staging import open_staging, staging_folder
from simulacra.errors import OutputError


def test_fresh_job_creates_and_publishes(tmp_path):
    """A new job stages beside the output and publishes by rename, bookkeeping removed."""
    out = tmp_path / "data"
    staging = open_staging(out, "hash-a", resume=False, shard=None)
    assert staging.root == staging_folder(out) == tmp_path / ".data.partial"
    (staging.root / "kept.txt").write_text("x")
    staging.publish()
    assert sorted(p.name for p in out.iterdir()) == ["kept.txt"]
    assert not staging_folder(out).exists()


def test_existing_partial_needs_resume(tmp_path):
    """Without --resume an unfinished job's folder is an error that says how to continue."""
    out = tmp_path / "data"
    first = open_staging(out, "hash-a", resume=False, shard=None)
    commit(first.root, outcome_files(ImageOutcome(0, None), None))
    first.abandon()
    with pytest.raises(OutputError, match="pass --resume"):
        open_staging(out, "hash-a", resume=False, shard=None)
    again = open_staging(out, "hash-a", resume=True, shard=None)
    assert again.already_finished == 1


def test_resume_refuses_another_job(tmp_path):
    """--resume into a partial folder of a different config or shard is refused, folder untouched."""
    out = tmp_path / "data"
    first = open_staging(out, "hash-a", resume=False, shard="0/2")
    commit(first.root, outcome_files(ImageOutcome(0, None), None))
    first.abandon()
    before = (staging_folder(out) / STATE).read_text()
    with pytest.raises(OutputError, match="holds a different job"):
        open_staging(out, "hash-b", resume=True, shard="0/2")
    with pytest.raises(OutputError, match="holds shard 0/2, not 1/2"):
        open_staging(out, "hash-a", resume=True, shard="1/2")
    assert (staging_folder(out) / STATE).read_text() == before
    assert finished(staging_folder(out)) == {0}


def test_two_drivers_cannot_share_a_folder(tmp_path):
    """While one driver holds the folder, a second one is refused."""
    out = tmp_path / "data"
    held = open_staging(out, "hash-a", resume=False, shard=None)
    with pytest.raises(OutputError, match="another simulacra process"):
        open_staging(out, "hash-a", resume=True, shard=None)
    held.abandon()
    assert not staging_folder(out).exists()  # nothing finished: nothing kept


def test_records_round_trip_and_leftovers(tmp_path):
    """A record reads back equal; temp files of a killed writer are found and removed."""
    outcome = ImageOutcome(3, None, ({"image_index": 3, "verdict": "reject"},), {1: 20}, "CPU", "hung")
    commit(tmp_path, outcome_files(outcome, None))
    assert load_records(tmp_path) == [outcome]
    assert outcome.status == "failed" and outcome.rejected == 1
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / ".000001.png.tmp-999").write_bytes(b"half")
    write_atomic(tmp_path / "whole.txt", b"all")
    assert remove_leftovers(tmp_path) == 1
    assert (tmp_path / "whole.txt").read_bytes() == b"all"
