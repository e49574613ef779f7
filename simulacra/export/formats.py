"""The export formats by name, each a writer of an :class:`~simulacra.export.plan.ExportJob`."""

from __future__ import annotations

from functools import partial

from simulacra.export.bop import write_bop
from simulacra.export.coco import write_coco
from simulacra.export.hf import write_hf
from simulacra.export.plan import Writer
from simulacra.export.yolo import write_yolo

WRITERS: dict[str, Writer] = {
    "coco": write_coco,
    "yolo": partial(write_yolo, segments=False),
    "yolo-seg": partial(write_yolo, segments=True),
    "hf": write_hf,
    "bop": write_bop,
}
FORMATS = tuple(WRITERS)


def needs_val(fmt: str) -> bool:
    """Ultralytics refuses a data.yaml without a val split."""
    return fmt.startswith("yolo")
