"""Fixtures render as unlabeled geometry, and dropped objects settle inside the bin's walls."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulacra.cli import run
from simulacra.scenes import SceneGraph

pytestmark = pytest.mark.blender

SPEC = """\
name: small-bin
resolution: [64, 64]
samples: 8
environment:
  kind: bin
  width_range: [0.5, 0.5]
  depth_range: [0.4, 0.4]
  height_range: [0.15, 0.15]
objects:
  count_range: [6, 8]
  categories: [box, can]
  scale_range: [0.7, 0.8]
  placement: physics_drop
  height_range: [0.05, 1.0]
camera:
  elevation_deg_range: [60.0, 75.0]
posters:
  probability: 0.0
"""


def test_bin_scene_settles_inside_unlabeled_walls(tmp_path):
    """Settled objects stay within the walls; the masks hold only the objects' ids."""
    (tmp_path / "spec.yaml").write_text(SPEC)
    out = tmp_path / "out"
    assert run(["generate", str(tmp_path / "spec.yaml"), "-n", "1", "-o", str(out), "--seed", "2"]) == 0
    graph = SceneGraph.from_json((out / "scene_graphs.jsonl").read_text().splitlines()[0])
    assert graph.settled and len(graph.environment) == 4 and graph.objects
    for node in graph.objects:
        assert abs(node.location[0]) < 0.25 and abs(node.location[1]) < 0.2 and node.location[2] > -0.01
    mask = cv2.imread(str(out / "masks/000000_instance.png"), cv2.IMREAD_UNCHANGED)
    assert set(np.unique(mask)) - {0} <= {node.instance_id for node in graph.objects}
    assert (mask > 0).any()
