"""Make a README picture: four images of a dataset (top) over their instance masks (bottom).

Usage: python scripts/contact_sheet.py DATASET OUT.jpg
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

TILE = 192


def _mask_colours(mask: np.ndarray) -> np.ndarray:
    """Each instance id a fixed bright colour; background black."""
    palette = np.random.default_rng(0).integers(64, 256, size=(int(mask.max()) + 1, 3), dtype=np.uint8)
    palette[0] = 0
    return palette[mask]


def contact_sheet(dataset: Path, out: Path, count: int = 4) -> None:
    images = sorted((dataset / "images").glob("*.png"))[:count]
    top, bottom = [], []
    for image in images:
        mask = cv2.imread(str(dataset / "masks" / f"{image.stem}_instance.png"), cv2.IMREAD_UNCHANGED)
        top.append(cv2.resize(cv2.imread(str(image)), (TILE, TILE), interpolation=cv2.INTER_AREA))
        bottom.append(cv2.resize(_mask_colours(mask), (TILE, TILE), interpolation=cv2.INTER_NEAREST))
    sheet = np.vstack([np.hstack(top), np.hstack(bottom)])
    cv2.imwrite(str(out), sheet, [cv2.IMWRITE_JPEG_QUALITY, 85])


if __name__ == "__main__":
    contact_sheet(Path(sys.argv[1]), Path(sys.argv[2]))
