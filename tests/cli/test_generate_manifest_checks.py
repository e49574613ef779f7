"""`generate` checks every manifest record it may use as `assets add` does, before any render."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh

from simulacra.cli import run
from simulacra.dataset.staging import staging_folder

SPEC = """\
name: crates
resolution: [64, 64]
samples: 4
objects:
  count_range: [1, 2]
  categories: [crate]
posters:
  probability: 1.0
  assets: [art]
"""


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> Path:
    """An asset root holding one crate mesh and one poster, recorded by `assets add`."""
    root = tmp_path_factory.mktemp("assets")
    mesh = trimesh.creation.box(extents=[0.12, 0.1, 0.08])
    mesh.apply_translation([0, 0, 0.04])
    mesh.export(root / "crate.ply")
    poster = np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    cv2.imwrite(str(root / "art.png"), poster)
    for name, extra in (("crate.ply", ["--category", "crate"]), ("art.png", ["--id", "art"])):
        args = ["assets", "add", str(root / name), "--license", "CC0-1.0", "--source", "https://t.test"]
        assert run([*args, *extra, "--root", str(root)]) == 0
    return root


def _edited(assets: Path, tmp_path: Path, kind: str, **fields) -> Path:
    """A copy of the asset root whose ``kind`` record has ``fields`` changed by hand."""
    root = tmp_path / "edited"
    root.mkdir()
    for file in assets.iterdir():
        (root / file.name).write_bytes(file.read_bytes())
    manifest = json.loads((root / "manifest.json").read_text())
    for record in manifest["assets"]:
        if record["kind"] == kind:
            record.update(fields)
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def _generate(root: Path, tmp_path: Path, capsys) -> tuple[int, list[str]]:
    spec = tmp_path / "crates.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "out"
    status = run(["generate", str(spec), "-n", "2", "-o", str(out), "--manifest", str(root)])
    assert not out.exists() and not staging_folder(out).exists()
    return status, capsys.readouterr().err.strip().splitlines()


def _png_bomb(path: Path, side: int) -> None:
    """A valid PNG header claiming ``side`` x ``side`` pixels, with one compressed row: tiny on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + 3 * side))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"unit_scale": float("inf")}, "unit_scale: Input should be a finite number"),
        ({"bounds": [[0, 0, float("nan")], [0.1, 0.1, 0.1]]}, "bounds must be finite numbers"),
        ({"bounds": [[-1e30, -1e30, 0], [1e30, 1e30, 1e30]]}, "are not the mesh's at unit_scale 1"),
        ({"unit_scale": 1e6}, "makes it 1.2e+05 m across"),
    ],
    ids=["scale-inf", "bounds-nan", "bounds-huge", "scale-huge"],
)
def test_a_hand_edited_mesh_record_is_refused_before_rendering(assets, tmp_path, capsys, fields, message):
    """Infinite or absurd scale, non-finite or false bounds: one line naming the field or file, exit 2."""
    status, lines = _generate(_edited(assets, tmp_path, "mesh", **fields), tmp_path, capsys)
    assert status == 2 and len(lines) == 1 and message in lines[0], lines


def test_an_image_bomb_behind_a_matching_sha256_is_refused_undecoded(assets, tmp_path, capsys):
    """A record pointing at a 30000x30000 PNG (hash updated too) is refused from its header, exit 2."""
    root = _edited(assets, tmp_path, "texture")
    _png_bomb(root / "art.png", 30000)
    digest = hashlib.sha256((root / "art.png").read_bytes()).hexdigest()
    manifest = json.loads((root / "manifest.json").read_text())
    for record in manifest["assets"]:
        if record["kind"] == "texture":
            record["sha256"] = digest
    (root / "manifest.json").write_text(json.dumps(manifest))
    status, lines = _generate(root, tmp_path, capsys)
    assert (
        status == 2 and len(lines) == 1 and "refused without decoding" in lines[0] and "art.png" in lines[0]
    )
