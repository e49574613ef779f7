"""Camera intrinsics and the world (colour, HDRI, or sky and sun) of a scene, set from its graph.

BlenderProc's camera keeps its shift and pixel aspect across scenes (its per-scene
clean-up keeps the camera), so the FOV path sets them back to a plain centred pinhole
every time; a scene with a K matrix sets them from K. The world is created fresh by
every clean-up, so an HDRI or sky never outlives its scene.
"""

from __future__ import annotations

import math
from types import ModuleType

from simulacra.assets_manifest import VerifiedFiles
from simulacra.randomize import CameraPose, aim_rotation_deg
from simulacra.randomize.camera import Vec3
from simulacra.scenes.graph import BackgroundNode, SkyNode


def set_intrinsics(bproc: ModuleType, camera: CameraPose, resolution: tuple[int, int]) -> None:
    """The graph's K matrix when it has one, else its horizontal ``fov_deg``, principal point centred."""
    width, height = resolution
    if camera.k is not None:
        bproc.camera.set_intrinsics_from_K_matrix([list(row) for row in camera.k], width, height)
        return
    bproc.camera.set_intrinsics_from_blender_params(
        lens=math.radians(camera.fov_deg),
        image_width=width,
        image_height=height,
        lens_unit="FOV",
        pixel_aspect_x=1.0,
        pixel_aspect_y=1.0,
        shift_x=0.0,
        shift_y=0.0,
    )


def set_world(bproc: ModuleType, background: BackgroundNode, files: VerifiedFiles) -> None:
    """Light the world with the graph's background: uniform grey, an HDRI, or a sky and its sun."""
    import bpy

    world = bpy.context.scene.world
    world.use_nodes = True  # a world made by clean-up has no node tree yet
    if background.hdri is not None:
        ref = background.hdri.asset
        bproc.world.set_world_background_hdr_img(
            str(files.path(ref.id, ref.sha256)),
            strength=background.strength,
            rotation_euler=[0.0, 0.0, math.radians(background.hdri.rotation_deg)],
        )
    elif background.sky is not None:
        _sky(bproc, world.node_tree, background.sky)
        world.node_tree.nodes["Background"].inputs["Strength"].default_value = background.strength
    else:
        bproc.renderer.set_world_background([background.gray] * 3, strength=background.strength)


def sun_direction(sky: SkyNode) -> Vec3:
    """Unit vector toward the sun: elevation above the horizon, rotation from +y toward +x."""
    elevation, rotation = math.radians(sky.sun_elevation_deg), math.radians(sky.sun_rotation_deg)
    return (
        math.cos(elevation) * math.sin(rotation),
        math.cos(elevation) * math.cos(rotation),
        math.sin(elevation),
    )


def _sky(bproc: ModuleType, tree: object, sky: SkyNode) -> None:
    """Hosek-Wilkie sky into the Background shader, and a sun lamp from the same direction.

    Blender's Nishita sky has a sun disc but is black below the horizon, which a camera
    looking down at a table shows as a black backdrop; Hosek-Wilkie keeps the horizon's
    colour there. It has no sun disc, so the sun is a lamp: hard shadows, like a real sun.
    """
    nodes = tree.nodes  # type: ignore[attr-defined]
    texture = nodes.new("ShaderNodeTexSky")
    texture.sky_type = "HOSEK_WILKIE"
    direction = sun_direction(sky)
    texture.sun_direction = direction
    texture.turbidity = sky.turbidity
    texture.ground_albedo = sky.ground_albedo
    tree.links.new(texture.outputs["Color"], nodes["Background"].inputs["Color"])  # type: ignore[attr-defined]
    sun = bproc.types.Light(name="sky_sun")
    sun.set_type("SUN")
    sun.set_energy(sky.sun_strength)
    sun.set_rotation_euler([math.radians(a) for a in aim_rotation_deg(direction, (0.0, 0.0, 0.0))])
