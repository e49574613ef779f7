"""One generation job: resolve -> render -> audit -> (re-synthesise) -> write.

Bad input is refused before anything is written. The dataset is built in a staging
folder next to the output and renamed into place only when the job completes, so an
error never leaves a half-written dataset and never touches an existing folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra import __version__
from simulacra.assets_manifest import Admission, LoadedPolicy, Manifest, admit, load_policy, sha256_of
from simulacra.audit import Auditor, ReferenceIndex, Verdict, read_image
from simulacra.card import AuditSummary, CardFacts, RefinementFacts, render_card
from simulacra.dataset import DatasetContents, DatasetWriter
from simulacra.errors import OutputError, PolicyError
from simulacra.jobfile import JobRecord, job_record
from simulacra.render import Renderer, RenderSettings

if TYPE_CHECKING:
    from simulacra.refine.refiner import Refiner
from simulacra.render.devices import available_gpu_devices, choose_device
from simulacra.scene_render import render_scene
from simulacra.scenes import SceneGraph, SceneSpec, resolve

log = logging.getLogger(__name__)
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


@dataclass(frozen=True)
class JobResult:
    out: Path
    card: Path
    coco: Path
    written: int
    audit: AuditSummary


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


def prepare_job(job: Job) -> PreparedJob:
    """Refuse everything that can be refused before any output exists.

    Checks the output folder, the render device, the license policy's decision for the
    job's purpose, every asset file's hash, that each spec resolves against what the
    policy admits, and loads the reference index. Writes nothing.
    """
    check_output_folder(job.out)
    if job.device != "cpu":
        choose_device(job.device, available_gpu_devices())
    admission = admit(job.manifest, job.policy or load_policy(), job.purpose)
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
    auditor = Auditor(ReferenceIndex.load(job.index_path)) if job.index_path else None
    refiner, refiner_hash = None, None
    if job.refine is not None:  # torch loads only for jobs that refine
        from simulacra.refine.refiner import load_refiner, weights_path

        refiner = load_refiner(job.refine, device="auto")
        refiner_hash = sha256_of(weights_path(job.refine))
    return PreparedJob(job, auditor, admission, refiner, refiner_hash)


def _offending_assets(graph: SceneGraph, verdict: Verdict, job: Job, auditor: Auditor) -> tuple[str, ...]:
    """The scene's image assets that themselves match the rejected reference.

    Meshes carry no photographs; textures might (posters and pack colour maps). Each one
    used is audited on its own and the ones that match the same reference are excluded
    from the next attempt.
    """
    offending = []
    for ref in graph.texture_maps():
        rgb, _ = read_image(job.manifest.verified_file(job.manifest.get(ref.id)))
        own = auditor.audit(rgb)
        if own.verdict == "reject" and own.reference == verdict.reference:
            offending.append(ref.id)
    return tuple(sorted(set(offending)))


def run_job(prepared: PreparedJob, *, on_image: Callable[[int], None] | None = None) -> JobResult:
    """Generate, audit and write the job's dataset into ``job.out``.

    Args:
        prepared: the job after :func:`prepare_job` accepted it.
        on_image: called with the image index after each image is finished (progress).
    """
    job = prepared.job
    categories = job.manifest.categories()
    staging = job.out.parent / f".{job.out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        writer = DatasetWriter(staging, categories)
        backend = render_items(prepared, writer, on_image=on_image).backend
        coco = writer.finish(description=f"simulacra dataset {job.name}")
        record = job_record(job, prepared.admission, categories, job.config_hash(prepared.refiner_sha256))
        record.save(staging)
        summary = write_card(staging, prepared, record, backend)
        if job.out.exists():
            job.out.rmdir()  # checked empty in preflight
        staging.rename(job.out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return JobResult(
        out=job.out,
        card=job.out / CARD,
        coco=job.out / coco.relative_to(staging),
        written=len(writer.records),
        audit=summary,
    )


@dataclass(frozen=True)
class Rendered:
    """What rendering a job's items did beyond the files written: drops, and the device used."""

    dropped: tuple[int, ...]
    backend: str


def render_items(
    prepared: PreparedJob, writer: DatasetWriter, *, on_image: Callable[[int], None] | None = None
) -> Rendered:
    """Render, refine, audit and write every work item of the job in one Blender session."""
    job = prepared.job
    dropped = []
    settings = RenderSettings(device=job.device, log_path=writer.root / "blender.log")
    with Renderer(job.manifest, writer.categories, settings) as renderer:
        for item in job.items:
            if not _render_item(prepared, item, renderer, writer):
                dropped.append(item.image_index)
            if on_image:
                on_image(item.image_index)
    return Rendered(tuple(dropped), renderer.backend)


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
        categories=contents.instances,
        asset_ids=contents.asset_ids,
        audit=summary,
        device=backend,
        admission=prepared.admission,
        images_per_license=contents.images_per_license,
        refinement=_refinement_facts(prepared),
        revocations=record.revocations,
    )
    (folder / CARD).write_text(render_card(facts, prepared.job.manifest))
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


def _render_item(prepared: PreparedJob, item: WorkItem, renderer: Renderer, writer: DatasetWriter) -> bool:
    """Render (and refine) one work item with bounded re-synthesis; False when it was dropped.

    Exclusions start as what the license policy refused; audit rejects add to them. The
    audit sees the final pixels, after refinement, since a refiner can leak too.
    """
    job, auditor, refiner = prepared.job, prepared.auditor, prepared.refiner
    excluded = prepared.admission.excluded_ids | item.exclude
    attempts = range(item.first_attempt, item.first_attempt + job.max_attempts)
    for attempt in attempts:
        graph = resolve(
            item.spec,
            job.manifest,
            job_seed=job.seed,
            image_index=item.image_index,
            attempt=attempt,
            exclude=excluded,
        )
        graph, frame = render_scene(renderer, graph, item.spec)  # render-time rules (visibility)
        if refiner is not None:
            frame = dataclasses.replace(frame, rgb=refiner.apply(frame.rgb))
        if auditor is None:
            writer.add(graph, frame)
            return True
        verdict = auditor.audit(frame.rgb)
        entry = {
            "image_index": item.image_index,
            "attempt": attempt,
            "seed": graph.seed,
            **verdict.to_dict(),
        }
        if verdict.verdict == "pass":
            entry["file"] = writer.add(graph, frame)
            entry["action"] = "kept"
            writer.log_audit(entry)
            return True
        offending = [a for a in _offending_assets(graph, verdict, job, auditor) if a not in excluded]
        excluded = excluded | set(offending)
        last = attempt == attempts[-1]
        entry["action"] = "dropped" if last else "resynthesize"
        entry["excluded"] = list(offending)
        writer.log_audit(entry)
        log.info(
            "image %d attempt %d rejected (%s, %s %.3f); excluding %s",
            item.image_index,
            attempt,
            verdict.reference,
            verdict.signal,
            verdict.score,
            ", ".join(offending) or "nothing",
        )
    return False
