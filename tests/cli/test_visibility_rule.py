"""`camera.min_visible_pixels`: every labeled object in the written masks shows at least k pixels."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from simulacra.cli import run
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender

SPEC = """\
name: visible
resolution: [64, 64]
samples: 8
objects:
  count_range: [4, 6]
posters:
  probability: 0.0
camera:
  distance_range: [0.5, 1.2]
  azimuth_deg_range: [-80, 80]
  min_visible_pixels: {k}
  max_redraws: {redraws}
"""


def _generate(root, k: int, redraws: int, n: int):
    (root / "spec.yaml").write_text(SPEC.format(k=k, redraws=redraws))
    out = root / "out"
    assert run(["generate", str(root / "spec.yaml"), "-n", str(n), "-o", str(out), "--seed", "5"]) == 0
    graphs = [SceneGraph.from_json(line) for line in (out / "scene_graphs.jsonl").read_text().splitlines()]
    return out, graphs


def _mask(out, index: int) -> np.ndarray:
    return cv2.imread(str(out / f"masks/{index:06d}_instance.png"), cv2.IMREAD_UNCHANGED)


def test_rule_holds_on_rendered_masks(tmp_path):
    """k = 30: every instance in every mask and COCO annotation has >= 30 pixels; a camera was redrawn."""
    out, graphs = _generate(tmp_path, k=30, redraws=4, n=4)
    annotations = json.loads((out / "annotations/coco.json").read_text())["annotations"]
    assert annotations and all(a["area"] >= 30 for a in annotations)
    for graph in graphs:
        ids, counts = np.unique(_mask(out, graph.image_index), return_counts=True)
        assert all(count >= 30 for i, count in zip(ids, counts, strict=True) if i != 0)
        unlabeled = set(graph.unannotated or ())
        assert not unlabeled & set(ids.tolist())
        # every object is either labeled with >= k pixels or listed as unannotated
        assert set(ids.tolist()) - {0} | unlabeled == {node.instance_id for node in graph.objects}
    assert any(graph.camera_redraws for graph in graphs), "the close camera hid an object at least once"
    redrawn = next(g for g in graphs if g.camera_redraws)
    assert run(["rerender", str(out), "--id", str(redrawn.image_index)]) == 0


def test_unmeetable_rule_keeps_image_and_unlabels_small_objects(tmp_path):
    """k larger than the frame: the image is kept, no object labeled, all listed as unannotated."""
    out, graphs = _generate(tmp_path, k=10_000, redraws=1, n=1)
    (graph,) = graphs
    assert graph.unannotated == tuple(node.instance_id for node in graph.objects)
    assert not _mask(out, 0).any()
    assert json.loads((out / "annotations/coco.json").read_text())["annotations"] == []
    assert (out / "images/000000.png").is_file()
