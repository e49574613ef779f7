"""DP-SGD for the discriminator, the only network that sees real images.

Why only the discriminator: the refiner learns from the discriminator's gradients on
synthetic inputs, so if the discriminator is (epsilon, delta)-DP with respect to the
real set, so is the refiner (post-processing). Each step Poisson-samples real images
(one crop each) as the accountant assumes; every sample's gradient is clipped and
Gaussian noise from a seeded generator is added to their sum (Opacus' DPOptimizer).
Refined crops share the batch: they do not depend on the real set beyond the
already-private discriminator, so they change nothing in the accounting.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from opacus import GradSampleModule
from opacus.accountants import RDPAccountant
from opacus.accountants.utils import get_noise_multiplier
from opacus.optimizers import DPOptimizer
from torch import nn

from simulacra.errors import RefineError


@dataclass
class PrivateDiscriminator:
    """A discriminator wrapped for per-sample gradients, its DP optimizer and accountant."""

    module: GradSampleModule
    optimizer: DPOptimizer
    accountant: RDPAccountant
    noise_multiplier: float
    sample_rate: float
    delta: float

    def step(self) -> None:
        """Clip, noise and apply the accumulated per-sample gradients; account for it."""
        self.optimizer.step()
        self.accountant.step(noise_multiplier=self.noise_multiplier, sample_rate=self.sample_rate)

    def epsilon(self) -> float:
        """Epsilon spent so far at ``delta`` (0 before the first step)."""
        return float(self.accountant.get_epsilon(self.delta)) if self.accountant.history else 0.0


def make_private(
    discriminator: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    epsilon: float,
    delta: float,
    real_count: int,
    batch: int,
    steps: int,
    max_grad_norm: float,
    generator: torch.Generator,
) -> PrivateDiscriminator:
    """Wrap ``discriminator`` so that ``steps`` steps spend at most (``epsilon``, ``delta``).

    Raises:
        RefineError: delta is not below 1/``real_count``, or no noise reaches the target.
    """
    if delta >= 1.0 / real_count:
        raise RefineError(
            f"dp delta {delta:g} must be below 1/{real_count} (one over the number of real images)"
        )
    sample_rate = min(1.0, batch / real_count)
    try:
        noise = get_noise_multiplier(
            target_epsilon=epsilon, target_delta=delta, sample_rate=sample_rate, steps=steps, accountant="rdp"
        )
    except ValueError as exc:
        raise RefineError(f"dp epsilon {epsilon:g} cannot be reached in {steps} steps ({exc})") from exc
    module = GradSampleModule(discriminator)
    dp_optimizer = DPOptimizer(
        optimizer,
        noise_multiplier=noise,
        max_grad_norm=max_grad_norm,
        expected_batch_size=2 * batch,  # real and refined crops together; only scales the mean
        generator=generator,
    )
    return PrivateDiscriminator(module, dp_optimizer, RDPAccountant(), noise, sample_rate, delta)
