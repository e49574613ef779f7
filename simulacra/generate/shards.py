"""Re-assemble a dataset from its records, and merge the shards of one job.

``generate --shard i/N`` renders the images with ``index % N == i`` into a shard folder:
their files and records, plus the whole job's ``job.json``. :func:`merge_shards` checks
that the shards belong to one job (same config hash) and together hold every image
exactly once, links their files into one folder and assembles COCO, logs and card from
the records, so the merged dataset equals the one an unsharded run writes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from simulacra.dataset.assemble import assemble_labels
from simulacra.dataset.jobfile import JOB_FILE, JobRecord
from simulacra.dataset.layout import RECORDS
from simulacra.dataset.reader import load_job_record, load_records
from simulacra.dataset.records import finished
from simulacra.dataset.staging import check_output_folder, published
from simulacra.errors import DatasetError
from simulacra.generate.pipeline import write_card
from simulacra.job import job_from_record, load_stages

_NOT_MERGED = {JOB_FILE, "blender.log", ".lock"}


def reassemble(dataset: Path) -> int:
    """Rewrite the logs, COCO and card of ``dataset`` from its records; returns the images kept."""
    if not (dataset / RECORDS).is_dir():
        raise DatasetError(f"dataset {dataset}: no {RECORDS}/ folder to assemble from")
    record = load_job_record(dataset)
    counts = assemble_labels(dataset, record.categories, record.description)
    write_card(dataset, load_stages(job_from_record(record, dataset)), record, counts.backend)
    return counts.kept


def merge_shards(shards: list[Path], out: Path) -> int:
    """Join the shard folders of one job into the dataset ``out``; returns images kept.

    Raises:
        DatasetError: a shard is not a shard folder, the shards come from different jobs,
            or together they miss an image or hold one twice.
    """
    check_output_folder(out)
    record = _check_shards(shards)
    staging = out.parent / f".{out.name}.merge-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    with published(staging, out):
        for shard in shards:
            _link_tree(shard, staging)
        record.save(staging)
        counts = assemble_labels(staging, record.categories, record.description)
        write_card(staging, load_stages(job_from_record(record, out)), record, counts.backend)
    return counts.kept


def _check_shards(shards: list[Path]) -> JobRecord:
    """The job the shards share, once they are shown to cover it exactly."""
    records = [load_job_record(shard) for shard in shards]
    first = records[0]
    for shard, record in zip(shards, records, strict=True):
        if record.config_hash != first.config_hash:
            raise DatasetError(
                f"shard {shard} belongs to another job (config hash {record.config_hash[:12]}, "
                f"{shards[0]} has {first.config_hash[:12]})"
            )
    owner: dict[int, Path] = {}
    for shard in shards:
        for index in sorted(finished(shard)):
            if index in owner:
                raise DatasetError(f"image {index} is in both {owner[index]} and {shard}")
            owner[index] = shard
    missing = sorted(set(first.image_indices()) - set(owner))
    if missing:
        listed = ", ".join(str(i) for i in missing[:10]) + (", ..." if len(missing) > 10 else "")
        raise DatasetError(
            f"the shards miss {len(missing)} images of the job ({listed}); render those shards first"
        )
    for shard in shards:
        load_records(shard)  # a malformed record is named before anything is written
    return first


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link (or copy, across file systems) ``source``'s per-image files and records into ``target``."""
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or relative.as_posix() in _NOT_MERGED:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)
