"""`simulacra export`: each format read back by its client's own loader, labels equal to the dataset's."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from simulacra.cli import run

pytestmark = pytest.mark.blender


def _truth(dataset: Path) -> dict[int, dict]:
    """The source dataset's labels by image id: its COCO entry, annotations and instance mask."""
    coco = json.loads((dataset / "annotations/coco.json").read_text())
    truth = {image["id"]: {"image": image, "annotations": []} for image in coco["images"]}
    for annotation in coco["annotations"]:
        truth[annotation["image_id"]]["annotations"].append(annotation)
    for entry in truth.values():
        stem = Path(entry["image"]["file_name"]).stem
        entry["mask"] = cv2.imread(str(dataset / f"masks/{stem}_instance.png"), cv2.IMREAD_UNCHANGED)
        entry["names"] = {c["id"]: c["name"] for c in coco["categories"]}
    return truth


def _load_coco(path: Path) -> COCO:
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))


@pytest.mark.parametrize("segmentation", ["polygon", "rle"])
def test_coco_export_reads_back_in_pycocotools(tiny_dataset, exported, segmentation):
    """file_name is relative to images/<split>/; every mask equals the dataset's, pixel for pixel."""
    out = exported("coco", "--segmentation", segmentation)
    truth = _truth(tiny_dataset)
    seen = set()
    for split in ("train", "val", "test"):
        coco = _load_coco(out / f"annotations/instances_{split}.json")
        for image in coco.loadImgs(coco.getImgIds()):
            assert (out / "images" / split / image["file_name"]).is_file()
            assert "/" not in image["file_name"]
            expected = truth[image["id"]]
            annotations = coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
            assert len(annotations) == len(expected["annotations"])
            for annotation in annotations:
                assert "instance_id" not in annotation  # FiftyOne reserves it
                assert isinstance(annotation["segmentation"], list if segmentation == "polygon" else dict)
                assert np.array_equal(
                    coco.annToMask(annotation), expected["mask"] == annotation["mask_value"]
                )
                assert annotation["area"] == int((expected["mask"] == annotation["mask_value"]).sum())
            seen.add(image["id"])
    assert seen == set(truth)


def test_supervision_reads_the_coco_export(tiny_dataset, exported):
    """supervision's from_coco on the standard layout: same boxes, classes and (RLE) masks."""
    import supervision as sv

    out = exported("coco", "--segmentation", "rle")
    truth = _truth(tiny_dataset)
    for split in ("train", "val", "test"):
        dataset = sv.DetectionDataset.from_coco(
            str(out / "images" / split), str(out / f"annotations/instances_{split}.json"), force_masks=True
        )
        assert len(dataset) > 0
        for path, _, detections in dataset:
            expected = truth[int(Path(path).stem)]
            boxes = sorted(
                [x, y, x + w, y + h] for x, y, w, h in (a["bbox"] for a in expected["annotations"])
            )
            assert sorted(detections.xyxy.tolist()) == boxes
            names = sorted(dataset.classes[k] for k in detections.class_id)
            assert names == sorted(expected["names"][a["category_id"]] for a in expected["annotations"])
            assert sorted(int(m.sum()) for m in detections.mask) == sorted(
                a["area"] for a in expected["annotations"]
            )


@pytest.mark.parametrize("fmt", ["yolo", "yolo-seg"])
def test_yolo_export_is_the_ultralytics_layout(tiny_dataset, exported, fmt):
    """data.yaml names 0..K-1 and split folders; each label line is the object's box or exact polygon."""
    out = exported(fmt)
    data = yaml.safe_load((out / "data.yaml").read_text())
    truth = _truth(tiny_dataset)
    names = next(iter(truth.values()))["names"]
    assert data["names"] == {k: names[i] for k, i in enumerate(sorted(names))}
    assert Path(data["path"]) == out.resolve()
    labelled = 0
    for split in ("train", "val", "test"):
        assert (out / data[split]).is_dir()
        for image_file in sorted((out / data[split]).iterdir()):
            expected = truth[int(image_file.stem)]
            lines = (out / "labels" / split / f"{image_file.stem}.txt").read_text().splitlines()
            assert len(lines) == len(expected["annotations"])
            for line, annotation in zip(lines, expected["annotations"], strict=True):
                _check_line(line, annotation, expected, data["names"], fmt)
                labelled += 1
    assert labelled == sum(len(t["annotations"]) for t in truth.values())


def _check_line(line: str, annotation: dict, expected: dict, names: dict, fmt: str) -> None:
    cls, *values = line.split()
    assert names[int(cls)] == expected["names"][annotation["category_id"]]
    width, height = expected["image"]["width"], expected["image"]["height"]
    points = np.array(values, float).reshape(-1, 2) * (width, height)
    if fmt == "yolo":
        x, y, w, h = annotation["bbox"]
        assert np.allclose(points.ravel(), [x + w / 2, y + h / 2, w, h], atol=1e-4 * width)
        return
    rle = mask_utils.frPyObjects([points.ravel().tolist()], height, width)
    decoded = mask_utils.decode(mask_utils.merge(rle)).astype(bool)
    assert np.array_equal(decoded, expected["mask"] == annotation["instance_id"])


