"""``simulacra assets ...`` and ``simulacra schema ...``: curate what may enter a scene.

A thin edge over :mod:`simulacra.assets_manifest`: options become an ``AddRequest``,
expected failures are ``SimulacraError`` lines (exit 2, nothing written), and
``verify`` exits 1 when the root and its manifest disagree, so it can gate CI.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, get_args

import typer
from rich.console import Console

from simulacra.assets_manifest.records import AssetKind, Provenance, Use

assets_app = typer.Typer(no_args_is_help=True, help="Add, inspect, verify and screen licensed assets.")
schema_app = typer.Typer(no_args_is_help=True, help="Export JSON Schemas of simulacra's file formats.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

KindChoice = Enum("KindChoice", {k: k for k in get_args(AssetKind)}, type=str)
ProvenanceChoice = Enum("ProvenanceChoice", {k: k for k in get_args(Provenance)}, type=str)
UseChoice = Enum("UseChoice", {k: k for k in get_args(Use)}, type=str)
RootOption = Annotated[Path, typer.Option("--root", help="Asset root: the folder holding manifest.json.")]


@assets_app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (every file below) inside the root.")],
    license: Annotated[str, typer.Option("--license", help="SPDX id, e.g. CC0-1.0, CC-BY-4.0, NOASSERTION.")],
    source: Annotated[str, typer.Option("--source", help="Where the asset came from (URL).")],
    attribution: Annotated[str, typer.Option(help="Credit text owed, as the author asks for it.")] = "",
    category: Annotated[str | None, typer.Option(help="Object category for labeled meshes.")] = None,
    kind: Annotated[KindChoice | None, typer.Option(help="Override the kind the suffix implies.")] = None,
    provenance: Annotated[ProvenanceChoice, typer.Option(help="How the asset was made.")] = (
        ProvenanceChoice.unknown
    ),
    contains_person: Annotated[bool, typer.Option("--contains-person", help="Shows a person.")] = False,
    identifiable: Annotated[bool, typer.Option("--identifiable", help="Shows someone identifiable.")] = False,
    location_sensitive: Annotated[
        bool, typer.Option("--location-sensitive", help="Shows a recognisable place.")
    ] = False,
    allowed_use: Annotated[
        list[UseChoice] | None, typer.Option("--allowed-use", help="Repeat; default: every use.")
    ] = None,
    asset_id: Annotated[str | None, typer.Option("--id", help="Id for a single file.")] = None,
    id_prefix: Annotated[str, typer.Option(help="Prefix for ids made from paths, e.g. 'pack:'.")] = "",
    sha256: Annotated[str | None, typer.Option(help="Expected sha256; refused if the file differs.")] = None,
    normalize: Annotated[bool, typer.Option(help="Scale meshes whose size is implausible to 0.2 m.")] = False,
    root: RootOption = Path("."),
) -> None:
    """Check, hash, screen and record asset files (all or nothing)."""
    from simulacra.assets_manifest import AssetFlags
    from simulacra.assets_manifest.adding import AddRequest
    from simulacra.generate.curation import add_checked

    request = AddRequest(
        license=license,
        source=source,
        attribution=attribution,
        provenance=provenance.value,
        category=category,
        kind=kind.value if kind else None,
        flags=AssetFlags(
            contains_person=contains_person, identifiable=identifiable, location_sensitive=location_sensitive
        ),
        allowed_uses=tuple(u.value for u in allowed_use) if allowed_use else get_args(Use),
        asset_id=asset_id,
        expected_sha256=sha256,
        normalize=normalize,
        id_prefix=id_prefix,
    )
    manifest, added = add_checked(root, paths, request)
    manifest.save()
    for record in added:
        note = " [red]face detected: excluded until approved[/red]" if _pending(record) else ""
        out.print(f"added {record.id} ({record.kind}, {record.license}){note}")
    err.print(f"{len(added)} assets added to {root / 'manifest.json'}")


@assets_app.command("import")
def import_meshes(
    folder: Annotated[
        Path, typer.Argument(help="A folder of sub-folders, one per category, each with asset.yaml.")
    ],
    root: Annotated[
        Path | None, typer.Option("--root", help="Asset root holding manifest.json (default: the folder).")
    ] = None,
) -> None:
    """Record a folder of meshes in one step: each sub-folder's asset.yaml gives its license and category."""
    from simulacra.generate.curation import import_checked

    manifest, added = import_checked(folder, root or folder)
    manifest.save()
    for record in added:
        out.print(f"added {record.id} ({record.category}, {record.license})")
    err.print(f"{len(added)} meshes added to {(root or folder) / 'manifest.json'}")


def _pending(record: object) -> bool:
    screening = getattr(record, "screening", None)
    return bool(screening is not None and screening.pending)


@assets_app.command("list")
def list_assets(
    kind: Annotated[KindChoice | None, typer.Option(help="Only this kind.")] = None,
    license: Annotated[str | None, typer.Option("--license", help="Only this SPDX id.")] = None,
    root: RootOption = Path("."),
) -> None:
    """One line per asset: id, kind, category, license, flags."""
    from simulacra.assets_manifest import load_manifest

    for record in load_manifest(root).assets:
        if (kind and record.kind != kind.value) or (license and record.license != license):
            continue
        flags = [name for name, value in record.flags.model_dump().items() if value]
        if _pending(record):
            flags.append("pending-review")
        columns = (record.id, record.kind, record.category or "-", record.license, ",".join(flags) or "-")
        out.print("\t".join(columns))


