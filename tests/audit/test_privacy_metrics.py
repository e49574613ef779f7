"""Tests for the privacy metrics: Wilson intervals, flag and identity-leak rates, DCR share."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from simulacra.audit import ReferenceIndex, Thresholds, read_image
from simulacra.audit import descriptors as desc
from simulacra.audit.collect import CROPS, Description
from simulacra.audit.manifest import ReferenceRecord
from simulacra.audit.privacy_metrics import (
    Holdout,
    dcr_share,
    describe_holdout,
    flag_rates,
    identity_leaks,
    wilson,
)
from simulacra.dataset.card import AuditSummary, _privacy_lines
from simulacra.errors import AssetError

ROWS = len(CROPS)  # global rows per record, as the index describes a reference (whole image and crops)


def _entry(face: float | None, *, reject: bool = False, action: str | None = None, ref: str = "p:1") -> dict:
    signals = {"global": {"score": 0.9 if reject else 0.1, "threshold": 0.7, "reference": ref}}
    if face is not None:
        signals["face"] = {"score": face, "threshold": 0.4, "reference": ref}
    entry = {"verdict": "reject" if reject or (face or 0) >= 0.4 else "pass", "signals": signals}
    return entry | ({"action": action, "image_index": 0} if action else {})


def test_wilson_bounds_contain_the_rate_and_stay_in_0_1() -> None:
    """0 of n starts at 0, n of n ends at 1, no trials is [0, 1], and a known value matches."""
    assert wilson(0, 50)[0] == 0.0 and wilson(50, 50)[1] == pytest.approx(1.0)
    assert wilson(0, 0) == (0.0, 1.0)
    assert [round(x, 4) for x in wilson(1, 7)] == [0.0257, 0.5131]
    for hits, trials in [(3, 10), (2.5, 9), (999, 1000)]:
        low, high = wilson(hits, trials)
        assert 0.0 <= low < hits / trials < high <= 1.0


def test_identity_leak_rate_from_log_entries() -> None:
    """Face matches over entries that carry a face signal; kept ones counted; old entries left out."""
    entries = [
        _entry(0.0, action="kept"),
        _entry(0.7, action="resynthesize", ref="p:ann"),
        _entry(0.55, reject=True, action="kept", ref="p:bob"),
        _entry(0.1, action="kept"),
        _entry(None, action="kept"),  # written before the face signal existed
    ]
    leaks = identity_leaks(entries)
    assert (leaks.matched.hits, leaks.matched.trials, leaks.kept) == (2, 4, 1)
    assert leaks.references == {"p:ann": 1, "p:bob": 1}
    assert leaks.matched.low < 0.5 < leaks.matched.high
    plain = identity_leaks([{k: v for k, v in e.items() if k != "action"} for e in entries])
    assert plain.kept is None  # plain audit verdicts say nothing about what was written
    assert identity_leaks([]).matched.rate is None


def test_flag_rates_count_each_signal_over_entries_that_carry_it() -> None:
    """A signal absent from an entry is not a pass of it; `any` is the verdict."""
    rates = flag_rates([_entry(0.7), _entry(None, reject=True), _entry(0.0)])
    assert (rates["face"].hits, rates["face"].trials) == (1, 2)
    assert (rates["global"].hits, rates["global"].trials) == (1, 3)
    assert (rates["any"].hits, rates["any"].trials) == (2, 3)
    assert rates["phash"].trials == 0 and rates["phash"].rate is None


def test_card_states_identity_leak_rate_and_flag_rates() -> None:
    """AuditSummary.from_log carries the rates; the card's lines state them and how to get DCR."""
    entries = [
        _entry(0.7, action="resynthesize", ref="p:ann") | {"attempt": 0, "reference": "p:ann"},
        _entry(0.0, action="kept") | {"attempt": 1},
    ]
    lines = "\n".join(_privacy_lines(AuditSummary.from_log(entries, index="refs")))
    assert "Identity-leak rate (a face with a reference person's identity): 1/2 renders audited" in lines
    assert "identities: p:ann 1; identity leaks written: 0" in lines
    assert "face 1/2 [0.0945, 0.9055]" in lines
    assert "--holdout REAL_DIR" in lines
    assert _privacy_lines(AuditSummary.from_log([], index="refs")) == []


