"""Tests for the search kind chosen by size, and for adding references to an index."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from simulacra.audit import Auditor, ReferenceIndex, search
from simulacra.audit import descriptors as desc
from simulacra.errors import ReferenceIndexError


def test_small_sets_are_exact_and_large_ones_approximate() -> None:
    """The factory string follows the count; an unknown kind names itself and the choices."""
    assert search.choose(9_999, 10_000) == "Flat"
    assert search.choose(10_000, 10_000) == "HNSW32"
    with pytest.raises(ValueError, match="'IVF9'; expected one of Flat, HNSW32"):
        search.build(np.zeros((1, 4), np.float32), "IVF9")


def test_large_index_is_hnsw_persisted_and_finds_an_exact_copy(
    demo_index: ReferenceIndex, photos: dict, tmp_path: Path
) -> None:
    """20k synthetic rows plus the demo set: HNSW is picked, saved, reloaded, and still finds a copy."""
    parts = demo_index.parts()
    rng = np.random.default_rng(0)
    noise = rng.standard_normal((20_000, desc.GLOBAL_DIM)).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    parts.global_rows.append(noise)
    # Synthetic rows belong to view 0 (the first reference) only so that the arrays stay valid.
    parts.global_view.append(np.zeros(len(noise), np.int32))
    big = ReferenceIndex.assemble(parts, demo_index.thresholds)
    assert big.info()["search"]["global"] == "HNSW32"
    loaded = ReferenceIndex.load(big.save(tmp_path / "big.index"))
    assert search.kind_of(loaded.global_index) == "HNSW32"
    verdict = Auditor(loaded).audit(photos["skimage:coffee"])
    assert verdict.signals["global"].reference == "skimage:coffee"
    assert verdict.signals["global"].score > 0.99


def test_kind_mismatch_on_load_is_refused(demo_index: ReferenceIndex, tmp_path: Path) -> None:
    """index.json naming another search kind than the faiss file holds is refused by name."""
    saved = demo_index.save(tmp_path / "refs.index")
    text = (saved / "index.json").read_text().replace('"global": "Flat"', '"global": "HNSW32"')
    (saved / "index.json").write_text(text)
    with pytest.raises(
        ReferenceIndexError, match=r"index\.faiss: holds a Flat index, index.json says HNSW32"
    ):
        ReferenceIndex.load(saved)


def test_add_extends_and_skips_what_is_indexed(demo_dir: Path, tmp_path: Path, photos: dict) -> None:
    """Adding a folder adds its new images only; the result audits the new reference."""
    first = tmp_path / "first"
    first.mkdir()
    shutil.copy(demo_dir / "camera.png", first / "camera.png")
    index = ReferenceIndex.build(first)
    extended, added = index.add(demo_dir)
    assert added == 4  # camera.png again (same sha256, other id) is skipped
    assert len(extended.references) == 5
    assert any("same image as reference 'camera.png'" in s.reason for s in extended.manifest.skipped)
    assert Auditor(extended).audit(photos["skimage:chelsea"]).reference == "skimage:chelsea"
    again, added = extended.add(demo_dir)
    assert added == 0 and len(again.references) == 5


def test_old_format_is_refused_with_rebuild(demo_index: ReferenceIndex, tmp_path: Path) -> None:
    """An index written by the previous format version must be rebuilt."""
    saved = demo_index.save(tmp_path / "refs.index")
    text = (saved / "index.json").read_text().replace('"format_version": 2', '"format_version": 1')
    (saved / "index.json").write_text(text)
    with pytest.raises(ReferenceIndexError, match="format_version 1, this build reads 2; rebuild the index"):
        ReferenceIndex.load(saved)
