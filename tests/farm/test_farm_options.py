"""Farm options that need no Blender: shards, GPU assignment, memory readings, bad values."""

from __future__ import annotations

import pytest

from simulacra.cli import run
from simulacra.errors import FarmError
from simulacra.farm.options import FarmOptions, Shard, parse_gpus, worker_env
from simulacra.work.unit import rss_mb


def test_shards_partition_the_indices():
    """Every image index belongs to exactly one shard of N."""
    shards = [Shard.parse(f"{i}/3") for i in range(3)]
    for index in range(20):
        assert sum(shard.takes(index) for shard in shards) == 1
    assert [i for i in range(7) if shards[1].takes(i)] == [1, 4]
    assert str(shards[2]) == "2/3"


@pytest.mark.parametrize("text", ["3/3", "-1/2", "1", "a/b", "0/0", "1/"])
def test_bad_shard_is_refused(text):
    """A shard outside 0 <= i < N, or not i/N at all, names the option and the expected form."""
    with pytest.raises(FarmError, match=r"--shard .*expected i/N"):
        Shard.parse(text)


def test_one_gpu_per_worker():
    """CUDA workers get GPU k (or the k-th listed id, cycling); CPU workers get no assignment."""
    assert [worker_env(k, "cuda", None) for k in range(2)] == [
        {"CUDA_VISIBLE_DEVICES": "0"},
        {"CUDA_VISIBLE_DEVICES": "1"},
    ]
    gpus = parse_gpus("2, 5")
    assert [worker_env(k, "optix", gpus)["CUDA_VISIBLE_DEVICES"] for k in range(3)] == ["2", "5", "2"]
    assert worker_env(0, "cpu", gpus) == {}
    with pytest.raises(FarmError, match="--gpus"):
        parse_gpus("0,,1")


def test_options_refuse_zero_workers():
    """Zero workers is a named error, not an idle job."""
    with pytest.raises(FarmError, match="--workers 0"):
        FarmOptions(workers=0)


def test_rss_is_measured():
    """This process's resident memory reads as a plausible number of MiB."""
    assert 10 < rss_mb() < 100_000


def test_bad_shard_on_the_command_line(tmp_path, small_spec_file, capsys):
    """`generate --shard 2/2`: exit 2, one line naming the option, nothing written."""
    out = tmp_path / "out"
    assert run(["generate", str(small_spec_file), "-o", str(out), "--shard", "2/2"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--shard '2/2'" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.yaml"]


def test_assemble_needs_records(tmp_path, capsys):
    """`assemble` on a folder without records: exit 2, one line naming the folder."""
    assert run(["assemble", str(tmp_path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and f"{tmp_path}: no records/ folder" in lines[0]
