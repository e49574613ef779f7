"""The reference index: descriptors of real images, never the images.

Built once from a folder of real photos (the ones that must not leak into a
synthetic dataset), kept as a directory, loaded by every auditing worker. Two tiers:

* in RAM, a few kilobytes a reference: faiss structures over compact descriptors
  (perceptual hashes, PCA-reduced quantised global rows, a quantised retrieval
  subset of keypoints, face embeddings) that retrieve a few candidate references
  per query (:mod:`simulacra.audit.search`);
* on disk, memory-mapped, at most ~64 KB a reference: the exact global rows and
  every kept keypoint, read only for the candidates (:mod:`simulacra.audit.store`).

Building runs on several processes, commits its work in segments (a killed build
resumes after the last one) and ``add`` appends segments without describing the
indexed references again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from simulacra.audit import descriptors as desc
from simulacra.audit import search
from simulacra.audit.collect import (
    CROPS,
    RETRIEVAL_KEYPOINTS,
    Description,
    current_descriptors,
    describe_image,
    sources,
)
from simulacra.audit.identity import EMBEDDING_DIM, FaceEmbedder
from simulacra.audit.images import MAX_PIXELS
from simulacra.audit.manifest import (
    FORMAT,
    FORMAT_VERSION,
    Manifest,
    ReferenceRecord,
    SegmentRecord,
    SkippedFile,
    check_descriptors,
    parse_manifest,
)
from simulacra.audit.references import ReferenceSource
from simulacra.audit.store import SEGMENT_SIZE, SEGMENTS, Segment, write_segment
from simulacra.audit.thresholds import Thresholds
from simulacra.errors import NoReferences, ReferenceIndexError

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
GLOBAL_STRIDE = 16  # faiss id = reference * stride + crop
KEYPOINT_STRIDE = 1024  # faiss id = reference * stride + keypoint row
# name -> (dimension, metric); each is saved as <name>.faiss
_STRUCTURES = {
    "global": (desc.GLOBAL_DIM, "ip"),
    "keypoints": (desc.KEYPOINT_DIM, "ip"),
    "phash": (64, "hamming"),
    "faces": (EMBEDDING_DIM, "l2"),
}
_BUILD_STATE = "build.json"
_PARALLEL_FROM = 16  # fewer files than this are described in-process (no worker start-up)


class _BuildState(BaseModel):
    """What a resumable build has committed so far (``build.json`` in its staging folder)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    max_pixels: int
    descriptors: dict[str, dict[str, Any]]
    segments: list[SegmentRecord] = []
    skipped: list[SkippedFile] = []


@dataclass
class _Ingest:
    """Bookkeeping while references are described into segments of one folder."""

    folder: Path
    segments: list[SegmentRecord]
    known_ids: set[str]
    known_sha: dict[str, str]
    on_commit: Callable[[], None] = lambda: None
    pending: list[Description] = field(default_factory=list)
    pending_skipped: list[SkippedFile] = field(default_factory=list)
    added: int = 0

    def take(self, described: Description | SkippedFile, source: ReferenceSource) -> None:
        """Queue one described file (or its skip), committing a segment when one is full."""
        if isinstance(described, SkippedFile):
            log.warning("skipped reference %s: %s", source.file, described.reason)
            self.pending_skipped.append(described)
        elif source.id in self.known_ids or described.record.sha256 in self.known_sha:  # within this run
            reason = (
                f"id {source.id!r} is already indexed"
                if source.id in self.known_ids
                else f"same image as reference {self.known_sha[described.record.sha256]!r}"
            )
            log.warning("skipped reference %s: %s", source.file, reason)
            self.pending_skipped.append(SkippedFile(file=source.file, reason=reason))
        else:
            self.known_ids.add(source.id)
            self.known_sha[described.record.sha256] = source.id
            self.pending.append(described)
            self.added += 1
        if len(self.pending) >= SEGMENT_SIZE:
            self.commit()

    def commit(self) -> None:
        """Write what is queued as one segment."""
        if not self.pending and not self.pending_skipped:
            return
        number = int(self.segments[-1].name) + 1 if self.segments else 0
        self.segments.append(write_segment(self.folder, number, self.pending, self.pending_skipped))
        self.pending, self.pending_skipped = [], []
        self.on_commit()


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # one image per process; the processes fill the cores


