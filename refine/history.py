"""SimGAN's history buffer: the discriminator also sees refined images from earlier steps.

Why: a discriminator that only sees the current refiner forgets old artefacts and the
refiner re-introduces them; mixing in past outputs stabilises training.
"""

from __future__ import annotations

import torch


class HistoryBuffer:
    """A fixed-size pool of refined crops, filled and sampled with a seeded generator.

    Args:
        capacity: crops kept; 0 disables the buffer (``mix`` returns its input).
        generator: the only source of randomness (seeded by the trainer).
    """

    def __init__(self, capacity: int, generator: torch.Generator):
        self.capacity = capacity
        self.generator = generator
        self.pool: torch.Tensor | None = None

    def mix(self, refined: torch.Tensor) -> torch.Tensor:
        """Half of ``refined`` swapped for pooled crops; the swapped-in crops join the pool.

        The returned batch has the size of ``refined`` and is detached.
        """
        refined = refined.detach()
        if self.capacity == 0:
            return refined
        if self.pool is None:
            self.pool = refined[: self.capacity].clone()
            return refined
        count = refined.shape[0]
        half = count // 2
        if half and len(self.pool) >= half:
            drawn = torch.randperm(len(self.pool), generator=self.generator)[:half]
            mixed = torch.cat([refined[: count - half], self.pool[drawn].to(refined.device)])
        else:
            mixed = refined
        self._store(refined)
        return mixed

    def _store(self, refined: torch.Tensor) -> None:
        assert self.pool is not None
        room = self.capacity - len(self.pool)
        if room > 0:
            self.pool = torch.cat([self.pool, refined[:room]])
            refined = refined[room:]
        if len(refined):
            slots = torch.randperm(len(self.pool), generator=self.generator)[: len(refined)]
            self.pool[slots] = refined[: len(slots)]

    def state_dict(self) -> dict:
        """The pool, for a resumable checkpoint."""
        return {"pool": self.pool.cpu() if self.pool is not None else torch.zeros(0)}

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        """Restore a pool written by :meth:`state_dict`."""
        pool = state["pool"]
        self.pool = pool.to(device) if pool.numel() else None
