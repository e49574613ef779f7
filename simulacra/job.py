"""The job's own data: what to render (:class:`Job`, :class:`WorkItem`) and its loaded stages.

Every layer above (the work unit, the farm, the pipeline) takes these types; they import
only the stages and the dataset's job record, so no layer ever imports them back from the
orchestrator.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
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


Run = tuple[int, int, SceneSpec]  # (first image index, end index, spec): consecutive images of one spec


@dataclass(frozen=True)
class ItemRuns(Sequence[WorkItem]):
    """A job's images as runs of consecutive indices that share a spec; work items made when asked for.

    ``generate -n 100000000`` must not build 10^8 work items, hash 10^8 spec dumps or write
    10^8 entries to ``job.json`` before its first render: a job of runs takes the same
    memory whatever its size, and each work unit is made (and resolved) when it renders.
    """

    runs: tuple[Run, ...]

    @classmethod
    def uniform(cls, spec: SceneSpec, count: int) -> ItemRuns:
        """Images 0 to ``count - 1``, all drawn from ``spec``."""
        return cls(((0, count, spec),))

    def __len__(self) -> int:
        return sum(stop - start for start, stop, _ in self.runs)

    def __iter__(self) -> Iterator[WorkItem]:
        for start, stop, spec in self.runs:
            for index in range(start, stop):
                yield WorkItem(index, spec)

    def __getitem__(self, position: int) -> WorkItem:  # type: ignore[override]  (no slices)
        position = position + len(self) if position < 0 else position
        for start, stop, spec in self.runs:
            if position < stop - start:
                return WorkItem(start + position, spec)
            position -= stop - start
        raise IndexError("work item position out of range")

    def find(self, image_index: int) -> WorkItem:
        """The work item of image ``image_index``; KeyError when the job has no such image."""
        for start, stop, spec in self.runs:
            if start <= image_index < stop:
                return WorkItem(image_index, spec)
        raise KeyError(image_index)


def spec_runs(items: Sequence[WorkItem]) -> tuple[Run, ...]:
    """The items' image indices and specs as runs (what the config hash and ``job.json`` store)."""
    if isinstance(items, ItemRuns):
        return items.runs
    runs: list[Run] = []
    for item in items:
        if runs and runs[-1][1] == item.image_index and runs[-1][2] == item.spec:
            runs[-1] = (runs[-1][0], item.image_index + 1, item.spec)
        else:
            runs.append((item.image_index, item.image_index + 1, item.spec))
    return tuple(runs)


def keyed_runs(items: Sequence[WorkItem]) -> tuple[dict[str, dict], tuple[tuple[int, int, str], ...]]:
    """Each distinct spec's fields by a short content key, and the runs naming specs by key."""
    specs: dict[str, dict] = {}
    runs = []
    for start, stop, spec in spec_runs(items):
        fields = spec.model_dump(mode="json")
        key = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]
        specs[key] = fields
        runs.append((start, stop, key))
    return specs, tuple(runs)


@dataclass(frozen=True)
class Job:
    """A whole generation job; every image's seed derives from ``seed`` and its index."""

    name: str
    items: Sequence[WorkItem]  # a tuple, or ItemRuns for jobs of any size
    manifest: Manifest
    seed: int
    out: Path
    index_path: Path | None = None
    device: str = "cpu"
    max_attempts: int = 3
    purpose: str = "research"
    policy: LoadedPolicy | None = None  # None: the built-in default policy
    refine: Path | None = None  # a refiner model folder; its output is what gets audited

    def categories(self) -> tuple[str, ...]:
        """The job's labeled categories, in COCO id order (see ``Manifest.categories``).

        Generator-only categories are listed when one of the job's specs generates object
        meshes, so a spec that does not opt in keeps the labels file it had before.
        """
        generated = any(spec.objects.meshes == "generated" for _, _, spec in spec_runs(self.items))
        return self.manifest.categories(generated=generated)

    def config_hash(self, refiner_sha256: str | None = None) -> str:
        """Hash of specs, manifest, seed, policy, refiner weights and code version.

        Equal hashes mean equal datasets.
        """
        specs, runs = keyed_runs(self.items)
        payload = {
            "specs": specs,
            "items": runs,
            "manifest": self.manifest.content_hash(),
            "seed": self.seed,
            "max_attempts": self.max_attempts,
            "purpose": self.purpose,
            "policy": (self.policy or load_policy()).content_hash,
            "refiner": refiner_sha256,
            "simulacra": __version__,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def item_finder(self) -> Callable[[int], WorkItem]:
        """Image index -> its work item, without a table of every item for a job of runs."""
        if isinstance(self.items, ItemRuns):
            return self.items.find
        return {item.image_index: item for item in self.items}.__getitem__


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
        items=ItemRuns(tuple((start, stop, specs[key]) for start, stop, key in record.runs())),
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
    specs, runs = keyed_runs(job.items)
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
        items=runs,
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
