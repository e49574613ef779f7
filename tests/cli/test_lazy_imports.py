"""The CLI and its help load no heavy module: each command imports what it uses when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("trimesh", "bpy", "blenderproc", "torch", "dlib", "ray", "faiss", "cv2", "skimage", "matplotlib")
PROBE = """
import contextlib, io, json, sys
from simulacra.cli import run
with contextlib.redirect_stdout(io.StringIO()):
    status = run(sys.argv[1:])
heavy = {heavy!r}
print(json.dumps([status, sorted(name for name in heavy if name in sys.modules)]))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["audit", "--help"],
        ["index", "--help"],
        ["generate", "--help"],
        ["eval", "--help"],
        ["export", "--help"],
    ],
)
def test_help_imports_no_heavy_module(argv):
    """Importing the CLI and printing a command's help leaves every heavy package unimported."""
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True)
    status, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 0
    assert loaded == []
