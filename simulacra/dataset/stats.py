"""Dataset statistics: what a dataset holds, read back from its COCO file and graphs.

Counts and pixel coverage come from ``annotations/coco.json`` (the labels a user trains
on), light and camera parameters from ``scene_graphs.jsonl``; a
statistic whose source is absent is left empty rather than guessed.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simulacra.dataset.reader import read_coco, read_graphs
from simulacra.scenes import SceneGraph


@dataclass(frozen=True)
class DatasetStatistics:
    """Per-dataset distributions; lists hold one value per image, instance, light or camera."""

    images: int
    instances_per_class: dict[str, int]
    instances_per_image: list[int]
    areas: list[int]  # visible pixels per instance (COCO ``area``)
    relative_areas: list[float]  # area / image pixels
    visible_fractions: list[float]  # only instances whose annotation records it
    pixel_coverage: dict[str, float]  # share of all pixels per class (annotation areas), background included
    lights_per_image: list[int]
    light_energy: list[float]
    light_temperature_k: list[float]
    camera_distance: list[float]
    camera_elevation_deg: list[float]
    camera_azimuth_deg: list[float]
    camera_fov_deg: list[float]
    images_per_license: dict[str, int]  # an image counts once under each license among its assets
    licenses_per_image: list[int]

    @property
    def instances(self) -> int:
        return sum(self.instances_per_class.values())

    def summary_rows(self) -> list[tuple[str, str]]:
        """The compact table the dataset card and ``simulacra stats`` show: (statistic, value)."""
        per_image = np.asarray(self.instances_per_image, dtype=float)
        rows = [
            ("Images", str(self.images)),
            ("Instances", str(self.instances)),
            (
                "Instances per class",
                ", ".join(f"{name} {n}" for name, n in sorted(self.instances_per_class.items())) or "none",
            ),
            (
                "Instances per image (mean, min to max)",
                f"{per_image.mean():.2f} ({int(per_image.min())} to {int(per_image.max())})"
                if per_image.size
                else "none",
            ),
            ("Object area in px (median, p10 to p90)", _spread(self.areas, "{:.0f}")),
            ("Visible fraction (quartiles)", _quartiles(self.visible_fractions)),
            (
                "Pixel coverage per class",
                ", ".join(
                    f"{name} {share:.1%}" for name, share in sorted(self.pixel_coverage.items()) if share > 0
                )
                or "none",
            ),
            (
                "Images per license",
                ", ".join(f"{spdx} {n}" for spdx, n in sorted(self.images_per_license.items())) or "none",
            ),
        ]
        if self.licenses_per_image:
            rows.append(("Licenses per image (mean, max)", _mean_max(self.licenses_per_image)))
        if self.lights_per_image:  # from the scene graphs; absent for a dataset made elsewhere
            rows += [
                ("Lights per image (mean, max)", _mean_max(self.lights_per_image)),
                ("Light energy W (median, p10 to p90)", _spread(self.light_energy, "{:.0f}")),
                ("Light temperature K (median, p10 to p90)", _spread(self.light_temperature_k, "{:.0f}")),
                ("Camera distance m (median, p10 to p90)", _spread(self.camera_distance, "{:.2f}")),
                ("Camera elevation deg (median, p10 to p90)", _spread(self.camera_elevation_deg, "{:.1f}")),
                ("Camera azimuth deg (median, p10 to p90)", _spread(self.camera_azimuth_deg, "{:.1f}")),
            ]
        return rows

    def to_json(self) -> dict:
        """Summary plus a 10-bin histogram of every distribution, for ``stats/stats.json``."""
        data = asdict(self)
        distributions = {key: value for key, value in data.items() if isinstance(value, list)}
        summary = {key: value for key, value in data.items() if not isinstance(value, list)}
        histograms = {}
        for key, values in distributions.items():
            if values:
                counts, edges = np.histogram(np.asarray(values, dtype=float), bins=10)
                histograms[key] = {"counts": counts.tolist(), "edges": [round(e, 6) for e in edges.tolist()]}
        return {"summary": {"instances": self.instances, **summary}, "histograms": histograms}


def _spread(values: list, fmt: str) -> str:
    """``median (p10 to p90)`` of ``values``."""
    if not values:
        return "none"
    median, low, high = (fmt.format(v) for v in np.percentile(np.asarray(values, dtype=float), (50, 10, 90)))
    return f"{median} ({low} to {high})"


def _mean_max(values: list) -> str:
    return f"{np.mean(values):.2f}, {max(values)}"


def _quartiles(values: list) -> str:
    if not values:
        return "not recorded"
    return " / ".join(f"{v:.2f}" for v in np.percentile(np.asarray(values, dtype=float), (25, 50, 75)))


def dataset_statistics(root: Path) -> DatasetStatistics:
    """Read the statistics of the dataset folder ``root`` (DatasetError when COCO is missing)."""
    return statistics_of(read_coco(root), read_graphs(root))


def statistics_of(coco: dict, graphs: Sequence[SceneGraph]) -> DatasetStatistics:
    """The statistics of a dataset's COCO document and scene graphs, already read."""
    names = {c["id"]: c["name"] for c in coco["categories"]}
    per_image = Counter(a["image_id"] for a in coco["annotations"])
    per_class = Counter(a["category_id"] for a in coco["annotations"])
    pixels = {image["id"]: image["width"] * image["height"] for image in coco["images"]}
    license_names = {entry["id"]: entry["name"] for entry in coco.get("licenses", [])}
    image_licenses = [
        {license_names[i] for i in image.get("asset_licenses", [image.get("license")]) if i in license_names}
        for image in coco["images"]
    ]
    camera = [_camera(graph) for graph in graphs]
    return DatasetStatistics(
        images=len(coco["images"]),
        instances_per_class={name: per_class[cid] for cid, name in names.items()},
        instances_per_image=[per_image[image["id"]] for image in coco["images"]],
        areas=[int(a["area"]) for a in coco["annotations"]],
        relative_areas=[a["area"] / pixels[a["image_id"]] for a in coco["annotations"]],
        visible_fractions=[a["visible_fraction"] for a in coco["annotations"] if "visible_fraction" in a],
        pixel_coverage=_pixel_coverage(coco, names),
        lights_per_image=[len(graph.lights) for graph in graphs],
        light_energy=[light.energy for graph in graphs for light in graph.lights],
        light_temperature_k=[light.temperature_k for graph in graphs for light in graph.lights],
        camera_distance=[c[0] for c in camera],
        camera_elevation_deg=[c[1] for c in camera],
        camera_azimuth_deg=[graph.camera.azimuth_deg for graph in graphs],
        camera_fov_deg=[graph.camera.fov_deg for graph in graphs],
        images_per_license=dict(sorted(Counter(s for licenses in image_licenses for s in licenses).items())),
        licenses_per_image=[len(licenses) for licenses in image_licenses],
    )


def _camera(graph: SceneGraph) -> tuple[float, float]:
    """Distance to the target and elevation above it, from the camera's location and aim."""
    offset = np.subtract(graph.camera.location, graph.camera.look_at)
    distance = float(np.linalg.norm(offset))
    return distance, math.degrees(math.asin(offset[2] / distance)) if distance else 0.0


def _pixel_coverage(coco: dict, names: dict[int, str]) -> dict[str, float]:
    """Share of all pixels each class covers (the rest is background), from the annotations' areas.

    Each annotation's area is its visible pixel count, so the labels alone give the class
    coverage: no mask is read back, which keeps the card cheap for large datasets.
    """
    total = sum(image["width"] * image["height"] for image in coco["images"])
    if total == 0:
        return {}
    covered = Counter()
    for annotation in coco["annotations"]:
        covered[annotation["category_id"]] += annotation["area"]
    shares = {"background": 1 - sum(covered.values()) / total}
    shares.update({name: covered[cid] / total for cid, name in sorted(names.items())})
    return {name: round(float(share), 6) for name, share in shares.items()}
