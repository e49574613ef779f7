"""Asset manifests and the built-in procedural library (``simulacra.assets_manifest``)."""

from simulacra.assets_manifest.library import MESH_MAKERS, build_library, builtin_manifest, library_home
from simulacra.assets_manifest.records import (
    KNOWN_LICENSES,
    AssetRecord,
    Manifest,
    load_manifest,
    sha256_of,
)

__all__ = [
    "KNOWN_LICENSES",
    "MESH_MAKERS",
    "AssetRecord",
    "Manifest",
    "build_library",
    "builtin_manifest",
    "library_home",
    "load_manifest",
    "sha256_of",
]
