"""Where everything lives in a dataset folder: the names every writer and the reader share.

```
OUT/images/NNNNNN.png, masks/, depth/, normals/   per image (encoded by frames.py)
OUT/records/NNNNNN.json                           per image, written last: the image is finished
OUT/scene_graphs.jsonl, audit.jsonl, failures.jsonl, annotations/coco.json, DATASET_CARD.md, job.json
OUT/eval/                                         results `simulacra eval` saved
```
"""

from __future__ import annotations

LAYOUT = ("images", "masks", "depth", "normals", "annotations")
GRAPHS = "scene_graphs.jsonl"
AUDIT_LOG = "audit.jsonl"
FAILURES = "failures.jsonl"  # only when an image failed to render (after its retries)
COCO_FILE = "annotations/coco.json"
CARD = "DATASET_CARD.md"
RECORDS = "records"
EVAL_DIR = "eval"  # evaluation results saved inside the evaluated dataset
UTILITY_FILE = "utility.json"  # by task: `eval utility` on a model trained on this dataset
COVERAGE_FILE = "coverage.json"  # by reference folder: `eval coverage` of this dataset
STATE = "farm.json"  # a staging folder's job (config hash, shard), for --resume


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


def image_index_of(file_name: str) -> int | None:
    """The image index in a COCO ``file_name`` such as ``images/000003.png`` (None for a foreign name).

    The COCO image id is this index too (see :mod:`simulacra.dataset.coco`); the file name
    is what holds for datasets written before ids and indices agreed.
    """
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return int(stem) if file_name.startswith("images/") and stem.isdigit() else None


def record_file(image_index: int) -> str:
    """The record's path relative to the dataset root."""
    return f"{RECORDS}/{image_index:06d}.json"


def owned_files(image_index: int) -> tuple[str, ...]:
    """Every file one image may own in a dataset folder, its record included."""
    return (*image_files(image_index), record_file(image_index))
