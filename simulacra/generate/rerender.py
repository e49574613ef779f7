"""Re-render one image of a dataset from its stored scene graph and compare the pixels.

A scene graph is the whole scene, so rendering it again on the same machine gives the
same pixels (the Cycles seed comes from the image seed and the light tree is on; sensor
effects replay from the graph). This is the check that a dataset is reproducible, image
by image: the job in ``job.json`` says which manifest to take and whether a refiner ran
after the render.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulacra.assets_manifest import load_manifest
from simulacra.dataset.reader import load_job_record, read_graphs, read_written_rgb, require_dataset
from simulacra.errors import DatasetError
from simulacra.render import Renderer, RenderSettings
from simulacra.work.scene_render import with_sensor


@dataclass(frozen=True)
class Comparison:
    """How the re-render differs from the stored image (0 and 0 for a pixel-identical match)."""

    image_index: int
    max_difference: int
    mean_difference: float
    rgb: np.ndarray

    @property
    def matches(self) -> bool:
        return self.max_difference == 0

    def save(self, path: Path) -> None:
        """Write the re-rendered image to ``path`` (PNG, as the dataset stores images)."""
        import cv2

        cv2.imwrite(str(path), cv2.cvtColor(self.rgb, cv2.COLOR_RGB2BGR))


def rerender(dataset: Path, image_index: int) -> Comparison:
    """Render image ``image_index`` of ``dataset`` again (and refine it if the job did).

    Raises:
        DatasetError: ``dataset`` is not a simulacra dataset, or has no such image.
    """
    if not dataset.is_dir():
        raise DatasetError(f"dataset {dataset} does not exist")
    graphs = {graph.image_index: graph for graph in read_graphs(require_dataset(dataset))}
    record = load_job_record(dataset)
    if image_index not in graphs:
        known = ", ".join(str(i) for i in sorted(graphs)) or "none"
        raise DatasetError(f"dataset {dataset}: no image with id {image_index} (ids: {known})")
    stored = read_written_rgb(dataset, image_index)
    refiner = None
    if record.refine is not None:  # torch loads only for refined datasets
        from simulacra.refine.refiner import load_refiner

        refiner = load_refiner(Path(record.refine), device="auto")
    manifest = load_manifest(Path(record.manifest))
    with tempfile.TemporaryDirectory(prefix="simulacra-rerender-") as temp:
        settings = RenderSettings(device=record.device, log_path=Path(temp) / "blender.log")
        with Renderer(manifest, record.categories, settings) as renderer:
            rgb = with_sensor(graphs[image_index], renderer.render(graphs[image_index]).rgb)
    if refiner is not None:
        rgb = refiner.apply(rgb)
    difference = np.abs(rgb.astype(np.int16) - stored.astype(np.int16))
    return Comparison(image_index, int(difference.max()), round(float(difference.mean()), 4), rgb)
