"""A sharded index from the CLI: built by reference id, audited with the verdicts of one index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from simulacra.audit import ShardedIndex, load_index, read_image
from simulacra.audit import index as index_module
from simulacra.audit.calibration import procedural_poster, tabletop
from simulacra.audit.shards import shard_of
from simulacra.cli import run

SHARDS = 4  # the demo ids fall in shards 0, 1 and 2; shard 3 stays empty


@pytest.fixture(scope="module")
def workspace(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo photos (rocket held back to add later) as references; clean and leaking renders."""
    root = tmp_path_factory.mktemp("shards")
    refs, later, renders = root / "refs", root / "later", root / "renders"
    for folder in (refs, later, renders):
        folder.mkdir()
    for file in sorted(demo_dir.glob("*.png")):
        shutil.copy(file, (later if file.stem == "rocket" else refs) / file.name)
        photo = read_image(file)[0]
        poster = tabletop(np.random.default_rng([12, len(file.stem)]), photo).rgb
        cv2.imwrite(str(renders / f"planted_{file.stem}.png"), poster[..., ::-1])
    for i in range(4):
        rng = np.random.default_rng([11, i])
        cv2.imwrite(str(renders / f"clean_{i}.png"), tabletop(rng, procedural_poster(rng)).rgb[..., ::-1])
    return root


def _verdicts(workspace: Path, index: Path, name: str) -> list[dict]:
    out = workspace / f"{name}.json"
    run(["audit", str(workspace / "renders"), "--index", str(index), "--json", str(out), "--threads", "1"])
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def sharded(workspace: Path) -> Path:
    out = workspace / "sharded"
    assert run(["index", "build", str(workspace / "refs"), "-o", str(out), "--shards", str(SHARDS)]) == 0
    return out


def test_references_live_in_the_shard_their_id_names(
    sharded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = ShardedIndex.load(sharded)
    assert index.manifest.count == SHARDS and index.size == 4
    for number, name in enumerate(index.manifest.shards):
        held = [] if name is None else [r.id for r in load_index(sharded / name).references]
        assert all(shard_of(i, SHARDS) == number for i in held)
    capsys.readouterr()
    assert run(["index", "info", str(sharded)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["shards"] == SHARDS and info["references"] == 4


def test_sharded_audit_gives_the_verdicts_of_one_index(workspace: Path, sharded: Path) -> None:
    """Every planted photo is caught by the same signal against the same reference; clean renders pass."""
    single = workspace / "single"
    assert run(["index", "build", str(workspace / "refs"), "-o", str(single)]) == 0
    one = _verdicts(workspace, single, "one")
    split = _verdicts(workspace, sharded, "split")
    assert [v["file"] for v in one] == [v["file"] for v in split]
    for a, b in zip(one, split, strict=True):
        assert (a["file"], a["verdict"], a["signal"], a["reference"]) == (
            b["file"],
            b["verdict"],
            b["signal"],
            b["reference"],
        )
    caught = {v["file"] for v in split if v["verdict"] == "reject"}
    assert caught == {f"planted_{n}.png" for n in ("astronaut", "camera", "chelsea", "coffee")}


def test_add_sends_new_references_to_their_shard(workspace: Path, sharded: Path, tmp_path: Path) -> None:
    copy = tmp_path / "sharded"
    shutil.copytree(sharded, copy)
    before = _verdicts(workspace, copy, "before_add")
    assert next(v for v in before if v["file"] == "planted_rocket.png")["verdict"] == "pass"
    assert run(["index", "add", str(copy), str(workspace / "later")]) == 0
    index = ShardedIndex.load(copy)
    assert index.size == 5
    home = index.manifest.shards[shard_of("rocket.png", SHARDS)]
    assert home is not None and "rocket.png" in [r.id for r in load_index(copy / home).references]
    after = _verdicts(workspace, copy, "after_add")
    rocket = next(v for v in after if v["file"] == "planted_rocket.png")
    assert (rocket["verdict"], rocket["reference"]) == ("reject", "rocket.png")


def test_killed_sharded_build_keeps_its_finished_shards(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build stopped in its second shard describes the first shard's references only once."""
    ids = sorted(p.name for p in (workspace / "refs").iterdir())
    shards = sorted({shard_of(i, SHARDS) for i in ids})
    assert len(shards) >= 2, "the demo ids must fall in two shards at least"
    first = {i for i in ids if shard_of(i, SHARDS) == shards[0]}
    described: list[str] = []
    real = index_module.describe_image

    def stopping(path, source, max_pixels, embedder):
        if source.id not in first and not described_after_kill:
            raise KeyboardInterrupt  # Ctrl-C in the second shard
        described.append(source.id)
        return real(path, source, max_pixels, embedder)

    described_after_kill: list[str] = []
    monkeypatch.setattr(index_module, "describe_image", stopping)
    out = tmp_path / "index"
    with pytest.raises(KeyboardInterrupt):
        ShardedIndex.build(workspace / "refs", out, SHARDS)
    assert not out.exists() and set(described) == first
    described.clear()
    described_after_kill.append("resumed")
    index = ShardedIndex.build(workspace / "refs", out, SHARDS)
    assert not set(described) & first
    assert sorted(r.id for r in index.references) == ids


def test_dcr_share_against_shards_equals_one_index(workspace: Path, sharded: Path, tmp_path: Path) -> None:
    """With as many hold-out images as references every member is compared: the same share."""
    holdout = tmp_path / "holdout"
    holdout.mkdir()
    for i in range(4):
        rng = np.random.default_rng([13, i])
        cv2.imwrite(str(holdout / f"h{i}.png"), tabletop(rng, procedural_poster(rng)).rgb[..., ::-1])
    single = workspace / "single"
    if not single.exists():
        assert run(["index", "build", str(workspace / "refs"), "-o", str(single)]) == 0
    shares = []
    for index in (single, sharded):
        summary = tmp_path / f"{index.name}.json"
        verdicts = tmp_path / "verdicts.json"
        args = ["audit", str(workspace / "renders"), "--index", str(index), "--json", str(verdicts)]
        run([*args, "--holdout", str(holdout), "--summary", str(summary)])
        shares.append(json.loads(summary.read_text())["dcr"])
    assert shares[0] is not None and shares[0] == shares[1]
