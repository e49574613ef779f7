"""``simulacra index`` and ``simulacra audit``: build reference indexes, audit images, calibrate.

A thin edge over :mod:`simulacra.generate.audit_folder`, which holds the work.
``simulacra audit DIR ...`` audits a folder (or one file); ``simulacra audit calibrate ...``
sets the index's thresholds. Click groups cannot take an argument and sub-commands at
once, so the group routes anything that is not a sub-command name to ``audit images``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from simulacra.cli.console import err, progress_bars

CORES = os.cpu_count() or 1  # default for --workers and --threads
RAY_OPTION = typer.Option(
    help="Run on a Ray cluster: its address, 'auto' (the running one) or 'local' (start one here)."
)

if TYPE_CHECKING:
    import click

index_app = typer.Typer(no_args_is_help=True, help="Build and inspect reference indexes of real images.")


class _AuditGroup(TyperGroup):
    """Routes ``audit DIR ...`` to the ``images`` command; sub-command names pass through."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["images", *args]
        return super().parse_args(ctx, args)


audit_app = typer.Typer(
    cls=_AuditGroup,
    no_args_is_help=True,
    help="Audit images against a reference index (`audit DIR --index I --json V`), or calibrate it.",
)


@index_app.command("build")
def index_build(
    directory: Annotated[
        Path, typer.Argument(help="Folder of real reference images (searched recursively).")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="Index folder to write.")],
    workers: Annotated[int, typer.Option(min=1, help="Processes describing references.")] = CORES,
    shards: Annotated[
        int, typer.Option(min=1, help="Split the index by reference id into this many shards.")
    ] = 1,
    ray: Annotated[str | None, RAY_OPTION] = None,
) -> None:
    """Index real reference images: descriptors and hashes only, never the images.

    Interrupted? Run the same command again: it resumes where it stopped.
    """
    from simulacra.generate.audit_folder import build_index

    with progress_bars("indexing") as (update,):
        index = build_index(directory, out, progress=update, workers=workers, shards=shards, ray=ray)
    info = index.info()
    where = f" in {shards} shards" if shards > 1 else ""
    err.print(f"indexed {info['references']} references into {out}{where}, skipped {len(info['skipped'])}")


@index_app.command("add")
def index_add(
    index: Annotated[Path, typer.Argument(help="Index folder to extend (rewritten in place).")],
    directory: Annotated[Path, typer.Argument(help="Folder of further real reference images.")],
    workers: Annotated[int, typer.Option(min=1, help="Processes describing references.")] = CORES,
    ray: Annotated[str | None, RAY_OPTION] = None,
) -> None:
    """Add references to an index; indexed images are not described again, nor skipped ones."""
    from simulacra.generate.audit_folder import extend_index

    with progress_bars("indexing") as (update,):
        extended, added, skipped = extend_index(index, directory, progress=update, workers=workers, ray=ray)
    info = extended.info()
    search = f", search {info['search']['global']}" if "search" in info else f", {info['shards']} shards"
    err.print(f"added {added} references to {index}: {info['references']} in all{search}, skipped {skipped}")


@index_app.command("info")
def index_info(index: Annotated[Path, typer.Argument(help="Index folder.")]) -> None:
    """Print an index's summary as JSON."""
    from simulacra.audit import load_index

    typer.echo(json.dumps(load_index(index).info(), indent=2))


@audit_app.command("images")
def audit_images(
    directory: Annotated[Path, typer.Argument(help="Image, or folder of images (e.g. a dataset's images/).")],
    index: Annotated[Path, typer.Option(help="Reference index folder.")],
    json_out: Annotated[Path, typer.Option("--json", help="Where to write the verdicts (JSON list).")],
    report: Annotated[Path | None, typer.Option(help="Also write an HTML report here.")] = None,
    show_references: Annotated[
        bool, typer.Option(help="Show reference thumbnails in the report (needs --references).")
    ] = False,
    references: Annotated[
        Path | None, typer.Option(help="Folder the index was built from; only read with --show-references.")
    ] = None,
    holdout: Annotated[
        Path | None,
        typer.Option(
            help="Real images NOT in the index: adds the distance-to-closest-record share (~0.5 ideal)."
        ),
    ] = None,
    summary_out: Annotated[
        Path | None,
        typer.Option("--summary", help="Also write flag rates, identity-leak rate, DCR share here (JSON)."),
    ] = None,
    threads: Annotated[int, typer.Option(min=1, help="Images audited side by side.")] = CORES,
    ray: Annotated[str | None, RAY_OPTION] = None,
) -> None:
    """Audit images against a reference index; exit 1 if any is rejected."""
    from simulacra.generate.audit_folder import DCR_NOTE, audit_folder, check_report_references, write_audit

    check_report_references(show_references, references)
    with progress_bars("auditing", transient=True) as (update,):
        audit = audit_folder(index, directory, holdout=holdout, progress=update, threads=threads, ray=ray)
    write_audit(
        audit,
        json_out,
        summary_out=summary_out,
        report=report,
        references=references if show_references else None,
    )
    note = f", {len(audit.skipped)} unreadable skipped" if audit.skipped else ""
    err.print(f"{len(audit.verdicts)} audited, {audit.rejected} rejected{note}; verdicts in {json_out}")
    matched = audit.summary()["identity_leaks"]["matched"]
    err.print(
        f"identity-leak rate {matched['hits']}/{matched['trials']} "
        f"(95% {matched['wilson95'][0]:.4f}-{matched['wilson95'][1]:.4f})"
    )
    err.print(audit.dcr.reading() if audit.dcr is not None else DCR_NOTE)
    if audit.rejected:
        raise typer.Exit(1)


@audit_app.command("calibrate")
def audit_calibrate(
    index: Annotated[Path, typer.Option(help="Reference index folder; its thresholds are rewritten.")],
    holdout: Annotated[Path, typer.Option(help="Real images NOT in the index (must pass).")],
    clean: Annotated[Path, typer.Option(help="Clean synthetic renders (must pass).")],
    fpr: Annotated[
        float, typer.Option(min=1e-6, max=0.5, help="Allowed false-positive rate per signal.")
    ] = 0.001,
) -> None:
    """Set every signal's threshold from hold-out real images and clean renders at a target FPR."""
    from simulacra.generate.audit_folder import calibrate

    with progress_bars("hold-out", "clean", transient=True) as updates:
        bars = dict(zip(("hold-out", "clean"), updates, strict=True))
        fits = calibrate(index, holdout, clean, fpr, progress=bars.get)
    for f in fits:
        note = (
            "kept (no evidence in any negative)"
            if f.kept
            else ("" if f.resolved else f"; only {f.negatives} negatives, so set just above their maximum")
        )
        err.print(f"{f.signal}: highest negative {f.highest:g}, threshold {f.threshold:g} {note}".rstrip())
    err.print(f"thresholds written to {index / 'index.json'}")
