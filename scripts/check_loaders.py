"""Read the exports back with FiftyOne's and Datumaro's own importers and compare them with the dataset.

Run by ``scripts/check_loaders.sh`` inside a throwaway environment that has the client
library but not simulacra (neither installs beside the project's pins: Datumaro wants
pandas 2 and pillow 12, FiftyOne's botocore python-dateutil 2). So it needs only numpy, pillow
and the client: the truth is read straight from the dataset folder, whose layout the
README documents (``annotations/coco.json``, 16-bit ``masks/N_instance.png``).

A tool passes when every image of every split arrives with readable pixels of the right
size, the same image id, and every object with its class, its box and (where the format
has one) its mask equal to the dataset's, pixel for pixel, and when the README's snippet
for it runs as written; it prints one line per check.

Usage: python scripts/check_loaders.py {fiftyone,datumaro} DATASET EXPORTS
       (EXPORTS holds coco/, coco-rle/, yolo/ and yolo-seg/ from ``simulacra export``)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:  # each client library lies only in its own environment
    from datumaro import DatasetItem, LabelCategories
    from fiftyone.core.metadata import ImageMetadata

Objects = list[tuple[str, tuple[float, ...]]]  # (class name, xywh box in pixels), sorted

SPLITS = ("train", "val", "test")
README = Path(__file__).resolve().parents[1] / "README.md"


class Truth:
    """The dataset's own labels by image id: entry, category names, annotations, instance mask."""

    def __init__(self, dataset: Path) -> None:
        coco = json.loads((dataset / "annotations/coco.json").read_text())
        self.names = {c["id"]: c["name"] for c in coco["categories"]}
        self.images = {image["id"]: image for image in coco["images"]}
        self.annotations: dict[int, list[dict]] = {i: [] for i in self.images}
        for annotation in coco["annotations"]:
            self.annotations[annotation["image_id"]].append(annotation)
        self._dataset = dataset

    def mask(self, image_id: int, annotation: dict) -> np.ndarray:
        """One object's mask from the 16-bit instance PNG (pixel value = its instance_id)."""
        stem = Path(self.images[image_id]["file_name"]).stem
        instances = np.array(Image.open(self._dataset / f"masks/{stem}_instance.png"))
        return instances == annotation["instance_id"]

    def objects(self, image_id: int) -> Objects:
        """(class name, xywh box) per object, sorted, to compare with what a loader found."""
        return sorted((self.names[a["category_id"]], tuple(a["bbox"])) for a in self.annotations[image_id])


def _expect(condition: bool, message: str) -> None:
    """A failed comparison stops the check with what differed (no bare assert: it vanishes under -O)."""
    if not condition:
        raise AssertionError(message)


def _pixels(path: str, image: dict) -> None:
    """The image file decodes to the size the dataset recorded."""
    with Image.open(path) as decoded:
        _expect(decoded.size == (image["width"], image["height"]), f"{path}: {decoded.size} px")


def _close(found: Objects, expected: Objects) -> bool:
    """Same classes and boxes within 1e-3 px (normalised coordinates round-trip through floats)."""
    return len(found) == len(expected) and all(
        a == c and np.allclose(b, d, atol=1e-3) for (a, b), (c, d) in zip(found, expected, strict=True)
    )


