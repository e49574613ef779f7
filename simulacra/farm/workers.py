"""Supervised Blender worker processes on one machine (``generate --workers N``).

Each worker is a fresh process (the ``spawn`` start method: forking a process that has
loaded bpy is unsafe) holding one persistent :class:`~simulacra.render.Renderer`, its
auditor and refiner, loaded once. The driver hands out image indices one at a time over
a pipe; the worker renders the image with :func:`~simulacra.work.unit.render_image` and
commits its files and record straight into the staging folder, then reports back.

The driver watches every worker: one that dies (crash, OOM kill, ``kill -9``) or takes
longer than ``image_timeout`` on an image is killed and replaced, and its image is
retried; an image that costs ``max_failures`` workers is recorded as failed with the
reasons and the job goes on. A worker whose resident memory passes
``max_worker_rss_mb`` finishes its image and exits, and a fresh one takes its place.
Each worker checks that its driver is alive, so a killed driver leaves no renderers.

Ctrl-C is the driver's alone. A terminal (or ``kill -INT -PGID``) sends SIGINT to the whole
process group; had the workers reacted too, each would have died with exit 130 at the end
of its render, a death the driver could see before its own KeyboardInterrupt and retry
as a crash. So workers are born with SIGINT ignored (:func:`_spawned_without_sigint`) and
the driver, interrupted, kills them at once: an image's record is written last, so the
renders they drop are simply redone by ``--resume``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import NoReturn

from simulacra.dataset.atomic import write_atomic
from simulacra.dataset.reader import load_record
from simulacra.dataset.records import ImageOutcome, commit, outcome_files
from simulacra.dataset.staging import WORKERS
from simulacra.errors import RenderError, SimulacraError
from simulacra.farm.options import FarmOptions, worker_env
from simulacra.farm.supervisor import Supervisor
from simulacra.job import Job, PreparedJob, WorkItem, load_stages
from simulacra.work.unit import Rendered, render_image, rss_mb

log = logging.getLogger(__name__)
_POLL_S = 0.5  # how often the driver checks deadlines, and a worker its driver


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker process needs, sent to it once when it starts (picklable)."""

    job: Job
    root: Path
    slot: int
    threads: int
    env: dict[str, str]
    max_rss_mb: float | None
    scratch: Path  # the worker's temporary files go here; the driver removes it when the worker is gone


