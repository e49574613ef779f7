"""Privacy perturbation operators: seeded transforms that each take one ``strength`` in [0, 1].

A render must not carry an identifiable person or a recognisable real image. These
operators weaken what an asset gives away, at three places:

- textures (``face_blur``, ``face_pixelate``, ``patch_shuffle``, ``stylize``,
  ``hue_shift``), applied to the image file before Blender sees it;
- materials (``hue_shift``), applied to the resolved colours in the scene graph;
- the rendered frame (``hue_shift``, ``color_jitter``, ``pixel_noise``), after sensor
  effects.

As with sensor effects, :func:`sample_op` draws what an operator needs (a hue
direction, a shuffle seed) and returns a record for the scene graph; the ``apply_*``
functions are pure, so a graph replays to the same pixels. Strength 0 is the identity
for every operator, and each parameter grows with strength (see each class).
"""

from __future__ import annotations

import colorsys
from pathlib import Path
from typing import Annotated, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulacra.randomize.materials import Material
from simulacra.randomize.procedural import ProceduralMaterial, family_colours

Strength = Annotated[float, Field(ge=0.0, le=1.0)]
TextureOpName = Literal["face_blur", "face_pixelate", "patch_shuffle", "stylize", "hue_shift"]
ImageOpName = Literal["hue_shift", "color_jitter", "pixel_noise"]
# Operators that remove what identifies a person or a photograph, not only recolour it.
ANONYMIZING_OPS = frozenset({"face_blur", "face_pixelate", "patch_shuffle"})

_FACE_MARGIN = 0.3  # each side of a detected box grows by this fraction: hair, chin, ears
_SEED_LIMIT = 2**31  # drawn seeds stay small integers in JSON


