"""Device choice for --device cpu|cuda|optix|auto, without a GPU."""

from __future__ import annotations

import pytest

from simulacra.errors import RenderError
from simulacra.render import choose_device

NO_GPU: dict[str, list[str]] = {"CUDA": [], "OPTIX": []}
ONE_GPU = {"CUDA": ["NVIDIA H100"], "OPTIX": ["NVIDIA H100"]}


def test_cpu_is_always_cpu():
    """--device cpu never looks for GPUs."""
    assert choose_device("cpu", ONE_GPU) == "CPU"


def test_auto_prefers_optix_then_cuda_then_cpu():
    """auto picks OptiX, then CUDA, and falls back to the CPU."""
    assert choose_device("auto", ONE_GPU) == "OPTIX"
    assert choose_device("auto", {"CUDA": ["GTX"], "OPTIX": []}) == "CUDA"
    assert choose_device("auto", NO_GPU) == "CPU"


def test_explicit_gpu_present():
    """An explicit backend with a device is used."""
    assert choose_device("cuda", ONE_GPU) == "CUDA"


@pytest.mark.parametrize("request_", ["cuda", "optix"])
def test_explicit_gpu_missing_is_refused(request_):
    """An explicit backend without a device is a RenderError naming it."""
    with pytest.raises(RenderError, match=f"--device {request_}: Cycles found no {request_.upper()} GPU"):
        choose_device(request_, NO_GPU)


def test_unknown_device_word():
    """An unknown word lists the choices."""
    with pytest.raises(RenderError, match="expected one of cpu, cuda, optix, auto"):
        choose_device("tpu", NO_GPU)
