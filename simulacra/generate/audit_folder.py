"""Audit a folder of images against a reference index, and calibrate an index's thresholds.

What ``simulacra audit`` and ``simulacra audit calibrate`` do, below the command line: the
CLI parses options and prints, these functions find the images, audit them, compute the
privacy metrics (flag rates, identity leaks, the DCR share) and write the verdicts.
A folder's unreadable images are skipped with a reason; a single unreadable file is an
error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.assets_manifest import sha256_of
from simulacra.audit import (
    DcrShare,
    ImageAuditor,
    ReferenceIndex,
    ShardedIndex,
    Verdict,
    auditor_of,
    load_index,
    read_image,
)
from simulacra.audit.auditor import side_by_side
from simulacra.audit.lock import index_lock
from simulacra.audit.privacy_metrics import flag_rates, identity_leaks
from simulacra.audit.walk import files_below
from simulacra.errors import AssetError, ReferenceIndexError, UsageError
from simulacra.evaluation.dcr import holdout_of, share_of

if TYPE_CHECKING:
    from simulacra.audit.fit import SignalFit
    from simulacra.audit.index import Describer

log = logging.getLogger(__name__)

IMAGE_SUFFIXES_AUDITED = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
DCR_NOTE = "DCR share not computed: give --holdout REAL_DIR, real images that are not in the index"
Progress = Callable[[int, int], None]


def image_files(target: Path) -> list[Path]:
    """``target`` itself, or every image below the folder ``target`` (sorted)."""
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise AssetError(f"{target}: no such file or folder")
    files = files_below(target, IMAGE_SUFFIXES_AUDITED)
    if not files:
        raise AssetError(f"no images found in {target}")
    return files


def audit_files(
    auditor: ImageAuditor, target: Path, progress: Progress | None = None, *, threads: int = 1
) -> tuple[list[Verdict], list[str]]:
    """Audit one file (a bad one raises) or every image in a folder (bad ones are skipped).

    Images are decoded and audited on ``threads`` threads sharing the one loaded
    index; verdicts keep the files' order. Returns the verdicts and one
    ``file: reason`` line per skipped file.

    Raises:
        AssetError: ``target`` is a single file that cannot be read as an image.
    """
    files = image_files(target)
    base = target if target.is_dir() else target.parent

    def one(path: Path) -> Verdict | str:
        try:
            rgb, _ = read_image(path)
            return auditor.audit(rgb, file=path.relative_to(base).as_posix())
        except (AssetError, ValueError) as exc:
            if target.is_file():
                raise AssetError(f"{path}: cannot audit ({exc})") from exc
            log.warning("skipped %s: %s", path, exc)
            return f"{path.relative_to(base).as_posix()}: {exc}"

    verdicts, skipped = [], []
    with side_by_side(threads), ThreadPoolExecutor(max(1, threads)) as pool:
        for done, result in enumerate(pool.map(one, files), start=1):
            (skipped if isinstance(result, str) else verdicts).append(result)
            if progress:
                progress(done, len(files))
    return verdicts, skipped


@dataclass(frozen=True)
class FolderAudit:
    """Every verdict on a folder's images, the files skipped, and the DCR share when asked for."""

    index: ReferenceIndex | ShardedIndex
    base: Path  # the folder verdicts' file names are relative to
    verdicts: list[Verdict]
    skipped: list[str]
    dcr: DcrShare | None

    @property
    def rejected(self) -> int:
        return sum(v.verdict == "reject" for v in self.verdicts)

    def summary(self) -> dict:
        """The run's privacy metrics as JSON-ready data: flag rates, identity leaks, DCR share."""
        entries = [v.to_dict() for v in self.verdicts]
        return {
            "audited": len(self.verdicts),
            "rejected": self.rejected,
            "skipped": len(self.skipped),
            "flag_rates": {name: rate.to_dict() for name, rate in flag_rates(entries).items()},
            "identity_leaks": identity_leaks(entries).to_dict(),
            "dcr": self.dcr.to_dict() if self.dcr is not None else None,
            "dcr_note": None if self.dcr is not None else DCR_NOTE,
        }


def audit_folder(
    index: Path,
    target: Path,
    *,
    holdout: Path | None = None,
    progress: Progress | None = None,
    threads: int = 1,
    ray: str | None = None,
) -> FolderAudit:
    """Audit ``target`` (a file or folder) against ``index``; with ``holdout``, the DCR share too.

    With ``ray`` (an address, "auto" or "local") the index's shards are served by Ray
    actors and the images described on the cluster; the verdicts are those of this
    process. A bad hold-out is refused before any image is audited.
    """
    if ray is not None:
        return _audit_on_ray(index, target, holdout, progress, ray)
    loaded = load_index(index)
    described = holdout_of(loaded, holdout) if holdout is not None else None
    verdicts, skipped = audit_files(auditor_of(loaded), target, progress, threads=threads)
    base = target if target.is_dir() else target.parent
    dcr = None
    if described is not None and verdicts:
        dcr = share_of((read_image(base / v.file)[0] for v in verdicts if v.file), loaded, described)
    return FolderAudit(loaded, base, verdicts, skipped, dcr)


