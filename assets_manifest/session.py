"""Asset files checked once per rendering session instead of once per use.

A renderer loads the same meshes and textures for image after image. Hashing each
file at every load is repeated I/O on the hot path (large user meshes make it
costly), so each file is hashed at its first use and trusted afterwards while its
size and modification time are unchanged; a file edited mid-job is hashed again.
A generated mesh is built from its drawn shape into the shape cache, shared by every
session; its generator's record is still pinned by hash like any asset.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.assets_manifest.records import Manifest
from simulacra.errors import AssetError

if TYPE_CHECKING:
    from simulacra.randomize.shapes import ShapeParams


class VerifiedFiles:
    """Resolves pinned asset references to files whose sha256 was checked this session."""

    def __init__(self, manifest: Manifest, shape_cache: Path | None = None):
        self.manifest = manifest
        self._checked: dict[str, tuple[int, int]] = {}  # asset id -> (size, mtime_ns) when hashed
        self._shape_cache = shape_cache
        self._meshes = None  # the MeshCache, made at the first generated mesh (it loads trimesh)

    def mesh(self, asset_id: str, sha256: str, generated: ShapeParams | None) -> Path:
        """The mesh file of an object: its asset's file, or the cached mesh of its drawn shape."""
        path = self.path(asset_id, sha256)  # pins the record (the generator's, for a drawn shape)
        if generated is None:
            return path
        if self._meshes is None:
            from simulacra.assets_manifest.library import shape_cache_home
            from simulacra.assets_manifest.shapes import MeshCache

            self._meshes = MeshCache(self._shape_cache or shape_cache_home())
        return self._meshes.path(generated)

    def path(self, asset_id: str, sha256: str) -> Path:
        """The file of ``asset_id``, refusing a manifest or file that disagrees with ``sha256``."""
        record = self.manifest.get(asset_id)
        if record.sha256 != sha256:
            raise AssetError(
                f"asset {asset_id!r}: the scene graph pins sha256 {sha256[:12]}…, the manifest has "
                f"{record.sha256[:12]}…"
            )
        path = self.manifest.file_of(record)
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise AssetError(f"asset {asset_id!r}: file {path} is missing") from None
        if self._checked.get(asset_id) != (stat.st_size, stat.st_mtime_ns):
            self.manifest.verified_file(record)
            self._checked[asset_id] = (stat.st_size, stat.st_mtime_ns)
        return path
