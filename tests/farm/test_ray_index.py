"""The reference index on a local Ray cluster: the index, verdicts and dataset of one process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from simulacra.audit import read_image, write_demo_references
from simulacra.audit.calibration import procedural_poster, tabletop
from simulacra.cli import run

SHARDS = "4"  # the demo photos' ids fall in three of the four


@pytest.fixture(scope="module")
def cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Demo references (sidecar ids and licences), renders with each planted, clean renders, a bad file."""
    root = tmp_path_factory.mktemp("ray_index")
    refs, renders = root / "refs", root / "renders"
    renders.mkdir()
    write_demo_references(refs)
    for i, file in enumerate(sorted(refs.glob("*.png"))):
        poster = tabletop(np.random.default_rng([21, i]), read_image(file)[0]).rgb
        cv2.imwrite(str(renders / f"planted_{file.stem}.png"), poster[..., ::-1])
    for i in range(3):
        rng = np.random.default_rng([22, i])
        cv2.imwrite(str(renders / f"clean_{i}.png"), tabletop(rng, procedural_poster(rng)).rgb[..., ::-1])
    (renders / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot an image")
    return root


def _build(workspace: Path, name: str, *extra: str) -> Path:
    out = workspace / name
    args = ["index", "build", str(workspace / "refs"), "-o", str(out), "--shards", SHARDS, *extra]
    assert run([*args, "--workers", "1"]) == 0
    return out


def _same_index(a: Path, b: Path) -> None:
    """The same shards, the same descriptors byte for byte."""
    manifest_a, manifest_b = (json.loads((p / "shards.json").read_text()) for p in (a, b))
    assert manifest_a == manifest_b
    files = sorted(p.relative_to(a) for p in a.rglob("*.npy"))
    assert files and files == sorted(p.relative_to(b) for p in b.rglob("*.npy"))
    for name in files:
        assert np.array_equal(np.load(a / name), np.load(b / name)), name


def test_index_build_on_ray_equals_one_process(cluster, workspace: Path) -> None:
    _same_index(_build(workspace, "local"), _build(workspace, "on_ray", "--ray", "auto"))


def test_audit_on_ray_gives_the_verdicts_of_one_process(cluster, workspace: Path) -> None:
    index = workspace / "local"
    if not index.exists():
        _build(workspace, "local")
    verdicts = {}
    for name, extra in (("here", []), ("ray", ["--ray", "auto"])):
        out = workspace / f"{name}.json"
        args = ["audit", str(workspace / "renders"), "--index", str(index), "--json", str(out), *extra]
        assert run(args) == 1  # the planted photos are rejected
        verdicts[name] = json.loads(out.read_text())
    assert verdicts["ray"] == verdicts["here"]
    rejected = {v["file"] for v in verdicts["ray"] if v["verdict"] == "reject"}
    assert rejected == {p.name for p in (workspace / "renders").glob("planted_*.png")}
    assert "broken.png" not in {v["file"] for v in verdicts["ray"]}


@pytest.mark.blender
def test_generate_on_ray_audits_through_the_shard_servers(cluster, workspace: Path, spec: Path) -> None:
    """Render actors audit against shard actors: the dataset and audit log of an in-process job."""
    index = workspace / "local"
    if not index.exists():
        _build(workspace, "local")
    outs = {}
    for name, extra in (
        ("here", []),
        ("ray", ["--ray", "auto", "--workers", "2", "--threads-per-worker", "1"]),
    ):
        outs[name] = workspace / f"dataset_{name}"
        args = ["generate", str(spec), "-n", "2", "-o", str(outs[name]), "--seed", "3", "--index", str(index)]
        assert run([*args, *extra]) == 0
    for file in ("audit.jsonl", "scene_graphs.jsonl", "images/000000.png", "images/000001.png"):
        assert (outs["ray"] / file).read_bytes() == (outs["here"] / file).read_bytes(), file
    log = [json.loads(line) for line in (outs["ray"] / "audit.jsonl").read_text().splitlines()]
    assert log and all(entry["signals"]["region"]["threshold"] > 0 for entry in log)
    shutil.rmtree(outs["ray"])
