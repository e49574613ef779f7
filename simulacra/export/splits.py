"""Train/val/test splits by scene: every view of one scene lands in the same split.

Views of one scene share objects, poses and lighting; putting some in train and others in
val would leak the answer into the validation score. Scenes are shuffled by the export
seed and cut by largest remainder, so the same dataset, ratios and seed always give the
same split, and every split asked for gets at least one scene.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from simulacra.errors import UsageError

SPLIT_NAMES = ("train", "val", "test")
DEFAULT_SPLIT = "train=0.8,val=0.1,test=0.1"


@dataclass(frozen=True)
class SplitRatios:
    """The share of scenes each named split gets, in ``SPLIT_NAMES`` order; shares sum to 1."""

    shares: tuple[tuple[str, float], ...]

    @classmethod
    def parse(cls, text: str) -> SplitRatios:
        """``train=0.8,val=0.1,test=0.1`` -> ratios; UsageError names the bad part.

        Example:
            >>> SplitRatios.parse("train=0.9,val=0.1").names
            ('train', 'val')
        """
        shares: dict[str, float] = {}
        for part in text.split(","):
            name, _, value = part.strip().partition("=")
            if name not in SPLIT_NAMES:
                raise UsageError(f"--split {text}: '{name}' is not a split ({', '.join(SPLIT_NAMES)})")
            if name in shares:
                raise UsageError(f"--split {text}: '{name}' is given twice")
            try:
                shares[name] = float(value)
            except ValueError:
                raise UsageError(f"--split {text}: '{part}' is not name=share, e.g. train=0.8") from None
            if not 0 < shares[name] <= 1:
                raise UsageError(f"--split {text}: {name}'s share {value} is not in (0, 1]")
        if abs(sum(shares.values()) - 1) > 1e-6:
            raise UsageError(f"--split {text}: the shares sum to {sum(shares.values()):g}, not 1")
        return cls(tuple((name, shares[name]) for name in SPLIT_NAMES if name in shares))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.shares)


def assign_splits(scenes: Sequence[Hashable], ratios: SplitRatios, *, seed: int) -> dict[Hashable, str]:
    """Scene -> split name: a seeded shuffle cut into the ratios' counts.

    Raises:
        UsageError: there are fewer scenes than splits, so some split would be empty.
    """
    ordered = sorted(set(scenes))
    if len(ordered) < len(ratios.shares):
        raise UsageError(
            f"--split: {len(ordered)} scenes cannot fill {len(ratios.shares)} splits "
            f"({', '.join(ratios.names)}); ask for fewer splits"
        )
    counts = _counts(len(ordered), [share for _, share in ratios.shares])
    shuffled = [ordered[i] for i in np.random.default_rng(seed).permutation(len(ordered))]
    assignment, start = {}, 0
    for (name, _), count in zip(ratios.shares, counts, strict=True):
        assignment.update({scene: name for scene in shuffled[start : start + count]})
        start += count
    return assignment


def _counts(total: int, shares: list[float]) -> list[int]:
    """Largest-remainder counts of ``total`` for ``shares``, each at least 1."""
    exact = [share * total for share in shares]
    counts = [max(1, int(value)) for value in exact]
    by_remainder = sorted(range(len(shares)), key=lambda k: exact[k] - int(exact[k]), reverse=True)
    for step in range(total - sum(counts)):  # nothing when the minimum of 1 already overshot
        counts[by_remainder[step % len(shares)]] += 1
    while sum(counts) > total:  # total >= len(shares), so the largest count is above 1 here
        counts[counts.index(max(counts))] -= 1
    return counts
