"""Assemble a dataset's shared files from its per-image records.

``scene_graphs.jsonl``, ``audit.jsonl``, ``failures.jsonl`` (only when an image failed)
and ``annotations/coco.json`` are all derived from ``records/`` and the written instance
masks, in image order. Rendering with 1 worker or 100, in any order, resumed or sharded,
therefore yields the same bytes. Every file is written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from simulacra.dataset.atomic import write_atomic
from simulacra.dataset.coco import image_record, write_coco
from simulacra.dataset.layout import AUDIT_LOG, FAILURES, GRAPHS, LAYOUT
from simulacra.dataset.reader import load_records, read_kept_mask


@dataclass(frozen=True)
class Assembled:
    """What the records held: counts for the job summary, and the backends that rendered."""

    kept: int
    dropped: int
    failed: int
    rejected: int
    backend: str


def assemble_labels(root: Path, categories: tuple[str, ...], description: str) -> Assembled:
    """Write the graph log, audit log, failure list and COCO of ``root`` from its records."""
    outcomes = load_records(root)
    for folder in LAYOUT:
        (root / folder).mkdir(parents=True, exist_ok=True)
    kept = [o for o in outcomes if o.graph is not None]
    write_atomic(root / GRAPHS, "".join(o.graph.to_json() + "\n" for o in kept).encode())  # type: ignore[union-attr]
    audit = "".join(json.dumps(entry, sort_keys=True) + "\n" for o in outcomes for entry in o.audit)
    write_atomic(root / AUDIT_LOG, audit.encode())
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        lines = (json.dumps({"image_index": o.image_index, "reason": o.failure}) + "\n" for o in failed)
        write_atomic(root / FAILURES, "".join(lines).encode())
    else:
        (root / FAILURES).unlink(missing_ok=True)
    records = [image_record(o.graph, read_kept_mask(root, o.image_index), o.unoccluded) for o in kept]  # type: ignore[arg-type]
    write_coco(root, records, categories, description)
    return Assembled(
        kept=len(kept),
        dropped=sum(o.status == "dropped" for o in outcomes),
        failed=len(failed),
        rejected=sum(o.rejected for o in outcomes),
        backend=", ".join(sorted({o.backend for o in kept if o.backend})),
    )
