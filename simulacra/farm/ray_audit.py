"""The reference index on a Ray cluster: references described on it, shards served by it.

* ``index build --ray``: :func:`ray_describer` sends each reference file's bytes to a
  Ray task that describes it (the nodes need no shared storage for the references);
  the driver writes the index, in order, exactly as a local build does.
* ``audit --ray`` and ``generate --ray``: one :class:`ShardServer` actor per shard
  holds that shard in its memory; an output is described once (in a Ray task for
  ``audit``, in the render actor for ``generate``), every server scores the
  description against its shard and the driver merges the evidence
  (:func:`simulacra.audit.auditor.merge`): the verdict of a one-process audit of the
  same sharded index. The shard folders must be readable on the nodes (shared
  storage, or the same path copied to each node).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from simulacra.audit.auditor import Auditor, Evidence, Query, Verdict, describe, merge, verdict_of
from simulacra.audit.index import DescribeItem, Describer, ReferenceIndex
from simulacra.audit.manifest import SkippedFile
from simulacra.audit.thresholds import Thresholds
from simulacra.errors import AssetError, FarmError

Progress = Callable[[int, int], None]
_IN_FLIGHT_PER_CPU = 4  # tasks queued per cluster CPU: enough to keep every core busy
_embedder: Any = None  # one face embedder per Ray worker process, loaded on first use


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` ("auto": the running one), or start one here ("local")."""
    import ray

    if ray.is_initialized():
        return
    try:
        ray.init(
            address=None if address == "local" else address, include_dashboard=False, log_to_driver=False
        )
    except ConnectionError as error:
        raise FarmError(f"--ray {address}: cannot reach a Ray cluster ({error})") from None


def _worker_embedder() -> Any:
    global _embedder
    if _embedder is None:
        from simulacra.audit.identity import FaceEmbedder

        _embedder = FaceEmbedder()
    return _embedder


def _describe_reference(data: bytes | str, item: DescribeItem) -> Any:
    """Ray task: one reference's description (or why it was skipped)."""
    from simulacra.audit.collect import describe_image

    _, source, max_pixels = item
    if isinstance(data, str):
        return SkippedFile(file=source.file, reason=data)
    return describe_image(data, source, max_pixels, _worker_embedder())


def _describe_output(data: bytes, name: str, faces: bool) -> Query | str:
    """Ray task: one output file described for every signal, or why it cannot be."""
    from simulacra.audit.images import decode_image

    try:
        rgb, _ = decode_image(data, name)
        return describe(rgb, _worker_embedder() if faces else None)
    except (AssetError, ValueError) as exc:
        return str(exc)


def _ordered(submit: Callable[[Any], Any], items: list[Any], window: int) -> Iterator[Any]:
    """Results of ``submit(item)`` (Ray object refs) in the order of ``items``, ``window`` in flight."""
    import ray

    pending: deque[Any] = deque()
    for item in items:
        pending.append(submit(item))
        if len(pending) >= window:
            yield ray.get(pending.popleft())
    while pending:
        yield ray.get(pending.popleft())


def _window() -> int:
    import ray

    return max(2, int(ray.cluster_resources().get("CPU", 1)) * _IN_FLIGHT_PER_CPU)


def _read(path: Path) -> bytes | str:
    """The file's bytes, or why they cannot be read (the file is then skipped, as locally)."""
    from simulacra.audit.images import file_bytes

    try:
        return file_bytes(path)
    except AssetError as exc:
        return str(exc)


def ray_describer(address: str) -> Describer:
    """A describer for :meth:`ReferenceIndex.build` that describes on the Ray cluster at ``address``."""
    connect(address)

    def describe_on_ray(items: list[DescribeItem]) -> Iterator[Any]:
        import ray

        task = ray.remote(num_cpus=1)(_describe_reference)
        yield from _ordered(lambda item: task.remote(_read(item[0]), item), items, _window())

    return describe_on_ray


class ShardServer:
    """A Ray actor holding one shard of a sharded index: scores described outputs against it."""

    def __init__(self, path: str, thresholds: Thresholds):
        self._auditor = Auditor(ReferenceIndex.load(path), thresholds)

    def wants_faces(self) -> bool:
        return self._auditor.wants_faces

    def evidence(self, query: Query | str) -> Evidence | None:
        """The shard's evidence on a described output (None for one that could not be described)."""
        return None if isinstance(query, str) else self._auditor.evidence(query)


class ShardFleet:
    """One :class:`ShardServer` per shard, started and checked ready; ``stop`` ends them."""

    def __init__(self, shard_paths: list[Path], thresholds: Thresholds):
        import ray

        server = ray.remote(num_cpus=0)(ShardServer)  # memory-bound: leaves the CPUs to the work
        self.handles = [server.remote(str(path.resolve()), thresholds) for path in shard_paths]
        self.wants_faces = any(ray.get([h.wants_faces.remote() for h in self.handles]))

    def stop(self) -> None:
        import ray

        for handle in self.handles:
            ray.kill(handle)


class RemoteAuditor:
    """The auditor a Ray render actor uses with a sharded index: describes here, scores on the servers."""

    def __init__(self, handles: list[Any], wants_faces: bool):
        from simulacra.audit.identity import FaceEmbedder

        self._handles = handles
        self._embedder = FaceEmbedder() if wants_faces else None

    def audit(self, rgb: Any, file: str | None = None) -> Verdict:
        import ray

        query = describe(rgb, self._embedder)
        evidence = ray.get([handle.evidence.remote(query) for handle in self._handles])
        return verdict_of(merge(evidence), query.shape, file)


def audit_on_ray(
    shard_paths: list[Path],
    thresholds: Thresholds,
    files: list[Path],
    base: Path,
    address: str,
    progress: Progress | None = None,
) -> list[Verdict | str]:
    """Audit ``files`` against the shards on Ray: per file, in order, a verdict or a skip reason."""
    import ray

    connect(address)
    fleet = ShardFleet(shard_paths, thresholds)
    task = ray.remote(num_cpus=1)(_describe_output)
    scored = ray.remote(num_cpus=0)(_merge_evidence)

    def submit(path: Path) -> Any:
        data = _read(path)
        if isinstance(data, str):
            return ray.put(data)
        query = task.remote(data, path.relative_to(base).as_posix(), fleet.wants_faces)
        return scored.remote(query, *[h.evidence.remote(query) for h in fleet.handles])

    results: list[Verdict | str] = []
    try:
        for done, (path, result) in enumerate(zip(files, _ordered(submit, files, _window()), strict=True), 1):
            name = path.relative_to(base).as_posix()
            results.append(result if isinstance(result, str) else verdict_of(result[0], result[1], name))
            if progress:
                progress(done, len(files))
    finally:
        fleet.stop()
    return results


def _merge_evidence(query: Query | str, *evidence: Evidence | None) -> tuple[Evidence, tuple[int, int]] | str:
    """Ray task: the merged evidence of every shard (or the reason the output was not described)."""
    if isinstance(query, str):
        return query
    return merge([e for e in evidence if e is not None]), query.shape
