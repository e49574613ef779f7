"""World backgrounds (HDRI, sky) and K-matrix intrinsics, rendered with real Blender at 64 px."""

from __future__ import annotations

import numpy as np
import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.render import Renderer
from simulacra.scenes import resolve, spec_from_dict

pytestmark = pytest.mark.blender

SIZE = 64


@pytest.fixture(scope="module")
def session():
    manifest = builtin_manifest()
    with Renderer(manifest, manifest.categories()) as renderer:
        yield manifest, renderer


def _graph(manifest, background: dict | None = None, **extra):
    data = {"name": "world", "resolution": [SIZE, SIZE], "samples": 4, "posters": {"probability": 0.0}}
    if background is not None:
        data["background"] = background
    return resolve(spec_from_dict({**data, **extra}, source="test"), manifest, job_seed=8, image_index=0)


def test_hdri_and_sky_light_the_scene_and_are_cleared_after(session):
    """With no lamps an HDRI or a sky lights the scene; the next colour scene is as if they never were."""
    manifest, renderer = session
    dark = _graph(manifest, {"gray_range": 0.0}).model_copy(update={"lights": ()})
    hdri = _graph(manifest, {"kind": "hdri", "assets": ["builtin:sky_sunset"], "strength_range": 1.0})
    sky = _graph(manifest, {"kind": "sky"})
    before = renderer.render(dark)
    lit_by_hdri = renderer.render(hdri.model_copy(update={"lights": ()}))
    lit_by_sky = renderer.render(sky.model_copy(update={"lights": ()}))
    after = renderer.render(dark)
    assert before.rgb.mean() < 3  # no lamp, black world: black
    assert lit_by_hdri.rgb.mean() > 40 and lit_by_sky.rgb.mean() > 40
    backdrop = lit_by_hdri.depth == 0  # the sunset's warm ground shows behind the table
    assert (
        backdrop.any() and lit_by_hdri.rgb[backdrop][:, 0].mean() > lit_by_hdri.rgb[backdrop][:, 2].mean() + 3
    )
    np.testing.assert_array_equal(after.rgb, before.rgb)


def test_k_matrix_puts_the_target_at_the_principal_point(session):
    """A ball the camera looks at lands on (cx, cy), stretched by fy / fx, as K says."""
    manifest, renderer = session
    camera = {"intrinsics": {"fx": 200, "fy": 300, "cx": 24, "cy": 36}}
    graph = _graph(manifest, objects={"count_range": [1, 1], "categories": ["ball"]}, camera=camera)
    (ball,) = graph.objects
    bounds = np.asarray(manifest.get(ball.asset.id).bounds)
    centre = tuple(float(v) for v in np.add(ball.location, bounds.mean(axis=0) * ball.scale))
    frame = renderer.render(
        graph.model_copy(update={"camera": graph.camera.model_copy(update={"look_at": centre})})
    )
    ys, xs = np.nonzero(frame.instance_mask == ball.instance_id)
    assert abs(xs.mean() - 24) < 1.0 and abs(ys.mean() - 36) < 1.0
    height, width = np.ptp(ys) + 1, np.ptp(xs) + 1
    assert height / width == pytest.approx(1.5, abs=0.15)
    (info,) = frame.instances  # the silhouette projection uses the same K: nothing hides the ball
    assert info.unoccluded_pixels == pytest.approx(info.pixels, rel=0.1)


def test_fov_scene_after_a_k_scene_is_centred_again(session):
    """A K scene's shift and pixel aspect do not leak into the next FOV scene."""
    manifest, renderer = session
    plain = _graph(manifest)
    first = renderer.render(plain)
    renderer.render(_graph(manifest, camera={"intrinsics": {"fx": 40, "fy": 80, "cx": 10, "cy": 50}}))
    np.testing.assert_array_equal(renderer.render(plain).instance_mask, first.instance_mask)
