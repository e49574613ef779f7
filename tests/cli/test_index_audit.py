"""`simulacra index build|info` and `simulacra audit` from the user's side."""

from __future__ import annotations

import json

import cv2
import pytest

from simulacra.audit import write_demo_references
from simulacra.cli import run


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    """An index built by the CLI from the built-in reference photos."""
    root = tmp_path_factory.mktemp("refs")
    write_demo_references(root / "photos")
    assert run(["index", "build", str(root / "photos"), "-o", str(root / "index")]) == 0
    return root / "index"


def test_index_info_reports_references(index_dir, capsys):
    """`index info` prints JSON naming the indexed references."""
    assert run(["index", "info", str(index_dir)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["references"] == 5


def test_audit_folder_flags_the_copy_and_passes_the_rest(index_dir, tmp_path, capsys):
    """A resized, recompressed copy of a reference is rejected by id; procedural art passes; exit 1.

    Audited on two threads, as on a 2-core machine by default.
    """
    from simulacra.assets_manifest import builtin_manifest

    photos = tmp_path / "outputs"
    photos.mkdir()
    write_demo_references(tmp_path / "src")
    coffee = cv2.imread(str(next((tmp_path / "src").glob("*coffee*"))))
    cv2.imwrite(
        str(photos / "copy.jpg"), cv2.resize(coffee, None, fx=0.6, fy=0.6), [cv2.IMWRITE_JPEG_QUALITY, 40]
    )
    manifest = builtin_manifest()
    art = manifest.file_of(manifest.get("builtin:poster_art_0"))
    (photos / "art.png").write_bytes(art.read_bytes())
    verdicts_path = tmp_path / "verdicts.json"
    opencv_threads = cv2.getNumThreads()
    args = ["audit", str(photos), "--index", str(index_dir), "--json", str(verdicts_path), "--threads", "2"]
    assert run(args) == 1
    assert cv2.getNumThreads() == opencv_threads  # one OpenCV thread per image only while auditing
    verdicts = {v["file"]: v for v in json.loads(verdicts_path.read_text())}
    assert verdicts["copy.jpg"]["verdict"] == "reject"
    assert verdicts["copy.jpg"]["reference"] == "skimage:coffee"
    assert verdicts["art.png"]["verdict"] == "pass"
    assert "2 audited, 1 rejected" in capsys.readouterr().err


def test_audit_with_missing_index_is_one_line(tmp_path, capsys):
    """A missing index folder: exit 2, one line naming it."""
    (tmp_path / "imgs").mkdir()
    status = run(
        ["audit", str(tmp_path / "imgs"), "--index", str(tmp_path / "nope"), "--json", str(tmp_path / "v")]
    )
    assert status == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err


def test_index_build_refuses_non_empty_output(index_dir, tmp_path, capsys):
    """Building into a non-empty folder is refused and leaves it alone."""
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    write_demo_references(tmp_path / "photos")
    assert run(["index", "build", str(tmp_path / "photos"), "-o", str(out)]) == 2
    assert (out / "keep.txt").read_text() == "x"
