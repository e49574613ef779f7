"""``simulacra export``: a finished dataset in the layout of the tool a user trains with (or BOP).

A thin edge over :mod:`simulacra.export`; OpenCV, scikit-image and pycocotools load inside
the command only.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from simulacra.cli.console import err, progress_bars

export_app = typer.Typer()

# The names are repeated here, not imported, so that --help does not load the exporters.
Format = Enum("Format", {name: name for name in ("coco", "yolo", "yolo-seg", "hf", "bop")}, type=str)
Segmentation = Enum("Segmentation", {name: name for name in ("polygon", "rle")}, type=str)


@export_app.command("export")
def export_command(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder written by generate.")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Layout to write.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Export folder (must not exist yet).")],
    split: Annotated[
        str, typer.Option(help="Shares of scenes per split; all views of a scene go to one split.")
    ] = "train=0.8,val=0.1,test=0.1",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the scene shuffle behind the split.")] = 0,
    segmentation: Annotated[
        Segmentation, typer.Option(help="COCO masks as polygons (exact to the pixel) or RLE.")
    ] = Segmentation.polygon,
) -> None:
    """Write DATASET to OUT as COCO, YOLO, YOLO-seg, a Hugging Face imagefolder or BOP, split by scene."""
    from simulacra.export import export_dataset

    with progress_bars("exporting", transient=True) as (update,):
        result = export_dataset(
            dataset, fmt.value, out, split=split, seed=seed, segmentation=segmentation.value, on_image=update
        )
    counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
    err.print(f"[green]exported {sum(result.counts.values())} images[/green] ({counts}) to {out}")
