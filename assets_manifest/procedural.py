"""The built-in asset library's makers: procedural meshes, poster art and sky HDRIs (trimesh, numpy).

Everything here is generated from a fixed seed, so the library is identical on every
machine, needs no download, and is CC0 with provenance ``procedural``. It is written once
into a cache folder (:mod:`simulacra.assets_manifest.library`) and then used through its
manifest like any user asset pack. trimesh and OpenCV load only when a library is built.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import trimesh

from simulacra.assets_manifest.records import AssetRecord, GeneratorRef, Manifest, sha256_of
from simulacra.assets_manifest.shapes import GENERATOR_VERSION, build_shape, mesh_bounds, shape_ply
from simulacra.randomize.shapes import SHAPES, drawn_shape_fields, middle_shape

_LIBRARY_SEED = 20261126
_VARIANTS_PER_CATEGORY = 3
_SOURCE = "simulacra built-in procedural library"


def _box(rng: np.random.Generator) -> trimesh.Trimesh:
    extents = rng.uniform([0.08, 0.06, 0.05], [0.22, 0.16, 0.18])
    return trimesh.creation.box(extents=extents)


def _can(rng: np.random.Generator) -> trimesh.Trimesh:
    return trimesh.creation.cylinder(
        radius=rng.uniform(0.03, 0.05), height=rng.uniform(0.08, 0.16), sections=40
    )


def _ball(rng: np.random.Generator) -> trimesh.Trimesh:
    return trimesh.creation.icosphere(subdivisions=3, radius=rng.uniform(0.035, 0.09))


def _bottle(rng: np.random.Generator) -> trimesh.Trimesh:
    body_r, neck_r = rng.uniform(0.03, 0.045), rng.uniform(0.01, 0.016)
    body_h, neck_h = rng.uniform(0.12, 0.2), rng.uniform(0.04, 0.07)
    shoulder = body_h + rng.uniform(0.03, 0.05)
    profile = [
        [0, 0],
        [body_r, 0],
        [body_r, body_h],
        [neck_r, shoulder],
        [neck_r, shoulder + neck_h],
        [0, shoulder + neck_h],
    ]
    return trimesh.creation.revolve(np.array(profile), sections=40)


def _mug(rng: np.random.Generator) -> trimesh.Trimesh:
    radius, height = rng.uniform(0.035, 0.05), rng.uniform(0.08, 0.11)
    body = trimesh.creation.cylinder(radius=radius, height=height, sections=40)
    handle = trimesh.creation.torus(major_radius=height * 0.3, minor_radius=0.008)
    handle.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, [1, 0, 0]))
    handle.apply_translation([radius, 0, 0])
    return trimesh.util.concatenate([body, handle])


def _lathe(profile: list[list[float]]) -> trimesh.Trimesh:
    """A closed solid of revolution from a (radius, height) outline running axis to axis."""
    return trimesh.creation.revolve(np.array(profile), sections=40)


def _bowl(rng: np.random.Generator) -> trimesh.Trimesh:
    rim, foot, height = rng.uniform(0.06, 0.09), rng.uniform(0.025, 0.04), rng.uniform(0.04, 0.07)
    wall = 0.006
    return _lathe([[0, 0], [foot, 0], [rim, height], [rim - wall, height], [foot - wall, wall], [0, wall]])


def _plate(rng: np.random.Generator) -> trimesh.Trimesh:
    rim, well, height = rng.uniform(0.09, 0.13), rng.uniform(0.05, 0.08), rng.uniform(0.012, 0.02)
    return _lathe([[0, 0], [well, 0], [rim, height], [rim - 0.008, height], [well, 0.006], [0, 0.006]])


def _cup(rng: np.random.Generator) -> trimesh.Trimesh:
    top, bottom, height = rng.uniform(0.035, 0.045), rng.uniform(0.022, 0.03), rng.uniform(0.08, 0.12)
    inner = [[top - 0.003, height], [bottom - 0.003, 0.004], [0, 0.004]]
    return _lathe([[0, 0], [bottom, 0], [top, height], *inner])


def _vase(rng: np.random.Generator) -> trimesh.Trimesh:
    base, belly, neck, height = (
        rng.uniform(0.03, 0.04),
        rng.uniform(0.045, 0.07),
        rng.uniform(0.018, 0.03),
        rng.uniform(0.16, 0.26),
    )
    return _lathe(
        [[0, 0], [base, 0], [belly, height * 0.4], [neck, height * 0.85], [neck * 1.3, height], [0, height]]
    )


def _glass(rng: np.random.Generator) -> trimesh.Trimesh:
    foot, stem, bowl, height = (
        rng.uniform(0.03, 0.04),
        rng.uniform(0.004, 0.007),
        rng.uniform(0.035, 0.045),
        rng.uniform(0.15, 0.2),
    )
    return _lathe(
        [
            [0, 0],
            [foot, 0],
            [foot, 0.004],
            [stem, 0.01],
            [stem, height * 0.45],
            [bowl, height * 0.7],
            [bowl * 0.85, height],
            [0, height],
        ]
    )


def _book(rng: np.random.Generator) -> trimesh.Trimesh:
    width, depth, thickness = rng.uniform(0.13, 0.17), rng.uniform(0.18, 0.24), rng.uniform(0.015, 0.05)
    cover = trimesh.creation.box(extents=[width, depth, thickness])
    # The page block sits back from the fore edge, so the spine and covers read as a book.
    pages = trimesh.creation.box(extents=[width - 0.006, depth - 0.006, thickness - 0.004])
    pages.apply_translation([0.004, 0, 0])
    return trimesh.util.concatenate([cover, pages])


MESH_MAKERS: dict[str, Callable[[np.random.Generator], trimesh.Trimesh]] = {
    "box": _box,
    "can": _can,
    "ball": _ball,
    "bottle": _bottle,
    "mug": _mug,
    "bowl": _bowl,
    "plate": _plate,
    "cup": _cup,
    "vase": _vase,
    "glass": _glass,
    "book": _book,
}


def _poster_art(rng: np.random.Generator, size: int = 256) -> np.ndarray:
    """Abstract art (overlapping rectangles and discs on a gradient): a clean poster texture."""
    ramp = np.linspace(0, 1, size, dtype=np.float32)[:, None, None]
    low, high = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    image = (low + (high - low) * ramp) * np.ones((size, size, 3), np.float32)
    for _ in range(int(rng.integers(4, 9))):
        color = tuple(float(c) for c in rng.uniform(0, 255, 3))
        x0, y0 = (int(v) for v in rng.integers(0, size, 2))
        if rng.random() < 0.5:
            x1, y1 = (int(v) for v in rng.integers(0, size, 2))
            cv2.rectangle(image, (x0, y0), (x1, y1), color, thickness=-1)
        else:
            cv2.circle(image, (x0, y0), int(rng.integers(10, size // 3)), color, thickness=-1)
    return np.clip(image, 0, 255).astype(np.uint8)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Value noise in [0, 1]: a coarse random grid upsampled smoothly."""
    grid = rng.random((cells, cells)).astype(np.float32)
    return cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _tint(value: np.ndarray, dark: np.ndarray, light: np.ndarray) -> np.ndarray:
    return (dark + (light - dark) * value[..., None]).clip(0, 255).astype(np.uint8)


