"""`simulacra assets ...` and `simulacra schema ...` from the user's side."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import trimesh
from PIL import Image

from simulacra.cli import run
from tests.conftest import only_error_line


@pytest.fixture
def root(tmp_path):
    """An asset root with one good mesh and one good texture, not yet recorded."""
    trimesh.creation.box(extents=[0.1, 0.08, 0.12]).export(tmp_path / "box.obj")
    rng = np.random.default_rng(0)
    cv2.imwrite(str(tmp_path / "art.png"), rng.integers(0, 255, (64, 64, 3), dtype=np.uint8))
    return tmp_path


def _add(root, *paths, license="CC0-1.0", extra=()):
    return run(
        [
            "assets",
            "add",
            *map(str, paths),
            "--license",
            license,
            "--source",
            "https://x.test",
            *extra,
            "--root",
            str(root),
        ]
    )


def _manifest(root) -> dict:
    return json.loads((root / "manifest.json").read_text())


def test_add_list_show_verify(root, capsys):
    """add records hashes and checks; list filters; show prints JSON; verify passes."""
    assert _add(root, root / "box.obj", extra=["--category", "box", "--provenance", "procedural"]) == 0
    assert _add(root, root / "art.png", license="CC-BY-4.0", extra=["--attribution", "Jane Doe"]) == 0
    records = {r["id"]: r for r in _manifest(root)["assets"]}
    assert records["box"]["kind"] == "mesh" and records["box"]["watertight"] is True
    assert records["box"]["bounds"] == [[-0.05, -0.04, -0.06], [0.05, 0.04, 0.06]]
    assert records["art"]["image_size"] == [64, 64] and records["art"]["screening"] == {"faces": 0}
    capsys.readouterr()
    assert run(["assets", "list", "--license", "CC-BY-4.0", "--root", str(root)]) == 0
    assert capsys.readouterr().out.split() == ["art", "texture", "-", "CC-BY-4.0", "-"]
    assert run(["assets", "show", "box", "--root", str(root)]) == 0
    assert json.loads(capsys.readouterr().out)["category"] == "box"
    assert run(["assets", "verify", "--root", str(root)]) == 0


def test_verify_reports_missing_changed_unlisted(root, capsys):
    """verify names each missing, changed and unlisted file and exits 1."""
    assert _add(root, root / "box.obj", root / "art.png") == 0
    (root / "box.obj").unlink()
    (root / "art.png").write_bytes(b"changed")
    (root / "stray.png").write_bytes(b"x")
    capsys.readouterr()
    assert run(["assets", "verify", "--root", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == ["missing: box (box.obj)", "changed: art (art.png)", "unlisted: stray.png"]


def test_folder_adds_texture_pack_as_material(tmp_path, capsys):
    """A CC0-library style folder becomes one material: color, roughness and normal maps."""
    pack = tmp_path / "Wood049"
    pack.mkdir()
    for name in ("Wood049_1K_Color", "Wood049_1K_Roughness", "Wood049_1K_NormalGL", "Wood049_1K_NormalDX"):
        cv2.imwrite(str(pack / f"{name}.png"), np.full((16, 16, 3), 128, np.uint8))
    assert _add(tmp_path, pack) == 0
    maps = {r["id"]: (r.get("material"), r.get("map")) for r in _manifest(tmp_path)["assets"]}
    assert maps == {
        "Wood049:Wood049_1K_Color": ("Wood049", "color"),
        "Wood049:Wood049_1K_NormalDX": ("Wood049", None),
        "Wood049:Wood049_1K_NormalGL": ("Wood049", "normal"),
        "Wood049:Wood049_1K_Roughness": ("Wood049", "roughness"),
    }


def test_normalize_scales_implausible_mesh(tmp_path):
    """A mesh authored in millimetres is refused unless --normalize, which records the scale."""
    trimesh.creation.box(extents=[100, 50, 200]).export(tmp_path / "mm.stl")
    assert _add(tmp_path, tmp_path / "mm.stl") == 2
    assert not (tmp_path / "manifest.json").exists()
    assert _add(tmp_path, tmp_path / "mm.stl", extra=["--normalize"]) == 0
    record = _manifest(tmp_path)["assets"][0]
    assert record["unit_scale"] == pytest.approx(0.001)
    assert max(hi - lo for lo, hi in zip(*record["bounds"], strict=True)) == pytest.approx(0.2)


def _bad_manifest_missing_field(root):
    (root / "manifest.json").write_text(json.dumps({"assets": [{"id": "a", "path": "box.obj"}]}))
    return ["assets", "list", "--root", str(root)], "manifest.json: assets.0.sha256: field required"


def test_unknown_spdx(root, capsys):
    """An unknown SPDX id names the file and field; exit 2; no manifest written."""
    assert _add(root, root / "art.png", license="CC-BY-9.9") == 2
    assert "art.png: license: unknown license 'CC-BY-9.9'" in only_error_line(capsys)
    assert not (root / "manifest.json").exists()


def test_missing_field(root, capsys):
    """A manifest record without a required field is named with its path; exit 2."""
    args, expected = _bad_manifest_missing_field(root)
    before = (root / "manifest.json").read_text()
    assert run(args) == 2
    assert expected in only_error_line(capsys)
    assert (root / "manifest.json").read_text() == before


def test_missing_license_option(root, capsys):
    """add without --license is a usage error naming the option."""
    assert run(["assets", "add", str(root / "art.png"), "--source", "x", "--root", str(root)]) == 2
    assert "--license" in capsys.readouterr().err
    assert not (root / "manifest.json").exists()


def test_sha256_mismatch(root, capsys):
    """--sha256 that does not match the file is refused by name."""
    assert _add(root, root / "art.png", extra=["--sha256", "0" * 64]) == 2
    assert "art.png: sha256 is" in only_error_line(capsys)
    assert not (root / "manifest.json").exists()


def test_paths_escaping_root(tmp_path, capsys):
    """../, an absolute path outside and a symlink out of the root are all refused."""
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside.png"
    cv2.imwrite(str(outside), np.zeros((16, 16, 3), np.uint8))
    (root / "link.png").symlink_to(outside)
    for path in (root / ".." / "outside.png", outside, root / "link.png"):
        assert _add(root, path) == 2
        assert "escapes the asset root" in only_error_line(capsys)
    assert not (root / "manifest.json").exists()


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("broken.ply", b"ply\nformat garbage\n", "not a readable mesh"),
        ("nothing.obj", b"# no faces\nv 0 0 0\n", "mesh has no faces"),
        ("empty.stl", b"", "file is empty"),
        ("line.obj", b"v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n", "degenerate"),
    ],
)
def test_corrupt_or_empty_mesh(tmp_path, capsys, name, data, expected):
    """Corrupt, face-less, empty and degenerate meshes: one line naming the file, exit 2."""
    (tmp_path / name).write_bytes(data)
    assert _add(tmp_path, tmp_path / name) == 2
    line = only_error_line(capsys)
    assert name in line and expected in line
    assert not (tmp_path / "manifest.json").exists()


def test_image_over_pixel_limit(tmp_path, capsys):
    """A texture whose header claims 100 megapixels is refused without decoding."""
    Image.new("1", (10_000, 10_000)).save(tmp_path / "bomb.png")
    assert _add(tmp_path, tmp_path / "bomb.png") == 2
    line = only_error_line(capsys)
    assert "bomb.png: header claims 10000x10000" in line and "refused without decoding" in line


def test_duplicate_id(root, capsys):
    """Adding a second asset under an existing id is refused; the manifest keeps the first."""
    assert _add(root, root / "art.png", extra=["--id", "dup"]) == 0
    before = (root / "manifest.json").read_text()
    capsys.readouterr()
    assert _add(root, root / "box.obj", extra=["--id", "dup"]) == 2
    assert "duplicate asset id 'dup'" in only_error_line(capsys)
    assert (root / "manifest.json").read_text() == before


def test_one_bad_file_adds_nothing(root, capsys):
    """A folder with one corrupt file adds none of its files."""
    (root / "bad.ply").write_bytes(b"garbage")
    assert _add(root, root) == 2
    assert "bad.ply" in only_error_line(capsys)
    assert not (root / "manifest.json").exists()


def test_schema_export(tmp_path, capsys):
    """`schema manifest` prints a JSON Schema that names every record field and flag."""
    assert run(["schema", "manifest"]) == 0
    schema = json.loads(capsys.readouterr().out)
    fields = schema["$defs"]["AssetRecord"]["properties"]
    for name in (
        "id",
        "path",
        "sha256",
        "kind",
        "license",
        "source",
        "attribution",
        "provenance",
        "flags",
        "allowed_uses",
    ):
        assert name in fields
    assert set(schema["$defs"]["AssetFlags"]["properties"]) == {
        "contains_person",
        "identifiable",
        "location_sensitive",
    }
    assert run(["schema", "policy", "-o", str(tmp_path / "p.json")]) == 0
    assert "purposes" in json.loads((tmp_path / "p.json").read_text())["properties"]


def test_scene_schema_lists_distribution_forms(capsys):
    """`schema scene` documents a spec field's number, [low, high] and `kind` mapping forms."""
    assert run(["schema", "scene"]) == 0
    schema = json.loads(capsys.readouterr().out)
    count = schema["$defs"]["ObjectsSpec"]["properties"]["count_range"]
    assert [form.get("type") for form in count["anyOf"][:2]] == ["integer", "array"]
    assert set(count["anyOf"][2]["discriminator"]["mapping"]) == {
        "constant",
        "int_uniform",
        "truncated_normal",
        "choice",
    }