_worker_embedder: FaceEmbedder | None = None


def _describe_in_worker(item: tuple[Path, ReferenceSource, int]) -> Description | SkippedFile:
    global _worker_embedder
    if _worker_embedder is None:
        _worker_embedder = FaceEmbedder()
    path, source, max_pixels = item
    return describe_image(path, source, max_pixels, _worker_embedder)


DescribeItem = tuple[Path, ReferenceSource, int]  # file, its record, max pixels
# Describes items in order, one result per item: in this process, on worker processes or on Ray.
Describer = Callable[[list[DescribeItem]], Iterator[Description | SkippedFile]]
Select = Callable[[ReferenceSource], bool]  # which of a folder's references an index takes


def describe_locally(workers: int) -> Describer:
    """A describer on ``workers`` processes (in this process for one worker or few files)."""

    def describe(items: list[DescribeItem]) -> Iterator[Description | SkippedFile]:
        if workers <= 1 or len(items) < _PARALLEL_FROM:
            embedder = FaceEmbedder()
            yield from (describe_image(p, s, m, embedder) for p, s, m in items)
            return
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker) as pool:
            yield from pool.map(_describe_in_worker, items, chunksize=4)

    return describe


def _describe_all(
    ingest: _Ingest,
    todo: list[tuple[Path, ReferenceSource]],
    max_pixels: int,
    describer: Describer,
    progress: Callable[[], None],
) -> None:
    """Describe ``todo`` in order with ``describer``; files whose id is indexed are skipped unread."""
    for _, source in todo:
        if source.id in ingest.known_ids:
            ingest.take(SkippedFile(file=source.file, reason=f"id {source.id!r} is already indexed"), source)
            progress()
    items = [(path, source, max_pixels) for path, source in todo if source.id not in ingest.known_ids]
    for (_, source, _), described in zip(items, describer(items), strict=True):
        ingest.take(described, source)
        progress()


