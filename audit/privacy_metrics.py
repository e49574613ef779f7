"""Privacy metrics over many audited outputs: flag rates, identity leaks, DCR share.

A verdict says whether *one* output leaks; a reviewer signing off a dataset needs
rates over all of them, with intervals that stay honest when the counts are small
(Wilson 95%). Three kinds:

* per-signal flag rates: the share of outputs each signal rejected;
* identity-leak rate: the share of outputs in which a face has the identity of a
  reference's face (the ``face`` signal fired), and how many of those were kept;
* distance-to-closest-record (DCR) share: the share of outputs whose global
  descriptor lies closer to the nearest *indexed* real image (a member) than to the
  nearest real image of a hold-out that was never indexed (a non-member). A
  generator that copies nothing is no closer to members than to comparable
  non-members, so ~0.5 is ideal; near 1 means the outputs resemble the members more
  than non-members, i.e. memorization.

All functions work on plain verdict dicts (``Verdict.to_dict()`` or ``audit.jsonl``
entries) or on descriptor arrays, so the CLI, the dataset card and other
evaluations share them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss
import numpy as np

from simulacra.audit import descriptors as desc
from simulacra.audit.collect import global_rows
from simulacra.audit.images import IMAGE_SUFFIXES, MAX_PIXELS, read_image
from simulacra.audit.index import ReferenceIndex
from simulacra.audit.walk import files_below
from simulacra.errors import AssetError

if TYPE_CHECKING:
    from simulacra.audit.shards import ShardedIndex

SIGNALS = ("phash", "global", "region", "face")


def wilson(successes: float, trials: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a binomial rate; honest near 0 and with few trials.

    Example:
        >>> [round(x, 4) for x in wilson(0, 100)]
        [0.0, 0.037]
    """
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(max(0.0, p * (1 - p)) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class ShareEstimate:
    """``hits`` of ``trials`` with its Wilson 95% interval; ``rate`` is None with no trials.

    ``hits`` may be fractional: the DCR share counts a tie as half a hit.
    """

    hits: float
    trials: int
    low: float
    high: float

    @classmethod
    def of(cls, hits: float, trials: int) -> ShareEstimate:
        """The estimate for ``hits`` of ``trials``."""
        return cls(hits, trials, *wilson(hits, trials))

    @property
    def rate(self) -> float | None:
        """``hits / trials``, or None when nothing was counted (the rate is undefined)."""
        return self.hits / self.trials if self.trials else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, rounded to 4 places."""
        rate = self.rate
        return {
            "hits": self.hits,
            "trials": self.trials,
            "rate": None if rate is None else round(rate, 4),
            "wilson95": [round(self.low, 4), round(self.high, 4)],
        }


def _fired(entry: Mapping[str, Any], signal: str) -> bool | None:
    """Whether ``signal`` fired in a verdict dict; None when the entry does not carry it."""
    score = entry.get("signals", {}).get(signal)
    return None if score is None else score["score"] >= score["threshold"]


def flag_rates(entries: Sequence[Mapping[str, Any]]) -> dict[str, ShareEstimate]:
    """Per-signal flag rates over verdict dicts, plus ``any`` (the verdict itself).

    A signal's denominator is the entries that carry it: audit logs written before a
    signal existed (e.g. ``face``) do not count as passes of it.
    """
    rates = {}
    for signal in SIGNALS:
        fired = [f for f in (_fired(e, signal) for e in entries) if f is not None]
        rates[signal] = ShareEstimate.of(sum(fired), len(fired))
    rates["any"] = ShareEstimate.of(sum(e["verdict"] == "reject" for e in entries), len(entries))
    return rates


@dataclass(frozen=True)
class IdentityLeaks:
    """How often a reference person's identity turned up in the outputs.

    Attributes:
        matched: outputs whose face signal fired, of those the face signal was computed for.
        kept: of the matched, how many were written into the dataset anyway (an audit
            log's ``action == "kept"``); None for verdicts that carry no action (a
            plain ``simulacra audit`` run).
        references: how often each reference identity was matched.
    """

    matched: ShareEstimate
    kept: int | None
    references: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"matched": self.matched.to_dict(), "kept": self.kept, "references": self.references}


def identity_leaks(entries: Iterable[Mapping[str, Any]]) -> IdentityLeaks:
    """The identity-leak rate of verdict dicts (``Verdict.to_dict()`` or ``audit.jsonl`` entries).

    An entry counts when its ``face`` signal reached its threshold, whatever the
    strongest signal was: a poster that is both a known photo and a known face is an
    identity leak too. Entries without a face signal (older logs) are left out.
    """
    evaluated = matched = kept = 0
    logged = False  # whether the entries say what became of each output
    references: Counter[str] = Counter()
    for entry in entries:
        fired = _fired(entry, "face")
        if fired is None:
            continue
        evaluated += 1
        logged = logged or "action" in entry
        if fired:
            matched += 1
            references[entry["signals"]["face"].get("reference") or "unknown"] += 1
            kept += entry.get("action") == "kept"
    return IdentityLeaks(
        ShareEstimate.of(matched, evaluated), kept if logged else None, dict(sorted(references.items()))
    )


@dataclass(frozen=True)
class Holdout:
    """Global descriptors of real images that are *not* in the index (non-members).

    Each image is described exactly as the index describes a reference (whole image
    and its crops: :func:`simulacra.audit.collect.global_rows`),
    so neither side of the DCR comparison has more chances to be close.

    Attributes:
        rows: ``(R, GLOBAL_DIM)`` float32 descriptors.
        image: ``(R,)`` which of ``files`` each row describes.
        files: the hold-out images described, relative to their folder.
        skipped: ``file: reason`` for every unreadable one.
    """

    rows: np.ndarray
    image: np.ndarray
    files: tuple[str, ...]
    skipped: tuple[str, ...] = ()


def describe_holdout(folder: Path, *, exclude_sha256: frozenset[str] = frozenset()) -> Holdout:
    """Describe every readable image under ``folder`` (recursively) as a :class:`Holdout`.

    ``exclude_sha256`` are the index's references: a hold-out image among them is a
    member, not a non-member, and is refused.

    Raises:
        AssetError: no such folder, no readable image in it, or an indexed image in it.
    """
    if not folder.is_dir():
        raise AssetError(f"{folder}: no such folder")
    paths = files_below(folder, IMAGE_SUFFIXES)
    rows, image, files, skipped = [], [], [], []
    for path in paths:
        name = path.relative_to(folder).as_posix()
        try:
            rgb, sha256 = read_image(path, MAX_PIXELS)
            gray = desc.to_gray(rgb)
        except (AssetError, ValueError) as exc:
            skipped.append(f"{name}: {exc}")
            continue
        if sha256 in exclude_sha256:
            raise AssetError(f"{path}: this image is in the index; the hold-out must not be")
        described = global_rows(gray)
        rows.append(described)
        image.append(np.full(len(described), len(files), np.int32))
        files.append(name)
    if not files:
        raise AssetError(f"{folder}: no readable hold-out images ({len(skipped)} unreadable)")
    return Holdout(np.concatenate(rows), np.concatenate(image), tuple(files), tuple(skipped))


def output_descriptors(images: Iterable[np.ndarray]) -> np.ndarray:
    """Whole-image global descriptors of outputs (``HxWx3`` uint8 RGB), ``(n, GLOBAL_DIM)``."""
    rows = [desc.global_descriptor(desc.to_gray(rgb)) for rgb in images]
    return np.stack(rows) if rows else np.zeros((0, desc.GLOBAL_DIM), np.float32)


@dataclass(frozen=True)
class DcrShare:
    """Distance-to-closest-record share of a set of outputs; see :func:`dcr_share`.

    Attributes:
        share: outputs closer to the nearest member than to the nearest non-member
            (a tie counts half), with its Wilson 95% interval.
        members: indexed references compared against.
        nonmembers: hold-out images compared against (equal to ``members``: the
            larger side is subsampled, or the smaller set would be at a disadvantage).
        member_distance: median cosine distance of an output to its nearest member.
        nonmember_distance: median cosine distance to its nearest non-member.
    """

    share: ShareEstimate
    members: int
    nonmembers: int
    member_distance: float
    nonmember_distance: float

    def reading(self) -> str:
        """One sentence telling a reviewer what the number means, and what this one says."""
        s = self.share
        if s.low > 0.5:
            verdict = (
                "above 0.5: the outputs resemble the indexed images more than comparable ones never "
                "indexed, a sign of memorization or copying"
            )
        elif s.high < 0.5:
            verdict = (
                "below 0.5: the outputs are nearer the hold-out than the index, so the two real sets "
                "differ; not a leak, but the hold-out is not comparable"
            )
        else:
            verdict = "consistent with 0.5: no sign that the outputs resemble members more than non-members"
        return (
            f"DCR share {s.rate:.3f} (95% {s.low:.3f}-{s.high:.3f}): {s.hits:g} of {s.trials} outputs lie "
            f"closer to their nearest indexed image than to their nearest hold-out image ({self.members} "
            f"of each compared); ~0.5 is ideal, near 1 means memorization. Here {verdict}."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the reading."""
        out = asdict(self)
        out["share"] = self.share.to_dict()
        out["member_distance"] = round(self.member_distance, 4)
        out["nonmember_distance"] = round(self.nonmember_distance, 4)
        out["reading"] = self.reading()
        return out


def _nearest(queries: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Cosine distance of each query to its nearest row (exact search)."""
    flat = faiss.IndexFlatIP(rows.shape[1])
    flat.add(np.ascontiguousarray(rows, np.float32))
    sims, _ = flat.search(np.ascontiguousarray(queries, np.float32), 1)
    return 1.0 - sims[:, 0]


def dcr_share(
    outputs: np.ndarray,
    index: ReferenceIndex | ShardedIndex,
    holdout: Holdout,
    *,
    rng: np.random.Generator,
) -> DcrShare:
    """Share of ``outputs`` (global descriptors) nearer the index's references than the hold-out.

    Members and non-members are compared in equal numbers: the larger side is
    subsampled with ``rng``, since the nearest of many is nearer than the nearest of
    few even when nothing was memorized. Both sides are searched exactly.

    Raises:
        ValueError: no outputs, or descriptors of another dimension than the index's.
    """
    if len(outputs) == 0:
        raise ValueError("no outputs to compute a DCR share for")
    if outputs.ndim != 2 or outputs.shape[1] != desc.GLOBAL_DIM:
        raise ValueError(f"outputs have shape {outputs.shape}, expected (n, {desc.GLOBAL_DIM})")
    count = min(index.size, len(holdout.files))
    members = np.sort(rng.choice(index.size, count, replace=False))
    nonmembers = np.sort(rng.choice(len(holdout.files), count, replace=False))
    member_vectors = index.global_rows(members).reshape(-1, desc.GLOBAL_DIM)
    to_member = _nearest(outputs, member_vectors)
    to_nonmember = _nearest(outputs, holdout.rows[np.isin(holdout.image, nonmembers)])
    hits = float(np.sum(to_member < to_nonmember) + 0.5 * np.sum(to_member == to_nonmember))
    return DcrShare(
        share=ShareEstimate.of(hits, len(outputs)),
        members=count,
        nonmembers=count,
        member_distance=float(np.median(to_member)),
        nonmember_distance=float(np.median(to_nonmember)),
    )
