"""Manifest records: what every asset is, where it came from, and under which license.

A manifest is a JSON file listing one :class:`AssetRecord` per file below an asset root.
Records are validated on load and paths are confined to the root, so a manifest cannot
point a render at ``../../etc/passwd``. Hashes are checked before an asset is used.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from simulacra.errors import AssetError

AssetKind = Literal["mesh", "texture", "hdri", "background", "material", "checkpoint"]
Provenance = Literal["procedural", "scanned", "photographed", "consented", "unknown"]
Use = Literal["research", "commercial", "education"]
MapRole = Literal["color", "roughness", "normal", "metallic", "displacement", "ao"]

# SPDX ids the manifest format accepts. Unknown ids are refused rather than guessed at:
# a dataset card must be able to state exactly what is owed. ``NOASSERTION`` is SPDX's
# word for "the license is not known": such an asset may be recorded, but every license
# policy refuses it.
KNOWN_LICENSES: dict[str, str] = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-3.0": "https://creativecommons.org/licenses/by/3.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-ND-4.0": "https://creativecommons.org/licenses/by-nd/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "CC-BY-NC-ND-4.0": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    "MIT": "https://opensource.org/license/mit",
    "Apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "BSD-3-Clause": "https://opensource.org/license/bsd-3-clause",
    "LicenseRef-PublicDomain": "https://en.wikipedia.org/wiki/Public_domain",
    "NOASSERTION": "",
}
UNKNOWN_LICENSE = "NOASSERTION"

MANIFEST_FILE = "manifest.json"


def known_license(value: str) -> str:
    """``value`` if it is an SPDX id the manifest accepts; otherwise ValueError listing them."""
    if value not in KNOWN_LICENSES:
        raise ValueError(f"unknown license {value!r}; expected one of {', '.join(sorted(KNOWN_LICENSES))}")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssetFlags(_Frozen):
    """What a reviewer must know before an asset may enter a scene."""

    contains_person: bool = False
    identifiable: bool = False
    location_sensitive: bool = False


class Review(_Frozen):
    """A person's decision on an asset that screening flagged."""

    approved: bool
    reason: str = Field(min_length=1)
    date: str
    false_positive: bool = False


class Screening(_Frozen):
    """What face screening found in an image asset; ``review`` stays None until a person looks."""

    faces: int = Field(ge=0)
    matched_reference: str | None = None
    review: Review | None = None

    @property
    def pending(self) -> bool:
        return self.faces > 0 and self.review is None


class GeneratorRef(_Frozen):
    """How a procedural mesh was made: the generator, its version, and the values of this file.

    With ``objects.meshes: generated`` the generator draws new values for every object
    (recorded in the scene graph); the file is the generator at the middle of its ranges.
    """

    name: str
    version: int = Field(ge=1)
    parameters: dict[str, float]


