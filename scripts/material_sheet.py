"""Make the README's contact sheet of procedural material families, with the real renderer.

One small tabletop scene per family, objects and table both wearing it, rendered by
:class:`simulacra.render.Renderer` from graphs the resolver drew (seeded: the same
sheet every run), tiled with each family's name under its cell.

Usage: python scripts/material_sheet.py OUT.jpg [--size 128] [--samples 16] [--seed 3]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from simulacra.assets_manifest import builtin_manifest
from simulacra.randomize import FAMILIES
from simulacra.render import Renderer
from simulacra.render.blenderproc_adapter import exit_process
from simulacra.scenes import SceneGraph, resolve, spec_from_dict

COLUMNS = 5


def family_spec(family: str, size: int, samples: int) -> dict:
    """A close tabletop in ``family``: four objects and the table, two lamps, a grey world."""
    material = {"families": {family: 1.0}}
    return {
        "name": f"sheet-{family}",
        "resolution": [size, size],
        "samples": samples,
        "surface": {"material": {} if family in ("glass", "liquid") else material},
        "objects": {"count_range": [4, 4], "scale_range": [1.2, 1.5], "material": material},
        "lights": {"count_range": [2, 2], "energy_range": [40.0, 80.0]},
        "camera": {
            "distance_range": [0.9, 0.9],
            "elevation_deg_range": [30, 30],
            "azimuth_deg_range": [0, 0],
        },
        "posters": {"probability": 0.0},
    }


def _graphs(size: int, samples: int, seed: int) -> dict[str, SceneGraph]:
    manifest = builtin_manifest()
    return {
        family: resolve(
            spec_from_dict(family_spec(family, size, samples), source=family),
            manifest,
            job_seed=seed,
            image_index=index,
        )
        for index, family in enumerate(FAMILIES)
    }


def _cell(rgb: np.ndarray, label: str) -> np.ndarray:
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    band = np.full((18, bgr.shape[1], 3), 255, np.uint8)
    cv2.putText(band, label, (4, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([bgr, band])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    manifest = builtin_manifest()
    cells = []
    with Renderer(manifest, manifest.categories()) as renderer:
        for family, graph in _graphs(args.size, args.samples, args.seed).items():
            cells.append(_cell(renderer.render(graph).rgb, family.replace("_", " ")))
    blank = np.full_like(cells[0], 255)
    cells += [blank] * (-len(cells) % COLUMNS)
    rows = [np.hstack(cells[i : i + COLUMNS]) for i in range(0, len(cells), COLUMNS)]
    cv2.imwrite(str(args.out), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 85])
    print(f"wrote {args.out}: {len(FAMILIES)} families")
    exit_process(0)


if __name__ == "__main__":
    main()
