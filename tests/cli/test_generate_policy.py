"""A mixed-license pack under purpose commercial: only admitted assets used, lineage to COCO and card."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import trimesh

from simulacra.cli import run
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender

SPEC = """\
name: mixed
resolution: [64, 64]
samples: 8
objects:
  count_range: [2, 3]
  categories: [crate]
posters:
  probability: 1.0
  assets: [pack:cc0_art, pack:by_art, pack:nc_art, pack:unknown_art]
"""

PACK = [  # file, license, attribution
    ("cc0_art.png", "CC0-1.0", ""),
    ("by_art.png", "CC-BY-4.0", "Poster by Jane Roe"),
    ("nc_art.png", "CC-BY-NC-4.0", "Poster by Nina Cole"),
    ("unknown_art.png", "NOASSERTION", ""),
]


def _add(root, path, license, *extra):
    args = ["assets", "add", str(path), "--license", license, "--source", "https://pack.test", *extra]
    assert run([*args, "--root", str(root)]) == 0


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Assets: a CC-BY and an NC crate mesh, four posters under four licenses; 3 commercial images."""
    root = tmp_path_factory.mktemp("mixed")
    assets = root / "assets"
    (assets / "pack").mkdir(parents=True)
    rng = np.random.default_rng(7)
    for name, license, attribution in PACK:
        cv2.imwrite(str(assets / "pack" / name), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
        _add(assets, assets / "pack" / name, license, "--attribution", attribution)
    for name, license, attribution in (
        ("crate_by", "CC-BY-4.0", "Crate by John Poe"),
        ("crate_nc", "CC-BY-NC-4.0", "Crate by Nils Cor"),
    ):
        mesh = trimesh.creation.box(extents=[0.12, 0.1, 0.08])
        mesh.apply_translation([0, 0, 0.04])
        mesh.export(assets / f"{name}.ply")
        _add(assets, assets / f"{name}.ply", license, "--attribution", attribution, "--category", "crate")
    (root / "mixed.yaml").write_text(SPEC)
    out = root / "out"
    args = [
        "generate",
        str(root / "mixed.yaml"),
        "-n",
        "3",
        "-o",
        str(out),
        "--seed",
        "2",
        "--manifest",
        str(assets),
        "--purpose",
        "commercial",
    ]
    assert run(args) == 0
    return out


def _graphs(dataset):
    return [SceneGraph.from_json(line) for line in (dataset / "scene_graphs.jsonl").read_text().splitlines()]


def test_only_admitted_assets_are_used(dataset):
    """No image uses the NC or unknown-license assets; every image's graph lists what it used."""
    used = {ref.id for graph in _graphs(dataset) for ref in graph.assets()}
    assert used == {"crate_by", "pack:by_art", "pack:cc0_art"}
    for graph in _graphs(dataset):
        assert {"crate_nc", "pack:nc_art", "pack:unknown_art"} <= set(graph.excluded_assets)


def test_coco_carries_per_image_lineage(dataset):
    """COCO lists the used licenses, and each image its asset ids and their licenses."""
    coco = json.loads((dataset / "annotations/coco.json").read_text())
    names = {entry["id"]: entry["name"] for entry in coco["licenses"]}
    assert set(names.values()) == {"CC0-1.0", "CC-BY-4.0"}
    for image, graph in zip(coco["images"], _graphs(dataset), strict=True):
        assert image["asset_ids"] == [ref.id for ref in graph.assets()]
        assert {names[i] for i in image["asset_licenses"]} == {ref.license for ref in graph.assets()}
        assert names[image["license"]] in {ref.license for ref in graph.assets()}


def test_card_credits_authors_counts_images_and_states_policy(dataset):
    """The card credits every CC-BY author, counts images per license, and says why assets were excluded."""
    card = (dataset / "DATASET_CARD.md").read_text()
    assert "Poster by Jane Roe" in card and "Crate by John Poe" in card
    assert "Nina Cole" not in card.split("## Attributions owed")[1].split("## Assets used")[0]
    graphs = _graphs(dataset)
    by_images = sum("CC-BY-4.0" in {r.license for r in g.assets()} for g in graphs)
    cc0_images = sum("CC0-1.0" in {r.license for r in g.assets()} for g in graphs)
    assert f"| CC-BY-4.0 | 2 | {by_images} |" in card
    assert f"| CC0-1.0 | 1 | {cc0_images} |" in card
    assert "- Purpose: commercial" in card and "- Policy: simulacra-default-1" in card
    assert "| `pack:nc_art` | CC-BY-NC-4.0 | license CC-BY-NC-4.0 is not allowed for commercial use |" in card
    assert "| `crate_nc` | CC-BY-NC-4.0 | license CC-BY-NC-4.0 is not allowed for commercial use |" in card
    assert "| `pack:unknown_art` | NOASSERTION | license unknown (NOASSERTION) |" in card


def test_people_need_the_audit(tmp_path, capsys):
    """A policy admitting people still refuses a job without --index that could sample them; exit 2."""
    assets = tmp_path / "assets"
    assets.mkdir()
    cv2.imwrite(str(assets / "crowd.png"), np.full((32, 32, 3), 90, np.uint8))
    _add(assets, assets / "crowd.png", "CC0-1.0", "--contains-person")
    policy = tmp_path / "policy.json"
    policy.write_text(
        json.dumps(
            {"name": "people-ok", "purposes": {"research": {"licenses": ["CC0-1.0"], "allow_people": True}}}
        )
    )
    from simulacra.assets_manifest import build_library

    build_library(tmp_path / "lib")
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text())
    manifest["assets"] += json.loads((assets / "manifest.json").read_text())["assets"]
    (assets / "manifest.json").write_text(json.dumps(manifest))
    for record in manifest["assets"][:-1]:
        target = assets / record["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((tmp_path / "lib" / record["path"]).read_bytes())
    capsys.readouterr()
    out = tmp_path / "out"
    status = run(
        [
            "generate",
            "tabletop",
            "-n",
            "1",
            "-o",
            str(out),
            "--manifest",
            str(assets),
            "--policy",
            str(policy),
        ]
    )
    assert status == 2
    assert "asset 'crowd' shows a person; policy 'people-ok' admits it only under audit: give --index" in (
        capsys.readouterr().err
    )
    assert not out.exists()