class _Applied(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    strength: Strength


class FaceBlur(_Applied):
    """Gaussian blur over each detected face (box grown by 30 %), sigma = 0.4 x strength x face side."""

    op: Literal["face_blur"] = "face_blur"


class FacePixelate(_Applied):
    """Each detected face (box grown by 30 %) in square blocks of (0.05 + 0.2 x strength) x face side."""

    op: Literal["face_pixelate"] = "face_pixelate"


class PatchShuffle(_Applied):
    """Layout destroyed, colours kept: the image cut into 2 + 14 x strength tiles a side, every tile moved.

    The tiles change places in one seeded cycle, so none stays where it was; smaller
    tiles (more strength) leave less local structure for a matcher to find. Pixel
    values are only rearranged, so the colour histogram stays the same.
    """

    op: Literal["patch_shuffle"] = "patch_shuffle"
    seed: int = Field(ge=0)


class Stylize(_Applied):
    """Edge-preserving smoothing (sigma_s = 60 x strength), then posterizing in bins of 1 + 63 x strength."""

    op: Literal["stylize"] = "stylize"


class HueShift(_Applied):
    """Hue rotated by ``hue`` turns, saturation and value scaled (shading); |hue| = 0.5 x strength."""

    op: Literal["hue_shift"] = "hue_shift"
    hue: float
    saturation: float = Field(gt=0.0)
    value: float = Field(gt=0.0)


class ColorJitter(_Applied):
    """Per-channel gains within 1 +- 0.3 x strength and a brightness offset within +- 20 x strength levels."""

    op: Literal["color_jitter"] = "color_jitter"
    gains: tuple[float, float, float]
    offset: float


class PixelNoise(_Applied):
    """Additive Gaussian noise of 12 x strength grey levels, from ``seed``."""

    op: Literal["pixel_noise"] = "pixel_noise"
    seed: int = Field(ge=0)


TextureOp = Annotated[FaceBlur | FacePixelate | PatchShuffle | Stylize | HueShift, Field(discriminator="op")]
ImageOp = Annotated[HueShift | ColorJitter | PixelNoise, Field(discriminator="op")]
PrivacyOp = FaceBlur | FacePixelate | PatchShuffle | Stylize | HueShift | ColorJitter | PixelNoise


class PrivacyParams(BaseModel):
    """A spec's ``privacy`` section: how strong, and which operators go where.

    The strength of attempt ``a`` is ``min(1, strength + step * a)``; attempts after the
    first happen only after an audit reject (or a revocation), so each re-synthesis is
    perturbed more. Textures of assets flagged ``contains_person`` or ``identifiable``
    always get the ``flagged`` operators, at least at ``flagged_strength``; the other
    lists apply only while the strength is above 0.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    strength: Strength = Field(0.0, description="strength at the first attempt")
    step: Strength = Field(0.25, description="added at each re-synthesis attempt; capped at 1")
    flagged_strength: float = Field(
        0.5, gt=0.0, le=1.0, description="the least strength flagged textures get, on every attempt"
    )
    flagged: tuple[TextureOpName, ...] = Field(
        ("face_blur", "patch_shuffle"), description="texture operators for assets showing people"
    )
    textures: tuple[TextureOpName, ...] = Field((), description="texture operators for every other image")
    materials: tuple[Literal["hue_shift"], ...] = Field(("hue_shift",), description="shading and hue shifts")
    image: tuple[ImageOpName, ...] = Field(
        ("color_jitter", "pixel_noise"), description="perturbations of the rendered frame"
    )

    @model_validator(mode="after")
    def _flagged_anonymized(self) -> PrivacyParams:
        if not ANONYMIZING_OPS & set(self.flagged):
            names = ", ".join(sorted(ANONYMIZING_OPS))
            raise ValueError(f"flagged: textures showing people need one of {names}")
        return self

    def strength_at(self, attempt: int) -> float:
        """The strength of attempt ``attempt`` (0 first), capped at 1."""
        return round(min(1.0, self.strength + self.step * attempt), 6)


class TextureTreatment(BaseModel):
    """The operators applied to one texture asset (by id), in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset: str
    flagged: bool
    ops: tuple[TextureOp, ...]


class PrivacyNode(BaseModel):
    """What privacy perturbation an image got: its strength and every applied operator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strength: Strength
    textures: tuple[TextureTreatment, ...] = ()
    materials: tuple[HueShift, ...] = ()
    image: tuple[ImageOp, ...] = ()

    def texture_ops(self) -> dict[str, tuple[TextureOp, ...]]:
        """Asset id -> the operators its image gets."""
        return {treatment.asset: treatment.ops for treatment in self.textures}


def _signed(rng: np.random.Generator, scale: float) -> float:
    return round(float(rng.uniform(-1.0, 1.0)) * scale, 6)


def sample_op(name: str, strength: float, *, rng: np.random.Generator) -> PrivacyOp:
    """Draw operator ``name`` at ``strength``; each draws a fixed number of values, whatever the strength."""
    strength = round(float(strength), 6)
    if name == "face_blur":
        return FaceBlur(strength=strength)
    if name == "face_pixelate":
        return FacePixelate(strength=strength)
    if name == "patch_shuffle":
        return PatchShuffle(strength=strength, seed=int(rng.integers(_SEED_LIMIT)))
    if name == "stylize":
        return Stylize(strength=strength)
    if name == "hue_shift":
        direction = 1.0 if rng.random() < 0.5 else -1.0
        return HueShift(
            strength=strength,
            hue=round(direction * 0.5 * strength, 6),
            saturation=round(1.0 + _signed(rng, 0.5 * strength), 6),
            value=round(1.0 + _signed(rng, 0.3 * strength), 6),
        )
    if name == "color_jitter":
        gains = tuple(round(1.0 + _signed(rng, 0.3 * strength), 6) for _ in range(3))
        return ColorJitter(strength=strength, gains=gains, offset=_signed(rng, 20.0 * strength))  # type: ignore[arg-type]
    if name == "pixel_noise":
        return PixelNoise(strength=strength, seed=int(rng.integers(_SEED_LIMIT)))
    raise ValueError(f"unknown privacy operator {name!r}")


def detect_faces(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Faces as (left, top, right, bottom), ends exclusive, in ``rgb``'s pixels.

    The auditor's detector (:func:`simulacra.audit.faces.detect_faces`): frontal and
    turned faces from ~20 px, so what the audit would find is what gets anonymized.
    """
    from simulacra.audit.faces import detect_faces as find

    h, w = rgb.shape[:2]
    boxes = []
    for face in find(rgb):
        right, bottom = min(w, face.right + 1), min(h, face.bottom + 1)
        if right > face.left and bottom > face.top:
            boxes.append((face.left, face.top, right, bottom))
    return boxes


def _grown(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int, int]:
    """``box`` grown by the face margin, clipped to the image; also returns the face's side."""
    left, top, right, bottom = box
    side = max(right - left, bottom - top)
    pad = round(_FACE_MARGIN * side)
    return (
        max(0, left - pad),
        max(0, top - pad),
        min(shape[1], right + pad),
        min(shape[0], bottom + pad),
        side,
    )


def _face_blur(rgb: np.ndarray, op: FaceBlur) -> np.ndarray:
    out = rgb.copy()
    for box in detect_faces(rgb):
        left, top, right, bottom, side = _grown(box, rgb.shape)
        sigma = max(0.5, 0.4 * op.strength * side)
        region = np.ascontiguousarray(rgb[top:bottom, left:right])
        out[top:bottom, left:right] = cv2.GaussianBlur(
            region, (0, 0), sigmaX=sigma, borderType=cv2.BORDER_REFLECT
        )
    return out


def _face_pixelate(rgb: np.ndarray, op: FacePixelate) -> np.ndarray:
    out = rgb.copy()
    for box in detect_faces(rgb):
        left, top, right, bottom, side = _grown(box, rgb.shape)
        block = max(2.0, (0.05 + 0.2 * op.strength) * side)
        w, h = right - left, bottom - top
        coarse = cv2.resize(
            np.ascontiguousarray(rgb[top:bottom, left:right]),
            (max(1, round(w / block)), max(1, round(h / block))),
            interpolation=cv2.INTER_AREA,
        )
        out[top:bottom, left:right] = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_NEAREST)
    return out


