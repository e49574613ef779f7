"""Reference index faults from the user's side: concurrent `index add`, folders behind links."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from simulacra.audit import write_demo_references
from simulacra.cli import run


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> Path:
    """The built-in reference photos, one PNG each (no sidecar: ids are file names)."""
    root = tmp_path_factory.mktemp("photos")
    write_demo_references(root)
    (root / "references.json").unlink()
    return root


def _folder(root: Path, photos: Path, *names: str) -> Path:
    root.mkdir(parents=True)
    for name in names:
        shutil.copy(photos / f"{name}.png", root / f"{name}.png")
    return root


def _copies(folder: Path, photos: Path, *names: str) -> Path:
    """Resized, recompressed copies of reference photos: what a leak looks like."""
    folder.mkdir()
    for name in names:
        image = cv2.imread(str(photos / f"{name}.png"))
        cv2.imwrite(str(folder / f"{name}.jpg"), cv2.resize(image, None, fx=0.7, fy=0.7))
    return folder


def _index_add(index: Path, folder: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "from simulacra.cli import main; main()", "index", "add"]
    return subprocess.Popen(
        [*command, str(index), str(folder), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_concurrent_index_adds_keep_both_sets(photos, tmp_path, capsys):
    """Two `index add` at once both land: 4 references, and a copy of either added photo is rejected."""
    index = tmp_path / "index"
    refs = _folder(tmp_path / "refs", photos, "astronaut", "camera")
    assert run(["index", "build", str(refs), "-o", str(index), "--workers", "1"]) == 0
    adds = [
        _index_add(index, _folder(tmp_path / "add1", photos, "chelsea")),
        _index_add(index, _folder(tmp_path / "add2", photos, "coffee")),
    ]
    for add in adds:
        _, err = add.communicate(timeout=600)
        assert add.returncode == 0, err
    capsys.readouterr()
    assert run(["index", "info", str(index)]) == 0
    assert json.loads(capsys.readouterr().out)["references"] == 4
    leaks = _copies(tmp_path / "leaks", photos, "chelsea", "coffee")
    verdicts = tmp_path / "verdicts.json"
    assert run(["audit", str(leaks), "--index", str(index), "--json", str(verdicts)]) == 1
    assert {v["verdict"] for v in json.loads(verdicts.read_text())} == {"reject"}


def test_index_build_follows_a_linked_folder_and_survives_a_loop(photos, tmp_path, capsys, caplog):
    """Photos behind a folder link are indexed (and caught); a link loop ends with a warning."""
    refs = _folder(tmp_path / "refs", photos, "astronaut")
    elsewhere = _folder(tmp_path / "elsewhere", photos, "coffee", "chelsea")
    (refs / "linked").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "back").symlink_to(refs, target_is_directory=True)  # refs/linked/back -> refs: a loop
    index = tmp_path / "index"
    assert run(["index", "build", str(refs), "-o", str(index), "--workers", "1"]) == 0
    assert "indexed 3 references" in capsys.readouterr().err
    assert "back: folder walked already (a link loop" in caplog.text
    leaks = _copies(tmp_path / "leaks", photos, "coffee")
    assert run(["audit", str(leaks), "--index", str(index), "--json", str(tmp_path / "v.json")]) == 1


def test_holdout_behind_a_link_is_read(photos, tmp_path, capsys):
    """An indexed photo behind a linked hold-out folder is seen: refused with one line, exit 2."""
    index = tmp_path / "index"
    refs = _folder(tmp_path / "refs", photos, "astronaut", "camera")
    assert run(["index", "build", str(refs), "-o", str(index), "--workers", "1"]) == 0
    holdout = _folder(tmp_path / "holdout", photos, "chelsea")
    (holdout / "more").symlink_to(refs, target_is_directory=True)
    outputs = _copies(tmp_path / "outputs", photos, "coffee")
    capsys.readouterr()
    args = ["audit", str(outputs), "--index", str(index), "--json", str(tmp_path / "v.json")]
    assert run([*args, "--holdout", str(holdout)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "in the index" in err and "more" in err