def check_fiftyone(truth: Truth, exports: Path) -> Iterator[str]:
    """FiftyOne's COCO importer with its default options, on the polygon and the RLE export.

    ``fo.Dataset.from_dir`` hands these same keyword arguments to this importer and stores
    what it yields in MongoDB; the importer is run directly so that the check also works
    where FiftyOne's database cannot start (its ``fiftyone-db`` wheel downloads mongod when
    it is built, which fails offline).
    """
    import fiftyone.utils.coco as fouc

    for export in ("coco", "coco-rle"):
        for label_types in (None, ["detections", "segmentations"]):
            seen = set()
            for split in SPLITS:
                options = {} if label_types is None else {"label_types": label_types}
                importer = fouc.COCODetectionDatasetImporter(
                    data_path=str(exports / export / "images" / split),
                    labels_path=str(exports / export / f"annotations/instances_{split}.json"),
                    **options,
                )
                with importer:
                    for path, metadata, labels in importer:
                        seen.add(_fiftyone_sample(truth, path, metadata, labels))
            _expect(seen == set(truth.images), f"{export}: images {sorted(seen)} of {sorted(truth.images)}")
            objects = sum(len(a) for a in truth.annotations.values())
            options = "default options" if label_types is None else f"label_types={label_types}"
            yield f"ok {export} ({options}): {len(seen)} images, {objects} boxes and masks equal"
    yield _fiftyone_database(exports / "coco")


def _fiftyone_database(export: Path) -> str:
    """``fo.Dataset.from_dir`` itself where MongoDB can start; it cannot where fiftyone-db has no mongod."""
    import fiftyone as fo
    import fiftyone.core.service as service

    try:
        service.DatabaseService.find_mongod()
    except service.ServiceExecutableNotFound:
        return (
            "n/a from_dir: no mongod (fiftyone-db fetches it when its wheel is built); importer run directly"
        )
    counts = []
    for split in SPLITS:
        dataset = fo.Dataset.from_dir(
            dataset_type=fo.types.COCODetectionDataset,
            data_path=str(export / "images" / split),
            labels_path=str(export / f"annotations/instances_{split}.json"),
        )
        counts.append(len(dataset))
    return f"ok from_dir: {sum(counts)} samples stored in MongoDB ({', '.join(map(str, counts))} by split)"


def _fiftyone_sample(truth: Truth, path: str, metadata: ImageMetadata, labels: dict) -> int:
    """One imported sample checked against the dataset; returns its image id."""
    image_id = int(Path(path).stem)
    image = truth.images[image_id]
    _pixels(path, image)
    _expect((metadata.width, metadata.height) == (image["width"], image["height"]), f"{path}: metadata")
    width, height = image["width"], image["height"]
    for field in ("detections", "segmentations"):
        scale = (width, height, width, height)  # FiftyOne's boxes are relative to the image
        found = sorted((d.label, tuple(np.multiply(d.bounding_box, scale))) for d in labels[field].detections)
        _expect(
            _close(found, truth.objects(image_id)), f"{path} {field}: {found} != {truth.objects(image_id)}"
        )
    by_value = {a["instance_id"]: a for a in truth.annotations[image_id]}
    for detection in labels["segmentations"].detections:
        # FiftyOne keeps extra annotation keys as attributes: mask_value names the object.
        annotation = by_value[detection["mask_value"]]
        x, y, w, h = annotation["bbox"]
        expected = truth.mask(image_id, annotation)[y : y + h, x : x + w]  # FiftyOne crops to the box
        _expect(np.array_equal(detection.mask, expected), f"{path}: mask of object {detection['mask_value']}")
    return image_id