def _audit_on_ray(
    index: Path, target: Path, holdout: Path | None, progress: Progress | None, address: str
) -> FolderAudit:
    """:func:`audit_folder` with the shards on Ray actors (an unsharded index is one shard)."""
    from simulacra.farm.ray_audit import audit_on_ray

    if holdout is not None:
        raise UsageError("--holdout: the DCR share is not computed on Ray yet; audit without --ray")
    loaded = load_index(index)
    shards = loaded.shard_paths() if isinstance(loaded, ShardedIndex) else [index]
    files = image_files(target)
    base = target if target.is_dir() else target.parent
    results = audit_on_ray(shards, loaded.thresholds, files, base, address, progress)
    if target.is_file() and isinstance(results[0], str):
        raise AssetError(f"{target}: cannot audit ({results[0]})")
    verdicts = [r for r in results if not isinstance(r, str)]
    skipped = [r for r in results if isinstance(r, str)]
    return FolderAudit(loaded, base, verdicts, skipped, None)


def write_audit(
    audit: FolderAudit,
    json_out: Path,
    *,
    summary_out: Path | None = None,
    report: Path | None = None,
    references: Path | None = None,
) -> None:
    """Write the verdicts (JSON), and the summary and HTML report where asked for.

    ``references`` (the folder the index was built from) puts real thumbnails in the report.
    """
    from simulacra.audit.report import write_report

    json_out.write_text(json.dumps([v.to_dict() for v in audit.verdicts], indent=2) + "\n")
    if summary_out is not None:
        summary_out.write_text(json.dumps(audit.summary(), indent=2) + "\n")
    if report is not None:
        write_report(
            report,
            audit.verdicts,
            audit.index,
            audit.base,
            references=references,
            skipped=audit.skipped,
            dcr=audit.dcr,
        )


def check_report_references(show_references: bool, references: Path | None) -> None:
    """Real thumbnails in a report need the folder the index was built from."""
    if show_references and (references is None or not references.is_dir()):
        raise UsageError("--show-references needs --references DIR, the folder the index was built from")


def calibrate(
    index: Path, holdout: Path, clean: Path, fpr: float, progress: Callable[[str], Progress | None]
) -> list[SignalFit]:
    """Set every signal's threshold from hold-out real images and clean renders at a target FPR.

    Rewrites the index's thresholds; returns each signal's fit. ``progress(label)`` gives the
    progress callback for the ``hold-out`` and ``clean`` folders.
    """
    from simulacra.audit.fit import fit

    with index_lock(index):  # load -> fit -> save: an `index add` meanwhile would be lost
        loaded = load_index(index)
        auditor = auditor_of(loaded)
        known = {r.sha256 for r in loaded.references}
        for path in image_files(holdout):  # a hold-out image that is in the index is a positive
            if sha256_of(path) in known:
                raise ReferenceIndexError(f"{path}: this image is in the index; the hold-out must not be")
        negatives = []
        for folder, label in ((holdout, "hold-out"), (clean, "clean")):
            verdicts, _ = audit_files(auditor, folder, progress(label))
            negatives += verdicts
        thresholds, fits = fit(negatives, loaded.thresholds, fpr)
        updated = loaded.with_thresholds(thresholds)  # a sharded index writes its shards itself
        if isinstance(updated, ReferenceIndex):
            updated.save(index)
    return fits


def build_index(
    directory: Path,
    out: Path,
    progress: Progress | None = None,
    *,
    workers: int = 1,
    shards: int = 1,
    ray: str | None = None,
) -> ReferenceIndex | ShardedIndex:
    """``index build``: index the real images below ``directory`` into the new folder ``out``.

    Described on ``workers`` processes, or on the Ray cluster at ``ray``; with
    ``shards`` > 1, split by reference id (see :mod:`simulacra.audit.shards`). An
    interrupted build of the same folder into the same ``out`` resumes where it
    stopped (from ``.OUT.partial``).
    """
    from simulacra.dataset.staging import check_output_folder

    if not directory.is_dir():
        raise ReferenceIndexError(f"reference folder {directory} does not exist")
    check_output_folder(out)
    describer = _describer(ray)
    try:
        if shards > 1:
            return ShardedIndex.build(directory, out, shards, progress, workers=workers, describer=describer)
        return ReferenceIndex.build(directory, progress, path=out, workers=workers, describer=describer)
    except OSError as exc:  # a full disk: what is committed stays in .OUT.partial for the next run
        raise ReferenceIndexError(
            f"{out}: cannot write the index ({exc.strerror or exc}); make room and run the same "
            "command again to resume"
        ) from None


def extend_index(
    index: Path,
    directory: Path,
    progress: Progress | None = None,
    *,
    workers: int = 1,
    ray: str | None = None,
) -> tuple[ReferenceIndex | ShardedIndex, int, int]:
    """``index add``: add the references below ``directory``; returns (index, added, newly skipped)."""
    with index_lock(index):  # load -> add -> save: a concurrent add waits, and is not lost
        loaded = load_index(index)
        skipped_before = len(loaded.info()["skipped"])
        extended, added = loaded.add(directory, progress=progress, workers=workers, describer=_describer(ray))
    return extended, added, len(extended.info()["skipped"]) - skipped_before


def _describer(ray: str | None) -> Describer | None:
    if ray is None:
        return None
    from simulacra.farm.ray_audit import ray_describer

    return ray_describer(ray)
