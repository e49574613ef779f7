"""``simulacra refine``: train a refiner on renders and real images, apply it to a folder.

A thin edge over :mod:`simulacra.refine`; torch is imported inside the commands only,
so ``simulacra --help`` stays fast.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from simulacra.cli.console import err, progress_bars

refine_app = typer.Typer(no_args_is_help=True, help="Train and apply a neural sim-to-real refiner.")

TorchDevice = Enum("TorchDevice", {name: name for name in ("auto", "cpu", "cuda")}, type=str)
DeviceOption = Annotated[TorchDevice, typer.Option(help="torch device; auto takes CUDA when present.")]


@refine_app.command("train")
def train_command(
    synthetic: Annotated[Path, typer.Option(help="Folder of rendered images (the synthetic domain).")],
    real: Annotated[Path, typer.Option(help="Folder of real target-domain images (unlabeled).")],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Model folder; rerun to resume from its checkpoint.")
    ],
    steps: Annotated[int, typer.Option(min=1, help="Training steps.")] = 500,
    size: Annotated[int, typer.Option(min=16, max=1024, help="Training crop side in pixels.")] = 64,
    batch: Annotated[int, typer.Option(min=1, max=256, help="Crops per step and domain.")] = 8,
    seed: Annotated[int, typer.Option(min=0, help="Seeds initialisation, crops and DP noise.")] = 0,
    self_regularization: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Weight of the L1 loss to the render (keeps labels valid); 1.5 and below drifted "
            "to strong colour casts in our 300-step runs, hence 2.0.",
        ),
    ] = 2.0,
    dp_epsilon: Annotated[
        float | None, typer.Option(min=0.0, help="Train the discriminator with DP-SGD to this epsilon.")
    ] = None,
    dp_delta: Annotated[float, typer.Option(min=0.0, max=1.0, help="Delta of the DP guarantee.")] = 1e-5,
    checkpoint_every: Annotated[int, typer.Option(min=1, help="Steps between resumable checkpoints.")] = 50,
    license: Annotated[str, typer.Option(help="SPDX license of the trained weights.")] = "NOASSERTION",
    device: DeviceOption = TorchDevice.auto,
) -> None:
    """Train a refiner (resumes when OUT holds an unfinished run of the same settings)."""
    from pydantic import ValidationError

    from simulacra.errors import RefineError
    from simulacra.refine import TrainSettings, train

    try:
        settings = TrainSettings(
            steps=steps,
            size=size,
            batch=batch,
            seed=seed,
            self_regularization=self_regularization,
            dp_epsilon=dp_epsilon,
            dp_delta=dp_delta,
            checkpoint_every=checkpoint_every,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RefineError(f"--{'-'.join(map(str, first['loc'])).replace('_', '-')}: {first['msg']}") from exc
    with progress_bars("training", transient=True) as (advance,):
        result = train(synthetic, real, out, settings, device=device.value, license=license, progress=advance)
    if result.already_trained:
        err.print(
            f"[green]already trained to {result.steps} steps[/green]; nothing to do, model and card in "
            f"{result.model} (train into a new folder to train again)"
        )
    else:
        if result.resumed_from:
            err.print(f"resumed from step {result.resumed_from}")
        err.print(f"[green]trained {result.steps} steps[/green]; model and card in {result.model}")
    if result.epsilon is not None:
        err.print(f"differential privacy: epsilon = {result.epsilon:.3f} at delta = {result.delta:g}")
    else:
        err.print("differential privacy: none (train with --dp-epsilon to bound what the real images leak)")


@refine_app.command("apply")
def apply_command(
    model: Annotated[Path, typer.Argument(help="Model folder (or its refiner.pt).")],
    directory: Annotated[
        Path, typer.Argument(help="Folder of rendered images, or a dataset folder (refines its images/).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="New folder for the refined images and report.")],
    masks: Annotated[
        Path | None,
        typer.Option(help="Instance masks (<name>_instance.png) for label preservation; found in a dataset."),
    ] = None,
    real: Annotated[
        Path | None, typer.Option(help="Real photos: report realism accuracy of raw vs refined.")
    ] = None,
    index: Annotated[
        Path | None, typer.Option(help="Reference index: audit the refined images (memorization).")
    ] = None,
    device: DeviceOption = TorchDevice.auto,
) -> None:
    """Refine every image of DIRECTORY into OUT (PNG, same names) with refine_report.json and
    REFINE_REPORT.md; exit 1 if --index rejects a refined image (like `simulacra audit`)."""
    from simulacra.refine import load_refiner
    from simulacra.refine.report import REPORT_MD, ReportInputs, refine_with_report

    refiner = load_refiner(model, device=device.value)
    inputs = ReportInputs(masks=masks, real=real, index=index)
    with progress_bars("refining", "measuring", transient=True) as (advance, measure):
        report = refine_with_report(
            model, refiner, directory, out, inputs, progress=advance, measuring=measure
        )
    err.print(
        f"[green]refined {report['images_refined']} images[/green] into {out}; report in {out / REPORT_MD}"
    )
    if report["labels"]:
        mean = report["labels"]["mean"]
        err.print(f"labels: mean edge F1 {mean['inside']} inside masks, {mean['boundary']} around them")
    if report["realism"]:
        err.print(f"realism accuracy: raw {report['realism']['raw']}, refined {report['realism']['refined']}")
    memo = report["memorization"]
    if memo is None:
        err.print("not audited: pass --index, or audit them with `simulacra audit`")
        return
    err.print(f"audit: {memo['rejected']} of {memo['audited']} refined images rejected")
    if memo["rejected"]:
        raise typer.Exit(1)