def check_datumaro(truth: Truth, exports: Path) -> Iterator[str]:
    """Datumaro's ``coco``, ``coco_instances`` and ``yolo`` importers, and whether it detects each layout."""
    import datumaro as dm

    for export, fmt in (("coco", "coco"), ("coco", "coco_instances"), ("coco-rle", "coco"), ("yolo", "yolo")):
        detected = dm.Dataset.detect(str(exports / export))
        dataset = dm.Dataset.import_from(str(exports / export), fmt)
        if fmt != "yolo":  # each object's polygons (one per piece) or RLE into one mask
            dataset = dataset.transform("merge_instance_segments", include_polygons=True)
        _expect(sorted(dataset.subsets()) == sorted(SPLITS), f"{export}: subsets {sorted(dataset.subsets())}")
        labels = dataset.categories()[dm.AnnotationType.label]
        seen = {_datumaro_item(truth, item, labels, masks=fmt != "yolo") for item in dataset}
        _expect(seen == set(truth.images), f"{export}: images {sorted(seen)} of {sorted(truth.images)}")
        what = "boxes" if fmt == "yolo" else "boxes and masks"
        objects = sum(len(a) for a in truth.annotations.values())
        yield f"ok {export} as {fmt} (detected: {detected}): {len(seen)} images, {objects} {what} equal"
    # Datumaro's YOLO importers read box lines only (5 fields), not YOLO-seg polygons.
    try:
        dm.Dataset.import_from(str(exports / "yolo-seg"), "yolo")
    except dm.components.errors.DatasetNotFoundError:
        yield f"n/a yolo-seg: Datumaro {dm.__version__}'s yolo importer reads box lines only"
    else:
        yield "?? yolo-seg as yolo: imported by this Datumaro; its polygons are not compared here"


def _datumaro_item(truth: Truth, item: DatasetItem, labels: LabelCategories, *, masks: bool) -> int:
    """One Datumaro item checked against the dataset; returns its image id."""
    from datumaro import AnnotationType

    image_id = int(item.attributes.get("id", item.id))
    _expect(image_id == int(item.id), f"{item.id}: COCO id {image_id} is not its file's index")
    image = truth.images[image_id]
    _pixels(item.media.path, image)
    _expect(item.media.data.shape[:2] == (image["height"], image["width"]), f"{item.id}: pixels")
    boxes = [a for a in item.annotations if a.type == AnnotationType.bbox]
    found = sorted((labels[a.label].name, tuple(a.get_bbox())) for a in boxes)
    _expect(_close(found, truth.objects(image_id)), f"{item.id}: {found} != {truth.objects(image_id)}")
    if not masks:
        return image_id
    segments = [a for a in item.annotations if a.type == AnnotationType.mask]
    by_id = {a["id"]: a for a in truth.annotations[image_id]}
    _expect(len(segments) == len(by_id), f"{item.id}: {len(segments)} masks for {len(by_id)} objects")
    for segment in segments:
        expected = truth.mask(image_id, by_id[segment.id])
        _expect(
            np.array_equal(segment.image.astype(bool), expected),
            f"{item.id}: mask of annotation {segment.id}",
        )
    return image_id


def run_snippet(tool: str, dataset: Path, exports: Path) -> str:
    """The README's snippet for ``tool``, run as written in a folder laid out as it assumes."""
    section = README.read_text().split("## Use the dataset in ...", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    (snippet,) = [block for block in blocks if block.startswith(f"# needs: {tool}\n")]
    with tempfile.TemporaryDirectory(prefix="readme-") as folder:
        (Path(folder) / "dataset").symlink_to(dataset.resolve())
        (Path(folder) / "exports").symlink_to(exports.resolve())
        before = Path.cwd()
        os.chdir(folder)
        try:
            exec(compile(snippet, f"README.md ({tool})", "exec"), {})
        finally:
            os.chdir(before)
    return "ok README snippet"


CHECKS: dict[str, Callable[[Truth, Path], Iterator[str]]] = {
    "fiftyone": check_fiftyone,
    "datumaro": check_datumaro,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tool", choices=sorted(CHECKS))
    parser.add_argument("dataset", type=Path)
    parser.add_argument("exports", type=Path)
    args = parser.parse_args()
    try:
        for line in CHECKS[args.tool](Truth(args.dataset), args.exports):
            print(f"{args.tool}: {line}", flush=True)
        print(f"{args.tool}: {run_snippet(args.tool, args.dataset, args.exports)}")
    except AssertionError as error:
        print(f"{args.tool}: FAIL {error}")
        sys.exit(1)
    except Exception as error:  # the loader itself refused the export: that is the result to report
        print(f"{args.tool}: FAIL {type(error).__name__} from the loader: {error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
