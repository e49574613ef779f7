"""COCO detection/segmentation export built from instance masks.

Boxes, areas and RLE masks are all derived from the same instance mask, so they agree
by construction. An image's COCO id is its image index, the number in its file name and
what ``rerender --id`` takes, so a user never converts between two numbering schemes.
The ``licenses`` section lists the real licenses of the assets used, never BlenderProc's
writer default.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from simulacra import __version__
from simulacra.assets_manifest import KNOWN_LICENSES
from simulacra.dataset.atomic import write_atomic
from simulacra.dataset.layout import COCO_FILE, image_files
from simulacra.scenes import SceneGraph


@dataclass(frozen=True)
class ImageRecord:
    """What COCO needs of one written image."""

    image_id: int
    file_name: str
    width: int
    height: int
    license_ids: tuple[str, ...]
    asset_ids: tuple[str, ...]
    instance_mask: np.ndarray
    categories_of: dict[int, str]
    unoccluded: dict[int, int] = field(default_factory=dict)  # instance id -> area with nothing in front
    camera_k: tuple[tuple[float, float, float], ...] | None = None  # K matrix when the spec gave intrinsics


def annotations_for(record: ImageRecord, category_ids: dict[str, int], first_id: int) -> list[dict]:
    """One annotation per visible instance: RLE mask, tight box, pixel area."""
    annotations = []
    for offset, instance_id in enumerate(sorted(record.categories_of)):
        binary = np.asfortranarray(record.instance_mask == instance_id, dtype=np.uint8)
        area = int(binary.sum())
        if area == 0:
            continue
        rle = mask_utils.encode(binary)
        rle["counts"] = rle["counts"].decode("ascii")
        ys, xs = np.nonzero(binary)
        x0, y0 = int(xs.min()), int(ys.min())
        annotations.append(
            {
                "id": first_id + offset,
                "image_id": record.image_id,
                "category_id": category_ids[record.categories_of[instance_id]],
                "segmentation": rle,
                "area": area,
                "bbox": [x0, y0, int(xs.max()) - x0 + 1, int(ys.max()) - y0 + 1],
                "iscrowd": 0,
                "instance_id": instance_id,
                **_visibility(area, record.unoccluded.get(instance_id)),
            }
        )
    return annotations


def _visibility(area: int, unoccluded: int | None) -> dict:
    """Visible share of the object's unoccluded area (1.0 where projection rounding undercounts it)."""
    if unoccluded is None:
        return {}
    fraction = 1.0 if unoccluded <= area else area / unoccluded
    return {"unoccluded_area": unoccluded, "visible_fraction": round(fraction, 4)}


def build_coco(records: list[ImageRecord], categories: tuple[str, ...], description: str) -> dict:
    """The whole COCO document for a dataset."""
    category_ids = {name: index + 1 for index, name in enumerate(categories)}
    used = sorted({spdx for record in records for spdx in record.license_ids})
    license_ids = {spdx: index + 1 for index, spdx in enumerate(used)}
    images, annotations = [], []
    for record in records:
        images.append(
            {
                "id": record.image_id,
                "file_name": record.file_name,
                "width": record.width,
                "height": record.height,
                # COCO allows one license per image: the first of its assets' licenses;
                # all of them are in asset_licenses and the dataset card.
                "license": license_ids[record.license_ids[0]] if record.license_ids else 0,
                "asset_licenses": [license_ids[spdx] for spdx in record.license_ids],
                "asset_ids": list(record.asset_ids),
                # Pixels, OpenCV convention; a field COCO loaders ignore and pose/3-D users need.
                **({"camera_k": [list(row) for row in record.camera_k]} if record.camera_k else {}),
            }
        )
        annotations.extend(annotations_for(record, category_ids, first_id=len(annotations) + 1))
    return {
        "info": {
            "description": description,
            "version": __version__,
            "contributor": f"simulacra {__version__}",
            "date_created": datetime.now(UTC).strftime("%Y-%m-%d"),
        },
        "licenses": [{"id": i, "name": spdx, "url": KNOWN_LICENSES[spdx]} for spdx, i in license_ids.items()],
        "categories": [
            {"id": i, "name": name, "supercategory": "object"} for name, i in category_ids.items()
        ],
        "images": images,
        "annotations": annotations,
    }


def image_record(
    graph: SceneGraph, instance_mask: np.ndarray, unoccluded: dict[int, int] | None = None
) -> ImageRecord:
    """What COCO needs of one image, from its graph and instance mask (as written or read back).

    ``unoccluded`` maps instance ids to the area each would cover with nothing in front.
    """
    assets = graph.assets()
    height, width = instance_mask.shape[:2]
    visible = set(np.unique(instance_mask).tolist()) - {0}
    return ImageRecord(
        image_id=graph.image_index,  # one id everywhere: file 000003.png, rerender --id 3, COCO id 3
        file_name=image_files(graph.image_index)[0],
        width=width,
        height=height,
        license_ids=tuple(sorted({a.license for a in assets})),
        asset_ids=tuple(a.id for a in assets),
        instance_mask=instance_mask,
        categories_of={n.instance_id: n.category for n in graph.objects if n.instance_id in visible},
        unoccluded=dict(unoccluded or {}),
        camera_k=graph.camera.k,
    )


def write_coco(root: Path, records: list[ImageRecord], categories: tuple[str, ...], description: str) -> Path:
    """Write ``annotations/coco.json`` (images in id order) and check that pycocotools loads it."""
    path = root / COCO_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(records, key=lambda record: record.image_id)
    write_atomic(path, json.dumps(build_coco(ordered, categories, description)).encode())
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        COCO(str(path))  # fails loudly if the file is not valid COCO
    return path
