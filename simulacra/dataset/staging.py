"""The staging folder a job builds its dataset in, found again by ``--resume``.

A job for ``OUT`` writes into ``.OUT.partial`` next to it and renames that folder into
place only when the dataset is complete. The folder's name is fixed and it records the
job's config hash, so a killed job can be resumed, and only by the same job: a partial
folder is never deleted or reused silently. A lock held while the job runs keeps two
drivers from writing the same folder; the operating system drops it when a driver dies.
Reopened, the folder's records are verified against the files they list, and a record
that cannot be trusted is removed, so its image is rendered again instead of being
skipped, or wedging every later resume. ``--resume`` of a job that already finished
finds its dataset in place and has nothing to do (:func:`completed_job`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from simulacra.dataset.atomic import remove_leftovers, write_atomic
from simulacra.dataset.layout import STATE, record_file
from simulacra.dataset.reader import load_job_record, read_staging_state, record_fault
from simulacra.dataset.records import finished
from simulacra.errors import DatasetError, OutputError

log = logging.getLogger(__name__)
_LOCK = ".lock"
WORKERS = "workers"  # what each worker process is rendering now, one file per slot


def check_output_folder(out: Path) -> None:
    """Refuse an output folder that already holds files: earlier work is never overwritten."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputError(f"output folder {out} already exists and is not empty; choose another with -o")


@contextmanager
def published(staging: Path, out: Path) -> Iterator[Path]:
    """Build a finished folder in ``staging``: on success it becomes ``out`` (an empty ``out``
    is replaced), on any failure it is removed, so no partial folder is ever left."""
    try:
        yield staging
        if out.exists():
            out.rmdir()  # the caller checked it empty (check_output_folder)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def staging_folder(out: Path) -> Path:
    """Where the job for ``out`` is built: ``.OUT.partial`` beside it."""
    return out.parent / f".{out.name}.partial"


@dataclass
class Staging:
    """An open staging folder, locked by this process."""

    root: Path
    out: Path
    already_finished: int
    _lock: int

    def publish(self) -> None:
        """Rename the finished folder to the output path, then drop its bookkeeping files.

        In that order, a kill in between leaves a complete dataset with a stray
        ``farm.json``, never a partial folder that ``--resume`` no longer recognises.
        """
        if self.out.exists():
            self.out.rmdir()  # checked empty in preflight
        self.root.rename(self.out)
        (self.out / STATE).unlink()
        shutil.rmtree(self.out / WORKERS, ignore_errors=True)
        self._release(self.out / _LOCK)

    def abandon(self) -> None:
        """After a failure: keep the folder for ``--resume`` when it holds finished images, else remove it."""
        if finished(self.root):
            self._release(self.root / _LOCK)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
            os.close(self._lock)

    def _release(self, lock_file: Path) -> None:
        os.close(self._lock)
        lock_file.unlink(missing_ok=True)


def open_staging(out: Path, config_hash: str, *, resume: bool, shard: str | None) -> Staging:
    """Create the staging folder for ``out``, or reopen it with ``resume`` for the same job.

    Raises:
        OutputError: a partial folder exists and ``resume`` is off, it belongs to another
            job (config hash or shard differ), or another process is writing it.
    """
    root = staging_folder(out)
    state = check_staging(out, config_hash, resume=resume, shard=shard)
    if not root.exists():
        root.mkdir(parents=True)
        write_atomic(root / STATE, (json.dumps(state, indent=2) + "\n").encode())
    lock = os.open(root / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        raise OutputError(f"{root} is being written by another simulacra process") from None
    remove_leftovers(root)
    _drop_untrusted_records(root)
    return Staging(root, out, len(finished(root)), lock)


def _drop_untrusted_records(root: Path) -> None:
    """Remove every record :func:`record_fault` finds fault with: its image is rendered again."""
    faults = {index: fault for index in sorted(finished(root)) if (fault := record_fault(root, index))}
    for index in faults:
        (root / record_file(index)).unlink()
    if faults:
        more = f" and {len(faults) - 1} more" if len(faults) > 1 else ""
        log.warning(
            "--resume: %d finished image(s) will be rendered again, their files do not check out (%s%s)",
            len(faults),
            next(iter(faults.values())),
            more,
        )


def completed_job(out: Path, config_hash: str, *, wanted: int, takes: Callable[[int], bool]) -> bool:
    """Whether ``out`` already is this job's finished dataset (or shard): ``--resume`` has nothing to do.

    ``wanted`` images are this job's (or shard's), ``takes(i)`` says whether image ``i`` is
    one of them. False when ``out`` does not exist or is empty.

    Raises:
        OutputError: ``out`` holds anything else: not a dataset, or another job's or shard's.
    """
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        return False
    try:
        found = load_job_record(out).config_hash
    except DatasetError:
        raise OutputError(
            f"output folder {out} already exists and is not a simulacra dataset; choose another with -o"
        ) from None
    if found != config_hash:
        raise OutputError(
            f"--resume: {out} is a finished dataset of a different job (config hash {found[:12]}, "
            f"this job {config_hash[:12]}); use the same spec, seed, -n and options, or another -o"
        )
    done = finished(out)
    if len(done) != wanted or not all(takes(index) for index in done):
        raise OutputError(f"--resume: {out} holds other images of this job (another shard?); use another -o")
    return True


def check_staging(out: Path, config_hash: str, *, resume: bool, shard: str | None) -> dict:
    """Refuse, before anything is written, a partial folder this job may not continue; returns its state.

    Raises:
        OutputError: as :func:`open_staging` does, except for the lock.
    """
    root = staging_folder(out)
    state = {"config_hash": config_hash, "shard": shard, "out": str(out)}
    if root.exists():
        if not resume:
            raise OutputError(
                f"{root} holds an unfinished job for {out}: pass --resume to continue it, "
                "or delete that folder to start over"
            )
        _check_same_job(root, state)
    return state


def _check_same_job(root: Path, state: dict) -> None:
    """Refuse to resume into a partial folder made by a different job."""
    try:
        found = read_staging_state(root)
    except DatasetError:
        raise OutputError(f"--resume: {root} has no readable {STATE}; delete it to start over") from None
    if found.get("config_hash") != state["config_hash"]:
        raise OutputError(
            f"--resume: {root} holds a different job (config hash {str(found.get('config_hash'))[:12]}, "
            f"this job {state['config_hash'][:12]}); use the same spec, seed, -n and options, or delete it"
        )
    if found.get("shard") != state["shard"]:
        raise OutputError(f"--resume: {root} holds shard {found.get('shard')}, not {state['shard']}")
