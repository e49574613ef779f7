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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from simulacra.dataset.layout import record_file
from simulacra.dataset.records import ImageOutcome, commit, outcome_files
from simulacra.errors import RenderError
from simulacra.farm.options import FarmOptions
from simulacra.farm.ray_audit import RemoteAuditor, ShardFleet, connect
from simulacra.farm.supervisor import Supervisor
from simulacra.job import Job, PreparedJob, WorkItem, load_stages
from simulacra.work.unit import Rendered, render_image, rss_mb

log = logging.getLogger(__name__)
_POLL_S = 0.5


class RenderActor:
    """A Ray actor's state: one job's stages and a renderer, for the actor's whole life."""

    def __init__(self, job: Job, threads: int, shards: tuple[list[Any], bool] | None = None):
        from simulacra.render import Renderer, RenderSettings

        if shards is None:
            self._prepared = load_stages(job)
        else:  # a sharded index, served by the shard actors: audit through them
            unaudited = load_stages(replace(job, index_path=None))
            self._prepared = replace(unaudited, job=job, auditor=RemoteAuditor(*shards))
        self._item = job.item_finder()
        settings = RenderSettings(job.device, threads)
        self._renderer = Renderer(job.manifest, job.categories(), settings).__enter__()

    def ready(self) -> int:
        return os.getpid()

    def render(self, index: int) -> tuple[dict[str, bytes], float]:
        """Image ``index``'s files (record last) and this actor's resident memory after it."""
        outcome, frame = render_image(self._prepared, self._item(index), self._renderer)
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


def render_on_ray(
    prepared: PreparedJob,
    items: Iterable[WorkItem],
    count: int,
    root: Path,
    options: FarmOptions,
    *,
    on_image: Callable[[ImageOutcome], None] | None = None,
) -> Rendered:
    """Render ``items`` (``count`` of them) on ``options.workers`` Ray actors; the driver commits each."""
    connect(options.ray or "auto")
    ledger = Supervisor(root, items, count, options.max_failures, on_image)
    servers = _shard_servers(prepared)
    try:
        shards = (servers.handles, servers.wants_faces) if servers else None
        fleet = _Fleet(prepared.job, options, min(options.workers or 1, count), shards)
        try:
            while ledger.waiting or fleet.busy():
                fleet.assign(ledger)
                fleet.collect(ledger, root)
        except BaseException:  # Ctrl-C or an error: renders in progress are dropped, not waited for
            fleet.kill()
            raise
        fleet.stop()
    finally:
        if servers:
            servers.stop()
    return ledger.rendered()


def _shard_servers(prepared: PreparedJob) -> ShardFleet | None:
    """With a sharded index, one Ray actor serving each shard to every render actor."""
    from simulacra.audit.shards import ShardedAuditor

    if not isinstance(prepared.auditor, ShardedAuditor):
        return None
    index = prepared.auditor.index
    return ShardFleet(index.shard_paths(), prepared.auditor.thresholds)


class _Fleet:
    """The job's Ray actors: started and checked ready, given images, collected, replaced, stopped."""

    def __init__(
        self, job: Job, options: FarmOptions, count: int, shards: tuple[list[Any], bool] | None = None
    ):
        import ray
        from ray.exceptions import RayActorError, RayTaskError

        gpu = job.device in ("cuda", "optix")
        self._job, self._options, self._shards = job, options, shards
        self._remote = ray.remote(RenderActor).options(
            num_cpus=0 if gpu else max(options.threads_per_worker, 1),
            num_gpus=1 if gpu else 0,
            max_restarts=0,
        )
        self.actors = [_Actor(k, self._spawn()) for k in range(count)]
        try:
            ray.get([a.handle.ready.remote() for a in self.actors])
        except (RayActorError, RayTaskError) as error:
            self.stop()
            raise RenderError(f"a Ray render actor could not start: {_last_line(error)}") from None

    def _spawn(self) -> Any:
        return self._remote.remote(self._job, self._options.threads_per_worker, self._shards)

    def busy(self) -> bool:
        return any(a.image is not None for a in self.actors)

    def assign(self, ledger: Supervisor) -> None:
        """Give every idle actor the next waiting image."""
        for a in self.actors:
            if a.image is None and ledger.waiting:
                a.image, a.since = ledger.next_image(), time.monotonic()
                a.ref = a.handle.render.remote(a.image)

    def collect(self, ledger: Supervisor, root: Path) -> None:
        """Commit the images that came back, fail the ones that raised or ran past the timeout."""
        import ray
        from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

        busy = [a for a in self.actors if a.image is not None]
        ready, _ = ray.wait([a.ref for a in busy], num_returns=1, timeout=_POLL_S)
        for a in busy:
            index: int = a.image  # type: ignore[assignment]
            if a.ref in ready:
                try:
                    files, memory = ray.get(a.ref, timeout=60)
                except (RayActorError, RayTaskError, GetTimeoutError) as error:
                    ledger.failed(index, f"Ray actor: {_last_line(error)}")
                    self._replace(a)
                    continue
                commit(root, files)
                ledger.finished(ImageOutcome.from_json(files[record_file(index)].decode()), memory)
                a.ref, a.image = None, None
                limit = self._options.max_worker_rss_mb
                if limit is not None and memory > limit:
                    self._replace(a)
            elif time.monotonic() - a.since > self._options.image_timeout:
                ledger.failed(index, f"Ray actor timed out after {self._options.image_timeout:g} s")
                self._replace(a)

    def _replace(self, a: _Actor) -> None:
        import ray

        ray.kill(a.handle)
        a.handle, a.ref, a.image = self._spawn(), None, None

    def stop(self) -> None:
        """Close each actor's renderer (briefly), then end the actors."""
        import ray

        try:
            ray.get([a.handle.close.remote() for a in self.actors], timeout=30)
        except Exception as error:  # an actor already dead or stuck: it is killed below either way
            log.info("closing Ray actors: %s", error)
        self.kill()

    def kill(self) -> None:
        """End every actor now, mid-render or not: the driver commits an image only once it is back."""
        import ray

        for a in self.actors:
            ray.kill(a.handle)


def _last_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[-1]
