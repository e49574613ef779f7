"""Check an asset file before it is recorded: it must load, and be sane for a scene.

Meshes are loaded with trimesh and checked for faces, finite coordinates, area and
scale; images are checked from their header (size, mode, decompression bombs) before
any pixel is decoded; HDRIs must decode; checkpoints must load with
``weights_only=True``; ``.blend`` files are opened by the render stage with scripts off.
Each refusal is one :class:`AssetError` line naming the file.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import trimesh
from PIL import Image, UnidentifiedImageError

from simulacra.assets_manifest.records import AssetKind, AssetRecord, Manifest
from simulacra.audit import MAX_PIXELS
from simulacra.errors import AssetError

MESH_SUFFIXES = frozenset({".obj", ".ply", ".stl", ".glb", ".gltf"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
HDRI_SUFFIXES = frozenset({".hdr", ".exr"})
CHECKPOINT_SUFFIXES = frozenset({".pt", ".pth", ".ckpt"})
BLEND_SUFFIX = ".blend"
IMAGE_MODES = frozenset({"1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16", "I;16B", "F"})

# Tabletop scenes are built in metres: a mesh whose largest side is outside this range
# was almost certainly authored in other units. --normalize scales it to NORMALIZED_SIZE.
SANE_EXTENT_M = (0.005, 10.0)
NORMALIZED_SIZE_M = 0.2
# What trimesh raises on corrupt input (it has no exception type of its own).
_TRIMESH_ERRORS = (ValueError, IndexError, KeyError, TypeError, AttributeError, struct.error, OSError)

Bounds = tuple[tuple[float, float, float], tuple[float, float, float]]


@dataclass(frozen=True)
class FileFacts:
    """What the checks learned; becomes fields of the asset's record."""

    bounds: Bounds | None = None
    watertight: bool | None = None
    unit_scale: float = 1.0
    image_size: tuple[int, int] | None = None
    image_mode: str | None = None
    embedded_scripts: tuple[str, ...] = field(default=())


BlendCheck = Callable[[Path], FileFacts]  # a .blend's facts, found without running its scripts


def kind_for(path: Path) -> AssetKind:
    """The asset kind a file's suffix implies (images default to ``texture``)."""
    suffix = path.suffix.lower()
    if suffix in MESH_SUFFIXES or suffix == BLEND_SUFFIX:
        return "mesh"
    if suffix in IMAGE_SUFFIXES:
        return "texture"
    if suffix in HDRI_SUFFIXES:
        return "hdri"
    if suffix in CHECKPOINT_SUFFIXES:
        return "checkpoint"
    raise AssetError(f"{path}: unsupported file type {suffix or '(none)'!r}; cannot tell what asset it is")


def check_file(
    path: Path, kind: AssetKind, *, blend_check: BlendCheck | None, normalize: bool = False
) -> FileFacts:
    """Run the checks for ``kind`` on ``path``; raises AssetError naming the file.

    A ``.blend`` can only be opened by Blender: ``blend_check`` is the renderer's inspection,
    passed in by the conductor, so the manifest stays data and never imports Blender code.
    """
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise AssetError(f"{path}: file is empty")
    if suffix == BLEND_SUFFIX:
        if blend_check is None:
            raise AssetError(
                f"{path}: a .blend file needs the renderer's check; add it with `simulacra assets add`"
            )
        return blend_check(path)
    if kind == "mesh":
        return check_mesh(path, normalize=normalize)
    if kind in ("texture", "background"):
        return check_image(path)
    if kind == "hdri":
        return check_hdri(path)
    if kind == "checkpoint":
        return check_checkpoint(path)
    return FileFacts()


def check_recorded(manifest: Manifest, record: AssetRecord) -> None:
    """Check an asset a job is about to use as ``assets add`` checked it; AssetError names the file.

    A manifest can be edited by hand, so a matching sha256 proves only that the file is
    the one recorded, not that it, or the record, is sane: a mesh record's bounds and
    scale must be what the file gives at that scale, within a plausible size, and every
    image must pass the header checks (pixel limit) before anything decodes it. A
    ``.blend`` needs Blender to inspect; the renderer always opens it with scripts off.
    """
    path = manifest.verified_file(record)
    if path.suffix.lower() == BLEND_SUFFIX:
        return
    facts = check_file(path, record.kind, blend_check=None, normalize=True)
    if record.kind != "mesh" or facts.bounds is None:
        return
    ratio = record.unit_scale / facts.unit_scale
    expected = np.asarray(facts.bounds) * ratio
    low, high = SANE_EXTENT_M
    largest = float((expected[1] - expected[0]).max())
    if not low <= largest <= high:
        raise AssetError(
            f"{path}: record {record.id}'s unit_scale {record.unit_scale:g} makes it {largest:.3g} m "
            f"across, outside [{low}, {high}] m"
        )
    if record.bounds is not None and not np.allclose(record.bounds, expected, rtol=1e-3, atol=1e-4):
        raise AssetError(
            f"{path}: record {record.id}'s bounds {record.bounds} are not the mesh's at unit_scale "
            f"{record.unit_scale:g}"
        )


