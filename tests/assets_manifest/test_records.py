"""Manifest records: validation, confinement to the root, hashes, the built-in library."""

from __future__ import annotations

import json

import pytest
import trimesh

from simulacra.assets_manifest import build_library, builtin_manifest, load_manifest
from simulacra.errors import AssetError


def test_builtin_library_is_procedural_cc0_with_categories():
    """At least 10 mesh categories, varied shapes, all CC0 and procedural, each hash correct."""
    manifest = builtin_manifest()
    assert len(manifest.categories()) >= 10
    for record in manifest.assets:
        assert record.license == "CC0-1.0" and record.provenance == "procedural"
        manifest.verified_file(record)
    boxes = [r.bounds for r in manifest.of_kind("mesh") if r.category == "box"]
    assert len(set(boxes)) == len(boxes) > 1


def test_library_meshes_load_and_rest_on_ground():
    """Each mesh loads with trimesh, is non-empty and sits on its floor (z = 0; y = 0 in a Y-up OBJ)."""
    manifest = builtin_manifest()
    for record in manifest.of_kind("mesh"):
        mesh = trimesh.load(manifest.file_of(record), force="mesh")
        assert len(mesh.faces) > 0
        up = 1 if record.path.endswith(".obj") else 2
        assert abs(mesh.bounds[0][up]) < 1e-6


def test_library_is_reproducible(tmp_path):
    """Generating the library twice gives the same manifest hash."""
    first = build_library(tmp_path / "a").content_hash()
    assert build_library(tmp_path / "b").content_hash() == first


def _write(tmp_path, records):
    (tmp_path / "manifest.json").write_text(json.dumps({"assets": records}))
    return tmp_path


def _record(**changes):
    record = {
        "id": "x",
        "path": "a.obj",
        "sha256": "0" * 64,
        "kind": "mesh",
        "category": "box",
        "license": "CC0-1.0",
        "source": "test",
        "provenance": "procedural",
    }
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"license": "WTFPL-ish"}, r"assets\.0\.license: .*unknown license 'WTFPL-ish'"),
        ({"path": "../../etc/passwd"}, r"assets\.0\.path: .*inside the asset root"),
        ({"colour": "red"}, r"assets\.0\.colour: Extra inputs"),
        ({"kind": "sound"}, r"assets\.0\.kind"),
    ],
)
def test_bad_record_names_field(tmp_path, changes, message):
    """Unknown license, escaping path, unknown field: one error naming the record field."""
    with pytest.raises(AssetError, match=message):
        load_manifest(_write(tmp_path, [_record(**changes)]))


def test_missing_and_changed_files_are_refused(tmp_path):
    """A missing file or one whose hash changed is named before use."""
    manifest = load_manifest(_write(tmp_path, [_record()]))
    with pytest.raises(AssetError, match=r"a\.obj is missing"):
        manifest.verified_file(manifest.get("x"))
    (tmp_path / "a.obj").write_text("v 0 0 0\n")
    with pytest.raises(AssetError, match="has sha256"):
        manifest.verified_file(manifest.get("x"))


def test_symlink_escaping_root_is_refused(tmp_path):
    """A path that resolves outside the root through a symlink is refused."""
    outside = tmp_path / "outside.obj"
    outside.write_text("v 0 0 0\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.obj").symlink_to(outside)
    manifest = load_manifest(_write(root, [_record()]))
    with pytest.raises(AssetError, match="escapes the asset root"):
        manifest.file_of(manifest.get("x"))


def test_corrupt_manifest(tmp_path):
    """A manifest that is not JSON is named."""
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(AssetError, match="not valid JSON"):
        load_manifest(tmp_path)


def test_library_has_procedural_surface_textures():
    """Noise, stripes, checker, wood and marble textures ship as one-map materials, each image varied."""
    import cv2

    manifest = builtin_manifest()
    materials = {r.material: r for r in manifest.of_kind("texture") if r.material}
    assert set(materials) == {f"builtin_{n}" for n in ("noise", "stripes", "checker", "wood", "marble")}
    for record in materials.values():
        image = cv2.imread(str(manifest.verified_file(record)))
        assert record.map == "color" and image.shape == (256, 256, 3) and image.std() > 5
