"""Asset manifests, license policy and the built-in procedural library (``simulacra.assets_manifest``)."""

from simulacra.assets_manifest.library import build_library, builtin_manifest, library_home
from simulacra.assets_manifest.policy import Admission, LicensePolicy, LoadedPolicy, admit, load_policy
from simulacra.assets_manifest.records import (
    KNOWN_LICENSES,
    UNKNOWN_LICENSE,
    AssetFlags,
    AssetRecord,
    GeneratorRef,
    Manifest,
    load_manifest,
    manifest_schema,
    sha256_of,
)
from simulacra.assets_manifest.session import VerifiedFiles

__all__ = [
    "KNOWN_LICENSES",
    "UNKNOWN_LICENSE",
    "Admission",
    "AssetFlags",
    "AssetRecord",
    "GeneratorRef",
    "LicensePolicy",
    "LoadedPolicy",
    "Manifest",
    "VerifiedFiles",
    "admit",
    "build_library",
    "builtin_manifest",
    "library_home",
    "load_manifest",
    "load_policy",
    "manifest_schema",
    "sha256_of",
]
