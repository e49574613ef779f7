"""`export --format bop`: every field of the BOP format, and poses that put each model on its mask.

No BOP loader installs beside the pinned torch, so this is the strict structural check:
the files and keys the BOP toolkit reads, depth in mm, and the models projected with K
and R/t by OpenCV (not the exporter's own rasteriser) against the rendered masks.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import trimesh

from simulacra.cli import run

pytestmark = pytest.mark.blender

GT_INFO = {"bbox_obj", "bbox_visib", "px_count_all", "px_count_valid", "px_count_visib", "visib_fract"}


def _scenes(out: Path) -> list[Path]:
    return sorted(p for split in ("train", "val", "test") for p in (out / split).iterdir())


def _source(dataset: Path) -> tuple[dict, dict]:
    coco = json.loads((dataset / "annotations/coco.json").read_text())
    visible = {(a["image_id"], a["instance_id"]): a["visible_fraction"] for a in coco["annotations"]}
    graphs = [json.loads(line) for line in (dataset / "scene_graphs.jsonl").read_text().splitlines()]
    return visible, {g["image_index"]: g for g in graphs}


def _read(path: Path) -> np.ndarray:
    pixels = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert pixels is not None, path
    return pixels


def test_bop_files_and_fields(tiny_dataset, exported):
    """Each scene folder holds the three JSON files with every BOP key, rgb, uint16 depth in mm and masks."""
    out = exported("bop")
    images = 0
    for scene in _scenes(out):
        cameras = json.loads((scene / "scene_camera.json").read_text())
        gts = json.loads((scene / "scene_gt.json").read_text())
        infos = json.loads((scene / "scene_gt_info.json").read_text())
        assert set(cameras) == set(gts) == set(infos)
        for im, camera in cameras.items():
            images += 1
            assert (
                len(camera["cam_K"]) == 9 and len(camera["cam_R_w2c"]) == 9 and len(camera["cam_t_w2c"]) == 3
            )
            rotation = np.reshape(camera["cam_R_w2c"], (3, 3))
            assert np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-9)
            assert (scene / f"rgb/{int(im):06d}.png").is_file()
            depth = _read(scene / f"depth/{int(im):06d}.png")
            assert depth.dtype == np.uint16
            truth_mm = _read(tiny_dataset / f"depth/{int(im):06d}.tiff") * 1000
            assert np.abs(depth * camera["depth_scale"] - truth_mm).max() <= camera["depth_scale"] / 2 + 1e-3
            assert len(gts[im]) == len(infos[im]) > 0
            for k, (gt, info) in enumerate(zip(gts[im], infos[im], strict=True)):
                assert set(gt) == {"cam_R_m2c", "cam_t_m2c", "obj_id"} and set(info) == GT_INFO
                r = np.reshape(gt["cam_R_m2c"], (3, 3))
                assert np.allclose(r @ r.T, np.eye(3), atol=1e-9) and np.isclose(np.linalg.det(r), 1)
                whole = _read(scene / f"mask/{int(im):06d}_{k:06d}.png")
                visible = _read(scene / f"mask_visib/{int(im):06d}_{k:06d}.png")
                assert whole.dtype == visible.dtype == np.uint8 and set(np.unique(whole)) <= {0, 255}
                assert (
                    info["px_count_all"] == (whole > 0).sum()
                    and info["px_count_visib"] == (visible > 0).sum()
                )
                assert info["px_count_valid"] <= info["px_count_all"]
                assert np.isclose(info["visib_fract"], info["px_count_visib"] / max(info["px_count_all"], 1))
    assert images == 8


def test_models_in_mm_one_per_asset_and_scale(tiny_dataset, exported):
    """One PLY per (asset, scale), in mm, with models_info's extent; scene_gt uses only those ids."""
    out = exported("bop")
    info = json.loads((out / "models/models_info.json").read_text())
    source = json.loads((out / "models/models_source.json").read_text())
    assert set(info) == set(source)
    _, graphs = _source(tiny_dataset)
    drawn = {(o["asset"]["id"], o["scale"]) for g in graphs.values() for o in g["objects"]}
    assert {(s["asset_id"], s["scale"]) for s in source.values()} == drawn
    for number, entry in info.items():
        model = trimesh.load(out / f"models/obj_{int(number):06d}.ply", force="mesh", process=False)
        low, high = model.bounds
        assert np.allclose(low, [entry["min_x"], entry["min_y"], entry["min_z"]], atol=1e-3)
        assert np.allclose(high - low, [entry["size_x"], entry["size_y"], entry["size_z"]], atol=1e-3)
        assert entry["diameter"] >= (high - low).max() - 1e-3
        assert 10 < entry["diameter"] < 2000  # millimetres: a tabletop object, not metres
    used = {
        gt["obj_id"]
        for scene in _scenes(out)
        for gts in json.loads((scene / "scene_gt.json").read_text()).values()
        for gt in gts
    }
    assert used <= {int(n) for n in info}