def worker_main(conn: Connection, config: WorkerConfig) -> NoReturn:
    """A worker process's whole life: load the stages once, render what the driver sends, exit.

    Messages to the driver: ``("ready", pid)``, ``("done", index, rss_mb, leaving)``
    (``leaving``: past its memory limit, it exits now), ``("error", reason)`` after an image
    raised, ``("fatal", reason)`` when the worker cannot start.
    It leaves through :func:`exit_process`, since bpy cannot tear down with the interpreter.
    SIGINT, blocked since the driver spawned it, is ignored before it is unblocked: a pending
    Ctrl-C is dropped here, and the driver, which got it too, stops this worker.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    os.environ.update(config.env)  # before bpy loads: CUDA_VISIBLE_DEVICES
    # Python's and Blender's temporary files (bpy makes a blender_* folder as it loads, and
    # leaves it, since the process exits without bpy's teardown): a killed worker cannot
    # clean up, so its driver removes the folder.
    os.environ["TMPDIR"] = tempfile.tempdir = str(config.scratch)
    from simulacra.render.blenderproc_adapter import drop_inherited_blender_paths

    drop_inherited_blender_paths()  # before anything imports bpy
    from simulacra.render import Renderer, RenderSettings
    from simulacra.render.blenderproc_adapter import exit_process

    parent, status, started = os.getppid(), 0, False
    try:
        prepared = load_stages(config.job)
        item = config.job.item_finder()
        job = config.job
        settings = RenderSettings(job.device, config.threads, log_path=config.root / "blender.log")
        with Renderer(job.manifest, job.categories(), settings) as renderer:
            conn.send(("ready", os.getpid()))
            started = True
            while os.getppid() == parent:
                if not conn.poll(_POLL_S):
                    continue
                index = conn.recv()
                if index is None:
                    break
                outcome, frame = render_image(prepared, item(index), renderer)
                commit(config.root, outcome_files(outcome, frame))
                memory = rss_mb()
                leaving = config.max_rss_mb is not None and memory > config.max_rss_mb
                conn.send(("done", index, memory, leaving))
                if leaving:
                    break  # recycle: the driver starts a fresh worker in this slot
    except (EOFError, BrokenPipeError):  # the driver is gone
        status = 1
    except Exception as error:  # reported to the driver, which retries the image elsewhere
        status = 1
        reason = str(error) if isinstance(error, SimulacraError) else traceback.format_exc(limit=3)
        with contextlib.suppress(OSError, ValueError):
            conn.send(("error" if started else "fatal", f"{type(error).__name__}: {reason.strip()}"))
    conn.close()
    exit_process(status)


@dataclass
class _Slot:
    """One worker position: its current process and what it is rendering since when."""

    slot: int
    process: BaseProcess
    conn: Connection
    scratch: Path
    pid: int | None = None
    image: int | None = None
    since: float = 0.0
    leaving: bool = False  # recycling itself: gets no more images


class WorkerPool:
    """N supervised worker processes rendering a job's images into its staging folder."""

    def __init__(self, prepared: PreparedJob, root: Path, options: FarmOptions):
        self.prepared = prepared
        self.root = root
        self.options = options
        self._context = multiprocessing.get_context("spawn")
        self._startup_deaths = 0
        self.memory: list[tuple[int, float]] = []  # (slot, resident MiB) after each image, in finish order

    def run(
        self, items: Iterable[WorkItem], count: int, on_image: Callable[[ImageOutcome], None] | None = None
    ) -> Rendered:
        """Render ``items`` (``count`` of them); returns when each has a record (kept, dropped or failed)."""
        ledger = Supervisor(self.root, items, count, self.options.max_failures, on_image)
        count = min(self.options.workers or 1, count)
        slots: list[_Slot] = []
        try:
            slots += (self._start(k) for k in range(count))
            while ledger.waiting or any(s.image is not None for s in slots):
                for s in slots:
                    if s.pid is not None and s.image is None and not s.leaving and ledger.waiting:
                        self._assign(s, ledger.next_image())
                wait([s.conn for s in slots] + [s.process.sentinel for s in slots], timeout=_POLL_S)
                for k, s in enumerate(slots):
                    if not self._supervise(s, ledger):
                        slots[k] = self._start(s.slot)
        except BaseException:  # Ctrl-C or an error: renders in progress are dropped, not waited for
            _kill(slots)
            raise
        self._stop(slots)
        return ledger.rendered()

    def _start(self, slot: int) -> _Slot:
        job = self.prepared.job
        scratch = Path(tempfile.mkdtemp(prefix=f"simulacra-worker-{slot}-"))
        config = WorkerConfig(
            job=job,
            root=self.root,
            slot=slot,
            threads=self.options.threads_per_worker,
            env=worker_env(slot, job.device, self.options.gpus),
            max_rss_mb=self.options.max_worker_rss_mb,
            scratch=scratch,
        )
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=worker_main, args=(theirs, config), name=f"simulacra-worker-{slot}"
        )
        with _spawned_without_sigint():
            process.start()
        theirs.close()  # so a dead worker reads as EOF here
        return _Slot(slot, process, ours, scratch)

    def _assign(self, s: _Slot, index: int) -> None:
        s.image, s.since = index, time.monotonic()
        s.conn.send(index)
        self._status(s)

    def _status(self, s: _Slot) -> None:
        """``workers/<slot>.json``: which process renders which image, for operators (and tests)."""
        folder = self.root / WORKERS
        folder.mkdir(exist_ok=True)
        state = {"slot": s.slot, "pid": s.pid, "image_index": s.image}
        write_atomic(folder / f"{s.slot}.json", json.dumps(state).encode())

    def _supervise(self, s: _Slot, ledger: Supervisor) -> bool:
        """Handle the slot's messages, death or deadline; False when it needs a new worker."""
        while s.conn.poll():
            try:
                message = s.conn.recv()
            except (EOFError, OSError):
                break
            self._receive(s, message, ledger)
        if not s.process.is_alive():
            s.process.join()
            if s.image is not None:
                ledger.failed(s.image, f"worker {s.pid} died ({_exit_reason(s.process.exitcode)})")
            elif s.pid is None:
                self._startup_deaths += 1
                if self._startup_deaths > self.options.max_failures:
                    raise RenderError(
                        f"render workers keep dying before their first image "
                        f"({_exit_reason(s.process.exitcode)}); see blender.log in the staging folder"
                    )
            _gone(s)
            return False
        if s.image is not None and time.monotonic() - s.since > self.options.image_timeout:
            s.process.kill()
            s.process.join()
            ledger.failed(s.image, f"worker {s.pid} timed out after {self.options.image_timeout:g} s")
            _gone(s)
            return False
        return True

    def _receive(self, s: _Slot, message: tuple, ledger: Supervisor) -> None:
        """One message from the slot's worker: ready, done with an image, an image's error, fatal."""
        kind = message[0]
        if kind == "ready":
            s.pid = message[1]
            self._startup_deaths = 0
            self._status(s)
        elif kind == "done":
            index, memory, s.leaving = message[1], message[2], message[3]
            self.memory.append((s.slot, memory))
            s.image = None
            self._status(s)
            ledger.finished(load_record(self.root, index), memory)
        elif kind == "error" and s.image is not None:
            ledger.failed(s.image, f"worker {s.pid}: {message[1]}")
            s.image = None
            s.leaving = True  # a worker exits after reporting an error: nothing more is sent to it
        elif kind == "fatal":
            raise RenderError(f"a render worker could not start: {message[1]}")

    def _stop(self, slots: list[_Slot]) -> None:
        """At the end of the job: ask the (idle) workers to leave, then kill any that stays."""
        for s in slots:
            with contextlib.suppress(OSError):
                s.conn.send(None)
        deadline = time.monotonic() + 10
        for s in slots:
            s.process.join(timeout=max(0.0, deadline - time.monotonic()))
        _kill(slots)  # only those still there: a joined worker is not signalled again


