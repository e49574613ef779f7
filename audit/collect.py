"""Describe real reference images: the raw material of a reference index.

One image in, one :class:`Description` out, a pure function of the file's pixels, so
it runs the same in the building process, in worker processes and on Ray actors.
A reference is described by a perceptual hash, global descriptors of the whole and
of crops, its strongest RootSIFT keypoints at several sizes (quantised), and the
identity embeddings of its faces. Mirrored copies are caught on the query side (the
auditor also looks at the mirrored output), so references are described once.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.audit import descriptors as desc
from simulacra.audit import identity
from simulacra.audit.images import IMAGE_SUFFIXES, decode_image, read_image
from simulacra.audit.manifest import ReferenceRecord, SkippedFile
from simulacra.audit.references import SIDECAR, ReferenceSource, read_sidecar
from simulacra.audit.walk import files_below
from simulacra.errors import AssetError, ReferenceIndexError

log = logging.getLogger(__name__)

FRAME = 256.0  # keypoint coordinates live in a frame whose long side is this
# Resamplings a reference's keypoints are detected at, and how many of the strongest are kept
# at each. Measured on 40 planted posters (calibration scenes, 256 px): (128, 192, 256, 320)
# x 88 gave planted min / p5 / median 8 / 12 / 34 inliers; (64, 96, 128, 192, 256) x 70
# gave 14 / 17 / 43 for the same bytes, clean max 1 (a photo in a render is small).
# On Blender-rendered plants of the dim night photo (4-bit codes), 70 a side caught 30/50,
# 120 38/50, 150 42/50, 200 45/50; 150 a side but 50 at 256 px caught 43/50 (a photo in a
# render is small: the largest side matters least) and fits 64 KB a reference on disk.
SIDES = (64, 96, 128, 192, 256)
PER_SIDE = (150, 150, 150, 150, 50)
KEYPOINTS = sum(PER_SIDE)  # on disk, per reference (verification)
# Faces in references are looked for at this long side, from this size: an identity is
# embedded reliably from faces of ~80 px in a 1024 px photo, and the face search is the
# costliest step of describing a reference (a smaller face still leaks through the
# photo signals if the picture is used).
FACE_SEARCH_SIDE = 384
FACE_MIN_PX = 32
RETRIEVAL_KEYPOINTS = 128  # the strongest prefix, in RAM (candidate retrieval)
# Whole picture, centre at 1/2 and 2/3, four corners at 1/2 and 2/3: a cropped copy still matches.
CROPS = (
    (0.0, 0.0, 1.0, 1.0),
    *(((1 - s) / 2, (1 - s) / 2, (1 + s) / 2, (1 + s) / 2) for s in (0.5, 2 / 3)),
    *((x, y, x + s, y + s) for s in (0.5, 2 / 3) for y in (0.0, 1 - s) for x in (0.0, 1 - s)),
)


def current_descriptors() -> dict[str, dict[str, Any]]:
    """Descriptor names, versions and settings this code computes; saved indexes must agree."""
    return {
        "global": {
            "name": desc.GLOBAL_NAME,
            "version": desc.GLOBAL_VERSION,
            "dim": desc.GLOBAL_DIM,
            "crops": len(CROPS),
        },
        "keypoints": {
            "name": desc.KEYPOINT_NAME,
            "version": desc.KEYPOINT_VERSION,
            "dim": desc.KEYPOINT_DIM,
            "frame": FRAME,
            "sides": list(SIDES),
            "per_side": list(PER_SIDE),
            "retrieval": RETRIEVAL_KEYPOINTS,
        },
        "face_search": {"side": FACE_SEARCH_SIDE, "min_px": FACE_MIN_PX},
        "phash": {"name": "dct-phash", "version": 1, "bits": 64},
        "face": {
            "name": identity.EMBEDDING_NAME,
            "version": identity.EMBEDDING_VERSION,
            "dim": identity.EMBEDDING_DIM,
        },
    }


@dataclass(frozen=True)
class Description:
    """Everything the index keeps of one reference image; no pixels.

    Attributes:
        record: identity, provenance and size of the image.
        phash: 64-bit perceptual hash.
        global_rows: ``(len(CROPS), GLOBAL_DIM)`` float32 unit rows, whole image first.
        geometry: ``(n, 4)`` keypoint ``x, y, size, angle`` in the reference frame, n <= KEYPOINTS.
        keypoints: ``(n, 64)`` 4-bit RootSIFT codes, two a byte, strongest-first interleaved.
        frame: ``(w, h)`` of the keypoint frame.
        faces: ``(m, 128)`` float32 identity embeddings.
    """

    record: ReferenceRecord
    phash: int
    global_rows: np.ndarray
    geometry: np.ndarray
    keypoints: np.ndarray
    frame: tuple[float, float]
    faces: np.ndarray


def global_rows(gray: np.ndarray) -> np.ndarray:
    """Global descriptors of one image, one per entry of :data:`CROPS` (the whole image first).

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


def describe_image(
    path: Path | bytes, source: ReferenceSource, max_pixels: int, embedder: identity.FaceEmbedder
) -> Description | SkippedFile:
    """Describe one reference file (or its bytes), or say why it was skipped (unreadable, too big)."""
    try:
        if isinstance(path, bytes):
            rgb, sha256 = decode_image(path, source.file, max_pixels)
        else:
            rgb, sha256 = read_image(path, max_pixels)
        gray = desc.to_gray(rgb)
    except (AssetError, ValueError) as exc:
        return SkippedFile(file=source.file, reason=str(exc))
    h, w = gray.shape
    geometry, keypoints = desc.multiscale_keypoints(gray, FRAME, SIDES, PER_SIDE)
    scale = FRAME / max(h, w)
    faces = embedder.faces(rgb, min_face=FACE_MIN_PX, search_side=FACE_SEARCH_SIDE, confirm=False)
    return Description(
        record=ReferenceRecord(**source.model_dump(), sha256=sha256, width=w, height=h),
        phash=desc.phash(gray),
        global_rows=global_rows(gray),
        geometry=geometry[:KEYPOINTS],
        keypoints=desc.quantize_keypoints(keypoints[:KEYPOINTS]),
        frame=(w * scale, h * scale),
        faces=(
            np.stack([f.embedding for f in faces]).astype(np.float32)
            if faces
            else np.zeros((0, identity.EMBEDDING_DIM), np.float32)
        ),
    )


def sources(root: Path) -> tuple[list[tuple[Path, ReferenceSource]], list[SkippedFile]]:
    """Image files under ``root`` with their records; ids from sidecars where present.

    Raises:
        ReferenceIndexError: a sidecar points outside ``root``, two sidecars list one
            file, or two images share an id.
    """
    files = files_below(root)
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    listed: dict[Path, ReferenceSource] = {}
    skipped = []
    base = _lexical(root)
    for sidecar in (p for p in files if p.name == SIDECAR):
        for record in read_sidecar(sidecar):
            target = _lexical(sidecar.parent / record.file)
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
        record = listed.get(_lexical(path))
        found.append(
            (path, record.model_copy(update={"file": rel}) if record else ReferenceSource(id=rel, file=rel))
        )
    ids = Counter(source.id for _, source in found)
    repeated = [i for i, n in ids.items() if n > 1]
    if repeated:
        raise ReferenceIndexError(f"{root}: reference id {repeated[0]!r} is used by more than one image")
    return found, skipped


def _lexical(path: Path) -> Path:
    """``path`` made absolute and normalised without resolving links: files behind a linked
    folder stay inside the reference folder they were found in."""
    return Path(os.path.normpath(path.absolute()))
