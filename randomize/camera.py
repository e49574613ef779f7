"""Orbit camera sampling: distance, elevation and azimuth around a look-at target, and intrinsics.

By default the camera is a square-pixel pinhole with a horizontal ``fov_deg`` and the
principal point at the image centre. ``intrinsics`` replaces that with a drawn K matrix
(focal lengths in pixels or a focal length and sensor width in millimetres, principal
point and its jitter), recorded in the pose as ``k``. Specs without it draw nothing for it.
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_serializer, model_validator
from pydantic_core import to_jsonable_python

from simulacra.randomize.distributions import FloatDist, uniform, within, without_defaults

Vec3 = tuple[float, float, float]
KMatrix = tuple[Vec3, Vec3, Vec3]
_Positive = Annotated[FloatDist, within(1e-6)]
_FOV_DEG = 50.0
_SENSOR_WIDTH_MM = 36.0  # full frame, Blender's default sensor width


class IntrinsicsParams(BaseModel):
    """A pinhole K matrix: give ``fx`` (pixels) or ``focal_length_mm`` (with ``sensor_width_mm``).

    ``fy`` defaults to ``fx`` (square pixels); ``cx``/``cy`` (pixels, OpenCV convention:
    pixel centres at integers) default to the image centre, ``(width - 1) / 2``. Each is
    then moved by a uniform draw within +-``principal_point_jitter_px``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    fx: _Positive | None = Field(None, description="focal length along x, pixels")
    fy: _Positive | None = Field(None, description="focal length along y, pixels; default fx")
    focal_length_mm: _Positive | None = None
    sensor_width_mm: float = Field(_SENSOR_WIDTH_MM, gt=0.0, le=200.0, description="with focal_length_mm")
    cx: FloatDist | None = Field(None, description="principal point x, pixels; default the image centre")
    cy: FloatDist | None = Field(None, description="principal point y, pixels; default the image centre")
    principal_point_jitter_px: float = Field(0.0, ge=0.0, le=1000.0)

    @model_validator(mode="after")
    def _one_focal_length(self) -> IntrinsicsParams:
        if (self.fx is None) == (self.focal_length_mm is None):
            raise ValueError(
                "give the focal length as fx (pixels) or as focal_length_mm, exactly one of them"
            )
        if self.fy is not None and self.fx is None:
            raise ValueError("fy: only used with fx (give both focal lengths in pixels)")
        if self.sensor_width_mm != _SENSOR_WIDTH_MM and self.focal_length_mm is None:
            raise ValueError("sensor_width_mm: only used with focal_length_mm")
        return self

    @model_serializer(mode="wrap")
    def _short(self, handler):
        # Only what was given: unset focal lengths and principal points, and defaults, are left out.
        data = {name: value for name, value in handler(self).items() if value is not None}
        if self.sensor_width_mm == _SENSOR_WIDTH_MM:
            data.pop("sensor_width_mm")
        if self.principal_point_jitter_px == 0.0:
            data.pop("principal_point_jitter_px")
        return data

    def check_image(self, resolution: tuple[int, int]) -> None:
        """Raise ValueError (naming the field) when a principal point could fall outside the image."""
        for name, size in (("cx", resolution[0]), ("cy", resolution[1])):
            value = getattr(self, name)
            low, high = value.support() if value is not None else ((size - 1) / 2, (size - 1) / 2)
            jitter = self.principal_point_jitter_px
            if low - jitter < -0.5 or high + jitter > size - 0.5:
                raise ValueError(
                    f"intrinsics.{name}: principal point may leave the {size}-pixel image "
                    f"([{low - jitter:g}, {high + jitter:g}] with jitter)"
                )


