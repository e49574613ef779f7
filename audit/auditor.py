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

from typing import Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict

from simulacra.audit import descriptors as desc
from simulacra.audit.identity import FaceEmbedder
from simulacra.audit.index import ReferenceIndex
from simulacra.audit.matching import MatchSettings, RegionMatch, ratio_matches, region_box, verify
from simulacra.audit.thresholds import Thresholds

QUERY_SIDE = 384  # keypoints are detected on the output resampled to at most this long side
QUERY_FEATURES = 1500
CANDIDATES = 4  # reference views verified geometrically per output
SHORTLIST = 16  # reference views ratio-tested per output
NEIGHBOURS = 16  # nearest reference keypoints looked up per output keypoint


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


class Auditor:
    """Audits outputs against one :class:`ReferenceIndex`.

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

    def audit(self, rgb: np.ndarray, file: str | None = None) -> Verdict:
        """Compare one ``HxWx3`` uint8 RGB output against every reference.

        Raises:
            ValueError: ``rgb`` is not a uint8 image array.
        """
        gray = desc.to_gray(rgb)
        signals = {
            "phash": self._phash(gray),
            "global": self._global(gray),
        }
        region_score, box = self._region(gray)
        signals["region"] = region_score
        face_score, face_box = self._face(rgb)
        signals["face"] = face_score
        ratios = {name: s.score / s.threshold for name, s in signals.items()}
        strongest = max(ratios, key=ratios.__getitem__)
        fired = [name for name, s in signals.items() if s.fired]
        signal = max(fired, key=ratios.__getitem__) if fired else None
        if signal is None:
            region = None
        elif signal == "face" and face_box is not None:
            region = face_box
        elif "region" in fired and box is not None:
            region = box
        else:
            region = (0, 0, gray.shape[1], gray.shape[0])
        return Verdict(
            file=file,
            verdict="reject" if fired else "pass",
            reference=signals[signal or strongest].reference,
            score=round(ratios[signal or strongest], 4),
            signal=signal,
            signals=signals,
            region=region,
        )

    def _phash(self, gray: np.ndarray) -> SignalScore:
        differing = np.bitwise_count(self.index.view_phash ^ np.uint64(desc.phash(gray)))
        best = int(np.argmin(differing))
        return SignalScore(
            score=64 - int(differing[best]),
            threshold=self.thresholds.phash_bits,
            reference=self.index.view_reference(best).id,
        )

    def _global(self, gray: np.ndarray) -> SignalScore:
        sims, rows = self.index.global_index.search(desc.global_descriptor(gray)[None], 1)
        reference = self.index.view_reference(int(self.index.global_view[rows[0, 0]])).id
        return SignalScore(
            score=round(float(sims[0, 0]), 4), threshold=self.thresholds.global_cosine, reference=reference
        )

    def _face(self, rgb: np.ndarray) -> tuple[SignalScore, tuple[int, int, int, int] | None]:
        threshold = round(1.0 - self.thresholds.face_distance, 4)
        references = self.index.face_embeddings
        faces = self.embedder.faces(rgb) if len(references) else []
        if not faces:
            return SignalScore(score=0.0, threshold=threshold), None
        found = np.stack([f.embedding for f in faces])
        distances = np.linalg.norm(found[:, None, :] - references[None, :, :], axis=2)
        face, row = np.unravel_index(int(np.argmin(distances)), distances.shape)
        reference = self.index.references[int(self.index.face_reference[row])].id
        score = SignalScore(
            score=round(max(0.0, 1.0 - float(distances[face, row])), 4),
            threshold=threshold,
            reference=reference,
        )
        b = faces[face].box
        return score, (b.left, b.top, b.right, b.bottom)

    def _region(self, gray: np.ndarray) -> tuple[SignalScore, tuple[int, int, int, int] | None]:
        threshold = self.thresholds.region_inliers
        height, width = gray.shape
        scale = min(1.0, QUERY_SIDE / max(height, width))
        small = (
            gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        )
        geometry, query = desc.keypoints(small, QUERY_FEATURES)
        index = self.index
        if len(query) < 4 or index.keypoint_index.ntotal < 2:
            return SignalScore(score=0, threshold=threshold), None
        sims, rows = index.keypoint_index.search(query, min(NEIGHBOURS, index.keypoint_index.ntotal))
        row_xy = index.keypoint_geometry[:, :2]
        # Shortlist views by nearest-neighbour hits, then keep the ratio-test survivors.
        hits = np.bincount(index.keypoint_view[rows[:, 0]], minlength=len(index.manifest.views))
        matched = {}
        for view in np.argsort(-hits, kind="stable")[:SHORTLIST].tolist():
            ref_rows, passed = ratio_matches(
                sims, rows, index.keypoint_view, row_xy, view, self.match_settings
            )
            if passed.sum() >= 4:
                matched[view] = (ref_rows[passed], passed)
        # Verify the views with most survivors, each against one homography.
        best: tuple[RegionMatch, int] | None = None
        for view in sorted(matched, key=lambda v: -len(matched[v][0]))[:CANDIDATES]:
            ref_rows, passed = matched[view]
            frame = index.manifest.views[view].frame
            match = verify(index.keypoint_geometry[ref_rows], geometry[passed], frame, self.match_settings)
            if match is not None and (best is None or match.inliers > best[0].inliers):
                best = (match, view)
        if best is None:
            return SignalScore(score=0, threshold=threshold), None
        match, view = best
        box = region_box(match, index.manifest.views[view].frame, (small.shape[1], small.shape[0]))
        box = tuple(min(round(v / scale), limit) for v, limit in zip(box, (width, height) * 2, strict=True))
        score = SignalScore(score=match.inliers, threshold=threshold, reference=index.view_reference(view).id)
        return score, box
