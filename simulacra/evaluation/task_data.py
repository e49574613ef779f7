"""A dataset folder as arrays a small model trains on: resized images, class maps, boxes.

Categories are matched by name, so a model trained on one dataset is scored on another
whose COCO ids differ; the training set's categories define the class indices.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simulacra.dataset.reader import read_coco, read_mask, read_rgb
from simulacra.errors import DatasetError


@dataclass(frozen=True)
class TaskData:
    """``images`` (N, 3, S, S) uint8; ``semantic`` (N, S, S) class index, 0 background.

    ``boxes[i]`` is (k, 4) x0, y0, x1, y1 in model pixels and ``labels[i]`` the (k,)
    class indices (1-based, as in ``semantic``); ``scale[i]`` maps model pixels back to
    the image's own (sx, sy), for scoring against its COCO file.
    """

    root: Path
    categories: tuple[str, ...]
    images: np.ndarray
    semantic: np.ndarray
    boxes: list[np.ndarray]
    labels: list[np.ndarray]
    image_ids: list[int]
    scale: list[tuple[float, float]]
    coco: dict


def load_task_data(root: Path, size: int, categories: tuple[str, ...] | None = None) -> TaskData:
    """Read ``root`` at ``size`` x ``size`` pixels; ``categories`` (from the training set) fix the classes."""
    coco = read_coco(root)
    own = {c["id"]: c["name"] for c in coco["categories"]}
    categories = categories or tuple(own[cid] for cid in sorted(own))
    unknown = sorted(set(own.values()) - set(categories))
    if unknown:
        raise DatasetError(
            f"{root / 'annotations/coco.json'}: categories {', '.join(unknown)} are not in the training set"
        )
    if not coco["images"]:
        raise DatasetError(f"{root / 'annotations/coco.json'}: no images")
    index = {cid: categories.index(name) + 1 for cid, name in own.items()}
    lookup = np.zeros(max(256, max(own, default=0) + 1), dtype=np.int64)  # unknown mask values: background
    for cid, k in index.items():
        lookup[cid] = k
    per_image: dict[int, list[dict]] = {}
    for annotation in coco["annotations"]:
        per_image.setdefault(annotation["image_id"], []).append(annotation)
    images, semantic, boxes, labels, scale = [], [], [], [], []
    for image in coco["images"]:
        rgb = read_rgb(root, image)
        height, width = rgb.shape[:2]
        images.append(cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA).transpose(2, 0, 1))
        mask = read_mask(root, image, "class")
        semantic.append(lookup[cv2.resize(mask, (size, size), interpolation=cv2.INTER_NEAREST)])
        sx, sy = width / size, height / size
        xywh = np.array([a["bbox"] for a in per_image.get(image["id"], [])], dtype=np.float32).reshape(-1, 4)
        xywh[:, 2:] += xywh[:, :2]
        boxes.append(xywh / np.array([sx, sy, sx, sy], dtype=np.float32))
        labels.append(
            np.array([index[a["category_id"]] for a in per_image.get(image["id"], [])], dtype=np.int64)
        )
        scale.append((sx, sy))
    return TaskData(
        root=root,
        categories=categories,
        images=np.stack(images),
        semantic=np.stack(semantic),
        boxes=boxes,
        labels=labels,
        image_ids=[image["id"] for image in coco["images"]],
        scale=scale,
        coco=coco,
    )
