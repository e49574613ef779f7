"""The coco export holds to what FiftyOne's and Datumaro's COCO importers need, checked field by field.

Neither library can be a test dependency here (FiftyOne's botocore wants python-dateutil
< 3, Datumaro pandas < 3 and pillow < 13, against the pinned set), so
``scripts/check_loaders.sh`` runs them in a throwaway environment and these tests pin down
the structure they were seen to read: the split layout Datumaro detects, unique integer
ids, no annotation key FiftyOne reserves, and segmentations every strict reader accepts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytestmark = pytest.mark.blender

SPLITS = ("train", "val", "test")
STANDARD = {"id", "image_id", "category_id", "segmentation", "area", "bbox", "iscrowd"}
# Names fiftyone.core.labels.Detection reserves (fields and read-only properties, fiftyone 1.22):
# its COCO importer passes every other annotation key to Detection(**attributes), which
# raises on a property ("'instance_id' is a reserved keyword") and overwrites a field.
FIFTYONE_DETECTION = {
    "id",
    "_id",
    "_cls",
    "attributes",
    "tags",
    "label",
    "bounding_box",
    "mask",
    "mask_path",
    "confidence",
    "index",
    "instance_id",
    "has_mask",
    "field_names",
}


def _documents(out: Path) -> dict[str, dict]:
    return {split: json.loads((out / f"annotations/instances_{split}.json").read_text()) for split in SPLITS}


@pytest.mark.parametrize("segmentation", ["polygon", "rle"])
def test_the_layout_datumaro_detects(exported, segmentation):
    """annotations/ holds instances_<split>.json only; images/<split>/ holds exactly the files it lists."""
    out = exported("coco", "--segmentation", segmentation)
    assert sorted(p.name for p in (out / "annotations").iterdir()) == sorted(
        f"instances_{split}.json" for split in SPLITS
    )
    assert sorted(p.name for p in (out / "images").iterdir()) == sorted(SPLITS)
    for split, document in _documents(out).items():
        listed = sorted(image["file_name"] for image in document["images"])
        assert listed == sorted(p.name for p in (out / "images" / split).iterdir())


@pytest.mark.parametrize("segmentation", ["polygon", "rle"])
def test_ids_are_unique_integers_and_the_image_id_is_the_file_index(exported, segmentation):
    """Image and annotation ids unique across splits (pycocotools keys a dict by them); ids name the file."""
    documents = _documents(exported("coco", "--segmentation", segmentation)).values()
    images = [image for document in documents for image in document["images"]]
    annotations = [a for document in documents for a in document["annotations"]]
    assert all(
        type(image["id"]) is int and image["id"] == int(Path(image["file_name"]).stem) for image in images
    )
    assert len({image["id"] for image in images}) == len(images)
    assert all(type(a["id"]) is int for a in annotations)
    assert len({a["id"] for a in annotations}) == len(annotations)
    for document in documents:
        ids = {image["id"] for image in document["images"]}
        categories = {c["id"] for c in document["categories"]}
        assert all(a["image_id"] in ids and a["category_id"] in categories for a in document["annotations"])


def test_no_annotation_key_is_one_fiftyone_reserves(exported):
    """Project keys travel as FiftyOne attributes: none may be a name its Detection reserves."""
    for document in _documents(exported("coco")).values():
        for annotation in document["annotations"]:
            extra = set(annotation) - STANDARD
            assert extra and not extra & FIFTYONE_DETECTION, extra
            assert all(key.isidentifier() for key in extra)  # a FiftyOne field name, a Mongo key


@pytest.mark.parametrize("segmentation", ["polygon", "rle"])
def test_boxes_and_segmentations_are_what_strict_readers_accept(exported, segmentation):
    """Boxes inside the image; polygons of 3+ points inside it, or compressed RLE of the image's size."""
    for document in _documents(exported("coco", "--segmentation", segmentation)).values():
        sizes = {image["id"]: (image["width"], image["height"]) for image in document["images"]}
        for annotation in document["annotations"]:
            width, height = sizes[annotation["image_id"]]
            x, y, w, h = annotation["bbox"]
            assert w > 0 and h > 0 and 0 <= x <= width - w and 0 <= y <= height - h
            assert annotation["iscrowd"] == 0 and type(annotation["area"]) is int and annotation["area"] > 0
            shapes = annotation["segmentation"]
            if segmentation == "rle":
                assert shapes["size"] == [height, width] and isinstance(shapes["counts"], str)
                continue
            assert shapes and all(len(p) % 2 == 0 and len(p) >= 6 for p in shapes)
            for polygon in shapes:
                assert all(math.isfinite(v) for v in polygon)
                assert all(0 <= v <= width for v in polygon[0::2]) and all(
                    0 <= v <= height for v in polygon[1::2]
                )
