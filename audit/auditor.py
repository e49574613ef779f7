"""Audit one rendered image against the reference index: pass, or reject with evidence.

Four independent signals, any of which rejects:

* ``phash``: the whole output is a near-exact copy of a reference;
* ``global``: the whole output is a resized, cropped, recoloured, blurred or
  re-encoded copy of a reference (or of a large crop of one);
* ``region``: a reference appears somewhere inside the output, e.g. as a poster
  on a wall, warped in perspective, relit and partly occluded (keypoints
  verified by one homography, see :mod:`simulacra.audit.matching`);
* ``face``: a face in the output has the identity of a face in a reference, in
  whatever picture of that person (see :mod:`simulacra.audit.identity`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict

from simulacra.audit import descriptors as desc
from simulacra.audit import search
from simulacra.audit.identity import Face, FaceEmbedder
from simulacra.audit.index import GLOBAL_STRIDE, KEYPOINT_STRIDE, ReferenceIndex
from simulacra.audit.matching import MatchSettings, RegionMatch, ratio_matches, region_box, verify
from simulacra.audit.thresholds import Thresholds

QUERY_SIDE = 384  # keypoints are detected on the output resampled to at most this long side
QUERY_FEATURES = 1500
VOTERS = 400  # strongest query keypoints that vote for candidate references
VOTE_NEIGHBOURS = 8  # retrieval neighbours each voter looks up; the last one's distance is the background
KEYPOINT_CANDIDATES = 6  # references verified geometrically per orientation, by votes
GLOBAL_CANDIDATES = 8  # nearest global rows re-scored exactly per orientation
NEAR_CANDIDATES = 2  # of their references, the nearest also verified geometrically
NEIGHBOURS = 16  # nearest candidate keypoints looked up per output keypoint (ratio test)
VERIFIED = 4  # candidates with most ratio-test survivors verified against a homography


class SignalScore(BaseModel):
    """One signal's evidence: fires when ``score >= threshold``.

    Attributes:
        score: cosine (global), consistent keypoints (region), agreeing hash bits (phash),
            or 1 - euclidean distance of the closest face identity pair (face; 0 when
            no face is found, so dlib's distance bound 0.6 is a threshold of 0.4).
        threshold: the score at which this signal rejects.
        reference: id of the reference this signal found closest, if any.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    score: float
    threshold: float
    reference: str | None = None

    @property
    def fired(self) -> bool:
        """Whether this signal alone rejects the output."""
        return self.score >= self.threshold


class Verdict(BaseModel):
    """The audit result for one output image; crosses into the pipeline and the audit log.

    Attributes:
        file: the output audited, when known.
        verdict: ``reject`` when any signal fired.
        reference: id of the nearest reference (of the strongest signal).
        score: strongest signal's score divided by its threshold; ``>= 1`` rejects.
            Comparable across signals; the raw scores are in ``signals``.
        signal: name of the strongest signal that fired, None on pass.
        signals: every signal's score, threshold and nearest reference.
        region: ``[x0, y0, x1, y1]`` in output pixels where the reference was found
            (the whole image for whole-image signals), None on pass.

    Example:
        >>> Verdict.model_validate_json(verdict.model_dump_json()) == verdict
        True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str | None = None
    verdict: Literal["pass", "reject"]
    reference: str | None
    score: float
    signal: Literal["phash", "global", "region", "face"] | None
    signals: dict[str, SignalScore]
    region: tuple[int, int, int, int] | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready dict, for the audit log."""
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class _Orientation:
    """The output as is or mirrored, described once for every signal (and every shard)."""

    shape: tuple[int, int]  # (height, width) of the output
    mirrored: bool
    scale: float  # keypoint image / output
    geometry: np.ndarray
    keypoints: np.ndarray
    phash: int
    global_row: np.ndarray

    @classmethod
    def both(cls, gray: np.ndarray) -> list[_Orientation]:
        """The output as is and mirrored; keypoints are detected once."""
        height, width = gray.shape
        scale = min(1.0, QUERY_SIDE / max(height, width))
        small = (
            gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        geometry, keypoints = desc.keypoints(small, QUERY_FEATURES)
        flipped = np.ascontiguousarray(gray[:, ::-1])
        return [
            cls(
                gray.shape, False, scale, geometry, keypoints, desc.phash(gray), desc.global_descriptor(gray)
            ),
            cls(
                gray.shape,
                True,
                scale,
                *desc.mirror_keypoints(geometry, keypoints, small.shape[1]),
                desc.phash(flipped),
                desc.global_descriptor(flipped),
            ),
        ]

    def box(self, match: RegionMatch, frame: tuple[float, float]) -> tuple[int, int, int, int]:
        """Where ``match`` lies in the (unmirrored) output's pixels."""
        height, width = self.shape
        small_wh = (round(width * self.scale), round(height * self.scale))
        x0, y0, x1, y1 = (v / self.scale for v in region_box(match, frame, small_wh))
        if self.mirrored:
            x0, x1 = width - x1, width - x0
        return (min(round(x0), width), min(round(y0), height), min(round(x1), width), min(round(y1), height))


Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Query:
    """One output described once: what every signal searches with, in any index or shard.

    Holds no pixels and nothing of an index, so it is computed once per output and
    sent to every shard of a sharded index (see :mod:`simulacra.audit.shards`).
    """

    shape: tuple[int, int]
    views: list[_Orientation]
    faces: list[Face]


@dataclass(frozen=True)
class Evidence:
    """What one index (or shard) says about one output: each signal's score, where it was found."""

    signals: dict[str, SignalScore]
    region_box: Box | None = None
    face_box: Box | None = None


def describe(rgb: np.ndarray, embedder: FaceEmbedder | None) -> Query:
    """Describe an ``HxWx3`` uint8 output for every signal; faces only with an ``embedder``.

    Raises:
        ValueError: ``rgb`` is not a uint8 image array.
    """
    gray = desc.to_gray(rgb)
    return Query(gray.shape, _Orientation.both(gray), embedder.faces(rgb) if embedder else [])


def merge(evidences: list[Evidence]) -> Evidence:
    """The evidence of one index split in parts: per signal the strongest part (the first on a tie).

    Each part's signals score the output against that part's references only, so the
    strongest part's score is the score against all of them.
    """
    best: dict[str, tuple[SignalScore, int]] = {}
    for number, evidence in enumerate(evidences):
        for name, signal in evidence.signals.items():
            if name not in best or signal.score > best[name][0].score:
                best[name] = (signal, number)
    region = best.get("region")
    face = best.get("face")
    return Evidence(
        signals={name: signal for name, (signal, _) in best.items()},
        region_box=evidences[region[1]].region_box if region else None,
        face_box=evidences[face[1]].face_box if face else None,
    )


def verdict_of(evidence: Evidence, shape: tuple[int, int], file: str | None = None) -> Verdict:
    """Reject when any signal fired; the strongest one names the reference and the region."""
    signals = evidence.signals
    ratios = {name: s.score / s.threshold for name, s in signals.items()}
    strongest = max(ratios, key=ratios.__getitem__)
    fired = [name for name, s in signals.items() if s.fired]
    signal = max(fired, key=ratios.__getitem__) if fired else None
    if signal is None:
        region = None
    elif signal == "face" and evidence.face_box is not None:
        region = evidence.face_box
    elif "region" in fired and evidence.region_box is not None:
        region = evidence.region_box
    else:
        region = (0, 0, shape[1], shape[0])
    return Verdict(
        file=file,
        verdict="reject" if fired else "pass",
        reference=signals[signal or strongest].reference,
        score=round(ratios[signal or strongest], 4),
        signal=signal,
        signals=signals,
        region=region,
    )


@contextmanager
def side_by_side(threads: int) -> Iterator[None]:
    """Run OpenCV on one thread per call while ``threads`` images are audited side by side.

    OpenCV's own threads (SIFT, the face cascades) then compete with the auditing
    threads for the same cores: measured on 2 cores, 40 renders of 256 px against 300
    references, 7.0 images/s on two threads with OpenCV's default and 8.3 with one.
    The setting is process-wide, so it is restored afterwards.
    """
    if threads <= 1:
        yield
        return
    before = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


class ImageAuditor(Protocol):
    """What the pipeline audits renders with: one index, a sharded one, or shards served elsewhere."""

    def audit(self, rgb: np.ndarray, file: str | None = None) -> Verdict: ...


class Auditor:
    """Audits outputs against one :class:`ReferenceIndex`; safe to share between threads.

    Each output is looked at as is and mirrored (a flipped texture is still the
    photo). Whole-image signals search the compact structures and re-score their
    nearest rows exactly; the region signal verifies, against their full keypoints
    from disk, only the references that the output's keypoints vote for.

    Args:
        index: the loaded reference index.
        thresholds: overrides the thresholds recorded in the index.

    Example:
        >>> auditor = Auditor(ReferenceIndex.load("refs.index"))
        >>> auditor.audit(rgb).verdict
        'pass'
    """

    def __init__(self, index: ReferenceIndex, thresholds: Thresholds | None = None):
        self.index = index
        self.thresholds = thresholds or index.thresholds
        self.match_settings = MatchSettings()
        self.embedder = FaceEmbedder()

    @property
    def wants_faces(self) -> bool:
        """Whether outputs need their faces found: only when the index holds faces."""
        return bool(self.index.structures["faces"].ntotal)

    def audit(self, rgb: np.ndarray, file: str | None = None) -> Verdict:
        """Compare one ``HxWx3`` uint8 RGB output against every reference.

        Raises:
            ValueError: ``rgb`` is not a uint8 image array.
        """
        query = describe(rgb, self.embedder if self.wants_faces else None)
        return verdict_of(self.evidence(query), query.shape, file)

    def evidence(self, query: Query) -> Evidence:
        """Every signal's score for a described output against this index."""
        signals = {"phash": self._phash(query.views)}
        signals["global"], near = self._global(query.views)
        signals["region"], box = self._region(query.views, near)
        signals["face"], face_box = self._face(query.faces)
        return Evidence(signals, box, face_box)

    def _phash(self, views: list[_Orientation]) -> SignalScore:
        codes = np.array([v.phash for v in views], ">u8").view(np.uint8).reshape(len(views), 8)
        differing, refs = search.search(self.index.structures["phash"], codes, 1)
        best = int(np.argmin(differing[:, 0]))
        return SignalScore(
            score=64 - int(differing[best, 0]),
            threshold=self.thresholds.phash_bits,
            reference=self.index.reference(int(refs[best, 0])).id,
        )

    def _global(self, views: list[_Orientation]) -> tuple[SignalScore, list[np.ndarray]]:
        """Best exact cosine over the nearest rows; also the references near each orientation."""
        queries = np.stack([v.global_row for v in views])
        _, ids = search.search(self.index.structures["global"], queries, GLOBAL_CANDIDATES)
        near = []
        best = (-1.0, 0)
        for query, row_ids in zip(queries, ids, strict=True):
            refs, crops = np.divmod(row_ids[row_ids >= 0], GLOBAL_STRIDE)
            cosines = np.einsum("nd,d->n", self.index.global_rows(refs)[np.arange(len(refs)), crops], query)
            ranked = refs[np.argsort(-cosines, kind="stable")]
            near.append(ranked[np.sort(np.unique(ranked, return_index=True)[1])])
            if len(cosines) and cosines.max() > best[0]:
                best = (float(cosines.max()), int(ranked[0]))
        score = SignalScore(
            score=round(best[0], 4),
            threshold=self.thresholds.global_cosine,
            reference=self.index.reference(best[1]).id,
        )
        return score, near

    def _candidates(self, view: _Orientation, near: np.ndarray) -> list[int]:
        """References worth verifying: most voted for by the output's keypoints, and the globally near.

        Each voter's retrieval neighbours vote for their references, a reference by its
        nearest neighbour in the list, weighted by how much nearer that neighbour is than
        the list's last (the k-th neighbour's distance stands for the background, as in
        Jegou, Douze and Schmid 2011): repetitive texture, near every picture a little,
        gives small weights, and product-quantised distances keep their gaps well
        enough. Measured at 10,000 references (scale benchmark, 40 planted posters): the
        true reference ranked first in all 40 by these weights; a vote by Lowe's ratio
        on the product-quantised distances (the nearest clearly nearer than any other
        reference's) left two dim night-photo plants at ranks 22 and 32, though exact
        distances ranked every plant first or second.
        """
        sims, ids = search.search(
            self.index.structures["keypoints"], view.keypoints[:VOTERS], VOTE_NEIGHBOURS
        )
        refs = np.where(ids >= 0, ids // KEYPOINT_STRIDE, -1)
        distance = np.where(refs >= 0, np.sqrt(np.maximum(2 - 2 * sims, 0)), 0.0)
        weight = np.maximum(distance.max(axis=1, keepdims=True) - distance, 0.0)
        earlier = (refs[:, :, None] == refs[:, None, :]) & np.tri(refs.shape[1], k=-1, dtype=bool)
        first = (refs >= 0) & ~earlier.any(axis=2)  # a reference's nearest neighbour in each list
        votes = np.bincount(refs[first], weight[first], minlength=1)
        ranked = np.argsort(-votes, kind="stable")[:KEYPOINT_CANDIDATES]
        chosen = [int(r) for r in ranked if votes[r] > 0]
        return chosen + [int(r) for r in near[:NEAR_CANDIDATES] if int(r) not in chosen]

    def _ratio_tests(
        self, view: _Orientation, references: list[int]
    ) -> list[tuple[int, np.ndarray, np.ndarray, np.ndarray, tuple[float, float]]]:
        """Per candidate, matched reference and output geometry rows that pass the ratio test,
        the output descriptors of those matches, and the candidate's frame.

        The output's keypoints are matched against the union of every candidate's
        keypoints (read from disk), so the ratio test's stand-in rival comes from
        other pictures as well as the candidate's own (see ``ratio_matches``).
        Candidates with fewer survivors than the region threshold are dropped, since
        verified inliers are a subset of the survivors.
        """
        loaded = [(r, *self.index.keypoints(r)) for r in references]
        loaded = [(r, g, k, f) for r, g, k, f in loaded if len(k) >= 2]
        if not loaded:
            return []
        geometry = np.concatenate([g for _, g, _, _ in loaded])
        owner = np.concatenate([np.full(len(k), i) for i, (_, _, k, _) in enumerate(loaded)])
        sims, rows = search.knn(view.keypoints, np.concatenate([k for _, _, k, _ in loaded]), NEIGHBOURS)
        best, passed = ratio_matches(sims, rows, owner, geometry[:, :2], len(loaded), self.match_settings)
        survivors = []
        for (reference, _, _, frame), best_rows, kept in zip(loaded, best, passed, strict=True):
            if kept.sum() >= max(4, self.thresholds.region_inliers):
                survivors.append(
                    (reference, geometry[best_rows[kept]], view.geometry[kept], view.keypoints[kept], frame)
                )
        return survivors

    def _region(
        self, views: list[_Orientation], near: list[np.ndarray]
    ) -> tuple[SignalScore, tuple[int, int, int, int] | None]:
        threshold = self.thresholds.region_inliers
        matched = [
            (view, *survivor)
            for view, globally_near in zip(views, near, strict=True)
            if len(view.keypoints) >= 4
            for survivor in self._ratio_tests(view, self._candidates(view, globally_near))
        ]
        # Verify the candidates with most survivors, each against one homography.
        best: tuple[int, int, tuple[int, int, int, int]] | None = None
        for view, reference, src, dst, looks, frame in sorted(matched, key=lambda m: -len(m[2]))[:VERIFIED]:
            match = verify(src, dst, looks, frame, self.match_settings)
            if match is not None and (best is None or match.inliers > best[0]):
                best = (match.inliers, reference, view.box(match, frame))
        if best is None:
            return SignalScore(score=0, threshold=threshold), None
        inliers, reference, box = best
        return SignalScore(
            score=inliers, threshold=threshold, reference=self.index.reference(reference).id
        ), box

    def _face(self, faces: list[Face]) -> tuple[SignalScore, Box | None]:
        threshold = round(1.0 - self.thresholds.face_distance, 4)
        structure = self.index.structures["faces"]
        if not faces or not structure.ntotal:
            return SignalScore(score=0.0, threshold=threshold), None
        squared, refs = search.search(structure, np.stack([f.embedding for f in faces]), 1)
        face = int(np.argmin(squared[:, 0]))
        score = SignalScore(
            score=round(max(0.0, 1.0 - float(np.sqrt(max(squared[face, 0], 0.0)))), 4),
            threshold=threshold,
            reference=self.index.reference(int(refs[face, 0])).id,
        )
        b = faces[face].box
        return score, (b.left, b.top, b.right, b.bottom)
