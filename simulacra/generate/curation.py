"""Asset curation the manifest cannot do alone: the renderer's ``.blend`` check, the auditor's screening.

The manifest (:mod:`simulacra.assets_manifest`) is data and imports neither Blender code nor
the auditor; ``assets add`` and ``assets screen`` come through here, which hands it both.
An image asset in which a face is detected is flagged ``contains_person`` and, until a
person reviews it (``simulacra assets approve``), every license policy excludes it. With a
reference index, the image is also audited, so the record can say which real reference it
matches.
"""

from __future__ import annotations

from pathlib import Path

from simulacra.assets_manifest import AssetRecord, Manifest
from simulacra.assets_manifest.adding import AddRequest, Inspectors, add_assets
from simulacra.assets_manifest.records import AssetKind, Screening
from simulacra.assets_manifest.validation import FileFacts, load_hdri
from simulacra.audit import ImageAuditor, read_image
from simulacra.audit.faces import detect_faces, to_display_rgb


def add_checked(
    root: Path, paths: list[Path], request: AddRequest
) -> tuple[Manifest, tuple[AssetRecord, ...]]:
    """``assets add``: every file checked (``.blend`` by the renderer) and image assets screened."""
    return add_assets(root, paths, request, Inspectors(blend=blend_facts, screen=screening_for))


def import_checked(folder: Path, root: Path) -> tuple[Manifest, tuple[AssetRecord, ...]]:
    """``assets import``: every sub-folder's meshes checked as ``assets add`` checks them."""
    from simulacra.assets_manifest.importing import import_folder

    return import_folder(folder, root, Inspectors(blend=blend_facts, screen=screening_for))


def blend_facts(path: Path) -> FileFacts:
    """A ``.blend``'s scripts (none run) and mesh bounds, from the renderer's inspection."""
    from simulacra.render.blend_check import inspect_blend

    report = inspect_blend(path)
    return FileFacts(bounds=report.bounds, embedded_scripts=report.scripts)


def screening_for(path: Path, kind: AssetKind, auditor: ImageAuditor | None = None) -> Screening:
    """Detect faces in an image or HDRI file; with an auditor, name the reference it matches."""
    if kind == "hdri":
        rgb = to_display_rgb(load_hdri(path))
    else:
        rgb, _ = read_image(path)
    faces = detect_faces(rgb)
    matched = None
    if auditor is not None:
        verdict = auditor.audit(rgb)
        if verdict.verdict == "reject":
            matched = verdict.reference
    return Screening(faces=len(faces), matched_reference=matched)


def rescreened(record: AssetRecord, path: Path, auditor: ImageAuditor | None) -> AssetRecord:
    """The record after screening its file again; an earlier review is kept if nothing new was found."""
    found = screening_for(path, record.kind, auditor)
    review = record.screening.review if record.screening else None
    if review is not None and (found.faces, found.matched_reference) == (
        record.screening.faces,  # type: ignore[union-attr]
        record.screening.matched_reference,  # type: ignore[union-attr]
    ):
        found = found.model_copy(update={"review": review})
    flags = record.flags
    if found.faces or found.matched_reference:
        flags = flags.model_copy(update={"contains_person": True})
        if found.faces == 0:
            found = found.model_copy(update={"faces": 1})  # a reference match counts as a person
    return record.model_copy(update={"screening": found, "flags": flags})


def screen_manifest(root: Path, index: Path | None) -> tuple[AssetRecord, ...]:
    """``assets screen``: screen every image asset of ``root``'s manifest again and save it.

    Pack maps other than colour carry no picture and are skipped. Returns the screened records.
    """
    from simulacra.assets_manifest import load_manifest
    from simulacra.assets_manifest.adding import SCREENED_KINDS
    from simulacra.audit import open_auditor

    manifest = load_manifest(root)
    auditor = open_auditor(index) if index else None
    screened = tuple(
        rescreened(r, manifest.verified_file(r), auditor)
        for r in manifest.assets
        if r.kind in SCREENED_KINDS and r.map in (None, "color")
    )
    manifest.replaced(screened).save()
    return screened
