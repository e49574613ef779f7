"""Reading a finished dataset folder for evaluation, with one clear error per missing file.

Every evaluation command starts here, so a folder that is not a simulacra dataset fails
the same way everywhere: a :class:`DatasetError` naming the file, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit import read_image
from simulacra.dataset import COCO_FILE, GRAPHS
from simulacra.errors import DatasetError
from simulacra.scenes import SceneGraph

EVAL_DIR = "eval"  # evaluation results saved inside the evaluated dataset
UTILITY_FILE = "utility.json"  # by task: `eval utility` on a model trained on this dataset
COVERAGE_FILE = "coverage.json"  # by reference folder: `eval coverage` of this dataset


def require_dataset(root: Path) -> Path:
    """``root`` if it is a folder holding a COCO file; DatasetError otherwise."""
    if not root.is_dir():
        raise DatasetError(f"dataset {root}: no such folder")
    if not (root / COCO_FILE).is_file():
        raise DatasetError(f"dataset {root}: no {COCO_FILE} (not a simulacra dataset, or unfinished)")
    return root


def read_coco(root: Path) -> dict:
    """The dataset's COCO document; DatasetError names the file when it is missing or malformed."""
    path = require_dataset(root) / COCO_FILE
    try:
        coco = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DatasetError(f"{path}: malformed JSON ({err.msg} at line {err.lineno})") from None
    missing = [key for key in ("images", "annotations", "categories") if key not in coco]
    if missing:
        raise DatasetError(f"{path}: not a COCO file (no {', '.join(missing)})")
    return coco


def read_graphs(root: Path) -> list[SceneGraph]:
    """The resolved scene graphs, or an empty list where the dataset has none (not from simulacra)."""
    path = root / GRAPHS
    if not path.is_file():
        return []
    try:
        return [SceneGraph.from_json(line) for line in path.read_text().splitlines() if line]
    except ValueError as err:
        raise DatasetError(f"{path}: malformed scene graph ({str(err).splitlines()[0]})") from None


def read_mask(root: Path, image: dict, kind: str) -> np.ndarray:
    """The ``kind`` ("class" or "instance") mask of a COCO image record, as written."""
    stem = Path(image["file_name"]).stem
    path = root / "masks" / f"{stem}_{kind}.png"
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise DatasetError(f"{path}: missing or unreadable {kind} mask")
    return mask


def read_rgb(root: Path, image: dict) -> np.ndarray:
    """The RGB pixels of a COCO image record, through the auditor's guarded decoder.

    Evaluation reads folders a user points at, so a missing, corrupt or decompression-bomb
    image is refused by name (AssetError) exactly as the audit refuses it.
    """
    return read_image(root / image["file_name"])[0]
