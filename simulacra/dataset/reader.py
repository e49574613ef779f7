"""The one reader of a dataset folder: every file simulacra writes there is parsed here.

One failure behaviour for every file: a file that only some datasets hold (scene graphs
of a foreign COCO set, an audit log of an unaudited job, failures, saved evaluation
results) reads as empty when it is absent; a file every dataset holds (COCO,
``job.json``) raises :class:`DatasetError` naming it when absent; and any file that is
present but malformed raises :class:`DatasetError` naming it. Callers never see a
traceback for a folder that is not what they expected.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from pydantic import ValidationError

from simulacra.assets_manifest import sha256_of
from simulacra.audit import read_image
from simulacra.dataset.jobfile import JOB_FILE, JobRecord
from simulacra.dataset.layout import (
    AUDIT_LOG,
    COCO_FILE,
    EVAL_DIR,
    FAILURES,
    GRAPHS,
    RECORDS,
    STATE,
    image_files,
    record_file,
)
from simulacra.dataset.records import ImageOutcome
from simulacra.errors import DatasetError
from simulacra.scenes import SceneGraph


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


def graph_lines(root: Path) -> list[str]:
    """The non-empty lines of ``scene_graphs.jsonl`` as written (none where the dataset has no graphs)."""
    path = root / GRAPHS
    return [line for line in path.read_text().splitlines() if line] if path.is_file() else []


def read_graphs(root: Path) -> list[SceneGraph]:
    """The resolved scene graphs, or an empty list where the dataset has none (not from simulacra)."""
    try:
        return [SceneGraph.from_json(line) for line in graph_lines(root)]
    except ValueError as err:
        raise DatasetError(f"{root / GRAPHS}: malformed scene graph ({str(err).splitlines()[0]})") from None


def _json_lines(path: Path) -> list[dict]:
    """The entries of a JSON-lines file; none when it does not exist."""
    if not path.is_file():
        return []
    try:
        return [json.loads(line) for line in path.read_text().splitlines() if line]
    except json.JSONDecodeError as err:
        raise DatasetError(f"{path}: malformed JSON line ({err.msg})") from None


def read_audit_log(root: Path) -> list[dict]:
    """Every audit decision in ``audit.jsonl``, in log order (none for an unaudited job)."""
    return _json_lines(root / AUDIT_LOG)


def read_failures(root: Path) -> list[dict]:
    """The images that failed to render after their retries, with the reason (``failures.jsonl``)."""
    return _json_lines(root / FAILURES)


def read_eval_result(root: Path, name: str) -> dict:
    """A result ``simulacra eval`` saved under ``eval/`` (``{}`` when none was saved)."""
    path = root / EVAL_DIR / name
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise DatasetError(f"{path}: malformed JSON ({err.msg}); delete it and evaluate again") from None


def read_staging_state(root: Path) -> dict:
    """The job a staging folder belongs to (``farm.json``); DatasetError when it is missing or malformed."""
    path = root / STATE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        raise DatasetError(f"{path}: missing or unreadable") from None


def load_job_record(root: Path) -> JobRecord:
    """Read ``root/job.json``; DatasetError names the file when it is missing or malformed."""
    path = root / JOB_FILE
    try:
        return JobRecord.model_validate(json.loads(path.read_text()))
    except FileNotFoundError:
        raise DatasetError(
            f"dataset {root}: no {JOB_FILE} (not a simulacra dataset, or made before datasets recorded it)"
        ) from None
    except (json.JSONDecodeError, ValidationError) as err:
        raise DatasetError(f"dataset {root}: {JOB_FILE} is malformed: {str(err).splitlines()[0]}") from None


def load_record(root: Path, image_index: int) -> ImageOutcome:
    """Image ``image_index``'s record; DatasetError names it when it is malformed."""
    return _outcome(root / record_file(image_index))


def load_records(root: Path) -> list[ImageOutcome]:
    """Every record in ``root``, in image order; DatasetError names a malformed one."""
    outcomes = [_outcome(path) for path in sorted((root / RECORDS).glob("[0-9]*.json"))]
    return sorted(outcomes, key=lambda outcome: outcome.image_index)


def _outcome(path: Path) -> ImageOutcome:
    try:
        return ImageOutcome.from_json(path.read_text())
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DatasetError(f"record {path} is malformed: {reason}") from None


