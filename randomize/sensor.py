"""Sensor effects applied to a rendered frame: a seeded, composable camera model.

``sample_sensor(params, rng=...)`` draws which effects an image gets and their values
(recorded in the scene graph); ``apply_sensor(rgb, effects, seed=...)`` applies them,
purely, in the fixed order of :data:`SENSOR_ORDER` (lens, then sensor, then encoder)
whatever order the list holds. Effects change pixels only: masks, depth and boxes stay
the geometric truth, so blur and chromatic aberration do not move labels.
"""

from __future__ import annotations

from typing import Annotated, Literal

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer

from simulacra.randomize.distributions import FloatDist, IntDist, derive_seed, within

SENSOR_ORDER = ("chromatic_aberration", "blur", "vignetting", "exposure", "noise", "jpeg")
_NOISE_STREAM = 0x5E5 << 20  # far above any camera redraw number, so the noise stream is its own


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    probability: float = Field(1.0, ge=0.0, le=1.0, description="chance an image gets this effect")


class ChromaticAberrationParams(_Params):
    """Lateral chromatic aberration: red magnified, blue shrunk, by ``shift_px`` at the half-width."""

    shift_px_range: Annotated[FloatDist, within(0.0, 32.0)] = (0.5, 1.5)


class BlurParams(_Params):
    """Gaussian defocus blur, sigma in pixels."""

    sigma_range: Annotated[FloatDist, within(0.0, 32.0)] = (0.5, 1.5)


class VignettingParams(_Params):
    """Corners darkened by ``strength`` (0: none, 1: black), falling off with radius squared."""

    strength_range: Annotated[FloatDist, within(0.0, 1.0)] = (0.1, 0.4)


class ExposureParams(_Params):
    """Exposure change in EV (stops), applied in linear light: +1 doubles the light."""

    ev_range: Annotated[FloatDist, within(-10.0, 10.0)] = (-0.5, 0.5)


class NoiseParams(_Params):
    """Additive Gaussian sensor noise, sigma in 8-bit grey levels."""

    sigma_range: Annotated[FloatDist, within(0.0, 128.0)] = (1.0, 4.0)


class JpegParams(_Params):
    """JPEG compression round trip at ``quality`` (1-100)."""

    quality_range: Annotated[IntDist, within(1, 100)] = (60, 95)


class SensorParams(BaseModel):
    """Which sensor effects a spec allows; an effect left out never applies."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    chromatic_aberration: ChromaticAberrationParams | None = None
    blur: BlurParams | None = None
    vignetting: VignettingParams | None = None
    exposure: ExposureParams | None = None
    noise: NoiseParams | None = None
    jpeg: JpegParams | None = None

    @model_serializer(mode="wrap")
    def _without_absent(self, handler):
        return {key: value for key, value in handler(self).items() if value is not None}


class _Applied(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChromaticAberration(_Applied):
    effect: Literal["chromatic_aberration"] = "chromatic_aberration"
    shift_px: float


class Blur(_Applied):
    effect: Literal["blur"] = "blur"
    sigma: float


class Vignetting(_Applied):
    effect: Literal["vignetting"] = "vignetting"
    strength: float


class Exposure(_Applied):
    effect: Literal["exposure"] = "exposure"
    ev: float


class Noise(_Applied):
    effect: Literal["noise"] = "noise"
    sigma: float


class Jpeg(_Applied):
    effect: Literal["jpeg"] = "jpeg"
    quality: int


SensorEffect = Annotated[
    ChromaticAberration | Blur | Vignetting | Exposure | Noise | Jpeg, Field(discriminator="effect")
]


def sample_sensor(params: SensorParams, *, rng: np.random.Generator) -> tuple[SensorEffect, ...]:
    """Draw the applied effects, in :data:`SENSOR_ORDER`; an effect absent from ``params`` draws nothing."""
    draws = {
        "chromatic_aberration": lambda p: ChromaticAberration(shift_px=p.shift_px_range.draw(rng=rng)),
        "blur": lambda p: Blur(sigma=p.sigma_range.draw(rng=rng)),
        "vignetting": lambda p: Vignetting(strength=p.strength_range.draw(rng=rng)),
        "exposure": lambda p: Exposure(ev=p.ev_range.draw(rng=rng)),
        "noise": lambda p: Noise(sigma=p.sigma_range.draw(rng=rng)),
        "jpeg": lambda p: Jpeg(quality=p.quality_range.draw(rng=rng)),
    }
    effects = []
    for name in SENSOR_ORDER:
        effect_params = getattr(params, name)
        if effect_params is not None and rng.random() < effect_params.probability:
            effects.append(draws[name](effect_params))
    return tuple(effects)


def _srgb_to_linear(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * x ** (1 / 2.4) - 0.055)


def _scaled(channel: np.ndarray, factor: float) -> np.ndarray:
    """``channel`` magnified by ``factor`` about the image centre (edge pixels repeat)."""
    h, w = channel.shape
    cx, cy = (w - 1) / 2, (h - 1) / 2
    matrix = np.array([[factor, 0.0, cx * (1 - factor)], [0.0, factor, cy * (1 - factor)]])
    return cv2.warpAffine(channel, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _apply_one(image: np.ndarray, effect: SensorEffect, seed: int) -> np.ndarray:
    """One effect on a float32 (H, W, 3) image in 0..255."""
    h, w = image.shape[:2]
    if isinstance(effect, ChromaticAberration):
        if effect.shift_px == 0:
            return image
        factor = effect.shift_px / (max(h, w) / 2)
        out = image.copy()
        out[..., 0] = _scaled(image[..., 0], 1 + factor)
        out[..., 2] = _scaled(image[..., 2], 1 - factor)
        return out
    if isinstance(effect, Blur):
        return image if effect.sigma == 0 else cv2.GaussianBlur(image, (0, 0), sigmaX=effect.sigma)
    if isinstance(effect, Vignetting):
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        radius2 = ((x - cx) ** 2 + (y - cy) ** 2) / (cx**2 + cy**2)  # 1 in the corners
        return image * (1 - effect.strength * radius2)[..., None]
    if isinstance(effect, Exposure):
        linear = _srgb_to_linear(np.clip(image, 0, 255) / 255.0) * 2.0**effect.ev
        return (_linear_to_srgb(linear) * 255.0).astype(np.float32)
    if isinstance(effect, Noise):
        rng = np.random.default_rng(derive_seed(seed, _NOISE_STREAM))
        return image + rng.normal(0.0, effect.sigma, image.shape).astype(np.float32)
    if isinstance(effect, Jpeg):
        bgr = cv2.cvtColor(np.clip(np.rint(image), 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, effect.quality])
        if not ok:
            raise ValueError(f"JPEG encoding at quality {effect.quality} failed")
        return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB).astype(np.float32)
    raise TypeError(f"unknown sensor effect {effect!r}")


def apply_sensor(rgb: np.ndarray, effects: tuple[SensorEffect, ...] | list, *, seed: int) -> np.ndarray:
    """``rgb`` (uint8, H x W x 3) with ``effects`` applied in :data:`SENSOR_ORDER`.

    Pure and deterministic: noise comes from a generator derived from ``seed`` (the
    graph's image seed), so a graph replays to the same pixels.

    Example: ``apply_sensor(frame.rgb, graph.sensor or (), seed=graph.seed)``.
    """
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected uint8 (H, W, 3) RGB; got {rgb.dtype} {rgb.shape}")
    if not effects:
        return rgb
    image = rgb.astype(np.float32)
    for effect in sorted(effects, key=lambda e: SENSOR_ORDER.index(e.effect)):
        image = _apply_one(image, effect, seed)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)
