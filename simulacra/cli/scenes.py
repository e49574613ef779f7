"""Scene-level commands: ``rerender`` an image from its graph, ``sweep`` a spec field.

A thin edge over :mod:`simulacra.generate.rerender` and :mod:`simulacra.studies.sweep`; Blender loads
inside the commands only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from simulacra.cli.console import err, progress_bars

scenes_app = typer.Typer()


@scenes_app.command("rerender")
def rerender_command(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder written by generate.")],
    image_id: Annotated[
        int, typer.Option("--id", min=0, help="Image id: the COCO image id, the number in images/000003.png.")
    ],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Also write the re-rendered image (PNG).")
    ] = None,
) -> None:
    """Render one image again from its stored scene graph; exit 1 if the pixels differ."""
    from simulacra.generate.rerender import rerender

    result = rerender(dataset, image_id)
    if out is not None:
        result.save(out)
    if result.matches:
        err.print(f"[green]image {image_id} matches[/green]: re-rendered pixels are identical")
        return
    err.print(
        f"[red]image {image_id} differs[/red]: max difference {result.max_difference}, "
        f"mean difference {result.mean_difference}",
        highlight=False,
    )
    raise typer.Exit(1)


@scenes_app.command("sweep")
def sweep_command(
    spec: Annotated[Path, typer.Argument(help="Scene spec YAML, or a preset name such as 'tabletop'.")],
    settings: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="path=v1,v2,...: one dataset per value (YAML values; [lists] stay whole). "
            "Repeat for a grid of every combination.",
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Sweep folder (must not exist yet).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Images per dataset.")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Job seed, the same for every dataset.")] = 0,
    manifest: Annotated[Path | None, typer.Option(help="Asset manifest (default: built-in library).")] = None,
) -> None:
    """Render one dataset per value of a spec field and compare them in sweep.md / sweep.json."""
    from simulacra.assets_manifest import builtin_manifest, load_manifest, load_policy
    from simulacra.scenes import load_spec
    from simulacra.scenes.overrides import parse_override
    from simulacra.studies.sweep import RESULTS, TABLE, SweepRequest, markdown_table, prepare_sweep, run_sweep

    request = SweepRequest(
        spec=load_spec(spec),
        overrides=[parse_override(option) for option in settings],
        n=n,
        out=out,
        seed=seed,
        manifest=load_manifest(manifest) if manifest else builtin_manifest(),
        policy=load_policy(None),
    )
    prepared = prepare_sweep(request)
    total = len(prepared) * n
    done = iter(range(1, total + 1))
    with progress_bars("rendering") as (update,):
        rows = run_sweep(prepared, out, on_image=lambda: update(next(done), total))
    typer.echo(markdown_table(rows), nl=False)
    err.print(f"[green]wrote {len(rows)} datasets[/green] to {out}")
    err.print(f"summary: {out / TABLE}, {out / RESULTS}")