class AssetRecord(_Frozen):
    """One asset file: identity, content hash, and the governance facts about it."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    kind: AssetKind
    category: str | None = None
    license: str
    source: str
    attribution: str = ""
    provenance: Provenance
    # Axis-aligned bounds of a mesh in its own units, [[xmin, ymin, zmin], [xmax, ymax, zmax]]:
    # lets the resolver place objects without loading geometry.
    bounds: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
    flags: AssetFlags = AssetFlags()
    allowed_uses: tuple[Use, ...] = ("research", "commercial", "education")
    # Mesh facts recorded on add: closed surface?, factor applied on load (--normalize).
    watertight: bool | None = None
    unit_scale: float = Field(1.0, gt=0, allow_inf_nan=False)
    # Image facts recorded on add (width, height, mode) and what face screening found.
    image_size: tuple[int, int] | None = None
    image_mode: str | None = None
    screening: Screening | None = None
    # Texture-pack maps: the material (pack folder) a map belongs to and its role in it.
    material: str | None = None
    map: MapRole | None = None
    # Names of text blocks embedded in a .blend (never run; listed for the reviewer).
    embedded_scripts: tuple[str, ...] = ()
    # Procedural meshes: the generator that made the file (its provenance, beside ``procedural``).
    generator: GeneratorRef | None = None

    @field_validator("license")
    @classmethod
    def _known_license(cls, value: str) -> str:
        return known_license(value)

    @field_validator("bounds")
    @classmethod
    def _finite_bounds(cls, value: tuple | None) -> tuple | None:
        if value is None:
            return value
        low, high = value
        if not all(math.isfinite(v) for v in (*low, *high)):
            raise ValueError("bounds must be finite numbers")
        if any(a > b for a, b in zip(low, high, strict=True)):
            raise ValueError("bounds must be [[xmin, ymin, zmin], [xmax, ymax, zmax]] with min <= max")
        return value

    @field_validator("path")
    @classmethod
    def _relative_path(cls, value: str) -> str:
        parts = Path(value).parts
        if Path(value).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"path {value!r} must be relative and stay inside the asset root")
        return value


class Manifest(BaseModel):
    """All records of one asset root; ``root`` is where their relative paths start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: Path
    assets: tuple[AssetRecord, ...]

    def get(self, asset_id: str) -> AssetRecord:
        """The record with this id, or an AssetError naming it."""
        for record in self.assets:
            if record.id == asset_id:
                return record
        raise AssetError(f"asset {asset_id!r} is not in the manifest at {self.root / MANIFEST_FILE}")

    def of_kind(self, kind: AssetKind) -> tuple[AssetRecord, ...]:
        return tuple(record for record in self.assets if record.kind == kind)

    def categories(self, generated: bool = True) -> tuple[str, ...]:
        """Labeled-object categories; their order fixes COCO category ids.

        Categories of mesh files come first, sorted; those only a generator provides follow,
        sorted, so adding generators to a manifest keeps every existing category's id.
        ``generated=False`` leaves the generator-only ones out: a job whose specs never
        generate meshes lists the categories it listed before generators existed.
        """
        meshes = [r for r in self.assets if r.kind == "mesh" and r.category]
        files = sorted({r.category for r in meshes if r.generator is None})
        only_generated = sorted({r.category for r in meshes} - set(files)) if generated else []
        return (*files, *only_generated)  # type: ignore[return-value]

    def file_of(self, record: AssetRecord) -> Path:
        """The asset's file, resolved and confined to the root (symlinks included)."""
        root = self.root.resolve()
        path = (root / record.path).resolve()
        if not path.is_relative_to(root):
            raise AssetError(f"asset {record.id!r}: path {record.path!r} escapes the asset root {root}")
        return path

    def verified_file(self, record: AssetRecord) -> Path:
        """The asset's file after checking it exists and its sha256 matches the record."""
        path = self.file_of(record)
        if not path.is_file():
            raise AssetError(f"asset {record.id!r}: file {path} is missing")
        digest = sha256_of(path)
        if digest != record.sha256:
            raise AssetError(
                f"asset {record.id!r}: file {path} has sha256 {digest[:12]}…, manifest says "
                f"{record.sha256[:12]}…"
            )
        return path

    def content_hash(self) -> str:
        """A hash of every record, so a dataset card can pin the exact manifest used."""
        payload = json.dumps([r.model_dump(mode="json") for r in self.assets], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    def save(self) -> Path:
        """Write ``manifest.json`` into the root (records only), atomically: never half-written.

        Raises:
            AssetError: it cannot be written; the old manifest is left as it was.
        """
        path = self.root / MANIFEST_FILE
        records = [r.model_dump(mode="json", exclude_defaults=True) for r in self.assets]
        partial = path.with_name(f".{MANIFEST_FILE}.partial")
        try:
            partial.write_text(json.dumps({"assets": records}, indent=2) + "\n")
            partial.replace(path)
        except OSError as exc:  # no space, read-only: the manifest stays as it was, no leftover
            partial.unlink(missing_ok=True)
            raise AssetError(f"{path}: cannot write the manifest ({exc.strerror}); it is unchanged") from None
        return path

    def replaced(self, records: tuple[AssetRecord, ...]) -> Manifest:
        """The same root with ``records`` swapped in by id (new ids appended)."""
        by_id = {r.id: r for r in records}
        kept = tuple(by_id.pop(r.id, r) for r in self.assets)
        return Manifest(root=self.root, assets=(*kept, *by_id.values()))


class ManifestDocument(BaseModel):
    """The JSON file format of ``manifest.json`` (what ``simulacra schema manifest`` exports)."""

    model_config = ConfigDict(extra="forbid", title="simulacra asset manifest")

    assets: tuple[AssetRecord, ...]


def manifest_schema() -> dict:
    """JSON Schema of ``manifest.json``, for editors and other tools."""
    return ManifestDocument.model_json_schema()


def sha256_of(path: Path) -> str:
    """Streaming sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(path: Path) -> Manifest:
    """Load and validate a manifest file (or a folder holding ``manifest.json``).

    Raises:
        AssetError: the file is missing, is not JSON, or a record is invalid; the message
            names the file and the record field.
    """
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise AssetError(f"manifest {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise AssetError(f"manifest {path} is not valid JSON: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("assets"), list):
        raise AssetError(f"manifest {path}: expected an object with an 'assets' list")
    try:
        manifest = Manifest(root=path.parent, assets=tuple(data["assets"]))
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = (
            "field required" if first["type"] == "missing" else first["msg"].removeprefix("Value error, ")
        )
        raise AssetError(f"manifest {path}: {where}: {message}") from None
    check_unique_ids(manifest.assets, where=f"manifest {path}")
    return manifest


def check_unique_ids(records: tuple[AssetRecord, ...], *, where: str) -> None:
    """Refuse two records with one id: lineage must name exactly one file."""
    seen: set[str] = set()
    for record in records:
        if record.id in seen:
            raise AssetError(f"{where}: duplicate asset id {record.id!r}")
        seen.add(record.id)
