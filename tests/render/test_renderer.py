"""The persistent renderer: real Blender (Cycles on CPU) at 96 px and 8 samples."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import RenderError
from simulacra.render import Renderer, RenderSettings
from simulacra.scenes import load_spec, resolve

pytestmark = pytest.mark.blender


@pytest.fixture(scope="module")
def rendered(small_spec_path):
    """Three scenes (one twice) rendered in one Blender session."""
    manifest = builtin_manifest()
    spec = load_spec(small_spec_path)
    graphs = [resolve(spec, manifest, job_seed=3, image_index=i) for i in range(3)]
    with Renderer(manifest, manifest.categories()) as renderer:
        frames = [renderer.render(g) for g in graphs]
        again = renderer.render(graphs[0])
    return manifest, graphs, frames, again


@pytest.fixture(scope="module")
def small_spec_path(tmp_path_factory):
    from tests.conftest import SMALL_SPEC

    path = tmp_path_factory.mktemp("spec") / "small.yaml"
    path.write_text(SMALL_SPEC)
    return path


def test_frame_layers_have_expected_types(rendered):
    """RGB uint8, depth float32, instance uint16 and class uint8, all pixel-aligned."""
    _, _, frames, _ = rendered
    for frame in frames:
        assert frame.rgb.shape == (96, 96, 3) and frame.rgb.dtype == np.uint8
        assert frame.depth.shape == (96, 96) and frame.depth.dtype == np.float32
        assert frame.instance_mask.dtype == np.uint16 and frame.class_mask.dtype == np.uint8
        assert frame.rgb.std() > 5  # a real image, not a flat fill
        assert frame.backend == "CPU"


def test_instance_table_matches_graph_and_masks(rendered):
    """Every visible instance is in the graph, its pixels counted, its class id consistent."""
    manifest, graphs, frames, _ = rendered
    categories = manifest.categories()
    for graph, frame in zip(graphs, frames, strict=True):
        by_id = {node.instance_id: node for node in graph.objects}
        assert frame.instances, "at least one object is visible"
        ids_in_mask = set(np.unique(frame.instance_mask).tolist()) - {0}
        assert ids_in_mask == {info.instance_id for info in frame.instances}
        for info in frame.instances:
            node = by_id[info.instance_id]
            assert (info.category, info.asset_id) == (node.category, node.asset.id)
            pixels = frame.instance_mask == info.instance_id
            assert pixels.sum() == info.pixels
            assert np.all(frame.class_mask[pixels] == categories.index(info.category) + 1)
            assert np.all(frame.depth[pixels] > 0.3)
        assert np.all(frame.class_mask[frame.instance_mask == 0] == 0)


def test_same_graph_renders_same_pixels(rendered):
    """Rendering a graph again in the same session gives identical pixels, depth and labels."""
    _, _, frames, again = rendered
    assert np.array_equal(frames[0].rgb, again.rgb)
    assert np.array_equal(frames[0].instance_mask, again.instance_mask)
    assert np.array_equal(frames[0].depth, again.depth)


def test_second_session_matches_first(rendered):
    """A new renderer in the same process starts clean and reproduces the first render."""
    manifest, graphs, frames, _ = rendered
    with Renderer(manifest, manifest.categories()) as renderer:
        frame = renderer.render(graphs[1])
    assert np.array_equal(frame.rgb, frames[1].rgb)
    assert np.array_equal(frame.instance_mask, frames[1].instance_mask)


def test_adapter_keeps_site_packages_on_path(rendered):
    """After loading BlenderProc, site-packages is still importable (the adapter re-adds it)."""
    import blenderproc

    assert hasattr(blenderproc, "renderer")
    import pycocotools  # noqa: F401  (a package from the same site-packages)

    assert any(p.endswith("site-packages") for p in sys.path)


def test_missing_gpu_is_a_clear_error(rendered):
    """--device cuda on a machine without CUDA names the device and the fallback."""
    manifest = rendered[0]
    with (
        pytest.raises(RenderError, match="--device cuda: Cycles found no CUDA GPU"),
        Renderer(manifest, manifest.categories(), RenderSettings(device="cuda")),
    ):
        pass


def test_normals_are_unit_and_in_camera_frame(rendered):
    """Surface normals are unit vectors; the table top faces up (-y) and toward the camera (-z)."""
    _, _, frames, _ = rendered
    for frame in frames:
        surface = frame.depth > 0
        lengths = np.linalg.norm(frame.normals[surface], axis=1)
        assert np.allclose(lengths, 1.0, atol=1e-3)
        assert not frame.normals[~surface].any()
        table = surface & (frame.instance_mask == 0)
        mean = frame.normals[table].mean(axis=0)
        assert mean[1] < -0.3 and mean[2] < -0.3


def test_unoccluded_area_matches_the_mask_where_nothing_hides_an_object(rendered):
    """The projected silhouette equals the rendered mask for unhidden objects and bounds the rest."""
    _, _, frames, _ = rendered
    infos = [info for frame in frames for info in frame.instances]
    assert all(info.unoccluded_pixels >= info.pixels for info in infos)
    exact = sum(info.unoccluded_pixels == info.pixels for info in infos)
    assert exact >= len(infos) // 2, [(i.pixels, i.unoccluded_pixels) for i in infos]


def test_memory_stays_flat_over_many_scenes(rendered, small_spec_path):
    """Twenty 128 px scenes after a warm-up grow the process by a few MiB, not one per scene."""
    from simulacra.work.unit import rss_mb

    manifest = rendered[0]
    spec = load_spec(small_spec_path).model_copy(update={"resolution": (128, 128), "samples": 2})
    graphs = [resolve(spec, manifest, job_seed=5, image_index=i) for i in range(25)]
    with Renderer(manifest, manifest.categories(), RenderSettings(threads=1)) as renderer:
        for graph in graphs[:5]:
            renderer.render(graph)
        before = rss_mb()
        for graph in graphs[5:]:
            renderer.render(graph)
        grown = rss_mb() - before
    assert grown < 25, f"resident memory grew {grown:.1f} MiB over 20 scenes"
