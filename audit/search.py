"""Which faiss structure searches a set of vectors, chosen by its size.

Exact search (``Flat``) is right for small reference sets: it is exact and fast
enough. Beyond ``approx_from`` vectors a brute-force scan per audit grows with the
set, so an HNSW graph takes over (``HNSW32``: 32 links per node, no training, so
references can be added later). The choice is a faiss factory string, saved in
``index.json`` and checked again on load.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

from simulacra.errors import ReferenceIndexError

KINDS = ("Flat", "HNSW32")
# Global rows: 22 per reference (11 crops x 2 views), so HNSW from about 455 references.
GLOBAL_APPROX_FROM = 10_000
# Keypoints (~4000 per reference) are ratio-tested on their 16 nearest neighbours, which
# an approximate search blurs; exact up to ~500 references.
KEYPOINT_APPROX_FROM = 2_000_000
EF_SEARCH = 128  # HNSW candidates kept per query: recall against speed
EF_CONSTRUCTION = 40


def choose(count: int, approx_from: int) -> str:
    """The factory string for ``count`` vectors: ``Flat`` below ``approx_from``, else ``HNSW32``."""
    return "Flat" if count < approx_from else "HNSW32"


def build(vectors: np.ndarray, kind: str) -> Any:
    """An inner-product faiss index of ``kind`` (one of :data:`KINDS`) holding ``vectors``.

    Raises:
        ValueError: ``kind`` is not one of :data:`KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown search index kind {kind!r}; expected one of {', '.join(KINDS)}")
    index = faiss.index_factory(vectors.shape[1], kind, faiss.METRIC_INNER_PRODUCT)
    if kind.startswith("HNSW"):
        index.hnsw.efConstruction = EF_CONSTRUCTION
        index.hnsw.efSearch = EF_SEARCH
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, np.float32))
    return index


def kind_of(index: Any) -> str:
    """The factory string of a loaded faiss index (what :func:`build` would have been given)."""
    if isinstance(index, faiss.IndexHNSW):
        return f"HNSW{index.hnsw.nb_neighbors(1)}"
    if isinstance(index, faiss.IndexFlat):
        return "Flat"
    return type(index).__name__


def read(path: str, kind: str) -> Any:
    """Read a saved faiss index and check it is the ``kind`` that ``index.json`` names.

    Raises:
        ReferenceIndexError: unreadable, or another structure than ``kind``.
    """
    try:
        index = faiss.read_index(path)
    except RuntimeError as exc:
        raise ReferenceIndexError(f"{path}: not a readable faiss index") from exc
    if kind_of(index) != kind:
        raise ReferenceIndexError(f"{path}: holds a {kind_of(index)} index, index.json says {kind}")
    if kind.startswith("HNSW"):
        index.hnsw.efSearch = EF_SEARCH
    return index