def _kill(slots: list[_Slot]) -> None:
    """Stop every worker now, mid-render or not: what it was rendering has no record yet."""
    for s in slots:
        s.process.kill()
    for s in slots:
        s.process.join()
        _gone(s)


def _gone(s: _Slot) -> None:
    """After the slot's process has ended: close its pipe, remove what it left in its scratch folder."""
    s.conn.close()
    shutil.rmtree(s.scratch, ignore_errors=True)


@contextlib.contextmanager
def _spawned_without_sigint() -> Iterator[None]:
    """Block SIGINT in this thread while a worker is spawned, so the worker starts with it blocked.

    A spawned worker is a fresh interpreter that imports for a second or more before
    :func:`worker_main` can ignore SIGINT; a Ctrl-C in that time would kill it with a
    traceback. The mask is inherited across ``exec`` and closes that window. Here a SIGINT
    is only held back (pending, or taken by another thread), never lost: the driver's
    KeyboardInterrupt follows as soon as the mask is lifted. (The standard library's
    resource tracker starts its process the same way.)
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def render_in_workers(
    prepared: PreparedJob,
    items: Iterable[WorkItem],
    count: int,
    root: Path,
    options: FarmOptions,
    *,
    on_image: Callable[[ImageOutcome], None] | None = None,
) -> Rendered:
    """Render ``items`` (``count`` of them) into ``root`` with ``options.workers`` supervised processes."""
    return WorkerPool(prepared, root, options).run(items, count, on_image)
