"""Crash safety: kill -9 the driver or a worker, or hang an image; the dataset still comes out whole."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from simulacra.cli import run
from simulacra.dataset.staging import staging_folder
from tests.farm.conftest import SLOW_SPEC, N, assert_same_dataset, generate_process, wait_for

pytestmark = pytest.mark.blender


def test_driver_killed_mid_job_resumes_to_the_same_dataset(spec, in_process, tmp_path, capsys):
    """kill -9 of the driver and its workers, then --resume: the same dataset, nothing missing or doubled."""
    out = tmp_path / "out"
    # A worker recycled after every image restarts Blender each time, which keeps the job
    # running long enough to be killed between its first and last image.
    args = [str(spec), "-n", N, "-o", str(out), "--seed", "7", "--workers", "1", "--max-worker-rss-mb", "1"]
    driver = generate_process(*args)
    records = staging_folder(out) / "records"
    wait_for(lambda: records.is_dir() and any(records.glob("*.json")), driver)
    os.killpg(driver.pid, signal.SIGKILL)
    driver.wait()
    done_before = len(list(records.glob("*.json")))
    assert 1 <= done_before < int(N) and not out.exists()

    assert run(["generate", *args]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert run(["generate", *args, "--resume"]) == 0
    assert f"(+{done_before} finished before --resume)" in capsys.readouterr().err
    assert_same_dataset(in_process, out)
    assert sorted(p.name for p in (out / "records").iterdir()) == [f"{i:06d}.json" for i in range(int(N))]
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert not staging_folder(out).exists()


def test_worker_killed_mid_image_is_retried(tmp_path):
    """kill -9 of a worker while it renders: its image goes to a fresh worker, the job completes,
    and the killed worker's temporary files are gone."""
    spec = tmp_path / "slow.yaml"
    spec.write_text(SLOW_SPEC.format(size=96, samples=64))
    out = tmp_path / "out"
    temp = tmp_path / "temp"
    temp.mkdir()
    args = (str(spec), "-n", "2", "-o", str(out), "--workers", "1", "--threads-per-worker", "1")
    driver = generate_process(*args, env={"TMPDIR": str(temp)})
    status = staging_folder(out) / "workers" / "0.json"

    def rendering_image_0() -> dict | None:
        state = json.loads(status.read_text()) if status.is_file() else {}
        return state if state.get("image_index") == 0 and state.get("pid") else None

    os.kill(wait_for(rendering_image_0, driver)["pid"], signal.SIGKILL)
    _, err = driver.communicate(timeout=180)
    assert driver.returncode == 0, err
    assert "2 images rendered" in err and "0 failed, 1 retried" in err
    records = [json.loads((out / f"records/{i:06d}.json").read_text()) for i in range(2)]
    assert [r["graph"]["image_index"] for r in records] == [0, 1]
    assert len((out / "scene_graphs.jsonl").read_text().splitlines()) == 2
    assert list(temp.iterdir()) == []


def test_hanging_image_is_recorded_failed_and_the_job_finishes(tmp_path, capfd):
    """An image past --image-timeout on every try is recorded as failed with its reason; the job publishes."""
    spec = tmp_path / "slow.yaml"
    spec.write_text(SLOW_SPEC.format(size=128, samples=4096))
    out = tmp_path / "out"
    args = ["generate", str(spec), "-n", "1", "-o", str(out), "--workers", "1", "--threads-per-worker", "1"]
    assert run([*args, "--image-timeout", "1", "--max-failures", "1"]) == 0
    assert "0 dropped, 1 failed, 0 retried" in capfd.readouterr().err
    failure = json.loads((out / "failures.jsonl").read_text())
    assert failure["image_index"] == 0 and "timed out after 1 s" in failure["reason"]
    assert json.loads((out / "annotations/coco.json").read_text())["images"] == []
    card = (out / "DATASET_CARD.md").read_text()
    assert "- Failed to render (after retries; reasons in failures.jsonl): 1 (images 0)" in card


def test_resume_of_another_job_is_refused(spec, tmp_path, capsys):
    """--resume into a partial folder left by a different job (other seed): one line, exit 2."""
    out = tmp_path / "out"
    partial = staging_folder(out)
    partial.mkdir()
    (partial / "farm.json").write_text(json.dumps({"config_hash": "0" * 64, "shard": None}))
    assert run(["generate", str(spec), "-n", N, "-o", str(out), "--resume"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "holds a different job" in lines[0]
    assert sorted(p.name for p in partial.iterdir()) == ["farm.json"]


def test_image_files_written_before_record(tmp_path):
    """Any file without its record is a leftover: the record is the last file of an image."""
    from simulacra.dataset.records import ImageOutcome, outcome_files

    names = list(outcome_files(ImageOutcome(5, None), None))
    assert names == ["records/000005.json"]
    assert Path(names[-1]).parent.name == "records"
