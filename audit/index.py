"""The reference index: descriptors of real images, never the images.

Built once from a folder of real photos (the ones that must not leak into a
synthetic dataset), saved as a small directory, loaded by every auditing worker.
What each reference is described by lives in :mod:`simulacra.audit.collect`; which
faiss structure searches the descriptors (exact, or HNSW for large sets) in
:mod:`simulacra.audit.search`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from simulacra.audit import descriptors as desc
from simulacra.audit import search
from simulacra.audit.collect import Parts, Progress, describe_folder
from simulacra.audit.identity import EMBEDDING_DIM
from simulacra.audit.images import MAX_PIXELS
from simulacra.audit.manifest import (
    FORMAT,
    FORMAT_VERSION,
    Manifest,
    ReferenceRecord,
    check_descriptors,
    current_descriptors,
    parse_manifest,
)
from simulacra.audit.thresholds import Thresholds
from simulacra.errors import ReferenceIndexError

_FILES = ("index.faiss", "keypoints.faiss", "arrays.npz")
_ARRAYS = ("global_view", "keypoint_view", "keypoint_geometry", "face_embeddings", "face_reference")


class ReferenceIndex:
    """Descriptors of real reference images, searchable with exact faiss inner product.

    Use :meth:`build` on a folder of images, :meth:`save`, then :meth:`load` where
    outputs are audited (see :class:`simulacra.audit.Auditor`).
    """

    def __init__(
        self, manifest: Manifest, arrays: dict[str, np.ndarray], global_index: Any, keypoint_index: Any
    ):
        self.manifest = manifest
        self.global_index = global_index
        self.keypoint_index = keypoint_index
        self.global_view = arrays["global_view"]
        self.keypoint_view = arrays["keypoint_view"]
        self.keypoint_geometry = arrays["keypoint_geometry"]
        self.face_embeddings = arrays["face_embeddings"]
        self.face_reference = arrays["face_reference"]
        self.keypoint_desc = (
            keypoint_index.reconstruct_n(0, keypoint_index.ntotal)
            if keypoint_index.ntotal
            else np.zeros((0, desc.KEYPOINT_DIM), np.float32)
        )
        counts = np.bincount(self.keypoint_view, minlength=len(manifest.views))
        self.keypoint_offsets = np.concatenate([[0], np.cumsum(counts)])
        self.view_phash = np.array([int(v.phash, 16) for v in manifest.views], np.uint64)

    @property
    def thresholds(self) -> Thresholds:
        """Thresholds recorded when the index was built (the auditor's defaults)."""
        return self.manifest.thresholds

    @property
    def references(self) -> list[ReferenceRecord]:
        """Records of the indexed references (ids, sha256, licenses), in index order."""
        return self.manifest.references

    def view_reference(self, view: int) -> ReferenceRecord:
        """The reference a view (plain or mirrored) belongs to."""
        return self.manifest.references[self.manifest.views[view].reference]

    @classmethod
    def build(
        cls,
        directory: Path | str,
        progress: Progress | None = None,
        *,
        thresholds: Thresholds | None = None,
        max_pixels: int = MAX_PIXELS,
    ) -> ReferenceIndex:
        """Index every image under ``directory`` (recursively); keep descriptors only.

        Unreadable images and images whose header exceeds ``max_pixels`` are
        skipped with a warning and listed in :meth:`info`. ``progress(done, total)``
        is called after each file.

        Raises:
            ReferenceIndexError: no folder, a bad sidecar, or no readable image at all.
        """
        root = Path(directory)
        if not root.is_dir():
            raise ReferenceIndexError(f"{root}: reference folder does not exist")
        parts = Parts()
        describe_folder(parts, root, max_pixels=max_pixels, progress=progress)
        if not parts.references:
            raise ReferenceIndexError(f"{root}: no readable reference images ({len(parts.skipped)} skipped)")
        return cls.assemble(parts, thresholds or Thresholds())

    def add(
        self, directory: Path | str, progress: Progress | None = None, *, max_pixels: int = MAX_PIXELS
    ) -> tuple[ReferenceIndex, int]:
        """A new index holding these references plus every new image under ``directory``.

        Images already indexed (same id or same sha256) and unreadable ones are
        skipped with a warning. The faiss structures are rebuilt, so the search kind
        follows the new size. Thresholds carry over. Returns the index and how many
        references were added.

        Raises:
            ReferenceIndexError: no folder, or a bad sidecar.
        """
        root = Path(directory)
        if not root.is_dir():
            raise ReferenceIndexError(f"{root}: reference folder does not exist")
        parts = self.parts()
        added = describe_folder(parts, root, max_pixels=max_pixels, progress=progress)
        return type(self).assemble(parts, self.thresholds), added

    def parts(self) -> Parts:
        """This index's contents as plain arrays, to extend and :meth:`assemble` again."""
        m = self.manifest
        return Parts(
            references=list(m.references),
            views=list(m.views),
            skipped=list(m.skipped),
            global_rows=[self.global_index.reconstruct_n(0, self.global_index.ntotal)],
            global_view=[self.global_view],
            keypoint_desc=[self.keypoint_desc],
            keypoint_geometry=[self.keypoint_geometry],
            keypoint_view=[self.keypoint_view],
            face_embeddings=[self.face_embeddings],
            face_reference=[self.face_reference],
        )

    @classmethod
    def assemble(
        cls,
        parts: Parts,
        thresholds: Thresholds,
        *,
        global_approx_from: int = search.GLOBAL_APPROX_FROM,
        keypoint_approx_from: int = search.KEYPOINT_APPROX_FROM,
    ) -> ReferenceIndex:
        """Build the faiss structures (kind chosen by size) and the manifest for ``parts``."""
        global_rows, keypoint_desc = parts.array("global_rows"), parts.array("keypoint_desc")
        kinds = {
            "global": search.choose(len(global_rows), global_approx_from),
            "keypoints": search.choose(len(keypoint_desc), keypoint_approx_from),
        }
        global_index = search.build(global_rows, kinds["global"])
        keypoint_index = search.build(keypoint_desc, kinds["keypoints"])
        references = parts.references
        content = json.dumps([[r.id, r.sha256] for r in sorted(references, key=lambda r: r.id)])
        content += json.dumps(current_descriptors(), sort_keys=True)
        arrays = {name: parts.array(name) for name in _ARRAYS}
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            builder=_builder(),
            content_hash=hashlib.sha256(content.encode()).hexdigest(),
            descriptors=current_descriptors(),
            search=kinds,
            thresholds=thresholds,
            references=references,
            skipped=parts.skipped,
            views=parts.views,
            counts={
                "global": global_index.ntotal,
                "keypoints": keypoint_index.ntotal,
                "faces": len(arrays["face_reference"]),
            },
            files={},
        )
        return cls(manifest, arrays, global_index, keypoint_index)

    def with_thresholds(self, thresholds: Thresholds) -> ReferenceIndex:
        """The same index with other default thresholds (e.g. after calibration); save to keep them."""
        arrays = {name: getattr(self, name) for name in _ARRAYS}
        manifest = self.manifest.model_copy(update={"thresholds": thresholds})
        return type(self)(manifest, arrays, self.global_index, self.keypoint_index)

    def save(self, path: Path | str) -> Path:
        """Write the index as a directory: ``index.json``, two faiss files, ``arrays.npz``.

        An existing index at ``path`` is replaced only once the new one is complete;
        any other existing content is never overwritten.

        Raises:
            ReferenceIndexError: ``path`` holds something that is not an index, or
                cannot be written.
        """
        target = Path(path)
        if target.exists() and (
            not target.is_dir() or (any(target.iterdir()) and not (target / "index.json").is_file())
        ):
            raise ReferenceIndexError(f"{target}: exists and is not a reference index; refusing to overwrite")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            staging.chmod(0o755)  # mkdtemp makes it private; an index is meant to be shared
            faiss.write_index(self.global_index, str(staging / "index.faiss"))
            faiss.write_index(self.keypoint_index, str(staging / "keypoints.faiss"))
            np.savez(staging / "arrays.npz", **{name: getattr(self, name) for name in _ARRAYS})
            files = {name: hashlib.sha256((staging / name).read_bytes()).hexdigest() for name in _FILES}
            manifest = self.manifest.model_copy(update={"files": files})
            (staging / "index.json").write_text(manifest.model_dump_json(indent=1) + "\n", encoding="utf-8")
            if target.exists():
                old = target.with_name(f".{target.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                target.rename(old)
                staging.rename(target)
                shutil.rmtree(old)
            else:
                staging.rename(target)
        except OSError as exc:
            raise ReferenceIndexError(f"{target}: cannot write reference index ({exc})") from exc
        self.manifest = manifest
        return target

    @classmethod
    def load(cls, path: Path | str) -> ReferenceIndex:
        """Load and validate an index directory written by :meth:`save`.

        Raises:
            ReferenceIndexError: a file is missing or corrupt, or the index was built
                with other descriptors than this version computes; the message names
                the file.
        """
        root = Path(path)
        if not root.is_dir():
            raise ReferenceIndexError(f"{root}: reference index directory does not exist")
        manifest = parse_manifest(root / "index.json")
        check_descriptors(manifest, root / "index.json")
        for name in _FILES:
            file = root / name
            if not file.is_file():
                raise ReferenceIndexError(f"{file}: missing from the reference index")
            if hashlib.sha256(file.read_bytes()).hexdigest() != manifest.files.get(name):
                raise ReferenceIndexError(f"{file}: checksum does not match index.json (corrupt or replaced)")
        indexes = {}
        for name, kind, dim, count in (
            ("index.faiss", "global", desc.GLOBAL_DIM, manifest.counts.get("global")),
            ("keypoints.faiss", "keypoints", desc.KEYPOINT_DIM, manifest.counts.get("keypoints")),
        ):
            index = search.read(str(root / name), manifest.search.get(kind, "Flat"))
            if index.d != dim or index.ntotal != count:
                raise ReferenceIndexError(
                    f"{root / name}: holds {index.ntotal} vectors of {index.d} dims, "
                    f"index.json expects {count} of {dim}"
                )
            indexes[name] = index
        arrays = _load_arrays(root / "arrays.npz", manifest)
        return cls(manifest, arrays, indexes["index.faiss"], indexes["keypoints.faiss"])

    def info(self) -> dict[str, Any]:
        """Summary for the CLI and the dataset card: what is indexed, how, and what was skipped."""
        m = self.manifest
        return {
            "references": len(m.references),
            "views": len(m.views),
            "global_vectors": self.global_index.ntotal,
            "keypoints": self.keypoint_index.ntotal,
            "faces": len(self.face_reference),
            "search": dict(m.search),
            "skipped": [s.model_dump() for s in m.skipped],
            "licenses": dict(Counter(r.license or "unknown" for r in m.references)),
            "descriptors": m.descriptors,
            "thresholds": m.thresholds.model_dump(),
            "content_hash": m.content_hash,
            "builder": m.builder,
        }


def _load_arrays(path: Path, manifest: Manifest) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in _ARRAYS}
    except (OSError, ValueError, KeyError) as exc:
        raise ReferenceIndexError(f"{path}: cannot read index arrays ({exc})") from exc
    views = len(manifest.views)
    gv, kv, kg = arrays["global_view"], arrays["keypoint_view"], arrays["keypoint_geometry"]
    fe, fr = arrays["face_embeddings"], arrays["face_reference"]
    if (
        gv.shape != (manifest.counts.get("global"),)
        or kv.shape != (manifest.counts.get("keypoints"),)
        or kg.shape != (len(kv), 4)
        or fr.shape != (manifest.counts.get("faces"),)
        or fe.shape != (len(fr), EMBEDDING_DIM)
        or (gv.size and not 0 <= gv.min() <= gv.max() < views)
        or (kv.size and (not 0 <= kv.min() <= kv.max() < views or np.any(np.diff(kv) < 0)))
        or (fr.size and not 0 <= fr.min() <= fr.max() < len(manifest.references))
    ):
        raise ReferenceIndexError(f"{path}: array shapes or view numbers do not match index.json")
    return arrays


def _builder() -> str:
    try:
        return f"simulacra {metadata.version('simulacra')}"
    except metadata.PackageNotFoundError:
        return "simulacra (not installed)"
