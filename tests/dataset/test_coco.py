"""COCO image entries carry the K matrix of specs that give camera intrinsics, and only those."""

from __future__ import annotations

import numpy as np

from simulacra.assets_manifest import builtin_manifest
from simulacra.dataset.coco import build_coco, image_record
from simulacra.scenes import resolve, spec_from_dict


def _coco_image(camera: dict) -> dict:
    manifest = builtin_manifest()
    spec = spec_from_dict({"name": "k", "resolution": [64, 48], "camera": camera}, source="test")
    graph = resolve(spec, manifest, job_seed=3, image_index=0)
    mask = np.zeros((48, 64), np.uint16)
    mask[10:20, 10:20] = graph.objects[0].instance_id
    (image,) = build_coco([image_record(graph, mask)], manifest.categories(), "test")["images"]
    return image


def test_intrinsics_reach_the_coco_image_entry():
    image = _coco_image({"intrinsics": {"fx": 200, "fy": 300, "cx": 24, "cy": 36}})
    assert image["camera_k"] == [[200.0, 0.0, 24.0], [0.0, 300.0, 36.0], [0.0, 0.0, 1.0]]


def test_field_of_view_specs_add_no_key():
    assert "camera_k" not in _coco_image({"fov_deg": 50.0})
