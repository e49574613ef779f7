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
from pathlib import Path

from simulacra.dataset import GRAPHS
from simulacra.evaluation.dataset_files import read_coco
from simulacra.jobfile import load_job_record

PREFIX = "ds-"
_DIGITS = 12


def dataset_version(root: Path) -> str:
    """The version id of the dataset at ``root``, e.g. ``ds-3f2a9c1b7e04``.

    Raises DatasetError when ``job.json`` or the COCO file is missing or malformed.
    """
    record = load_job_record(root)
    coco = read_coco(root)
    digest = hashlib.sha256()
    recipe = {
        "config_hash": record.config_hash,
        "versions": record.versions,
        "revocations": [r.model_dump(mode="json") for r in record.revocations],
    }
    digest.update(json.dumps(recipe, sort_keys=True).encode())
    graphs = root / GRAPHS
    lines = graphs.read_text().splitlines() if graphs.is_file() else []
    digest.update("\n".join(sorted(line for line in lines if line)).encode())  # order-free: shards, resumes
    labels = {key: coco.get(key) for key in ("images", "categories", "licenses", "annotations")}
    digest.update(json.dumps(labels, sort_keys=True).encode())
    return PREFIX + digest.hexdigest()[:_DIGITS]
