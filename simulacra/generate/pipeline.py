"""One generation job: resolve -> render -> audit -> (re-synthesise) -> write.

Bad input is refused before anything is written. The dataset is built in a staging
folder next to the output (:mod:`simulacra.staging`) and renamed into place only when the
job completes, so an error never leaves a half-written dataset and never touches an
existing folder. Each image is one work unit (:mod:`simulacra.work_unit`), finished when
its record is written (:mod:`simulacra.records`); the shared files are assembled from the
records at the end (:mod:`simulacra.assemble`), so the dataset is the same whether its
images were rendered here, by worker processes (:mod:`simulacra.workers`) or by Ray
actors (:mod:`simulacra.ray_farm`), in one run or resumed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra import __version__
from simulacra.assemble import assemble_labels
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
from simulacra.atomic import write_atomic
from simulacra.audit import Auditor, ReferenceIndex
from simulacra.card import AuditSummary, CardFacts, RefinementFacts, render_card
from simulacra.dataset import COCO_FILE, DatasetContents
from simulacra.errors import OutputError, PolicyError
from simulacra.evaluation import dataset_statistics, dataset_version
from simulacra.farm import FarmOptions
from simulacra.jobfile import JOB_FILE, JobRecord, job_record
from simulacra.records import ImageOutcome, finished, load_records
from simulacra.staging import check_staging, open_staging
from simulacra.work_unit import Rendered, render_items

if TYPE_CHECKING:
    from simulacra.refine.refiner import Refiner
from simulacra.render.devices import available_gpu_devices, choose_device
from simulacra.scenes import SceneSpec, resolve, spec_from_dict

CARD = "DATASET_CARD.md"


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


@dataclass(frozen=True)
class JobResult:
    """What a job did: where the dataset went, and the counts of the final summary.

    ``card`` and ``coco`` are None for a shard, whose labels are assembled by ``merge``.
    """

    out: Path
    card: Path | None
    coco: Path | None
    written: int
    audit: AuditSummary | None
    requested: int = 0
    resumed: int = 0  # images finished by an earlier, interrupted run
    rendered: int = 0  # images finished by this run
    rejected: int = 0  # renders the audit rejected (each re-synthesised or dropped)
    dropped: int = 0
    failed: int = 0
    retried: int = 0  # images given to a new worker after one crashed or hung on them
    seconds: float = 0.0
    peak_rss_mb: float = 0.0  # the largest resident memory a worker reported


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that already holds files: earlier work is never overwritten."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"output folder {out} already exists and is not empty; choose another with -o")


@dataclass(frozen=True)
class PreparedJob:
    """A job whose inputs were all checked, with its auditor loaded (None without an index)."""

    job: Job
    auditor: Auditor | None
    admission: Admission
    refiner: Refiner | None = None
    refiner_sha256: str | None = None


def prepare_job(job: Job, options: FarmOptions | None = None) -> PreparedJob:
    """Refuse everything that can be refused before any output exists.

    Checks the output folder (and the partial folder a resumed job would continue), the
    render device, the license policy's decision for the job's purpose, every asset
    file's hash, that each spec resolves against what the policy admits, and loads the
    reference index. Writes nothing.
    """
    check_output_folder(job.out)
    if job.device != "cpu":
        choose_device(job.device, available_gpu_devices())
    prepared = load_stages(job)
    admission = prepared.admission
    if admission.people and job.index_path is None:
        raise PolicyError(
            f"asset {admission.people[0]!r} shows a person; policy {admission.policy.name!r} admits it "
            "only under audit: give --index"
        )
    for record in job.manifest.assets:
        job.manifest.verified_file(record)
    for item in job.items:  # resolving once checks categories and asset ids against the manifest
        resolve(
            item.spec,
            job.manifest,
            job_seed=job.seed,
            image_index=item.image_index,
            attempt=item.first_attempt,
            exclude=admission.excluded_ids | item.exclude,
        )
    if options is not None:
        shard = str(options.shard) if options.shard else None
        check_staging(job.out, job.config_hash(prepared.refiner_sha256), resume=options.resume, shard=shard)
    return prepared


def load_stages(job: Job) -> PreparedJob:
    """The policy's admission, the auditor and the refiner of an already checked job.

    What a worker process loads once before its first image (the driver ran
    :func:`prepare_job`). Writes nothing.
    """
    admission = admit(job.manifest, job.policy or load_policy(), job.purpose)
    auditor = Auditor(ReferenceIndex.load(job.index_path)) if job.index_path else None
    refiner, refiner_hash = None, None
    if job.refine is not None:  # torch loads only for jobs that refine
        from simulacra.refine.refiner import load_refiner, weights_path

        refiner = load_refiner(job.refine, device="auto")
        refiner_hash = sha256_of(weights_path(job.refine))
    return PreparedJob(job, auditor, admission, refiner, refiner_hash)


def run_job(
    prepared: PreparedJob,
    options: FarmOptions | None = None,
    *,
    on_image: Callable[[ImageOutcome], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> JobResult:
    """Generate, audit and write the job's dataset into ``job.out`` (a shard folder with ``options.shard``).

    Args:
        prepared: the job after :func:`prepare_job` accepted it.
        options: where and how to render (in this process by default); never changes the output.
        on_image: called with each image's outcome when it is finished (progress).
        on_start: called once with (images this run covers, images already finished).
    """
    options = options or FarmOptions()
    job = prepared.job
    started = time.perf_counter()
    categories = job.manifest.categories()
    config_hash = job.config_hash(prepared.refiner_sha256)
    shard = options.shard
    staging = open_staging(job.out, config_hash, resume=options.resume, shard=str(shard) if shard else None)
    try:
        record = job_record(job, prepared.admission, categories, config_hash)
        record.save(staging.root)
        wanted = [item for item in job.items if shard is None or shard.takes(item.image_index)]
        done = finished(staging.root)
        todo = [item for item in wanted if item.image_index not in done]
        if on_start:
            on_start(len(wanted), len(wanted) - len(todo))
        rendered = _dispatch(prepared, todo, staging.root, options, on_image)
        card, coco, summary = None, None, None
        counts = assemble_labels(staging.root, categories, record.description) if shard is None else None
        if counts is not None:
            summary = write_card(staging.root, prepared, record, counts.backend)
            card, coco = job.out / CARD, job.out / COCO_FILE
        staging.publish()
    except BaseException:
        staging.abandon()
        raise
    outcomes = {o.image_index: o for o in load_records(job.out)}
    return JobResult(
        out=job.out,
        card=card,
        coco=coco,
        written=sum(o.status == "kept" for o in outcomes.values()),
        audit=summary,
        requested=len(wanted),
        resumed=len(wanted) - len(todo),
        rendered=len(todo),
        rejected=sum(o.rejected for o in outcomes.values()),
        dropped=sum(o.status == "dropped" for o in outcomes.values()),
        failed=sum(o.status == "failed" for o in outcomes.values()),
        retried=rendered.retried,
        seconds=time.perf_counter() - started,
        peak_rss_mb=rendered.peak_rss_mb,
    )


def _dispatch(
    prepared: PreparedJob,
    items: Sequence[WorkItem],
    root: Path,
    options: FarmOptions,
    on_image: Callable[[ImageOutcome], None] | None,
) -> Rendered:
    """Render ``items`` into ``root`` here, in worker processes, or on Ray actors."""
    if options.ray is not None:
        from simulacra.ray_farm import render_on_ray

        return render_on_ray(prepared, items, root, options, on_image=on_image)
    if options.workers is not None:
        from simulacra.workers import render_in_workers

        return render_in_workers(prepared, items, root, options, on_image=on_image)
    if not items:  # everything was finished before --resume, or the shard is empty
        return Rendered((), "")
    return render_items(prepared, root, items, threads=options.threads_per_worker, on_image=on_image)


def write_card(folder: Path, prepared: PreparedJob, record: JobRecord, backend: str) -> AuditSummary:
    """Write ``DATASET_CARD.md`` from what ``folder`` holds and the job that made it.

    Counts, assets, licenses and audit outcomes are read back from the dataset's own files
    (graphs, COCO, audit log), so the card is right after a generation and after every
    revocation alike. Returns the audit summary it states.
    """
    contents = DatasetContents.read(folder)
    auditor = prepared.auditor
    index_facts = {}
    if auditor is not None:
        index_facts = {
            "index": record.index,
            "index_hash": auditor.index.info()["content_hash"],
            "thresholds": auditor.thresholds.model_dump(),
        }
    summary = AuditSummary.from_log(contents.audit_log, **index_facts)
    facts = CardFacts(
        name=record.name,
        config_hash=record.config_hash,
        seed=record.seed,
        requested=len(record.items),
        written=contents.written,
        failed=tuple(f["image_index"] for f in contents.failures),
        categories=contents.instances,
        asset_ids=contents.asset_ids,
        audit=summary,
        device=backend,
        admission=prepared.admission,
        images_per_license=contents.images_per_license,
        refinement=_refinement_facts(prepared),
        revocations=record.revocations,
        version=dataset_version(folder),
        statistics=dataset_statistics(folder),
    )
    write_atomic(folder / CARD, render_card(facts, prepared.job.manifest).encode())
    return summary


def _refinement_facts(prepared: PreparedJob) -> RefinementFacts | None:
    if prepared.refiner is None or prepared.job.refine is None:
        return None
    card = prepared.refiner.card
    privacy = card.get("privacy")
    return RefinementFacts(
        model=str(prepared.job.refine),
        weights_sha256=prepared.refiner_sha256 or "",
        license=str(card.get("license", "unknown")),
        steps=int(card.get("steps", 0)),
        privacy=f"epsilon {privacy['epsilon']}, delta {privacy['delta']}" if privacy else "none",
    )
