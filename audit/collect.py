"""Describe a folder of real reference images: the raw material of a reference index.

Kept apart from :mod:`simulacra.audit.index` (which assembles, saves and loads) so
that building an index and adding to one run the very same description code.
Each reference becomes two views (as is and mirrored); each view a perceptual
hash, global descriptors of the whole and of crops, and RootSIFT keypoints; each
reference also its faces' identity embeddings.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from simulacra.audit import descriptors as desc
from simulacra.audit.identity import EMBEDDING_DIM, FaceEmbedder
from simulacra.audit.images import IMAGE_SUFFIXES, read_image
from simulacra.audit.keypoint_frame import FRAME, MAX_FEATURES, SIDES
from simulacra.audit.manifest import ReferenceRecord, SkippedFile, ViewRecord
from simulacra.audit.references import SIDECAR, ReferenceSource, read_sidecar
from simulacra.errors import AssetError, ReferenceIndexError

log = logging.getLogger(__name__)

# Whole picture, centre at 1/2 and 2/3, four corners at 1/2 and 2/3: a cropped copy still matches.
CROPS = (
    (0.0, 0.0, 1.0, 1.0),
    *(((1 - s) / 2, (1 - s) / 2, (1 + s) / 2, (1 + s) / 2) for s in (0.5, 2 / 3)),
    *((x, y, x + s, y + s) for s in (0.5, 2 / 3) for y in (0.0, 1 - s) for x in (0.0, 1 - s)),
)

Progress = Callable[[int, int], None]


@dataclass
class Parts:
    """Everything an index holds, as plain arrays; views and faces numbered globally."""

    references: list[ReferenceRecord] = field(default_factory=list)
    views: list[ViewRecord] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    global_rows: list[np.ndarray] = field(default_factory=list)
    global_view: list[np.ndarray] = field(default_factory=list)
    keypoint_desc: list[np.ndarray] = field(default_factory=list)
    keypoint_geometry: list[np.ndarray] = field(default_factory=list)
    keypoint_view: list[np.ndarray] = field(default_factory=list)
    face_embeddings: list[np.ndarray] = field(default_factory=list)
    face_reference: list[np.ndarray] = field(default_factory=list)

    def array(self, name: str) -> np.ndarray:
        """One of the list fields concatenated (empty with the right shape and dtype)."""
        empty = {
            "global_rows": np.zeros((0, desc.GLOBAL_DIM), np.float32),
            "keypoint_desc": np.zeros((0, desc.KEYPOINT_DIM), np.float32),
            "keypoint_geometry": np.zeros((0, 4), np.float32),
            "face_embeddings": np.zeros((0, EMBEDDING_DIM), np.float32),
        }.get(name, np.zeros(0, np.int32))
        chunks = getattr(self, name)
        return np.concatenate([empty, *chunks]).astype(empty.dtype, copy=False)


def global_rows(gray: np.ndarray) -> np.ndarray:
    """Global descriptors of one view, one per entry of :data:`CROPS` (the whole image first).

    Public because distance-to-closest-record compares outputs with hold-out images
    described exactly as the indexed ones are (see :mod:`simulacra.audit.privacy_metrics`).
    """
    h, w = gray.shape
    return np.stack(
        [
            desc.global_descriptor(gray[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)])
            for x0, y0, x1, y1 in CROPS
        ]
    )


def _describe_view(parts: Parts, gray: np.ndarray, reference: int, mirrored: bool) -> None:
    h, w = gray.shape
    rows = global_rows(gray)
    geometry, keypoints = desc.multiscale_keypoints(gray, FRAME, SIDES, MAX_FEATURES)
    scale = FRAME / max(h, w)
    number = len(parts.views)
    parts.views.append(
        ViewRecord(
            reference=reference,
            mirrored=mirrored,
            frame=(w * scale, h * scale),
            phash=f"{desc.phash(gray):016x}",
        )
    )
    parts.global_rows.append(rows)
    parts.global_view.append(np.full(len(rows), number, np.int32))
    parts.keypoint_geometry.append(geometry)
    parts.keypoint_desc.append(keypoints)
    parts.keypoint_view.append(np.full(len(geometry), number, np.int32))


def sources(root: Path) -> tuple[list[tuple[Path, ReferenceSource]], list[SkippedFile]]:
    """Image files under ``root`` with their records; ids from sidecars where present.

    Raises:
        ReferenceIndexError: a sidecar points outside ``root``, two sidecars list one
            file, or two images share an id.
    """
    images = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    listed: dict[Path, ReferenceSource] = {}
    skipped = []
    base = root.resolve()
    for sidecar in sorted(root.rglob(SIDECAR)):
        for record in read_sidecar(sidecar):
            target = (sidecar.parent / record.file).resolve()
            if not target.is_relative_to(base):
                raise ReferenceIndexError(f"{sidecar}: file {record.file!r} lies outside {root}")
            if target in listed:
                raise ReferenceIndexError(f"{sidecar}: file {record.file!r} is listed by another sidecar too")
            if not target.is_file():
                log.warning("%s lists %s, which does not exist; skipped", sidecar, record.file)
                skipped.append(
                    SkippedFile(file=target.relative_to(base).as_posix(), reason="listed but missing")
                )
            listed[target] = record
    found = []
    for path in images:
        rel = path.relative_to(root).as_posix()
        record = listed.get(path.resolve())
        found.append(
            (path, record.model_copy(update={"file": rel}) if record else ReferenceSource(id=rel, file=rel))
        )
    ids = Counter(source.id for _, source in found)
    repeated = [i for i, n in ids.items() if n > 1]
    if repeated:
        raise ReferenceIndexError(f"{root}: reference id {repeated[0]!r} is used by more than one image")
    return found, skipped


def describe_folder(parts: Parts, root: Path, *, max_pixels: int, progress: Progress | None = None) -> int:
    """Describe every readable image under ``root`` into ``parts``; returns how many were added.

    Unreadable files (corrupt, truncated, empty, over ``max_pixels``, an unsupported
    encoding) are skipped with a warning and recorded. Images whose id or sha256 is
    already in ``parts`` are skipped too (adding a folder twice changes nothing).
    """
    found, skipped = sources(root)
    parts.skipped += skipped
    known_ids = {r.id for r in parts.references}
    known_sha = {r.sha256: r.id for r in parts.references}
    embedder = FaceEmbedder()
    added = 0
    for done, (path, source) in enumerate(found, start=1):
        try:
            rgb, sha256 = read_image(path, max_pixels)
            gray = desc.to_gray(rgb)
        except (AssetError, ValueError) as exc:
            log.warning("skipped reference %s: %s", path, exc)
            parts.skipped.append(SkippedFile(file=source.file, reason=str(exc)))
        else:
            duplicate = (
                f"id {source.id!r} is already indexed"
                if source.id in known_ids
                else f"same image as reference {known_sha[sha256]!r}"
                if sha256 in known_sha
                else None
            )
            if duplicate:
                log.warning("skipped reference %s: %s", path, duplicate)
                parts.skipped.append(SkippedFile(file=source.file, reason=duplicate))
            else:
                number = len(parts.references)
                parts.references.append(
                    ReferenceRecord(
                        **source.model_dump(), sha256=sha256, width=gray.shape[1], height=gray.shape[0]
                    )
                )
                known_ids.add(source.id)
                known_sha[sha256] = source.id
                _describe_view(parts, gray, number, mirrored=False)
                _describe_view(parts, np.ascontiguousarray(gray[:, ::-1]), number, mirrored=True)
                faces = embedder.faces(rgb)
                if faces:
                    parts.face_embeddings.append(np.stack([f.embedding for f in faces]))
                    parts.face_reference.append(np.full(len(faces), number, np.int32))
                added += 1
        if progress is not None:
            progress(done, len(found))
    return added
