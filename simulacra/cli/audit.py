"""``simulacra index`` and ``simulacra audit``: build reference indexes, audit images, calibrate.

A thin edge over :mod:`simulacra.audit`. ``simulacra audit DIR ...`` audits a folder
(or one file); ``simulacra audit calibrate ...`` sets the index's thresholds. Click
groups cannot take an argument and sub-commands at once, so the group routes
anything that is not a sub-command name to ``audit images``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup

from simulacra.console import err, progress_bars
from simulacra.errors import AssetError, SimulacraError

if TYPE_CHECKING:
    import click

    from simulacra.audit import Auditor, Verdict
    from simulacra.audit.privacy_metrics import DcrShare

log = logging.getLogger(__name__)

index_app = typer.Typer(no_args_is_help=True, help="Build and inspect reference indexes of real images.")
IMAGE_SUFFIXES_AUDITED = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


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
) -> None:
    """Index real reference images: descriptors and hashes only, never the images."""
    from simulacra.audit import ReferenceIndex
    from simulacra.pipeline import check_output_folder

    if not directory.is_dir():
        raise SimulacraError(f"reference folder {directory} does not exist")
    check_output_folder(out)
    with progress_bars("indexing") as (update,):
        index = ReferenceIndex.build(directory, progress=update)
    index.save(out)
    info = index.info()
    err.print(f"indexed {info['references']} references into {out}, skipped {len(info['skipped'])}")


@index_app.command("add")
def index_add(
    index: Annotated[Path, typer.Argument(help="Index folder to extend (rewritten in place).")],
    directory: Annotated[Path, typer.Argument(help="Folder of further real reference images.")],
) -> None:
    """Add references to an index; already indexed images are skipped, the search is rebuilt."""
    from simulacra.audit import ReferenceIndex

    loaded = ReferenceIndex.load(index)
    with progress_bars("indexing") as (update,):
        extended, added = loaded.add(directory, progress=update)
    extended.save(index)
    info = extended.info()
    err.print(
        f"added {added} references to {index}: {info['references']} in all, "
        f"search {info['search']['global']}, skipped {len(info['skipped']) - len(loaded.manifest.skipped)}"
    )


@index_app.command("info")
def index_info(index: Annotated[Path, typer.Argument(help="Index folder.")]) -> None:
    """Print an index's summary as JSON."""
    from simulacra.audit import ReferenceIndex

    typer.echo(json.dumps(ReferenceIndex.load(index).info(), indent=2))


def _image_files(target: Path) -> list[Path]:
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise SimulacraError(f"{target}: no such file or folder")
    files = sorted(p for p in target.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES_AUDITED and p.is_file())
    if not files:
        raise SimulacraError(f"no images found in {target}")
    return files


