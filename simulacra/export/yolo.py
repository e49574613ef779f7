"""``--format yolo`` and ``yolo-seg``: the Ultralytics layout, ``data.yaml`` included.

```
OUT/images/<split>/000003.png
OUT/labels/<split>/000003.txt   per object: class cx cy w h (yolo) or class x1 y1 x2 y2 ... (yolo-seg)
OUT/data.yaml                   path, train/val/test folders, names 0..K-1 in COCO category-id order
```
Coordinates are normalised by the image width and height. A yolo-seg object is one
polygon (the format has one per line): its pieces and holes are joined by zero-width
bridges (see :mod:`simulacra.export.polygons`), not dropped or merged into a hull.
``path`` is the export's absolute path, because Ultralytics resolves a relative one
against its own datasets folder, not against ``data.yaml``.
"""

from __future__ import annotations

import yaml

from simulacra.export.plan import ExportJob
from simulacra.export.polygons import joined_polygon
from simulacra.export.source import SourceImage


def write_yolo(job: ExportJob, *, segments: bool) -> dict[str, str]:
    """Images, one label file per image, and ``data.yaml``; returns what it wrote."""
    classes = {c["id"]: k for k, c in enumerate(sorted(job.source.coco["categories"], key=lambda c: c["id"]))}
    written = {}
    for name, images in job.splits.items():
        (job.target / f"labels/{name}").mkdir(parents=True, exist_ok=True)
        for image in images:
            written[job.copy_image(image, f"images/{name}")] = image.entry["file_name"]
            lines = [_line(image, a, classes[a["category_id"]], segments) for a in image.annotations]
            label = job.target / f"labels/{name}/{image.path.stem}.txt"
            label.write_text("".join(f"{line}\n" for line in lines))
            job.advance()
    data = {
        "path": str(job.out.resolve()),
        **{name: f"images/{name}" for name in job.splits},
        "names": dict(enumerate(job.source.category_names)),
    }
    header = "# Written by simulacra export. If you move this folder, change path to its new place.\n"
    (job.target / "data.yaml").write_text(header + yaml.safe_dump(data, sort_keys=False))
    return written


def _line(image: SourceImage, annotation: dict, cls: int, segments: bool) -> str:
    """One object's label line, coordinates normalised to 0..1 with 6 decimals."""
    width, height = image.entry["width"], image.entry["height"]
    if segments:
        points = joined_polygon(image.mask_of(annotation)) / (width, height)
        values = points.ravel().tolist()
    else:
        x, y, w, h = annotation["bbox"]
        values = [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]
    return " ".join([str(cls), *(f"{v:.6f}" for v in values)])
