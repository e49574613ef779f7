"""Revoke an asset from a finished dataset: replace every image that used it.

The images whose scene graphs name the asset are removed with all their labels and
re-rendered from the job recorded in ``job.json`` (same spec, job seed and image index;
attempt numbers continue after the last one made) with the asset excluded. The new
dataset is built in a staging folder (unchanged files hard-linked, so they stay
byte-identical) and swapped in with two renames; on any failure the dataset is untouched.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from simulacra.assets_manifest import Manifest, load_manifest
from simulacra.dataset.assemble import assemble_labels
from simulacra.dataset.jobfile import JOB_FILE, JobRecord, Revocation
from simulacra.dataset.layout import (
    AUDIT_LOG,
    CARD,
    COCO_FILE,
    GRAPHS,
    image_index_of,
    owned_files,
    record_file,
)
from simulacra.dataset.reader import (
    load_job_record,
    load_records,
    read_audit_log,
    read_coco,
    read_graphs,
    require_dataset,
)
from simulacra.dataset.records import ImageOutcome, commit
from simulacra.errors import DatasetError
from simulacra.generate.pipeline import prepare_job, write_card
from simulacra.job import Job, job_from_record
from simulacra.scenes import SceneGraph
from simulacra.work.unit import render_items

_REWRITTEN = {GRAPHS, AUDIT_LOG, "blender.log", CARD, JOB_FILE, COCO_FILE}


@dataclass(frozen=True)
class RevocationResult:
    asset: str
    replaced: tuple[int, ...]
    dropped: tuple[int, ...]


def _last_attempts(dataset: Path, graphs: list[SceneGraph]) -> dict[int, int]:
    """The highest attempt number already used per image index (kept graphs and audit log)."""
    last = {g.image_index: g.attempt for g in graphs}
    for entry in read_audit_log(dataset):
        index = entry["image_index"]
        last[index] = max(last.get(index, -1), entry["attempt"])
    return last


def _replacement_job(
    record: JobRecord, manifest: Manifest, revoked: str, indices: list[int], last: dict[int, int], out: Path
) -> Job:
    """The recorded job, narrowed to ``indices``, excluding ``revoked`` and every earlier revocation."""
    excluded = frozenset({revoked, *(r.asset for r in record.revocations)})
    job = job_from_record(record, out, manifest=manifest)
    item = job.item_finder()
    narrowed = tuple(replace(item(i), first_attempt=last.get(i, -1) + 1, exclude=excluded) for i in indices)
    return replace(job, items=narrowed)


def _audit_by_image(dataset: Path) -> dict[int, list[dict]]:
    """The dataset's audit log entries, grouped by image index in log order."""
    entries: dict[int, list[dict]] = {}
    for entry in read_audit_log(dataset):
        entries.setdefault(entry["image_index"], []).append(entry)
    return entries


def _carry_records(
    dataset: Path, staging: Path, graphs: list[SceneGraph], affected: set[int], history: dict[int, list[dict]]
) -> None:
    """Records for the images the revocation keeps, made from the dataset's logs where it has none.

    Datasets written before per-image records existed have only the graph log, audit log
    and COCO file; the records derived from them assemble back into the same files.
    """
    unoccluded = _unoccluded_areas(dataset)
    kept = {g.image_index: g for g in graphs}
    for index in sorted((set(kept) | set(history)) - affected):
        if (staging / record_file(index)).is_file():  # staged from the dataset's own record
            continue
        outcome = ImageOutcome(
            index, kept.get(index), tuple(history.get(index, ())), unoccluded.get(index, {})
        )
        commit(staging, {record_file(index): outcome.to_json().encode()})


def _unoccluded_areas(dataset: Path) -> dict[int, dict[int, int]]:
    """Image index -> instance id -> unoccluded area, read from COCO: kept images are not re-rendered.

    Images are matched by file name, which holds for datasets whose COCO ids predate the
    convention that the id is the image index.
    """
    coco = read_coco(dataset)
    index_of = {image["id"]: image_index_of(image["file_name"]) for image in coco["images"]}
    areas: dict[int, dict[int, int]] = {}
    for annotation in coco["annotations"]:
        if "unoccluded_area" in annotation:
            per_image = areas.setdefault(index_of[annotation["image_id"]], {})
            per_image[annotation["instance_id"]] = annotation["unoccluded_area"]
    return areas


def _stage(dataset: Path, staging: Path, removed: set[str]) -> None:
    """Copy the dataset to ``staging``: per-image files hard-linked, files to rewrite copied."""
    for path in sorted(dataset.rglob("*")):
        relative = path.relative_to(dataset).as_posix()
        target = staging / relative
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif relative not in removed:
            target.parent.mkdir(parents=True, exist_ok=True)
            if relative in _REWRITTEN:
                shutil.copy2(path, target)
            else:
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copy2(path, target)


def revoke(
    dataset: Path,
    asset_id: str,
    *,
    manifest: Manifest | None = None,
    reason: str = "",
    on_image: Callable[[int], None] | None = None,
) -> RevocationResult:
    """Replace every image of ``dataset`` that used ``asset_id``; nothing changes when none did."""
    if not dataset.is_dir():
        raise DatasetError(f"dataset {dataset} does not exist")
    graphs = read_graphs(require_dataset(dataset))
    record = load_job_record(dataset)
    affected = sorted(g.image_index for g in graphs if asset_id in {ref.id for ref in g.assets()})
    if not affected:
        return RevocationResult(asset_id, (), ())
    manifest = manifest or load_manifest(Path(record.manifest))
    staging = dataset.parent / f".{dataset.name}.revoke-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    job = _replacement_job(record, manifest, asset_id, affected, _last_attempts(dataset, graphs), staging)
    prepared = prepare_job(job)
    try:
        removed = {name for i in affected for name in owned_files(i)} | {GRAPHS}
        _stage(dataset, staging, removed)
        history = _audit_by_image(dataset)
        _carry_records(dataset, staging, graphs, set(affected), history)
        progress = (lambda outcome: on_image(outcome.image_index)) if on_image else None
        rendered = render_items(prepared, staging, on_image=progress)
        for index in affected:  # a replaced image's audit history keeps the attempts made before
            new = next(o for o in load_records(staging) if o.image_index == index)
            revised_audit = (*history.get(index, ()), *new.audit)
            commit(staging, {record_file(index): replace(new, audit=revised_audit).to_json().encode()})
        assemble_labels(staging, record.categories, record.description)
        replaced = tuple(i for i in affected if i not in rendered.dropped)
        entry = Revocation(
            asset=asset_id,
            reason=reason,
            date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            replaced=replaced,
            dropped=rendered.dropped,
        )
        revised = record.model_copy(update={"revocations": (*record.revocations, entry)})
        revised.save(staging)
        write_card(staging, prepared, revised, rendered.backend)
        _swap(dataset, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RevocationResult(asset_id, replaced, rendered.dropped)


def _swap(dataset: Path, staging: Path) -> None:
    """Put ``staging`` where ``dataset`` is; the old folder is removed only after the swap."""
    backup = dataset.parent / f".{dataset.name}.revoked-{os.getpid()}"
    dataset.rename(backup)
    try:
        staging.rename(dataset)
    except BaseException:
        backup.rename(dataset)
        raise
    shutil.rmtree(backup)
