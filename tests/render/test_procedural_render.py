"""Procedural materials rendered by Blender: every family builds, looks differ, labels and pixels hold."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.cli import run
from simulacra.randomize import FAMILIES, sample_family
from simulacra.render import Renderer
from simulacra.scenes import SceneGraph, resolve, spec_from_dict

pytestmark = pytest.mark.blender

SPEC = """\
name: {name}
resolution: [64, 64]
samples: 4
surface:
  material: {{{surface}}}
objects:
  count_range: [3, 4]
  scale_range: [1.3, 1.6]
  material: {{{objects}}}
camera:
  distance_range: [0.8, 0.9]
posters:
  probability: 0.0
{extra}"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One image of one seed three times: flat, procedural families on table and objects, and in a room."""
    root = tmp_path_factory.mktemp("procedural")
    outs = {}
    for name, surface, objects, extra in (
        ("flat", "", "", ""),
        ("dressed", "families: {marble: 1}", "families: {wood: 1, brushed_metal: 1, glass: 1}", ""),
        ("room", "", "", "environment:\n  room: {}\nbackground:\n  kind: sky\n"),
    ):
        spec = root / f"{name}.yaml"
        spec.write_text(SPEC.format(name=name, surface=surface, objects=objects, extra=extra))
        outs[name] = root / name
        assert run(["generate", str(spec), "-n", "1", "-o", str(outs[name]), "--seed", "4"]) == 0
    return outs


def _read(out, relative: str) -> np.ndarray:
    return cv2.imread(str(out / relative), cv2.IMREAD_UNCHANGED)


def test_same_scene_in_other_materials_keeps_its_labels(generated):
    """Dressed and flat share the geometry: identical instance masks, different pixels."""
    flat, dressed = generated["flat"], generated["dressed"]
    mask = _read(dressed, "masks/000000_instance.png")
    assert (mask > 0).any() and np.array_equal(mask, _read(flat, "masks/000000_instance.png"))
    assert not np.array_equal(_read(dressed, "images/000000.png"), _read(flat, "images/000000.png"))
    assert '"procedural"' in (dressed / "scene_graphs.jsonl").read_text()


def test_room_is_unlabeled_and_closes_the_view(generated):
    """In a room the masks stay the objects' (no wall gets an id) and walls hide most of the world."""
    flat, room = generated["flat"], generated["room"]
    graph = SceneGraph.from_json((room / "scene_graphs.jsonl").read_text())
    mask = _read(room, "masks/000000_instance.png")
    assert set(np.unique(mask)) - {0} <= {node.instance_id for node in graph.objects} and (mask > 0).any()
    open_sky = (_read(room, "depth/000000.tiff") == 0).mean(), (_read(flat, "depth/000000.tiff") == 0).mean()
    assert open_sky[0] < open_sky[1]


def test_dressed_image_rerenders_pixel_identical(generated, capfd):
    """The stored graph alone reproduces the procedural image exactly (``rerender`` exits 0)."""
    assert run(["rerender", str(generated["dressed"]), "--id", "0"]) == 0
    assert "matches" in capfd.readouterr().err


def test_every_family_builds_and_changes_what_the_objects_look_like():
    """Each family, worn by the table or an object in a real render, changes that surface's pixels."""
    manifest = builtin_manifest()
    spec = spec_from_dict(
        {"name": "all", "resolution": [48, 48], "samples": 2, "objects": {"count_range": [4, 4]}}, source="t"
    )
    flat_graph = resolve(spec, manifest, job_seed=1, image_index=0)
    names = list(FAMILIES)
    with Renderer(manifest, manifest.categories()) as renderer:
        flat = renderer.render(flat_graph)
        for start in range(0, len(names), 1 + len(flat_graph.objects)):
            chunk = names[start : start + 1 + len(flat_graph.objects)]
            graph = _wearing(flat_graph, chunk)
            frame = renderer.render(graph)
            assert np.array_equal(frame.instance_mask, flat.instance_mask)
            for family, region in zip(chunk, _regions(flat, graph), strict=False):
                assert not np.array_equal(frame.rgb[region], flat.rgb[region]), family
        # Light paths set for procedural scenes are reset: a flat scene after them renders as before.
        assert np.array_equal(renderer.render(flat_graph).rgb, flat.rgb)


def _wearing(graph, families: list[str]):
    """``graph`` with the table wearing ``families[0]`` and the objects the rest, drawn from one seed."""
    rng = np.random.default_rng(0)
    records = [sample_family(name, (0.7, 0.3, 0.2), rng=rng) for name in families]
    surface = graph.surface.model_copy(update={"procedural": records[0]})
    objects = [
        node.model_copy(update={"procedural": r}) for node, r in zip(graph.objects, records[1:], strict=False)
    ]
    return graph.model_copy(
        update={"surface": surface, "objects": (*objects, *graph.objects[len(objects) :])}
    )


def _regions(flat, graph):
    """The table's pixels (unlabeled, in front of the far background) then each object's mask."""
    yield (flat.instance_mask == 0) & (flat.depth > 0) & (flat.depth < 3.0)
    for node in graph.objects:
        yield flat.instance_mask == node.instance_id
