"""The one supervisor: retries an image first thing, records it failed after max_failures, counts."""

from __future__ import annotations

from simulacra.dataset.reader import load_records
from simulacra.dataset.records import ImageOutcome
from simulacra.farm.supervisor import Supervisor
from simulacra.job import WorkItem
from simulacra.scenes import SceneSpec


def _items(count: int) -> list[WorkItem]:
    spec = SceneSpec(name="s")
    return [WorkItem(i, spec) for i in range(count)]


def test_a_failed_image_is_retried_first_then_recorded_failed(tmp_path):
    """Two failures of three allowed put the image back in front; the third writes its failure record."""
    seen: list[ImageOutcome] = []
    ledger = Supervisor(tmp_path, _items(3), 3, max_failures=3, on_image=seen.append)
    first = ledger.next_image()
    for attempt in range(2):
        ledger.failed(first, f"worker died ({attempt})")
        assert ledger.next_image() == first
    ledger.failed(first, "worker timed out")
    assert ledger.waiting == 2 and [ledger.next_image(), ledger.next_image()] == [1, 2]
    (record,) = load_records(tmp_path)
    assert (
        record.status == "failed" and record.failure == "worker died (0); worker died (1); worker timed out"
    )
    assert seen == [record]
    assert ledger.rendered().retried == 2 and ledger.rendered().dropped == (first,)


def test_finished_images_give_the_run_its_summary(tmp_path):
    """Backends are joined and the peak resident memory is the largest reported."""
    ledger = Supervisor(tmp_path, _items(2), 2, max_failures=1)
    ledger.finished(ImageOutcome(0, None, backend="CPU"), memory=300.0)
    ledger.finished(ImageOutcome(1, None, backend="CUDA"), memory=200.0)
    rendered = ledger.rendered()
    assert rendered.backend == "CPU, CUDA" and rendered.peak_rss_mb == 300.0 and rendered.retried == 0
