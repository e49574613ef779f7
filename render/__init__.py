"""Rendering with BlenderProc on the ``bpy`` module (``simulacra.render``).

This is the only stage that touches Blender, and it does so lazily: importing this
package loads neither bpy nor BlenderProc; entering a :class:`Renderer` does.
"""

from simulacra.render.devices import DEVICE_CHOICES, choose_device
from simulacra.render.frame import Frame, InstanceInfo
from simulacra.render.renderer import Renderer, RenderSettings

__all__ = ["DEVICE_CHOICES", "Frame", "InstanceInfo", "RenderSettings", "Renderer", "choose_device"]
