"""`assets revoke`: images that used an asset are replaced with the same seeds, everything else kept."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

from simulacra.assets_manifest import build_library
from simulacra.cli import run
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender

POSTER = "revokable_poster"
SPEC = f"""\
name: revocable
resolution: [64, 64]
samples: 8
objects:
  count_range: [2, 3]
posters:
  probability: 0.5
  assets: [{POSTER}]
"""


def _graphs(out) -> dict[int, SceneGraph]:
    lines = (out / "scene_graphs.jsonl").read_text().splitlines()
    return {g.image_index: g for g in map(SceneGraph.from_json, lines)}


def _snapshot(folder) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Three images (seed 0): the poster hangs in images 0 and 2, not in image 1."""
    root = tmp_path_factory.mktemp("revoke")
    assets = root / "assets"
    build_library(assets)
    noise = np.random.default_rng(3).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    cv2.imwrite(str(assets / f"{POSTER}.png"), noise)
    args = [
        "assets",
        "add",
        str(assets / f"{POSTER}.png"),
        "--license",
        "CC-BY-4.0",
        "--source",
        "https://x.test",
    ]
    assert run([*args, "--attribution", "Poster by Rae Doe", "--root", str(assets)]) == 0
    (root / "spec.yaml").write_text(SPEC)
    out = root / "out"
    assert (
        run(["generate", str(root / "spec.yaml"), "-n", "3", "-o", str(out), "--manifest", str(assets)]) == 0
    )
    return out


def test_unused_asset_reports_zero_and_changes_nothing(generated, capsys):
    """Revoking an asset no image used: 0 images, every file byte-identical."""
    before = _snapshot(generated)
    assert run(["assets", "revoke", "builtin:box_0_never", "--dataset", str(generated)]) == 0
    assert "0 images of" in capsys.readouterr().err
    assert _snapshot(generated) == before


def test_unknown_dataset_is_one_line_exit_2(tmp_path, capsys):
    """A folder that is not a dataset: exit 2, one line naming it."""
    assert run(["assets", "revoke", POSTER, "--dataset", str(tmp_path / "nope")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "nope does not exist" in lines[0]


def test_revoke_replaces_exactly_the_images_that_used_it(generated, capfd):
    """Images 0 and 2 are re-rendered without the poster; image 1 and its labels stay byte-identical."""
    graphs_before = _graphs(generated)
    users = sorted(i for i, g in graphs_before.items() if POSTER in {r.id for r in g.assets()})
    assert users == [0, 2]
    before = _snapshot(generated)
    args = ["assets", "revoke", POSTER, "--dataset", str(generated), "--reason", "author withdrew consent"]
    assert run(args) == 0
    assert "2 images of" in capfd.readouterr().err

    after = _snapshot(generated)
    for name in (
        "images/000001.png",
        "masks/000001_instance.png",
        "depth/000001.tiff",
        "normals/000001.tiff",
    ):
        assert after[name] == before[name]
    graphs = _graphs(generated)
    assert sorted(graphs) == [0, 1, 2]
    assert graphs[1] == graphs_before[1]
    for index in users:
        graph = graphs[index]
        assert POSTER not in {r.id for r in graph.assets()} and POSTER in graph.excluded_assets
        assert (graph.job_seed, graph.attempt) == (
            graphs_before[index].job_seed,
            graphs_before[index].attempt + 1,
        )
        assert after[f"images/{index:06d}.png"] != before[f"images/{index:06d}.png"]
        for folder in ("masks", "depth", "normals"):
            assert any(name.startswith(f"{folder}/{index:06d}") for name in after)

    coco = COCO(str(generated / "annotations" / "coco.json"))
    assert sorted(coco.getImgIds()) == [0, 1, 2]
    for image in coco.dataset["images"]:
        graph = graphs[image["id"]]
        assert image["asset_ids"] == [r.id for r in graph.assets()]
        mask = cv2.imread(
            str(generated / f"masks/{graph.image_index:06d}_instance.png"), cv2.IMREAD_UNCHANGED
        )
        annotated = {a["instance_id"] for a in coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))}
        assert annotated == set(np.unique(mask).tolist()) - {0}
    assert "CC-BY-4.0" not in {entry["name"] for entry in coco.dataset["licenses"]}

    card = (generated / "DATASET_CARD.md").read_text()
    assert f"`{POSTER}` revoked" in card and "author withdrew consent" in card
    assert "images replaced (same seed and index, asset excluded): 0, 2" in card
    used = card.split("## Assets used")[1].split("## Refinement")[0]
    assert f"`{POSTER}`" not in used  # the card is regenerated from the revised dataset
    assert "| CC-BY-4.0 |" not in card.split("## Licenses")[1].split("## Attributions")[0]
    revocation = json.loads((generated / "job.json").read_text())["revocations"][0]
    assert (revocation["asset"], revocation["replaced"]) == (POSTER, [0, 2])
    assert not list(generated.parent.glob(".out.*"))
