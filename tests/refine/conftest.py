"""Tiny domains for refiner tests: flat shaded shapes with instance masks, and noisy 'real' textures."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from simulacra.refine import TrainSettings

SIZE = 40


def shapes_image(index: int, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """A flat render-like image and its instance ids (1 = rectangle, 2 = disc)."""
    image = np.full((size, size, 3), (150, 150, 160), np.uint8)
    instances = np.zeros((size, size), np.uint16)
    a = 4 + index % 5
    cv2.rectangle(image, (a, a), (a + size // 3, a + size // 2), (200, 60, 60), -1)
    cv2.rectangle(instances, (a, a), (a + size // 3, a + size // 2), 1, -1)
    centre = (size - 12 + index % 3, size - 12)
    cv2.circle(image, centre, 7, (60, 170, 80), -1)
    cv2.circle(instances, centre, 7, 2, -1)
    return image, instances


def texture_image(index: int, size: int = SIZE) -> np.ndarray:
    """A noisy, photo-like texture (the 'real' domain of the tests)."""
    rng = np.random.default_rng(100 + index)
    base = rng.normal(128, 40, (size // 4, size // 4, 3))
    image = cv2.resize(base, (size, size), interpolation=cv2.INTER_CUBIC) + rng.normal(0, 12, (size, size, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def write(folder: Path, images: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, rgb in enumerate(images):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Test tensors are tiny: on a shared 2-core machine, threads only fight (4x slower measured)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def synthetic_dir(tmp_path: Path) -> Path:
    return write(tmp_path / "synthetic", [shapes_image(i)[0] for i in range(6)])


@pytest.fixture
def real_dir(tmp_path: Path) -> Path:
    return write(tmp_path / "real", [texture_image(i) for i in range(6)])


@pytest.fixture
def tiny() -> TrainSettings:
    return TrainSettings(steps=4, size=32, batch=4, channels=8, blocks=2, checkpoint_every=2, history=16)
