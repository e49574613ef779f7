"""The built-in asset library, generated once into a cache folder and used through its manifest.

The makers (:mod:`simulacra.assets_manifest.procedural`) load trimesh and OpenCV; they are
imported only when the library is first built, so reading a manifest stays light.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulacra.assets_manifest.records import Manifest, load_manifest

LIBRARY_VERSION = "4"  # 3: built-in HDRIs; 4: shape generators


def build_library(root: Path) -> Manifest:
    """Generate the built-in library into ``root`` and write its manifest."""
    from simulacra.assets_manifest.procedural import build_library as build

    return build(root)


def library_home() -> Path:
    """Where generated data is cached: ``$SIMULACRA_HOME`` or ``~/.cache/simulacra``."""
    return Path(os.environ.get("SIMULACRA_HOME") or Path.home() / ".cache" / "simulacra")


def shape_cache_home() -> Path:
    """Where generated meshes are cached (one PLY per shape), beside the library; see ``MeshCache``."""
    return library_home() / "shapes"


def builtin_manifest() -> Manifest:
    """The built-in library's manifest, generating the library on first use."""
    root = library_home() / f"library-v{LIBRARY_VERSION}"
    if not (root / "manifest.json").is_file():
        return build_library(root)
    return load_manifest(root)