def test_supervision_reads_the_yolo_seg_export(tiny_dataset, exported):
    """supervision's from_yolo with data.yaml: every image with its boxes and class names."""
    import supervision as sv

    out = exported("yolo-seg")
    truth = _truth(tiny_dataset)
    total = 0
    for split in ("train", "val", "test"):
        dataset = sv.DetectionDataset.from_yolo(
            str(out / "images" / split), str(out / "labels" / split), str(out / "data.yaml"), force_masks=True
        )
        for path, _, detections in dataset:
            expected = truth[int(Path(path).stem)]
            names = sorted(dataset.classes[k] for k in detections.class_id)
            assert names == sorted(expected["names"][a["category_id"]] for a in expected["annotations"])
            assert detections.mask.shape[0] == len(expected["annotations"])
            total += 1
    assert total == len(truth)


def test_hugging_face_loads_the_hf_export(tiny_dataset, exported, tmp_path):
    """datasets' imagefolder: one row per image with boxes, categories and a mask whose values index them."""
    import datasets

    out = exported("hf")
    loaded = datasets.load_dataset("imagefolder", data_dir=str(out), cache_dir=str(tmp_path / "cache"))
    assert sorted(loaded) == ["test", "train", "validation"]
    truth = _truth(tiny_dataset)
    rows = [row for split in loaded.values() for row in split]
    assert sorted(row["image_id"] for row in rows) == sorted(truth)
    for row in rows:
        expected = truth[row["image_id"]]
        assert row["image"].size == (expected["image"]["width"], expected["image"]["height"])
        objects = row["objects"]
        assert objects["bbox"] == [a["bbox"] for a in expected["annotations"]]
        assert objects["category_name"] == [
            expected["names"][a["category_id"]] for a in expected["annotations"]
        ]
        mask = np.array(row["mask"])
        for k, annotation in enumerate(expected["annotations"], start=1):
            assert np.array_equal(mask == k, expected["mask"] == annotation["instance_id"])


@pytest.mark.parametrize("fmt", ["coco", "yolo", "yolo-seg", "hf", "bop"])
def test_every_export_carries_the_card_and_licenses(tiny_dataset, exported, fmt):
    """The dataset card, and each exported image's asset licenses under its path in the export."""
    out = exported(fmt)
    assert (out / "DATASET_CARD.md").read_bytes() == (tiny_dataset / "DATASET_CARD.md").read_bytes()
    licenses = json.loads((out / "licenses.json").read_text())
    source = json.loads((tiny_dataset / "annotations/coco.json").read_text())
    assert licenses["licenses"] == source["licenses"]
    names = {entry["id"]: entry["name"] for entry in source["licenses"]}
    by_stem = {Path(image["file_name"]).stem: image for image in source["images"]}
    assert len(licenses["images"]) == len(source["images"])
    for entry in licenses["images"]:
        assert (out / entry["file"]).is_file()
        assert entry["licenses"] == [names[i] for i in by_stem[Path(entry["file"]).stem]["asset_licenses"]]
        assert entry["licenses"]


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_export_is_deterministic_and_leaves_the_source_alone(tiny_dataset, exported, tmp_path):
    """The same command twice gives the same bytes; the dataset's own files are unchanged."""
    before = _tree(tiny_dataset)
    first = exported("coco")
    again = tmp_path / "again"
    split = "train=0.5,val=0.25,test=0.25"
    assert run(["export", str(tiny_dataset), "--format", "coco", "-o", str(again), "--split", split]) == 0
    assert _tree(again) == _tree(first)
    assert _tree(tiny_dataset) == before
    assert not list(tmp_path.glob(".*"))  # no staging folder left beside the export


def test_views_of_one_scene_share_a_split(views_dataset, tmp_path):
    """Two views per scene: both land in the same split, whatever the seed; seeds change the split."""
    assignments = set()
    for seed in range(4):
        out = tmp_path / f"seed{seed}"
        args = ["export", str(views_dataset), "--format", "coco", "-o", str(out), "--seed", str(seed)]
        assert run([*args, "--split", "train=0.5,val=0.25,test=0.25"]) == 0
        split_of = {}
        for split in ("train", "val", "test"):
            images = json.loads((out / f"annotations/instances_{split}.json").read_text())["images"]
            split_of.update({image["id"]: split for image in images})
        assert sorted(split_of) == list(range(8))
        assert all(split_of[2 * scene] == split_of[2 * scene + 1] for scene in range(4))
        assert sorted(split_of.values()).count("train") == 4
        assignments.add(tuple(sorted(split_of.items())))
    assert len(assignments) > 1
