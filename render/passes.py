"""Extra render passes BlenderProc does not provide in a scene-independent form.

BlenderProc's own normals output bakes the camera rotation of the poses registered
when it is enabled into compositor keyframes, which does not suit a renderer that
keeps one session across scenes. We write Cycles' world-space normal pass as is and
rotate it into the camera frame in numpy (:func:`world_to_camera_normals`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

NORMALS_KEY = "normals"  # a key BlenderProc's render() loads by default


def enable_world_normals(temp_dir: Path) -> None:
    """Route the Normal pass to an EXR file BlenderProc loads under ``NORMALS_KEY``."""
    import bpy
    from blenderproc.python.utility.Utility import Utility

    bpy.context.view_layer.use_pass_normal = True
    scene = bpy.context.scene
    scene.render.use_compositing = True
    scene.use_nodes = True
    tree = scene.node_tree
    layers = Utility.get_the_one_node_with_type(tree.nodes, "CompositorNodeRLayers")
    output = tree.nodes.new("CompositorNodeOutputFile")
    output.base_path = str(temp_dir)
    output.format.file_format = "OPEN_EXR"
    output.format.color_mode = "RGB"
    output.format.color_depth = "32"
    output.file_slots.values()[0].path = "world_normals_"
    # Blender 4.1+ writes a vector socket as a single channel; split and recombine it
    # so the file holds three float channels.
    split = tree.nodes.new("CompositorNodeSeparateColor")
    combine = tree.nodes.new("CompositorNodeCombineColor")
    tree.links.new(layers.outputs["Normal"], split.inputs["Image"])
    for channel in ("Red", "Green", "Blue"):
        tree.links.new(split.outputs[channel], combine.inputs[channel])
    tree.links.new(combine.outputs["Image"], output.inputs["Image"])
    Utility.add_output_entry(
        {
            "key": NORMALS_KEY,
            "path": os.path.join(str(temp_dir), "world_normals_") + "%04d.exr",
            "version": "2.0.0",
        }
    )


def world_to_camera_normals(world: np.ndarray, camera_to_world: np.ndarray) -> np.ndarray:
    """Rotate world-space normals into the OpenCV camera frame (x right, y down, z forward).

    Blender cameras look down their local -Z with +Y up; OpenCV's frame flips y and z.
    The pass is anti-aliased, so edge pixels average two normals: every non-zero
    normal is scaled back to unit length. Pixels without a surface stay zero.
    """
    rotation = np.asarray(camera_to_world, dtype=np.float64)[:3, :3]
    blender_camera = world.reshape(-1, 3) @ rotation  # == (R^T n) for each row n
    camera = blender_camera * np.array([1.0, -1.0, -1.0])
    length = np.linalg.norm(camera, axis=1, keepdims=True)
    camera = np.divide(camera, length, out=np.zeros_like(camera), where=length > 1e-6)
    return camera.reshape(world.shape).astype(np.float32)
