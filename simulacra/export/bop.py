"""``--format bop``: the BOP layout for 6D object pose work.

```
OUT/<split>/<scene>/rgb/<im>.png, depth/<im>.png (uint16, depth_scale mm per unit)
OUT/<split>/<scene>/mask/<im>_<k>.png, mask_visib/<im>_<k>.png (object k whole, and its visible part)
OUT/<split>/<scene>/scene_camera.json   cam_K, cam_R_w2c, cam_t_w2c (mm), depth_scale per image
OUT/<split>/<scene>/scene_gt.json       obj_id, cam_R_m2c, cam_t_m2c (mm) per object
OUT/<split>/<scene>/scene_gt_info.json  bbox_obj, bbox_visib, px_count_all/valid/visib, visib_fract
OUT/models/obj_<id>.ply (mm), models_info.json, models_source.json (asset id, scale, category)
```
``<scene>`` is the dataset's scene (several images with ``camera.views`` > 1), ``<im>``
the image id. **Scale:** BOP poses are rigid, so an object drawn at scale s is a model of
its own: one PLY per (asset, scale), the asset's mesh times s in millimetres, and
``models_source.json`` says which asset and scale each ``obj_id`` is. Whole-object masks are
the model projected with K and R/t and filled at pixel centres as the renderer samples;
visible masks are the rendered instance mask. Poses come from the scene graph through
:mod:`simulacra.export.bop_geometry`; the meshes from the asset manifest in ``job.json``,
each file checked against the hash the graph pinned.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path

import cv2
import numpy as np
import trimesh

from simulacra.assets_manifest import load_manifest
from simulacra.assets_manifest.session import VerifiedFiles
from simulacra.assets_manifest.shapes import shape_key
from simulacra.dataset.reader import load_job_record, read_depth, read_kept_mask
from simulacra.errors import DatasetError, OutputError
from simulacra.export.bop_geometry import intrinsics, object_rotation, world_to_camera
from simulacra.export.plan import ExportJob
from simulacra.export.source import SourceImage
from simulacra.render.silhouette import silhouette_mask
from simulacra.scenes import ObjectNode, SceneGraph

_DEPTH_SCALES = (0.1, 1.0, 10.0)  # mm per depth unit: the finest that holds the image's farthest point


class _Models:
    """One model per (asset, drawn shape, scale) in the dataset, numbered in sorted order, loaded once.

    Objects of one generator record are different meshes when their drawn shapes differ,
    so the shape's cache key is part of the model's identity.
    """

    def __init__(self, graphs: list[SceneGraph], files: VerifiedFiles):
        nodes = [n for g in graphs for n in g.objects]
        keys = sorted({(*_mesh_key(n), n.scale, n.category) for n in nodes})
        self.ids = {key[:4]: number for number, key in enumerate(keys, start=1)}
        self.categories = {key[:4]: key[4] for key in keys}
        self._shapes = {_mesh_key(n): n.generated for n in nodes}
        self._files = files
        self._meshes: dict[tuple[str, str, str], trimesh.Trimesh] = {}

    def _mesh(self, key: tuple[str, str, str]) -> trimesh.Trimesh:
        if key not in self._meshes:
            path = self._files.mesh(key[0], key[1], self._shapes[key])
            self._meshes[key] = trimesh.load(path, force="mesh", process=False)
        return self._meshes[key]

    def get(self, node: ObjectNode) -> tuple[int, np.ndarray, np.ndarray]:
        """The node's obj_id, its model's vertices in mm, and its triangles."""
        key = _mesh_key(node)
        mesh = self._mesh(key)
        return (
            self.ids[(*key, node.scale)],
            np.asarray(mesh.vertices) * node.scale * 1000,
            np.asarray(mesh.faces),
        )

    def write(self, folder: Path) -> None:
        """``obj_<id>.ply`` in mm, ``models_info.json`` (extent, diameter) and ``models_source.json``."""
        folder.mkdir(parents=True, exist_ok=True)
        info, source = {}, {}
        for (asset, sha256, shape, scale), number in self.ids.items():
            mesh = self._mesh((asset, sha256, shape))
            scaled = trimesh.Trimesh(np.asarray(mesh.vertices) * scale * 1000, mesh.faces, process=False)
            (folder / f"obj_{number:06d}.ply").write_bytes(scaled.export(file_type="ply"))
            low, high = scaled.bounds
            hull = scaled.convex_hull.vertices
            diameter = float(np.sqrt(((hull[:, None] - hull[None]) ** 2).sum(-1).max()))
            info[str(number)] = {"diameter": diameter, **_extent(low, high)}
            source[str(number)] = {
                "asset_id": asset,
                "scale": scale,
                "category": self.categories[(asset, sha256, shape, scale)],
            }
            if shape:  # a generated mesh: the drawn values it was built from
                source[str(number)]["generated"] = self._shapes[(asset, sha256, shape)].model_dump(
                    mode="json"
                )
        (folder / "models_info.json").write_text(json.dumps(info, indent=1) + "\n")
        (folder / "models_source.json").write_text(json.dumps(source, indent=1) + "\n")


def _mesh_key(node: ObjectNode) -> tuple[str, str, str]:
    """(asset id, sha256, drawn shape's cache key or ""): what decides a node's mesh."""
    if node.generated is None:
        return node.asset.id, node.asset.sha256, ""
    return node.asset.id, node.asset.sha256, shape_key(node.generated)


def _extent(low: np.ndarray, high: np.ndarray) -> dict[str, float]:
    size = high - low
    return {f"min_{a}": float(v) for a, v in zip("xyz", low, strict=True)} | {
        f"size_{a}": float(v) for a, v in zip("xyz", size, strict=True)
    }


def write_bop(job: ExportJob) -> dict[str, str]:
    """Per split and scene: rgb, depth, masks and the three JSON files; then the models."""
    graphs = _graphs(job)
    files = VerifiedFiles(load_manifest(Path(load_job_record(job.source.root).manifest)))
    models = _Models(list(graphs.values()), files)
    written = {}
    for name, images in job.splits.items():
        for scene, members in groupby(
            sorted(images, key=lambda i: (i.scene, i.entry["id"])), key=lambda i: i.scene
        ):
            folder = f"{name}/{scene:06d}"
            camera, gt, info = {}, {}, {}
            for image in members:
                written[job.copy_image(image, f"{folder}/rgb")] = image.entry["file_name"]
                key = str(image.entry["id"])
                camera[key], gt[key], info[key] = _image(job, image, graphs[image.index], models, folder)
                job.advance()
            for file_name, document in (("scene_camera", camera), ("scene_gt", gt), ("scene_gt_info", info)):
                (job.target / folder / f"{file_name}.json").write_text(json.dumps(document) + "\n")
    models.write(job.target / "models")
    return written


def _graphs(job: ExportJob) -> dict[int, SceneGraph]:
    """Every exported image's scene graph: BOP's poses come from nowhere else."""
    for image in job.source.images:
        if image.index not in job.source.graphs:
            raise DatasetError(
                f"dataset {job.source.root}: {image.entry['file_name']} has no scene graph; "
                "bop needs the poses in scene_graphs.jsonl"
            )
    return job.source.graphs


def _image(job: ExportJob, image: SourceImage, graph: SceneGraph, models: _Models, folder: str) -> tuple:
    """One image's scene_camera, scene_gt and scene_gt_info entries; writes its depth and masks."""
    im = image.entry["id"]
    k = intrinsics(graph.camera, graph.resolution)
    rotation, translation = world_to_camera(graph.camera)
    depth = read_depth(job.source.root, image.index)
    scale = next((s for s in _DEPTH_SCALES if depth.max() * 1000 / s < 65535), _DEPTH_SCALES[-1])
    _write_png(job.target / folder / f"depth/{im:06d}.png", np.round(depth * 1000 / scale).astype(np.uint16))
    instances = read_kept_mask(job.source.root, image.index)
    gts, infos = [], []
    for number, node in enumerate(graph.objects):
        obj_id, vertices, triangles = models.get(node)
        r_m2c = rotation @ object_rotation(node)
        t_m2c = (rotation @ np.asarray(node.location) + translation) * 1000
        whole = silhouette_mask(vertices @ r_m2c.T + t_m2c, triangles, k, graph.resolution)
        visible = instances == node.instance_id
        for kind, mask in (("mask", whole), ("mask_visib", visible)):
            _write_png(job.target / folder / f"{kind}/{im:06d}_{number:06d}.png", mask.astype(np.uint8) * 255)
        gts.append({"cam_R_m2c": r_m2c.ravel().tolist(), "cam_t_m2c": t_m2c.tolist(), "obj_id": obj_id})
        infos.append(_gt_info(whole, visible, depth > 0))
    camera = {
        "cam_K": k.ravel().tolist(),
        "cam_R_w2c": rotation.ravel().tolist(),
        "cam_t_w2c": (translation * 1000).tolist(),
        "depth_scale": scale,
    }
    return camera, gts, infos


def _gt_info(whole: np.ndarray, visible: np.ndarray, valid: np.ndarray) -> dict:
    """BOP's per-object counts and boxes (x, y, w, h; -1s for an empty mask)."""
    all_count, visible_count = int(whole.sum()), int(visible.sum())
    return {
        "bbox_obj": _box(whole),
        "bbox_visib": _box(visible),
        "px_count_all": all_count,
        "px_count_valid": int((whole & valid).sum()),
        "px_count_visib": visible_count,
        "visib_fract": visible_count / all_count if all_count else 0.0,
    }


def _box(mask: np.ndarray) -> list[int]:
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return [-1, -1, -1, -1]
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def _write_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), pixels):
        raise OutputError(f"could not write {path}")
