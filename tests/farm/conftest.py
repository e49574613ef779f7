"""Shared by the farm tests: a tiny spec, its dataset rendered in-process once, a comparison."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulacra.cli import run

TINY_SPEC = """\
name: tiny
resolution: [64, 64]
samples: 4
objects:
  count_range: [2, 4]
posters:
  probability: 0.0
"""
SLOW_SPEC = """\
name: slow
resolution: [{size}, {size}]
samples: {samples}
objects:
  count_range: [2, 3]
posters:
  probability: 0.0
"""
N = "4"
SAME = (
    "scene_graphs.jsonl",
    "audit.jsonl",
    "job.json",
    *(
        f"{folder}/{i:06d}{suffix}"
        for i in range(4)
        for folder, suffix in (("images", ".png"), ("depth", ".tiff"))
    ),
    *(f"masks/{i:06d}_{kind}.png" for i in range(4) for kind in ("instance", "class")),
    *(f"records/{i:06d}.json" for i in range(4)),
)


@pytest.fixture(scope="session")
def spec(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("farm") / "tiny.yaml"
    path.write_text(TINY_SPEC)
    return path


@pytest.fixture(scope="session")
def in_process(spec) -> Path:
    """The reference: the job rendered in this process, as `generate` does by default."""
    out = spec.parent / "in_process"
    assert run(["generate", str(spec), "-n", N, "-o", str(out), "--seed", "7"]) == 0
    return out


def assert_same_dataset(a: Path, b: Path) -> None:
    """Byte-identical per-image files, graphs, records and job; the same COCO images and labels."""
    for name in SAME:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    coco_a, coco_b = (json.loads((d / "annotations/coco.json").read_text()) for d in (a, b))
    for key in ("images", "annotations", "categories", "licenses"):
        assert coco_a[key] == coco_b[key], key
    card_a, card_b = ((d / "DATASET_CARD.md").read_text() for d in (a, b))
    assert card_a == card_b


# A process inherits an ignored SIGINT, and Python then leaves it ignored: pytest started by
# `nohup`, with `&` from a script or by some CI runners would start every job deaf to Ctrl-C
# (as it should be, there), and the Ctrl-C tests would fail for the launcher's sake.
_AS_A_TERMINAL = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "


def generate_process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`simulacra generate ...` as its own process group, as a scheduler or a terminal starts it.

    Ctrl-C is taken as in a terminal's foreground job, whatever SIGINT's disposition in this
    test process. ``env`` adds to the environment.
    """
    main = _AS_A_TERMINAL + "from simulacra.cli import main; main()"
    command = [sys.executable, "-c", main, "generate", *args]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )


def wait_for(condition, process: subprocess.Popen, timeout: float = 120.0):
    """``condition()``'s first truthy value, polled while ``process`` runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("timed out waiting")
