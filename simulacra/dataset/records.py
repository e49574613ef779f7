"""Per-image records: the unit of finished work, written atomically.

An image is finished exactly when ``records/NNNNNN.json`` exists. Every file an image
owns is written (temp name, then rename) before its record, so a job killed at any
moment leaves finished images with their records and, at worst, leftover files without
one, which a resumed job simply writes again. The record holds everything the dataset's
shared files need (kept graph, audit entries of every attempt, unoccluded areas, or why
the image failed), so COCO, the graph and audit logs and the card are assembled from
the records alone, in image order, whichever worker made each image and when.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from simulacra.dataset.atomic import write_atomic
from simulacra.dataset.frames import encode_frame
from simulacra.dataset.layout import RECORDS, record_file
from simulacra.render import Frame
from simulacra.scenes import SceneGraph

Status = Literal["kept", "dropped", "failed"]


@dataclass(frozen=True)
class ImageOutcome:
    """What became of one image: its kept graph, or none (dropped by the audit, or failed).

    ``audit`` lists the audit log entries of every attempt; ``failure`` says why an image
    could not be rendered at all (its worker crashed or hung too often). ``files`` maps each
    file the image owns (the record excepted) to its sha256, so ``--resume`` can check that
    an image it skips is still whole (:func:`~simulacra.dataset.reader.record_fault`).
    """

    image_index: int
    graph: SceneGraph | None
    audit: tuple[dict, ...] = ()
    unoccluded: dict[int, int] = field(default_factory=dict)
    backend: str = ""
    failure: str | None = None
    files: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        if self.graph is not None:
            return "kept"
        return "failed" if self.failure is not None else "dropped"

    @property
    def rejected(self) -> int:
        """Renders of this image the audit rejected."""
        return sum(entry.get("verdict") == "reject" for entry in self.audit)

    def to_json(self) -> str:
        return json.dumps(
            {
                "image_index": self.image_index,
                "graph": json.loads(self.graph.to_json()) if self.graph is not None else None,
                "audit": list(self.audit),
                "unoccluded": {str(k): v for k, v in sorted(self.unoccluded.items())},
                "backend": self.backend,
                "failure": self.failure,
                "files": dict(sorted(self.files.items())),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> ImageOutcome:
        data = json.loads(text)
        graph = data["graph"]
        return cls(
            image_index=data["image_index"],
            graph=SceneGraph.from_json(json.dumps(graph)) if graph is not None else None,
            audit=tuple(data["audit"]),
            unoccluded={int(k): v for k, v in data["unoccluded"].items()},
            backend=data["backend"],
            failure=data["failure"],
            files=dict(data.get("files", {})),  # records written before they carried hashes: none
        )


def outcome_files(outcome: ImageOutcome, frame: Frame | None) -> dict[str, bytes]:
    """Every file the image owns, encoded, in write order: pixels and labels first, the record last.

    The record carries the sha256 of every other file, so a resumed job can verify them.
    """
    files = encode_frame(outcome.image_index, frame) if frame is not None else {}
    hashes = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    files[record_file(outcome.image_index)] = replace(outcome, files=hashes).to_json().encode()
    return files


def commit(root: Path, files: dict[str, bytes]) -> None:
    """Write an image's files into ``root`` in order, each atomically; the record, last, commits it."""
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)


def finished(root: Path) -> set[int]:
    """Indices of the images that have a record in ``root`` (finished: kept, dropped or failed)."""
    folder = root / RECORDS
    if not folder.is_dir():
        return set()
    return {int(p.stem) for p in folder.glob("[0-9]*.json") if p.stem.isdigit()}
