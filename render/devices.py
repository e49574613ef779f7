"""Choose Cycles render devices from ``--device cpu|cuda|optix|auto``.

The choice itself is pure (:func:`choose_device`) so it is tested without a GPU; the
Blender side only reports which GPU backends have devices and applies the choice.
"""

from __future__ import annotations

import logging
from typing import Literal

from simulacra.errors import RenderError

DeviceRequest = Literal["cpu", "cuda", "optix", "auto"]
DEVICE_CHOICES: tuple[str, ...] = ("cpu", "cuda", "optix", "auto")
_AUTO_ORDER = ("OPTIX", "CUDA")

log = logging.getLogger(__name__)


def choose_device(request: str, available: dict[str, list[str]]) -> str:
    """The Cycles backend to use: ``CPU``, ``CUDA`` or ``OPTIX``.

    Args:
        request: what the user asked for.
        available: GPU backend -> names of its devices, as Cycles reports them.

    Raises:
        RenderError: an explicit GPU backend was asked for and has no device.
    """
    if request not in DEVICE_CHOICES:
        raise RenderError(f"--device {request!r}: expected one of {', '.join(DEVICE_CHOICES)}")
    if request == "cpu":
        return "CPU"
    if request == "auto":
        for backend in _AUTO_ORDER:
            if available.get(backend):
                return backend
        log.info("--device auto: Cycles found no CUDA or OptiX GPU, rendering on the CPU")
        return "CPU"
    backend = request.upper()
    if not available.get(backend):
        raise RenderError(
            f"--device {request}: Cycles found no {backend} GPU on this machine; "
            "use --device cpu, or --device auto to fall back to the CPU"
        )
    return backend


def available_gpu_devices() -> dict[str, list[str]]:
    """GPU backends Cycles can use here, with their device names (needs bpy)."""
    import bpy

    preferences = bpy.context.preferences.addons["cycles"].preferences
    found = {}
    for backend in _AUTO_ORDER:
        try:
            devices = preferences.get_devices_for_type(backend)
        except (TypeError, ValueError):  # backend not compiled into this build
            devices = []
        found[backend] = [d.name for d in devices if d.type == backend]
    return found


def apply_device(request: str) -> str:
    """Select the devices for ``request`` in the current Blender session; returns the backend."""
    from blenderproc.python.renderer import RendererUtility

    backend = choose_device(request, available_gpu_devices() if request != "cpu" else {})
    if backend == "CPU":
        RendererUtility.set_render_devices(use_only_cpu=True)
    else:
        RendererUtility.set_render_devices(desired_gpu_device_type=[backend])
    return backend
