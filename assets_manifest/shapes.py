"""Procedural meshes built from drawn shape parameters: bevelled, with UVs, cached by parameters.

Every generator of :mod:`simulacra.randomize.shapes` is an outline turned about the
vertical (a lathe) or a set of rounded boxes. Corners of an outline get fillets of the
record's ``bevel`` and boxes rounded edges, so highlights run along edges as on real
objects; UVs are in metres (:data:`UV_TILE` per repeat) with seams split, and normals are
smoothed across seams, so a texture keeps one scale on every object. Nothing is drawn
here: the mesh is a pure function of its record. :class:`MeshCache` writes each mesh once
per (generator version, parameters), atomically, so the farm's workers share the files.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from simulacra.randomize import shapes as params

GENERATOR_VERSION = 1  # bump when any builder changes its output: the cache key includes it
UV_TILE = 0.1  # metres of surface per texture repeat
_SECTIONS = 48
_FILLET_POINTS = 4
_BOX_STEPS = 4


@dataclass(frozen=True)
class _Part:
    """One closed surface: vertices, triangles, UVs and smoothed vertex normals."""

    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    normals: np.ndarray

    def moved(
        self, rotation: np.ndarray | None = None, offset: tuple[float, float, float] = (0, 0, 0)
    ) -> _Part:
        """The part turned by ``rotation`` (3x3) and then shifted by ``offset``."""
        turn = np.eye(3) if rotation is None else rotation
        vertices = self.vertices @ turn.T + np.asarray(offset, dtype=float)
        return _Part(vertices, self.faces, self.uv, self.normals @ turn.T)


def _part(vertices: np.ndarray, faces: np.ndarray, uv: np.ndarray) -> _Part:
    """Drop zero-area triangles (poles, touching fillets) and smooth normals over coincident vertices."""
    corners = vertices[faces]
    weighted = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    keep = np.linalg.norm(weighted, axis=1) > 1e-12
    faces, weighted = faces[keep], weighted[keep]
    _, same = np.unique(np.round(vertices, 7), axis=0, return_inverse=True)
    same = same.reshape(-1)
    sums = np.zeros((same.max() + 1, 3))
    for corner in range(3):
        np.add.at(sums, same[faces[:, corner]], weighted)
    normals = sums[same]
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    used, faces = np.unique(faces, return_inverse=True)  # vertices only dropped triangles used go too
    return _Part(vertices[used], faces.reshape(-1, 3), uv[used], normals[used])


def _rotation(axis: tuple[float, float, float], degrees: float) -> np.ndarray:
    return trimesh.transformations.rotation_matrix(np.radians(degrees), axis)[:3, :3]


def _rounded(outline: list[list[float]], radius: float, *, closed: bool = False) -> np.ndarray:
    """The (radius, height) outline with each corner replaced by a fillet of about ``radius``.

    An open outline keeps its two ends (on the axis); a fillet never takes more than half
    of either side, so neighbouring fillets cannot cross.
    """
    points = np.asarray(outline, dtype=float)
    count = len(points)
    corners = range(count) if closed else range(1, count - 1)
    result = [] if closed else [points[0]]
    steps = np.linspace(0.0, 1.0, _FILLET_POINTS)[:, None]
    for index in corners:
        here = points[index]
        before, after = points[index - 1] - here, points[(index + 1) % count] - here
        lengths = np.linalg.norm(before), np.linalg.norm(after)
        reach = min(radius, lengths[0] / 2, lengths[1] / 2)
        if reach <= 1e-9 or abs(before[0] * after[1] - before[1] * after[0]) < 1e-12:  # no turn
            result.append(here)
            continue
        start, end = here + before / lengths[0] * reach, here + after / lengths[1] * reach
        result.extend((1 - steps) ** 2 * start + 2 * (1 - steps) * steps * here + steps**2 * end)
    if closed:
        result.append(result[0])
    else:
        result.append(points[-1])
    return np.asarray(result)


def _lathe(outline: np.ndarray, *, sweep: float = 2 * np.pi, sections: int = _SECTIONS) -> _Part:
    """The (radius, height) outline turned about z by ``sweep`` radians.

    The outline runs counter-clockwise in the (radius, height) plane (outwards along the
    bottom, up the outside), so every face points out of the solid.
    """
    outline = np.asarray(outline, dtype=float)
    rows, columns = len(outline), sections + 1
    theta = np.linspace(0.0, sweep, columns)
    radius, height = outline[:, :1], np.broadcast_to(outline[:, 1:], (rows, columns))
    vertices = np.stack([radius * np.cos(theta), radius * np.sin(theta), height], axis=-1).reshape(-1, 3)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(outline, axis=0), axis=1))])
    repeats = max(1, round(sweep * float(outline[:, 0].max()) / UV_TILE))  # whole repeats: no seam
    u = np.broadcast_to(theta / sweep * repeats, (rows, columns))
    v = np.broadcast_to(arc[:, None] / UV_TILE, (rows, columns))
    grid = np.arange(rows * columns).reshape(rows, columns)
    a, b, c, d = grid[:-1, :-1], grid[:-1, 1:], grid[1:, :-1], grid[1:, 1:]
    faces = np.concatenate([np.stack([a, b, d], -1).reshape(-1, 3), np.stack([a, d, c], -1).reshape(-1, 3)])
    return _part(vertices, faces, np.stack([u, v], axis=-1).reshape(-1, 2))


def _ring(centre: tuple[float, float], radius: float, *, sweep: float = 2 * np.pi) -> _Part:
    """A torus (or an arc of one): a circle of ``radius`` at (r, z) = ``centre`` turned about z."""
    angle = np.linspace(-np.pi / 2, 3 * np.pi / 2, 17)
    circle = np.stack([centre[0] + radius * np.cos(angle), centre[1] + radius * np.sin(angle)], axis=-1)
    return _lathe(circle, sweep=sweep)


def _box_samples(half: float, inner: float, radius: float) -> np.ndarray:
    arc = np.sin(np.linspace(0.0, np.pi / 2, _BOX_STEPS))
    return np.concatenate([-inner - radius * arc[::-1], inner + radius * arc])


def _rounded_box(size: tuple[float, float, float], radius: float, centre=(0.0, 0.0, 0.0)) -> _Part:
    """A box of ``size`` (x, y, z), its edges and corners rounded by ``radius``, centred on ``centre``."""
    half = np.asarray(size, dtype=float) / 2
    radius = min(radius, float(half.min()) * 0.99)
    inner = half - radius
    samples = [_box_samples(h, i, radius) for h, i in zip(half, inner, strict=True)]
    vertices, faces, uvs = [], [], []
    for axis in range(3):
        first, second = (axis + 1) % 3, (axis + 2) % 3  # e_first x e_second = e_axis
        across, along = np.meshgrid(samples[first], samples[second], indexing="ij")
        for sign in (-1.0, 1.0):
            flat = np.zeros((*across.shape, 3))
            flat[..., axis], flat[..., first], flat[..., second] = sign * half[axis], across, along
            core = np.clip(flat, -inner, inner)
            out = flat - core
            surface = core + radius * out / np.linalg.norm(out, axis=-1, keepdims=True)
            grid = np.arange(across.size).reshape(across.shape) + sum(len(v) for v in vertices)
            a, b, c, d = grid[:-1, :-1], grid[1:, :-1], grid[:-1, 1:], grid[1:, 1:]
            quads = [np.stack([a, b, d], -1), np.stack([a, d, c], -1)]
            if sign < 0:
                quads = [q[..., ::-1] for q in quads]
            vertices.append(surface.reshape(-1, 3))
            faces += [q.reshape(-1, 3) for q in quads]
            uvs.append(np.stack([across * sign, along], axis=-1).reshape(-1, 2) / UV_TILE)
    part = _part(np.concatenate(vertices), np.concatenate(faces), np.concatenate(uvs))
    return part.moved(offset=centre)


def _hollow(outline: list[list[float]], wall: float, bevel: float) -> np.ndarray:
    """An open vessel: ``outline`` (bottom centre, foot, ..., rim) and its inside ``wall`` thick."""
    points = np.asarray(outline, dtype=float)
    inside = points[:0:-1] - [wall, 0.0]  # rim back down to the foot, ``wall`` inwards
    inside[-1, 1] = wall  # the foot's point becomes the inside floor's edge
    return _rounded(np.vstack([points, inside, [[0.0, wall]]]).tolist(), bevel)


def _box(p: params.Box) -> list[_Part]:
    return [_rounded_box((p.width, p.depth, p.height), p.bevel)]


def _can(p: params.Can) -> list[_Part]:
    r, h, rim = p.radius, p.height, p.rim
    lid = [[r - 2 * rim, h], [r - 2 * rim, h - rim], [0, h - rim]]
    return [_lathe(_rounded([[0, 0], [r, 0], [r, h], *lid], p.bevel))]


def _ball(p: params.Ball) -> list[_Part]:
    angle = np.linspace(0.0, np.pi, 33)
    outline = np.stack([p.radius * np.sin(angle), p.radius * p.squash * (1 - np.cos(angle))], axis=-1)
    return [_lathe(outline)]


def _bottle(p: params.Bottle) -> list[_Part]:
    neck_base = p.body_height + p.shoulder
    top = neck_base + p.neck_height
    lip = p.neck_radius * 1.2
    outline = [[0, 0], [p.radius, 0], [p.radius, p.body_height], [p.neck_radius, neck_base]]
    outline += [[p.neck_radius, top - 0.004], [lip, top - 0.004], [lip, top], [0, top]]
    return [_lathe(_rounded(outline, p.bevel))]


def _mug(p: params.Mug) -> list[_Part]:
    body = _lathe(_hollow([[0, 0], [p.radius, 0], [p.radius, p.height]], p.wall, p.bevel))
    handle = _ring((p.handle * p.height, 0.0), p.handle_thickness, sweep=np.pi)
    handle = handle.moved(
        _rotation((1, 0, 0), 90) @ _rotation((0, 0, 1), -90), (p.radius - p.wall, 0, p.height / 2)
    )
    return [body, handle]


def _bowl(p: params.Bowl) -> list[_Part]:
    foot = p.foot * p.radius
    return [_lathe(_hollow([[0, 0], [foot, 0], [p.radius, p.height]], p.wall, p.bevel))]


def _plate(p: params.Plate) -> list[_Part]:
    well = p.well * p.radius
    return [_lathe(_hollow([[0, 0], [well, 0], [p.radius, p.height]], p.wall, p.bevel))]


def _cup(p: params.Cup) -> list[_Part]:
    return [_lathe(_hollow([[0, 0], [p.taper * p.radius, 0], [p.radius, p.height]], p.wall, p.bevel))]


def _vase(p: params.Vase) -> list[_Part]:
    outline = [[0, 0], [p.base, 0], [p.belly, p.belly_at * p.height], [p.neck, 0.85 * p.height]]
    return [_lathe(_hollow([*outline, [p.neck * 1.3, p.height]], 0.004, p.bevel))]


def _glass(p: params.Glass) -> list[_Part]:
    cup_base = p.stem_share * p.height
    stem = [[0, 0], [p.foot, 0], [p.foot, 0.004], [p.stem, 0.012], [p.stem, cup_base]]
    cup = [[p.bowl, cup_base + 0.45 * (p.height - cup_base)], [p.bowl * 0.85, p.height]]
    wall = 0.0015
    inside = [[p.bowl * 0.85 - wall, p.height], [p.bowl - wall, cup[0][1]], [0, cup_base + 0.006]]
    return [_lathe(_rounded([*stem, *cup, *inside], p.bevel))]


def _book(p: params.Book) -> list[_Part]:
    w, d, t, c = p.width, p.depth, p.thickness, p.cover
    gap = 0.003  # the page block sits back from the covers' edges
    return [
        _rounded_box((w, d, c), p.bevel, (0, 0, c / 2)),
        _rounded_box((w, d, c), p.bevel, (0, 0, t - c / 2)),
        _rounded_box((c, d, t), p.bevel, (-(w - c) / 2, 0, t / 2)),
        _rounded_box(
            (w - c - gap, d - 2 * gap, t - 2 * c + 0.001), p.bevel / 2, (gap / 2 + c / 2 - gap, 0, t / 2)
        ),
    ]


def _jar(p: params.Jar) -> list[_Part]:
    r, h = p.radius, p.height
    body = _lathe(_rounded([[0, 0], [r, 0], [r, h], [0, h]], p.bevel))
    lid_r, low = r + p.lid_overhang, h - 0.002
    lid = _lathe(
        _rounded([[0, low], [lid_r, low], [lid_r, h + p.lid_height], [0, h + p.lid_height]], p.bevel)
    )
    return [body, lid]


def _bucket(p: params.Bucket) -> list[_Part]:
    body = _lathe(_hollow([[0, 0], [p.taper * p.radius, 0], [p.radius, p.height]], p.wall, p.bevel))
    rim = _ring((p.radius - p.wall / 2, p.height), p.wall)
    handle = _ring((p.radius, 0.0), p.wire, sweep=np.pi).moved(_rotation((1, 0, 0), 90), (0, 0, p.height))
    return [body, rim, handle]


def _flowerpot(p: params.Flowerpot) -> list[_Part]:
    band = p.height - p.rim_height
    outline = [
        [0, 0],
        [p.taper * p.radius, 0],
        [p.radius - 0.006, band],
        [p.radius, band],
        [p.radius, p.height],
    ]
    return [_lathe(_hollow(outline, p.wall, p.bevel))]


def _saucepan(p: params.Saucepan) -> list[_Part]:
    body = _lathe(_hollow([[0, 0], [p.radius, 0], [p.radius, p.height]], p.wall, p.bevel))
    size = (p.handle_length, p.handle_width, p.handle_width * 0.4)
    handle = _rounded_box(size, p.bevel, (p.radius + p.handle_length / 2 - 0.004, 0, p.height * 0.85))
    return [body, handle]


def _spray_can(p: params.SprayCan) -> list[_Part]:
    r, h = p.radius, p.height
    body = [
        [0, 0],
        [r, 0],
        [r, h],
        [r * 0.55, h + p.dome],
        [r * 0.55, h + p.dome + 0.004],
        [0, h + p.dome + 0.004],
    ]
    cap = [[0, h - 0.003], [r * 0.97, h - 0.003], [r * 0.97, h + p.cap_height], [0, h + p.cap_height]]
    return [_lathe(_rounded(body, p.bevel)), _lathe(_rounded(cap, p.bevel))]


def _annulus(outer: float, inner: float, height: float, bevel: float) -> _Part:
    loop = [[inner, 0], [outer, 0], [outer, height], [inner, height]]
    return _lathe(_rounded(loop, bevel, closed=True))


def _tape_roll(p: params.TapeRoll) -> list[_Part]:
    return [_annulus(p.radius, p.core * p.radius, p.width, p.bevel)]


def _tote(p: params.Tote) -> list[_Part]:
    w, d, h, t = p.width, p.depth, p.height, p.wall
    return [
        _rounded_box((w, d, t), p.bevel, (0, 0, t / 2)),
        *(_rounded_box((w, t, h), p.bevel, (0, side * (d - t) / 2, h / 2)) for side in (-1, 1)),
        *(_rounded_box((t, d - 2 * t, h), p.bevel, (side * (w - t) / 2, 0, h / 2)) for side in (-1, 1)),
    ]


def _drum(p: params.Drum) -> list[_Part]:
    body = _lathe(_rounded([[0, 0], [p.radius, 0], [p.radius, p.height], [0, p.height]], p.bevel))
    return [body, *(_ring((p.radius, p.height * share), p.rib) for share in (1 / 3, 2 / 3))]


def _traffic_cone(p: params.TrafficCone) -> list[_Part]:
    plate = _rounded_box((2 * p.base, 2 * p.base, p.plate), p.bevel, (0, 0, p.plate / 2))
    outline = [[0, p.plate], [p.base * 0.75, p.plate], [p.top, p.height], [0, p.height]]
    return [plate, _lathe(_rounded(outline, p.bevel))]


def _pipe(p: params.Pipe) -> list[_Part]:
    return [_annulus(p.radius, p.bore * p.radius, p.length, p.bevel).moved(_rotation((0, 1, 0), 90))]


def _spool(p: params.Spool) -> list[_Part]:
    r, core, h, f = p.radius, p.core * p.radius, p.height, p.flange
    outline = [[0, 0], [r, 0], [r, f], [core, f], [core, h - f], [r, h - f], [r, h], [0, h]]
    return [_lathe(_rounded(outline, p.bevel))]


BUILDERS: dict[str, Callable] = {
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
    "jar": _jar,
    "bucket": _bucket,
    "flowerpot": _flowerpot,
    "saucepan": _saucepan,
    "spray_can": _spray_can,
    "tape_roll": _tape_roll,
    "tote": _tote,
    "drum": _drum,
    "traffic_cone": _traffic_cone,
    "pipe": _pipe,
    "spool": _spool,
}


def build_shape(shape: params.ShapeParams) -> trimesh.Trimesh:
    """The mesh of one drawn record: centred on z, lowest point at z = 0, with UVs and normals."""
    parts = BUILDERS[shape.generator](shape)
    offsets = np.cumsum([0] + [len(part.vertices) for part in parts[:-1]])
    vertices = np.concatenate([part.vertices for part in parts])
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    vertices = vertices - [(low[0] + high[0]) / 2, (low[1] + high[1]) / 2, low[2]]
    mesh = trimesh.Trimesh(
        vertices=vertices,
        faces=np.concatenate([part.faces + offset for part, offset in zip(parts, offsets, strict=True)]),
        visual=trimesh.visual.TextureVisuals(uv=np.concatenate([part.uv for part in parts])),
        process=False,
    )
    mesh.vertex_normals = np.concatenate([part.normals for part in parts])
    return mesh


Bounds = tuple[tuple[float, float, float], tuple[float, float, float]]


def mesh_bounds(mesh: trimesh.Trimesh) -> Bounds:
    """A mesh's axis-aligned bounds rounded to 6 decimals, as manifest records keep them."""
    low, high = (tuple(round(float(v), 6) for v in corner) for corner in mesh.bounds)
    return low, high  # type: ignore[return-value]


