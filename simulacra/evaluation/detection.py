"""CenterNet-style training targets, loss and decoding, and mAP@0.5 by pycocotools.

Targets: a Gaussian bump per object at its box centre in its class's heatmap (sigma a
sixth of the box's larger side), and the box's log width and height at the centre pixel.
Decoding keeps heatmap peaks (3x3 local maxima), the top 100 per image.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import torch
import torch.nn.functional as F
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

MAX_DETECTIONS = 100


def detection_targets(
    boxes: list[np.ndarray], labels: list[np.ndarray], classes: int, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Heatmaps (N, classes, S, S), log sizes (N, 2, S, S) and centre masks (N, S, S) for a batch."""
    n = len(boxes)
    heat = np.zeros((n, classes, size, size), np.float32)
    wh = np.zeros((n, 2, size, size), np.float32)
    centre = np.zeros((n, size, size), np.float32)
    grid = np.arange(size, dtype=np.float32)
    for i, (image_boxes, image_labels) in enumerate(zip(boxes, labels, strict=True)):
        for (x0, y0, x1, y1), label in zip(image_boxes, image_labels, strict=True):
            w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
            cx, cy = min(int((x0 + x1) / 2), size - 1), min(int((y0 + y1) / 2), size - 1)
            sigma = max(w, h) / 6
            bump = np.outer(
                np.exp(-((grid - cy) ** 2) / (2 * sigma**2)), np.exp(-((grid - cx) ** 2) / (2 * sigma**2))
            )
            np.maximum(heat[i, label - 1], bump, out=heat[i, label - 1])
            heat[i, label - 1, cy, cx] = 1.0
            wh[i, :, cy, cx] = np.log([w, h])
            centre[i, cy, cx] = 1.0
    return heat, wh, centre


def detection_loss(
    heat_logits: torch.Tensor,
    size_pred: torch.Tensor,
    heat: torch.Tensor,
    wh: torch.Tensor,
    centre: torch.Tensor,
) -> torch.Tensor:
    """CornerNet focal loss on the heatmap (alpha 2, beta 4) plus L1 on log sizes at centres."""
    p = torch.sigmoid(heat_logits).clamp(1e-4, 1 - 1e-4)
    positive = heat.eq(1).float()
    positive_loss = (torch.log(p) * (1 - p) ** 2 * positive).sum()
    negative_loss = (torch.log(1 - p) * p**2 * (1 - heat) ** 4 * (1 - positive)).sum()
    objects = positive.sum().clamp(min=1)
    focal = -(positive_loss + negative_loss) / objects
    size = (F.l1_loss(size_pred, wh, reduction="none").sum(1) * centre).sum() / centre.sum().clamp(min=1)
    return focal + size


def decode(heat_logits: torch.Tensor, size_pred: torch.Tensor) -> list[np.ndarray]:
    """Per image, rows of x0, y0, x1, y1, score, class index (1-based) in model pixels."""
    heat = torch.sigmoid(heat_logits)
    peaks = heat * (F.max_pool2d(heat, 3, stride=1, padding=1) == heat)
    n, classes, height, width = heat.shape
    scores, flat = peaks.flatten(1).topk(min(MAX_DETECTIONS, classes * height * width))
    detections = []
    for i in range(n):
        label, pixel = flat[i] // (height * width), flat[i] % (height * width)
        y, x = (pixel // width).float(), (pixel % width).float()
        w, h = size_pred[i, 0].flatten()[pixel].exp(), size_pred[i, 1].flatten()[pixel].exp()
        rows = torch.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2, scores[i], (label + 1).float()], 1)
        detections.append(rows[scores[i] > 0].cpu().numpy())
    return detections


def average_precision_50(
    coco: dict,
    detections: list[np.ndarray],
    image_ids: list[int],
    scale: list[tuple[float, float]],
    categories: tuple[str, ...],
) -> tuple[float, dict[str, float]]:
    """mAP@0.5 over categories with ground truth (COCOeval), and AP@0.5 per category name."""
    ids = {c["name"]: c["id"] for c in coco["categories"]}
    results = []
    for image_id, rows, (sx, sy) in zip(image_ids, detections, scale, strict=True):
        for x0, y0, x1, y1, score, label in rows:
            box = [float(x0 * sx), float(y0 * sy), float((x1 - x0) * sx), float((y1 - y0) * sy)]
            category = categories[int(label) - 1]
            if category in ids:
                results.append(
                    {"image_id": image_id, "category_id": ids[category], "bbox": box, "score": float(score)}
                )
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        truth = COCO()
        truth.dataset = {key: coco[key] for key in ("images", "annotations", "categories")}
        truth.createIndex()
        if not results:  # nothing detected: every category with ground truth scores 0
            present = {a["category_id"] for a in coco["annotations"]}
            return 0.0, {c["name"]: 0.0 for c in coco["categories"] if c["id"] in present}
        evaluation = COCOeval(truth, truth.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    precision = evaluation.eval["precision"][0, :, :, 0, -1]  # IoU 0.5, all recalls, all areas, 100 dets
    per_class = {}
    for k, category_id in enumerate(evaluation.params.catIds):
        values = precision[:, k]
        if (values > -1).any():
            per_class[truth.cats[category_id]["name"]] = float(values[values > -1].mean())
    return max(float(evaluation.stats[1]), 0.0), per_class
