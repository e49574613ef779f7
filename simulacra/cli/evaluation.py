"""``simulacra stats``, ``simulacra eval utility|coverage|tradeoff`` and ``simulacra compare``.

A thin edge over :mod:`simulacra.evaluation`; torch, matplotlib and scikit-image load
inside the commands only, so ``simulacra --help`` stays fast.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simulacra.cli.console import err, progress_bars

evaluation_app = typer.Typer()  # top-level commands: stats, compare
eval_app = typer.Typer(no_args_is_help=True, help="Evaluate datasets: downstream utility, coverage.")

STATS_DIR = "stats"
STATS_FILE = "stats.json"


@evaluation_app.command("stats")
def stats_command(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder written by generate.")],
    plots: Annotated[bool, typer.Option(help="Write PNG plots and stats.json into DATASET/stats/.")] = True,
) -> None:
    """Print what a dataset holds (counts, sizes, visibility, coverage, lights, camera, licenses)."""
    from simulacra.dataset.stats import dataset_statistics
    from simulacra.evaluation.plots import save_plots
    from simulacra.evaluation.results import version_or_note

    stats = dataset_statistics(dataset)
    table = Table(title=f"{dataset} ({version_or_note(dataset)})")
    table.add_column("Statistic")
    table.add_column("Value", overflow="fold")
    for name, value in stats.summary_rows():
        table.add_row(name, value)
    Console().print(table)
    if plots:
        folder = dataset / STATS_DIR
        written = save_plots(stats, folder)
        (folder / STATS_FILE).write_text(json.dumps(stats.to_json(), indent=2) + "\n")
        err.print(f"wrote {len(written)} plots and {STATS_FILE} to {folder}")


Task = Enum("Task", {name: name for name in ("segmentation", "detection")}, type=str)
TorchDevice = Enum("TorchDevice", {name: name for name in ("auto", "cpu", "cuda")}, type=str)

# Options of the commands that train utility models per dataset (eval tradeoff, study).
TrainSteps = Annotated[
    int | None, typer.Option(min=1, help="Optimizer steps per model (default: the evaluator's).")
]
TrainSize = Annotated[int, typer.Option(min=16, max=1024, help="Square side images are resized to.")]
TrainDevice = Annotated[TorchDevice, typer.Option(help="torch device for training (rendering: CPU).")]
TrainThreads = Annotated[int, typer.Option(min=0, help="torch CPU threads; 0: every core.")]


@eval_app.command("utility")
def utility_command(
    train: Annotated[Path, typer.Option(help="Dataset to train on (simulacra dataset folder).")],
    test: Annotated[Path, typer.Option(help="Dataset to score on (same categories, by name).")],
    task: Annotated[Task, typer.Option(help="segmentation (mIoU per class) or detection (mAP@0.5).")] = (
        Task.segmentation
    ),
    steps: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Optimizer steps per seed (batches of 4, one-cycle schedule; default: the evaluator's, "
            "saved with the result). 100 steps learnt nothing; BENCHMARKS.md has the in-domain ceiling.",
        ),
    ] = None,
    seeds: Annotated[int, typer.Option(min=1, help="Models trained (seeds 0..N-1); 2+ give a 95% CI.")] = 3,
    size: Annotated[int, typer.Option(min=16, max=1024, help="Square side images are resized to.")] = 128,
    device: Annotated[TorchDevice, typer.Option(help="torch device; auto takes CUDA when present.")] = (
        TorchDevice.auto
    ),
    threads: Annotated[
        int,
        typer.Option(
            min=0,
            help="torch CPU threads; 0: every core this process may use. 1 by default: on our 2-core "
            "machine, shared with other work, 3 seeds took 58 s on 1 thread and over 10 min on 2.",
        ),
    ] = 1,
    save: Annotated[
        bool, typer.Option(help="Save the result into TRAIN/eval/utility.json for `simulacra compare`.")
    ] = True,
) -> None:
    """Train a small model from scratch on TRAIN, report how well it does on TEST."""
    import os

    from simulacra.dataset.layout import UTILITY_FILE
    from simulacra.evaluation.results import save_result
    from simulacra.evaluation.utility import evaluate_utility

    with progress_bars("training", transient=True) as (update,):
        result = evaluate_utility(
            train,
            test,
            task=task.value,
            steps=steps,
            seeds=tuple(range(seeds)),
            size=size,
            device=device.value,
            threads=threads or len(os.sched_getaffinity(0)),
            progress=update,
        )
    table = Table(title=f"{result.metric}: trained on {train}, tested on {test} ({result.device}, {size} px)")
    table.add_column("Class")
    for run in result.runs:
        table.add_column(f"seed {run.seed}", justify="right")
    table.add_column("mean", justify="right")
    for name, mean in result.per_class_mean().items():
        table.add_row(name, *(_score(run.per_class.get(name)) for run in result.runs), _score(mean))
    if task is Task.segmentation:
        for label, attribute in (("(background)", "background_iou"), ("(any object)", "object_iou")):
            values = [getattr(run, attribute) or 0.0 for run in result.runs]
            table.add_row(label, *map(_score, values), _score(sum(values) / len(values)))
    table.add_row(
        result.metric, *(_score(run.score) for run in result.runs), _score(result.mean), style="bold"
    )
    Console().print(table)
    interval = result.interval
    ci = f", 95% CI {interval[0]:.3f}-{interval[1]:.3f}" if interval else " (one seed: no CI)"
    seconds = sum(run.train_seconds for run in result.runs)
    err.print(f"{result.metric} {result.mean:.3f}{ci} over {seeds} seeds; training took {seconds:.1f} s")
    if save:
        path = save_result(train, UTILITY_FILE, task.value, {**result.to_json(), **_versions(train, test)})
        err.print(f"saved to {path}")


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _versions(train: Path, test: Path) -> dict:
    from simulacra.evaluation.results import version_or_note

    return {"train_version": version_or_note(train), "test_version": version_or_note(test)}


@evaluation_app.command("compare")
def compare_command(
    datasets: Annotated[list[Path], typer.Argument(help="Dataset folders, oldest iteration first.")],
) -> None:
    """Statistics, leakage, coverage and utility of several datasets side by side."""
    from simulacra.evaluation.compare import comparison

    table = Table(title="simulacra compare")
    table.add_column("Metric")
    for dataset in datasets:
        table.add_column(dataset.name, justify="right", overflow="fold")
    for name, values in comparison(datasets):
        table.add_row(name, *values)
    Console().print(table)


@eval_app.command("coverage")
def coverage_command(
    synthetic: Annotated[Path, typer.Option(help="Dataset folder written by generate.")],
    reference: Annotated[Path, typer.Option(help="Folder of real (or reference) images to compare with.")],
    k: Annotated[int, typer.Option(min=1, help="Neighbours defining each reference image's ball.")] = 5,
    index: Annotated[
        Path | None, typer.Option(help="Reference index the dataset was audited against (for the DCR share).")
    ] = None,
    holdout: Annotated[
        Path | None, typer.Option(help="Real images NOT in --index: with it, the auditor's DCR share.")
    ] = None,
    save: Annotated[
        bool, typer.Option(help="Save the result into SYNTHETIC/eval/coverage.json for `simulacra compare`.")
    ] = True,
) -> None:
    """Density and coverage (Naeem et al. 2020) of a dataset against reference images; DCR share."""
    import dataclasses

    from simulacra.dataset.layout import COVERAGE_FILE
    from simulacra.errors import UsageError
    from simulacra.evaluation.coverage import evaluate_coverage
    from simulacra.evaluation.dcr import dataset_dcr
    from simulacra.evaluation.results import save_result

    if (index is None) != (holdout is None):
        raise UsageError("--index and --holdout go together: the DCR share compares the two")
    share = dataset_dcr(synthetic, index, holdout) if index is not None and holdout is not None else None
    dcr = share.to_dict() if share is not None else None
    with progress_bars("describing", transient=True) as (update,):
        result = evaluate_coverage(synthetic, reference, k=k, progress=update)
    result = dataclasses.replace(result, dcr=dcr)
    table = Table(title=f"{synthetic} against {reference} (k = {k})")
    table.add_column("Metric")
    table.add_column("Value", justify="right")
    table.add_row("Synthetic images", str(result.synthetic_images))
    table.add_row("Reference images", f"{result.reference_images} ({result.reference_skipped} unreadable)")
    table.add_row("Density (1 = like the reference)", f"{result.density:.3f}")
    table.add_row("Coverage (share of reference reached)", f"{result.coverage:.3f}")
    if dcr is not None:
        share = dcr["share"]
        low, high = share["wilson95"]
        table.add_row("DCR share (0.5 ideal; Wilson 95%)", f"{share['rate']:.3f} [{low:.3f}, {high:.3f}]")
    Console().print(table)
    if dcr is not None:
        err.print(dcr["reading"], highlight=False)
    else:
        err.print("DCR share not computed: give --index and --holdout (real images not in the index)")
    if save:
        path = save_result(synthetic, COVERAGE_FILE, str(reference.resolve()), result.to_json())
        err.print(f"saved to {path}")


@eval_app.command("tradeoff")
def tradeoff_command(
    spec: Annotated[Path, typer.Argument(help="Scene spec YAML, or a preset name such as 'tabletop'.")],
    strengths: Annotated[str, typer.Option(help="Privacy strengths in [0, 1], one dataset each: 0,0.5,1.")],
    index: Annotated[Path, typer.Option(help="Reference index every render is audited against.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Study folder (must not exist yet).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Images per strength.")] = 24,
    test_n: Annotated[int, typer.Option(min=1, help="Images of the unperturbed (strength 0) test set.")] = 16,
    manifest: Annotated[Path | None, typer.Option(help="Asset manifest (default: built-in library).")] = None,
    policy: Annotated[Path | None, typer.Option(help="License policy JSON (default: built-in).")] = None,
    seed: Annotated[int, typer.Option(min=0, help="Job seed of every strength's dataset.")] = 0,
    steps: TrainSteps = None,
    utility_seeds: Annotated[int, typer.Option(min=1, help="Models per strength; 2+ give a 95% CI.")] = 3,
    size: TrainSize = 128,
    device: TrainDevice = TorchDevice.auto,
    threads: TrainThreads = 0,
) -> None:
    """Leak rate against segmentation mIoU, one dataset per privacy strength (table, JSON, PNG)."""
    import os

    from simulacra.assets_manifest import builtin_manifest, load_manifest, load_policy
    from simulacra.scenes import load_spec
    from simulacra.studies.tradeoff import PLOT, TABLE, parse_strengths, run_tradeoff

    values = parse_strengths(strengths)  # before the spec and manifest load: the cheapest check first
    result = run_tradeoff(
        load_spec(spec),
        load_manifest(manifest) if manifest else builtin_manifest(),
        index,
        values,
        n=n,
        test_n=test_n,
        seed=seed,
        out=out,
        steps=steps,
        utility_seeds=tuple(range(utility_seeds)),
        size=size,
        device=device.value,
        threads=threads or len(os.sched_getaffinity(0)),
        policy=load_policy(policy),
        progress=lambda line: err.print(line, highlight=False, soft_wrap=True),
    )
    table = Table(title=f"privacy-utility trade-off: {result.spec} ({result.seconds:.0f} s)")
    for column in ("Strength", "Images", "Leak rate [95%]", "Photo scenes", result.metric):
        table.add_column(column, justify="right")
    for point in result.points:
        leak, photo, utility = point.leak, point.photo_leak, point.utility
        interval = utility.interval
        table.add_row(
            f"{point.strength:g}",
            str(point.images),
            f"{leak.rate:.3f} [{leak.low:.3f}, {leak.high:.3f}]",
            f"{photo.hits:g}/{photo.trials} leaked",
            f"{utility.mean:.3f}" + (f" [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else ""),
        )
    Console().print(table)
    err.print(f"wrote {out / TABLE}, {out / PLOT} and the datasets under {out}")
