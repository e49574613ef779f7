"""Applying a refiner: same size and dtype, deterministic, any resolution, bad input named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from simulacra.errors import RefineError
from simulacra.refine import load_refiner, resolve_device, train
from tests.refine.conftest import shapes_image


@pytest.fixture
def model(tmp_path, synthetic_dir, real_dir, tiny):
    train(
        synthetic_dir,
        real_dir,
        tmp_path / "m",
        tiny.model_copy(update={"steps": 6, "learning_rate": 0.01}),
        device="cpu",
    )
    return tmp_path / "m"


def test_apply_keeps_size_and_is_deterministic(model):
    """Any size in, the same size out, uint8, the same bytes on every call and every load."""
    render = np.ascontiguousarray(np.tile(shapes_image(0, 48)[0], (1, 2, 1))[:37, :61])
    first = load_refiner(model, "cpu").apply(render)
    second = load_refiner(model, "cpu").apply(render)
    assert first.shape == render.shape and first.dtype == np.uint8
    assert np.array_equal(first, second)
    assert np.abs(first.astype(int) - render.astype(int)).max() > 0  # it did refine something


def test_bad_image_input_named(model):
    """A float or grey image is a ValueError that says what was expected."""
    refiner = load_refiner(model, "cpu")
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        refiner.apply(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        refiner.apply(np.zeros((8, 8), np.uint8))


def test_device_selection():
    """auto falls back to the CPU without CUDA; asking for absent CUDA or a wrong name is refused."""
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(RefineError, match="not one of"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(RefineError, match="no CUDA GPU"):
            resolve_device("cuda")
