"""Orbit camera sampling: distance, elevation and azimuth around a look-at target."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from simulacra.randomize.distributions import FloatDist, within

Vec3 = tuple[float, float, float]


class OrbitCameraParams(BaseModel):
    """Where the camera may stand, in spherical coordinates around the target (degrees, metres)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    distance_range: Annotated[FloatDist, within(1e-6)] = (1.0, 1.5)
    elevation_deg_range: Annotated[FloatDist, within(-90.0, 90.0)] = (20.0, 45.0)
    azimuth_deg_range: FloatDist = (-40.0, 40.0)
    fov_deg: Annotated[FloatDist, within(5.0, 170.0, strict=True)] = 50.0
    min_visible_pixels: int = Field(
        0, ge=0, description="redraw the camera while a labeled object shows fewer pixels; 0 = off"
    )
    max_redraws: int = Field(4, ge=0, le=64, description="camera redraws before objects under k go unlabeled")


class CameraPose(BaseModel):
    """A pinhole camera at ``location`` looking at ``look_at``; ``azimuth_deg`` is kept for placement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: Vec3
    look_at: Vec3
    fov_deg: float
    azimuth_deg: float


def orbit_offset(distance: float, elevation_deg: float, azimuth_deg: float) -> Vec3:
    """Offset from the target; azimuth 0 looks along +y (the camera stands at -y)."""
    elevation, azimuth = math.radians(elevation_deg), math.radians(azimuth_deg)
    horizontal = distance * math.cos(elevation)
    return (
        round(horizontal * math.sin(azimuth), 6),
        round(-horizontal * math.cos(azimuth), 6),
        round(distance * math.sin(elevation), 6),
    )


def sample_orbit_camera(params: OrbitCameraParams, target: Vec3, *, rng: np.random.Generator) -> CameraPose:
    """Draw one camera pose on the orbit around ``target``."""
    distance = params.distance_range.draw(rng=rng)
    elevation = params.elevation_deg_range.draw(rng=rng)
    azimuth = params.azimuth_deg_range.draw(rng=rng)
    fov_deg = params.fov_deg.draw(rng=rng)  # a constant (the default) draws nothing
    offset = orbit_offset(distance, elevation, azimuth)
    location = tuple(round(t + o, 6) for t, o in zip(target, offset, strict=True))
    return CameraPose(location=location, look_at=target, fov_deg=fov_deg, azimuth_deg=azimuth)
