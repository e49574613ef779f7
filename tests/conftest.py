"""Shared fixtures: an isolated library cache, small specs, one tiny dataset, a clean exit after Blender."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from simulacra.cli import run

SMALL_SPEC = """\
name: small
resolution: [96, 96]
samples: 8
objects:
  count_range: [3, 5]
posters:
  probability: 0.0
"""


def only_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """What a refused command printed: one line, no traceback (the bad-input contract)."""
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture(scope="session", autouse=True)
def simulacra_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated data (the built-in library) goes to a per-session folder, not ~/.cache."""
    home = tmp_path_factory.mktemp("simulacra-home")
    os.environ["SIMULACRA_HOME"] = str(home)
    return home


@pytest.fixture
def small_spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL_SPEC)
    return path


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_STATUS] = int(exitstatus)


_STATUS = pytest.StashKey[int]()


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Leave without bpy's native teardown, which segfaults after a passing run."""
    if "bpy" in sys.modules:
        from simulacra.render.blenderproc_adapter import exit_process

        exit_process(config.stash.get(_STATUS, 0))
