"""Shape generators: every category builds an outward-facing, bevelled mesh with UVs, cached by parameters."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from simulacra.assets_manifest import builtin_manifest
from simulacra.assets_manifest.shapes import MeshCache, build_shape, shape_bounds, shape_ply
from simulacra.randomize.shapes import SHAPES, middle_shape, sample_shape


def test_at_least_twenty_household_and_warehouse_categories():
    """The generators cover every old category and at least 20 in all."""
    old = {"box", "can", "ball", "bottle", "mug", "bowl", "plate", "cup", "vase", "glass", "book"}
    assert old <= set(SHAPES) and len(SHAPES) >= 20


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_generator_builds_a_solid_on_the_ground_with_uvs(name):
    """Faces point out (positive volume, seams merged), a UV per vertex, floor at z = 0."""
    mesh = build_shape(sample_shape(name, rng=np.random.default_rng(3)))
    assert mesh.visual.uv.shape == (len(mesh.vertices), 2) and np.isfinite(mesh.visual.uv).all()
    assert abs(mesh.bounds[0][2]) < 1e-9 and np.allclose(mesh.bounds[0][:2], -mesh.bounds[1][:2])
    merged = mesh.copy()
    merged.merge_vertices(merge_tex=True, merge_norm=True)
    assert merged.volume > 0
    assert 0.005 < max(mesh.extents) < 0.5  # household sizes, metres


def test_shapes_vary_continuously_with_the_seed():
    """Ten draws of one generator give ten different meshes, not a few fixed variants."""
    rng = np.random.default_rng(0)
    sizes = {tuple(np.round(build_shape(sample_shape("mug", rng=rng)).extents, 6)) for _ in range(10)}
    assert len(sizes) == 10


def test_edges_are_bevelled():
    """A box's corner is cut by its bevel: no vertex reaches the corner of the bounding box."""
    shape = middle_shape("box")
    mesh = build_shape(shape)
    corner = mesh.bounds[1]
    nearest = np.linalg.norm(mesh.vertices - corner, axis=1).min()
    assert nearest > shape.bevel * 0.5


def test_ply_round_trips_with_uvs_and_smooth_normals(tmp_path):
    """Loaded back, the file is the mesh (z up, UVs); its normals are unit and agree across UV seams."""
    shape = middle_shape("bottle")
    path = tmp_path / "bottle.ply"
    path.write_bytes(shape_ply(shape))
    loaded = trimesh.load(path, process=False)  # not force="mesh": that drops the file's normals
    normals = np.asarray(loaded.vertex_normals)  # the file's; trimesh may recompute them after other queries
    mesh = build_shape(shape)
    assert len(loaded.faces) == len(mesh.faces) and np.allclose(loaded.bounds, mesh.bounds, atol=1e-6)
    assert np.allclose(loaded.visual.uv, mesh.visual.uv, atol=1e-6)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
    _, same = np.unique(np.round(loaded.vertices, 5), axis=0, return_inverse=True)
    seams = [np.flatnonzero(same.ravel() == group) for group in np.flatnonzero(np.bincount(same.ravel()) > 1)]
    assert seams and all(np.allclose(normals[group], normals[group[0]], atol=1e-4) for group in seams)


def test_cache_builds_each_parameter_set_once(tmp_path):
    """The same record maps to one file, built once; another record to another file."""
    cache = MeshCache(tmp_path)
    shape = middle_shape("can")
    first = cache.path(shape)
    assert cache.path(shape) == first and cache.built == 1
    assert MeshCache(tmp_path).path(shape) == first  # another worker finds it on disk
    other = shape.model_copy(update={"height": shape.height + 0.01})
    assert cache.path(other) != first and cache.built == 2
    assert not list(tmp_path.rglob("*.partial"))
    loaded = trimesh.load(first, force="mesh", process=False)
    assert np.allclose(loaded.bounds, shape_bounds(shape), atol=1e-6)


def test_library_records_state_generator_provenance():
    """Every generator has a CC0, procedural library record naming it, its version and its file's values."""
    manifest = builtin_manifest()
    generated = {r.generator.name: r for r in manifest.of_kind("mesh") if r.generator is not None}
    assert set(generated) == set(SHAPES)
    for name, record in generated.items():
        assert record.category == name and record.license == "CC0-1.0" and record.provenance == "procedural"
        assert record.generator.parameters == middle_shape(name).model_dump(exclude={"generator"})


def test_generators_keep_the_file_categories_ids():
    """Categories only generators provide come after the file categories, which keep their sorted ids."""
    categories = builtin_manifest().categories()
    files = sorted({r.category for r in builtin_manifest().of_kind("mesh") if r.generator is None})
    assert categories[: len(files)] == tuple(files) and len(categories) == len(SHAPES)
