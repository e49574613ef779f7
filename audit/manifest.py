"""The ``index.json`` schema of a saved reference index, and its validation.

Plain data a reviewer can read: which references (id, sha256, license), which
descriptors at which versions, which thresholds, which files were skipped and why,
which segments hold the references.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulacra.audit.thresholds import Thresholds
from simulacra.errors import ReferenceIndexError

FORMAT = "simulacra.reference-index"
FORMAT_VERSION = 4  # 3: two-stage search, compact RAM structures, keypoints on disk; 4: 4-bit codes


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ReferenceRecord(_Frozen):
    """What the index keeps about one reference image: identity and provenance, no pixels."""

    id: str
    file: str
    license: str | None = None
    source: str | None = None
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    width: int = Field(gt=0)
    height: int = Field(gt=0)


class SkippedFile(_Frozen):
    """A file under the reference folder that is not in the index, and why."""

    file: str
    reason: str


class SegmentRecord(_Frozen):
    """One committed segment of the index's on-disk store (see :mod:`simulacra.audit.store`)."""

    name: str = Field(pattern=r"^[0-9]{6}$")
    references: int = Field(ge=0)
    faces: int = Field(ge=0)
    records_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")  # of references.jsonl, checked on load


class Manifest(_Frozen):
    """Contents of ``index.json``; the reference records themselves live in the segments."""

    format: Literal["simulacra.reference-index"]
    format_version: int
    builder: str
    content_hash: str
    descriptors: dict[str, dict[str, Any]]
    search: dict[str, str]
    thresholds: Thresholds
    segments: list[SegmentRecord]
    skipped: list[SkippedFile]
    licenses: dict[str, int]
    counts: dict[str, int]
    files: dict[str, str]


def parse_manifest(path: Path) -> Manifest:
    """Read and validate ``index.json``; every failure names the file and the field.

    Raises:
        ReferenceIndexError: missing, not JSON, another format, or a wrong field.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReferenceIndexError(f"{path}: missing; not a reference index directory") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceIndexError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ReferenceIndexError(f"{path}: not a simulacra reference index (format is not {FORMAT!r})")
    if raw.get("format_version") != FORMAT_VERSION:
        raise ReferenceIndexError(
            f"{path}: format_version {raw.get('format_version')!r}, "
            f"this build reads {FORMAT_VERSION}; rebuild the index"
        )
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReferenceIndexError(f"{path}: {where}: {first['msg']}") from exc
    if manifest.counts.get("references") != sum(s.references for s in manifest.segments):
        raise ReferenceIndexError(f"{path}: counts.references does not match the segments")
    return manifest


def check_descriptors(manifest: Manifest, path: Path, expected: dict[str, dict[str, Any]]) -> None:
    """Refuse an index whose descriptors this code would compute differently (``expected``).

    Raises:
        ReferenceIndexError: names the descriptor, the saved and the expected setting.
    """
    for kind, settings in expected.items():
        saved = manifest.descriptors.get(kind)
        if saved is None:
            raise ReferenceIndexError(f"{path}: descriptors.{kind} is missing; rebuild the index")
        for key, value in settings.items():
            if saved.get(key) != value:
                raise ReferenceIndexError(
                    f"{path}: built with {kind} descriptor {key}={saved.get(key)!r}, "
                    f"this version computes {key}={value!r}; rebuild the index"
                )
