"""The job's own data: what to render (:class:`Job`, :class:`WorkItem`) and its loaded stages.

Every layer above (the work unit, the farm, the pipeline) takes these types; they import
only the stages and the dataset's job record, so no layer ever imports them back from the
orchestrator.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra import __version__
from simulacra.assets_manifest import (
    Admission,
    LicensePolicy,
    LoadedPolicy,
    Manifest,
    admit,
    load_manifest,
    load_policy,
    sha256_of,
)
from simulacra.audit import ImageAuditor
from simulacra.audit.shards import open_auditor
from simulacra.dataset.jobfile import JOB_FILE, JobRecord, installed_versions
from simulacra.scenes import SceneSpec, spec_from_dict

if TYPE_CHECKING:
    from simulacra.refine.refiner import Refiner


@dataclass(frozen=True)
class WorkItem:
    """Image ``image_index`` of the job, drawn from ``spec``.

    A re-render (revocation) starts at ``first_attempt``, after the attempts already made,
    and never samples ``exclude``.
    """

    image_index: int
    spec: SceneSpec
    first_attempt: int = 0
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Job:
    """A whole generation job; every image's seed derives from ``seed`` and its index."""

    name: str
    items: tuple[WorkItem, ...]
    manifest: Manifest
    seed: int
    out: Path
    index_path: Path | None = None
    device: str = "cpu"
    max_attempts: int = 3
    purpose: str = "research"
    policy: LoadedPolicy | None = None  # None: the built-in default policy
    refine: Path | None = None  # a refiner model folder; its output is what gets audited

    def config_hash(self, refiner_sha256: str | None = None) -> str:
        """Hash of specs, manifest, seed, policy, refiner weights and code version.

        Equal hashes mean equal datasets.
        """
        payload = {
            "specs": [[item.image_index, item.spec.model_dump(mode="json")] for item in self.items],
            "manifest": self.manifest.content_hash(),
            "seed": self.seed,
            "max_attempts": self.max_attempts,
            "purpose": self.purpose,
            "policy": (self.policy or load_policy()).content_hash,
            "refiner": refiner_sha256,
            "simulacra": __version__,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class PreparedJob:
    """A job whose inputs were all checked, with its auditor loaded (None without an index)."""

    job: Job
    auditor: ImageAuditor | None
    admission: Admission
    refiner: Refiner | None = None
    refiner_sha256: str | None = None

    def without_audit(self) -> PreparedJob:
        """The job as checked with its index, rendered without the audit (a study audits every render).

        Checked with the index, a policy that admits people only under audit decides as it
        would for ``generate --index``; no render is then audited, re-synthesised or dropped.
        """
        return replace(self, job=replace(self.job, index_path=None), auditor=None)


def job_from_record(record: JobRecord, out: Path, *, manifest: Manifest | None = None) -> Job:
    """The job ``job.json`` describes, writing to ``out``.

    ``manifest`` replaces loading the recorded one (a revocation has it loaded already).
    """
    rules = LicensePolicy.model_validate(record.policy)
    policy = LoadedPolicy(rules, record.policy_source, record.policy_hash)
    specs = {
        key: spec_from_dict(fields, source=f"{JOB_FILE} spec {key}") for key, fields in record.specs.items()
    }
    return Job(
        name=record.name,
        items=tuple(WorkItem(index, specs[key]) for index, key in record.items),
        manifest=manifest or load_manifest(Path(record.manifest)),
        seed=record.seed,
        out=out,
        index_path=Path(record.index) if record.index else None,
        device=record.device,
        max_attempts=record.max_attempts,
        purpose=record.purpose,
        policy=policy,
        refine=Path(record.refine) if record.refine else None,
    )


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


def load_stages(job: Job) -> PreparedJob:
    """The policy's admission, the auditor and the refiner of an already checked job.

    What a worker process loads once before its first image (the driver ran
    :func:`~simulacra.generate.pipeline.prepare_job`). Writes nothing.
    """
    admission = admit(job.manifest, job.policy or load_policy(), job.purpose)
    auditor = open_auditor(job.index_path) if job.index_path else None
    refiner, refiner_hash = None, None
    if job.refine is not None:  # torch loads only for jobs that refine
        from simulacra.refine.refiner import load_refiner, weights_path

        refiner = load_refiner(job.refine, device="auto")
        refiner_hash = sha256_of(weights_path(job.refine))
    return PreparedJob(job, auditor, admission, refiner, refiner_hash)
