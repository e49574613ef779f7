"""Which mesh records a role may draw, and the per-object shape draw of generator records.

``meshes: fixed`` (the default) draws mesh files only, as before generators existed, so
old specs keep their graphs byte for byte. ``meshes: generated`` draws every category
that has a generator through it: the object's record is the generator's (CC0,
procedural, pinned by hash), and new shape values are drawn for it from the scene's
generator, right after the record, and kept in the node's ``generated`` field. Categories
without a generator (a user's meshes) are drawn from their files in either mode.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from simulacra.assets_manifest import AssetRecord, Manifest
from simulacra.errors import AssetError, SpecError
from simulacra.randomize.shapes import SHAPES, ShapeParams, sample_shape

MeshMode = Literal["fixed", "generated"]
MESHES_DOC = (
    "fixed: the manifest's mesh files; generated: every category with a shape generator gets new "
    "shape values per object, drawn from the image's seed and recorded in the graph (categories "
    "without one, such as a user's meshes, keep their files). Generators:\n"
)


def drawable_meshes(manifest: Manifest, mode: MeshMode) -> list[AssetRecord]:
    """The mesh records a role may draw in ``mode``, in manifest order."""
    meshes = [r for r in manifest.of_kind("mesh") if r.category and r.bounds]
    if mode == "fixed":
        return [r for r in meshes if r.generator is None]
    generated = {r.category for r in meshes if r.generator is not None}
    return [r for r in meshes if r.generator is not None or r.category not in generated]


def category_meshes(
    manifest: Manifest, mode: MeshMode, categories: tuple[str, ...], *, field: str
) -> list[AssetRecord]:
    """The meshes of ``categories`` (all when empty) a role may draw; SpecError names a category none has.

    ``field`` is the role's YAML path (``objects``); a category only a generator provides,
    asked for in fixed mode, is told how to opt in.
    """
    meshes = drawable_meshes(manifest, mode)
    known = {r.category for r in meshes}
    for index, category in enumerate(categories):
        if category in known:
            continue
        if category in {r.category for r in drawable_meshes(manifest, "generated")}:
            raise SpecError(
                f"{field}.categories[{index}]: {category!r} has only a shape generator; "
                f"set {field}.meshes: generated"
            )
        raise SpecError(f"{field}.categories[{index}]: no mesh of category {category!r} in the manifest")
    return [r for r in meshes if r.category in (set(categories) or known)]


def draw_shape(record: AssetRecord, *, rng: np.random.Generator) -> tuple[AssetRecord, ShapeParams | None]:
    """``record`` with the bounds of a freshly drawn shape, and the shape; a file record as it is.

    Raises:
        AssetError: the record names a generator, or a version of one, this simulacra lacks.
    """
    if record.generator is None:
        return record, None
    from simulacra.assets_manifest.shapes import GENERATOR_VERSION, shape_bounds

    name, version = record.generator.name, record.generator.version
    if name not in SHAPES or version != GENERATOR_VERSION:
        raise AssetError(
            f"asset {record.id!r}: generator {name!r} version {version} is not the one this simulacra "
            f"builds (version {GENERATOR_VERSION} of {', '.join(SHAPES)}); rebuild the library"
        )
    shape = sample_shape(name, rng=rng)
    return record.model_copy(update={"bounds": shape_bounds(shape)}), shape


def node_bounds(
    record: AssetRecord, generated: ShapeParams | None
) -> tuple[tuple[float, float, float], tuple[float, float, float]] | None:
    """The bounds an object node was placed by: its drawn shape's, else its record's."""
    if generated is None:
        return record.bounds
    from simulacra.assets_manifest.shapes import shape_bounds

    return shape_bounds(generated)
