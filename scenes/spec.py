"""The scene spec: a small YAML language saying what scenes a job may draw.

Specs are validated with pydantic on load; an unknown or wrong field is reported with
its YAML path (``objects.count_range: ...``) and the file name, never a traceback.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_serializer, model_validator
from pydantic_core import to_jsonable_python

from simulacra.errors import SpecError
from simulacra.randomize import (
    DISTRIBUTION_KINDS,
    FloatDist,
    IntDist,
    LightParams,
    MaterialParams,
    OrbitCameraParams,
    SensorParams,
    within,
)
from simulacra.randomize.privacy import PrivacyParams
from simulacra.randomize.shapes import describe_shapes
from simulacra.scenes.shapes import MESHES_DOC, MeshMode

# Draws are rounded to 6 decimals (graphs print the same everywhere), so "positive"
# means at least 1e-6: anything smaller would round to 0.
Positive = Annotated[FloatDist, within(1e-6)]
Unit = Annotated[FloatDist, within(0.0, 1.0)]
Pixels = Annotated[int, Field(ge=8, le=8192)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class SurfaceSpec(_Strict):
    """The table top objects stand on (metres); its top face is at z = 0."""

    width_range: Positive = (1.0, 1.4)
    depth_range: Positive = (0.7, 1.0)
    material: MaterialParams = MaterialParams(saturation_range=(0.05, 0.35), value_range=(0.25, 0.7))


class ObjectsSpec(_Strict):
    """Labeled objects drawn from the manifest's meshes."""

    count_range: Annotated[IntDist, within(0, 200)] = (3, 8)
    categories: tuple[str, ...] = Field(default=(), description="allowed categories; empty means all")
    scale_range: Positive = (0.8, 1.3)
    material: MaterialParams = MaterialParams()
    placement: Literal["on_surface", "grid", "in_volume", "physics_drop"] = Field(
        "on_surface",
        description="on_surface: upright, apart; grid: rows x cols cells with jitter; in_volume: floating "
        "with any rotation; physics_drop: dropped with any rotation and settled by rigid-body simulation",
    )
    grid: tuple[Annotated[int, Field(ge=1, le=50)], Annotated[int, Field(ge=1, le=50)]] = Field(
        (3, 3), description="grid placement: rows, columns"
    )
    grid_jitter: float = Field(0.2, ge=0.0, le=1.0, description="grid placement: offset, fraction of a cell")
    height_range: Positive = Field(
        (0.05, 0.4), description="in_volume / physics_drop: gap below an object's bounding sphere"
    )
    meshes: MeshMode = Field("fixed", description=MESHES_DOC + describe_shapes())

    @model_serializer(mode="wrap")
    def _without_fixed_meshes(self, handler):
        return _without_fixed(self, handler)


def _without_fixed(model: ObjectsSpec | DistractorsSpec, handler) -> dict:
    """A role with ``meshes: fixed`` dumps (and hashes) exactly as it did before generators existed."""
    data = handler(model)
    if model.meshes == "fixed":
        data.pop("meshes", None)
    return data


class PostersSpec(_Strict):
    """Flat textured panels standing behind the objects, facing the camera."""

    probability: float = Field(0.0, ge=0.0, le=1.0)
    assets: tuple[str, ...] = Field(default=(), description="texture asset ids; empty means every texture")
    width_range: Positive = (0.6, 0.9)
    distance_range: Positive = Field((0.45, 0.7), description="behind the objects' centre, metres")
    center_height_range: FloatDist = (0.05, 0.2)