@assets_app.command("show")
def show(asset_id: Annotated[str, typer.Argument(help="Asset id.")], root: RootOption = Path(".")) -> None:
    """Print one record as JSON."""
    from simulacra.assets_manifest import load_manifest

    typer.echo(load_manifest(root).get(asset_id).model_dump_json(indent=2))


@assets_app.command("verify")
def verify(root: RootOption = Path(".")) -> None:
    """Re-hash every file: report missing, changed and unlisted files; exit 1 when any."""
    from simulacra.assets_manifest import load_manifest
    from simulacra.assets_manifest.verification import verify_root

    manifest = load_manifest(root)
    report = verify_root(manifest)
    problems = {"missing": report.missing, "changed": report.changed, "unlisted": report.unlisted}
    for label, items in problems.items():
        for item in items:
            out.print(f"{label}: {item}")
    err.print(
        f"{len(manifest.assets)} assets checked: {len(report.missing)} missing, "
        f"{len(report.changed)} changed, {len(report.unlisted)} unlisted"
    )
    if not report.ok:
        raise typer.Exit(1)


@assets_app.command("screen")
def screen(
    index: Annotated[Path | None, typer.Option(help="Reference index: also match images against it.")] = None,
    root: RootOption = Path("."),
) -> None:
    """Detect faces in every image asset (textures, HDRIs, backgrounds); flag those with one."""
    from simulacra.generate.curation import screen_manifest

    screened = screen_manifest(root, index)
    flagged = [r for r in screened if _pending(r)]
    for record in flagged:
        found = record.screening
        match = f", matches {found.matched_reference}" if found.matched_reference else ""
        out.print(f"flagged {record.id}: {found.faces} face(s){match}; excluded until approved")
    err.print(f"{len(screened)} image assets screened, {len(flagged)} awaiting review")


@assets_app.command("approve")
def approve(
    asset_id: Annotated[str, typer.Argument(help="Asset id that screening flagged.")],
    reason: Annotated[str, typer.Option(help="Why it may be used (recorded).")],
    false_positive: Annotated[
        bool, typer.Option("--false-positive", help="No person is shown; clears contains_person.")
    ] = False,
    root: RootOption = Path("."),
) -> None:
    """Record a person's review of a flagged asset."""
    from simulacra.assets_manifest import load_manifest
    from simulacra.assets_manifest.review import approved

    manifest = load_manifest(root)
    record = approved(manifest.get(asset_id), reason, false_positive=false_positive)
    manifest.replaced((record,)).save()
    out.print(f"approved {asset_id}: {record.screening.review.reason}")  # type: ignore[union-attr]


@assets_app.command("revoke")
def revoke(
    asset_id: Annotated[str, typer.Argument(help="Asset id to withdraw from the dataset.")],
    dataset: Annotated[Path, typer.Option(help="Dataset folder made by `simulacra generate`.")],
    reason: Annotated[str, typer.Option(help="Why it is revoked (recorded in the card).")] = "",
    manifest: Annotated[
        Path | None, typer.Option(help="Manifest to re-render with (default: the one the job used).")
    ] = None,
    root: Annotated[Path | None, typer.Option("--root", help="Asset root holding manifest.json.")] = None,
) -> None:
    """Replace every image of a dataset that used an asset, re-rendered with the same seeds without it."""
    from simulacra.assets_manifest import load_manifest
    from simulacra.generate.revocation import revoke as revoke_asset

    source = manifest or root
    result = revoke_asset(
        dataset, asset_id, manifest=load_manifest(source) if source else None, reason=reason
    )
    for index in result.replaced:
        out.print(f"replaced image {index}")
    for index in result.dropped:
        out.print(f"dropped image {index}: every re-render was rejected by the audit")
    count = len(result.replaced) + len(result.dropped)
    err.print(f"{count} images of {dataset} used {asset_id}" + ("; nothing changed" if not count else ""))


@schema_app.command("manifest")
def schema_manifest(
    output: Annotated[Path | None, typer.Option("-o", "--out", help="Write here instead of stdout.")] = None,
) -> None:
    """JSON Schema of manifest.json."""
    from simulacra.assets_manifest import manifest_schema

    _emit(manifest_schema(), output)


@schema_app.command("policy")
def schema_policy(
    output: Annotated[Path | None, typer.Option("-o", "--out", help="Write here instead of stdout.")] = None,
) -> None:
    """JSON Schema of a license policy file."""
    from simulacra.assets_manifest import LicensePolicy

    _emit(LicensePolicy.model_json_schema(), output)


@schema_app.command("scene")
def schema_scene(
    output: Annotated[Path | None, typer.Option("-o", "--out", help="Write here instead of stdout.")] = None,
) -> None:
    """JSON Schema of a scene spec (scenes/*.yaml), distributions included."""
    from simulacra.scenes import SceneSpec

    _emit(SceneSpec.model_json_schema(), output)


def _emit(schema: dict, output: Path | None) -> None:
    text = json.dumps(schema, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        err.print(f"wrote {output}")
