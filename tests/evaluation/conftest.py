"""One tiny rendered dataset shared by the evaluation tests (Blender renders it once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.cli import run

TINY_SPEC = """\
name: tiny
resolution: [64, 64]
samples: 4
objects:
  count_range: [3, 5]
  scale_range: [1.4, 1.8]
camera:
  distance_range: [0.9, 1.1]
posters:
  probability: 0.0
"""


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight 64 px tabletop images, rendered once per test session."""
    root = tmp_path_factory.mktemp("evaluation")
    spec = root / "tiny.yaml"
    spec.write_text(TINY_SPEC)
    out = root / "tiny"
    assert run(["generate", str(spec), "-n", "8", "-o", str(out), "--seed", "5"]) == 0
    return out
