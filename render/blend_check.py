"""Open an untrusted ``.blend`` with script execution off and report what it carries.

A ``.blend`` can hold Python text blocks, and one marked "Register" (``use_module``)
runs whenever the file is opened with auto-execution on. We open it with
``use_scripts=False`` and auto-execution disabled, list every text block, refuse the
file if any is set to run on load, and reset Blender to an empty factory scene after.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from simulacra.errors import AssetError, RenderError


@dataclass(frozen=True)
class BlendReport:
    """Text blocks found (none were run) and the world-space bounds of its mesh objects."""

    scripts: tuple[str, ...]
    autorun: tuple[str, ...]
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]] | None


def _mesh_bounds(bpy_data: object) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    from mathutils import Vector

    corners = [
        obj.matrix_world @ Vector(corner)
        for obj in bpy_data.objects  # type: ignore[attr-defined]
        if obj.type == "MESH"
        for corner in obj.bound_box
    ]
    if not corners:
        return None
    low = tuple(round(min(c[i] for c in corners), 6) for i in range(3))
    high = tuple(round(max(c[i] for c in corners), 6) for i in range(3))
    return low, high


def inspect_blend(path: Path) -> BlendReport:
    """Report a ``.blend``'s scripts and mesh bounds; AssetError if a script is set to run on load."""
    try:
        import bpy
    except ImportError as err:
        raise RenderError(f"cannot import bpy to inspect {path} ({err}); install with `make setup`") from None

    from simulacra.render.blenderproc_adapter import interrupts_kept

    bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    with interrupts_kept():
        try:
            bpy.ops.wm.open_mainfile(filepath=str(path), load_ui=False, use_scripts=False)
        except RuntimeError as exc:
            reason = str(exc).strip().splitlines()[-1]
            raise AssetError(f"{path}: Blender cannot open it ({reason})") from None
        try:
            scripts = tuple(sorted(text.name for text in bpy.data.texts))
            autorun = tuple(sorted(text.name for text in bpy.data.texts if text.use_module))
            bounds = _mesh_bounds(bpy.data)
        finally:
            bpy.ops.wm.read_factory_settings(use_empty=True)
            bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    if autorun:
        raise AssetError(
            f"{path}: text block {autorun[0]!r} is set to run on load (Register); refused, it was not run"
        )
    return BlendReport(scripts=scripts, autorun=autorun, bounds=bounds)  # type: ignore[arg-type]
