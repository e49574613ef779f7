"""The same job rendered in this process, by worker processes, by shards and on Ray: one dataset."""

from __future__ import annotations

import pytest

from simulacra.cli import run
from tests.farm.conftest import N, assert_same_dataset

pytestmark = pytest.mark.blender


def test_two_workers_equal_in_process(spec, in_process, capfd):
    """`--workers 2 --threads-per-worker 1` writes the very dataset the in-process run wrote."""
    out = spec.parent / "two_workers"
    args = ["generate", str(spec), "-n", N, "-o", str(out), "--seed", "7"]
    assert run([*args, "--workers", "2", "--threads-per-worker", "1"]) == 0
    assert_same_dataset(in_process, out)
    err = capfd.readouterr().err
    assert "summary: 4 images rendered, 0 renders rejected by audit, 0 dropped, 0 failed, 0 retried" in err
    assert not list(spec.parent.glob(".two_workers*"))


def test_shards_merge_into_the_same_dataset(spec, in_process, tmp_path):
    """Shards 0/2 and 1/2 (one with a worker recycled after every image) merge into the same dataset."""
    base = ["generate", str(spec), "-n", N, "--seed", "7"]
    assert run([*base, "-o", str(tmp_path / "s0"), "--shard", "0/2"]) == 0
    one = ["--shard", "1/2", "--workers", "1", "--max-worker-rss-mb", "1"]
    assert run([*base, "-o", str(tmp_path / "s1"), *one]) == 0
    assert sorted(p.name for p in (tmp_path / "s1" / "records").iterdir()) == ["000001.json", "000003.json"]
    assert run(["merge", str(tmp_path / "s1"), "-o", str(tmp_path / "m")]) == 2  # images 0 and 2 missing
    assert run(["merge", str(tmp_path / "s0"), str(tmp_path / "s1"), "-o", str(tmp_path / "merged")]) == 0
    assert_same_dataset(in_process, tmp_path / "merged")


def test_reassemble_from_records(in_process, tmp_path):
    """`assemble` rebuilds COCO, logs and card from the records: the same files as at generation."""
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(in_process, copy)
    for name in ("scene_graphs.jsonl", "audit.jsonl", "annotations/coco.json", "DATASET_CARD.md"):
        (copy / name).unlink()
    assert run(["assemble", str(copy)]) == 0
    assert_same_dataset(in_process, copy)


def test_ray_local_cluster_equals_in_process(spec, in_process):
    """Two Ray actors on a local Ray instance produce the same dataset; the driver writes every file."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = spec.parent / "ray"
        args = ["generate", str(spec), "-n", N, "-o", str(out), "--seed", "7"]
        assert run([*args, "--ray", "auto", "--workers", "2", "--threads-per-worker", "1"]) == 0
    finally:
        ray.shutdown()
    assert_same_dataset(in_process, out)
