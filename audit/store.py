"""The reference index's on-disk store: segments of per-reference arrays, memory-mapped.

A segment is a folder of ``.npy`` files holding a run of references in index order
(records, hashes, quantised global rows, keypoints, faces), written whole into a
temporary folder and renamed into place, so a killed build keeps every segment it
finished and resumes after the last one. Segments are opened memory-mapped: the
keypoints (most of an index's bytes) are read from disk only for the few candidate
references a query retrieves.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from simulacra.audit import descriptors as desc
from simulacra.audit.collect import CROPS, KEYPOINTS, Description
from simulacra.audit.identity import EMBEDDING_DIM
from simulacra.audit.manifest import ReferenceRecord, SegmentRecord, SkippedFile
from simulacra.errors import ReferenceIndexError

SEGMENTS = "segments"
SEGMENT_SIZE = 512  # references per segment: what a killed build can lose
M = TypeVar("M", bound=BaseModel)


def _shapes(n: int, m: int) -> dict[str, tuple[tuple[int, ...], str]]:
    """Every array file of a segment of ``n`` references and ``m`` faces: shape and dtype."""
    return {
        "phash.npy": ((n,), "uint64"),
        "global_codes.npy": ((n, len(CROPS), desc.GLOBAL_DIM // 2), "uint8"),
        "global_scale.npy": ((n, len(CROPS)), "float32"),
        "keypoints.npy": ((n, KEYPOINTS, desc.KEYPOINT_BYTES), "uint8"),
        "geometry.npy": ((n, KEYPOINTS, 4), "float16"),
        "keypoint_count.npy": ((n,), "int16"),
        "frame.npy": ((n, 2), "float32"),
        "faces.npy": ((m, EMBEDDING_DIM), "float32"),
        "face_reference.npy": ((m,), "int32"),
    }


def write_segment(
    folder: Path, number: int, described: list[Description], skipped: list[SkippedFile]
) -> SegmentRecord:
    """Write one segment under ``folder/segments`` atomically; returns its record."""
    name = f"{number:06d}"
    final = folder / SEGMENTS / name
    tmp = folder / SEGMENTS / f".{name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    n = len(described)
    codes, scale = desc.quantize_global(
        np.stack([d.global_rows for d in described])
        if n
        else np.zeros((0, len(CROPS), desc.GLOBAL_DIM), np.float32)
    )
    keypoints = np.zeros((n, KEYPOINTS, desc.KEYPOINT_BYTES), np.uint8)
    geometry = np.zeros((n, KEYPOINTS, 4), np.float16)
    for i, d in enumerate(described):
        keypoints[i, : len(d.keypoints)] = d.keypoints
        geometry[i, : len(d.geometry)] = d.geometry
    arrays = {
        "phash.npy": np.array([d.phash for d in described], np.uint64),
        "global_codes.npy": codes,
        "global_scale.npy": scale,
        "keypoints.npy": keypoints,
        "geometry.npy": geometry,
        "keypoint_count.npy": np.array([len(d.keypoints) for d in described], np.int16),
        "frame.npy": np.array([d.frame for d in described], np.float32).reshape(n, 2),
        "faces.npy": np.concatenate(
            [np.zeros((0, EMBEDDING_DIM), np.float32), *(d.faces for d in described)]
        ),
        "face_reference.npy": np.concatenate(
            [np.zeros(0, np.int32), *(np.full(len(d.faces), i, np.int32) for i, d in enumerate(described))]
        ),
    }
    for file, array in arrays.items():
        np.save(tmp / file, array, allow_pickle=False)
    records = "".join(d.record.model_dump_json() + "\n" for d in described).encode()
    (tmp / "references.jsonl").write_bytes(records)
    (tmp / "skipped.jsonl").write_text("".join(s.model_dump_json() + "\n" for s in skipped), "utf-8")
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    return SegmentRecord(
        name=name,
        references=n,
        faces=len(arrays["faces.npy"]),
        records_sha256=hashlib.sha256(records).hexdigest(),
    )


@dataclass(frozen=True)
class Segment:
    """One opened segment: its arrays memory-mapped, its records parsed on demand."""

    path: Path
    record: SegmentRecord
    arrays: dict[str, np.ndarray]

    @classmethod
    def open(cls, folder: Path, record: SegmentRecord) -> Segment:
        """Open ``folder/segments/<name>`` and check every file against ``record``.

        Raises:
            ReferenceIndexError: a file is missing, unreadable, or of the wrong shape; named.
        """
        path = folder / SEGMENTS / record.name
        arrays = {}
        for file, (shape, dtype) in _shapes(record.references, record.faces).items():
            try:
                array = np.load(path / file, mmap_mode="r", allow_pickle=False)
            except FileNotFoundError as exc:
                raise ReferenceIndexError(f"{path / file}: missing from the reference index") from exc
            except (OSError, ValueError) as exc:
                raise ReferenceIndexError(f"{path / file}: not a readable index array ({exc})") from exc
            if array.shape != shape or array.dtype != np.dtype(dtype):
                raise ReferenceIndexError(
                    f"{path / file}: holds {array.dtype}{list(array.shape)}, "
                    f"index.json expects {dtype}{list(shape)}"
                )
            arrays[file] = array
        try:
            records = (path / "references.jsonl").read_bytes()
        except OSError as exc:
            raise ReferenceIndexError(f"{path / 'references.jsonl'}: cannot read ({exc.strerror})") from exc
        if hashlib.sha256(records).hexdigest() != record.records_sha256:
            raise ReferenceIndexError(f"{path / 'references.jsonl'}: checksum does not match index.json")
        faces = arrays["face_reference.npy"]
        if faces.size and not 0 <= int(faces.min()) <= int(faces.max()) < record.references:
            raise ReferenceIndexError(f"{path / 'face_reference.npy'}: names references outside the segment")
        return cls(path, record, arrays)

    def records(self) -> list[ReferenceRecord]:
        """The segment's reference records, in order.

        Raises:
            ReferenceIndexError: the file is missing, malformed, or of another length.
        """
        return self._lines("references.jsonl", ReferenceRecord)

    def skipped(self) -> list[SkippedFile]:
        """Files skipped while this segment was being written, and why."""
        return self._lines("skipped.jsonl", SkippedFile)

    def _lines(self, name: str, model: type[M]) -> list[M]:
        file = self.path / name
        try:
            rows = [model.model_validate_json(line) for line in file.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError, ValidationError) as exc:
            raise ReferenceIndexError(f"{file}: cannot read ({exc.__class__.__name__})") from exc
        if name == "references.jsonl" and len(rows) != self.record.references:
            raise ReferenceIndexError(
                f"{file}: holds {len(rows)} records, index.json expects {self.record.references}"
            )
        return rows

    def global_rows(self, local: np.ndarray) -> np.ndarray:
        """Exact (dequantised) global rows of references ``local``: ``(n, crops, dim)``."""
        return desc.dequantize_global(
            np.asarray(self.arrays["global_codes.npy"][local]),
            np.asarray(self.arrays["global_scale.npy"][local]),
        )

    def keypoints(self, local: int) -> tuple[np.ndarray, np.ndarray]:
        """Geometry ``(n, 4)`` float32 and unit RootSIFT ``(n, 128)`` of one reference, from disk."""
        count = int(self.arrays["keypoint_count.npy"][local])
        geometry = np.asarray(self.arrays["geometry.npy"][local, :count], np.float32)
        return geometry, desc.dequantize_keypoints(np.asarray(self.arrays["keypoints.npy"][local, :count]))

    def retrieval_keypoints(self, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Unit RootSIFT of every reference's strongest ``limit`` keypoints and their local (ref, row)."""
        counts = np.minimum(np.asarray(self.arrays["keypoint_count.npy"]), limit)
        refs = np.repeat(np.arange(len(counts)), counts)
        rows = np.concatenate([np.arange(c) for c in counts]) if len(counts) else np.zeros(0, np.int64)
        codes = np.asarray(self.arrays["keypoints.npy"][:, :limit])
        return desc.dequantize_keypoints(codes[refs, rows]), np.stack([refs, rows], axis=1)
