"""Which faiss structures hold the index's compact, RAM-resident descriptors, chosen by size.

Four structures, each a faiss factory string saved in ``index.json`` and checked on load:

* ``global``: whole-image and crop descriptors (768-d). Exact (``Flat``) for small
  sets; from :data:`GLOBAL_COMPRESS_FROM` rows PCA-reduced to 96 dims and scalar
  quantised to a byte per dim (~100 bytes a row instead of 3 KB), from
  :data:`GLOBAL_IVF_FROM` rows also split into inverted lists so a query scans a few
  of them. It only ranks candidates: scores are recomputed exactly from the
  reference's on-disk rows (:mod:`simulacra.audit.store`).
* ``keypoints``: a retrieval subset of each reference's RootSIFT keypoints (the
  strongest :data:`~simulacra.audit.collect.RETRIEVAL_KEYPOINTS`). Exact for small
  sets, then product-quantised to 32 bytes (4-bit fast-scan codes) inside inverted
  lists, their number chosen so a query's cost stays flat as the index grows (see
  :func:`keypoint_lists`). Query keypoints vote for the references of their
  neighbours; the winners are verified geometrically against their full keypoints,
  read from disk.
* ``phash``: 64-bit perceptual hashes, exact Hamming search (8 bytes a reference).
* ``faces``: 128-d identity embeddings, exact L2 up to :data:`FACE_APPROX_FROM`, then HNSW.

Vector ids are ``reference * stride + row`` (see :func:`row_id`), so a hit names its
reference without a lookup table in RAM.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import faiss
import numpy as np
from faiss.contrib.clustering import two_level_clustering

from simulacra.errors import ReferenceIndexError

GLOBAL_COMPRESS_FROM = 4_096  # rows (11 a reference): ~370 references
GLOBAL_IVF_FROM = 262_144  # ~24k references
KEYPOINT_COMPRESS_FROM = 32_768  # retrieval keypoints (128 a reference): 256 references
KEYPOINT_HNSW_QUANTIZER_FROM = 16_384  # inverted lists
FACE_APPROX_FROM = 200_000
GLOBAL_PCA_DIM = 96
# 64 sub-quantizers of 4 bits: 32 bytes a keypoint (4 KB a reference in RAM), SIMD scan.
# Measured at 10,000 references (bench index, 40 planted queries, the true reference among
# the verified candidates): 40/40 with PQ64x4fs (36 ms a query), 35/40 with PQ32x4fs (18 ms),
# 38/40 with OPQ32 + PQ32x4fs, 40/40 with exact search. With 16-byte codes the planted photo's
# keypoints drown among the 1.3 million others: the vote loses them, more lists probed do not help.
KEYPOINT_PQ = "PQ64x4fs"
NPROBE = 16  # inverted lists scanned per query vector
# Candidates an HNSW graph keeps while it searches (at least NPROBE). Measured on the bench's
# 10,000-reference index with 16,384 lists behind a graph (the 800 voters of an image, 40
# planted posters): 64 took 69 ms an image and 32 took 45 ms, with the same planted ranks.
EF_SEARCH = 32
KEYPOINT_LISTS_PER_ROOT = 4  # inverted lists per square root of the rows, while the lists are few
KEYPOINT_ROWS_PER_LIST = 1_024  # rows a list holds once an HNSW graph finds the lists
TRAIN_PER_LIST = 64  # training vectors per inverted list (faiss warns below 39)
_KIND = re.compile(
    r"^(Flat|PCA\d+,L2norm,SQ8|PCA\d+,L2norm,IVF\d+,SQ8|IVF\d+(_HNSW32)?,PQ\d+x4fs|HNSW32|BFlat)$"
)


def _power_of_two(value: float) -> int:
    return 1 << max(0, round(np.log2(max(value, 1.0))))


def _lists(count: int) -> int:
    """Inverted lists for ``count`` global rows: a power of two near sqrt(count), at least 256."""
    return max(256, _power_of_two(np.sqrt(count)))


def keypoint_lists(count: int) -> int:
    """Inverted lists for ``count`` retrieval keypoints, so that a query costs about the same at any size.

    An image's 800 voters pay for finding their nearest lists (a dense product with every
    centroid, or an HNSW graph's walk once there are :data:`KEYPOINT_HNSW_QUANTIZER_FROM`
    lists) and for scanning the rows of 16 lists. While the centroids are compared one by
    one, 4 sqrt(count) lists balance the two (the bench's 10,000 references, 1.28 million
    rows: 38 ms an image with 4,096 lists, 56 ms with 1,024), with at least 64 rows a list
    to train on; behind a graph, lists of about :data:`KEYPOINT_ROWS_PER_LIST` rows keep
    the scan flat. Finer lists lost no
    planted poster: at 10,000 references with 16,384 lists (78 rows each) the planted
    reference still ranked first in 39 of 40 votes and second in one, as with 4,096.
    """
    enough_to_train = 1 << int(np.log2(max(count, 1) / TRAIN_PER_LIST))  # a power of two, rounded down
    lists = max(256, min(_power_of_two(KEYPOINT_LISTS_PER_ROOT * np.sqrt(count)), enough_to_train))
    if lists < KEYPOINT_HNSW_QUANTIZER_FROM:
        return lists
    return max(lists, _power_of_two(count / KEYPOINT_ROWS_PER_LIST))


def choose(structure: str, count: int) -> str:
    """The factory string for ``count`` vectors of ``structure`` (global, keypoints, phash, faces).

    Raises:
        ValueError: an unknown structure name.
    """
    if structure == "global":
        if count < GLOBAL_COMPRESS_FROM:
            return "Flat"
        if count < GLOBAL_IVF_FROM:
            return f"PCA{GLOBAL_PCA_DIM},L2norm,SQ8"
        return f"PCA{GLOBAL_PCA_DIM},L2norm,IVF{_lists(count)},SQ8"
    if structure == "keypoints":
        if count < KEYPOINT_COMPRESS_FROM:
            return "Flat"
        lists = keypoint_lists(count)
        quantizer = "_HNSW32" if lists >= KEYPOINT_HNSW_QUANTIZER_FROM else ""
        return f"IVF{lists}{quantizer},{KEYPOINT_PQ}"
    if structure == "phash":
        return "BFlat"
    if structure == "faces":
        return "Flat" if count < FACE_APPROX_FROM else "HNSW32"
    raise ValueError(f"unknown index structure {structure!r}; expected global, keypoints, phash or faces")


def row_id(reference: np.ndarray | int, row: np.ndarray | int, stride: int) -> np.ndarray:
    """faiss ids of rows of references: ``reference * stride + row`` as int64."""
    return np.asarray(reference, np.int64) * stride + np.asarray(row, np.int64)


def needs_training(kind: str) -> bool:
    """Whether a structure of ``kind`` must see sample vectors before vectors are added."""
    return kind.startswith(("PCA", "IVF"))


def train_size(kind: str) -> int:
    """How many sample vectors training ``kind`` wants (0 when it needs none)."""
    if not needs_training(kind):
        return 0
    lists = re.search(r"IVF(\d+)", kind)
    return max(16_384, TRAIN_PER_LIST * int(lists.group(1))) if lists else 16_384


def create(dim: int, kind: str, metric: str) -> Any:
    """An empty faiss structure of ``kind`` for ``dim``-d vectors (``metric``: ``ip`` or ``l2``).

    Raises:
        ValueError: ``kind`` is not a structure this module builds.
    """
    if not _KIND.match(kind):
        raise ValueError(
            f"unknown search index kind {kind!r}; expected Flat, BFlat, HNSW32, "
            "PCA<d>,L2norm,SQ8, PCA<d>,L2norm,IVF<n>,SQ8 or IVF<n>[_HNSW32],PQ<m>x4fs"
        )
    if kind == "BFlat":
        return faiss.IndexBinaryIDMap(faiss.IndexBinaryFlat(dim))
    metric_type = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    index = faiss.index_factory(dim, kind, metric_type)
    if "IVF" not in kind:  # inverted lists keep ids themselves; the rest need a map
        index = faiss.IndexIDMap(index)
    _tune(index)
    return index


def _tune(index: Any) -> None:
    """Search-time settings, which faiss does not save with the index."""
    if isinstance(index, faiss.IndexBinary):
        return
    inner = faiss.downcast_index(index.index if isinstance(index, faiss.IndexPreTransform) else index)
    if isinstance(inner, faiss.IndexIDMap):
        inner = faiss.downcast_index(inner.index)
    if isinstance(inner, faiss.IndexIVF):
        inner.nprobe = min(NPROBE, inner.nlist)
        quantizer = faiss.downcast_index(inner.quantizer)
        if isinstance(quantizer, faiss.IndexHNSW):
            quantizer.hnsw.efSearch = EF_SEARCH
    if isinstance(inner, faiss.IndexHNSW):
        inner.hnsw.efSearch = EF_SEARCH


def train(index: Any, sample: np.ndarray) -> None:
    """Train ``index`` (when its kind needs it) on ``sample`` vectors.

    Inverted lists found through an HNSW graph (many lists) get their centroids from
    two-level k-means (faiss.contrib.clustering): ``sqrt(lists)`` clusters, then each
    split in proportion to its share. Flat k-means compares every sample with every
    centroid in each of its 25 rounds: for 131,072 lists (10^6 references) that is
    about 7e15 operations, days on two cores; two levels are about 2e13.
    """
    if index.is_trained:
        return
    sample = np.ascontiguousarray(sample, np.float32)
    inner = faiss.downcast_index(index)
    quantizer = faiss.downcast_index(inner.quantizer) if isinstance(inner, faiss.IndexIVF) else None
    if isinstance(quantizer, faiss.IndexHNSW):
        spherical = inner.metric_type == faiss.METRIC_INNER_PRODUCT
        centroids, _ = two_level_clustering(
            sample, int(np.sqrt(inner.nlist)), inner.nlist, spherical=spherical
        )
        quantizer.add(centroids)
    index.train(sample)


def add(index: Any, vectors: np.ndarray, ids: np.ndarray) -> None:
    """Add ``vectors`` under ``ids`` (uint8 rows for binary structures, float32 otherwise)."""
    if not len(vectors):
        return
    dtype = np.uint8 if isinstance(index, faiss.IndexBinary) else np.float32
    index.add_with_ids(np.ascontiguousarray(vectors, dtype), np.ascontiguousarray(ids, np.int64))


def write(index: Any, path: str) -> None:
    """Save a structure made by :func:`create`.

    Raises:
        ReferenceIndexError: it cannot be written (faiss reports a full disk as a RuntimeError).
    """
    try:
        if isinstance(index, faiss.IndexBinary):
            faiss.write_index_binary(index, path)
        else:
            faiss.write_index(index, path)
    except RuntimeError as exc:
        reason = next((line for line in str(exc).splitlines() if "rror" in line), "write failed")
        raise ReferenceIndexError(f"{path}: cannot write ({reason.strip()})") from None


def read(path: str, kind: str) -> Any:
    """Read a saved structure and check it is the ``kind`` that ``index.json`` names.

    Raises:
        ReferenceIndexError: unreadable, or another structure than ``kind``.
    """
    try:
        index = faiss.read_index_binary(path) if kind == "BFlat" else faiss.read_index(path)
    except RuntimeError as exc:
        raise ReferenceIndexError(f"{path}: not a readable faiss index") from exc
    if kind_of(index) != kind:
        raise ReferenceIndexError(f"{path}: holds a {kind_of(index)} index, index.json says {kind}")
    _tune(index)
    return index


def kind_of(index: Any) -> str:
    """The factory string of a loaded structure (what :func:`create` was given)."""
    if isinstance(index, faiss.IndexBinary):
        return "BFlat"
    if isinstance(index, faiss.IndexIDMap):
        index = faiss.downcast_index(index.index)
    if isinstance(index, faiss.IndexHNSW):
        return f"HNSW{index.hnsw.nb_neighbors(1)}"
    if isinstance(index, faiss.IndexFlat):
        return "Flat"
    if isinstance(index, faiss.IndexPreTransform):
        pca = faiss.downcast_VectorTransform(index.chain.at(0))
        inner = faiss.downcast_index(index.index)
        body = f"IVF{inner.nlist},SQ8" if isinstance(inner, faiss.IndexIVF) else "SQ8"
        return f"PCA{pca.d_out},L2norm,{body}"
    if isinstance(index, faiss.IndexIVFPQFastScan):
        hnsw = "_HNSW32" if isinstance(faiss.downcast_index(index.quantizer), faiss.IndexHNSW) else ""
        return f"IVF{index.nlist}{hnsw},PQ{index.pq.M}x4fs"
    return type(index).__name__


# Exact (flat) searches of at least this many queries run as one matrix product (BLAS). faiss
# 1.15 leaves its own bound so high that a flat search of an output's 400 voters over 30,000
# retrieval keypoints (an index under 256 references) ran row by row: 362 ms against 63 ms.
BLAS_FROM_QUERIES = 20
_blas = {"active": 0, "bound": 0}
_blas_lock = threading.Lock()


def _searching(call: Any) -> Any:
    """Run ``call`` with faiss (and its OpenMP BLAS) on one thread and flat searches on BLAS.

    The OpenMP thread count is each calling thread's own setting: every thread that audits
    side by side sets and restores its own (set once for all, the other threads ran faiss
    on every core, each over the other). The BLAS bound is process-wide: threads count in
    and out, and the last one out restores what the process had.
    """
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    with _blas_lock:
        if _blas["active"] == 0:
            _blas["bound"] = faiss.cvar.distance_compute_blas_threshold
            faiss.cvar.distance_compute_blas_threshold = BLAS_FROM_QUERIES
        _blas["active"] += 1
    try:
        return call()
    finally:
        with _blas_lock:
            _blas["active"] -= 1
            if _blas["active"] == 0:
                faiss.cvar.distance_compute_blas_threshold = _blas["bound"]
        faiss.omp_set_num_threads(threads)


def knn(queries: np.ndarray, base: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest rows of ``base`` by inner product for each query, best first (one thread)."""
    return _searching(
        lambda: faiss.knn(
            np.ascontiguousarray(queries, np.float32),
            np.ascontiguousarray(base, np.float32),
            min(k, len(base)),
            metric=faiss.METRIC_INNER_PRODUCT,
        )
    )


def search(index: Any, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest stored vectors of each query: ``(scores, ids)``, id -1 where fewer exist.

    Runs on one thread: an audit's queries are small batches, for which faiss's
    thread start-up costs more than the search (10x on a busy machine), and audits
    run in parallel per image instead.
    """
    dtype = np.uint8 if isinstance(index, faiss.IndexBinary) else np.float32
    if index.ntotal == 0 or not len(queries):
        return np.zeros((len(queries), k), np.float32), np.full((len(queries), k), -1, np.int64)
    return _searching(lambda: index.search(np.ascontiguousarray(queries, dtype), min(k, index.ntotal)))
