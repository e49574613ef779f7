"""One image of a job, the farm's unit of work: render, refine, audit, re-synthesise.

:func:`render_image` depends only on the job and the image's work item, never on which
process runs it or what that process rendered before, so any worker (in this process,
a worker process, a Ray actor) renders the same image. It writes nothing: the caller
commits the files and record (:mod:`simulacra.dataset.records`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import resource
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from simulacra.audit import Auditor, Verdict, read_image
from simulacra.dataset.layout import image_files
from simulacra.dataset.records import ImageOutcome, commit, outcome_files
from simulacra.job import Job, PreparedJob, WorkItem
from simulacra.render import Frame, Renderer, RenderSettings
from simulacra.scenes import SceneGraph, resolve
from simulacra.work.scene_render import render_scene

log = logging.getLogger(__name__)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Rendered:
    """What rendering a job's items did beyond the files written: drops, device, supervision."""

    dropped: tuple[int, ...]
    backend: str
    retried: int = 0
    peak_rss_mb: float = 0.0


def render_image(
    prepared: PreparedJob, item: WorkItem, renderer: Renderer
) -> tuple[ImageOutcome, Frame | None]:
    """Render (and refine) one work item with bounded re-synthesis: the job's unit of work.

    Returns the image's outcome and the frame to write (None when it was dropped). Pure in
    the sense that matters for a farm: it writes nothing, and its result depends only on
    the job and the item, not on which worker runs it or what it rendered before.
    Exclusions start as what the license policy refused; audit rejects add to them. The
    audit sees the final pixels, after refinement, since a refiner can leak too.
    """
    job, auditor, refiner = prepared.job, prepared.auditor, prepared.refiner
    excluded = prepared.admission.excluded_ids | item.exclude
    attempts = range(item.first_attempt, item.first_attempt + job.max_attempts)
    entries: list[dict] = []
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
        unoccluded = {info.instance_id: info.unoccluded_pixels for info in frame.instances}
        kept = ImageOutcome(item.image_index, graph, (), unoccluded, renderer.backend)
        if auditor is None:
            return kept, frame
        verdict = auditor.audit(frame.rgb)
        entry = {
            "image_index": item.image_index,
            "attempt": attempt,
            "seed": graph.seed,
            **verdict.to_dict(),
        }
        if verdict.verdict == "pass":
            entry["file"] = image_files(item.image_index)[0]
            entry["action"] = "kept"
            entries.append(entry)
            return dataclasses.replace(kept, audit=tuple(entries)), frame
        offending = [a for a in _offending_assets(graph, verdict, job, auditor) if a not in excluded]
        excluded = excluded | set(offending)
        last = attempt == attempts[-1]
        entry["action"] = "dropped" if last else "resynthesize"
        entry["excluded"] = list(offending)
        entries.append(entry)
        log.info(
            "image %d attempt %d rejected (%s, %s %.3f); excluding %s",
            item.image_index,
            attempt,
            verdict.reference,
            verdict.signal,
            verdict.score,
            ", ".join(offending) or "nothing",
        )
    return ImageOutcome(item.image_index, None, tuple(entries), backend=renderer.backend), None


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


def render_items(
    prepared: PreparedJob,
    root: Path,
    items: Iterable[WorkItem] | None = None,
    *,
    threads: int = 0,
    on_image: Callable[[ImageOutcome], None] | None = None,
) -> Rendered:
    """Render, refine, audit and commit ``items`` (default: all the job's) in one Blender session here."""
    job = prepared.job
    dropped, peak = [], 0.0
    settings = RenderSettings(device=job.device, threads=threads, log_path=root / "blender.log")
    with Renderer(job.manifest, job.categories(), settings) as renderer:
        for item in job.items if items is None else items:
            outcome, frame = render_image(prepared, item, renderer)
            commit(root, outcome_files(outcome, frame))
            peak = max(peak, rss_mb())
            if outcome.graph is None:
                dropped.append(item.image_index)
            if on_image:
                on_image(outcome)
    return Rendered(tuple(dropped), renderer.backend, peak_rss_mb=peak)


def rss_mb() -> float:
    """This process's resident memory now, in MiB (from /proc; peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
