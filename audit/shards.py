"""A reference index split into shards by reference id: one index too big for one process.

A sharded index is a folder holding ``shards.json`` and one ordinary
:class:`~simulacra.audit.index.ReferenceIndex` per shard (``shard-000``, ...). A
reference lives in the shard that a stable hash of its id names, so any machine
finds it there, ``index add`` sends each new reference to its shard, and shards
are built, searched and served independently (one per Ray actor, see
:mod:`simulacra.farm.ray_audit`).

An output is described once (:func:`~simulacra.audit.auditor.describe`); every
shard scores it against its own references and the scores merge signal by signal
(:func:`~simulacra.audit.auditor.merge`), so a sharded audit gives the same verdict
wherever its shards are searched. Against the same references unsharded it
rejects at least what the unsharded index rejects: each shard verifies its own
best candidates, so more candidates are verified in all.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from simulacra.audit.auditor import Auditor, Verdict, describe, merge, verdict_of
from simulacra.audit.collect import sources
from simulacra.audit.identity import FaceEmbedder
from simulacra.audit.index import Describer, ReferenceIndex, describe_locally
from simulacra.audit.manifest import ReferenceRecord
from simulacra.audit.references import ReferenceSource
from simulacra.audit.thresholds import Thresholds
from simulacra.errors import NoReferences, ReferenceIndexError

SHARDS_FILE = "shards.json"
SHARDED_FORMAT = "simulacra-sharded-reference-index"
SHARDED_VERSION = 1
_BUILD_STATE = "sharded-build.json"
Progress = Callable[[int, int], None]


def shard_of(reference_id: str, count: int) -> int:
    """The shard of ``count`` that holds reference ``reference_id``.

    A digest of the id (not Python's per-process salted ``hash``), so every process
    and machine agrees, and a reference keeps its shard when others are added.
    """
    digest = hashlib.sha256(reference_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def shard_name(number: int) -> str:
    return f"shard-{number:03d}"


class ShardsManifest(BaseModel):
    """``shards.json``: how many shards, which hold references, the thresholds every shard uses."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["simulacra-sharded-reference-index"] = SHARDED_FORMAT
    format_version: int
    count: int
    shards: list[str | None]  # folder of shard k, None when no reference hashes to it
    thresholds: Thresholds
    content_hash: str


class _BuildState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str
    count: int


def is_sharded(path: Path | str) -> bool:
    """Whether ``path`` is a sharded index (it holds ``shards.json``)."""
    return (Path(path) / SHARDS_FILE).is_file()


class ShardedIndex:
    """The shards of one reference index, loaded (see the module docstring)."""

    def __init__(self, root: Path, manifest: ShardsManifest, shards: list[ReferenceIndex]):
        self.root = root
        self.manifest = manifest
        self.shards = shards

    @property
    def thresholds(self) -> Thresholds:
        return self.manifest.thresholds

    @property
    def size(self) -> int:
        return sum(shard.size for shard in self.shards)

    @property
    def references(self) -> list[ReferenceRecord]:
        """Every shard's records, shard after shard."""
        return [record for shard in self.shards for record in shard.references]

    def global_rows(self, references: np.ndarray) -> np.ndarray:
        """Exact global rows ``(n, crops, dim)`` of references numbered shard after shard."""
        starts = np.cumsum([0, *(shard.size for shard in self.shards)])
        numbers = np.asarray(references, np.int64)
        owner = np.searchsorted(starts, numbers, side="right") - 1
        rows = [shard.global_rows(numbers[owner == k] - starts[k]) for k, shard in enumerate(self.shards)]
        out = np.concatenate(rows)
        order = np.argsort(np.concatenate([np.flatnonzero(owner == k) for k in range(len(self.shards))]))
        return out[order]

    def shard_paths(self) -> list[Path]:
        """The folder of every shard that holds references, in shard order."""
        return [self.root / name for name in self.manifest.shards if name is not None]

    @classmethod
    def build(
        cls,
        directory: Path,
        path: Path,
        count: int,
        progress: Progress | None = None,
        *,
        workers: int = 1,
        describer: Describer | None = None,
    ) -> ShardedIndex:
        """Index the images under ``directory`` into ``count`` shards at ``path``.

        Shards are built one after another, each described on ``workers`` processes
        or by ``describer``; a killed build resumes from ``.NAME.partial`` (finished
        shards are kept, the interrupted one resumes as an unsharded build does).

        Raises:
            NoReferences: no readable reference image in any shard.
            ReferenceIndexError: ``count`` < 1, no folder, a bad sidecar, or ``path``
                holds something else.
        """
        if count < 1:
            raise ReferenceIndexError(f"--shards {count}: must be at least 1")
        if not directory.is_dir():
            raise ReferenceIndexError(f"reference folder {directory} does not exist")
        if path.exists() and not is_sharded(path) and (not path.is_dir() or any(path.iterdir())):
            raise ReferenceIndexError(f"{path} exists and is not a sharded index; not overwritten")
        staging = path.with_name(f".{path.name}.partial")
        _resume(staging, directory, count)
        describer = describer or describe_locally(workers)
        built = [
            _build_shard(directory, staging, number, count, shard_progress, describer)
            for number, shard_progress in enumerate(_progress_by_shard(directory, count, progress))
        ]
        if not any(built):
            shutil.rmtree(staging, ignore_errors=True)
            raise NoReferences(f"{directory}: no readable reference images")
        cls._finish(staging, count, built, Thresholds())
        (staging / _BUILD_STATE).unlink()
        if path.exists():  # an earlier sharded index (or an empty folder), replaced once this is complete
            shutil.rmtree(path)
        staging.rename(path)
        return cls.load(path)

    @classmethod
    def _finish(
        cls, folder: Path, count: int, shards: list[str | None], thresholds: Thresholds
    ) -> ShardedIndex:
        """Write ``shards.json`` over the shards in ``folder``; every shard gets ``thresholds``."""
        loaded = [ReferenceIndex.load(folder / name) for name in shards if name is not None]
        content = json.dumps([shard.manifest.content_hash for shard in loaded])
        manifest = ShardsManifest(
            format_version=SHARDED_VERSION,
            count=count,
            shards=shards,
            thresholds=thresholds,
            content_hash=hashlib.sha256(content.encode()).hexdigest(),
        )
        for shard, name in zip(loaded, [n for n in shards if n is not None], strict=True):
            if shard.thresholds != thresholds:
                shard.with_thresholds(thresholds).save(folder / name)
        (folder / SHARDS_FILE).write_text(manifest.model_dump_json(indent=1) + "\n")
        return cls(folder, manifest, loaded)

    def add(
        self,
        directory: Path,
        progress: Progress | None = None,
        *,
        workers: int = 1,
        describer: Describer | None = None,
    ) -> tuple[ShardedIndex, int]:
        """Add the new references under ``directory``, each to its shard; returns the index and how many.

        A shard that held nothing yet is created. An image already indexed under
        another id in another shard is not recognised as a copy (each shard checks
        its own sha256s).
        """
        describer = describer or describe_locally(workers)
        count = self.manifest.count
        shards, added = list(self.manifest.shards), 0
        for number, shard_progress in enumerate(_progress_by_shard(directory, count, progress)):
            name = shards[number]
            if name is None:
                name = shards[number] = _build_shard(
                    directory, self.root, number, count, shard_progress, describer
                )
                added += ReferenceIndex.load(self.root / name).size if name else 0
                continue

            def mine(source: ReferenceSource, number: int = number) -> bool:
                return shard_of(source.id, count) == number

            shard = ReferenceIndex.load(self.root / name)
            added += shard.add(directory, shard_progress, describer=describer, select=mine)[1]
        return type(self)._finish(self.root, self.manifest.count, shards, self.thresholds), added

    def with_thresholds(self, thresholds: Thresholds) -> ShardedIndex:
        """Every shard with ``thresholds`` (written to disk: a sharded index lives in its folder)."""
        return type(self)._finish(self.root, self.manifest.count, self.manifest.shards, thresholds)

    @classmethod
    def load(cls, path: Path | str) -> ShardedIndex:
        """Load ``shards.json`` and every shard (each validated as :meth:`ReferenceIndex.load` does).

        Raises:
            ReferenceIndexError: ``shards.json`` is malformed or of another version, or a
                shard is missing or corrupt; the message names the file.
        """
        root = Path(path)
        file = root / SHARDS_FILE
        try:
            manifest = ShardsManifest.model_validate_json(file.read_text())
        except OSError as exc:
            raise ReferenceIndexError(f"{file}: cannot read ({exc.strerror})") from None
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise ReferenceIndexError(f"{file}: {where}: {problem['msg']}") from None
        if manifest.format_version != SHARDED_VERSION:
            raise ReferenceIndexError(
                f"{file}: sharded index format {manifest.format_version}, this version reads "
                f"{SHARDED_VERSION}; rebuild the index"
            )
        shards = [ReferenceIndex.load(root / name) for name in manifest.shards if name is not None]
        return cls(root, manifest, shards)

    def info(self) -> dict[str, Any]:
        """The sharded index's summary: totals, and each shard's own summary."""
        shards = [shard.info() for shard in self.shards]
        return {
            "format": SHARDED_FORMAT,
            "format_version": SHARDED_VERSION,
            "shards": self.manifest.count,
            "references": self.size,
            "content_hash": self.manifest.content_hash,
            "thresholds": self.thresholds.model_dump(),
            "skipped": [skipped for s in shards for skipped in s["skipped"]],
            "per_shard": shards,
        }


def _progress_by_shard(directory: Path, count: int, progress: Progress | None) -> list[Progress]:
    """One progress callback per shard, each counting on from the shards before it."""
    found, _ = sources(directory)
    per_shard = np.bincount([shard_of(s.id, count) for _, s in found], minlength=count)
    total = int(per_shard.sum())

    def step(offset: int) -> Progress:
        def report(done: int, _: int) -> None:
            if progress:
                progress(offset + done, total)

        return report

    return [step(int(per_shard[:number].sum())) for number in range(count)]


def _resume(staging: Path, directory: Path, count: int) -> None:
    """Keep a partial build of the same folder into the same number of shards; discard any other."""
    state = _BuildState(source=str(directory.resolve()), count=count)
    try:
        previous = _BuildState.model_validate_json((staging / _BUILD_STATE).read_text())
    except (OSError, ValidationError):
        previous = None
    if previous != state:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        (staging / _BUILD_STATE).write_text(state.model_dump_json() + "\n")


def _build_shard(
    directory: Path,
    folder: Path,
    number: int,
    count: int,
    progress: Progress | None,
    describer: Describer,
) -> str | None:
    """Build shard ``number`` into ``folder`` unless it is already there; None when it holds nothing."""
    name = shard_name(number)
    if (folder / name / "index.json").is_file():
        return name
    try:
        ReferenceIndex.build(
            directory,
            progress,
            path=folder / name,
            describer=describer,
            select=lambda source: shard_of(source.id, count) == number,
        )
    except NoReferences:
        return None
    return name


def load_index(path: Path | str) -> ReferenceIndex | ShardedIndex:
    """The index at ``path``, sharded or not."""
    return ShardedIndex.load(path) if is_sharded(path) else ReferenceIndex.load(path)


class ShardedAuditor:
    """Audits outputs against every shard of a :class:`ShardedIndex` in this process.

    The output is described once; each shard's auditor scores the description and the
    evidence merges. Safe to share between threads, as :class:`Auditor` is.
    """

    def __init__(self, index: ShardedIndex, thresholds: Thresholds | None = None):
        self.index = index
        self.thresholds = thresholds or index.thresholds
        self.auditors = [Auditor(shard, self.thresholds) for shard in index.shards]
        self.embedder = FaceEmbedder()

    def audit(self, rgb: np.ndarray, file: str | None = None) -> Verdict:
        """Compare one ``HxWx3`` uint8 RGB output against every shard's references."""
        wants_faces = any(a.wants_faces for a in self.auditors)
        query = describe(rgb, self.embedder if wants_faces else None)
        return verdict_of(merge([a.evidence(query) for a in self.auditors]), query.shape, file)


def auditor_of(
    index: ReferenceIndex | ShardedIndex, thresholds: Thresholds | None = None
) -> Auditor | ShardedAuditor:
    """The auditor of a loaded index, sharded or not."""
    if isinstance(index, ShardedIndex):
        return ShardedAuditor(index, thresholds)
    return Auditor(index, thresholds)


def open_auditor(path: Path | str, thresholds: Thresholds | None = None) -> Auditor | ShardedAuditor:
    """The auditor of the index at ``path``, sharded or not."""
    return auditor_of(load_index(path), thresholds)
