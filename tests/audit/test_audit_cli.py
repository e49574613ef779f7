"""`simulacra index add`, `audit calibrate`, `audit --report` and bad image files, from the CLI."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from simulacra.audit import ReferenceIndex
from simulacra.audit.calibration import procedural_poster, tabletop
from simulacra.cli import run


@pytest.fixture(scope="module")
def workspace(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Index of four demo photos (coffee held out), renders with one planted copy, bad files."""
    root = tmp_path_factory.mktemp("audit_cli")
    refs = root / "refs"
    refs.mkdir()
    for name in ("astronaut", "camera", "chelsea", "rocket"):
        shutil.copy(demo_dir / f"{name}.png", refs / f"{name}.png")
    (root / "holdout").mkdir()
    shutil.copy(demo_dir / "coffee.png", root / "holdout" / "coffee.png")
    assert run(["index", "build", str(refs), "-o", str(root / "index")]) == 0
    renders = root / "renders"
    renders.mkdir()
    for i in range(6):
        rng = np.random.default_rng([5, i])
        cv2.imwrite(str(renders / f"clean_{i}.png"), tabletop(rng, procedural_poster(rng)).rgb[..., ::-1])
    chelsea = cv2.imread(str(refs / "chelsea.png"))
    cv2.imwrite(str(renders / "leak.jpg"), cv2.resize(chelsea, None, fx=0.5, fy=0.5))
    return root


def _bad_files(folder: Path) -> dict[str, Path]:
    """One file per kind of awkward input; the first four are unreadable, the rest decodable."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 255, (64, 64, 3), np.uint8)
    files = {
        k: folder / n
        for k, n in [
            ("zero-byte", "empty.png"),
            ("corrupt", "corrupt.png"),
            ("truncated", "truncated.jpg"),
            ("huge", "huge.png"),
            ("16-bit", "deep.png"),
            ("grayscale", "gray.png"),
            ("rgba", "rgba.png"),
            ("cmyk", "cmyk.jpg"),
        ]
    }
    files["zero-byte"].write_bytes(b"")
    files["corrupt"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rng.integers(0, 255, 200, np.uint8)))
    _, jpg = cv2.imencode(".jpg", pixels)
    files["truncated"].write_bytes(jpg.tobytes()[: len(jpg) // 2])
    Image.new("L", (1, 1)).save(files["huge"])
    data = bytearray(files["huge"].read_bytes())
    data[16:24] = (100_000).to_bytes(4, "big") * 2  # IHDR width and height
    files["huge"].write_bytes(bytes(data))
    cv2.imwrite(str(files["16-bit"]), pixels.astype(np.uint16) * 257)
    cv2.imwrite(str(files["grayscale"]), pixels[..., 0])
    cv2.imwrite(str(files["rgba"]), np.dstack([pixels, np.full((64, 64), 200, np.uint8)]))
    Image.fromarray(pixels).convert("CMYK").save(files["cmyk"])
    return files


def test_index_add_then_info(workspace: Path, tmp_path: Path, capsys) -> None:
    """`index add` adds the new image, skips the known one, and `info` shows the count."""
    index = Path(shutil.copytree(workspace / "index", tmp_path / "index"))
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(workspace / "refs" / "camera.png", more / "again.png")
    shutil.copy(workspace / "holdout" / "coffee.png", more / "coffee.png")
    assert run(["index", "add", str(index), str(more)]) == 0
    assert "added 1 references" in capsys.readouterr().err
    assert run(["index", "info", str(index)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["references"] == 5
    assert info["search"] == {"global": "Flat", "keypoints": "Flat", "phash": "BFlat", "faces": "Flat"}


def test_calibrate_writes_thresholds_into_the_index(workspace: Path, tmp_path: Path, capsys) -> None:
    """Thresholds land just above the negatives' highest scores (too few for 0.001) in index.json."""
    index = Path(shutil.copytree(workspace / "index", tmp_path / "index"))
    clean = tmp_path / "clean"
    clean.mkdir()
    for path in (workspace / "renders").glob("clean_*.png"):
        shutil.copy(path, clean / path.name)
    args = ["audit", "calibrate", "--index", str(index), "--holdout", str(workspace / "holdout")]
    assert run([*args, "--clean", str(clean), "--fpr", "0.001"]) == 0
    err = capsys.readouterr().err
    assert "face: highest negative 0, threshold 0.6 kept" in err
    thresholds = json.loads((index / "index.json").read_text())["thresholds"]
    highest = {m[0]: float(m[1]) for m in re.findall(r"(\w+): highest negative ([\d.]+)", err)}
    assert thresholds["region_inliers"] == max(4, int(highest["region"]) + 1)
    assert thresholds["phash_bits"] == max(33, int(highest["phash"]) + 1)
    assert thresholds["global_cosine"] == pytest.approx(highest["global"] + 1e-4, abs=1e-4)
    assert ReferenceIndex.load(index).thresholds.global_cosine == thresholds["global_cosine"]


