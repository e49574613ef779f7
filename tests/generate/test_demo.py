"""The demo's promise: a planted real photograph is rejected, re-synthesised, and reported."""

from __future__ import annotations

import json

import pytest
from pycocotools.coco import COCO

from simulacra.cli import run
from simulacra.generate.demo import PLANTED_ASSET, PLANTED_REFERENCE

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """A 4-image demo (image 1 carries the planted photo), run once for the module."""
    out = tmp_path_factory.mktemp("demo") / "demo_output"
    assert run(["demo", "-o", str(out), "-n", "4"]) == 0
    return out


def _audit_log(out):
    return [json.loads(line) for line in (out / "dataset/audit.jsonl").read_text().splitlines()]


def test_planted_image_rejected_then_resynthesised_without_it(demo_run):
    """The planted render is rejected for the right reference and redone without the photo."""
    entries = [e for e in _audit_log(demo_run) if e["image_index"] == 1]
    rejected, kept = entries
    assert rejected["verdict"] == "reject" and rejected["reference"] == PLANTED_REFERENCE
    assert rejected["action"] == "resynthesize" and rejected["excluded"] == [PLANTED_ASSET]
    assert rejected["region"] is not None
    assert kept["verdict"] == "pass" and kept["attempt"] == 1 and kept["action"] == "kept"
    graphs = [json.loads(line) for line in (demo_run / "dataset/scene_graphs.jsonl").read_text().splitlines()]
    planted_graph = next(g for g in graphs if g["image_index"] == 1)
    assert planted_graph["excluded_assets"] == [PLANTED_ASSET]
    assert PLANTED_ASSET not in json.dumps(planted_graph["posters"])


def test_clean_renders_pass_first_time(demo_run):
    """Every other render passes the audit at its first attempt."""
    others = [e for e in _audit_log(demo_run) if e["image_index"] != 1]
    assert [(e["image_index"], e["attempt"], e["verdict"]) for e in others] == [
        (0, 0, "pass"),
        (2, 0, "pass"),
        (3, 0, "pass"),
    ]


def test_card_reports_one_rejected_zero_leaked(demo_run):
    """The card states 1 rejected, 1 re-synthesised, 0 leaked, and the excluded asset."""
    card = (demo_run / "dataset/DATASET_CARD.md").read_text()
    assert "Rejected by the audit: 1" in card
    assert "Re-synthesised after a reject: 1" in card
    assert "Leaked (rejected yet written): 0" in card
    assert PLANTED_ASSET in card and PLANTED_REFERENCE in card


def test_demo_dataset_is_valid_coco(demo_run):
    """The demo's COCO file loads with pycocotools and has all four images."""
    coco = COCO(str(demo_run / "dataset/annotations/coco.json"))
    assert len(coco.getImgIds()) == 4
    assert coco.getAnnIds()


def test_index_stores_no_images(demo_run):
    """The reference index folder holds descriptors and metadata, no image files."""
    files = [p.suffix for p in (demo_run / "reference_index").rglob("*") if p.is_file()]
    assert files and not {".png", ".jpg", ".jpeg"} & set(files)


def test_demo_reruns_over_its_own_folder(demo_run, capsys):
    """A folder made by the demo may be replaced by the demo; any other non-empty folder is refused."""
    stranger = demo_run.parent / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("mine")
    assert run(["demo", "-o", str(stranger), "-n", "2"]) == 2
    assert "was not made by `simulacra demo`" in capsys.readouterr().err
    assert (stranger / "notes.txt").read_text() == "mine"
