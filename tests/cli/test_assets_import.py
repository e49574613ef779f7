"""``simulacra assets import``: a folder of meshes, one licence and category per sub-folder."""

from __future__ import annotations

import pytest
import trimesh

from simulacra.assets_manifest import load_manifest
from simulacra.cli import run
from simulacra.scenes import resolve, spec_from_dict
from tests.conftest import only_error_line


@pytest.fixture
def folder(tmp_path):
    """Two sub-folders: scanned CC-BY mugs (category from the folder name) and CC0 crates (category given)."""
    root = tmp_path / "meshes"
    (root / "mugs").mkdir(parents=True)
    (root / "crates" / "big").mkdir(parents=True)
    trimesh.creation.cylinder(radius=0.04, height=0.1).export(root / "mugs" / "mug_a.ply")
    trimesh.creation.cylinder(radius=0.05, height=0.09).export(root / "mugs" / "mug_b.stl")
    trimesh.creation.box(extents=[0.2, 0.15, 0.1]).export(root / "crates" / "big" / "crate.obj")
    (root / "mugs" / "notes.txt").write_text("not a mesh: left out")
    (root / "mugs" / "asset.yaml").write_text(
        "license: CC-BY-4.0\nsource: https://example.test/mugs\n"
        "attribution: Mugs by A. Maker\nprovenance: scanned\n"
    )
    (root / "crates" / "asset.yaml").write_text(
        "license: CC0-1.0\nsource: https://example.test/c\ncategory: crate\n"
    )
    return root


def test_import_records_each_sub_folder_with_its_licence_and_category(folder):
    """Every mesh is recorded (nested folders too), with its sub-folder's facts; other files are left out."""
    assert run(["assets", "import", str(folder)]) == 0
    records = {r.id: r for r in load_manifest(folder).assets}
    assert set(records) == {"mugs:mug_a", "mugs:mug_b", "crates:big:crate"}
    mug, crate = records["mugs:mug_a"], records["crates:big:crate"]
    assert (mug.category, mug.license, mug.provenance, mug.attribution) == (
        "mugs",
        "CC-BY-4.0",
        "scanned",
        "Mugs by A. Maker",
    )
    assert (crate.category, crate.license, crate.kind) == ("crate", "CC0-1.0", "mesh")
    assert all(r.bounds is not None and r.generator is None for r in records.values())


def test_imported_meshes_are_drawn_as_files(folder):
    """User meshes work unchanged: fixed or generated, their objects use their files and draw no shape."""
    assert run(["assets", "import", str(folder)]) == 0
    manifest = load_manifest(folder)
    for mode in ("fixed", "generated"):
        spec = spec_from_dict({"name": "user", "objects": {"meshes": mode}}, source="test")
        nodes = [n for i in range(5) for n in resolve(spec, manifest, job_seed=1, image_index=i).objects]
        assert nodes and all(n.generated is None and n.category in {"mugs", "crate"} for n in nodes)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (None, "crates/asset.yaml: missing"),
        ("license: CC-BY-9\nsource: x\n", "crates/asset.yaml: license: unknown license 'CC-BY-9'"),
        ("license: CC0-1.0\nsource: x\ncolour: red\n", "crates/asset.yaml: colour: unknown field"),
        ("license: CC0-1.0\n", "crates/asset.yaml: source: field required"),
    ],
)
def test_a_bad_sub_folder_is_one_line_and_writes_nothing(folder, capsys, yaml_text, expected):
    """The file and field are named, exit 2, and no manifest is written (the good sub-folder neither)."""
    path = folder / "crates" / "asset.yaml"
    if yaml_text is None:
        path.unlink()
    else:
        path.write_text(yaml_text)
    assert run(["assets", "import", str(folder)]) == 2
    assert expected in only_error_line(capsys)
    assert not (folder / "manifest.json").exists()


def test_a_missing_folder_is_one_line(tmp_path, capsys):
    assert run(["assets", "import", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such folder" in only_error_line(capsys)
