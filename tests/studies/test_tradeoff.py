"""``simulacra eval tradeoff``: a real study on a planted photo, its outputs, and refused input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.cli import run
from simulacra.dataset.layout import COCO_FILE
from simulacra.errors import EvaluationError
from simulacra.generate.demo import PLANTED_ASSET, prepare_demo
from simulacra.studies.tradeoff import parse_strengths

# The demo's real photo hangs behind every table; patch_shuffle perturbs it with the strength.
PLANTED_SPEC = f"""\
name: planted
resolution: [128, 128]
samples: 4
objects:
  count_range: [3, 4]
  scale_range: [1.2, 1.5]
posters:
  probability: 1.0
  assets: [{PLANTED_ASSET}]
privacy:
  textures: [patch_shuffle]
"""


@pytest.fixture(scope="module")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo's manifest (library + the astronaut photo as a poster) and its reference index."""
    job = prepare_demo(tmp_path_factory.mktemp("tradeoff") / "demo", n=2, refine=False)
    assert job.index_path is not None
    return job.manifest.root, job.index_path


@pytest.fixture(scope="module")
def study(demo_workspace: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Strengths 0 and 1, three images each, two test images; one 2-step model per strength."""
    manifest, index = demo_workspace
    root = tmp_path_factory.mktemp("study")
    spec = root / "planted.yaml"
    spec.write_text(PLANTED_SPEC)
    out = root / "study"
    args = ["eval", "tradeoff", str(spec), "--strengths", "0,1", "-n", "3", "--test-n", "2"]
    args += ["--index", str(index), "--manifest", str(manifest), "-o", str(out)]
    args += ["--steps", "2", "--utility-seeds", "1", "--size", "64", "--device", "cpu", "--threads", "1"]
    assert run(args) == 0
    return out


def test_study_writes_table_json_plot_and_datasets(study: Path) -> None:
    """One dataset per strength plus the test set; rates in [0, 1], an mIoU per strength, a PNG."""
    results = json.loads((study / "tradeoff.json").read_text())
    assert [p["strength"] for p in results["points"]] == [0.0, 1.0]
    for point in results["points"]:
        assert point["images"] == 3 and len(point["audit"]) == 3
        low, high = point["leak"]["wilson95"]
        assert 0.0 <= low <= point["leak"]["rate"] <= high <= 1.0
        assert 0.0 <= point["utility"]["mean"] <= 1.0 and point["utility"]["metric"] == "mIoU"
        assert Path(point["dataset"]).name == f"strength_{point['strength']:g}"
        assert (Path(point["dataset"]) / COCO_FILE).is_file()
    assert results["test_images"] == 2 and (study / "test").is_dir()
    assert (study / "tradeoff.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (study / "tradeoff.md").read_text()
    assert "| 0 | 3 |" in table and "| 1 | 3 |" in table


def test_planted_photo_leaks_at_strength_0_and_less_when_shuffled(study: Path) -> None:
    """The real poster is caught (region signal) when unperturbed; patch_shuffle at 1 lets fewer through."""
    points = json.loads((study / "tradeoff.json").read_text())["points"]
    unperturbed, shuffled = (p["leak"]["hits"] for p in points)
    assert unperturbed >= 1, points[0]["audit"]
    assert shuffled < unperturbed
    assert points[0]["photo_leak"]["trials"] == 3  # every scene hangs the photo
    rejected = [e for e in points[0]["audit"] if e["verdict"] == "reject"]
    assert all(e["reference"] == "skimage:astronaut" for e in rejected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0,1.5", "1.5 is outside [0, 1]"),
        ("0,x", "'x' is not a number"),
        ("0.5,0.5", "0.5 is given twice"),
        ("", "'' is not a number"),
    ],
)
def test_bad_strengths_are_refused(text: str, message: str) -> None:
    """Each malformed list names the value at fault."""
    with pytest.raises(EvaluationError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_strengths(text)


def test_strengths_parse_in_order() -> None:
    """Values keep the order given (the plot joins them in that order)."""
    assert parse_strengths("0, 0.25,1") == (0.0, 0.25, 1.0)


@pytest.mark.parametrize(
    ("strengths", "index", "message"),
    [
        ("0,2", None, "error: --strengths 0,2: 2 is outside [0, 1]"),
        ("0,1", "missing_index", "missing_index: reference index directory does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    demo_workspace: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    strengths: str,
    index: str | None,
    message: str,
) -> None:
    """Out-of-range strengths and a missing index: one line on stderr, exit 2, no study folder."""
    out = tmp_path / "study"
    index_path = tmp_path / index if index else demo_workspace[1]
    args = [
        "eval",
        "tradeoff",
        "tabletop",
        "--strengths",
        strengths,
        "--index",
        str(index_path),
        "-o",
        str(out),
    ]
    assert run(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert not out.exists()