def record_fault(root: Path, image_index: int) -> str | None:
    """Why image ``image_index``'s record in ``root`` cannot be trusted, or None when it can.

    ``--resume`` skips an image only if its record reads, is this image's, and every file
    it lists is there with the sha256 it states: a truncated, foreign or outdated record,
    or a deleted or damaged image file, would otherwise be published as finished work.
    """
    path = root / record_file(image_index)
    try:
        outcome = _outcome(path)
    except (DatasetError, OSError) as err:
        return str(err) if isinstance(err, DatasetError) else f"record {path}: {err.strerror}"
    if outcome.image_index != image_index:
        return f"record {path} is image {outcome.image_index}'s, not image {image_index}'s"
    owned = set(image_files(image_index)) if outcome.graph is not None else set()
    if set(outcome.files) != owned:
        return f"record {path} does not list the sha256 of each file of its image"
    for name, digest in sorted(outcome.files.items()):
        try:
            matches = sha256_of(root / name) == digest
        except OSError:
            matches = False
        if not matches:
            return f"{root / name} is missing or differs from what its record {path.name} states"
    return None


def read_mask(root: Path, image: dict, kind: str) -> np.ndarray:
    """The ``kind`` ("class" or "instance") mask of a COCO image record, as written."""
    stem = Path(image["file_name"]).stem
    path = root / "masks" / f"{stem}_{kind}.png"
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise DatasetError(f"{path}: missing or unreadable {kind} mask")
    return mask


def read_kept_mask(root: Path, image_index: int) -> np.ndarray:
    """The instance mask of an image its record says was kept, as written."""
    mask_file = root / image_files(image_index)[1]
    mask = cv2.imread(str(mask_file), cv2.IMREAD_UNCHANGED)
    if mask is None:
        raise DatasetError(f"{mask_file} is missing or unreadable, though its record says the image was kept")
    return mask


def read_depth(root: Path, image_index: int) -> np.ndarray:
    """Image ``image_index``'s depth in metres along the camera axis (float32, 0 = no surface)."""
    depth_file = root / image_files(image_index)[3]
    depth = cv2.imread(str(depth_file), cv2.IMREAD_UNCHANGED)
    if depth is None or depth.dtype != np.float32:
        raise DatasetError(f"{depth_file} is missing or not a float32 depth image")
    return depth


def read_written_rgb(root: Path, image_index: int) -> np.ndarray:
    """Image ``image_index``'s RGB pixels as the dataset stores them (a dataset simulacra wrote)."""
    name = image_files(image_index)[0]
    stored = cv2.imread(str(root / name), cv2.IMREAD_COLOR)
    if stored is None:
        raise DatasetError(f"dataset {root}: {name} is missing or unreadable")
    return cv2.cvtColor(stored, cv2.COLOR_BGR2RGB)


def read_gray(root: Path, image: dict) -> np.ndarray:
    """The grayscale pixels of a COCO image record, as written."""
    path = root / image["file_name"]
    pixels = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if pixels is None:
        raise DatasetError(f"{path}: missing or unreadable image")
    return pixels


def read_rgb(root: Path, image: dict) -> np.ndarray:
    """The RGB pixels of a COCO image record, through the auditor's guarded decoder.

    Evaluation reads folders a user points at, so a missing, corrupt or decompression-bomb
    image is refused by name (AssetError) exactly as the audit refuses it.
    """
    return read_image(root / image["file_name"])[0]


@dataclass(frozen=True)
class DatasetFiles:
    """A finished dataset folder read once: what the card, its version id and statistics derive from."""

    root: Path
    job: JobRecord
    coco: dict
    graph_lines: tuple[str, ...]
    graphs: tuple[SceneGraph, ...]
    audit_log: tuple[dict, ...]
    failures: tuple[dict, ...]

    @property
    def instances(self) -> Counter:
        """Annotations per category name."""
        names = {c["id"]: c["name"] for c in self.coco["categories"]}
        return Counter(names[a["category_id"]] for a in self.coco["annotations"])

    @property
    def asset_ids(self) -> tuple[str, ...]:
        return tuple(sorted({ref.id for g in self.graphs for ref in g.assets()}))

    @property
    def images_per_license(self) -> Counter:
        """An image counts once under every license among its assets."""
        return Counter(spdx for g in self.graphs for spdx in {ref.license for ref in g.assets()})


def read_dataset(root: Path) -> DatasetFiles:
    """Read every shared file of the finished dataset at ``root`` once."""
    lines = graph_lines(root)
    return DatasetFiles(
        root=root,
        job=load_job_record(root),
        coco=read_coco(root),
        graph_lines=tuple(lines),
        graphs=tuple(read_graphs(root)),
        audit_log=tuple(read_audit_log(root)),
        failures=tuple(read_failures(root)),
    )
