"""The two networks: a fully convolutional residual refiner and a local patch discriminator.

Why these shapes (after SimGAN, Shrivastava et al. 2017): the refiner predicts a
bounded correction added to the render, so at initialisation it is the identity and
labels start valid; it has no pooling or dense layer, so it runs at any resolution.
The discriminator scores local patches rather than whole images, which gives many
samples per image and keeps the refiner from inventing global structure. It uses
no batch normalisation, so Opacus can compute per-sample gradients for DP-SGD.
"""

from __future__ import annotations

import torch
from torch import nn


class _Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
            nn.LeakyReLU(0.2),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3),
        )
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.body(x))


class RefinerNet(nn.Module):
    """Maps an image in [-1, 1] (N x 3 x H x W) to a refined image of the same size."""

    def __init__(self, channels: int = 32, blocks: int = 4):
        super().__init__()
        self.stem = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(3, channels, 3), nn.LeakyReLU(0.2))
        self.blocks = nn.Sequential(*(_Residual(channels) for _ in range(blocks)))
        self.head = nn.Conv2d(channels, 3, 1)
        nn.init.zeros_(self.head.weight)  # identity at start: refined == render
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        correction = torch.tanh(self.head(self.blocks(self.stem(x))))
        return (x + correction).clamp(-1.0, 1.0)


class PatchDiscriminator(nn.Module):
    """Scores each local patch of an image: a map of logits, real > 0 > refined."""

    def __init__(self, channels: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(3, channels, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * channels, 2 * channels, 3, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * channels, 1, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
