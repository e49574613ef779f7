"""The CLI's stderr console and progress bars, shared by every command group."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

err = Console(stderr=True)

Update = Callable[[int, int | None], None]


@contextmanager
def progress_bars(*labels: str, transient: bool = False) -> Iterator[list[Update]]:
    """One progress display (rich allows one at a time) with a bar per label.

    Yields one ``update(done, total)`` per label. ``transient`` bars vanish when done,
    so a command that fails shows only its one-line error.
    """
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=transient) as progress:
        tasks = [progress.add_task(label, total=None) for label in labels]
        yield [
            lambda done, total, task=task: progress.update(task, completed=done, total=total)
            for task in tasks
        ]
