"""Content-derived dataset version ids: equal ids mean the same recipe gave the same labels.

The id is a pure function of the dataset folder's files, so it needs nothing from the
pipeline and is the same wherever the folder is copied. It hashes

* ``job.json``'s config hash (specs, manifest, job seed, policy, refiner, simulacra
  version) and the versions of the packages that rendered it, plus its revocations;
* every resolved scene graph (image seeds, re-synthesis attempts, excluded assets);
* the COCO images, categories, licenses and annotations (labels as written), leaving
  out ``info``, whose creation date differs between two runs of the same job.

The card, audit log, evaluation results and statistics plots are left out: they
describe the dataset rather than make it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from simulacra.dataset.jobfile import JobRecord
from simulacra.dataset.reader import DatasetFiles, graph_lines, load_job_record, read_coco

PREFIX = "ds-"
_DIGITS = 12


def dataset_version(root: Path) -> str:
    """The version id of the dataset at ``root``, e.g. ``ds-3f2a9c1b7e04``.

    Raises DatasetError when ``job.json`` or the COCO file is missing or malformed.
    """
    record = load_job_record(root)
    return version_of(record, graph_lines(root), read_coco(root))


def version_of_files(files: DatasetFiles) -> str:
    """:func:`dataset_version` of a folder already read."""
    return version_of(files.job, files.graph_lines, files.coco)


def version_of(record: JobRecord, lines: Sequence[str], coco: dict) -> str:
    """The id from the recipe (``job.json``), the graph lines as written and the COCO labels."""
    digest = hashlib.sha256()
    recipe = {
        "config_hash": record.config_hash,
        "versions": record.versions,
        "revocations": [r.model_dump(mode="json") for r in record.revocations],
    }
    digest.update(json.dumps(recipe, sort_keys=True).encode())
    digest.update("\n".join(sorted(lines)).encode())  # order-free: shards, resumes
    labels = {key: coco.get(key) for key in ("images", "categories", "licenses", "annotations")}
    digest.update(json.dumps(labels, sort_keys=True).encode())
    return PREFIX + digest.hexdigest()[:_DIGITS]