class RoomSpec(_Strict):
    """A room around the table: floor, four walls with window openings, a ceiling, lamps, furniture.

    The table top stays at z = 0, on four legs; the floor lies ``table_height_range`` below
    it and the room is centred on the table. Windows are openings in the walls through
    which the world (``background``: best a ``sky`` or an ``hdri``) lights the room. Ceiling
    lights are area lamps just under the ceiling; a lamp is a warm point light near a
    corner. Furniture is unlabeled boxes against the back and side walls, one a wall at most.
    The camera and ``lights`` orbit the table as always: keep their distances inside the room.
    Materials per part take procedural ``families`` like any role.
    """

    width_range: Annotated[FloatDist, within(2.0, 50.0)] = (4.0, 6.0)
    depth_range: Annotated[FloatDist, within(2.0, 50.0)] = (4.0, 6.0)
    height_range: Annotated[FloatDist, within(1.5, 20.0)] = (2.5, 3.0)
    table_height_range: Annotated[FloatDist, within(0.1, 1.2)] = (0.72, 0.78)
    windows_range: Annotated[IntDist, within(0, 3)] = Field(
        (1, 2), description="far walls with a window opening"
    )
    window_width_range: Annotated[FloatDist, within(0.2, 10.0)] = (0.8, 1.6)
    window_height_range: Annotated[FloatDist, within(0.2, 10.0)] = (0.9, 1.4)
    sill_height_range: Annotated[FloatDist, within(0.0, 10.0)] = (0.7, 1.0)
    ceiling_lights_range: Annotated[IntDist, within(0, 8)] = (1, 2)
    ceiling_energy_range: Annotated[FloatDist, within(0.0)] = Field((80.0, 250.0), description="watts")
    lamp_probability: float = Field(0.5, ge=0.0, le=1.0)
    lamp_energy_range: Annotated[FloatDist, within(0.0)] = Field((20.0, 60.0), description="watts")
    furniture_range: Annotated[IntDist, within(0, 3)] = (1, 3)
    furniture_width_range: Positive = (0.5, 1.4)
    furniture_depth_range: Positive = (0.35, 0.6)
    furniture_height_range: Positive = (0.5, 1.8)
    floor: MaterialParams = MaterialParams(
        saturation_range=(0.1, 0.5), value_range=(0.3, 0.7), families={"wood": 3, "concrete": 1, "marble": 1}
    )
    walls: MaterialParams = MaterialParams(
        saturation_range=(0.0, 0.15),
        value_range=(0.6, 0.9),
        roughness_range=(0.7, 0.95),
        families={"concrete": 1, "flat": 2},
    )
    ceiling: MaterialParams = MaterialParams(
        saturation_range=(0.0, 0.05), value_range=(0.8, 0.95), families={"concrete": 1, "flat": 1}
    )
    furniture: MaterialParams = MaterialParams(
        families={"wood": 2, "painted_metal": 1, "fabric": 1, "leather": 1, "plastic": 1}
    )


class EnvironmentSpec(_Strict):
    """Unlabeled fixtures on the surface: none (``table``), an open ``bin``, or ``shelves``; maybe a ``room``.

    ``bin``: walls of ``height_range`` around a ``width_range`` x ``depth_range`` floor;
    objects go inside. ``shelves``: ``levels_range`` boards ``height_range`` apart in a
    frame; objects are spread over the levels, in turn.
    """

    kind: Literal["table", "bin", "shelves"] = "table"
    width_range: Positive = (0.5, 0.7)
    depth_range: Positive = (0.35, 0.5)
    height_range: Positive = Field((0.15, 0.25), description="bin wall height or shelf spacing, metres")
    levels_range: Annotated[IntDist, within(1, 12)] = (3, 4)
    thickness: float = Field(0.02, gt=0.0, le=0.2, description="walls and boards, metres")
    material: MaterialParams = MaterialParams(saturation_range=(0.0, 0.25), value_range=(0.2, 0.55))
    room: RoomSpec | None = Field(None, description="a room around the table and its fixture; absent: none")

    @model_serializer(mode="wrap")
    def _without_absent_room(self, handler):
        # Specs without a room dump (and hash) exactly as they did before rooms existed.
        data = handler(self)
        if self.room is None:
            data.pop("room", None)
        return data


class BackgroundSpec(_Strict):
    """What lights the scene from all around and shows behind it, by ``kind``.

    ``color``: a uniform grey (``gray_range``). ``hdri``: an equirectangular HDRI from the
    manifest (``assets``; empty means every HDRI), turned about the vertical by
    ``rotation_deg_range``. ``sky``: Blender's Hosek-Wilkie sky (``turbidity_range``,
    ``ground_albedo_range``) with a sun lamp of ``sun_strength_range`` W/m^2 shining from
    ``sun_elevation_deg_range`` / ``sun_rotation_deg_range``. ``strength_range`` scales the
    world light of each kind. A field of another kind may only keep its default.
    """

    kind: Literal["color", "hdri", "sky"] = "color"
    gray_range: Unit = (0.2, 0.6)
    strength_range: Annotated[FloatDist, within(0.0)] = (0.3, 0.8)
    assets: tuple[str, ...] = Field(default=(), description="hdri: HDRI asset ids; empty means every HDRI")
    rotation_deg_range: FloatDist = Field((0.0, 360.0), description="hdri: turn about the vertical, degrees")
    sun_elevation_deg_range: Annotated[FloatDist, within(-10.0, 90.0)] = (15.0, 60.0)
    sun_rotation_deg_range: FloatDist = (0.0, 360.0)
    turbidity_range: Annotated[FloatDist, within(1.0, 10.0)] = Field((2.0, 6.0), description="sky: haze")
    ground_albedo_range: Unit = 0.3
    sun_strength_range: Annotated[FloatDist, within(0.0)] = Field((1.0, 4.0), description="sky: sun, W/m^2")

    @model_validator(mode="after")
    def _fields_of_kind(self) -> BackgroundSpec:
        for name, owner in _BACKGROUND_FIELDS.items():
            default = to_jsonable_python(type(self).model_fields[name].default)
            if owner != self.kind and to_jsonable_python(getattr(self, name)) != default:
                raise ValueError(f"{name}: only used with kind: {owner} (this background is {self.kind})")
        return self

    @model_serializer(mode="wrap")
    def _own_fields(self, handler):
        # Only the kind's own fields are written; a colour background dumps (and hashes) as before kinds.
        data = handler(self)
        for name, owner in _BACKGROUND_FIELDS.items():
            if owner != self.kind:
                data.pop(name, None)
        if self.kind == "color":
            data.pop("kind", None)
        return data