def test_calibrate_refuses_a_holdout_image_in_the_index(workspace: Path, tmp_path: Path, capsys) -> None:
    """A 'hold-out' photo that is indexed would be a positive: exit 2, naming it; index untouched."""
    before = (workspace / "index" / "index.json").read_text()
    args = ["audit", "calibrate", "--index", str(workspace / "index"), "--holdout", str(workspace / "refs")]
    assert run([*args, "--clean", str(workspace / "renders")]) == 2
    assert "is in the index" in capsys.readouterr().err
    assert (workspace / "index" / "index.json").read_text() == before


def _report(workspace: Path, tmp_path: Path, *extra: str) -> str:
    args = ["audit", str(workspace / "renders"), "--index", str(workspace / "index")]
    out = tmp_path / "report.html"
    assert run([*args, "--json", str(tmp_path / "v.json"), "--report", str(out), *extra]) == 1
    return out.read_text()


def test_report_has_summary_and_no_reference_pixels(workspace: Path, tmp_path: Path) -> None:
    """The report states 7 audited, 1 rejected, rates with Wilson intervals; no reference image.

    Without --holdout the report and the summary JSON say the DCR share needs one.
    """
    html = _report(workspace, tmp_path, "--summary", str(tmp_path / "s.json"))
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["dcr"] is None and "--holdout" in summary["dcr_note"]
    assert "DCR share not computed" in html
    assert "7 images audited" in html and "<strong>1 rejected</strong>" in html
    assert "<td>1/7</td><td>0.1429</td>" in html
    assert "[0.0257, 0.5131]" in html  # Wilson 95% for 1 of 7
    assert html.count('class="output"') == 1 and 'class="reference"' not in html
    assert html.count("data:image/png;base64,") == 4 + 1  # four histograms, one output


def test_report_shows_references_only_when_asked(workspace: Path, tmp_path: Path, capsys) -> None:
    """--show-references needs --references; with both the thumbnail is there."""
    args = ["audit", str(workspace / "renders"), "--index", str(workspace / "index"), "--json"]
    assert run([*args, str(tmp_path / "v.json"), "--show-references"]) == 2
    assert "--show-references needs --references" in capsys.readouterr().err
    html = _report(workspace, tmp_path, "--show-references", "--references", str(workspace / "refs"))
    assert html.count('class="reference"') == 1 and 'alt="skimage:chelsea"' not in html
    assert 'alt="chelsea.png"' in html


