"""The resolved scene graph: plain data, a pure function of (spec, manifest, seed).

It holds every value the renderer needs and every draw the resolver made, so an image
can be rendered again exactly from its graph alone (plus the asset files it names by
id and hash). It is stored as one JSON line next to every image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from simulacra.randomize import CameraPose, Light, Material, ProceduralMaterial, SensorEffect
from simulacra.randomize.privacy import PrivacyNode
from simulacra.randomize.shapes import ShapeParams

GRAPH_FORMAT = 1
Vec3 = tuple[float, float, float]


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AssetRef(_Node):
    """An asset used by the scene, pinned by content hash."""

    id: str
    sha256: str
    license: str


class PackMaterialNode(_Node):
    """A texture-pack material drawn for a surface: its id and the maps the renderer uses.

    The maps are pinned by hash like every asset; ``material``'s colour, roughness and
    metallic values still apply where a map is missing.
    """

    material: str
    color: AssetRef
    roughness: AssetRef | None = None
    normal: AssetRef | None = None

    def maps(self) -> tuple[AssetRef, ...]:
        return tuple(ref for ref in (self.color, self.roughness, self.normal) if ref is not None)


class SurfaceNode(_Node):
    """The support surface: a slab whose top face is at z = 0, centred on the origin."""

    size: tuple[float, float]
    thickness: float
    material: Material
    texture: PackMaterialNode | None = None
    procedural: ProceduralMaterial | None = None  # a procedural family, built over ``material``


class ObjectNode(_Node):
    """A labeled mesh instance; ``instance_id`` is its value in the instance mask."""

    instance_id: int
    asset: AssetRef
    category: str
    location: Vec3
    yaw_deg: float
    scale: float
    material: Material
    texture: PackMaterialNode | None = None
    rotation_deg: Vec3 | None = None  # full XYZ Euler rotation (replaces yaw_deg) when placed tumbling
    procedural: ProceduralMaterial | None = None
    generated: ShapeParams | None = None  # the shape drawn for ``asset``'s generator (``meshes: generated``)


class PosterNode(_Node):
    """A textured upright panel whose front faces the camera's azimuth."""

    asset: AssetRef
    location: Vec3
    yaw_deg: float
    width: float
    height: float


class BoxNode(_Node):
    """An unlabeled box (bin wall, shelf board): centre, full size along x, y, z, and material."""

    location: Vec3
    size: Vec3
    material: Material
    procedural: ProceduralMaterial | None = None


class RoomNode(_Node):
    """A room around the table: its unlabeled boxes by part, and its own lamps.

    ``walls`` holds the pieces left around each window opening; ``legs`` carry the table
    top (they wear the surface's material); ``floor_z`` is the floor's height (below 0).
    """

    floor_z: float
    size: Vec3  # inner width (x), depth (y) and height (z), metres
    floor: BoxNode
    ceiling: BoxNode
    walls: tuple[BoxNode, ...]
    legs: tuple[BoxNode, ...]
    furniture: tuple[BoxNode, ...]
    lights: tuple[Light, ...]

    def boxes(self) -> tuple[BoxNode, ...]:
        """Every piece, in the order the renderer builds them."""
        return (self.floor, self.ceiling, *self.walls, *self.legs, *self.furniture)

    def with_boxes(self, change: Callable[[BoxNode], BoxNode]) -> RoomNode:
        """The room with ``change`` applied to every piece (a privacy shift, a material)."""
        update = {"floor": change(self.floor), "ceiling": change(self.ceiling)}
        for part in ("walls", "legs", "furniture"):
            update[part] = tuple(change(box) for box in getattr(self, part))
        return self.model_copy(update=update)


class HdriNode(_Node):
    """An equirectangular HDRI world, turned by ``rotation_deg`` about the vertical."""

    asset: AssetRef
    rotation_deg: float


class SkyNode(_Node):
    """A Hosek-Wilkie sky and a sun lamp (W/m^2) at one position (degrees; rotation 0 is +y)."""

    sun_elevation_deg: float
    sun_rotation_deg: float
    turbidity: float
    ground_albedo: float
    sun_strength: float