class ReferenceIndex:
    """Descriptors of real reference images, searched in two stages (see the module docstring).

    Use :meth:`build` on a folder of images (with ``path`` it is written there
    directly), :meth:`save` to keep an index built in a scratch folder, then
    :meth:`load` where outputs are audited (see :class:`simulacra.audit.Auditor`).
    """

    def __init__(
        self,
        root: Path,
        manifest: Manifest,
        segments: list[Segment],
        structures: dict[str, Any],
        scratch: tempfile.TemporaryDirectory | None = None,
    ):
        self.root = root
        self.manifest = manifest
        self.segments = segments
        self.structures = structures
        self._scratch = scratch  # keeps an unsaved index's folder alive as long as the index
        self._starts = np.cumsum([0, *(s.record.references for s in segments)])
        self._records: dict[int, list[ReferenceRecord]] = {}

    @property
    def thresholds(self) -> Thresholds:
        """Thresholds recorded when the index was built (the auditor's defaults)."""
        return self.manifest.thresholds

    @property
    def size(self) -> int:
        """How many references are indexed."""
        return int(self._starts[-1])

    @property
    def references(self) -> list[ReferenceRecord]:
        """Records of every indexed reference (ids, sha256, licenses), in index order."""
        return [record for number in range(len(self.segments)) for record in self._segment_records(number)]

    def _segment_records(self, number: int) -> list[ReferenceRecord]:
        if number not in self._records:
            self._records[number] = self.segments[number].records()
        return self._records[number]

    def _locate(self, reference: int) -> tuple[Segment, int, int]:
        number = int(np.searchsorted(self._starts, reference, side="right")) - 1
        return self.segments[number], number, reference - int(self._starts[number])

    def reference(self, number: int) -> ReferenceRecord:
        """The record of reference ``number`` (its position in index order)."""
        _, segment, local = self._locate(number)
        return self._segment_records(segment)[local]

    def global_rows(self, references: np.ndarray) -> np.ndarray:
        """Exact global rows ``(n, crops, dim)`` of references, read from disk."""
        out = np.zeros((len(references), len(CROPS), desc.GLOBAL_DIM), np.float32)
        for i, number in enumerate(np.asarray(references).tolist()):
            segment, _, local = self._locate(number)
            out[i] = segment.global_rows(np.array([local]))[0]
        return out

    def keypoints(self, number: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
        """Keypoint geometry, unit RootSIFT and keypoint frame ``(w, h)`` of one reference, from disk."""
        segment, _, local = self._locate(number)
        geometry, descriptors = segment.keypoints(local)
        w, h = segment.arrays["frame.npy"][local].tolist()
        return geometry, descriptors, (w, h)

    def faces(self) -> tuple[np.ndarray, np.ndarray]:
        """Every indexed face: ``(m, 128)`` identity embeddings and the reference number of each."""
        embeddings = [np.asarray(s.arrays["faces.npy"]) for s in self.segments]
        owners = [
            np.asarray(s.arrays["face_reference.npy"]).astype(np.int64) + int(start)
            for s, start in zip(self.segments, self._starts, strict=False)
        ]
        return (
            np.concatenate([np.zeros((0, EMBEDDING_DIM), np.float32), *embeddings]),
            np.concatenate([np.zeros(0, np.int64), *owners]),
        )

    @classmethod
    def build(
        cls,
        directory: Path | str,
        progress: Progress | None = None,
        *,
        thresholds: Thresholds | None = None,
        max_pixels: int = MAX_PIXELS,
        path: Path | str | None = None,
        workers: int = 1,
        describer: Describer | None = None,
        select: Select | None = None,
    ) -> ReferenceIndex:
        """Index every image under ``directory`` (recursively); keep descriptors only.

        With ``path`` the index is written there (an existing index is replaced once
        the new one is complete) and a killed build resumes from its hidden
        ``.NAME.partial`` folder; without it, it lives in a scratch folder until
        :meth:`save`. Unreadable images and images whose header exceeds
        ``max_pixels`` are skipped with a warning and listed in :meth:`info`.
        ``progress(done, total)`` is called after each file. Files are described on
        ``workers`` processes, or by ``describer`` (e.g. on a Ray cluster); with
        ``select``, only the references it takes are indexed (one shard's).

        Raises:
            NoReferences: no readable reference image at all.
            ReferenceIndexError: no folder, a bad sidecar, or ``path`` holds something
                that is not an index.
        """
        root = _source_folder(directory)
        target = Path(path) if path is not None else None
        if target is not None:
            _check_target(target)
        scratch = None if target else tempfile.TemporaryDirectory(prefix="simulacra-index-")
        staging = target.with_name(f".{target.name}.partial") if target else Path(scratch.name)
        found, listed_missing = _selected(sources(root), select)
        state = _resume_state(staging, root, max_pixels)
        state.skipped = listed_missing
        segments = [Segment.open(staging, s) for s in state.segments]
        records = [r for s in segments for r in s.records()]
        done_files = {r.file for r in records} | {s.file for seg in segments for s in seg.skipped()}
        ingest = _Ingest(
            staging, list(state.segments), {r.id for r in records}, {r.sha256: r.id for r in records}
        )

        def checkpoint() -> None:
            state.segments = list(ingest.segments)
            _write_json(staging / _BUILD_STATE, state.model_dump_json(indent=1))

        ingest.on_commit = checkpoint
        todo = [(p, s) for p, s in found if s.file not in done_files]
        counter = _counter(progress, len(found), len(found) - len(todo))
        _describe_all(ingest, todo, max_pixels, describer or describe_locally(workers), counter)
        ingest.commit()
        if not any(s.references for s in ingest.segments):
            skipped = sum(len(Segment.open(staging, s).skipped()) for s in ingest.segments)
            shutil.rmtree(staging, ignore_errors=True)
            raise NoReferences(f"{root}: no readable reference images ({skipped} skipped)")
        index = cls._finish(staging, ingest.segments, state.skipped, thresholds or Thresholds(), scratch)
        (staging / _BUILD_STATE).unlink(missing_ok=True)
        if target is None:
            return index
        _publish(staging, target)
        return cls.load(target)

    def add(
        self,
        directory: Path | str,
        progress: Progress | None = None,
        *,
        max_pixels: int = MAX_PIXELS,
        workers: int = 1,
        describer: Describer | None = None,
        select: Select | None = None,
    ) -> tuple[ReferenceIndex, int]:
        """Append every new image under ``directory`` to this index, in its folder.

        Indexed references are not described again: new ones go into new segments and
        into the search structures (which are rebuilt from the stored descriptors
        only when the size calls for another kind). Images already indexed (same id
        or same sha256) and unreadable ones are skipped with a warning. Returns the
        updated index and how many references were added. ``workers``, ``describer``
        and ``select`` are as for :meth:`build`.

        Raises:
            ReferenceIndexError: no folder, or a bad sidecar.
        """
        root = _source_folder(directory)
        found, listed_missing = _selected(sources(root), select)
        records = self.references
        ingest = _Ingest(
            self.root,
            list(self.manifest.segments),
            {r.id for r in records},
            {r.sha256: r.id for r in records},
        )
        counter = _counter(progress, len(found), 0)
        _describe_all(ingest, found, max_pixels, describer or describe_locally(workers), counter)
        ingest.commit()
        if ingest.added == 0 and len(ingest.segments) == len(self.manifest.segments):
            return self, 0
        in_segments = {s for segment in self.segments for s in segment.skipped()}
        listed = [s for s in self.manifest.skipped if s not in in_segments] + listed_missing
        grown = type(self)._finish(
            self.root, ingest.segments, listed, self.thresholds, self._scratch, previous=self
        )
        return grown, ingest.added

    @classmethod
    def assemble(
        cls, described: Iterable[Description], thresholds: Thresholds | None = None
    ) -> ReferenceIndex:
        """An index, in a scratch folder, of descriptions made elsewhere (on Ray actors, or in tests).

        Duplicates (same id or sha256) are skipped as :meth:`build` skips them.
        """
        scratch = tempfile.TemporaryDirectory(prefix="simulacra-index-")
        ingest = _Ingest(Path(scratch.name), [], set(), {})
        for description in described:
            ingest.take(description, ReferenceSource(id=description.record.id, file=description.record.file))
        ingest.commit()
        return cls._finish(Path(scratch.name), ingest.segments, [], thresholds or Thresholds(), scratch)

    @classmethod
    def _finish(
        cls,
        folder: Path,
        records: list[SegmentRecord],
        skipped: list[SkippedFile],
        thresholds: Thresholds,
        scratch: tempfile.TemporaryDirectory | None,
        previous: ReferenceIndex | None = None,
    ) -> ReferenceIndex:
        """Search structures and ``index.json`` for the segments in ``folder``.

        ``skipped`` are the skipped files no segment records (sidecar entries whose
        file is missing); ``previous`` is the index these segments extend, if any.
        """
        segments = [Segment.open(folder, r) for r in records]
        references = [r for s in segments for r in s.records()]
        counts = _counts(segments)
        kinds = {name: search.choose(name, counts[name]) for name in _STRUCTURES}
        structures = _grow_or_build(segments, kinds, previous)
        files = {}
        for name, structure in structures.items():
            search.write(structure, str(folder / f"{name}.faiss.new"))
            os.replace(folder / f"{name}.faiss.new", folder / f"{name}.faiss")
            files[f"{name}.faiss"] = _sha256(folder / f"{name}.faiss")
        content = json.dumps([[r.id, r.sha256] for r in sorted(references, key=lambda r: r.id)])
        content += json.dumps(current_descriptors(), sort_keys=True)
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            builder=_builder(),
            content_hash=hashlib.sha256(content.encode()).hexdigest(),
            descriptors=current_descriptors(),
            search=kinds,
            thresholds=thresholds,
            segments=records,
            skipped=[*skipped, *(s for seg in segments for s in seg.skipped())],
            licenses=dict(Counter(r.license or "unknown" for r in references)),
            counts={"references": len(references), **counts},
            files=files,
        )
        _write_json(folder / "index.json", manifest.model_dump_json(indent=1))
        return cls(folder, manifest, segments, structures, scratch)

    def with_thresholds(self, thresholds: Thresholds) -> ReferenceIndex:
        """The same index with other default thresholds (e.g. after calibration); save to keep them."""
        manifest = self.manifest.model_copy(update={"thresholds": thresholds})
        return type(self)(self.root, manifest, self.segments, self.structures, self._scratch)

    def save(self, path: Path | str) -> Path:
        """Write the index as a directory at ``path`` (its own folder: only ``index.json`` is rewritten).

        An existing index at ``path`` is replaced only once the new one is complete;
        any other existing content is never overwritten.

        Raises:
            ReferenceIndexError: ``path`` holds something that is not an index, or
                cannot be written.
        """
        target = Path(path)
        try:
            if target.exists() and target.resolve() == self.root.resolve():
                _write_json(target / "index.json", self.manifest.model_dump_json(indent=1))
                return target
            _check_target(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            staging.chmod(0o755)  # mkdtemp makes it private; an index is meant to be shared
            shutil.copytree(self.root / SEGMENTS, staging / SEGMENTS, ignore=shutil.ignore_patterns(".*"))
            for name in self.manifest.files:
                shutil.copy2(self.root / name, staging / name)
            _write_json(staging / "index.json", self.manifest.model_dump_json(indent=1))
            _publish(staging, target)
        except OSError as exc:
            raise ReferenceIndexError(f"{target}: cannot write reference index ({exc})") from exc
        return target

    @classmethod
    def load(cls, path: Path | str) -> ReferenceIndex:
        """Load and validate an index directory written by :meth:`build` or :meth:`save`.

        The faiss structures are read into RAM (checksums verified); the segments are
        memory-mapped and their shapes checked against ``index.json``.

        Raises:
            ReferenceIndexError: a file is missing or corrupt, or the index was built
                with other descriptors than this version computes; the message names
                the file.
        """
        root = Path(path)
        if not root.is_dir():
            raise ReferenceIndexError(f"{root}: reference index directory does not exist")
        manifest = parse_manifest(root / "index.json")
        check_descriptors(manifest, root / "index.json", current_descriptors())
        structures = {}
        for name, (dim, _) in _STRUCTURES.items():
            file = root / f"{name}.faiss"
            if not file.is_file():
                raise ReferenceIndexError(f"{file}: missing from the reference index")
            if _sha256(file) != manifest.files.get(file.name):
                raise ReferenceIndexError(f"{file}: checksum does not match index.json (corrupt or replaced)")
            structure = search.read(str(file), manifest.search.get(name, "Flat"))
            count = manifest.counts.get(name)
            if structure.d != dim or structure.ntotal != count:
                raise ReferenceIndexError(
                    f"{file}: holds {structure.ntotal} vectors of {structure.d} dims, "
                    f"index.json expects {count} of {dim}"
                )
            structures[name] = structure
        segments = [Segment.open(root, s) for s in manifest.segments]
        return cls(root, manifest, segments, structures)

    def info(self) -> dict[str, Any]:
        """Summary for the CLI and the dataset card: what is indexed, how, and what was skipped."""
        m = self.manifest
        ram = sum((self.root / name).stat().st_size for name in m.files)
        disk = ram + sum(f.stat().st_size for f in (self.root / SEGMENTS).rglob("*") if f.is_file())
        return {
            "references": self.size,
            "global_vectors": m.counts["global"],
            "keypoints": m.counts["keypoints"],
            "faces": m.counts["faces"],
            "search": dict(m.search),
            "bytes_per_reference": {"ram": round(ram / self.size), "disk": round(disk / self.size)},
            "skipped": [s.model_dump() for s in m.skipped],
            "licenses": dict(m.licenses),
            "descriptors": m.descriptors,
            "thresholds": m.thresholds.model_dump(),
            "content_hash": m.content_hash,
            "builder": m.builder,
        }


def _counts(segments: list[Segment]) -> dict[str, int]:
    """Vectors each search structure holds for ``segments``."""
    references = sum(s.record.references for s in segments)
    retrieval = sum(
        int(np.minimum(s.arrays["keypoint_count.npy"], RETRIEVAL_KEYPOINTS).sum()) for s in segments
    )
    return {
        "global": references * len(CROPS),
        "keypoints": retrieval,
        "phash": references,
        "faces": sum(s.record.faces for s in segments),
    }


def _vectors(name: str, segment: Segment, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors and faiss ids one segment (its first reference is number ``start``) gives ``name``."""
    n = segment.record.references
    if name == "global":
        rows = segment.global_rows(np.arange(n)).reshape(n * len(CROPS), desc.GLOBAL_DIM)
        refs, crops = np.divmod(np.arange(n * len(CROPS)), len(CROPS))
        return rows, search.row_id(refs + start, crops, GLOBAL_STRIDE)
    if name == "keypoints":
        rows, where = segment.retrieval_keypoints(RETRIEVAL_KEYPOINTS)
        return rows, search.row_id(where[:, 0] + start, where[:, 1], KEYPOINT_STRIDE)
    if name == "phash":
        hashes = np.asarray(segment.arrays["phash.npy"]).astype(">u8")
        return hashes.view(np.uint8).reshape(n, 8), np.arange(start, start + n, dtype=np.int64)
    faces = np.asarray(segment.arrays["faces.npy"])
    return faces, np.asarray(segment.arrays["face_reference.npy"]).astype(np.int64) + start


def _training_sample(name: str, segments: list[Segment], size: int) -> np.ndarray:
    """Up to ``size`` vectors of ``name`` drawn evenly from every segment (seeded, so builds repeat)."""
    rng = np.random.default_rng(0)
    total = sum(s.record.references for s in segments)
    chunks = []
    for segment in segments:
        vectors, _ = _vectors(name, segment, 0)
        share = int(np.ceil(size * segment.record.references / max(total, 1)))
        pick = rng.choice(len(vectors), min(share, len(vectors)), replace=False)
        chunks.append(vectors[np.sort(pick)])
    return np.concatenate(chunks)


def _grow_or_build(
    segments: list[Segment], kinds: dict[str, str], previous: ReferenceIndex | None
) -> dict[str, Any]:
    """Search structures for ``segments``: the previous ones grown by the new segments where
    the kind stays the same, built afresh (trained, then filled) where it changes."""
    structures = {}
    starts = np.cumsum([0, *(s.record.references for s in segments)])
    for name, (dim, metric) in _STRUCTURES.items():
        old = previous.structures.get(name) if previous is not None else None
        if old is not None and previous.manifest.search.get(name) == kinds[name]:
            structure, first = old, len(previous.segments)
        else:
            structure, first = search.create(dim, kinds[name], metric), 0
            if search.needs_training(kinds[name]):
                search.train(structure, _training_sample(name, segments, search.train_size(kinds[name])))
        for segment, start in zip(segments[first:], starts[first:-1], strict=True):
            search.add(structure, *_vectors(name, segment, int(start)))
        structures[name] = structure
    return structures


def _selected(
    listed: tuple[list[tuple[Path, ReferenceSource]], list[SkippedFile]], select: Select | None
) -> tuple[list[tuple[Path, ReferenceSource]], list[SkippedFile]]:
    """The listed files ``select`` takes (a listed-but-missing file is kept by the shard of its id)."""
    found, missing = listed
    if select is None:
        return found, missing
    return [(p, s) for p, s in found if select(s)], [
        m for m in missing if select(ReferenceSource(id=m.file, file=m.file))
    ]


def _source_folder(directory: Path | str) -> Path:
    root = Path(directory)
    if not root.is_dir():
        raise ReferenceIndexError(f"{root}: reference folder does not exist")
    return root


def _check_target(target: Path) -> None:
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not (target / "index.json").is_file())
    ):
        raise ReferenceIndexError(f"{target}: exists and is not a reference index; refusing to overwrite")


def _resume_state(staging: Path, root: Path, max_pixels: int) -> _BuildState:
    """The committed part of an earlier, interrupted build of the same folder, or a fresh start."""
    fresh = _BuildState(source=str(root.resolve()), max_pixels=max_pixels, descriptors=current_descriptors())
    file = staging / _BUILD_STATE
    try:
        state = _BuildState.model_validate_json(file.read_text(encoding="utf-8"))
    except (OSError, ValueError, ValidationError):
        state = None
    if state is not None and state.model_dump(
        include={"source", "max_pixels", "descriptors"}
    ) == fresh.model_dump(include={"source", "max_pixels", "descriptors"}):
        log.info("resuming the build in %s after %d segments", staging, len(state.segments))
        return state
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return fresh


def _publish(staging: Path, target: Path) -> None:
    """Move a complete index from ``staging`` to ``target``, replacing an index there."""
    if target.exists():
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old)
    else:
        staging.rename(target)


def _counter(progress: Progress | None, total: int, done: int) -> Callable[[], None]:
    state = {"done": done}

    def step() -> None:
        state["done"] += 1
        if progress is not None:
            progress(state["done"], total)

    return step


def _write_json(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _builder() -> str:
    try:
        return f"simulacra {metadata.version('simulacra')}"
    except metadata.PackageNotFoundError:
        return "simulacra (not installed)"
