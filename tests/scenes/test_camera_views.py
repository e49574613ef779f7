"""Camera intrinsics (K matrix) and several views per scene, resolved without Blender."""

from __future__ import annotations

import json
import math

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import SpecError
from simulacra.scenes import SceneGraph, load_spec, redraw_camera, resolve, spec_from_dict

SCENE_FIELDS = ("surface", "objects", "lights", "posters", "background", "environment", "distractors")


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


def _spec(camera: dict, **extra):
    return spec_from_dict({"name": "cam", "resolution": [64, 48], "camera": camera, **extra}, source="test")


def test_presets_have_no_new_camera_fields(manifest):
    """Without intrinsics or views the spec dump and graph have no k, scene_index or view."""
    spec = load_spec("tabletop")
    assert not {"intrinsics", "views"} & set(spec.model_dump(mode="json")["camera"])
    graph = json.loads(resolve(spec, manifest, job_seed=1, image_index=0).to_json())
    assert "k" not in graph["camera"] and not {"scene_index", "view"} & set(graph)


def test_pixel_intrinsics_give_k_and_fov(manifest):
    """fx, fy, cx, cy in pixels become K; fov_deg is the horizontal field of view it implies."""
    spec = _spec({"intrinsics": {"fx": [50, 60], "fy": 70, "cx": 30, "cy": [20, 25]}})
    graph = resolve(spec, manifest, job_seed=2, image_index=0)
    (fx, skew, cx), (zero, fy, cy), last = graph.camera.k
    assert 50 <= fx <= 60 and fy == 70 and cx == 30 and 20 <= cy <= 25
    assert (skew, zero, last) == (0.0, 0.0, (0.0, 0.0, 1.0))
    assert graph.camera.fov_deg == pytest.approx(math.degrees(2 * math.atan(64 / (2 * fx))), abs=1e-5)
    assert SceneGraph.from_json(graph.to_json()) == graph


def test_millimetre_intrinsics_and_jitter(manifest):
    """focal_length_mm over sensor_width_mm gives fx = fy; the principal point jitters about the centre."""
    spec = _spec(
        {"intrinsics": {"focal_length_mm": 32, "sensor_width_mm": 16, "principal_point_jitter_px": 2}}
    )
    for index in range(5):
        (fx, _, cx), (_, fy, cy), _ = resolve(spec, manifest, job_seed=3, image_index=index).camera.k
        assert fx == fy == pytest.approx(32 * 64 / 16)
        assert abs(cx - 31.5) <= 2 and abs(cy - 23.5) <= 2


@pytest.mark.parametrize(
    ("camera", "message"),
    [
        ({"intrinsics": {"fx": 50, "focal_length_mm": 30}}, "camera.intrinsics: .*exactly one"),
        ({"intrinsics": {}}, "camera.intrinsics: .*exactly one"),
        ({"intrinsics": {"focal_length_mm": 30, "fy": 40}}, "camera.intrinsics: fy: only used with fx"),
        ({"intrinsics": {"fx": 50, "sensor_width_mm": 20}}, "camera.intrinsics: sensor_width_mm"),
        ({"intrinsics": {"fx": -5}}, "camera.intrinsics.fx"),
        ({"intrinsics": {"fx": 50}, "fov_deg": 60}, "camera: fov_deg: give either fov_deg or intrinsics"),
        ({"views": 0}, "camera.views"),
    ],
)
def test_bad_camera_fields_name_their_path(camera, message):
    """Intrinsics and views errors name the YAML path."""
    with pytest.raises(SpecError, match=message):
        _spec(camera)


def test_principal_point_outside_the_image_is_refused(manifest):
    """A principal point (with jitter) that may leave the image is a SpecError naming cx or cy."""
    spec = _spec({"intrinsics": {"fx": 50, "cy": [40, 47], "principal_point_jitter_px": 1}})
    with pytest.raises(
        SpecError, match=r"camera\.intrinsics\.cy: principal point may leave the 48-pixel image"
    ):
        resolve(spec, manifest, job_seed=0, image_index=0)


def test_views_share_the_scene_and_differ_in_camera(manifest):
    """Images 0..2 of views: 3 are one scene seen by three cameras; image 3 starts the next scene."""
    spec = _spec(
        {"views": 3, "intrinsics": {"fx": 55, "principal_point_jitter_px": 3}},
        posters={"probability": 1.0},
        distractors={"count_range": [2, 3]},
        sensor={"noise": {"sigma_range": [1.0, 3.0]}},
    )
    graphs = [resolve(spec, manifest, job_seed=4, image_index=i) for i in range(4)]
    first = json.loads(graphs[0].to_json())
    for view, graph in enumerate(graphs[:3]):
        data = json.loads(graph.to_json())
        assert (graph.scene_index, graph.view) == (0, view)
        assert all(data.get(name) == first.get(name) for name in SCENE_FIELDS)
    assert len({g.camera for g in graphs[:3]}) == 3 and len({g.seed for g in graphs}) == 4
    assert len({g.sensor for g in graphs[:3]}) == 3  # the camera's own noise
    assert (graphs[3].scene_index, graphs[3].view) == (1, 0) and graphs[3].objects != graphs[0].objects


def test_a_view_resolves_alone_and_redraws_only_its_camera(manifest):
    """Any image resolves the same on its own (any order, any worker); a redraw keeps the scene."""
    spec = _spec({"views": 2})
    alone = resolve(spec, manifest, job_seed=5, image_index=3)
    in_order = [resolve(spec, manifest, job_seed=5, image_index=i) for i in range(4)][3]
    assert alone.to_json() == in_order.to_json()
    redrawn = redraw_camera(spec, alone, 1)
    assert redrawn.camera != alone.camera and redrawn.objects == alone.objects
    assert (redrawn.scene_index, redrawn.view) == (1, 1)
