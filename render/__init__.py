"""Rendering with BlenderProc on the ``bpy`` module (``simulacra.render``).

This is the only stage that touches Blender, and it does so lazily: importing this
package loads neither bpy nor BlenderProc; entering a :class:`Renderer` does. The
renderer's module (and the scene builder, OpenCV and trimesh behind it) loads on the
first use of :class:`Renderer` or :class:`RenderSettings`, so the device choices and
frame types are importable at no cost (``simulacra --help``).
"""

from typing import TYPE_CHECKING, Any

from simulacra.render.devices import DEVICE_CHOICES, choose_device
from simulacra.render.frame import Frame, InstanceInfo

if TYPE_CHECKING:
    from simulacra.render.renderer import Renderer, RenderSettings

__all__ = ["DEVICE_CHOICES", "Frame", "InstanceInfo", "RenderSettings", "Renderer", "choose_device"]


def __getattr__(name: str) -> Any:
    """``Renderer`` and ``RenderSettings``, from their module on first use."""
    if name in ("Renderer", "RenderSettings"):
        from simulacra.render import renderer

        return getattr(renderer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
