"""Evaluation results saved inside the evaluated dataset (``eval/``), for ``simulacra compare``."""

from __future__ import annotations

import json
from pathlib import Path

from simulacra.dataset.atomic import write_atomic
from simulacra.dataset.jobfile import JOB_FILE
from simulacra.dataset.layout import EVAL_DIR
from simulacra.dataset.reader import read_eval_result
from simulacra.dataset.version import dataset_version


def save_result(dataset: Path, name: str, key: str, result: dict) -> Path:
    """Merge ``result`` under ``key`` into ``dataset/eval/name`` (one entry per task or reference)."""
    path = dataset / EVAL_DIR / name
    path.parent.mkdir(exist_ok=True)
    saved = read_eval_result(dataset, name)
    saved[key] = result
    write_atomic(path, (json.dumps(saved, indent=2) + "\n").encode())
    return path


def version_or_note(dataset: Path) -> str:
    """The version id, or a note where the folder has no job.json (a dataset from elsewhere)."""
    return dataset_version(dataset) if (dataset / JOB_FILE).is_file() else f"no {JOB_FILE}: no version id"
