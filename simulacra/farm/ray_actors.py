"""Render a job's images on a Ray cluster (``generate --ray auto|local|ADDRESS``).

Each of ``--workers`` Ray actors holds one persistent renderer with the job's auditor
and refiner, loaded once, and renders the image indices the driver sends it. An actor
returns the image's encoded files and record; the driver commits them atomically into
its staging folder, so the cluster's nodes need no shared storage, only simulacra
installed. Supervision matches local workers: a dead actor, an image past
``image_timeout`` or one that raised is retried on a fresh actor, up to
``max_failures`` times; an actor past ``max_worker_rss_mb`` is replaced.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra.errors import RenderError
from simulacra.farm import FarmError, FarmOptions, rss_mb
from simulacra.records import ImageOutcome, commit, outcome_files, record_file
from simulacra.work_unit import Rendered

if TYPE_CHECKING:
    from simulacra.pipeline import Job, PreparedJob, WorkItem

log = logging.getLogger(__name__)
_POLL_S = 0.5


class RenderActor:
    """A Ray actor's state: one job's stages and a renderer, for the actor's whole life."""

    def __init__(self, job: Job, threads: int):
        from simulacra.pipeline import load_stages
        from simulacra.render import Renderer, RenderSettings

        self._prepared = load_stages(job)
        self._items = {item.image_index: item for item in job.items}
        settings = RenderSettings(job.device, threads)
        self._renderer = Renderer(job.manifest, job.manifest.categories(), settings).__enter__()

    def ready(self) -> int:
        return os.getpid()

    def render(self, index: int) -> tuple[dict[str, bytes], float]:
        """Image ``index``'s files (record last) and this actor's resident memory after it."""
        from simulacra.work_unit import render_image

        outcome, frame = render_image(self._prepared, self._items[index], self._renderer)
        return outcome_files(outcome, frame), rss_mb()

    def close(self) -> None:
        self._renderer.__exit__(None, None, None)


@dataclass
class _Actor:
    slot: int
    handle: Any
    ref: Any = None
    image: int | None = None
    since: float = 0.0


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` ("auto": the running one), or start one here ("local")."""
    import ray

    if ray.is_initialized():
        return
    try:
        ray.init(
            address=None if address == "local" else address, include_dashboard=False, log_to_driver=False
        )
    except ConnectionError as error:
        raise FarmError(f"--ray {address}: cannot reach a Ray cluster ({error})") from None


def render_on_ray(
    prepared: PreparedJob,
    items: Sequence[WorkItem],
    root: Path,
    options: FarmOptions,
    *,
    on_image: Callable[[ImageOutcome], None] | None = None,
) -> Rendered:
    """Render ``items`` on ``options.workers`` Ray actors; the driver commits each image into ``root``."""
    import ray
    from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

    connect(options.ray or "auto")
    job = prepared.job
    gpu = job.device in ("cuda", "optix")
    remote = ray.remote(RenderActor).options(
        num_cpus=0 if gpu else max(options.threads_per_worker, 1), num_gpus=1 if gpu else 0, max_restarts=0
    )
    pending = deque(item.image_index for item in items)
    count = min(options.workers or 1, len(pending))
    actors = [_Actor(k, remote.remote(job, options.threads_per_worker)) for k in range(count)]
    try:
        ray.get([a.handle.ready.remote() for a in actors])
    except (RayActorError, RayTaskError) as error:
        _stop(actors)
        raise RenderError(
            f"a Ray render actor could not start: {str(error).strip().splitlines()[-1]}"
        ) from None
    failures: dict[int, list[str]] = {}
    retries = 0
    outcomes: list[ImageOutcome] = []
    peak = 0.0

    def failed(index: int, reason: str) -> None:
        nonlocal retries
        reasons = failures.setdefault(index, [])
        reasons.append(reason)
        if len(reasons) < options.max_failures:
            log.warning(
                "image %d: %s; retrying (%d of %d)", index, reason, len(reasons), options.max_failures
            )
            pending.appendleft(index)
            retries += 1
            return
        outcome = ImageOutcome(index, None, failure="; ".join(reasons))
        commit(root, outcome_files(outcome, None))
        done(outcome)

    def done(outcome: ImageOutcome) -> None:
        outcomes.append(outcome)
        if on_image:
            on_image(outcome)

    def replace(a: _Actor) -> None:
        ray.kill(a.handle)
        a.handle, a.ref, a.image = remote.remote(job, options.threads_per_worker), None, None

    try:
        while pending or any(a.image is not None for a in actors):
            for a in actors:
                if a.image is None and pending:
                    a.image, a.since = pending.popleft(), time.monotonic()
                    a.ref = a.handle.render.remote(a.image)
            busy = [a for a in actors if a.image is not None]
            ready, _ = ray.wait([a.ref for a in busy], num_returns=1, timeout=_POLL_S)
            for a in busy:
                if a.ref in ready:
                    try:
                        files, memory = ray.get(a.ref, timeout=60)
                    except (RayActorError, RayTaskError, GetTimeoutError) as error:
                        failed(a.image, f"Ray actor: {str(error).strip().splitlines()[-1]}")  # type: ignore[arg-type]
                        replace(a)
                        continue
                    commit(root, files)
                    done(ImageOutcome.from_json(files[record_file(a.image)].decode()))  # type: ignore[arg-type]
                    peak = max(peak, memory)
                    a.ref, a.image = None, None
                    if options.max_worker_rss_mb is not None and memory > options.max_worker_rss_mb:
                        replace(a)
                elif time.monotonic() - a.since > options.image_timeout:
                    failed(a.image, f"Ray actor timed out after {options.image_timeout:g} s")  # type: ignore[arg-type]
                    replace(a)
    finally:
        _stop(actors)
    dropped = tuple(o.image_index for o in outcomes if o.graph is None)
    backend = ", ".join(sorted({o.backend for o in outcomes if o.backend}))
    return Rendered(dropped, backend, retried=retries, peak_rss_mb=peak)


def _stop(actors: list[_Actor]) -> None:
    """Close each actor's renderer (briefly), then end the actors."""
    import ray

    try:
        ray.get([a.handle.close.remote() for a in actors], timeout=30)
    except Exception as error:  # an actor already dead or stuck: it is killed below either way
        log.info("closing Ray actors: %s", error)
    for a in actors:
        ray.kill(a.handle)
