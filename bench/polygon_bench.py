"""Mask polygons: how closely each tracer's polygons rasterise back to the rendered masks.

Renders N small images of each preset (or reads ``--dataset`` folders) and, for every
annotation, rasterises three polygon sets and measures IoU with the instance mask:

1. baseline: ``cv2.findContours`` on the mask (pixel-centre contours, the usual recipe and
   what mask-to-YOLO converters do), rasterised by pycocotools;
2. ``simulacra export --format coco``'s polygons (``mask_polygons``), rasterised by pycocotools
   as torchvision, Detectron2 and FiftyOne do;
3. ``--format yolo-seg``'s one joined polygon (``joined_polygon``), filled by ``cv2.fillPoly``
   at full resolution as Ultralytics' ``polygon2mask`` does (int32 points, boundary filled),
   next to the baseline's contours filled the same way; and both filled at 4x, as
   Ultralytics fills a 160 px image's polygons when it trains at imgsz 640.

    .venv/bin/python bench/polygon_bench.py [--images 12] [--size 160] [--samples 8]
                                            [--dataset DIR ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from simulacra.assets_manifest import builtin_manifest
from simulacra.export.polygons import joined_polygon, mask_polygons
from simulacra.export.source import read_source
from simulacra.generate.pipeline import prepare_job, run_job
from simulacra.job import Job, WorkItem
from simulacra.render.blenderproc_adapter import exit_process
from simulacra.scenes import load_spec

PRESETS = ("tabletop", "bin-picking", "warehouse")
SMALL = 100  # pixels: the objects where half a pixel of shrinkage costs most
SCALE = 4  # Ultralytics trains at imgsz 640: a 160 px image is filled at 4x


def render(preset: str, out: Path, *, images: int, size: int, samples: int) -> Path:
    """N images of ``preset`` at ``size`` px, job seed 2026."""
    spec = load_spec(Path(preset)).model_copy(update={"resolution": (size, size), "samples": samples})
    job = Job(
        name=preset,
        items=tuple(WorkItem(i, spec) for i in range(images)),
        manifest=builtin_manifest(),
        seed=2026,
        out=out,
    )
    run_job(prepare_job(job, None), None)
    return out


def _coco_raster(polygons: list[list[float]], shape: tuple[int, int]) -> np.ndarray:
    if not polygons:
        return np.zeros(shape, bool)
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, *shape))).astype(bool)


def baseline(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    polygons = [c.reshape(-1, 2).astype(float).ravel().tolist() for c in contours if len(c) >= 3]
    return _coco_raster(polygons, mask.shape)


def baseline_fillpoly(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros(mask.shape, np.uint8)
    cv2.fillPoly(filled, list(contours), 1)
    return filled.astype(bool)


def _upscaled(mask: np.ndarray) -> np.ndarray:
    return np.kron(mask, np.ones((SCALE, SCALE), bool))


def baseline_fillpoly_scaled(mask: np.ndarray) -> np.ndarray:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    filled = np.zeros((mask.shape[0] * SCALE, mask.shape[1] * SCALE), np.uint8)
    cv2.fillPoly(filled, [(c * SCALE).astype(np.int32) for c in contours], 1)
    return filled.astype(bool)


def yolo_fillpoly_scaled(mask: np.ndarray) -> np.ndarray:
    filled = np.zeros((mask.shape[0] * SCALE, mask.shape[1] * SCALE), np.uint8)
    cv2.fillPoly(filled, [(joined_polygon(mask) * SCALE).astype(np.int32)], 1)
    return filled.astype(bool)


def coco_polygons(mask: np.ndarray) -> np.ndarray:
    return _coco_raster(mask_polygons(mask), mask.shape)


def yolo_fillpoly(mask: np.ndarray) -> np.ndarray:
    filled = np.zeros(mask.shape, np.uint8)
    # Ultralytics' polygon2mask: int32 points, cv2.fillPoly (coordinates in pixel-corner units).
    cv2.fillPoly(filled, [joined_polygon(mask).astype(np.int32)], 1)
    return filled.astype(bool)


METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "cv2.findContours, pycocotools (base)": baseline,
    "cv2.findContours, cv2.fillPoly": baseline_fillpoly,
    "export coco polygons, pycocotools": coco_polygons,
    "export yolo-seg polygon, cv2.fillPoly": yolo_fillpoly,
    f"cv2.findContours, cv2.fillPoly at {SCALE}x": baseline_fillpoly_scaled,
    f"export yolo-seg polygon, cv2.fillPoly at {SCALE}x": yolo_fillpoly_scaled,
}


def measure(datasets: list[Path]) -> tuple[dict[str, list[float]], list[int]]:
    ious: dict[str, list[float]] = {name: [] for name in METHODS}
    areas = []
    for dataset in datasets:
        source = read_source(dataset)
        for image in source.images:
            for annotation in image.annotations:
                mask = image.mask_of(annotation)
                areas.append(int(mask.sum()))
                big = _upscaled(mask)
                for name, method in METHODS.items():
                    raster = method(mask)
                    truth = big if raster.shape != mask.shape else mask
                    ious[name].append(float((raster & truth).sum() / (raster | truth).sum()))
    return ious, areas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--dataset", type=Path, action="append", default=[], help="measure these instead")
    parser.add_argument("--keep", type=Path, help="render into this folder and keep the datasets")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="polygon-bench-") as temp:
        datasets = args.dataset or [
            render(p, Path(temp) / p, images=args.images, size=args.size, samples=args.samples)
            for p in PRESETS
        ]
        ious, areas = measure(datasets)
    small = np.array(areas) < SMALL
    print(
        f"\n{len(areas)} annotations ({int(small.sum())} under {SMALL} px) in {len(datasets)} datasets; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores\n"
    )
    print(f"| {'method':<40} | mean IoU | mean IoU < {SMALL} px | min IoU | exact masks |")
    print(f"|{'-' * 42}|----------|-------------------|---------|-------------|")
    for name, values in ious.items():
        iou = np.array(values)
        under = f"{iou[small].mean():.4f}" if small.any() else "-"
        exact = f"{np.mean(iou == 1.0):.1%}"
        print(f"| {name:<40} | {iou.mean():8.4f} | {under:>17} | {iou.min():7.4f} | {exact:>11} |")
    exit_process(0)


if __name__ == "__main__":
    main()
