"""Project a resolved scene graph into the current Blender scene through BlenderProc.

Only this module and :mod:`simulacra.render.renderer` touch Blender objects. Every value
comes from the graph; nothing is drawn here.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from pathlib import Path
from types import ModuleType

import numpy as np

from simulacra.assets_manifest import VerifiedFiles
from simulacra.randomize import Light, Material
from simulacra.randomize.privacy import TextureOp, anonymize_texture_file
from simulacra.render.pack_material import ensure_box_uvs, textured_material
from simulacra.render.procedural import procedural_material, set_light_paths
from simulacra.render.world import set_intrinsics, set_world
from simulacra.scenes import AssetRef, SceneGraph
from simulacra.scenes.graph import BoxNode, DistractorNode, ObjectNode, PosterNode, SurfaceNode

# pass_index values for unlabeled geometry start here; labeled objects use instance_id.
UNLABELED_PASS_INDEX = 60000
Treated = dict[str, tuple[TextureOp, ...]]  # asset id -> the privacy operators its texture gets


def _material(bproc: ModuleType, name: str, spec: Material, image: object | None = None) -> object:
    material = bproc.material.create(name)
    material.set_principled_shader_value(
        "Base Color", image if image is not None else [*spec.base_color, 1.0]
    )
    material.set_principled_shader_value("Roughness", spec.roughness)
    material.set_principled_shader_value("Metallic", spec.metallic)
    return material


def _surface_material(
    bproc: ModuleType,
    name: str,
    node: SurfaceNode | ObjectNode | DistractorNode | BoxNode,
    files: VerifiedFiles,
    treated: dict[str, tuple[TextureOp, ...]],
) -> object:
    """The node's procedural family, the drawn texture pack's maps, or the plain sampled material."""
    spec, pack = node.material, getattr(node, "texture", None)
    if node.procedural is not None:
        return bproc.types.Material(procedural_material(name, node.procedural))
    if pack is None:
        return _material(bproc, name, spec)
    maps: dict[str, object] = {
        role: _asset_path(files, ref)
        for role in ("color", "roughness", "normal")
        if (ref := getattr(pack, role)) is not None
    }
    if pack.color.id in treated:  # only the colour map shows an image; the others are data
        maps["color"] = _texture_image(files, pack.color, treated)
    uv = getattr(node, "generated", None) is not None  # generated meshes carry UVs in metres
    return bproc.types.Material(textured_material(name, spec, maps, uv=uv))


def _asset_path(files: VerifiedFiles, ref: AssetRef) -> str:
    return str(files.path(ref.id, ref.sha256))


def _texture_image(files: VerifiedFiles, ref: AssetRef, treated: dict[str, tuple[TextureOp, ...]]) -> object:
    """A ``bpy.types.Image`` of the texture, with the graph's privacy operators applied if it has any.

    A rewritten texture is written to a scratch PNG, loaded and packed into the session
    (Blender reads image files lazily), so the scratch file can go at once.
    """
    import bpy

    path = _asset_path(files, ref)
    if ref.id not in treated:
        return bpy.data.images.load(path, check_existing=False)
    with tempfile.TemporaryDirectory(prefix="simulacra-texture-") as scratch:
        rewritten = anonymize_texture_file(Path(path), Path(scratch) / "texture.png", treated[ref.id])
        image = bpy.data.images.load(str(rewritten), check_existing=False)
        image.pack()
    return image


def _load_mesh(bproc: ModuleType, path: str) -> object:
    """One mesh object from an asset file (parts joined)."""
    if path.lower().endswith(".blend"):  # appends mesh objects only: text blocks never come along
        parts = bproc.loader.load_blend(path, obj_types=["mesh"])
    else:
        parts = bproc.loader.load_obj(path)
    mesh = parts[0]
    if len(parts) > 1:
        mesh.join_with_other_objects(parts[1:])
    return mesh


def build_scene(bproc: ModuleType, graph: SceneGraph, files: VerifiedFiles) -> dict[str, int]:
    """Create the graph's objects, fixtures, lights, camera and world; returns object name -> instance id.

    One builder per node kind, called in a fixed order (the order objects are created in).
    Labeled objects carry their instance id as pass index; every unlabeled piece gets its
    own index from :data:`UNLABELED_PASS_INDEX` up, so none collide however many there are.
    """
    import bpy

    treated = graph.privacy.texture_ops() if graph.privacy else {}
    _add_camera(bproc, graph)
    set_world(bproc, graph.background, files)
    bpy.context.scene.cycles.seed = graph.seed % (2**31)
    set_light_paths(any(node.procedural is not None for node in _dressable(graph)))
    unlabeled = itertools.count(UNLABELED_PASS_INDEX)
    _add_surface(bproc, graph.surface, files, treated, next(unlabeled))
    names = {}
    for node in graph.objects:
        names[_add_object(bproc, node, files, treated)] = node.instance_id
    for index, box in enumerate(graph.environment or ()):
        _add_box(bproc, f"environment_{index}", box, files, next(unlabeled))
    if graph.room is not None:
        for index, box in enumerate(graph.room.boxes()):
            _add_box(bproc, f"room_{index}", box, files, next(unlabeled))
        for index, light in enumerate(graph.room.lights):
            _add_light(bproc, f"room_light_{index}", light)
    # Distractors are named apart from ``names``: the masks give them 0, like the background.
    for index, clutter in enumerate(graph.distractors or ()):
        _add_distractor(bproc, index, clutter, files, treated, next(unlabeled))
    for index, node in enumerate(graph.posters):
        _add_poster(bproc, index, node, files, treated, next(unlabeled))
    for index, light in enumerate(graph.lights):
        _add_light(bproc, f"light_{index}", light)
    return names


def _dressable(graph: SceneGraph) -> tuple:
    """Every node that may wear a procedural material."""
    room = graph.room.boxes() if graph.room is not None else ()
    return (graph.surface, *graph.objects, *(graph.environment or ()), *(graph.distractors or ()), *room)


def _add_camera(bproc: ModuleType, graph: SceneGraph) -> None:
    """The camera's intrinsics and pose (frame 0), and the sample count."""
    set_intrinsics(bproc, graph.camera, graph.resolution)
    forward = np.subtract(graph.camera.look_at, graph.camera.location)
    pose = bproc.math.build_transformation_mat(
        list(graph.camera.location), bproc.camera.rotation_from_forward_vec(forward)
    )
    bproc.camera.add_camera_pose(pose, frame=0)
    bproc.renderer.set_max_amount_of_samples(graph.samples)


