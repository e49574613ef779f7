"""The resolver: a pure, deterministic function of (spec, manifest, seed)."""

from __future__ import annotations

import math

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import AssetError, SpecError
from simulacra.scenes import SceneGraph, load_spec, resolve, spec_from_dict


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


def test_same_seed_gives_byte_identical_graph(manifest):
    """Same spec, manifest and seed: the graph JSON is byte-identical."""
    spec = load_spec("tabletop")
    first = resolve(spec, manifest, job_seed=7, image_index=3).to_json()
    second = resolve(spec, manifest, job_seed=7, image_index=3).to_json()
    assert first == second


def test_other_index_or_attempt_gives_other_scene(manifest):
    """Image index and attempt each change the derived seed and the scene."""
    spec = load_spec("tabletop")
    base = resolve(spec, manifest, job_seed=7, image_index=3)
    assert resolve(spec, manifest, job_seed=7, image_index=4).seed != base.seed
    assert resolve(spec, manifest, job_seed=7, image_index=3, attempt=1).to_json() != base.to_json()


def test_graph_round_trips_through_json(manifest):
    """A stored graph loads back equal, so an image can be re-rendered from it."""
    graph = resolve(load_spec("tabletop"), manifest, job_seed=1, image_index=0)
    assert SceneGraph.from_json(graph.to_json()) == graph


def test_tabletop_preset_ranges(manifest):
    """Tabletop: 3-8 objects on the table, 1-3 lights, camera looking at the objects."""
    spec = load_spec("tabletop")
    for index in range(20):
        graph = resolve(spec, manifest, job_seed=0, image_index=index)
        assert 1 <= len(graph.lights) <= 3
        assert 3 <= len(graph.objects) <= 8
        half_w, half_d = graph.surface.size[0] / 2, graph.surface.size[1] / 2
        for node in graph.objects:
            assert abs(node.location[0]) < half_w and abs(node.location[1]) < half_d
        distance = math.dist(graph.camera.location, graph.camera.look_at)
        low, high = spec.camera.distance_range.support()
        assert low - 1e-6 <= distance <= high + 1e-6


def test_objects_do_not_overlap(manifest):
    """Placed objects' footprints (bounding discs) never intersect."""
    spec = spec_from_dict({"name": "crowded", "objects": {"count_range": [8, 8]}}, source="test")
    graph = resolve(spec, manifest, job_seed=5, image_index=0)
    nodes = graph.objects
    radius = {
        r.id: math.hypot(
            *(max(abs(a), abs(b)) for a, b in zip(r.bounds[0][:2], r.bounds[1][:2], strict=True))
        )
        for r in manifest.of_kind("mesh")
    }
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            gap = math.dist(a.location[:2], b.location[:2])
            assert gap >= radius[a.asset.id] * a.scale + radius[b.asset.id] * b.scale


def test_excluded_asset_never_sampled(manifest):
    """An excluded asset (e.g. after an audit reject) is not drawn again."""
    spec = spec_from_dict(
        {"name": "posters", "posters": {"probability": 1.0, "assets": ["builtin:poster_art_0"]}},
        source="test",
    )
    graph = resolve(spec, manifest, job_seed=1, image_index=0)
    assert [p.asset.id for p in graph.posters] == ["builtin:poster_art_0"]
    again = resolve(
        spec, manifest, job_seed=1, image_index=0, attempt=1, exclude=frozenset({"builtin:poster_art_0"})
    )
    assert again.posters == ()
    assert again.excluded_assets == ("builtin:poster_art_0",)


def test_unknown_category_names_the_field(manifest):
    """A category the manifest lacks is refused with its YAML path."""
    spec = spec_from_dict({"name": "x", "objects": {"categories": ["mug", "unicorn"]}}, source="test")
    with pytest.raises(SpecError, match=r"objects\.categories\[1\]: no mesh of category 'unicorn'"):
        resolve(spec, manifest, job_seed=0, image_index=0)


def test_nothing_left_to_sample(manifest):
    """Excluding every candidate mesh is an AssetError, not an empty scene."""
    spec = spec_from_dict({"name": "x", "objects": {"categories": ["mug"]}}, source="test")
    mugs = frozenset(r.id for r in manifest.of_kind("mesh") if r.category == "mug")
    with pytest.raises(AssetError, match="no mesh asset is left"):
        resolve(spec, manifest, job_seed=0, image_index=0, exclude=mugs)


def test_camera_redraw_is_seeded_and_recorded():
    """The n-th camera redraw of an image is always the same pose, differs from the first, and is recorded."""
    from simulacra.assets_manifest import builtin_manifest
    from simulacra.scenes import SceneSpec, redraw_camera, resolve

    spec = SceneSpec(name="redraw")
    graph = resolve(spec, builtin_manifest(), job_seed=1, image_index=2)
    first, again = redraw_camera(spec, graph, 1), redraw_camera(spec, graph, 1)
    assert first == again and first.camera != graph.camera
    assert first.camera != redraw_camera(spec, graph, 2).camera
    assert first.camera.look_at == graph.camera.look_at and first.objects == graph.objects
    assert '"camera_redraws":1' in first.to_json()
    assert "camera_redraws" not in graph.to_json() and "unannotated" not in graph.to_json()


def test_sensor_effects_drawn_last_and_recorded(manifest):
    """Adding ``sensor`` leaves every earlier draw as it was and records the effects; absent, no key."""
    spec = load_spec("tabletop")
    plain = resolve(spec, manifest, job_seed=7, image_index=3)
    assert '"sensor"' not in plain.to_json()
    sensor = spec_from_dict({"name": "s", "sensor": {"noise": {}, "jpeg": {}}}, source="t").sensor
    sensed_spec = spec.model_copy(update={"sensor": sensor})
    sensed = resolve(sensed_spec, manifest, job_seed=7, image_index=3)
    assert [e.effect for e in sensed.sensor] == ["noise", "jpeg"]
    assert sensed.model_copy(update={"sensor": None}).to_json() == plain.to_json()
    assert SceneGraph.from_json(sensed.to_json()) == sensed


def test_bad_sensor_params_name_the_yaml_path():
    """A sensor value out of range is one line naming its path."""
    with pytest.raises(SpecError, match=r"^t: sensor\.blur\.sigma_range: expected values >= 0\.0") as err:
        spec_from_dict({"name": "s", "sensor": {"blur": {"sigma_range": [-1, 1]}}}, source="t")
    assert "\n" not in str(err.value)