class BackgroundNode(_Node):
    """World light at ``strength``: a uniform ``gray``, an ``hdri`` or a ``sky`` (exactly one)."""

    gray: float | None = None
    strength: float
    hdri: HdriNode | None = None
    sky: SkyNode | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> BackgroundNode:
        if sum(part is not None for part in (self.gray, self.hdri, self.sky)) != 1:
            raise ValueError("a background is exactly one of gray, hdri and sky")
        return self


class DistractorNode(_Node):
    """Unlabeled clutter: a manifest mesh (``asset``) or a primitive ``shape``, never annotated.

    A primitive spans -1..1 on each axis before ``scale``; a tumbling one has ``rotation_deg``.
    """

    asset: AssetRef | None = None
    shape: Literal["cube", "sphere", "cylinder", "cone"] | None = None
    location: Vec3
    yaw_deg: float
    scale: float
    material: Material
    texture: PackMaterialNode | None = None
    rotation_deg: Vec3 | None = None
    procedural: ProceduralMaterial | None = None
    generated: ShapeParams | None = None  # as ObjectNode.generated


class SceneGraph(_Node):
    """One image's complete scene. ``seed`` is the image seed all draws came from."""

    format: int = GRAPH_FORMAT
    spec_name: str
    job_seed: int
    image_index: int
    attempt: int
    seed: int
    excluded_assets: tuple[str, ...] = ()
    resolution: tuple[int, int]
    samples: int
    surface: SurfaceNode
    objects: tuple[ObjectNode, ...]
    lights: tuple[Light, ...]
    camera: CameraPose
    posters: tuple[PosterNode, ...]
    background: BackgroundNode
    camera_redraws: int | None = None  # set when camera.min_visible_pixels redrew the camera
    unannotated: tuple[int, ...] | None = None  # instance ids left unlabeled: under the pixel minimum
    environment: tuple[BoxNode, ...] | None = None  # bin walls, shelves; absent on a bare table
    settled: bool | None = None  # True once physics_drop poses were replaced by the simulated rest poses
    sensor: tuple[SensorEffect, ...] | None = None  # post-render effects applied to the RGB; absent when none
    privacy: PrivacyNode | None = None  # privacy operators and their strength; absent when none applied
    distractors: tuple[DistractorNode, ...] | None = None  # unlabeled clutter; absent when the spec has none
    room: RoomNode | None = None  # floor, walls, ceiling, lamps and furniture around the table; absent: none
    scene_index: int | None = None  # with camera.views > 1: the scene this image views ...
    view: int | None = None  # ... and which of its views it is

    def assets(self) -> tuple[AssetRef, ...]:
        """Every asset the scene uses, once each, sorted by id."""
        clutter = [node for node in self.distractors or () if node.asset is not None]
        refs = {node.asset.id: node.asset for node in (*self.objects, *self.posters, *clutter)}
        for textured in (self.surface, *self.objects, *(self.distractors or ())):
            refs.update({ref.id: ref for ref in textured.texture.maps()} if textured.texture else {})
        if self.background.hdri is not None:
            refs[self.background.hdri.asset.id] = self.background.hdri.asset
        return tuple(refs[key] for key in sorted(refs))

    def texture_maps(self) -> tuple[AssetRef, ...]:
        """Every image the scene shows (posters, pack colour maps): what an audit reject may blame."""
        refs = {node.asset.id: node.asset for node in self.posters}
        for textured in (self.surface, *self.objects, *(self.distractors or ())):
            if textured.texture is not None:
                refs[textured.texture.color.id] = textured.texture.color
        return tuple(refs[key] for key in sorted(refs))

    def to_json(self) -> str:
        """Canonical compact JSON: the same graph always gives the same bytes.

        Unset optional nodes and fields (``texture``, ``camera_redraws``, ...) are left out,
        so graphs that do not use a feature keep the bytes they had before it existed.
        """
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, text: str) -> SceneGraph:
        return cls.model_validate_json(text)
