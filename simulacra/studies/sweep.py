"""Parameter sweeps: one dataset per value of a spec field, and a table comparing them.

Every dataset uses the same job seed, so two datasets differ only in the swept field
(and in whatever draws that field's value shifts). All jobs are checked before the
first one renders, so a bad path, value or output folder writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simulacra.assets_manifest import LoadedPolicy, Manifest
from simulacra.dataset.reader import read_coco, read_gray
from simulacra.dataset.staging import check_output_folder
from simulacra.generate.pipeline import prepare_job, run_job
from simulacra.job import Job, PreparedJob, WorkItem
from simulacra.scenes import SceneSpec
from simulacra.scenes.overrides import Override, Variant, expand

TABLE = "sweep.md"
RESULTS = "sweep.json"


@dataclass(frozen=True)
class DatasetStats:
    """What one sweep dataset holds, read back from its COCO file and images."""

    dataset: str
    settings: dict[str, object]
    images: int
    instances: int
    instances_per_image: float
    visible_fraction: float
    brightness: float


def dataset_stats(folder: Path, settings: dict[str, object]) -> DatasetStats:
    """Count images and instances; mean visible fraction and mean image brightness (0-1)."""
    coco = read_coco(folder)
    images, annotations = coco["images"], coco["annotations"]
    fractions = [a["visible_fraction"] for a in annotations]
    gray = [read_gray(folder, image) for image in images]
    brightness = [float(pixels.mean()) / 255 for pixels in gray]
    return DatasetStats(
        dataset=folder.name,
        settings=settings,
        images=len(images),
        instances=len(annotations),
        instances_per_image=round(len(annotations) / len(images), 3) if images else 0.0,
        visible_fraction=round(float(np.mean(fractions)), 4) if fractions else 0.0,
        brightness=round(float(np.mean(brightness)), 4) if brightness else 0.0,
    )


def markdown_table(rows: list[DatasetStats]) -> str:
    """The summary as a Markdown table, one row per dataset."""
    lines = [
        "| Dataset | Images | Instances | Instances / image | Mean visible fraction | Mean brightness |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.dataset} | {r.images} | {r.instances} | {r.instances_per_image:.2f} "
            f"| {r.visible_fraction:.3f} | {r.brightness:.3f} |"
        )
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class SweepRequest:
    """A sweep as the CLI states it: a base spec, the overrides, and the job settings shared by all."""

    spec: SceneSpec
    overrides: list[Override]
    n: int
    out: Path
    seed: int
    manifest: Manifest
    policy: LoadedPolicy
    device: str = "cpu"


def prepare_sweep(request: SweepRequest) -> list[tuple[PreparedJob, dict[str, object]]]:
    """Expand the overrides and check every job; writes nothing."""
    check_output_folder(request.out)
    variants = expand(request.spec, request.overrides)
    return [(job, v.settings) for job, v in zip(prepare_variants(variants, request), variants, strict=True)]


def prepare_variants(variants: list[Variant], request: SweepRequest) -> list[PreparedJob]:
    """One checked job per variant, into ``request.out / variant.label``, all under the same seed."""
    prepared = []
    for variant in variants:
        job = Job(
            name=variant.spec.name,
            items=tuple(WorkItem(i, variant.spec) for i in range(request.n)),
            manifest=request.manifest,
            seed=request.seed,
            out=request.out / variant.label,
            device=request.device,
            policy=request.policy,
        )
        prepared.append(prepare_job(job))
    return prepared


def run_sweep(
    prepared: list[tuple[PreparedJob, dict[str, object]]],
    out: Path,
    *,
    on_image: Callable[[], None] | None = None,
) -> list[DatasetStats]:
    """Render every dataset, then write ``sweep.md`` and ``sweep.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for job, settings in prepared:
        result = run_job(job, on_image=(lambda _: on_image()) if on_image else None)
        rows.append(dataset_stats(result.out, settings))
    (out / TABLE).write_text(markdown_table(rows))
    (out / RESULTS).write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return rows
