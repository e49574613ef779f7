"""One progress bar for a whole generation job, with images/s and ETA.

Images a resumed job finished earlier are counted from the start but not in the rate,
so the ETA reflects this run's speed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from simulacra.cli.console import err


class _Rate(ProgressColumn):
    """Images per second over rich's recent window (the whole run once finished)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} img/s" if speed else "-- img/s", style="progress.data.speed")


@dataclass
class JobProgress:
    """The bar's two events: the job's size is known, one more image is finished."""

    _progress: Progress
    _task: TaskID

    def start(self, total: int, already: int) -> None:
        self._progress.reset(self._task, total=total, completed=already)

    def advance(self) -> None:
        self._progress.advance(self._task)


@contextmanager
def job_progress(label: str) -> Iterator[JobProgress]:
    """A progress display on stderr with one bar, ``label``, for the job's images."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err) as progress:
        yield JobProgress(progress, progress.add_task(label, total=None))
