"""`simulacra generate` from the user's side: files written, labels consistent, errors clear."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from simulacra.cli import run
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A 3-image dataset from a small spec, made once for the module."""
    from tests.conftest import SMALL_SPEC

    root = tmp_path_factory.mktemp("gen")
    spec = root / "small.yaml"
    spec.write_text(SMALL_SPEC)
    out = root / "out"
    assert run(["generate", str(spec), "-n", "3", "-o", str(out), "--seed", "4"]) == 0
    return out


def _graphs(dataset) -> list[SceneGraph]:
    return [SceneGraph.from_json(line) for line in (dataset / "scene_graphs.jsonl").read_text().splitlines()]


def test_dataset_layout(dataset):
    """Images, masks, depth, COCO, graphs and card are all there, nothing staged left over."""
    for i in range(3):
        assert (dataset / f"images/{i:06d}.png").is_file()
        assert (dataset / f"masks/{i:06d}_instance.png").is_file()
        assert (dataset / f"masks/{i:06d}_class.png").is_file()
        assert (dataset / f"depth/{i:06d}.tiff").is_file()
        assert (dataset / f"normals/{i:06d}.tiff").is_file()
    assert (dataset / "annotations/coco.json").is_file()
    assert (dataset / "DATASET_CARD.md").is_file()
    graphs = _graphs(dataset)
    assert [g.image_index for g in graphs] == [0, 1, 2]
    assert not list(dataset.parent.glob(".out.partial*"))


def test_coco_agrees_with_instance_masks(dataset):
    """pycocotools loads the file; every box and RLE mask matches the written instance mask."""
    coco = COCO(str(dataset / "annotations/coco.json"))
    graphs = _graphs(dataset)
    assert coco.getImgIds()
    for image in coco.loadImgs(coco.getImgIds()):
        stem = image["file_name"].split("/")[-1].removesuffix(".png")
        instances = cv2.imread(str(dataset / f"masks/{stem}_instance.png"), cv2.IMREAD_UNCHANGED)
        graph = graphs[image["id"]]
        categories = {node.instance_id: node.category for node in graph.objects}
        annotations = coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
        assert {a["instance_id"] for a in annotations} == set(np.unique(instances).tolist()) - {0}
        for ann in annotations:
            truth = instances == ann["instance_id"]
            assert np.array_equal(mask_utils.decode(ann["segmentation"]).astype(bool), truth)
            ys, xs = np.nonzero(truth)
            x, y, w, h = ann["bbox"]
            assert (x, y, x + w - 1, y + h - 1) == (xs.min(), ys.min(), xs.max(), ys.max())
            assert ann["area"] == truth.sum()
            assert coco.loadCats(ann["category_id"])[0]["name"] == categories[ann["instance_id"]]


def test_coco_image_id_is_the_image_index(dataset):
    """One id everywhere: COCO id 2 is images/000002.png, scene graph image_index 2, rerender --id 2."""
    images = json.loads((dataset / "annotations/coco.json").read_text())["images"]
    assert [(image["id"], image["file_name"]) for image in images] == [
        (i, f"images/{i:06d}.png") for i in range(3)
    ]
    assert [g.image_index for g in _graphs(dataset)] == [image["id"] for image in images]


def test_annotations_record_visible_fraction(dataset):
    """Each annotation states its unoccluded area and visible fraction; unhidden objects read 1.0."""
    annotations = json.loads((dataset / "annotations/coco.json").read_text())["annotations"]
    assert all(a["unoccluded_area"] >= a["area"] for a in annotations)
    assert all(a["visible_fraction"] == round(a["area"] / a["unoccluded_area"], 4) for a in annotations)
    assert sum(a["visible_fraction"] == 1.0 for a in annotations) >= len(annotations) // 2


def test_depth_and_normals_read_back(dataset):
    """Depth and normals files hold float32 metres and unit normals (x, y, z channel order)."""
    import tifffile

    depth = tifffile.imread(dataset / "depth/000000.tiff")
    normals = tifffile.imread(dataset / "normals/000000.tiff")
    assert depth.dtype == np.float32 and normals.dtype == np.float32
    surface = depth > 0
    assert np.allclose(np.linalg.norm(normals[surface], axis=1), 1.0, atol=1e-3)
    instances = cv2.imread(str(dataset / "masks/000000_instance.png"), cv2.IMREAD_UNCHANGED)
    table = surface & (instances == 0)
    assert normals[table].mean(axis=0)[1] < -0.3  # the table faces up: -y in the camera frame


def test_coco_carries_real_licenses(dataset):
    """The licenses section lists the assets' real licenses, never BlenderProc's default."""
    data = json.loads((dataset / "annotations/coco.json").read_text())
    names = {entry["name"] for entry in data["licenses"]}
    assert names == {"CC0-1.0"}
    assert "NonCommercial" not in json.dumps(data)


def test_card_states_seed_hash_and_licenses(dataset):
    """The card gives the config hash, seed, counts and licenses."""
    card = (dataset / "DATASET_CARD.md").read_text()
    assert "Config hash: `" in card and "Job seed: 4" in card
    assert "Images: 3 written of 3 requested" in card
    assert "| CC0-1.0 |" in card


def test_same_seed_same_graphs_and_labels(dataset, tmp_path):
    """Generating again with the same spec and seed gives identical graphs and COCO labels."""
    from tests.conftest import SMALL_SPEC

    spec = tmp_path / "small.yaml"
    spec.write_text(SMALL_SPEC)
    again = tmp_path / "again"
    assert run(["generate", str(spec), "-n", "3", "-o", str(again), "--seed", "4"]) == 0
    assert (again / "scene_graphs.jsonl").read_text() == (dataset / "scene_graphs.jsonl").read_text()
    first = json.loads((dataset / "annotations/coco.json").read_text())["annotations"]
    second = json.loads((again / "annotations/coco.json").read_text())["annotations"]
    assert first == second
