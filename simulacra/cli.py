"""The ``simulacra`` command line: a thin edge over the pipeline and the stages.

Each expected failure is a :class:`SimulacraError` subclass and becomes one red line on
stderr with exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import itertools
import logging
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.logging import RichHandler

from simulacra.assets_cli import assets_app, schema_app
from simulacra.audit_cli import audit_app, index_app
from simulacra.console import err, progress_bars
from simulacra.errors import SimulacraError
from simulacra.refine_cli import refine_app
from simulacra.render.devices import DEVICE_CHOICES
from simulacra.scenes_cli import scenes_app

if TYPE_CHECKING:
    from simulacra.pipeline import Job

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Privacy-aware procedural scene synthesis: render, label, audit.",
)
app.add_typer(index_app, name="index")
app.add_typer(audit_app, name="audit")
app.add_typer(assets_app, name="assets")
app.add_typer(schema_app, name="schema")
app.add_typer(refine_app, name="refine")
app.registered_commands += scenes_app.registered_commands  # rerender, sweep: top-level

Device = Enum("Device", {name: name for name in DEVICE_CHOICES}, type=str)
DeviceOption = Annotated[Device, typer.Option(help="Cycles device; auto takes a GPU if Cycles finds one.")]


@app.callback()
def _configure(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="-v info, -vv debug")] = 0,
):
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(
        level=level, format="%(message)s", handlers=[RichHandler(console=err, show_path=False)]
    )


@app.command()
def generate(
    spec: Annotated[Path, typer.Argument(help="Scene spec YAML, or a preset name such as 'tabletop'.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output dataset folder (must not exist yet).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Number of images.")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Job seed; image seeds derive from it.")] = 0,
    index: Annotated[Path | None, typer.Option(help="Reference index: audit every image against it.")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Asset manifest (default: built-in library).")] = None,
    device: DeviceOption = Device.cpu,
    max_attempts: Annotated[int, typer.Option(min=1, help="Renders per image before it is dropped.")] = 3,
    purpose: Annotated[
        str, typer.Option(help="What the dataset is for: research, commercial, ...")
    ] = "research",
    policy: Annotated[Path | None, typer.Option(help="License policy JSON (default: built-in).")] = None,
    refine: Annotated[
        Path | None, typer.Option(help="Refiner model folder: every render is refined, then audited.")
    ] = None,
) -> None:
    """Render a labeled dataset from a scene spec, sampling only what the license policy admits."""
    from simulacra.assets_manifest import builtin_manifest, load_manifest, load_policy
    from simulacra.pipeline import Job, WorkItem
    from simulacra.scenes import load_spec

    scene = load_spec(spec)
    assets = load_manifest(manifest) if manifest else builtin_manifest()
    job = Job(
        name=scene.name,
        items=tuple(WorkItem(i, scene) for i in range(n)),
        manifest=assets,
        seed=seed,
        out=out,
        index_path=index,
        device=device.value,
        max_attempts=max_attempts,
        purpose=purpose,
        policy=load_policy(policy),
        refine=refine,
    )
    _render(job)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Demo workspace folder.")] = Path("demo_output"),
    n: Annotated[int, typer.Option("-n", min=2, help="Number of images.")] = 24,
    device: DeviceOption = Device.cpu,
    refine: Annotated[bool, typer.Option(help="Refine renders with the bundled refiner.")] = True,
) -> None:
    """Built-in end-to-end run: references -> index -> renders with one planted leak -> refine -> audit."""
    from simulacra.demo import prepare_demo

    job = prepare_demo(out, n=n, device=device.value, refine=refine)
    _render(job)
    err.print(f"reference index: {job.index_path}  (descriptors only, no images)")


def _render(job: Job) -> None:
    """Check the job, render it under a progress bar, and say where everything went."""
    from simulacra.pipeline import prepare_job, run_job

    prepared = prepare_job(job)
    admission = prepared.admission
    err.print(
        f"policy {admission.policy.name}, purpose {admission.purpose}: "
        f"{len(admission.excluded)} of {len(job.manifest.assets)} assets excluded"
    )
    for asset_id, reason in sorted(admission.excluded.items()):
        err.print(f"  excluded {asset_id}: {reason}", highlight=False, soft_wrap=True)
    done = itertools.count(1)
    with progress_bars("rendering") as (update,):
        result = run_job(prepared, on_image=lambda _: update(next(done), len(job.items)))
    audit = result.audit
    err.print(f"[green]wrote {result.written} images[/green] to {result.out}")
    if audit.index:
        err.print(
            f"audit: {audit.audited} renders audited, {audit.rejected} rejected, "
            f"{audit.resynthesized} re-synthesised, {audit.dropped} dropped, {audit.leaked} leaked"
        )
    err.print(f"dataset card: {result.card}")
    err.print(f"COCO: {result.coco}")
    if audit.index:
        err.print(f"audit log: {result.out / 'audit.jsonl'}")


def run(argv: list[str]) -> int:
    """Run the CLI on ``argv`` and return its exit status; expected errors become one line and 2."""
    status = 0
    try:
        returned = app(args=argv, prog_name="simulacra", standalone_mode=False)
        status = returned if isinstance(returned, int) else 0  # typer.Exit(n) comes back as n
    except SimulacraError as error:
        err.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        status = 2
    except (typer.Abort, KeyboardInterrupt):
        err.print("[red]aborted[/red]")
        status = 130
    except typer.TyperException as error:  # usage errors (bad option value, ...) show themselves
        error.show()  # type: ignore[attr-defined]  (every one raised by parsing is a click-style error)
        status = getattr(error, "exit_code", 2)
    return status


def main() -> None:
    """Console entry point (see :func:`exit_process` for why it does not simply return)."""
    import sys

    from simulacra.render.blenderproc_adapter import exit_process

    exit_process(run(sys.argv[1:]))
