"""Output faults from the user's side: mount points, read-only and full file systems (real tmpfs mounts).

Mounting needs root (CAP_SYS_ADMIN); elsewhere these tests skip and say why.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from simulacra.audit import write_demo_references
from simulacra.cli import run
from simulacra.dataset.staging import staging_folder
from tests.farm.conftest import SLOW_SPEC, generate_process, wait_for

SPEC = "name: s\nresolution: [{side}, {side}]\nsamples: 4\nposters:\n  probability: 0.0\n"


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Callable[..., Path]]:
    """``mount(name, size, read_only=False)``: a fresh tmpfs at ``tmp_path/name``, unmounted after."""
    mounted: list[Path] = []

    def mount(name: str, size: str, read_only: bool = False) -> Path:
        point = tmp_path / name
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte; returns the filler file."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:  # unbuffered: closing has nothing left to write
        try:
            while handle.write(b"\0" * 65536):
                pass
        except OSError:
            pass
    return filler


def _one_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def _spec(tmp_path: Path, side: int = 64) -> Path:
    spec = tmp_path / "s.yaml"
    spec.write_text(SPEC.format(side=side))
    return spec


def test_generate_into_a_mount_point_is_refused_before_rendering(tmpfs, tmp_path, capsys):
    """-o on an (empty) mount point: the final rename could not work; refused at once, nothing left."""
    point = tmpfs("mnt", "16m")
    assert run(["generate", str(_spec(tmp_path)), "-n", "2", "-o", str(point)]) == 2
    assert "is a mount point" in _one_line(capsys)
    assert not staging_folder(point).exists() and not any(point.iterdir())


def test_generate_below_a_read_only_folder_is_refused(tmpfs, tmp_path, capsys):
    """A read-only parent (even for root): one line naming it, exit 2."""
    frozen = tmpfs("ro", "1m", read_only=True)
    assert run(["generate", str(_spec(tmp_path)), "-n", "2", "-o", str(frozen / "out")]) == 2
    line = _one_line(capsys)
    assert str(frozen) in line and "Read-only file system" in line


def test_generate_that_cannot_fit_is_refused_before_rendering(tmpfs, tmp_path, capsys):
    """100 images of 256 px on a 1 MiB file system: refused from the estimate, before any render."""
    small = tmpfs("small", "1m")
    assert run(["generate", str(_spec(tmp_path, 256)), "-n", "100", "-o", str(small / "out")]) == 2
    assert "MiB free, and 100 images need at least" in _one_line(capsys)


@pytest.mark.blender
@pytest.mark.parametrize("workers", [[], ["--workers", "1"]], ids=["here", "workers"])
def test_disk_full_mid_job_is_one_line_and_resumable(tmpfs, tmp_path, capfd, workers):
    """The disk fills after the first image: exit 2 (no traceback, no segfault), finished images kept."""
    disk = tmpfs("disk", "64m")
    spec = tmp_path / "slow.yaml"
    spec.write_text(SLOW_SPEC.format(size=96, samples=512))
    out = disk / "out"
    args = [str(spec), "-n", "6", "-o", str(out), "--seed", "2"]
    driver = generate_process(*args, *workers)
    records = staging_folder(out) / "records"
    wait_for(lambda: records.is_dir() and any(records.glob("*.json")), driver, timeout=300)
    filler = _fill(disk)
    _, err = driver.communicate(timeout=300)
    assert driver.returncode == 2, err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "No space left on device" in lines[0] and "Traceback" not in err, err
    assert lines[0].startswith(f"error: {staging_folder(out)}/")
    done = len(list(records.glob("*.json")))
    assert 1 <= done < 6 and not [p for p in staging_folder(out).rglob("*") if ".tmp-" in p.name]
    filler.unlink()
    capfd.readouterr()
    assert run(["generate", *args, "--resume"]) == 0
    assert f"(+{done} finished before --resume)" in capfd.readouterr().err


def test_assets_add_on_a_full_disk_leaves_the_manifest_as_it_was(tmpfs, capsys):
    """The manifest cannot be saved: one line, exit 2, the old manifest intact, no partial file."""
    root = tmpfs("assets", "1m")
    rng = np.random.default_rng(0)
    add = ["assets", "add", "--license", "CC0-1.0", "--source", "https://t.test", "--root", str(root)]
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(root / name), rng.integers(0, 255, (32, 32, 3), dtype=np.uint8))
    assert run([*add[:2], str(root / "a.png"), *add[2:]]) == 0
    manifest = (root / "manifest.json").read_bytes()
    _fill(root)
    capsys.readouterr()
    assert run([*add[:2], str(root / "b.png"), *add[2:]]) == 2
    line = _one_line(capsys)
    assert "manifest.json: cannot write the manifest (No space left on device)" in line
    assert (root / "manifest.json").read_bytes() == manifest
    assert not (root / ".manifest.json.partial").exists()
    assert [r["path"] for r in json.loads(manifest)["assets"]] == ["a.png"]


def test_index_build_on_a_full_disk_is_one_line(tmpfs, tmp_path, capsys):
    """No room for the index: one line naming a file in it, exit 2, no traceback."""
    write_demo_references(tmp_path / "photos")
    disk = tmpfs("idx", "256k")
    assert run(["index", "build", str(tmp_path / "photos"), "-o", str(disk / "index"), "--workers", "1"]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"error: {disk / 'index'}: cannot write the index") and "run the same" in line