def test_each_model_projected_with_k_and_pose_lands_on_its_mask(tiny_dataset, exported):
    """OpenCV projects each model with cam_K and cam_R/t_m2c: the fill meets the rendered mask to 1 px."""
    out = exported("bop")
    visible_fraction, _ = _source(tiny_dataset)
    near = np.ones((3, 3), np.uint8)  # one pixel in every direction
    fully_visible = 0
    for scene in _scenes(out):
        cameras = json.loads((scene / "scene_camera.json").read_text())
        gts = json.loads((scene / "scene_gt.json").read_text())
        for im, camera in cameras.items():
            k = np.reshape(camera["cam_K"], (3, 3))
            instance = _read(tiny_dataset / f"masks/{int(im):06d}_instance.png")
            for number, gt in enumerate(gts[im]):
                model = trimesh.load(out / f"models/obj_{gt['obj_id']:06d}.ply", force="mesh", process=False)
                rvec, _ = cv2.Rodrigues(np.reshape(gt["cam_R_m2c"], (3, 3)))
                pixels, _ = cv2.projectPoints(model.vertices, rvec, np.array(gt["cam_t_m2c"]), k, None)
                filled = np.zeros(instance.shape, np.uint8)
                triangles = np.round(pixels.reshape(-1, 2)[model.faces]).astype(np.int32)
                for triangle in triangles:  # one by one: fillPoly's even-odd rule would cancel overlaps
                    cv2.fillConvexPoly(filled, triangle, 1)
                visible = _read(scene / f"mask_visib/{int(im):06d}_{number:06d}.png") > 0
                assert not (visible & ~cv2.dilate(filled, near).astype(bool)).any()
                instance_id = number + 1
                assert np.array_equal(visible, instance == instance_id)
                if visible_fraction.get((int(im), instance_id)) == 1.0:
                    assert not (
                        filled.astype(bool) & ~cv2.dilate(visible.astype(np.uint8), near).astype(bool)
                    ).any()
                    fully_visible += 1
    assert fully_visible > 10


def test_bop_needs_the_scene_graphs(tiny_dataset, tmp_path, capsys):
    """A dataset without scene_graphs.jsonl has no poses: named, exit 2, no output."""
    bare = tmp_path / "bare"
    shutil.copytree(tiny_dataset, bare)
    (bare / "scene_graphs.jsonl").unlink()
    assert run(["export", str(bare), "--format", "bop", "-o", str(tmp_path / "out")]) == 2
    assert "has no scene graph; bop needs the poses" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_failure_midway_leaves_no_output(tiny_dataset, tmp_path, capsys):
    """A depth file lost after the checks: found while writing, named, and the half-written export removed."""
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset, broken)
    (broken / "depth/000005.tiff").unlink()
    work = tmp_path / "work"
    work.mkdir()
    assert run(["export", str(broken), "--format", "bop", "-o", str(work / "out")]) == 2
    assert "depth/000005.tiff is missing" in capsys.readouterr().err
    assert list(work.iterdir()) == []
