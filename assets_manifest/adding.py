"""Add files to a manifest: confine, hash, check, screen, then record, all or nothing.

Every file is checked before anything is written; the manifest is then saved in one
atomic write, so a bad file among many leaves the manifest exactly as it was.
Folders add every file below them; a folder laid out as CC0 libraries ship texture
sets (``<material>/<material>_Color.png``, ``..._Roughness.png``, ``..._NormalGL.png``)
becomes one material whose maps the material randomizer uses together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulacra.assets_manifest.records import (
    MANIFEST_FILE,
    AssetFlags,
    AssetKind,
    AssetRecord,
    Manifest,
    MapRole,
    Provenance,
    Screening,
    Use,
    check_unique_ids,
    load_manifest,
    sha256_of,
)
from simulacra.assets_manifest.validation import IMAGE_SUFFIXES, BlendCheck, check_file, kind_for
from simulacra.errors import AssetError

SCREENED_KINDS = frozenset({"texture", "hdri", "background"})

# File-name tokens that popular CC0 texture libraries use for each map.
_ROLE_TOKENS: dict[str, MapRole] = {
    "color": "color",
    "col": "color",
    "albedo": "color",
    "basecolor": "color",
    "diff": "color",
    "diffuse": "color",
    "roughness": "roughness",
    "rough": "roughness",
    "normalgl": "normal",
    "normal": "normal",
    "nor": "normal",
    "metalness": "metallic",
    "metallic": "metallic",
    "displacement": "displacement",
    "disp": "displacement",
    "height": "displacement",
    "ambientocclusion": "ao",
    "ao": "ao",
}
# DirectX-convention normal maps (green flipped) are recorded but not used as normals.
_DIRECTX_NORMAL = re.compile(r"(normaldx|nor_dx)", re.IGNORECASE)


@dataclass(frozen=True)
class AddRequest:
    """The governance facts the user states for every file of one ``assets add``."""

    license: str
    source: str
    attribution: str = ""
    provenance: Provenance = "unknown"
    category: str | None = None
    kind: AssetKind | None = None
    flags: AssetFlags = AssetFlags()  # noqa: RUF009  (frozen pydantic model: a shared default is safe)
    allowed_uses: tuple[Use, ...] = ("research", "commercial", "education")
    asset_id: str | None = None
    expected_sha256: str | None = None
    normalize: bool = False
    id_prefix: str = ""
    screen: bool = True


@dataclass(frozen=True)
class Inspectors:
    """The checks the manifest cannot make itself, passed in by the conductor.

    ``blend`` is the renderer's ``.blend`` inspection; ``screen`` the auditor's face
    screening of an image or HDRI (:mod:`simulacra.generate.curation` passes both).
    """

    blend: BlendCheck
    screen: Callable[[Path, AssetKind], Screening]


def open_manifest(root: Path) -> Manifest:
    """The manifest in ``root``, or an empty one if the folder has none yet."""
    if not root.is_dir():
        raise AssetError(f"asset root {root} does not exist or is not a folder")
    if (root / MANIFEST_FILE).is_file():
        return load_manifest(root)
    return Manifest(root=root, assets=())


def confined_relative(root: Path, path: Path) -> str:
    """``path`` relative to ``root``, refusing anything that resolves outside it (symlinks too)."""
    resolved_root = root.resolve()
    if not path.exists() and not path.is_symlink():
        raise AssetError(f"{path}: no such file")
    resolved = path.resolve()
    if not resolved.is_relative_to(resolved_root):
        raise AssetError(f"{path}: path escapes the asset root {resolved_root}")
    lexical = (path if path.is_absolute() else Path.cwd() / path).absolute()
    try:
        return lexical.relative_to(resolved_root).as_posix()
    except ValueError:
        return resolved.relative_to(resolved_root).as_posix()


def expand(paths: list[Path]) -> list[Path]:
    """Files named, plus every file below each folder named (hidden files and manifests skipped)."""
    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if (p.is_file() or p.is_symlink())
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and p.name != MANIFEST_FILE
            )
        else:
            files.append(path)
    return files


def id_for(relative: str, prefix: str = "") -> str:
    """A stable id from the relative path: ``packs/wood/wood_Color.png`` -> ``packs:wood:wood_Color``."""
    stem = relative.rsplit(".", 1)[0] if "." in Path(relative).name else relative
    return prefix + re.sub(r"[^A-Za-z0-9_.:-]", "_", stem.replace("/", ":"))


def map_role(path: Path) -> MapRole | None:
    """The texture-pack role a file name states, if any."""
    if _DIRECTX_NORMAL.search(path.stem):
        return None
    for token in reversed(re.split(r"[_\-. ]+", path.stem.lower())):
        if token in _ROLE_TOKENS:
            return _ROLE_TOKENS[token]
    return None


def pack_materials(files: list[Path]) -> dict[Path, tuple[str, MapRole | None]]:
    """Images in folders that hold a color map and at least one other map: file -> (material, role)."""
    by_folder: dict[Path, list[Path]] = {}
    for path in files:
        if path.suffix.lower() in IMAGE_SUFFIXES:
            by_folder.setdefault(path.parent, []).append(path)
    packs = {}
    for folder, images in by_folder.items():
        roles = {map_role(p) for p in images}
        if "color" in roles and len(roles - {None, "color"}) >= 1:
            material = re.sub(r"[^A-Za-z0-9_.-]", "_", folder.name)
            packs.update({p: (material, map_role(p)) for p in images})
    return packs


def record_for(
    root: Path,
    path: Path,
    request: AddRequest,
    pack: tuple[str, MapRole | None] | None,
    inspectors: Inspectors,
) -> AssetRecord:
    """Check one file and build its record; raises AssetError naming the file or field."""
    relative = confined_relative(root, path)
    file = root.resolve() / relative
    digest = sha256_of(file)
    if request.expected_sha256 and digest != request.expected_sha256.lower():
        raise AssetError(
            f"{path}: sha256 is {digest[:12]}…, --sha256 says {request.expected_sha256[:12]}…; "
            "the file is not the one expected"
        )
    kind = request.kind or kind_for(file)
    facts = check_file(file, kind, blend_check=inspectors.blend, normalize=request.normalize)
    screening = None
    flags = request.flags
    if request.screen and kind in SCREENED_KINDS and (pack is None or pack[1] == "color"):
        screening = inspectors.screen(file, kind)
        if screening.faces:
            flags = flags.model_copy(update={"contains_person": True})
    from pydantic import ValidationError

    try:
        return AssetRecord(
            id=request.asset_id or id_for(relative, request.id_prefix),
            path=relative,
            sha256=digest,
            kind=kind,
            category=request.category,
            license=request.license,
            source=request.source,
            attribution=request.attribution,
            provenance=request.provenance,
            bounds=facts.bounds,
            flags=flags,
            allowed_uses=request.allowed_uses,
            watertight=facts.watertight,
            unit_scale=facts.unit_scale,
            image_size=facts.image_size,
            image_mode=facts.image_mode,
            screening=screening,
            material=pack[0] if pack else None,
            map=pack[1] if pack else None,
            embedded_scripts=facts.embedded_scripts,
        )
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AssetError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from None


def add_assets(
    root: Path, paths: list[Path], request: AddRequest, inspectors: Inspectors
) -> tuple[Manifest, tuple[AssetRecord, ...]]:
    """Check every file and return (the manifest with the new records, the new records).

    Nothing is written; the caller saves the manifest when it is content.
    """
    manifest = open_manifest(root)
    files = expand(paths)
    if not files:
        raise AssetError(f"nothing to add: {', '.join(map(str, paths))} holds no files")
    if request.asset_id and len(files) > 1:
        raise AssetError(f"--id names one asset but {len(files)} files were given")
    packs = pack_materials(files)
    added = tuple(record_for(root, path, request, packs.get(path), inspectors) for path in files)
    check_unique_ids((*manifest.assets, *added), where=f"manifest {root / MANIFEST_FILE}")
    return Manifest(root=manifest.root, assets=(*manifest.assets, *added)), added
