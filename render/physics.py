"""Settle dropped objects with BlenderProc's rigid-body simulation, into plain graph data.

``physics_drop`` scenes are resolved with objects hanging in the air; this runs the
simulation once and writes the rest poses back into the graph (``settled: true``), so
the image is rendered from, and can be rendered again from, the graph alone.

The same graph must settle to the same poses in any session and for every view of its
scene. Blender's UV-sphere primitive lists the same faces in a different order each time
it is made, and BlenderProc's simulation reads meshes in face order twice: the
centre-of-mass origin shift is a float sum over faces, and a ``MESH`` collider's
triangles follow them. A last-bit difference there grows into a different rest pose
(tenths of a millimetre to tenths of a degree), so every mesh's faces are sorted before
simulating. Rendering does not depend on face order.
"""

from __future__ import annotations

import math
from types import ModuleType

from simulacra.assets_manifest import VerifiedFiles
from simulacra.render.builder import build_scene
from simulacra.scenes import SceneGraph

# Simulated seconds: at least MIN, at most MAX, stopping once nothing moved over CHECK.
_MIN_SECONDS, _MAX_SECONDS, _CHECK_SECONDS = 1.0, 8.0, 1.0


def settle(bproc: ModuleType, graph: SceneGraph, files: VerifiedFiles) -> SceneGraph:
    """The graph with every object at its simulated rest pose (the Blender scene is left built).

    Labeled objects fall (convex-hull colliders); the surface and every other piece of
    the scene stay fixed. Objects that rolled off the surface are removed and the rest
    numbered 1, 2, ... again, as the resolver numbers them.
    """
    names = build_scene(bproc, graph, files)
    meshes = {mesh.get_name(): mesh for mesh in bproc.object.get_all_mesh_objects()}
    for name, mesh in meshes.items():
        _sort_faces(mesh.get_mesh())
        if name in names:
            mesh.enable_rigidbody(active=True, collision_shape="CONVEX_HULL")
        else:
            mesh.enable_rigidbody(active=False, collision_shape="MESH")
    bproc.object.simulate_physics_and_fix_final_poses(
        min_simulation_time=_MIN_SECONDS,
        max_simulation_time=_MAX_SECONDS,
        check_object_interval=_CHECK_SECONDS,
    )
    settled = []
    for node in graph.objects:
        mesh = meshes[f"instance_{node.instance_id}"]
        location = tuple(round(float(v), 6) for v in mesh.get_location())
        if location[2] < -graph.surface.thickness:  # fell off the edge
            continue
        rotation = tuple(round(math.degrees(float(a)), 6) for a in mesh.get_rotation_euler())
        pose = {
            "instance_id": len(settled) + 1,
            "location": location,
            "rotation_deg": rotation,
            "yaw_deg": rotation[2],
        }
        settled.append(node.model_copy(update=pose))
    return graph.model_copy(update={"objects": tuple(settled), "settled": True})


def _sort_faces(data: object) -> None:
    """Reorder a ``bpy.types.Mesh``'s faces by their vertex indices: same geometry, same face order.

    Vertex order and each face's corner order are already stable; only the face order
    is not (see the module docstring). UVs and material slots travel with their faces.
    """
    import bmesh

    mesh = bmesh.new()
    mesh.from_mesh(data)
    corners = [[v.index for v in face.verts] for face in mesh.faces]
    order = sorted(range(len(corners)), key=lambda i: (sorted(corners[i]), corners[i]))
    rank = {face: position for position, face in enumerate(order)}
    mesh.faces.sort(key=lambda face: rank[face.index])  # bmesh wants a number per face
    mesh.to_mesh(data)
    mesh.free()
