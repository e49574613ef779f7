"""Tests for the search structures chosen by size, and for adding references to an index."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from simulacra.audit import Auditor, ReferenceIndex, search
from simulacra.audit import descriptors as desc
from simulacra.audit.calibration import tabletop
from simulacra.audit.collect import CROPS, KEYPOINTS, Description, describe_image, sources
from simulacra.audit.identity import FaceEmbedder
from simulacra.audit.images import MAX_PIXELS
from simulacra.audit.manifest import ReferenceRecord
from simulacra.errors import ReferenceIndexError


def test_small_sets_are_exact_and_large_ones_compressed() -> None:
    """The factory string follows the count; an unknown kind or structure names itself."""
    assert search.choose("global", search.GLOBAL_COMPRESS_FROM - 1) == "Flat"
    assert search.choose("global", search.GLOBAL_COMPRESS_FROM) == "PCA96,L2norm,SQ8"
    assert search.choose("global", 11_000_000) == "PCA96,L2norm,IVF4096,SQ8"
    assert search.choose("keypoints", search.KEYPOINT_COMPRESS_FROM - 1) == "Flat"
    assert search.choose("keypoints", search.KEYPOINT_COMPRESS_FROM) == "IVF512,PQ64x4fs"
    assert search.choose("keypoints", 128_000) == "IVF1024,PQ64x4fs"
    assert search.choose("keypoints", 1_280_000) == "IVF4096,PQ64x4fs"
    # behind an HNSW graph, lists keep about a thousand rows: 10^6 and 10^7 references
    assert search.choose("keypoints", 128_000_000) == "IVF131072_HNSW32,PQ64x4fs"
    assert search.choose("keypoints", 1_280_000_000) == "IVF1048576_HNSW32,PQ64x4fs"
    assert search.choose("faces", 10) == "Flat" and search.choose("phash", 10) == "BFlat"
    with pytest.raises(ValueError, match="'IVF9'; expected Flat"):
        search.create(4, "IVF9", "ip")
    with pytest.raises(ValueError, match="unknown index structure 'pixels'"):
        search.choose("pixels", 1)


def test_exact_search_runs_on_one_thread_and_restores_faiss_settings() -> None:
    """A flat search of many queries gives the exact neighbours, and leaves faiss's process-wide
    thread count and BLAS bound as it found them."""
    import faiss

    rng = np.random.default_rng(3)
    base = rng.standard_normal((3000, 32)).astype(np.float32)
    queries = rng.standard_normal((64, 32)).astype(np.float32)
    structure = search.create(32, "Flat", "ip")
    search.add(structure, base, np.arange(len(base)) * 7)
    threads, bound = faiss.omp_get_max_threads(), faiss.cvar.distance_compute_blas_threshold
    faiss.cvar.distance_compute_blas_threshold = bound + 1
    try:
        scores, ids = search.search(structure, queries, 5)
        assert faiss.omp_get_max_threads() == threads
        assert faiss.cvar.distance_compute_blas_threshold == bound + 1
    finally:
        faiss.cvar.distance_compute_blas_threshold = bound
    exact = np.argsort(-(queries @ base.T), axis=1, kind="stable")[:, :5]
    assert np.array_equal(ids, exact * 7)
    assert np.allclose(scores, np.take_along_axis(queries @ base.T, exact, axis=1), atol=1e-4)


def test_a_thread_searching_beside_another_searches_on_one_thread_too() -> None:
    """faiss's OpenMP thread count is per thread: a second auditing thread, entering while the
    first is inside a search, still searches on one thread and gets its own setting back."""
    import threading

    import faiss

    entered, release, seen = threading.Event(), threading.Event(), {}

    def hold() -> None:
        entered.set()
        release.wait(10)

    def second() -> None:
        faiss.omp_set_num_threads(2)
        seen["inside"] = search._searching(faiss.omp_get_max_threads)
        seen["after"] = faiss.omp_get_max_threads()

    first = threading.Thread(target=search._searching, args=(hold,))
    first.start()
    entered.wait(10)
    other = threading.Thread(target=second)
    other.start()
    other.join(10)
    release.set()
    first.join(10)
    assert seen == {"inside": 1, "after": 2}


def test_lists_found_through_a_graph_are_trained_and_find_what_they_hold() -> None:
    """Inverted lists behind an HNSW graph (centroids from two-level k-means) hold every centroid
    in the graph and find each stored vector first."""
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((64 * 40, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    structure = search.create(64, "IVF64_HNSW32,PQ64x4fs", "ip")
    search.train(structure, vectors)
    assert structure.is_trained and structure.quantizer.ntotal == 64
    search.add(structure, vectors, np.arange(len(vectors)) * 5)
    _, ids = search.search(structure, vectors[:200], 3)
    assert (ids[:, 0] == np.arange(200) * 5).mean() >= 0.95


def _synthetic(count: int, rng: np.random.Generator) -> list[Description]:
    """Distinct random references: unit global rows, random keypoints, random hashes."""
    out = []
    for i in range(count):
        rows = rng.standard_normal((len(CROPS), desc.GLOBAL_DIM)).astype(np.float32)
        keypoints = rng.standard_normal((KEYPOINTS, desc.KEYPOINT_DIM)).astype(np.float32) ** 2
        keypoints /= np.linalg.norm(keypoints, axis=1, keepdims=True)
        out.append(
            Description(
                record=ReferenceRecord(id=f"s{i}", file=f"s{i}.png", sha256=f"{i:064x}", width=64, height=64),
                phash=int(rng.integers(1 << 62)),
                global_rows=rows / np.linalg.norm(rows, axis=1, keepdims=True),
                geometry=rng.uniform(0, 256, (KEYPOINTS, 4)).astype(np.float32),
                keypoints=desc.quantize_keypoints(keypoints),
                frame=(256.0, 256.0),
                faces=np.zeros((0, 128), np.float32),
            )
        )
    return out


def test_large_index_is_compressed_persisted_and_finds_copies(
    demo_dir: Path, photos: dict, tmp_path: Path
) -> None:
    """400 synthetic references plus the demo set: compressed kinds are picked, saved, reloaded, and
    a whole copy and a planted poster are still found with exact scores."""
    embedder = FaceEmbedder()
    real = [describe_image(p, s, MAX_PIXELS, embedder) for p, s in sources(demo_dir)[0]]
    big = ReferenceIndex.assemble([*_synthetic(400, np.random.default_rng(0)), *real])
    assert big.info()["search"] == {
        "global": "PCA96,L2norm,SQ8",
        "keypoints": "IVF512,PQ64x4fs",
        "phash": "BFlat",
        "faces": "Flat",
    }
    loaded = ReferenceIndex.load(big.save(tmp_path / "big.index"))
    auditor = Auditor(loaded)
    verdict = auditor.audit(photos["skimage:coffee"])
    assert verdict.signals["global"].reference == "skimage:coffee"
    assert verdict.signals["global"].score > 0.99
    scene = tabletop(np.random.default_rng([0, 4, 1]), photos["skimage:chelsea"])
    planted = auditor.audit(scene.rgb)
    assert planted.signal == "region" and planted.reference == "skimage:chelsea"
    assert (
        auditor.audit(
            tabletop(np.random.default_rng([0, 4, 1]), photos["skimage:chelsea"], hang=False).rgb
        ).verdict
        == "pass"
    )


def test_kind_mismatch_on_load_is_refused(demo_index: ReferenceIndex, tmp_path: Path) -> None:
    """index.json naming another search kind than the faiss file holds is refused by name."""
    saved = demo_index.save(tmp_path / "refs.index")
    text = (saved / "index.json").read_text().replace('"global": "Flat"', '"global": "HNSW32"')
    (saved / "index.json").write_text(text)
    with pytest.raises(
        ReferenceIndexError, match=r"global\.faiss: holds a Flat index, index.json says HNSW32"
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
    text = (saved / "index.json").read_text().replace('"format_version": 4', '"format_version": 3')
    (saved / "index.json").write_text(text)
    with pytest.raises(ReferenceIndexError, match="format_version 3, this build reads 4; rebuild the index"):
        ReferenceIndex.load(saved)