def test_index_build_skips_each_bad_file_with_a_warning(workspace: Path, tmp_path: Path, caplog) -> None:
    """Unreadable files are skipped and listed; 16-bit, grey, RGBA and CMYK are indexed."""
    files = _bad_files(tmp_path / "refs")
    assert run(["index", "build", str(tmp_path / "refs"), "-o", str(tmp_path / "index")]) == 0
    info = ReferenceIndex.load(tmp_path / "index").info()
    skipped = {s["file"] for s in info["skipped"]}
    assert skipped == {"empty.png", "corrupt.png", "truncated.jpg", "huge.png"}
    assert info["references"] == 4
    assert all(
        any(f.name in r.getMessage() for r in caplog.records) for f in files.values() if f.name in skipped
    )


@pytest.mark.parametrize("kind", ["zero-byte", "corrupt", "truncated", "huge"])
def test_audit_of_one_bad_file_is_one_line_exit_2(workspace: Path, tmp_path: Path, capsys, kind: str) -> None:
    """Auditing a single unreadable file: one line naming it, exit 2, no verdict file."""
    path = _bad_files(tmp_path / "bad")[kind]
    args = ["audit", str(path), "--index", str(workspace / "index"), "--json", str(tmp_path / "v.json")]
    assert run(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and path.name in err
    assert not (tmp_path / "v.json").exists()


def test_folder_audit_warns_per_bad_file_and_audits_the_rest(workspace: Path, tmp_path: Path, capsys) -> None:
    """A folder with bad files: each is warned about and skipped; the decodable ones are audited."""
    folder = tmp_path / "bad"
    _bad_files(folder)
    args = ["audit", str(folder), "--index", str(workspace / "index"), "--json", str(tmp_path / "v.json")]
    assert run(args) == 0
    verdicts = json.loads((tmp_path / "v.json").read_text())
    assert sorted(v["file"] for v in verdicts) == ["cmyk.jpg", "deep.png", "gray.png", "rgba.png"]
    assert "4 audited, 0 rejected, 4 unreadable skipped" in capsys.readouterr().err


def test_audit_with_holdout_reports_identity_leaks_and_dcr(workspace: Path, tmp_path: Path, capsys) -> None:
    """--holdout adds the DCR share to the summary JSON, the report and stderr, with its reading."""
    args = ["audit", str(workspace / "renders"), "--index", str(workspace / "index")]
    args += ["--json", str(tmp_path / "v.json"), "--summary", str(tmp_path / "s.json")]
    args += ["--report", str(tmp_path / "r.html"), "--holdout", str(workspace / "holdout")]
    assert run(args) == 1
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["audited"] == 7 and summary["rejected"] == 1
    assert summary["flag_rates"]["any"] == {
        "hits": 1,
        "trials": 7,
        "rate": 0.1429,
        "wilson95": [0.0257, 0.5131],
    }
    assert summary["identity_leaks"]["matched"]["trials"] == 7 and summary["identity_leaks"]["kept"] is None
    dcr = summary["dcr"]
    assert dcr["share"]["trials"] == 7 and dcr["members"] == dcr["nonmembers"] == 1  # one hold-out image
    assert "~0.5 is ideal" in dcr["reading"] and summary["dcr_note"] is None
    html = (tmp_path / "r.html").read_text()
    assert "identity-leak rate" in html and "DCR share (closer to the index" in html
    assert "DCR share" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["missing", "empty", "indexed"])
def test_bad_holdout_is_one_line_exit_2(workspace: Path, tmp_path: Path, capsys, case: str) -> None:
    """A missing or imageless hold-out folder, or one holding an indexed image: exit 2, nothing written."""
    holdout = tmp_path / "holdout"
    if case != "missing":
        holdout.mkdir()
    if case == "indexed":
        shutil.copy(workspace / "refs" / "camera.png", holdout / "camera.png")
    args = ["audit", str(workspace / "renders"), "--index", str(workspace / "index")]
    assert run([*args, "--json", str(tmp_path / "v.json"), "--holdout", str(holdout)]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        len(err.splitlines()) == 1 and err.count("--holdout") == 1 and str(holdout) in err.replace("\n", "")
    )
    assert not (tmp_path / "v.json").exists()
