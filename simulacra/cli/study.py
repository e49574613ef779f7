"""``simulacra study``: a domain-randomization study in one command (:mod:`simulacra.studies.study`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from simulacra.cli.console import err
from simulacra.cli.evaluation import Task, TorchDevice, TrainDevice, TrainSize, TrainSteps, TrainThreads

study_app = typer.Typer()  # top-level command


@study_app.command("study")
def study_command(
    spec: Annotated[Path, typer.Argument(help="Base scene spec YAML, or a preset name such as 'tabletop'.")],
    axes: Annotated[
        list[str],
        typer.Option(
            "--axis",
            help="path=off,on: a randomization axis (sweep's --set syntax, two values). Repeat: "
            "the variants are all off, all on, and all on minus each axis.",
        ),
    ],
    target: Annotated[
        str,
        typer.Option(help="Fixed target: a dataset folder (COCO with masks), or a spec / preset to render."),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Study folder (must not exist yet).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Images per variant (and for the ceiling).")] = 100,
    target_n: Annotated[int, typer.Option(min=1, help="Images of a spec target.")] = 40,
    seed: Annotated[int, typer.Option(min=0, help="Job seed of every variant's dataset.")] = 0,
    manifest: Annotated[Path | None, typer.Option(help="Asset manifest (default: built-in library).")] = None,
    task: Annotated[
        Task, typer.Option(help="segmentation (mIoU) or detection (mAP@0.5).")
    ] = Task.segmentation,
    steps: TrainSteps = None,
    utility_seeds: Annotated[int, typer.Option(min=1, help="Models per variant; 2+ give a 95% CI.")] = 3,
    size: TrainSize = 128,
    device: TrainDevice = TorchDevice.auto,
    threads: TrainThreads = 1,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Supervised Blender worker processes for every render.")
    ] = None,
) -> None:
    """Which randomization helps on a fixed target: one dataset per variant, models per seed, table + plot."""
    import os

    from simulacra.assets_manifest import builtin_manifest, load_manifest, load_policy
    from simulacra.evaluation.utility import score_text
    from simulacra.farm.options import FarmOptions
    from simulacra.scenes import load_spec
    from simulacra.studies.study import CARD, PLOT, TABLE, StudyRequest, parse_axis, run_study

    parsed = [parse_axis(option) for option in axes]  # the cheapest checks first
    folder = Path(target)
    request = StudyRequest(
        spec=load_spec(spec),
        axes=parsed,
        target=folder if folder.is_dir() else load_spec(folder),
        out=out,
        manifest=load_manifest(manifest) if manifest else builtin_manifest(),
        policy=load_policy(None),
        n=n,
        target_n=target_n,
        seed=seed,
        task=task.value,
        steps=steps,
        utility_seeds=tuple(range(utility_seeds)),
        size=size,
        device=device.value,
        threads=threads or len(os.sched_getaffinity(0)),
        farm=FarmOptions(workers=workers) if workers else None,
    )
    result = run_study(request, progress=lambda line: err.print(line, highlight=False, soft_wrap=True))
    table = Table(
        title=f"domain-randomization study: {result.spec} on {result.target} ({result.seconds:.0f} s)"
    )
    for column in ("Variant", "Images", f"{result.metric} [95% CI]"):
        table.add_column(column, justify="right")
    for row in result.rows:
        table.add_row(row.label, str(row.images), score_text(row.utility))
    if result.ceiling is not None:
        table.add_row(
            "(in-domain ceiling)", str(result.ceiling_images), score_text(result.ceiling), style="bold"
        )
    Console().print(table)
    err.print(f"wrote {out / TABLE}, {out / PLOT}, {out / CARD} and the datasets under {out}")
