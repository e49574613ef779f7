"""Import a folder of meshes in one step: one sub-folder per category, one licence per sub-folder.

Layout::

    my_meshes/
      mugs/            asset.yaml + mug_a.obj, mug_b.ply, ...
      crates/          asset.yaml + crate.glb, ...

Each sub-folder's ``asset.yaml`` states what every mesh in it is owed and how it was
made (``license`` and ``source`` are required; ``category`` defaults to the sub-folder's
name). Mesh files are checked and recorded exactly as ``assets add`` records them, every
sub-folder before anything is written, so one bad file or field leaves the manifest as it
was. Other files (materials, textures beside an OBJ) are left out of the manifest.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulacra.assets_manifest.adding import AddRequest, Inspectors, add_assets, open_manifest
from simulacra.assets_manifest.records import (
    MANIFEST_FILE,
    AssetFlags,
    AssetRecord,
    Manifest,
    Provenance,
    Use,
    check_unique_ids,
    known_license,
)
from simulacra.assets_manifest.validation import BLEND_SUFFIX, MESH_SUFFIXES
from simulacra.errors import AssetError

FOLDER_FILE = "asset.yaml"


class FolderFacts(BaseModel):
    """The contents of a sub-folder's ``asset.yaml``: the governance facts of every mesh in it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    license: str = Field(description="SPDX id, e.g. CC0-1.0 or CC-BY-4.0")
    source: str = Field(min_length=1, description="where the meshes came from (URL)")
    attribution: str = ""
    category: str | None = Field(None, description="labeled-object category; default: the sub-folder's name")
    provenance: Provenance = "unknown"
    flags: AssetFlags = AssetFlags()
    allowed_uses: tuple[Use, ...] = ("research", "commercial", "education")
    normalize: bool = Field(False, description="scale meshes of implausible size to 0.2 m")

    @field_validator("license")
    @classmethod
    def _known_license(cls, value: str) -> str:
        return known_license(value)


def read_facts(path: Path) -> FolderFacts:
    """Load one ``asset.yaml``; AssetError names the file and the field."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise AssetError(f"{path}: missing; every sub-folder states its license and source there") from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise AssetError(f"{path}: not readable YAML") from None
    if not isinstance(data, dict):
        raise AssetError(f"{path}: expected a mapping of fields (license, source, category, ...)")
    try:
        return FolderFacts.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = {"missing": "field required", "extra_forbidden": "unknown field"}.get(
            first["type"], first["msg"].removeprefix("Value error, ")
        )
        raise AssetError(f"{path}: {where}: {message}") from None


def _meshes(folder: Path) -> list[Path]:
    suffixes = MESH_SUFFIXES | {BLEND_SUFFIX}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
    visible = [p for p in files if not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    if not visible:
        raise AssetError(f"{folder}: holds no mesh file ({', '.join(sorted(suffixes))})")
    return visible


def import_folder(
    folder: Path, root: Path, inspectors: Inspectors
) -> tuple[Manifest, tuple[AssetRecord, ...]]:
    """Check every mesh of every sub-folder of ``folder`` and return (the new manifest, the new records).

    Nothing is written; the caller saves the manifest. ``folder`` must lie inside ``root``.
    """
    if not folder.is_dir():
        raise AssetError(f"{folder}: no such folder")
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subfolders:
        raise AssetError(
            f"{folder}: no sub-folders; put each category's meshes in a folder with an {FOLDER_FILE}"
        )
    manifest = open_manifest(root)
    added: list[AssetRecord] = []
    for sub in subfolders:
        facts = read_facts(sub / FOLDER_FILE)
        request = AddRequest(
            license=facts.license,
            source=facts.source,
            attribution=facts.attribution,
            provenance=facts.provenance,
            category=facts.category or sub.name,
            kind="mesh",
            flags=facts.flags,
            allowed_uses=facts.allowed_uses,
            normalize=facts.normalize,
        )
        _, records = add_assets(root, _meshes(sub), request, inspectors)
        added += records
    check_unique_ids((*manifest.assets, *added), where=f"manifest {root / MANIFEST_FILE}")
    return Manifest(root=manifest.root, assets=(*manifest.assets, *added)), tuple(added)
