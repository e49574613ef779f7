"""Interrupt and resume: Ctrl-C stops a job; --resume finishes it and checks what it skips."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest

from simulacra.cli import run
from simulacra.dataset.staging import staging_folder
from tests.farm.conftest import SLOW_SPEC, N, assert_same_dataset, generate_process, wait_for

pytestmark = pytest.mark.blender


WORKERS = ["--workers", "2", "--threads-per-worker", "1"]


@pytest.mark.parametrize("workers", [[], WORKERS], ids=["here", "workers"])
def test_ctrl_c_stops_the_job_and_resume_finishes_it(workers, tmp_path, capfd):
    """Ctrl-C (SIGINT to the process group) stops the job early: exit 130, the hint, a resumable folder."""
    spec = tmp_path / "slow.yaml"
    spec.write_text(SLOW_SPEC.format(size=96, samples=512))  # about 1.5 s an image on one core
    out = tmp_path / "out"
    args = [str(spec), "-n", "8", "-o", str(out), "--seed", "3"]
    driver = generate_process(*args, *workers)
    records = staging_folder(out) / "records"
    wait_for(lambda: records.is_dir() and any(records.glob("*.json")), driver, timeout=300)
    os.killpg(driver.pid, signal.SIGINT)
    _, err = driver.communicate(timeout=120)  # stops after the images being rendered, not after all 8
    assert driver.returncode == 130, err
    assert "run the same command with --resume to continue" in err
    done = len(list(records.glob("*.json")))
    assert 1 <= done < 8 and not out.exists()
    for status in (staging_folder(out) / "workers").glob("*.json"):  # the driver stopped its workers
        pid = json.loads(status.read_text())["pid"]
        assert pid is None or not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived its driver"
    assert run(["generate", *args, "--resume"]) == 0
    assert f"(+{done} finished before --resume)" in capfd.readouterr().err
    assert len(list((out / "records").glob("*.json"))) == 8


def test_resume_of_a_finished_job_is_a_no_op(spec, in_process, tmp_path, capsys):
    """--resume on its finished dataset: exit 0, "already complete", nothing touched; another job: exit 2."""
    out = tmp_path / "out"
    shutil.copytree(in_process, out)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    args = ["generate", str(spec), "-n", N, "-o", str(out), "--seed", "7", "--resume"]
    assert run(args) == 0
    assert f"already complete: {out} holds all {N} images" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    assert not staging_folder(out).exists()
    assert run([*args[:-2], "8", "--resume"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "finished dataset of a different job" in lines[0]


def test_resume_redoes_images_that_do_not_check_out(spec, in_process, tmp_path, capfd, caplog):
    """A foreign record, a truncated record, a deleted image: those are rendered again; the same dataset."""
    out = tmp_path / "out"
    partial = staging_folder(out)
    shutil.copytree(in_process, partial)
    config_hash = json.loads((partial / "job.json").read_text())["config_hash"]
    state = {"config_hash": config_hash, "shard": None, "out": str(out)}
    (partial / "farm.json").write_text(json.dumps(state))
    records = partial / "records"
    (records / "000000.json").write_bytes((records / "000003.json").read_bytes())  # foreign
    (records / "000001.json").write_bytes((records / "000001.json").read_bytes()[:100])  # truncated
    (partial / "images/000002.png").unlink()
    assert run(["generate", str(spec), "-n", N, "-o", str(out), "--seed", "7", "--resume"]) == 0
    assert "3 images rendered (+1 finished before --resume)" in capfd.readouterr().err
    assert "3 finished image(s) will be rendered again" in caplog.text
    assert_same_dataset(in_process, out)


def test_records_carry_the_sha256_of_their_files(in_process):
    """Every kept image's record lists each of its files with the file's sha256."""
    import hashlib

    record = json.loads((in_process / "records/000000.json").read_text())
    from simulacra.dataset.layout import image_files

    assert sorted(record["files"]) == sorted(image_files(0))
    for name, digest in record["files"].items():
        assert hashlib.sha256(Path(in_process / name).read_bytes()).hexdigest() == digest


def test_a_huge_job_starts_rendering_at_once_in_constant_memory(tmp_path):
    """-n 100000000 (one shard): the first image lands with nothing resolved ahead; job.json stays small."""
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SLOW_SPEC.format(size=32, samples=1))
    out = tmp_path / "out"
    driver = generate_process(str(spec), "-n", "100000000", "-o", str(out), "--shard", "0/10000")
    partial = staging_folder(out)
    try:  # before, every one of the 10^8 graphs was resolved first: hours, and gigabytes
        wait_for(lambda: (partial / "records/000000.json").is_file(), driver, timeout=300)
        rss_mib = (
            int(Path(f"/proc/{driver.pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20
        )
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
    job = json.loads((partial / "job.json").read_text())
    assert job["items"] == [[0, 100000000, next(iter(job["specs"]))]]
    assert (partial / "job.json").stat().st_size < 64 * 1024
    assert rss_mib < 2048  # one Blender session; 10^8 work items would take tens of GiB
