"""One generation job: resolve -> render -> audit -> (re-synthesise) -> write.

Bad input is refused before anything is written. The dataset is built in a staging
folder next to the output (:mod:`simulacra.dataset.staging`) and renamed into place only when the
job completes, so an error never leaves a half-written dataset and never touches an
existing folder. Each image is one work unit (:mod:`simulacra.work.unit`), finished when
its record is written (:mod:`simulacra.dataset.records`); the shared files are assembled from the
records at the end (:mod:`simulacra.dataset.assemble`), so the dataset is the same whether its
images were rendered here, by worker processes (:mod:`simulacra.farm.workers`) or by Ray
actors (:mod:`simulacra.farm.ray_actors`), in one run or resumed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra.assets_manifest.validation import check_recorded
from simulacra.dataset.assemble import assemble_labels
from simulacra.dataset.atomic import write_atomic
from simulacra.dataset.card import AuditSummary, CardFacts, RefinementFacts, render_card
from simulacra.dataset.jobfile import JobRecord
from simulacra.dataset.layout import CARD, COCO_FILE
from simulacra.dataset.location import check_output_location, image_bytes
from simulacra.dataset.reader import load_records, read_dataset
from simulacra.dataset.records import ImageOutcome, finished
from simulacra.dataset.staging import (
    check_output_folder,
    check_staging,
    completed_job,
    open_staging,
    staging_folder,
)
from simulacra.dataset.stats import statistics_of
from simulacra.dataset.version import version_of_files
from simulacra.errors import PolicyError
from simulacra.farm.dispatch import dispatch
from simulacra.farm.options import FarmOptions
from simulacra.job import ItemRuns, Job, PreparedJob, WorkItem, job_record, load_stages, spec_runs
from simulacra.render.devices import available_gpu_devices, choose_device
from simulacra.scenes import resolve


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
    complete: bool = False  # --resume found the job finished already: nothing was done


def prepare_job(job: Job, options: FarmOptions | None = None) -> PreparedJob:
    """Refuse everything that can be refused before any output exists.

    Checks the output folder (and the partial folder a resumed job would continue; with
    ``--resume`` the output may be this job's finished dataset), the render device, the
    license policy's decision for the job's purpose, every asset file's hash, that each
    spec resolves against what the policy admits, and loads the reference index. Writes
    nothing.
    """
    resume = options is not None and options.resume
    if not resume:
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
    for record in job.manifest.assets:  # what the job may sample, checked as `assets add` checks it
        if record.id in admission.excluded_ids:
            job.manifest.verified_file(record)
        else:
            check_recorded(job.manifest, record)
    _check_specs(job, admission.excluded_ids)
    complete = options is not None and resume and _completed(prepared, options)
    if options is not None and not complete:
        shard = str(options.shard) if options.shard else None
        check_staging(job.out, job.config_hash(prepared.refiner_sha256), resume=options.resume, shard=shard)
    if not complete:
        _check_location(job, options or FarmOptions())
    return prepared


def _check_specs(job: Job, excluded: frozenset[str]) -> None:
    """Resolve one image of each spec: checks its categories and asset ids against the manifest.

    One per run of images, not every image: each work unit resolves its own graph when it
    renders, so a job of 10^8 images starts rendering at once, in the memory of one.
    """
    firsts = (
        (WorkItem(start, spec) for start, _, spec in job.items.runs)
        if isinstance(job.items, ItemRuns)
        else job.items
    )
    for item in firsts:
        resolve(
            item.spec,
            job.manifest,
            job_seed=job.seed,
            image_index=item.image_index,
            attempt=item.first_attempt,
            exclude=excluded | item.exclude,
        )


def _check_location(job: Job, options: FarmOptions) -> None:
    """Refuse, before rendering, an output location the job could not be finished in."""
    done = finished(staging_folder(job.out)) if options.resume else set()
    left = _wanted_count(job, options) - len(done)
    smallest = min(image_bytes(*spec.resolution) for _, _, spec in spec_runs(job.items)) if left else 0
    check_output_location(job.out, left * smallest, left)


def _wanted(job: Job, options: FarmOptions) -> Iterator[WorkItem]:
    """The job's items this run covers, made one at a time: all of them, or its shard's."""
    return (item for item in job.items if options.shard is None or options.shard.takes(item.image_index))


def _wanted_count(job: Job, options: FarmOptions) -> int:
    """How many images this run covers, counted without making their work items."""
    shard = options.shard
    if shard is None:
        return len(job.items)
    return sum(
        len(range(start + (shard.index - start) % shard.count, stop, shard.count))
        for start, stop, _ in spec_runs(job.items)
    )


def _completed(prepared: PreparedJob, options: FarmOptions) -> bool:
    """Whether the job's output already is its finished dataset (see :func:`completed_job`)."""
    job, shard = prepared.job, options.shard
    return completed_job(
        job.out,
        job.config_hash(prepared.refiner_sha256),
        wanted=_wanted_count(job, options),
        takes=shard.takes if shard is not None else lambda _: True,
    )


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
    wanted = _wanted_count(job, options)
    if options.resume and _completed(prepared, options):
        return _result(job.out, None, None, None, wanted, resumed=wanted, complete=True)
    categories = job.categories()
    config_hash = job.config_hash(prepared.refiner_sha256)
    shard = options.shard
    staging = open_staging(job.out, config_hash, resume=options.resume, shard=str(shard) if shard else None)
    try:
        record = job_record(job, prepared.admission, categories, config_hash)
        record.save(staging.root)
        done = finished(staging.root)  # verified records, all of this job (or shard)
        todo = (item for item in _wanted(job, options) if item.image_index not in done)
        if on_start:
            on_start(wanted, len(done))
        rendered = dispatch(prepared, todo, wanted - len(done), staging.root, options, on_image)
        card, coco, summary = None, None, None
        counts = assemble_labels(staging.root, categories, record.description) if shard is None else None
        if counts is not None:
            summary = write_card(staging.root, prepared, record, counts.backend)
            card, coco = job.out / CARD, job.out / COCO_FILE
        staging.publish()
    except BaseException:
        staging.abandon()
        raise
    return _result(
        job.out,
        card,
        coco,
        summary,
        wanted,
        resumed=len(done),
        rendered=wanted - len(done),
        retried=rendered.retried,
        seconds=time.perf_counter() - started,
        peak_rss_mb=rendered.peak_rss_mb,
    )


def _result(
    out: Path, card: Path | None, coco: Path | None, audit: AuditSummary | None, requested: int, **run: Any
) -> JobResult:
    """The job's summary, its counts read back from the published dataset's records."""
    outcomes = load_records(out)
    return JobResult(
        out=out,
        card=card,
        coco=coco,
        written=sum(o.status == "kept" for o in outcomes),
        audit=audit,
        requested=requested,
        rejected=sum(o.rejected for o in outcomes),
        dropped=sum(o.status == "dropped" for o in outcomes),
        failed=sum(o.status == "failed" for o in outcomes),
        **run,
    )


def write_card(folder: Path, prepared: PreparedJob, record: JobRecord, backend: str) -> AuditSummary:
    """Write ``DATASET_CARD.md`` from what ``folder`` holds and the job that made it.

    Counts, assets, licenses and audit outcomes are read back from the dataset's own files
    (graphs, COCO, audit log), read once, so the card is right after a generation and after
    every revocation alike. Returns the audit summary it states.
    """
    files = read_dataset(folder)
    auditor = prepared.auditor
    index_facts = {}
    if auditor is not None:
        index_facts = {
            "index": record.index,
            "index_hash": auditor.index.info()["content_hash"],
            "thresholds": auditor.thresholds.model_dump(),
        }
    summary = AuditSummary.from_log(list(files.audit_log), **index_facts)
    facts = CardFacts(
        name=record.name,
        config_hash=record.config_hash,
        seed=record.seed,
        requested=record.image_count(),
        written=len(files.graphs),
        failed=tuple(f["image_index"] for f in files.failures),
        categories=files.instances,
        asset_ids=files.asset_ids,
        audit=summary,
        device=backend,
        admission=prepared.admission,
        images_per_license=files.images_per_license,
        refinement=_refinement_facts(prepared),
        revocations=record.revocations,
        version=version_of_files(files),
        statistics=statistics_of(files.coco, files.graphs),
        versions=record.versions,
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
