"""Write a dataset folder: images, masks, depth, scene graphs, audit log, COCO.

Per-image files are written as soon as an image is accepted (see
:mod:`simulacra.records`); COCO and the card are assembled at the end from what was kept.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pycocotools.coco import COCO

from simulacra.atomic import write_atomic
from simulacra.coco import ImageRecord, build_coco
from simulacra.render import Frame
from simulacra.scenes import SceneGraph

LAYOUT = ("images", "masks", "depth", "normals", "annotations")
GRAPHS = "scene_graphs.jsonl"
AUDIT_LOG = "audit.jsonl"
FAILURES = "failures.jsonl"  # only when an image failed to render (after its retries)
COCO_FILE = "annotations/coco.json"
# OpenCV's default for float TIFF is SGILOG, a lossy log-luminance code; deflate is exact.
_LOSSLESS_TIFF = [cv2.IMWRITE_TIFF_COMPRESSION, 8]


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
        image_id=graph.image_index + 1,
        file_name=f"images/{graph.image_index:06d}.png",
        width=width,
        height=height,
        license_ids=tuple(sorted({a.license for a in assets})),
        asset_ids=tuple(a.id for a in assets),
        instance_mask=instance_mask,
        categories_of={n.instance_id: n.category for n in graph.objects if n.instance_id in visible},
        unoccluded=dict(unoccluded or {}),
        camera_k=graph.camera.k,
    )


def image_files(image_index: int) -> tuple[str, ...]:
    """The files one image owns in a dataset folder, relative to its root."""
    stem = f"{image_index:06d}"
    return (
        f"images/{stem}.png",
        f"masks/{stem}_instance.png",
        f"masks/{stem}_class.png",
        f"depth/{stem}.tiff",
        f"normals/{stem}.tiff",
    )


@dataclass(frozen=True)
class DatasetContents:
    """What a finished dataset folder holds, read back from its files for the card."""

    written: int
    instances: Counter
    asset_ids: tuple[str, ...]
    images_per_license: Counter
    audit_log: list[dict]
    failures: list[dict]  # images that failed to render, with the reason

    @classmethod
    def read(cls, root: Path) -> DatasetContents:
        graphs = [SceneGraph.from_json(line) for line in (root / GRAPHS).read_text().splitlines() if line]
        coco = json.loads((root / COCO_FILE).read_text())
        names = {c["id"]: c["name"] for c in coco["categories"]}
        log, failures = root / AUDIT_LOG, root / FAILURES
        return cls(
            written=len(graphs),
            instances=Counter(names[a["category_id"]] for a in coco["annotations"]),
            asset_ids=tuple(sorted({ref.id for g in graphs for ref in g.assets()})),
            images_per_license=Counter(spdx for g in graphs for spdx in {ref.license for ref in g.assets()}),
            audit_log=_json_lines(log),
            failures=_json_lines(failures),
        )


def _json_lines(path: Path) -> list[dict]:
    """The entries of a JSON-lines file; none when it does not exist."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def encode_frame(image_index: int, frame: Frame) -> dict[str, bytes]:
    """One accepted image's pixel and label files, encoded: relative file name -> bytes.

    Encoding in memory lets a worker on another machine ship the files to the driver and
    lets every writer put each file in place atomically.
    """
    name, instance, category, depth, normals_file = image_files(image_index)
    # OpenCV stores 3-channel images as BGR: reversing puts x, y, z in file channels 0, 1, 2.
    normals = np.ascontiguousarray(frame.normals[..., ::-1])
    encoded = {
        name: (".png", cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR), []),
        instance: (".png", frame.instance_mask.astype(np.uint16), []),
        category: (".png", frame.class_mask, []),
        depth: (".tiff", frame.depth, _LOSSLESS_TIFF),
        normals_file: (".tiff", normals, _LOSSLESS_TIFF),
    }
    files = {}
    for path, (ext, pixels, params) in encoded.items():
        ok, data = cv2.imencode(ext, pixels, params)
        if not ok:
            raise ValueError(f"OpenCV could not encode {path}")
        files[path] = data.tobytes()
    return files


def write_coco(root: Path, records: list[ImageRecord], categories: tuple[str, ...], description: str) -> Path:
    """Write ``annotations/coco.json`` (images in id order) and check that pycocotools loads it."""
    path = root / COCO_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    ordered = sorted(records, key=lambda record: record.image_id)
    write_atomic(path, json.dumps(build_coco(ordered, categories, description)).encode())
    with contextlib.redirect_stdout(io.StringIO()):  # pycocotools prints progress
        COCO(str(path))  # fails loudly if the file is not valid COCO
    return path