@functools.lru_cache(maxsize=4096)
def shape_bounds(shape: params.ShapeParams) -> Bounds:
    """The built mesh's bounds (what the resolver places a generated object by)."""
    return mesh_bounds(build_shape(shape))


def shape_ply(shape: params.ShapeParams) -> bytes:
    """The mesh of ``shape`` as binary PLY: z up like the library's other meshes, normals, UVs (``s``, ``t``).

    Blender's PLY importer reads all three and turns no axes, and trimesh (the manifest's
    checks) reads the file in the same frame, so recorded bounds are the rendered ones.
    Built and written in one step: trimesh keeps set normals in a cache that other
    queries may clear.
    """
    return build_shape(shape).export(file_type="ply")


def shape_key(shape: params.ShapeParams) -> str:
    """The cache key: a hash of the generator version and the record's canonical JSON."""
    return hashlib.sha256(f"{GENERATOR_VERSION}:{shape.model_dump_json()}".encode()).hexdigest()[:32]


class MeshCache:
    """Generated meshes on disk, one PLY per (generator version, parameters), built at first use.

    Writes go to a temporary file renamed into place, so workers building the same mesh
    at once both end with one whole file, and a killed worker leaves no half mesh.
    """

    def __init__(self, root: Path):
        self.root = Path(root)
        self.built = 0  # meshes this cache object built (the rest were found on disk)

    def path(self, shape: params.ShapeParams) -> Path:
        """The PLY of ``shape``, built and written if no worker has built it yet."""
        path = self.root / shape.generator / f"{shape_key(shape)}.ply"
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".partial")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(shape_ply(shape))
            os.replace(partial, path)
        finally:
            Path(partial).unlink(missing_ok=True)
        self.built += 1
        return path
