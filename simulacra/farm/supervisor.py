"""The one supervisor of a farm's images: who waits, what failed how often, what is finished.

Worker processes (:mod:`simulacra.farm.workers`) and Ray actors
(:mod:`simulacra.farm.ray_actors`) differ in how they start, talk and die; what to do
when an image's worker crashes, hangs or raises is the same for both and lives here: retry
the image first thing on a fresh worker, or record it as failed once it cost
``max_failures`` workers, and go on.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from simulacra.dataset.records import ImageOutcome, commit, outcome_files
from simulacra.job import WorkItem
from simulacra.work.unit import Rendered

log = logging.getLogger(__name__)


class Supervisor:
    """The failure ledger and the queue of image indices for one farm run into ``root``.

    ``items`` (``count`` of them) are taken one at a time as images are handed out, and
    only the drops and backends of finished images are kept, so a run of any size holds
    the same few things in memory.
    """

    def __init__(
        self,
        root: Path,
        items: Iterable[WorkItem],
        count: int,
        max_failures: int,
        on_image: Callable[[ImageOutcome], None] | None = None,
    ):
        self.root = root
        self.waiting = count  # images not handed out yet, retries included
        self.max_failures = max_failures
        self.retries = 0
        self.peak_rss_mb = 0.0
        self._queue = (item.image_index for item in items)
        self._retry: deque[int] = deque()
        self._on_image = on_image
        self._failures: dict[int, list[str]] = {}
        self._dropped: list[int] = []
        self._backends: set[str] = set()

    def next_image(self) -> int:
        """The next image to hand out (a retried one comes first)."""
        self.waiting -= 1
        return self._retry.popleft() if self._retry else next(self._queue)

    def finished(self, outcome: ImageOutcome, memory: float = 0.0) -> None:
        """An image has its record; ``memory`` is its worker's resident MiB after it."""
        self.peak_rss_mb = max(self.peak_rss_mb, memory)
        if outcome.graph is None:
            self._dropped.append(outcome.image_index)
        if outcome.backend:
            self._backends.add(outcome.backend)
        if self._on_image:
            self._on_image(outcome)

    def failed(self, index: int, reason: str) -> None:
        """Retry ``index`` first thing, or record it as failed once it cost ``max_failures`` workers."""
        reasons = self._failures.setdefault(index, [])
        reasons.append(reason)
        if len(reasons) < self.max_failures:
            log.warning("image %d: %s; retrying (%d of %d)", index, reason, len(reasons), self.max_failures)
            self._retry.appendleft(index)
            self.waiting += 1
            self.retries += 1
            return
        log.warning("image %d failed %d times, recorded as failed: %s", index, len(reasons), reason)
        outcome = ImageOutcome(index, None, failure="; ".join(reasons))
        commit(self.root, outcome_files(outcome, None))
        self.finished(outcome)

    def rendered(self) -> Rendered:
        """What the run did beyond its files: drops, the backends that rendered, retries, peak memory."""
        backend = ", ".join(sorted(self._backends))
        return Rendered(tuple(self._dropped), backend, retried=self.retries, peak_rss_mb=self.peak_rss_mb)
