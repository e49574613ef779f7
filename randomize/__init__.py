"""Seeded samplers for domain randomization (``simulacra.randomize``).

Each sampler has a params model (ranges end in ``_range``) and a ``sample_*(params, ...,
*, rng)`` function returning plain data that goes into the scene graph.
"""

from simulacra.randomize.aim import aim_rotation_deg
from simulacra.randomize.camera import CameraPose, IntrinsicsParams, OrbitCameraParams, sample_orbit_camera
from simulacra.randomize.distributions import (
    DISTRIBUTION_KINDS,
    Choice,
    Constant,
    FloatDist,
    IntDist,
    LogUniform,
    TruncatedNormal,
    Uniform,
    derive_seed,
    int_uniform,
    uniform,
    within,
    without_defaults,
)
from simulacra.randomize.lights import Light, LightKind, LightParams, sample_lights, temperature_to_rgb
from simulacra.randomize.materials import Material, MaterialParams, sample_material
from simulacra.randomize.placement import (
    place_in_volume,
    place_on_grid,
    place_on_surface,
    random_rotation_deg,
)
from simulacra.randomize.privacy import PrivacyNode, PrivacyOp, PrivacyParams, apply_image_ops
from simulacra.randomize.procedural import (
    FAMILIES,
    FAMILY_NAMES,
    FLAT,
    ProceduralMaterial,
    sample_family,
    sample_procedural,
)
from simulacra.randomize.sensor import (
    SENSOR_ORDER,
    SensorEffect,
    SensorParams,
    apply_sensor,
    sample_sensor,
)

__all__ = [
    "DISTRIBUTION_KINDS",
    "FAMILIES",
    "FAMILY_NAMES",
    "FLAT",
    "SENSOR_ORDER",
    "CameraPose",
    "Choice",
    "Constant",
    "FloatDist",
    "IntDist",
    "IntrinsicsParams",
    "Light",
    "LightKind",
    "LightParams",
    "LogUniform",
    "Material",
    "MaterialParams",
    "OrbitCameraParams",
    "PrivacyNode",
    "PrivacyOp",
    "PrivacyParams",
    "ProceduralMaterial",
    "SensorEffect",
    "SensorParams",
    "TruncatedNormal",
    "Uniform",
    "aim_rotation_deg",
    "apply_image_ops",
    "apply_sensor",
    "derive_seed",
    "int_uniform",
    "place_in_volume",
    "place_on_grid",
    "place_on_surface",
    "random_rotation_deg",
    "sample_family",
    "sample_lights",
    "sample_material",
    "sample_orbit_camera",
    "sample_procedural",
    "sample_sensor",
    "temperature_to_rgb",
    "uniform",
    "within",
    "without_defaults",
]