def audit_files(auditor: Auditor, target: Path, label: str) -> tuple[list[Verdict], list[str]]:
    """Audit one file (a bad one raises) or every image in a folder (bad ones are skipped).

    Returns the verdicts and one ``file: reason`` line per skipped file.

    Raises:
        AssetError: ``target`` is a single file that cannot be read as an image.
    """
    from simulacra.audit import read_image

    files = _image_files(target)
    base = target if target.is_dir() else target.parent
    verdicts, skipped = [], []
    with progress_bars(label, transient=True) as (update,):
        for done, path in enumerate(files, start=1):
            try:
                rgb, _ = read_image(path)
                verdicts.append(auditor.audit(rgb, file=path.relative_to(base).as_posix()))
            except (AssetError, ValueError) as exc:
                if target.is_file():
                    raise AssetError(f"{path}: cannot audit ({exc})") from exc
                log.warning("skipped %s: %s", path, exc)
                skipped.append(f"{path.relative_to(base).as_posix()}: {exc}")
            update(done, len(files))
    return verdicts, skipped


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
) -> None:
    """Audit images against a reference index; exit 1 if any is rejected."""
    from simulacra.audit import Auditor, ReferenceIndex, read_image
    from simulacra.audit.privacy_metrics import dcr_share, describe_holdout, output_descriptors
    from simulacra.audit.report import write_report

    if show_references and (references is None or not references.is_dir()):
        raise SimulacraError("--show-references needs --references DIR, the folder the index was built from")
    loaded = ReferenceIndex.load(index)
    described = None
    if holdout is not None:  # checked before any audit, so a bad hold-out writes nothing
        known = frozenset(r.sha256 for r in loaded.references)
        try:
            described = describe_holdout(holdout, exclude_sha256=known)
        except AssetError as exc:
            raise AssetError(f"--holdout {exc}") from exc
    verdicts, skipped = audit_files(Auditor(loaded), directory, "auditing")
    base = directory if directory.is_dir() else directory.parent
    dcr = None
    if described is not None and verdicts:
        import numpy as np

        outputs = output_descriptors(read_image(base / v.file)[0] for v in verdicts if v.file)
        dcr = dcr_share(outputs, loaded, described, rng=np.random.default_rng(DCR_SEED))
    json_out.write_text(json.dumps([v.to_dict() for v in verdicts], indent=2) + "\n")
    rejected = sum(v.verdict == "reject" for v in verdicts)
    summary = audit_summary(verdicts, skipped, dcr)
    if summary_out is not None:
        summary_out.write_text(json.dumps(summary, indent=2) + "\n")
    if report is not None:
        write_report(
            report,
            verdicts,
            loaded,
            base,
            references=references if show_references else None,
            skipped=skipped,
            dcr=dcr,
        )
    note = f", {len(skipped)} unreadable skipped" if skipped else ""
    err.print(f"{len(verdicts)} audited, {rejected} rejected{note}; verdicts in {json_out}")
    matched = summary["identity_leaks"]["matched"]
    err.print(
        f"identity-leak rate {matched['hits']}/{matched['trials']} "
        f"(95% {matched['wilson95'][0]:.4f}-{matched['wilson95'][1]:.4f})"
    )
    err.print(dcr.reading() if dcr is not None else DCR_NOTE)
    if rejected:
        raise typer.Exit(1)


DCR_SEED = 0  # subsamples the larger of index and hold-out; fixed so reruns agree
DCR_NOTE = "DCR share not computed: give --holdout REAL_DIR, real images that are not in the index"


def audit_summary(verdicts: list[Verdict], skipped: list[str], dcr: DcrShare | None) -> dict:
    """The run's privacy metrics as JSON-ready data: flag rates, identity leaks, DCR share."""
    from simulacra.audit.privacy_metrics import flag_rates, identity_leaks

    entries = [v.to_dict() for v in verdicts]
    return {
        "audited": len(verdicts),
        "rejected": sum(v.verdict == "reject" for v in verdicts),
        "skipped": len(skipped),
        "flag_rates": {name: rate.to_dict() for name, rate in flag_rates(entries).items()},
        "identity_leaks": identity_leaks(entries).to_dict(),
        "dcr": dcr.to_dict() if dcr is not None else None,
        "dcr_note": None if dcr is not None else DCR_NOTE,
    }


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
    from simulacra.audit import Auditor, ReferenceIndex
    from simulacra.audit.fit import fit

    loaded = ReferenceIndex.load(index)
    auditor = Auditor(loaded)
    known = {r.sha256 for r in loaded.references}
    for path in _image_files(holdout):  # a hold-out image that is in the index is a positive
        if hashlib.sha256(path.read_bytes()).hexdigest() in known:
            raise SimulacraError(f"{path}: this image is in the index; the hold-out must not be")
    negatives = []
    for folder, label in ((holdout, "hold-out"), (clean, "clean")):
        verdicts, _ = audit_files(auditor, folder, label)
        negatives += verdicts
    thresholds, fits = fit(negatives, loaded.thresholds, fpr)
    loaded.with_thresholds(thresholds).save(index)
    for f in fits:
        note = (
            "kept (no evidence in any negative)"
            if f.kept
            else ("" if f.resolved else f"; only {f.negatives} negatives, so set just above their maximum")
        )
        err.print(f"{f.signal}: highest negative {f.highest:g}, threshold {f.threshold:g} {note}".rstrip())
    err.print(f"thresholds written to {index / 'index.json'}")
