"""The reference index: descriptors of real images, never the images.

Built once from a folder of real photos (the ones that must not leak into a
synthetic dataset), saved as a small directory, loaded by every auditing worker.
Each reference is indexed as two views (as is and mirrored); each view as a
global descriptor of the whole picture and of crops, a perceptual hash, and
RootSIFT keypoints for finding it inside a larger render.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from simulacra.audit import descriptors as desc
from simulacra.audit.images import IMAGE_SUFFIXES, MAX_PIXELS, read_image
from simulacra.audit.manifest import (
    FORMAT,
    FORMAT_VERSION,
    Manifest,
    ReferenceRecord,
    SkippedFile,
    ViewRecord,
    check_descriptors,
    current_descriptors,
    parse_manifest,
)
from simulacra.audit.references import SIDECAR, ReferenceSource, read_sidecar
from simulacra.audit.thresholds import Thresholds
from simulacra.errors import AssetError, ReferenceIndexError

log = logging.getLogger(__name__)

FRAME = 256.0  # keypoint coordinates live in a frame whose long side is this
SIDES = (128, 192, 256, 320)  # resamplings a reference's keypoints are detected at
MAX_FEATURES = 500  # per resampling
# Whole picture, centre at 1/2 and 2/3, four corners at 1/2 and 2/3: a cropped copy still matches.
CROPS = (
    (0.0, 0.0, 1.0, 1.0),
    *(((1 - s) / 2, (1 - s) / 2, (1 + s) / 2, (1 + s) / 2) for s in (0.5, 2 / 3)),
    *((x, y, x + s, y + s) for s in (0.5, 2 / 3) for y in (0.0, 1 - s) for x in (0.0, 1 - s)),
)
_FILES = ("index.faiss", "keypoints.faiss", "arrays.npz")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _View:
    """Descriptors of one view of one reference, as the builder computes them."""

    phash: int
    frame: tuple[float, float]
    global_rows: np.ndarray
    geometry: np.ndarray
    keypoints: np.ndarray


def _describe(gray: np.ndarray) -> _View:
    h, w = gray.shape
    rows = [
        desc.global_descriptor(gray[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)])
        for x0, y0, x1, y1 in CROPS
    ]
    geometry, keypoints = desc.multiscale_keypoints(gray, FRAME, SIDES, MAX_FEATURES)
    scale = FRAME / max(h, w)
    return _View(desc.phash(gray), (w * scale, h * scale), np.stack(rows), geometry, keypoints)


def _sources(root: Path) -> tuple[list[tuple[Path, ReferenceSource]], list[SkippedFile]]:
    """Image files under ``root`` with their records; ids from sidecars where present."""
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
        found, skipped = _sources(root)
        references, views, global_view, kp_view = [], [], [], []
        global_rows, kp_geometry, kp_desc = [], [], []
        for done, (path, source) in enumerate(found, start=1):
            try:
                rgb, sha256 = read_image(path, max_pixels)
                gray = desc.to_gray(rgb)
            except (AssetError, ValueError) as exc:
                log.warning("skipped reference %s: %s", path, exc)
                skipped.append(SkippedFile(file=source.file, reason=str(exc)))
            else:
                index = len(references)
                references.append(
                    ReferenceRecord(
                        **source.model_dump(), sha256=sha256, width=gray.shape[1], height=gray.shape[0]
                    )
                )
                for mirrored, view_gray in ((False, gray), (True, np.ascontiguousarray(gray[:, ::-1]))):
                    view = _describe(view_gray)
                    number = len(views)
                    views.append(
                        ViewRecord(
                            reference=index, mirrored=mirrored, frame=view.frame, phash=f"{view.phash:016x}"
                        )
                    )
                    global_rows.append(view.global_rows)
                    global_view += [number] * len(view.global_rows)
                    kp_geometry.append(view.geometry)
                    kp_desc.append(view.keypoints)
                    kp_view += [number] * len(view.geometry)
            if progress is not None:
                progress(done, len(found))
        if not references:
            raise ReferenceIndexError(f"{root}: no readable reference images ({len(skipped)} skipped)")
        global_index = faiss.IndexFlatIP(desc.GLOBAL_DIM)
        global_index.add(np.concatenate(global_rows))
        keypoint_index = faiss.IndexFlatIP(desc.KEYPOINT_DIM)
        keypoint_index.add(np.concatenate(kp_desc))
        content = json.dumps([[r.id, r.sha256] for r in sorted(references, key=lambda r: r.id)])
        content += json.dumps(current_descriptors(), sort_keys=True)
        manifest = Manifest(
            format=FORMAT,
            format_version=FORMAT_VERSION,
            builder=_builder(),
            content_hash=hashlib.sha256(content.encode()).hexdigest(),
            descriptors=current_descriptors(),
            thresholds=thresholds or Thresholds(),
            references=references,
            skipped=skipped,
            views=views,
            counts={"global": global_index.ntotal, "keypoints": keypoint_index.ntotal},
            files={},
        )
        arrays = {
            "global_view": np.array(global_view, np.int32),
            "keypoint_view": np.array(kp_view, np.int32),
            "keypoint_geometry": np.concatenate(kp_geometry).astype(np.float32),
        }
        return cls(manifest, arrays, global_index, keypoint_index)

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
            np.savez(
                staging / "arrays.npz",
                global_view=self.global_view,
                keypoint_view=self.keypoint_view,
                keypoint_geometry=self.keypoint_geometry,
            )
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
        for name, dim, count in (
            ("index.faiss", desc.GLOBAL_DIM, manifest.counts.get("global")),
            ("keypoints.faiss", desc.KEYPOINT_DIM, manifest.counts.get("keypoints")),
        ):
            try:
                index = faiss.read_index(str(root / name))
            except RuntimeError as exc:
                raise ReferenceIndexError(f"{root / name}: not a readable faiss index") from exc
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
            arrays = {k: npz[k] for k in ("global_view", "keypoint_view", "keypoint_geometry")}
    except (OSError, ValueError, KeyError) as exc:
        raise ReferenceIndexError(f"{path}: cannot read index arrays ({exc})") from exc
    views = len(manifest.views)
    gv, kv, kg = arrays["global_view"], arrays["keypoint_view"], arrays["keypoint_geometry"]
    if (
        gv.shape != (manifest.counts.get("global"),)
        or kv.shape != (manifest.counts.get("keypoints"),)
        or kg.shape != (len(kv), 4)
        or (gv.size and not 0 <= gv.min() <= gv.max() < views)
        or (kv.size and (not 0 <= kv.min() <= kv.max() < views or np.any(np.diff(kv) < 0)))
    ):
        raise ReferenceIndexError(f"{path}: array shapes or view numbers do not match index.json")
    return arrays


def _builder() -> str:
    try:
        return f"simulacra {metadata.version('simulacra')}"
    except metadata.PackageNotFoundError:
        return "simulacra (not installed)"
