"""Set each signal's threshold from images that must pass, at a chosen false-positive rate.

Negatives are real photos that are *not* in the index (a hold-out set: what an
unrelated real picture scores) and clean renders (what the product's own output
scores). Each signal's threshold is put just above the score that only a fraction
``fpr`` of negatives reach. With fewer than ``1/fpr`` negatives that fraction cannot
be resolved: the threshold lands just above the highest negative, and the report
says so. A signal no negative showed any evidence for (no face found in any of
them) keeps its threshold: zero scores say nothing about where faces of other
people fall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulacra.audit.auditor import Verdict
from simulacra.audit.thresholds import Thresholds

# signal -> (Thresholds field, smallest step between scores, allowed score thresholds)
_FIELDS = {
    "phash": ("phash_bits", 1.0, (33.0, 64.0)),
    "global": ("global_cosine", 1e-4, (1e-4, 1.0)),
    "region": ("region_inliers", 1.0, (4.0, math.inf)),
    "face": ("face_distance", 1e-4, (1e-4, 1.0 - 1e-4)),
}


@dataclass(frozen=True)
class SignalFit:
    """How one signal's threshold was set."""

    signal: str
    negatives: int
    with_evidence: int
    highest: float
    threshold: float
    resolved: bool  # False: too few negatives for the asked rate, threshold is above their maximum
    kept: bool  # True: no evidence in any negative, the previous threshold was kept


def fit(negatives: list[Verdict], current: Thresholds, fpr: float) -> tuple[Thresholds, list[SignalFit]]:
    """Thresholds such that at most ``fpr`` of ``negatives`` fire each signal.

    Raises:
        ValueError: no negatives, or ``fpr`` outside (0, 1).
    """
    if not negatives:
        raise ValueError("calibration needs at least one negative image")
    if not 0 < fpr < 1:
        raise ValueError(f"fpr must lie in (0, 1), got {fpr}")
    allowed = math.floor(fpr * len(negatives))
    values = current.model_dump()
    fits = []
    for signal, (name, step, (lowest, highest)) in _FIELDS.items():
        scores = np.sort([v.signals[signal].score for v in negatives])[::-1]
        evidence = int(np.count_nonzero(scores > 0))
        kept = evidence == 0 and signal == "face"
        if not kept:
            above = float(scores[allowed]) + step if allowed < len(scores) else lowest
            score_threshold = min(highest, max(lowest, above))
            if signal == "face":  # the signal's score is 1 - distance
                values[name] = round(1.0 - score_threshold, 4)
            elif step == 1.0:
                values[name] = int(score_threshold)
            else:
                values[name] = round(score_threshold, 4)
        fits.append(
            SignalFit(
                signal=signal,
                negatives=len(negatives),
                with_evidence=evidence,
                highest=float(scores[0]),
                threshold=float(values[name]),
                resolved=len(negatives) * fpr >= 1,
                kept=kept,
            )
        )
    return Thresholds.model_validate(values), fits
