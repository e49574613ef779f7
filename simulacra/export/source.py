"""The dataset an export reads: its COCO, its scenes and its files, checked before anything is written.

Everything comes through :mod:`simulacra.dataset.reader`, the one module that parses a
dataset folder; this module only checks that what it read is whole (every image file
present, every annotation pointing at a known image and category) so that an export
fails on bad input before its first file, naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from simulacra.dataset.layout import CARD, COCO_FILE, image_index_of
from simulacra.dataset.reader import read_coco, read_graphs
from simulacra.errors import DatasetError
from simulacra.scenes import SceneGraph


@dataclass(frozen=True)
class SourceImage:
    """One image of the source dataset: its COCO entry and annotations, its file and its scene."""

    entry: dict
    annotations: tuple[dict, ...]
    path: Path
    scene: int  # images that view one scene share this key (the image index for one-view scenes)
    index: int | None  # the image index in its file name (None in a foreign COCO set)

    @property
    def file_name(self) -> str:
        """The image's file name without folders, as every export writes it (``000003.png``)."""
        return self.path.name

    def mask_of(self, annotation: dict) -> np.ndarray:
        """An annotation's binary mask (its RLE or polygons decoded with pycocotools)."""
        height, width = self.entry["height"], self.entry["width"]
        segmentation = annotation["segmentation"]
        if isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), str):
            rle = segmentation
        else:  # polygons or uncompressed RLE, as a foreign COCO set may hold
            rles = mask_utils.frPyObjects(segmentation, height, width)
            rle = mask_utils.merge(rles) if isinstance(rles, list) else rles
        return mask_utils.decode(rle).astype(bool)


@dataclass(frozen=True)
class Source:
    """A dataset to export, read once."""

    root: Path
    coco: dict
    images: tuple[SourceImage, ...]
    graphs: dict[int, SceneGraph]  # by image index; empty where the dataset has none

    @property
    def category_names(self) -> tuple[str, ...]:
        """Category names in COCO id order: YOLO class k and the Hugging Face label k are the k-th."""
        return tuple(c["name"] for c in sorted(self.coco["categories"], key=lambda c: c["id"]))

    @property
    def license_names(self) -> dict[int, str]:
        """COCO license id -> SPDX name."""
        return {entry["id"]: entry["name"] for entry in self.coco.get("licenses", [])}

    @property
    def card(self) -> Path | None:
        path = self.root / CARD
        return path if path.is_file() else None


def read_source(root: Path) -> Source:
    """Read and check the dataset at ``root``; DatasetError names the first file or field at fault."""
    coco = read_coco(root)
    where = root / COCO_FILE
    graphs = {graph.image_index: graph for graph in read_graphs(root)}
    scenes = {index: index if g.scene_index is None else g.scene_index for index, g in graphs.items()}
    categories = {c["id"] for c in coco["categories"]}
    by_image: dict[int, list[dict]] = {image["id"]: [] for image in coco["images"]}
    for annotation in coco["annotations"]:
        if annotation.get("image_id") not in by_image:
            raise DatasetError(f"{where}: annotation {annotation.get('id')} has an unknown image_id")
        if annotation.get("category_id") not in categories:
            raise DatasetError(f"{where}: annotation {annotation.get('id')} has an unknown category_id")
        if "segmentation" not in annotation or "bbox" not in annotation:
            raise DatasetError(f"{where}: annotation {annotation.get('id')} has no segmentation or bbox")
        by_image[annotation["image_id"]].append(annotation)
    images = []
    for entry in sorted(coco["images"], key=lambda image: image["id"]):
        path = root / entry["file_name"]
        if not path.is_file():
            raise DatasetError(f"{where}: image {entry['id']}'s file_name {entry['file_name']} is missing")
        index = image_index_of(entry["file_name"])
        scene = scenes.get(index, index) if index is not None else entry["id"]
        images.append(SourceImage(entry, tuple(by_image[entry["id"]]), path, scene, index))
    if not images:
        raise DatasetError(f"{where}: no images to export")
    return Source(root, coco, tuple(images), graphs)
