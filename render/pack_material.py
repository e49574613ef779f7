"""Principled-BSDF materials from texture packs: colour, roughness and normal image maps.

Built-in and user meshes often have no UV map, so every map is sampled with Blender's
box projection on the object's generated coordinates (its bounding box, 0..1 per axis):
no UVs are needed to show a texture. A tangent-space normal map still needs tangents,
which Cycles derives from a UV map; a mesh without one gets a UV layer that repeats the
box projection's axes, so the normal map's tangent frame matches how it is sampled.
Generated meshes carry UVs in metres (seams split), so their maps are sampled by UV:
one texture scale on every object, whatever its size, and tangents that match.
"""

from __future__ import annotations

import numpy as np

from simulacra.randomize import Material

BOX_BLEND = 0.2  # soft seams between the box projection's faces


def textured_material(name: str, spec: Material, maps: dict[str, object], *, uv: bool = False) -> object:
    """A new ``bpy.types.Material`` named ``name`` using the images in ``maps``.

    ``maps`` gives role -> image file path, or an already loaded ``bpy.types.Image``
    (a texture the privacy operators rewrote).

    ``spec``'s roughness and metallic apply where no roughness map is given; ``maps``
    must hold ``color`` and may hold ``roughness`` and ``normal``. ``uv`` samples the maps by
    the mesh's UV map instead of the box projection.
    """
    import bpy

    material = bpy.data.materials.new(name)
    material.use_nodes = True
    nodes, links = material.node_tree.nodes, material.node_tree.links
    bsdf = nodes["Principled BSDF"]
    bsdf.inputs["Roughness"].default_value = spec.roughness
    bsdf.inputs["Metallic"].default_value = spec.metallic
    coordinates = nodes.new("ShaderNodeTexCoord")

    def image(role: str) -> object:
        node = nodes.new("ShaderNodeTexImage")
        source = maps[role]
        node.image = bpy.data.images.load(source, check_existing=False) if isinstance(source, str) else source
        if role != "color":  # data, not colour: no sRGB transform
            node.image.colorspace_settings.name = "Non-Color"
        if uv:
            links.new(coordinates.outputs["UV"], node.inputs["Vector"])
        else:
            node.projection = "BOX"
            node.projection_blend = BOX_BLEND
            links.new(coordinates.outputs["Generated"], node.inputs["Vector"])
        return node

    links.new(image("color").outputs["Color"], bsdf.inputs["Base Color"])
    if "roughness" in maps:
        links.new(image("roughness").outputs["Color"], bsdf.inputs["Roughness"])
    if "normal" in maps:
        normal_map = nodes.new("ShaderNodeNormalMap")
        links.new(image("normal").outputs["Color"], normal_map.inputs["Color"])
        links.new(normal_map.outputs["Normal"], bsdf.inputs["Normal"])
    return material


def ensure_box_uvs(mesh: object) -> None:
    """Give a ``bpy.types.Mesh`` without UVs a layer projecting each face along its dominant axis."""
    if len(mesh.uv_layers):  # type: ignore[attr-defined]
        return
    count = len(mesh.vertices)  # type: ignore[attr-defined]
    coords = np.empty(count * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", coords)  # type: ignore[attr-defined]
    coords = coords.reshape(-1, 3)
    low, span = coords.min(axis=0), np.maximum(np.ptp(coords, axis=0), 1e-9)
    generated = (coords - low) / span
    polygons = len(mesh.polygons)  # type: ignore[attr-defined]
    normals = np.empty(polygons * 3, dtype=np.float32)
    mesh.polygons.foreach_get("normal", normals)  # type: ignore[attr-defined]
    totals = np.empty(polygons, dtype=np.int32)
    mesh.polygons.foreach_get("loop_total", totals)  # type: ignore[attr-defined]
    loop_vertices = np.empty(len(mesh.loops), dtype=np.int32)  # type: ignore[attr-defined]
    mesh.loops.foreach_get("vertex_index", loop_vertices)  # type: ignore[attr-defined]
    axis = np.repeat(np.abs(normals.reshape(-1, 3)).argmax(axis=1), totals)
    # Dominant axis x -> (y, z), y -> (x, z), z -> (x, y): the planes box projection samples.
    planes = np.array([[1, 2], [0, 2], [0, 1]])[axis]
    point = generated[loop_vertices]
    uvs = np.take_along_axis(point, planes, axis=1).astype(np.float32)
    layer = mesh.uv_layers.new(name="box")  # type: ignore[attr-defined]
    layer.data.foreach_set("uv", uvs.ravel())
