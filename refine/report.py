"""``refine apply`` with its report: which weights refined what, and what that did.

Why a report beside the images: a reviewer signing off a refined set needs, in one
file, the weights' hash and the measures of :mod:`simulacra.refine.measures` on these
very outputs — labels kept (edges inside and around the instance masks), realism
against real photos, and the auditor's verdicts (a refiner can memorise). The report
is written into the staged output, so it appears together with the images or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.assets_manifest import sha256_of
from simulacra.audit import ReferenceIndex, ShardedIndex, load_index, read_image
from simulacra.errors import AssetError, RefineError
from simulacra.refine.apply import apply_folder
from simulacra.refine.imageset import image_files
from simulacra.refine.measures import (
    BAND,
    edge_agreement,
    memorization,
    realism_accuracy,
    summarize_agreement,
)
from simulacra.refine.refiner import Refiner, weights_path
from simulacra.refine.renders import RenderFolder, locate_renders, read_mask
from simulacra.refine.report_markdown import render_markdown

REPORT_JSON = "refine_report.json"
REPORT_MD = "REFINE_REPORT.md"
FORMAT = "simulacra-refine-report"
REALISM_SEED = 0
REALISM_FOLDS = 4
REALISM_MAX_IMAGES = 64  # per side, evenly spread: bounds memory on large folders

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReportInputs:
    """What the report measures against; each None skips its measure.

    Attributes:
        masks: instance masks (``<stem>_instance.png``); found by itself in a dataset folder.
        real: real photos for the realism measure.
        index: a saved reference index for the memorization measure.
    """

    masks: Path | None = None
    real: Path | None = None
    index: Path | None = None


def refine_with_report(
    model: Path,
    refiner: Refiner,
    directory: Path,
    out: Path,
    inputs: ReportInputs = ReportInputs(),
    *,
    progress: Progress | None = None,
    measuring: Progress | None = None,
) -> dict[str, Any]:
    """Refine the renders of ``directory`` into ``out`` and write the report there; return it.

    Every input is checked before anything is refined; a failure later (a corrupt mask)
    leaves no ``out``.

    Raises:
        RefineError: bad renders, masks or real folder, or ``out`` exists.
        ReferenceIndexError: ``inputs.index`` is not a readable reference index.
    """
    if out.exists():
        raise RefineError(f"output folder {out} already exists; refined images go to a new folder")
    folder = locate_renders(directory, inputs.masks)
    real = _real_files(inputs.real, len(folder.files))
    index = load_index(inputs.index) if inputs.index is not None else None
    report: dict[str, Any] = {
        "format": FORMAT,
        "format_version": 1,
        "model": _model_facts(model, refiner),
        "renders": str(folder.images),
        "images_refined": len(folder.files),
    }

    def finish(staging: Path) -> None:
        ticks = _Ticks(measuring, len(folder.files) * sum(x is not None for x in (folder.masks, real, index)))
        report["labels"] = _labels(folder, staging, ticks) if folder.masks else None
        report["realism"] = _realism(folder, staging, real, inputs.real, ticks) if real else None
        report["memorization"] = _memorization(folder, staging, index, inputs.index, ticks) if index else None
        (staging / REPORT_JSON).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (staging / REPORT_MD).write_text(render_markdown(report), encoding="utf-8")

    apply_folder(refiner, folder.images, out, progress=progress, finish=finish)
    return report


class _Ticks:
    """Advances one progress bar over all the measures' images."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, count: int = 1) -> None:
        self.done += count
        if self.progress:
            self.progress(self.done, self.total)


def _read(path: Path) -> np.ndarray:
    try:
        return read_image(path)[0]
    except AssetError as exc:
        raise RefineError(str(exc)) from exc


def _spread(items: list | tuple, limit: int) -> list:
    """At most ``limit`` items, evenly spread (deterministic, no RNG needed)."""
    if len(items) <= limit:
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, limit).round().astype(int)]


def _real_files(real: Path | None, renders: int) -> list[Path] | None:
    if real is None:
        return None
    files = image_files(real)
    if min(len(files), renders) < REALISM_FOLDS:
        raise RefineError(
            f"--real: realism needs at least {REALISM_FOLDS} images on each side, got {renders} renders "
            f"and {len(files)} real images in {real}"
        )
    return files


def _model_facts(model: Path, refiner: Refiner) -> dict[str, Any]:
    weights = weights_path(model)
    manifest = weights.parent / "manifest.json"  # the bundled model's asset record names its id
    model_id = None
    if manifest.is_file():
        try:
            model_id = json.loads(manifest.read_text(encoding="utf-8")).get("id")
        except (ValueError, AttributeError, OSError):
            model_id = None
    privacy = refiner.card.get("privacy") or {}
    return {
        "path": str(model),
        "id": model_id if isinstance(model_id, str) else None,
        "weights_sha256": sha256_of(weights),
        "training_steps": refiner.card.get("steps"),
        "dp_epsilon": privacy.get("epsilon"),
    }


def _labels(folder: RenderFolder, staging: Path, tick: _Ticks) -> dict[str, Any]:
    names, per_image = [], []
    for render_path in folder.files:
        name = folder.output_name(render_path)
        render, refined = _read(render_path), _read(staging / name)
        mask = read_mask(folder.mask_path(render_path), render.shape[:2])
        per_image.append(edge_agreement(render, refined, mask))
        names.append(name)
        tick()
    rounded = [{k: None if v is None else round(v, 4) for k, v in a.items()} for a in per_image]
    return {
        "masks": str(folder.masks),
        "measure": f"F1 of Canny edges, render vs refined, inside instance masks and in a {BAND} px "
        "band around their outlines (1.0 = untouched); images without edges there are skipped",
        **summarize_agreement(per_image, names),
        "per_image": [{"file": n, **a} for n, a in zip(names, rounded, strict=True)],
    }


def _realism(
    folder: RenderFolder, staging: Path, real: list[Path], real_dir: Path | None, tick: _Ticks
) -> dict[str, Any]:
    picked = _spread(folder.files, REALISM_MAX_IMAGES)
    references = [_read(p) for p in _spread(real, REALISM_MAX_IMAGES)]
    raw = [_read(p) for p in picked]
    refined = [_read(staging / folder.output_name(p)) for p in picked]
    result = {
        "real": str(real_dir),
        "renders_measured": len(picked),
        "real_measured": len(references),
        "seed": REALISM_SEED,
        "raw": round(realism_accuracy(raw, references, seed=REALISM_SEED, folds=REALISM_FOLDS), 4),
        "refined": round(realism_accuracy(refined, references, seed=REALISM_SEED, folds=REALISM_FOLDS), 4),
        "ideal": 0.5,
    }
    tick(len(folder.files))
    return result


def _memorization(
    folder: RenderFolder,
    staging: Path,
    index: ReferenceIndex | ShardedIndex,
    index_dir: Path | None,
    tick: _Ticks,
) -> dict[str, Any]:
    names = [folder.output_name(p) for p in folder.files]

    def refined():
        for name in names:
            yield _read(staging / name)
            tick()

    verdicts = memorization(refined(), index, names)
    rejects = [
        {"file": v.file, "reference": v.reference, "signal": v.signal, "score": v.score}
        for v in verdicts
        if v.verdict == "reject"
    ]
    return {"index": str(index_dir), "audited": len(verdicts), "rejected": len(rejects), "rejects": rejects}
