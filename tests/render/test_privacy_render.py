"""Privacy operators reach Blender: a flagged face poster renders without a detectable face."""

from __future__ import annotations

import math
import shutil

import cv2
import numpy as np
import pytest
from skimage import data

from simulacra.assets_manifest import AssetFlags, AssetRecord, Manifest, builtin_manifest, sha256_of
from simulacra.audit.faces import detect_faces
from simulacra.render import Renderer
from simulacra.scenes import SceneGraph, resolve, spec_from_dict

pytestmark = pytest.mark.blender

FACE = "test:astronaut"
SPEC = {
    "name": "face-poster",
    "resolution": [320, 320],
    "samples": 8,
    "objects": {"count_range": 0},
    "posters": {"probability": 1.0, "assets": [FACE], "width_range": 0.6},
    "background": {"gray_range": 0.8, "strength_range": 1.5},
}


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> Manifest:
    """The built-in library plus a photograph of a face, flagged as showing an identifiable person."""
    root = tmp_path_factory.mktemp("assets")
    library = builtin_manifest()
    shutil.copytree(library.root, root, dirs_exist_ok=True)
    cv2.imwrite(str(root / "astronaut.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    face = AssetRecord(
        id=FACE,
        path="astronaut.png",
        sha256=sha256_of(root / "astronaut.png"),
        kind="texture",
        license="LicenseRef-PublicDomain",
        source="scikit-image data: astronaut",
        provenance="photographed",
        flags=AssetFlags(contains_person=True, identifiable=True),
    )
    return Manifest(root=root, assets=(*library.assets, face))


def _facing_the_poster(graph: SceneGraph) -> SceneGraph:
    """The poster lifted clear of the table and the camera square in front of it, filling the frame."""
    poster = graph.posters[0]
    azimuth = math.radians(poster.yaw_deg)
    distance = 0.9 * (poster.width / 2) / math.tan(math.radians(graph.camera.fov_deg) / 2)
    x, y, z = poster.location[0], poster.location[1], poster.height
    camera = graph.camera.model_copy(
        update={
            "location": (x + math.sin(azimuth) * distance, y - math.cos(azimuth) * distance, z),
            "look_at": (x, y, z),
        }
    )
    lifted = poster.model_copy(update={"location": (x, y, z)})
    return graph.model_copy(update={"camera": camera, "posters": (lifted,)})


def test_flagged_face_poster_renders_without_a_face(manifest):
    """Without its privacy node the poster shows a face the audit's detector finds; with it, none."""
    graph = _facing_the_poster(
        resolve(spec_from_dict(SPEC, source="test"), manifest, job_seed=0, image_index=0)
    )
    assert graph.privacy is not None and graph.privacy.textures[0].asset == FACE
    with Renderer(manifest, manifest.categories()) as renderer:
        exposed = renderer.render(graph.model_copy(update={"privacy": None})).rgb
        treated = renderer.render(graph).rgb
    assert detect_faces(exposed), "control: the untreated poster shows a detectable face"
    assert detect_faces(treated) == []
    assert np.abs(exposed.astype(int) - treated).mean() > 5
