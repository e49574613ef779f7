"""``export_dataset``: a finished dataset rewritten in another tool's layout, all or nothing.

The export is built in a hidden folder beside ``OUT`` and renamed into place when it is
complete, so a failure (bad input, full disk, Ctrl-C) leaves no ``OUT`` at all. The source
dataset is only read: image files are copied, never linked, so editing an export cannot
change the dataset it came from. Every export carries the dataset card and a
``licenses.json`` naming each image's asset licenses: the obligations travel with the
pixels, whatever the format.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulacra.dataset.layout import CARD
from simulacra.dataset.staging import check_output_folder, published
from simulacra.errors import OutputError, UsageError
from simulacra.export.formats import WRITERS, needs_val
from simulacra.export.plan import SEGMENTATIONS, ExportJob
from simulacra.export.source import Source, read_source
from simulacra.export.splits import DEFAULT_SPLIT, SplitRatios, assign_splits

LICENSES_FILE = "licenses.json"


@dataclass(frozen=True)
class ExportResult:
    """What was written: the folder, and how many images went to each split."""

    out: Path
    counts: dict[str, int]


def export_dataset(
    dataset: Path,
    fmt: str,
    out: Path,
    *,
    split: str = DEFAULT_SPLIT,
    seed: int = 0,
    segmentation: str = "polygon",
    on_image: Callable[[int, int], None] = lambda done, total: None,
) -> ExportResult:
    """Write ``dataset`` to ``out`` in format ``fmt``, split by scene with ``seed``.

    Raises:
        DatasetError: the dataset is missing, incomplete or malformed (the file is named).
        OutputError: ``out`` exists and is not empty, or lies inside the dataset.
        UsageError: an unknown format or segmentation, bad split ratios, too few scenes.
    """
    if fmt not in WRITERS:
        raise UsageError(f"--format {fmt}: not one of {', '.join(WRITERS)}")
    if segmentation not in SEGMENTATIONS:
        raise UsageError(f"--segmentation {segmentation}: not one of {', '.join(SEGMENTATIONS)}")
    ratios = SplitRatios.parse(split)
    if needs_val(fmt) and "val" not in ratios.names:
        raise UsageError(f"--format {fmt} needs a val split (Ultralytics trains on train and val): {split}")
    source = read_source(dataset)
    _check_out(dataset, out)
    assignment = assign_splits([image.scene for image in source.images], ratios, seed=seed)
    splits = {name: tuple(i for i in source.images if assignment[i.scene] == name) for name in ratios.names}
    total, done = len(source.images), iter(range(1, len(source.images) + 1))
    on_image(0, total)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would make the published export private to this user
    with published(staging, out):
        job = ExportJob(source, splits, staging, out, segmentation, lambda: on_image(next(done), total))
        written = WRITERS[fmt](job)
        _carry_obligations(source, written, staging)
    return ExportResult(out, {name: len(images) for name, images in splits.items()})


def _check_out(dataset: Path, out: Path) -> None:
    """Refuse an output folder that holds files, or one inside the source (an export never touches it)."""
    check_output_folder(out)
    if out.resolve().is_relative_to(dataset.resolve()):
        raise OutputError(f"output folder {out} is inside the dataset {dataset}; export it elsewhere")


def _carry_obligations(source: Source, written: dict[str, str], target: Path) -> None:
    """The dataset card, and every image's asset licenses by its path in the export."""
    if source.card is not None:
        shutil.copyfile(source.card, target / CARD)
    names = source.license_names
    by_path = {image.entry["file_name"]: image for image in source.images}
    images = []
    for relative, source_name in sorted(written.items()):
        entry = by_path[source_name].entry
        images.append(
            {
                "file": relative,
                "licenses": [names[i] for i in entry.get("asset_licenses", []) if i in names],
                "asset_ids": entry.get("asset_ids", []),
            }
        )
    document = {"licenses": source.coco.get("licenses", []), "images": images}
    (target / LICENSES_FILE).write_text(json.dumps(document, indent=1) + "\n")