def _noise_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    value = sum(_smooth_noise(rng, size, cells) / octave for octave, cells in ((1, 4), (2, 16), (4, 64)))
    return _tint(value / 1.75, rng.uniform(0, 120, 3), rng.uniform(130, 255, 3))


def _stripes_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    period = int(rng.integers(12, 48))
    bands = ((np.arange(size) // (period // 2)) % 2).astype(np.float32)
    value = np.broadcast_to(bands[None, :], (size, size))
    return _tint(value, rng.uniform(0, 255, 3), rng.uniform(0, 255, 3))


def _checker_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    cell = int(rng.integers(16, 64))
    ys, xs = np.mgrid[0:size, 0:size] // cell
    return _tint(((xs + ys) % 2).astype(np.float32), rng.uniform(0, 100, 3), rng.uniform(150, 255, 3))


def _wood_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    xs = np.mgrid[0:size, 0:size][1].astype(np.float32) / size
    warp = _smooth_noise(rng, size, 6) * rng.uniform(2, 5)
    rings = (np.sin((xs * rng.uniform(8, 20) + warp) * np.pi) + 1) / 2
    grain = _smooth_noise(rng, size, 96) * 0.25
    brown = np.array([30.0, 60.0, 110.0])  # BGR: OpenCV writes blue first
    return _tint((rings * 0.75 + grain).clip(0, 1), brown * 0.5, brown * 1.8 + rng.uniform(0, 20, 3))


def _marble_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    turbulence = sum(_smooth_noise(rng, size, cells) / octave for octave, cells in ((1, 5), (2, 11), (4, 23)))
    veins = np.abs(np.sin((xs + ys + turbulence * rng.uniform(1.5, 3)) * np.pi * rng.uniform(3, 6)))
    return _tint(veins**0.4, rng.uniform(60, 120, 3), rng.uniform(215, 250, 3))


TEXTURE_MAKERS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "noise": _noise_texture,
    "stripes": _stripes_texture,
    "checker": _checker_texture,
    "wood": _wood_texture,
    "marble": _marble_texture,
}


def _sky_hdri(
    zenith: tuple[float, float, float],
    horizon: tuple[float, float, float],
    ground: tuple[float, float, float],
    sun: tuple[float, float, float],
    sun_elevation_deg: float,
    width: int = 256,
) -> np.ndarray:
    """An equirectangular sky (float32 RGB, linear): a zenith-to-horizon gradient, a dim
    ground below the horizon and a sun disc of radiance ``sun`` with a soft glow.

    The sun is 2.5 degrees in radius, far larger than the real one, so a small map still
    resolves it and it casts visible shadows; rows run from the zenith down, columns
    over the azimuth as Blender's environment texture reads them.
    """
    height = width // 2
    elevation = np.radians(90.0 - (np.arange(height) + 0.5) / height * 180.0)[:, None]
    azimuth = ((np.arange(width) + 0.5) / width * 2.0 - 1.0)[None, :] * np.pi
    up = np.clip(np.sin(elevation), 0.0, 1.0) ** 0.5
    sky = np.asarray(horizon) + (np.asarray(zenith) - np.asarray(horizon)) * up[..., None]
    image = np.where((elevation > 0)[..., None], sky, np.asarray(ground)) * np.ones((height, width, 1))
    sun_alt = np.radians(sun_elevation_deg)
    cos_angle = np.sin(elevation) * np.sin(sun_alt) + np.cos(elevation) * np.cos(sun_alt) * np.cos(azimuth)
    angle = np.degrees(np.arccos(np.clip(cos_angle, -1.0, 1.0)))
    disc = np.clip(2.5 + 0.7 - angle, 0.0, 1.0)  # soft-edged: fully lit inside 2.5 degrees
    glow = 0.02 * np.exp(-angle / 8.0)
    image = image + (disc + glow)[..., None] * np.asarray(sun)
    return image.astype(np.float32)


# Built-in HDRIs (id stem -> zenith, horizon, ground, sun radiance, sun elevation in degrees):
# a sun of radiance 500 over the disc gives about 3 W/m^2, like the spec's SUN lights.
SKY_HDRIS: dict[str, tuple] = {
    "sky_noon": ((0.25, 0.45, 0.9), (0.8, 0.9, 1.05), (0.22, 0.2, 0.18), (500.0, 480.0, 450.0), 60.0),
    "sky_sunset": ((0.12, 0.16, 0.4), (1.0, 0.55, 0.3), (0.12, 0.1, 0.09), (450.0, 260.0, 120.0), 8.0),
}


def _rest_on_ground(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """Center the mesh on the z axis with its lowest point at z = 0."""
    low, high = mesh.bounds
    mesh.apply_translation([-(low[0] + high[0]) / 2, -(low[1] + high[1]) / 2, -low[2]])
    return mesh


def _record(root: Path, relative: str, **fields: object) -> AssetRecord:
    """A CC0, procedural record for a file just written below ``root``."""
    return AssetRecord(
        id=f"builtin:{Path(relative).stem}",
        path=relative,
        sha256=sha256_of(root / relative),
        license="CC0-1.0",
        source=_SOURCE,
        provenance="procedural",
        **fields,
    )


def build_library(root: Path) -> Manifest:
    """Generate the built-in library into ``root`` and write its manifest."""
    rng = np.random.default_rng(_LIBRARY_SEED)
    (root / "meshes").mkdir(parents=True, exist_ok=True)
    (root / "textures").mkdir(parents=True, exist_ok=True)
    records = []
    for category, make in MESH_MAKERS.items():
        for variant in range(_VARIANTS_PER_CATEGORY):
            mesh = _rest_on_ground(make(rng))
            relative = f"meshes/{category}_{variant}.ply"
            mesh.export(root / relative)
            records.append(_record(root, relative, kind="mesh", category=category, bounds=mesh_bounds(mesh)))
    for variant in range(3):
        relative = f"textures/poster_art_{variant}.png"
        cv2.imwrite(str(root / relative), _poster_art(rng))
        records.append(_record(root, relative, kind="texture"))
    # Procedural surface textures are one-map materials (color) for the material randomizer.
    (root / "materials").mkdir(exist_ok=True)
    for name, make in TEXTURE_MAKERS.items():
        relative = f"materials/{name}_color.png"
        cv2.imwrite(str(root / relative), make(rng, 256))
        records.append(_record(root, relative, kind="texture", material=f"builtin_{name}", map="color"))
    # HDRIs come last and draw nothing, so every earlier file (and its hash) stays the same.
    (root / "hdri").mkdir(exist_ok=True)
    for name, params in SKY_HDRIS.items():
        relative = f"hdri/{name}.hdr"
        cv2.imwrite(str(root / relative), _sky_hdri(*params)[..., ::-1])  # OpenCV writes BGR
        records.append(_record(root, relative, kind="hdri"))
    records += _shape_records(root)
    manifest = Manifest(root=root, assets=tuple(records))
    manifest.save()
    return manifest


def _shape_records(root: Path) -> list[AssetRecord]:
    """One record per shape generator, its file the generator at the middle of its ranges.

    They draw nothing from the library's generator, so every earlier file keeps its bytes;
    scenes draw new shapes from them only with ``objects.meshes: generated``.
    """
    (root / "shapes").mkdir(exist_ok=True)
    records = []
    for name, model in SHAPES.items():
        shape = middle_shape(name)
        relative = f"shapes/shape_{name}.ply"
        (root / relative).write_bytes(shape_ply(shape))
        values = {field: getattr(shape, field) for field in drawn_shape_fields(model)}
        generator = GeneratorRef(name=name, version=GENERATOR_VERSION, parameters=values)
        records.append(
            _record(
                root,
                relative,
                kind="mesh",
                category=name,
                bounds=mesh_bounds(build_shape(shape)),
                generator=generator,
            )
        )
    return records