def _add_surface(
    bproc: ModuleType, node: SurfaceNode, files: VerifiedFiles, treated: Treated, pass_index: int
) -> None:
    surface = bproc.object.create_primitive("CUBE")
    surface.set_name("surface")
    surface.set_scale([node.size[0] / 2, node.size[1] / 2, node.thickness / 2])
    surface.set_location([0.0, 0.0, -node.thickness / 2])
    surface.replace_materials(_surface_material(bproc, "surface", node, files, treated))
    surface.blender_obj.pass_index = pass_index


def _add_object(bproc: ModuleType, node: ObjectNode, files: VerifiedFiles, treated: Treated) -> str:
    """A labeled object: its mesh placed, scaled and dressed; returns its name."""
    mesh = _load_mesh(bproc, str(files.mesh(node.asset.id, node.asset.sha256, node.generated)))
    name = f"instance_{node.instance_id}"
    mesh.set_name(name)
    mesh.set_location(list(node.location))
    mesh.set_rotation_euler([math.radians(a) for a in (node.rotation_deg or (0.0, 0.0, node.yaw_deg))])
    mesh.set_scale([node.scale] * 3)
    if node.texture is not None and node.texture.normal is not None:
        ensure_box_uvs(mesh.get_mesh())  # tangents for the normal map
    mesh.replace_materials(_surface_material(bproc, name, node, files, treated))
    mesh.blender_obj.pass_index = node.instance_id
    return name


def _add_box(bproc: ModuleType, name: str, box: BoxNode, files: VerifiedFiles, pass_index: int) -> None:
    """An unlabeled box: a fixture's wall or board, a room's floor, wall piece, leg or furniture."""
    piece = bproc.object.create_primitive("CUBE")
    piece.set_name(name)
    piece.set_scale([extent / 2 for extent in box.size])
    piece.set_location(list(box.location))
    piece.replace_materials(_surface_material(bproc, name, box, files, {}))
    piece.blender_obj.pass_index = pass_index


def _add_distractor(
    bproc: ModuleType,
    index: int,
    clutter: DistractorNode,
    files: VerifiedFiles,
    treated: Treated,
    pass_index: int,
) -> None:
    name = f"distractor_{index}"
    if clutter.asset is not None:
        piece = _load_mesh(bproc, str(files.mesh(clutter.asset.id, clutter.asset.sha256, clutter.generated)))
    else:
        piece = bproc.object.create_primitive(clutter.shape.upper())  # type: ignore[union-attr]
    piece.set_name(name)
    piece.set_location(list(clutter.location))
    piece.set_rotation_euler([math.radians(a) for a in (clutter.rotation_deg or (0.0, 0.0, clutter.yaw_deg))])
    piece.set_scale([clutter.scale] * 3)
    if clutter.texture is not None and clutter.texture.normal is not None:
        ensure_box_uvs(piece.get_mesh())
    piece.replace_materials(_surface_material(bproc, name, clutter, files, treated))
    piece.blender_obj.pass_index = pass_index


def _add_poster(
    bproc: ModuleType, index: int, node: PosterNode, files: VerifiedFiles, treated: Treated, pass_index: int
) -> None:
    image = _texture_image(files, node.asset, treated)
    poster = bproc.object.create_primitive("PLANE")
    poster.set_name(f"poster_{index}")
    poster.set_scale([node.width / 2, node.height / 2, 1.0])
    poster.set_location(list(node.location))
    poster.set_rotation_euler([math.pi / 2, 0.0, math.radians(node.yaw_deg)])
    matte = Material(base_color=(1.0, 1.0, 1.0), roughness=0.8, metallic=0.0)
    poster.replace_materials(_material(bproc, f"poster_{index}", matte, image))
    poster.blender_obj.pass_index = pass_index


def _add_light(bproc: ModuleType, name: str, node: Light) -> None:
    light = bproc.types.Light(name=name)
    light.set_type(node.kind)
    light.set_location(list(node.location))
    light.set_energy(node.energy)
    light.set_color(list(node.color))
    if node.rotation_deg is not None:  # SUN, SPOT, AREA shine along their local -Z
        light.set_rotation_euler([math.radians(a) for a in node.rotation_deg])
    if node.spot_size_deg is not None:
        light.blender_obj.data.spot_size = math.radians(node.spot_size_deg)
    if node.size is not None:
        light.blender_obj.data.size = node.size
