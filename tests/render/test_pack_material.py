"""Texture-pack materials drawn by the resolver, rendered by Blender, and listed in lineage."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import trimesh
from pycocotools.coco import COCO

from simulacra.assets_manifest import load_manifest
from simulacra.cli import run
from simulacra.render import Renderer
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender

SPEC = """\
name: packed
resolution: [64, 64]
samples: 8
objects:
  count_range: [2, 3]
  material:
    texture_probability: 1.0
    textures: [Checker001]
surface:
  material:
    texture_probability: 1.0
posters:
  probability: 0.0
"""
MAPS = ("Checker001_Color.png", "Checker001_Roughness.png", "Checker001_NormalGL.png")


def _write_pack(folder) -> None:
    """A tiny pack: a red/green checker colour map, flat roughness, a bumpy OpenGL normal map."""
    folder.mkdir(parents=True)
    ys, xs = np.mgrid[0:32, 0:32] // 16  # 2 x 2 cells: large enough to resolve on a small object
    checker = ((xs + ys) % 2).astype(bool)
    color = np.zeros((32, 32, 3), np.uint8)
    color[checker] = (0, 0, 255)  # BGR: red
    color[~checker] = (0, 255, 0)  # green
    cv2.imwrite(str(folder / MAPS[0]), color)
    cv2.imwrite(str(folder / MAPS[1]), np.full((32, 32), 90, np.uint8))
    tilt = np.where(checker, 40, -40)
    normal = np.stack([np.full((32, 32), 235), 128 + tilt, 128 - tilt], axis=-1).astype(np.uint8)
    cv2.imwrite(str(folder / MAPS[2]), normal)


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """A CC-BY pack and one crate mesh; two images whose objects and table wear the pack."""
    root = tmp_path_factory.mktemp("packed")
    assets = root / "assets"
    _write_pack(assets / "packs" / "Checker001")
    source = ["--source", "https://pack.test", "--root", str(assets)]
    pack_args = ["--license", "CC-BY-4.0", "--attribution", "Checker by Ada Poe"]
    assert run(["assets", "add", str(assets / "packs"), *pack_args, *source]) == 0
    mesh = trimesh.creation.box(extents=[0.16, 0.14, 0.12])
    mesh.apply_translation([0, 0, 0.06])
    mesh.export(assets / "crate.ply")
    assert (
        run(
            [
                "assets",
                "add",
                str(assets / "crate.ply"),
                "--license",
                "CC0-1.0",
                "--category",
                "crate",
                *source,
            ]
        )
        == 0
    )
    (root / "packed.yaml").write_text(SPEC)
    out = root / "out"
    args = ["generate", str(root / "packed.yaml"), "-n", "2", "-o", str(out), "--manifest", str(assets)]
    assert run([*args, "--seed", "4"]) == 0
    graphs = [SceneGraph.from_json(line) for line in (out / "scene_graphs.jsonl").read_text().splitlines()]
    return load_manifest(assets), out, graphs


def test_resolver_draws_the_pack_and_pins_its_maps(packed):
    """Every object and the table carry the pack with its three maps pinned by hash."""
    manifest, _, graphs = packed
    for graph in graphs:
        for node in (graph.surface, *graph.objects):
            assert node.texture is not None and node.texture.material == "Checker001"
            roles = {
                ref.id: role
                for role in ("color", "roughness", "normal")
                if (ref := getattr(node.texture, role))
            }
            assert set(roles.values()) == {"color", "roughness", "normal"}
            for asset_id in roles:
                assert manifest.get(asset_id).sha256 == next(
                    r.sha256 for r in graph.assets() if r.id == asset_id
                )


def test_pack_texture_shows_on_objects(packed):
    """The checker's red and green show on the objects' pixels; the plain material does not give them."""
    manifest, out, graphs = packed
    graph = graphs[0]
    plain = graph.model_copy(
        update={
            "objects": tuple(o.model_copy(update={"texture": None}) for o in graph.objects),
            "surface": graph.surface.model_copy(update={"texture": None}),
        }
    )
    with Renderer(manifest, manifest.categories()) as renderer:
        frame = renderer.render(plain)
    textured = cv2.cvtColor(cv2.imread(str(out / "images/000000.png")), cv2.COLOR_BGR2RGB).astype(float)
    instances = cv2.imread(str(out / "masks/000000_instance.png"), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(instances, frame.instance_mask)

    def checker_contrast(rgb):  # spread of (red - green) inside each object, averaged
        spreads = [
            np.std(rgb[instances == i][:, 0] - rgb[instances == i][:, 1]) for i in np.unique(instances)[1:]
        ]
        return float(np.mean(spreads))

    assert checker_contrast(textured) > 3 * checker_contrast(frame.rgb.astype(float)) + 10


def test_pack_maps_are_in_coco_and_card(packed):
    """COCO asset_ids and licenses list the pack's maps; the card owes their attribution."""
    manifest, out, _ = packed
    coco = COCO(str(out / "annotations" / "coco.json"))
    pack_ids = {r.id for r in manifest.assets if r.material == "Checker001"}
    assert len(pack_ids) == 3
    licenses = {entry["name"] for entry in coco.dataset["licenses"]}
    for image in coco.dataset["images"]:
        assert pack_ids <= set(image["asset_ids"])
    assert licenses == {"CC0-1.0", "CC-BY-4.0"}
    card = (out / "DATASET_CARD.md").read_text()
    assert "Checker by Ada Poe" in card
    assert all(f"`{asset_id}`" in card for asset_id in pack_ids)
    assert json.loads((out / "scene_graphs.jsonl").read_text().splitlines()[0])["surface"]["texture"]