class OrbitCameraParams(BaseModel):
    """Where the camera may stand, in spherical coordinates around the target (degrees, metres).

    ``views`` images are rendered of each scene: image ``i`` is view ``i % views`` of scene
    ``i // views``; every view draws its own camera (and intrinsics) around the same scene.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    distance_range: Annotated[FloatDist, within(1e-6)] = (1.0, 1.5)
    elevation_deg_range: Annotated[FloatDist, within(-90.0, 90.0)] = (20.0, 45.0)
    azimuth_deg_range: FloatDist = (-40.0, 40.0)
    fov_deg: Annotated[FloatDist, within(5.0, 170.0, strict=True)] = _FOV_DEG
    min_visible_pixels: int = Field(
        0, ge=0, description="redraw the camera while a labeled object shows fewer pixels; 0 = off"
    )
    max_redraws: int = Field(4, ge=0, le=64, description="camera redraws before objects under k go unlabeled")
    intrinsics: IntrinsicsParams | None = Field(None, description="a K matrix instead of fov_deg")
    views: int = Field(1, ge=1, le=1000, description="images per scene, each from its own camera")

    @model_validator(mode="after")
    def _fov_or_intrinsics(self) -> OrbitCameraParams:
        if self.intrinsics is not None and to_jsonable_python(self.fov_deg) != _FOV_DEG:
            raise ValueError("fov_deg: give either fov_deg or intrinsics, not both")
        return self

    @model_serializer(mode="wrap")
    def _short(self, handler):
        # Fields added after the first release are left out at their defaults: old specs dump the same.
        data = handler(self)
        if self.intrinsics is None:
            data.pop("intrinsics", None)
        return without_defaults(self, data, ("views",))


class CameraPose(BaseModel):
    """A pinhole camera at ``location`` looking at ``look_at``; ``azimuth_deg`` is kept for placement.

    ``k`` is the K matrix (pixels, OpenCV convention) when the spec gave intrinsics; then
    ``fov_deg`` is the horizontal field of view it implies, for reading only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: Vec3
    look_at: Vec3
    fov_deg: float
    azimuth_deg: float
    k: KMatrix | None = None


def orbit_offset(distance: float, elevation_deg: float, azimuth_deg: float) -> Vec3:
    """Offset from the target; azimuth 0 looks along +y (the camera stands at -y)."""
    elevation, azimuth = math.radians(elevation_deg), math.radians(azimuth_deg)
    horizontal = distance * math.cos(elevation)
    return (
        round(horizontal * math.sin(azimuth), 6),
        round(-horizontal * math.cos(azimuth), 6),
        round(distance * math.sin(elevation), 6),
    )


def sample_intrinsics(
    params: IntrinsicsParams, resolution: tuple[int, int], *, rng: np.random.Generator
) -> KMatrix:
    """Draw one K matrix for an image of ``resolution`` (width, height); constants draw nothing."""
    width, height = resolution
    if params.fx is not None:
        fx = params.fx.draw(rng=rng)
        fy = params.fy.draw(rng=rng) if params.fy is not None else fx
    else:
        fx = fy = round(params.focal_length_mm.draw(rng=rng) * width / params.sensor_width_mm, 6)  # type: ignore[union-attr]
    cx = params.cx.draw(rng=rng) if params.cx is not None else (width - 1) / 2
    cy = params.cy.draw(rng=rng) if params.cy is not None else (height - 1) / 2
    jitter = params.principal_point_jitter_px
    if jitter > 0:
        cx, cy = cx + uniform((-jitter, jitter), rng=rng), cy + uniform((-jitter, jitter), rng=rng)
    return ((fx, 0.0, round(cx, 6)), (0.0, fy, round(cy, 6)), (0.0, 0.0, 1.0))


def sample_orbit_camera(
    params: OrbitCameraParams,
    target: Vec3,
    *,
    rng: np.random.Generator,
    resolution: tuple[int, int] | None = None,
) -> CameraPose:
    """Draw one camera pose on the orbit around ``target``.

    ``resolution`` (width, height) is needed only when ``params.intrinsics`` is set; the
    intrinsics are drawn after the pose, so specs without them keep their draws.
    """
    distance = params.distance_range.draw(rng=rng)
    elevation = params.elevation_deg_range.draw(rng=rng)
    azimuth = params.azimuth_deg_range.draw(rng=rng)
    fov_deg = params.fov_deg.draw(rng=rng)  # a constant (the default) draws nothing
    offset = orbit_offset(distance, elevation, azimuth)
    location = tuple(round(t + o, 6) for t, o in zip(target, offset, strict=True))
    k = None
    if params.intrinsics is not None:
        if resolution is None:
            raise ValueError("camera intrinsics need the image resolution")
        k = sample_intrinsics(params.intrinsics, resolution, rng=rng)
        fov_deg = round(math.degrees(2 * math.atan(resolution[0] / (2 * k[0][0]))), 6)
    return CameraPose(location=location, look_at=target, fov_deg=fov_deg, azimuth_deg=azimuth, k=k)
