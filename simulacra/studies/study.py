"""Domain-randomization studies: which randomization axis helps a model on a fixed target, by how much.

Each axis is a spec field with an *off* and an *on* value (``--axis path=off,on``, the
``sweep`` syntax with exactly two values). The variants are ablation style: every axis
off (the base), every axis on, and with two or more axes every axis on but one. Each
variant's dataset is rendered with the same job seed (as a sweep's are), the utility
model is trained on it once per utility seed (:func:`evaluate_utility`) and scored on
one target: a dataset folder a user brings (any COCO folder with masks, e.g. real photos
converted to simulacra's layout) or a spec rendered once with a seed of its own.

Where the target is a spec, the *in-domain ceiling* is measured too: a model trained on
another dataset of the target's own look (third seed), scored on the same target. A
variant near the ceiling transfers almost as well as training on the target look itself;
a ceiling near zero says the model, not the randomization, is the limit.

Everything goes under one output folder: ``target/``, ``ceiling/``, ``datasets/<label>/``,
``study.json``, ``study.md`` (the table), ``study.png`` (the plot) and ``STUDY_CARD.md``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra.assets_manifest import LoadedPolicy, Manifest
from simulacra.dataset.layout import COCO_FILE
from simulacra.dataset.staging import check_output_folder
from simulacra.errors import EvaluationError, SpecError
from simulacra.evaluation.results import version_or_note
from simulacra.evaluation.utility import TASKS, UtilityResult, check_size, evaluate_utility, score_text
from simulacra.farm.options import FarmOptions
from simulacra.generate.pipeline import run_job
from simulacra.job import PreparedJob
from simulacra.scenes import SceneSpec
from simulacra.scenes.overrides import Override, Variant, parse_override, variant
from simulacra.studies.sweep import SweepRequest, prepare_variants
from simulacra.studies.tradeoff import TEST_SEED_OFFSET

RESULTS = "study.json"
TABLE = "study.md"
PLOT = "study.png"
CARD = "STUDY_CARD.md"
DATASETS = "datasets"
TARGET = "target"
CEILING = "ceiling"
BASE, ALL = "base", "all"


def parse_axis(option: str) -> Override:
    """``path=off,on`` -> an :class:`Override` with exactly those two values.

    Raises:
        SpecError: not ``path=value,value`` (names the option and the expected form).
    """
    axis = parse_override(option)
    if len(axis.values) != 2:
        raise SpecError(
            f"--axis {option}: expected path=off,on (two values), e.g. lights.count_range=[1, 1],[1, 4]"
        )
    return axis


def ablation(spec: SceneSpec, axes: list[Override]) -> list[Variant]:
    """The base (all off), all on, and with two or more axes all on minus each one, validated."""
    if not axes:
        raise SpecError("study: give at least one --axis path=off,on")
    paths = [axis.path for axis in axes]
    if len(set(paths)) != len(paths):
        raise SpecError(f"--axis: a path is given twice ({', '.join(paths)})")

    def chosen(on: set[str]) -> dict[str, tuple[str, object]]:
        side = {axis.path: 1 if axis.path in on else 0 for axis in axes}
        return {a.path: (a.texts[side[a.path]], a.values[side[a.path]]) for a in axes}

    every = set(paths)
    variants = [
        variant(spec, BASE, chosen(set()), option="--axis"),
        variant(spec, ALL, chosen(every), option="--axis"),
    ]
    if len(axes) > 1:
        variants += [variant(spec, f"all-{p}", chosen(every - {p}), option="--axis") for p in paths]
    return variants


@dataclass(frozen=True)
class StudyRequest:
    """A study as the CLI states it.

    ``target`` is a dataset folder (holding ``annotations/coco.json``) or a spec; a spec
    target is rendered with ``target_n`` images and gives the in-domain ceiling.
    """

    spec: SceneSpec
    axes: list[Override]
    target: Path | SceneSpec
    out: Path
    manifest: Manifest
    policy: LoadedPolicy
    n: int = 100
    target_n: int = 40
    seed: int = 0
    task: str = "segmentation"
    steps: int | None = None
    utility_seeds: tuple[int, ...] = (0, 1, 2)
    size: int = 128
    device: str = "auto"
    threads: int | None = None
    farm: FarmOptions | None = None


@dataclass(frozen=True)
class StudyRow:
    """One variant: the values its axes took, its dataset, and the scores of its models."""

    label: str
    settings: dict[str, object]
    dataset: Path
    images: int
    utility: UtilityResult

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "settings": self.settings,
            "dataset": str(self.dataset),
            "dataset_version": version_or_note(self.dataset),
            "images": self.images,
            "utility": self.utility.to_json(),
        }


@dataclass(frozen=True)
class StudyResult:
    """The whole study: one row per variant, the target, the ceiling where measured."""

    spec: str
    axes: tuple[str, ...]
    target: Path
    target_images: int
    rows: tuple[StudyRow, ...]
    ceiling: UtilityResult | None
    ceiling_images: int
    seconds: float

    @property
    def metric(self) -> str:
        return self.rows[0].utility.metric

    def to_json(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "axes": list(self.axes),
            "target": str(self.target),
            "target_version": version_or_note(self.target),
            "target_images": self.target_images,
            "metric": self.metric,
            "ceiling": self.ceiling.to_json() if self.ceiling else None,
            "seconds": round(self.seconds, 1),
            "rows": [row.to_json() for row in self.rows],
        }

    def markdown(self) -> str:
        """The table: score per variant with its 95% CI, its gap to all-on, and the ceiling."""
        first = self.rows[0].utility
        every = next(row for row in self.rows if row.label == ALL).utility
        lines = [
            f"Domain-randomization study of `{self.spec}` on target `{self.target}` "
            f"({self.target_images} images): {first.metric} of a model trained on each variant "
            f"({first.steps} steps, {len(first.runs)} seeds, {first.size} px, {first.device}). "
            f"Whole study {self.seconds:.0f} s.",
            "",
            f"| Variant | Images | {first.metric} (95% CI) | vs all on | Separated from all on |",
            "|---|---|---|---|---|",
        ]
        for row in self.rows:
            gap = row.utility.mean - every.mean
            lines.append(
                f"| {row.label} | {row.images} | {score_text(row.utility)} | {gap:+.3f} "
                f"| {'-' if row.label == ALL else _separated(row.utility, every)} |"
            )
        ceiling = (
            f"{score_text(self.ceiling)}, a model trained on {self.ceiling_images} other images of the "
            "target's own look"
            if self.ceiling
            else "not measured (the target is a dataset folder, not a spec)"
        )
        lines += ["", f"In-domain ceiling: {ceiling}."]
        return "\n".join(lines) + "\n"


def _separated(result: UtilityResult, other: UtilityResult) -> str:
    """Whether the two 95% intervals are disjoint (``yes``), overlap (``no``), or are missing."""
    a, b = result.interval, other.interval
    if a is None or b is None:
        return "- (one seed)"
    return "yes" if a[1] < b[0] or b[1] < a[0] else "no"


def run_study(request: StudyRequest, progress: Callable[[str], None] | None = None) -> StudyResult:
    """Render every variant (and a spec target), train and score their models; write the outputs.

    Every job is checked before the first renders, so bad input writes nothing.

    Raises:
        EvaluationError: a task, size or count that cannot be used.
        SimulacraError: a subclass naming the spec field, asset or folder at fault.
    """
    say = progress or (lambda line: None)
    _check(request)
    check_output_folder(request.out)
    started = time.perf_counter()
    variants = ablation(request.spec, request.axes)
    jobs = prepare_variants(
        variants, _sweep(request, request.out / DATASETS, request.spec, request.n, request.seed)
    )
    if isinstance(request.target, Path):
        _check_target_categories(request.target, jobs)
    own_look = [] if isinstance(request.target, Path) else _own_look(request, request.target)
    for prepared in own_look:  # target, then ceiling
        say(f"rendering {len(prepared.job.items)} images of the target look into {prepared.job.out}")
        run_job(prepared, request.farm)
    target = request.out / TARGET if own_look else request.target
    ceiling = _train(request, own_look[1].job.out, target) if own_look else None
    if ceiling is not None:
        say(f"in-domain ceiling: {ceiling.metric} {score_text(ceiling)}")
    rows = []
    for number, (prepared, chosen) in enumerate(zip(jobs, variants, strict=True), 1):
        say(f"{chosen.label} ({number}/{len(jobs)}): rendering {request.n} images into {prepared.job.out}")
        rendered = run_job(prepared, request.farm)
        utility = _train(request, prepared.job.out, target)
        say(f"{chosen.label}: {utility.metric} {score_text(utility)}")
        rows.append(StudyRow(chosen.label, chosen.settings, prepared.job.out, rendered.written, utility))
    result = StudyResult(
        spec=request.spec.name,
        axes=tuple(f"{a.path}={a.texts[0]}|{a.texts[1]}" for a in request.axes),
        target=target,
        target_images=_images(target),
        rows=tuple(rows),
        ceiling=ceiling,
        ceiling_images=request.n if own_look else 0,
        seconds=time.perf_counter() - started,
    )
    write_outputs(result, request.out)
    return result


def _check(request: StudyRequest) -> None:
    """Refuse a study that could not run to the end, before anything is rendered."""
    if request.task not in TASKS:
        raise EvaluationError(f"--task {request.task}: expected one of {', '.join(TASKS)}")
    if min(request.n, request.target_n, len(request.utility_seeds)) < 1:
        raise EvaluationError(
            f"-n {request.n}, --target-n {request.target_n}, --utility-seeds {len(request.utility_seeds)}: "
            "each must be 1 or more"
        )
    check_size(request.size)
    if isinstance(request.target, Path) and not (request.target / COCO_FILE).is_file():
        raise EvaluationError(f"--target {request.target}: no {COCO_FILE} (a dataset folder, or give a spec)")


def _check_target_categories(target: Path, jobs: list[PreparedJob]) -> None:
    """A dataset target labels only categories every variant's datasets list: checked before rendering.

    The models train on a variant's classes and are scored on the target's, by name.
    """
    from simulacra.dataset.reader import read_coco

    wanted = {c["name"] for c in read_coco(target)["categories"]}
    for prepared in jobs:
        unknown = sorted(wanted - set(prepared.job.categories()))
        if unknown:
            raise EvaluationError(
                f"{target / COCO_FILE}: categories {', '.join(unknown)} are not in the training set "
                f"of {prepared.job.out.name}"
            )


def _sweep(request: StudyRequest, out: Path, spec: SceneSpec, n: int, seed: int) -> SweepRequest:
    return SweepRequest(spec, [], n, out, seed, request.manifest, request.policy)


def _own_look(request: StudyRequest, spec: SceneSpec) -> list[PreparedJob]:
    """The target (seed + offset) and the ceiling's training set (seed + twice the offset), checked."""
    looks = [Variant(TARGET, {}, spec), Variant(CEILING, {}, spec)]
    seeds = (request.seed + TEST_SEED_OFFSET, request.seed + 2 * TEST_SEED_OFFSET)
    counts = (request.target_n, request.n)
    return [
        prepare_variants([look], _sweep(request, request.out, spec, count, seed))[0]
        for look, count, seed in zip(looks, counts, seeds, strict=True)
    ]