def _unit(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.standard_normal((count, desc.GLOBAL_DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _synthetic_index(rows: np.ndarray) -> ReferenceIndex:
    """An index whose references are described by the given global rows (ROWS each), no keypoints."""
    described = [
        Description(
            record=ReferenceRecord(id=f"r{i}", file=f"r{i}.png", sha256=f"{i:064x}", width=64, height=64),
            phash=i,
            global_rows=rows[i * ROWS : (i + 1) * ROWS],
            geometry=np.zeros((0, 4), np.float32),
            keypoints=np.zeros((0, desc.KEYPOINT_BYTES), np.uint8),
            frame=(256.0, 256.0),
            faces=np.zeros((0, 128), np.float32),
        )
        for i in range(len(rows) // ROWS)
    ]
    return ReferenceIndex.assemble(described, Thresholds())


@pytest.fixture(scope="module")
def records() -> tuple[ReferenceIndex, Holdout, np.ndarray, np.ndarray]:
    """30 members and 40 non-members drawn alike: index, hold-out, and their rows."""
    rng = np.random.default_rng(0)
    members, nonmembers = _unit(rng, 30 * ROWS), _unit(rng, 40 * ROWS)
    holdout = Holdout(
        nonmembers, np.repeat(np.arange(40, dtype=np.int32), ROWS), tuple(f"h{i}" for i in range(40))
    )
    return _synthetic_index(members), holdout, members, nonmembers


def _near(rng: np.random.Generator, rows: np.ndarray, noise: float) -> np.ndarray:
    near = rows + noise * rng.standard_normal(rows.shape).astype(np.float32) / np.sqrt(rows.shape[1])
    return near / np.linalg.norm(near, axis=1, keepdims=True)


def test_copies_of_members_give_a_share_near_1(records) -> None:
    """Outputs that are noisy copies of indexed records are all closer to the index: memorization."""
    index, holdout, members, _ = records
    rng = np.random.default_rng(1)
    dcr = dcr_share(_near(rng, members[::ROWS], 0.3), index, holdout, rng=np.random.default_rng(2))
    assert dcr.members == dcr.nonmembers == 30  # the larger hold-out is subsampled to the index's size
    assert dcr.share.rate == 1.0 and dcr.share.low > 0.85
    assert dcr.member_distance < dcr.nonmember_distance
    assert "memorization or copying" in dcr.reading()


def test_unrelated_outputs_give_a_share_near_one_half(records) -> None:
    """Outputs related to neither set fall on either side by chance: 0.5 inside the interval."""
    index, holdout, *_ = records
    rng = np.random.default_rng(3)
    dcr = dcr_share(_unit(rng, 300), index, holdout, rng=np.random.default_rng(4))
    assert dcr.share.low < 0.5 < dcr.share.high
    assert "consistent with 0.5" in dcr.reading()
    assert dcr.to_dict()["share"]["trials"] == 300


def test_copies_of_nonmembers_read_as_an_incomparable_holdout(records) -> None:
    """Outputs nearer the hold-out give a share near 0, read as a hold-out that differs, not a leak."""
    index, holdout, _, nonmembers = records
    rng = np.random.default_rng(5)
    dcr = dcr_share(_near(rng, nonmembers[::ROWS], 0.3), index, holdout, rng=np.random.default_rng(6))
    assert dcr.share.high < 0.5  # only the subsampled non-members are near, not all 40
    assert "the hold-out is not comparable" in dcr.reading()


def test_dcr_share_refuses_no_outputs_and_wrong_dimensions(records) -> None:
    """No outputs, or descriptors of another size: a ValueError that says which."""
    index, holdout, *_ = records
    with pytest.raises(ValueError, match="no outputs"):
        dcr_share(np.zeros((0, desc.GLOBAL_DIM), np.float32), index, holdout, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"expected \(n, 768\)"):
        dcr_share(np.zeros((2, 5), np.float32), index, holdout, rng=np.random.default_rng(0))


def test_describe_holdout_refuses_indexed_images_and_empty_folders(demo_dir: Path, tmp_path: Path) -> None:
    """A hold-out image that is in the index, a missing folder, a folder without images: each named."""
    folder = tmp_path / "holdout"
    folder.mkdir()
    with pytest.raises(AssetError, match="no readable hold-out images"):
        describe_holdout(folder)
    with pytest.raises(AssetError, match="nope: no such folder"):
        describe_holdout(tmp_path / "nope")
    shutil.copy(demo_dir / "coffee.png", folder / "coffee.png")
    (folder / "broken.png").write_bytes(b"not a png")
    described = describe_holdout(folder)
    assert described.files == ("coffee.png",) and described.rows.shape == (ROWS, desc.GLOBAL_DIM)
    assert described.skipped and described.skipped[0].startswith("broken.png: ")
    sha = read_image(folder / "coffee.png")[1]
    with pytest.raises(AssetError, match=r"coffee\.png: this image is in the index"):
        describe_holdout(folder, exclude_sha256=frozenset({sha}))
