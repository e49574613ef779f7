"""How a job is spread over workers: options, shards, GPU assignment.

Everything here is pure (no Blender, no processes) so the choices are tested on any
machine. The work unit is one image index: its seed derives from the job seed and the
index alone, so any split of the indices over workers, shards or machines renders the
same images.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulacra.errors import FarmError


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: the images whose index modulo ``count`` is ``index``.

    Interleaving (rather than contiguous blocks) keeps shards balanced when image cost
    drifts with the index, and needs no knowledge of the job's size.
    """

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/N"`` with 0 <= i < N, as ``--shard`` takes it (``SLURM_ARRAY_TASK_ID/N``)."""
        head, slash, tail = text.partition("/")
        try:
            index, count = int(head), int(tail)
        except ValueError:
            index, count = -1, 0
        if not slash or count < 1 or not 0 <= index < count:
            raise FarmError(f"--shard {text!r}: expected i/N with 0 <= i < N, e.g. 0/4")
        return cls(index, count)

    def takes(self, image_index: int) -> bool:
        return image_index % self.count == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class FarmOptions:
    """How to run a job's images; none of these change a single output byte.

    ``workers=None`` renders in the calling process (one Blender session, no supervision);
    ``workers=N`` runs N supervised worker processes (``ray`` set: N Ray actors).
    """

    workers: int | None = None
    threads_per_worker: int = 0  # Cycles CPU threads per worker; 0 = all cores
    ray: str | None = None  # "auto" or a cluster address
    shard: Shard | None = None
    resume: bool = False
    image_timeout: float = 1800.0  # seconds one image may take before its worker is killed
    max_failures: int = 3  # worker crashes/hangs on one image before it is recorded as failed
    max_worker_rss_mb: float | None = None  # a worker past this recycles itself between images
    gpus: tuple[str, ...] | None = None  # CUDA_VISIBLE_DEVICES values, one per worker slot

    def __post_init__(self) -> None:
        if self.workers is not None and self.workers < 1:
            raise FarmError(f"--workers {self.workers}: must be at least 1")
        if self.gpus is not None and not self.gpus:
            raise FarmError("--gpus: give at least one device id, e.g. 0,1")


def worker_env(slot: int, device: str, gpus: tuple[str, ...] | None) -> dict[str, str]:
    """Environment of worker ``slot``: on a GPU device, one GPU per worker via CUDA_VISIBLE_DEVICES.

    Without ``gpus`` worker k takes GPU k; with them, worker k takes ``gpus[k % len(gpus)]``
    (two workers per GPU when ``gpus`` repeats an id). CPU workers get no assignment.
    """
    if device not in ("cuda", "optix"):
        return {}
    chosen = gpus[slot % len(gpus)] if gpus else str(slot)
    return {"CUDA_VISIBLE_DEVICES": chosen}


def parse_gpus(text: str) -> tuple[str, ...]:
    """``"0,1,3"`` -> ("0", "1", "3"); GPU ids or UUIDs, as CUDA_VISIBLE_DEVICES takes them."""
    ids = tuple(part.strip() for part in text.split(","))
    if not all(ids):
        raise FarmError(f"--gpus {text!r}: expected comma-separated device ids, e.g. 0,1")
    return ids
