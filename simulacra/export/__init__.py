"""Exports of a finished dataset into the layouts training tools read as-is: COCO, YOLO, YOLO-seg, HF, BOP.

Reads the dataset through :mod:`simulacra.dataset.reader` and writes a new folder; it
never runs jobs and never changes the dataset. Sits above the dataset layer only.
"""

from simulacra.export.exporter import LICENSES_FILE, ExportResult, export_dataset
from simulacra.export.formats import FORMATS
from simulacra.export.plan import SEGMENTATIONS
from simulacra.export.polygons import joined_polygon, mask_polygons
from simulacra.export.splits import DEFAULT_SPLIT, SplitRatios, assign_splits

__all__ = [
    "DEFAULT_SPLIT",
    "FORMATS",
    "LICENSES_FILE",
    "SEGMENTATIONS",
    "ExportResult",
    "SplitRatios",
    "assign_splits",
    "export_dataset",
    "joined_polygon",
    "mask_polygons",
]
