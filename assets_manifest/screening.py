"""Screen image assets for faces before they may enter scenes, and record reviews.

An image asset in which a face is detected is flagged ``contains_person`` and, until a
person reviews it (``simulacra assets approve``), every license policy excludes it.
With a reference index, the image is also audited, so the record can say which real
reference it matches.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from simulacra.assets_manifest.records import AssetKind, AssetRecord, Review, Screening
from simulacra.audit import Auditor, read_image
from simulacra.audit.faces import detect_faces, to_display_rgb
from simulacra.errors import AssetError


def screening_for(path: Path, kind: AssetKind, auditor: Auditor | None = None) -> Screening:
    """Detect faces in an image or HDRI file; with an auditor, name the reference it matches."""
    if kind == "hdri":
        from simulacra.assets_manifest.validation import load_hdri

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


def rescreened(record: AssetRecord, path: Path, auditor: Auditor | None) -> AssetRecord:
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


def approved(record: AssetRecord, reason: str, *, false_positive: bool) -> AssetRecord:
    """Record a person's review of a flagged asset (a false positive also clears contains_person)."""
    if record.screening is None or record.screening.faces == 0:
        raise AssetError(f"asset {record.id!r}: nothing to approve, screening found no face in it")
    if not reason.strip():
        raise AssetError("--reason: say why the asset may be used")
    review = Review(
        approved=True,
        reason=reason.strip(),
        date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        false_positive=false_positive,
    )
    flags = record.flags.model_copy(update={"contains_person": False}) if false_positive else record.flags
    screening = record.screening.model_copy(update={"review": review})
    return record.model_copy(update={"screening": screening, "flags": flags})
