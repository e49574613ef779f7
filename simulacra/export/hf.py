"""``--format hf``: a folder ``datasets.load_dataset("imagefolder", data_dir=OUT)`` loads whole.

```
OUT/<split>/000003.png
OUT/<split>/masks/000003.png     uint16: 0 background, k the k-th object of the row (1-based)
OUT/<split>/metadata.jsonl       file_name, mask_file_name, image_id, width, height, objects
```
``objects`` is Hugging Face's object-detection shape: parallel lists ``id``, ``bbox``
(COCO x, y, w, h in pixels), ``category`` (0..K-1, COCO category-id order),
``category_name``, ``area``. ``mask_file_name`` makes ``datasets`` load the mask as a
second image column. The split folders are named as ``imagefolder`` recognises them
(``val`` becomes the ``validation`` split).
"""

from __future__ import annotations

import json

import cv2
import numpy as np

from simulacra.errors import OutputError
from simulacra.export.plan import ExportJob
from simulacra.export.source import SourceImage


def write_hf(job: ExportJob) -> dict[str, str]:
    """Images, masks and one ``metadata.jsonl`` per split; returns what it wrote."""
    categories = sorted(job.source.coco["categories"], key=lambda c: c["id"])
    classes = {c["id"]: k for k, c in enumerate(categories)}
    names = {c["id"]: c["name"] for c in categories}
    written = {}
    for name, images in job.splits.items():
        (job.target / f"{name}/masks").mkdir(parents=True, exist_ok=True)
        rows = []
        for image in images:
            written[job.copy_image(image, name)] = image.entry["file_name"]
            mask_name = f"masks/{image.path.stem}.png"
            if not cv2.imwrite(str(job.target / name / mask_name), _object_mask(image)):
                raise OutputError(f"could not write {job.target / name / mask_name}")
            annotations = image.annotations
            objects = {
                "id": [a["id"] for a in annotations],
                "bbox": [a["bbox"] for a in annotations],
                "category": [classes[a["category_id"]] for a in annotations],
                "category_name": [names[a["category_id"]] for a in annotations],
                "area": [a["area"] for a in annotations],
            }
            entry = image.entry
            rows.append(
                {
                    "file_name": image.file_name,
                    "mask_file_name": mask_name,
                    "image_id": entry["id"],
                    "width": entry["width"],
                    "height": entry["height"],
                    "objects": objects,
                }
            )
            job.advance()
        (job.target / f"{name}/metadata.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return written


def _object_mask(image: SourceImage) -> np.ndarray:
    """The row's objects painted into one uint16 mask: pixel value k is ``objects[k - 1]``."""
    mask = np.zeros((image.entry["height"], image.entry["width"]), np.uint16)
    for k, annotation in enumerate(image.annotations, start=1):
        mask[image.mask_of(annotation)] = k
    return mask
