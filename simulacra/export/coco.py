"""``--format coco``: the standard layout strict loaders expect.

```
OUT/images/<split>/000003.png
OUT/annotations/instances_<split>.json   file_name "000003.png", relative to images/<split>/
```
This is the layout of COCO itself: Datumaro's ``import_from(OUT, "coco")`` finds the splits
on its own, FiftyOne's importer and torchvision's ``CocoDetection`` take the images folder
and the JSON (``data_path``/``labels_path``, ``root``/``annFile``) and read them as-is.
Image ids, annotation ids and category ids are the dataset's own (image id = image index,
so ``rerender --id`` takes it). The project's annotation key ``instance_id`` becomes
``mask_value`` (its value in the dataset's ``masks/*_instance.png``): FiftyOne's COCO
importer reserves ``instance_id``.
"""

from __future__ import annotations

import json

import numpy as np
from pycocotools import mask as mask_utils

from simulacra.export.plan import ExportJob
from simulacra.export.polygons import mask_polygons
from simulacra.export.source import SourceImage

RENAMED = {"instance_id": "mask_value"}  # project key -> a name no major COCO loader reserves


def write_coco(job: ExportJob) -> dict[str, str]:
    """One images folder and one ``instances_<split>.json`` per split; returns what it wrote."""
    written = {}
    (job.target / "annotations").mkdir(parents=True, exist_ok=True)
    for name, images in job.splits.items():
        entries, annotations = [], []
        for image in images:
            written[job.copy_image(image, f"images/{name}")] = image.entry["file_name"]
            entries.append({**image.entry, "file_name": image.file_name})
            annotations.extend(_annotation(image, a, job.segmentation) for a in image.annotations)
            job.advance()
        document = {
            "info": {**job.source.coco.get("info", {}), "split": name},
            "licenses": job.source.coco.get("licenses", []),
            "categories": job.source.coco["categories"],
            "images": entries,
            "annotations": annotations,
        }
        (job.target / f"annotations/instances_{name}.json").write_text(json.dumps(document))
    return written


def _annotation(image: SourceImage, annotation: dict, segmentation: str) -> dict:
    """The annotation with renamed project keys and its mask as polygons or as the source's RLE."""
    exported = {RENAMED.get(key, key): value for key, value in annotation.items()}
    mask = image.mask_of(annotation)
    if segmentation == "polygon":
        exported["segmentation"] = mask_polygons(mask)
    else:
        rle = mask_utils.encode(np.asfortranarray(mask, dtype=np.uint8))
        exported["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
    return exported
