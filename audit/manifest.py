"""The ``index.json`` schema of a saved reference index, and its validation.

Plain data a reviewer can read: which references (id, sha256, license), which
descriptors at which versions, which thresholds, which files were skipped and why.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulacra.audit import descriptors as desc
from simulacra.audit.keypoint_frame import FRAME, MAX_FEATURES, SIDES
from simulacra.audit.thresholds import Thresholds
from simulacra.errors import ReferenceIndexError

FORMAT = "simulacra.reference-index"
FORMAT_VERSION = 2  # 2: face identity embeddings, search kind by size


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


class ViewRecord(_Frozen):
    """One indexed view of a reference: as is, or mirrored (a flipped texture)."""

    reference: int = Field(ge=0)
    mirrored: bool
    frame: tuple[float, float]
    phash: str = Field(pattern=r"^[0-9a-f]{16}$")


class Manifest(_Frozen):
    """Contents of ``index.json``."""

    format: Literal["simulacra.reference-index"]
    format_version: int
    builder: str
    content_hash: str
    descriptors: dict[str, dict[str, Any]]
    search: dict[str, str]
    thresholds: Thresholds
    references: list[ReferenceRecord]
    skipped: list[SkippedFile]
    views: list[ViewRecord]
    counts: dict[str, int]
    files: dict[str, str]


def current_descriptors() -> dict[str, dict[str, Any]]:
    """Descriptor names, versions and dims this code computes; saved indexes must agree."""
    from simulacra.audit import identity

    return {
        "global": {"name": desc.GLOBAL_NAME, "version": desc.GLOBAL_VERSION, "dim": desc.GLOBAL_DIM},
        "keypoints": {
            "name": desc.KEYPOINT_NAME,
            "version": desc.KEYPOINT_VERSION,
            "dim": desc.KEYPOINT_DIM,
            "frame": FRAME,
            "sides": list(SIDES),
            "max_features": MAX_FEATURES,
        },
        "phash": {"name": "dct-phash", "version": 1, "bits": 64},
        "face": {
            "name": identity.EMBEDDING_NAME,
            "version": identity.EMBEDDING_VERSION,
            "dim": identity.EMBEDDING_DIM,
        },
    }


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
    if any(v.reference >= len(manifest.references) for v in manifest.views):
        raise ReferenceIndexError(f"{path}: views: refers to a reference that is not listed")
    return manifest


def check_descriptors(manifest: Manifest, path: Path) -> None:
    """Refuse an index whose descriptors this code would compute differently.

    Raises:
        ReferenceIndexError: names the descriptor, the saved and the expected setting.
    """
    expected = current_descriptors()
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
