"""Scene specs, resolved scene graphs and the resolver (``simulacra.scenes``); no Blender here."""

from simulacra.scenes.graph import (
    AssetRef,
    BackgroundNode,
    ObjectNode,
    PackMaterialNode,
    PosterNode,
    SceneGraph,
    SurfaceNode,
)
from simulacra.scenes.resolver import redraw_camera, resolve
from simulacra.scenes.spec import SceneSpec, load_spec, spec_from_dict

__all__ = [
    "AssetRef",
    "BackgroundNode",
    "ObjectNode",
    "PackMaterialNode",
    "PosterNode",
    "SceneGraph",
    "SceneSpec",
    "SurfaceNode",
    "load_spec",
    "redraw_camera",
    "resolve",
    "spec_from_dict",
]
