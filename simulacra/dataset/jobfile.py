"""``job.json``: what a dataset needs to re-render any of its images later.

Scene graphs pin what each image *was*; revoking an asset needs what each image *may
be*: the spec per image index, the job seed, purpose and policy, the audit index and
refiner, and the COCO categories. The file also lists every revocation applied since.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, ValidationError

from simulacra.assets_manifest import Admission, load_policy
from simulacra.errors import DatasetError

if TYPE_CHECKING:
    from simulacra.pipeline import Job

JOB_FILE = "job.json"


class Revocation(BaseModel):
    """One ``assets revoke``: the asset, why, when, and which images were replaced or dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset: str
    reason: str = ""
    date: str
    replaced: tuple[int, ...]
    dropped: tuple[int, ...] = ()


class JobRecord(BaseModel):
    """A generation job as stored beside its dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    config_hash: str
    seed: int
    max_attempts: int
    purpose: str
    policy: dict
    policy_source: str
    policy_hash: str
    manifest: str
    manifest_hash: str
    categories: tuple[str, ...]
    index: str | None = None
    refine: str | None = None
    device: str = "cpu"
    specs: dict[str, dict]  # spec key -> spec fields
    items: tuple[tuple[int, str], ...]  # (image index, spec key)
    revocations: tuple[Revocation, ...] = ()
    versions: dict[str, str] = {}  # simulacra, bpy, blenderproc: what rendered the dataset

    def save(self, root: Path) -> None:
        """Write ``root/job.json`` atomically (a failure leaves the previous file)."""
        partial = root / f".{JOB_FILE}.partial"
        partial.write_text(self.model_dump_json(indent=2) + "\n")
        partial.replace(root / JOB_FILE)


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


def installed_versions() -> dict[str, str]:
    """Versions of the packages that shape the pixels, read from package metadata (no bpy import)."""
    versions = {}
    for package in ("simulacra", "bpy", "blenderproc"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def job_record(job: Job, admission: Admission, categories: tuple[str, ...], config_hash: str) -> JobRecord:
    """The job as ``job.json`` stores it, so any image can be re-rendered later (revocation)."""
    keys: dict[str, str] = {}
    specs: dict[str, dict] = {}
    for item in job.items:
        fields = item.spec.model_dump(mode="json")
        key = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]
        specs[key] = fields
        keys[str(item.image_index)] = key
    policy = job.policy or load_policy()
    return JobRecord(
        name=job.name,
        description=f"simulacra dataset {job.name}",
        config_hash=config_hash,
        seed=job.seed,
        max_attempts=job.max_attempts,
        purpose=admission.purpose,
        policy=policy.policy.model_dump(mode="json"),
        policy_source=policy.source,
        policy_hash=policy.content_hash,
        manifest=str(job.manifest.root.resolve()),
        manifest_hash=job.manifest.content_hash(),
        categories=categories,
        index=str(job.index_path.resolve()) if job.index_path else None,
        refine=str(job.refine.resolve()) if job.refine else None,
        device=job.device,
        specs=specs,
        items=tuple((item.image_index, keys[str(item.image_index)]) for item in job.items),
        versions=installed_versions(),
    )