_BACKGROUND_FIELDS = {
    "gray_range": "color",
    "assets": "hdri",
    "rotation_deg_range": "hdri",
    "sun_elevation_deg_range": "sky",
    "sun_rotation_deg_range": "sky",
    "turbidity_range": "sky",
    "ground_albedo_range": "sky",
    "sun_strength_range": "sky",
}


class DistractorsSpec(_Strict):
    """Unlabeled clutter among the labeled objects: rendered, casting shadows and occluding, never annotated.

    Each distractor is a primitive ``shapes`` entry (about 10 cm across at scale 1) or a
    manifest mesh of ``categories`` (empty: none; naming a labeled category makes
    unlabeled instances of it). It stands clear of every labeled object's footprint.
    """

    count_range: Annotated[IntDist, within(0, 200)] = (2, 5)
    categories: tuple[str, ...] = Field(default=(), description="mesh categories drawn as clutter")
    shapes: tuple[Literal["cube", "sphere", "cylinder", "cone"], ...] = ("cube", "sphere", "cylinder", "cone")
    scale_range: Positive = (0.5, 1.2)
    material: MaterialParams = MaterialParams()
    placement: Literal["on_surface", "in_volume"] = Field(
        "on_surface", description="on_surface: upright; in_volume: floating, any rotation (never dropped)"
    )
    height_range: Positive = Field((0.05, 0.3), description="in_volume: gap below the bounding sphere")
    meshes: MeshMode = Field("fixed", description="meshes of categories: as objects.meshes")

    @model_serializer(mode="wrap")
    def _without_fixed_meshes(self, handler):
        return _without_fixed(self, handler)

    @model_validator(mode="after")
    def _something_to_draw(self) -> DistractorsSpec:
        if not self.shapes and not self.categories:
            raise ValueError("shapes and categories are both empty: nothing to draw distractors from")
        return self


class SceneSpec(_Strict):
    """Everything a job may vary; see ``scenes/tabletop.yaml`` for a documented example."""

    name: str
    resolution: tuple[Pixels, Pixels] = (256, 256)
    samples: int = Field(32, ge=1, le=4096)
    surface: SurfaceSpec = SurfaceSpec()
    objects: ObjectsSpec = ObjectsSpec()
    lights: LightParams = LightParams()
    camera: OrbitCameraParams = OrbitCameraParams()
    posters: PostersSpec = PostersSpec()
    background: BackgroundSpec = BackgroundSpec()
    environment: EnvironmentSpec = EnvironmentSpec()
    sensor: SensorParams | None = Field(
        None, description="post-render camera effects (noise, blur, ...); absent means none"
    )
    privacy: PrivacyParams | None = Field(
        None, description="privacy perturbation operators; absent means the defaults of PrivacyParams"
    )
    distractors: DistractorsSpec | None = Field(
        None, description="unlabeled clutter among the objects; absent means none"
    )

    @model_serializer(mode="wrap")
    def _without_absent_sensor(self, handler):
        # Specs without ``sensor`` dump (and hash) exactly as they did before it existed.
        data = handler(self)
        if self.sensor is None:
            data.pop("sensor", None)
        if self.privacy is None:
            data.pop("privacy", None)
        if self.distractors is None:
            data.pop("distractors", None)
        return data


def _yaml_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if part in DISTRIBUTION_KINDS:  # pydantic's union tag, not a YAML key
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def spec_from_dict(data: object, *, source: str) -> SceneSpec:
    """Validate plain data as a spec; ``source`` names it in errors."""
    if not isinstance(data, dict):
        raise SpecError(f"{source}: expected a mapping of spec fields at the top level")
    try:
        return SceneSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        raise SpecError(f"{source}: {_yaml_path(first['loc'])}: {message}") from None


def load_spec(path: Path) -> SceneSpec:
    """Load a spec file, or a built-in preset by name (``tabletop``)."""
    path = Path(path)
    if not path.suffix and not path.exists():
        preset = resources.files("simulacra.scenes") / f"{path.name}.yaml"
        if not preset.is_file():
            raise SpecError(f"no spec file {path} and no built-in preset named {path.name!r}")
        return spec_from_dict(yaml.safe_load(preset.read_text()), source=f"preset {path.name}")
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SpecError(f"spec {path} does not exist") from None
    except (IsADirectoryError, UnicodeDecodeError) as err:
        raise SpecError(f"spec {path} is not a readable YAML file: {err}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"spec {path}: malformed YAML{where}") from None
    return spec_from_dict(data, source=f"spec {path}")
