"""Untrusted .blend files: opened with scripts off, a run-on-load text block refused unrun."""

from __future__ import annotations

import json

import pytest

from simulacra.cli import run

pytestmark = pytest.mark.blender


def _blend(path, marker, *, register: bool) -> None:
    """Save a .blend with a cube and a text block that would create ``marker`` if it ran."""
    import bpy

    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_cube_add(size=0.1)
    text = bpy.data.texts.new("payload.py")
    text.write(f"open({str(marker)!r}, 'w').write('ran')\n")
    text.use_module = register
    bpy.ops.wm.save_as_mainfile(filepath=str(path))
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _add(path) -> int:
    args = ["--license", "CC0-1.0", "--source", "x", "--category", "box", "--root", str(path.parent)]
    return run(["assets", "add", str(path), *args])


def test_autorun_blend_is_refused_and_never_runs(tmp_path, capsys):
    """A text block set to run on load: exit 2, one line naming file and block, marker never made."""
    marker = tmp_path / "marker.txt"
    _blend(tmp_path / "evil.blend", marker, register=True)
    capsys.readouterr()
    status = _add(tmp_path / "evil.blend")
    assert status == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert "evil.blend: text block 'payload.py' is set to run on load" in line
    assert not marker.exists()
    assert not (tmp_path / "manifest.json").exists()


def test_blend_scripts_are_reported(tmp_path):
    """A .blend with a plain text block is added as a mesh; the block is listed, not run."""
    marker = tmp_path / "marker.txt"
    _blend(tmp_path / "ok.blend", marker, register=False)
    status = _add(tmp_path / "ok.blend")
    assert status == 0
    record = json.loads((tmp_path / "manifest.json").read_text())["assets"][0]
    assert record["embedded_scripts"] == ["payload.py"] and record["kind"] == "mesh"
    assert record["bounds"] == [[-0.05, -0.05, -0.05], [0.05, 0.05, 0.05]]
    assert not marker.exists()


def test_payload_runs_when_scripts_are_enabled(tmp_path):
    """Control: the same payload does create its marker when auto-run is on, so the test above can fail."""
    import bpy

    marker = tmp_path / "marker.txt"
    _blend(tmp_path / "evil.blend", marker, register=True)
    bpy.context.preferences.filepaths.use_scripts_auto_execute = True
    try:
        bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "evil.blend"), load_ui=False, use_scripts=True)
    finally:
        bpy.ops.wm.read_factory_settings(use_empty=True)  # as inspect_blend and the adapter reset
        bpy.context.preferences.filepaths.use_scripts_auto_execute = False
    assert marker.read_text() == "ran"
    assert not bpy.data.texts and not bpy.context.preferences.filepaths.use_scripts_auto_execute
