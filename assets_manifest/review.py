"""A person's review of an asset that screening flagged: the record of why it may be used."""

from __future__ import annotations

from datetime import UTC, datetime

from simulacra.assets_manifest.records import AssetRecord, Review
from simulacra.errors import AssetError


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