def _patch_shuffle(rgb: np.ndarray, op: PatchShuffle) -> np.ndarray:
    cells = 2 + round(14 * op.strength)
    h, w = rgb.shape[:2]
    ph, pw = h // cells, w // cells
    if ph == 0 or pw == 0:
        raise ValueError(f"patch_shuffle: a {w}x{h} image is too small for {cells} patches a side")
    tiles = (
        rgb[: ph * cells, : pw * cells]
        .reshape(cells, ph, cells, pw, *rgb.shape[2:])
        .swapaxes(1, 2)
        .reshape(cells * cells, ph, pw, *rgb.shape[2:])
    )
    cycle = np.random.default_rng(op.seed).permutation(cells * cells)
    order = np.empty_like(cycle)
    order[cycle] = np.roll(cycle, 1)  # one cycle through every tile: none stays in place
    shuffled = tiles[order].reshape(cells, cells, ph, pw, *rgb.shape[2:]).swapaxes(1, 2)
    out = rgb.copy()
    out[: ph * cells, : pw * cells] = shuffled.reshape(ph * cells, pw * cells, *rgb.shape[2:])
    return out


def _stylize(rgb: np.ndarray, op: Stylize) -> np.ndarray:
    smooth = cv2.edgePreservingFilter(
        np.ascontiguousarray(rgb),
        flags=cv2.RECURS_FILTER,
        sigma_s=60.0 * op.strength,
        sigma_r=0.4 * op.strength,
    )
    step = 1 + round(63 * op.strength)
    return np.clip((smooth // step) * step + step // 2, 0, 255).astype(np.uint8)


def _hue_shift(rgb: np.ndarray, op: HueShift) -> np.ndarray:
    hsv = cv2.cvtColor(rgb.astype(np.float32) / 255.0, cv2.COLOR_RGB2HSV)  # H in degrees
    hsv[..., 0] = (hsv[..., 0] + 360.0 * op.hue) % 360.0
    hsv[..., 1] = np.clip(hsv[..., 1] * op.saturation, 0.0, 1.0)
    hsv[..., 2] = np.clip(hsv[..., 2] * op.value, 0.0, 1.0)
    return np.clip(np.rint(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB) * 255.0), 0, 255).astype(np.uint8)


def _color_jitter(rgb: np.ndarray, op: ColorJitter) -> np.ndarray:
    out = rgb.astype(np.float32) * np.asarray(op.gains, np.float32) + op.offset
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _pixel_noise(rgb: np.ndarray, op: PixelNoise) -> np.ndarray:
    noise = np.random.default_rng(op.seed).normal(0.0, 12.0 * op.strength, rgb.shape)
    return np.clip(np.rint(rgb.astype(np.float32) + noise), 0, 255).astype(np.uint8)


_IMAGE_FUNCTIONS = {
    "face_blur": _face_blur,
    "face_pixelate": _face_pixelate,
    "patch_shuffle": _patch_shuffle,
    "stylize": _stylize,
    "hue_shift": _hue_shift,
    "color_jitter": _color_jitter,
    "pixel_noise": _pixel_noise,
}


def apply_image_ops(rgb: np.ndarray, ops: tuple[PrivacyOp, ...] | list) -> np.ndarray:
    """``rgb`` (uint8, H x W x 3) with ``ops`` applied in order; pure and deterministic.

    Example: ``apply_image_ops(frame.rgb, graph.privacy.image)``.
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected uint8 (H, W, 3) RGB; got {rgb.dtype} {rgb.shape}")
    for op in ops:
        if op.strength > 0:
            rgb = _IMAGE_FUNCTIONS[op.op](rgb, op)
    return rgb


def shift_colour(rgb: tuple[float, float, float], op: HueShift) -> tuple[float, float, float]:
    """``rgb`` hue-rotated, its saturation and value scaled (unchanged at strength 0)."""
    if op.strength == 0:
        return rgb
    hue, saturation, value = colorsys.rgb_to_hsv(*rgb)
    red, green, blue = colorsys.hsv_to_rgb(
        (hue + op.hue) % 1.0, min(1.0, saturation * op.saturation), min(1.0, value * op.value)
    )
    return (round(red, 6), round(green, 6), round(blue, 6))


def apply_material_op(material: Material, op: HueShift) -> Material:
    """``material`` with its base colour hue-rotated and its saturation and value scaled."""
    if op.strength == 0:
        return material
    return material.model_copy(update={"base_color": shift_colour(material.base_color, op)})


def apply_procedural_op(record: ProceduralMaterial, op: HueShift) -> ProceduralMaterial:
    """A procedural family with every colour it drew shifted like a plain material's base colour."""
    names = family_colours(record)
    return record.model_copy(update={name: shift_colour(getattr(record, name), op) for name in names})


def anonymize_texture_file(source: Path, target: Path, ops: tuple[PrivacyOp, ...] | list) -> Path:
    """Write image file ``source`` with ``ops`` applied to ``target`` (PNG, alpha kept); returns ``target``.

    Grey, 16-bit and float images are converted to 8-bit RGB first, as the operators expect.
    """
    pixels = cv2.imread(str(source), cv2.IMREAD_UNCHANGED)
    if pixels is None:
        raise ValueError(f"texture {source} is not a readable image")
    if np.issubdtype(pixels.dtype, np.floating):
        pixels = (np.clip(pixels, 0.0, 1.0) * 255.0).round().astype(np.uint8)
    elif pixels.dtype != np.uint8:
        pixels = (pixels.astype(np.float32) * (255.0 / np.iinfo(pixels.dtype).max)).round().astype(np.uint8)
    if pixels.ndim == 2:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR)
    alpha = pixels[..., 3:] if pixels.shape[2] == 4 else None
    rgb = apply_image_ops(np.ascontiguousarray(pixels[..., 2::-1]), ops)
    out = rgb[..., ::-1] if alpha is None else np.concatenate([rgb[..., ::-1], alpha], axis=2)
    if not cv2.imwrite(str(target), np.ascontiguousarray(out)):
        raise ValueError(f"could not write the anonymized texture {target}")
    return target
