"""Where a job's images render: here, in supervised worker processes, or on Ray actors.

Which one never changes a byte of the output (:class:`~simulacra.farm.options.FarmOptions`);
Ray and the worker processes load only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from simulacra.dataset.records import ImageOutcome
from simulacra.farm.options import FarmOptions
from simulacra.job import PreparedJob, WorkItem
from simulacra.work.unit import Rendered, render_items


def dispatch(
    prepared: PreparedJob,
    items: Iterable[WorkItem],
    count: int,
    root: Path,
    options: FarmOptions,
    on_image: Callable[[ImageOutcome], None] | None,
) -> Rendered:
    """Render ``items`` (``count`` of them, taken lazily) into ``root`` here, in workers, or on Ray."""
    if options.ray is not None:
        from simulacra.farm.ray_actors import render_on_ray

        return render_on_ray(prepared, items, count, root, options, on_image=on_image)
    if options.workers is not None:
        from simulacra.farm.workers import render_in_workers

        return render_in_workers(prepared, items, count, root, options, on_image=on_image)
    if not count:  # everything was finished before --resume, or the shard is empty
        return Rendered((), "")
    return render_items(prepared, root, items, threads=options.threads_per_worker, on_image=on_image)