def _train(request: StudyRequest, train: Path, target: Path) -> UtilityResult:
    return evaluate_utility(
        train,
        target,
        task=request.task,
        steps=request.steps,
        seeds=request.utility_seeds,
        size=request.size,
        device=request.device,
        threads=request.threads,
    )


def _images(folder: Path) -> int:
    from simulacra.dataset.reader import read_coco

    return len(read_coco(folder)["images"])


def write_outputs(result: StudyResult, out: Path) -> None:
    """``study.json``, ``study.md``, ``study.png`` and ``STUDY_CARD.md`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS).write_text(json.dumps(result.to_json(), indent=2) + "\n")
    (out / TABLE).write_text(result.markdown())
    plot(result, out / PLOT)
    (out / CARD).write_text(card(result))


def card(result: StudyResult) -> str:
    """What a reader needs to trust the table: what varied, what stayed fixed, where the data is."""
    first = result.rows[0].utility
    lines = [
        f"# Study card: `{result.spec}`",
        "",
        "## What was compared",
        *(f"- axis `{axis}` (off|on)" for axis in result.axes),
        f"- variants: {', '.join(row.label for row in result.rows)} (ablation: all on minus one axis)",
        f"- every variant rendered with the same job seed, {result.rows[0].images} images each",
        "",
        "## How it was scored",
        f"- target: `{result.target}` ({version_or_note(result.target)}), {result.target_images} images",
        f"- model: the utility {first.task} model trained from scratch, {first.steps} steps, "
        f"{len(first.runs)} seeds, {first.size} px, {first.device}; {first.metric} with t-based 95% CIs",
        f"- in-domain ceiling: {score_text(result.ceiling) if result.ceiling else 'not measured'}",
        "",
        "## Datasets",
        *(f"- {row.label}: `{row.dataset}` ({version_or_note(row.dataset)})" for row in result.rows),
        "",
        "## Reading it",
        "- Two variants differ only where their 95% intervals are disjoint (column *Separated*);",
        "  overlapping intervals mean this study cannot rank them: add images or seeds.",
        "- Each dataset's own DATASET_CARD.md lists the licenses and attributions it owes.",
        "",
        result.markdown(),
    ]
    return "\n".join(lines)


def plot(result: StudyResult, path: Path) -> Path:
    """One bar per variant (mean over seeds, 95% CI), the in-domain ceiling as a dashed line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 0.9 + 0.5 * len(result.rows)))
    means = [row.utility.mean for row in result.rows]
    errors = [
        [m - (r.utility.interval or (m, m))[0] for m, r in zip(means, result.rows, strict=True)],
        [(r.utility.interval or (m, m))[1] - m for m, r in zip(means, result.rows, strict=True)],
    ]
    positions = list(range(len(result.rows)))[::-1]
    axis.barh(positions, means, xerr=errors, color="tab:blue", alpha=0.8, capsize=3)
    axis.set_yticks(positions, [row.label for row in result.rows], fontsize=8)
    highs = [(row.utility.interval or (m, m))[1] for m, row in zip(means, result.rows, strict=True)]
    if result.ceiling is not None:
        low, high = result.ceiling.interval or (result.ceiling.mean, result.ceiling.mean)
        axis.axvspan(low, high, color="tab:red", alpha=0.12)
        axis.axvline(result.ceiling.mean, color="tab:red", linestyle="--", label="in-domain ceiling (95% CI)")
        axis.legend(fontsize=8, loc="lower right")
        highs.append(high)
    axis.set_xlim(0.0, min(1.0, max(highs)) * 1.1 + 0.01)
    axis.set_xlabel(f"{result.metric} on the target (95% CI over seeds)")
    axis.set_title(f"Domain-randomization study: {result.spec}", fontsize=10)
    axis.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