def _rounded(corners: np.ndarray) -> Bounds:
    low, high = (tuple(round(float(v), 6) for v in corner) for corner in corners)
    return low, high  # type: ignore[return-value]


def check_mesh(path: Path, *, normalize: bool = False) -> FileFacts:
    """Load with trimesh; refuse empty, non-finite, degenerate or (without normalize) mis-scaled meshes."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mesh = trimesh.load(path, force="mesh")
    except _TRIMESH_ERRORS as exc:
        raise AssetError(f"{path}: not a readable mesh ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise AssetError(f"{path}: mesh has no faces")
    if not np.isfinite(mesh.vertices).all():
        raise AssetError(f"{path}: mesh has non-finite vertex coordinates")
    extents = mesh.extents
    if mesh.area <= 0 or (extents > 1e-9).sum() < 2:
        raise AssetError(f"{path}: mesh is degenerate (zero area or collapsed to a line)")
    largest = float(extents.max())
    low, high = SANE_EXTENT_M
    unit_scale = 1.0
    if not low <= largest <= high:
        if not normalize:
            raise AssetError(
                f"{path}: largest extent {largest:.3g} m is outside [{low}, {high}] m; "
                f"pass --normalize to scale it to {NORMALIZED_SIZE_M} m"
            )
        unit_scale = round(NORMALIZED_SIZE_M / largest, 9)
    return FileFacts(
        bounds=_rounded(mesh.bounds * unit_scale),
        watertight=bool(mesh.is_watertight),
        unit_scale=unit_scale,
    )


def check_image(path: Path, max_pixels: int = MAX_PIXELS) -> FileFacts:
    """Header first (size, mode, pixel limit), then a full decode to catch truncation."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                (width, height), mode = image.size, image.mode
                if width * height > max_pixels:
                    raise AssetError(
                        f"{path}: header claims {width}x{height} = {width * height / 1e6:.0f} megapixels, "
                        f"over the limit of {max_pixels / 1e6:.0f}; refused without decoding"
                    )
                if mode not in IMAGE_MODES:
                    raise AssetError(f"{path}: unsupported image mode {mode!r}")
                image.load()
    except Image.DecompressionBombError as exc:
        raise AssetError(f"{path}: refused without decoding, {exc}") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise AssetError(f"{path}: not a readable image ({exc.__class__.__name__}: {exc})") from None
    if min(width, height) < 8:
        raise AssetError(f"{path}: image is {width}x{height}, too small to be a texture (8 px minimum)")
    return FileFacts(image_size=(width, height), image_mode=mode)


def load_hdri(path: Path) -> np.ndarray:
    """Decode an .hdr or .exr file to float32 RGB; AssetError when it does not decode."""
    os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
    import cv2

    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.ndim < 2 or pixels.size == 0:
        raise AssetError(f"{path}: HDRI does not decode (corrupt, or not Radiance HDR / OpenEXR)")
    if pixels.shape[0] * pixels.shape[1] > MAX_PIXELS:
        raise AssetError(f"{path}: HDRI is {pixels.shape[1]}x{pixels.shape[0]}, over the pixel limit")
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    return np.ascontiguousarray(pixels[..., 2::-1], dtype=np.float32)


def check_hdri(path: Path) -> FileFacts:
    pixels = load_hdri(path)
    if not np.isfinite(pixels).all():
        raise AssetError(f"{path}: HDRI has non-finite pixel values")
    return FileFacts(image_size=(pixels.shape[1], pixels.shape[0]), image_mode="RGBF")


def check_checkpoint(path: Path) -> FileFacts:
    """A checkpoint must load as plain tensors: ``torch.load(weights_only=True)``, never pickled code."""
    import pickle

    import torch

    try:
        torch.load(path, weights_only=True, map_location="cpu")
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise AssetError(f"{path}: checkpoint does not load with weights_only=True ({reason})") from None
    return FileFacts()
