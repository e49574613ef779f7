"""Train the bundled default refiner into ``refine/default/`` from data available offline.

Real domain: photographs that ship inside scikit-image's wheel and are *not* in the
demo reference set (astronaut, camera, chelsea, coffee, rocket), each openly licensed
as its docstring in scikit-image 0.26 states. Synthetic domain: renders of the
built-in procedural library (``make demo`` writes 24 to demo_output/dataset/images).
Only the weights and their cards are shipped: the resume checkpoint (which holds the
discriminator that saw the real photos) is not.

    .venv/bin/python scripts/train_default_refiner.py [--synthetic demo_output/dataset/images] [--steps 300]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from simulacra.assets_manifest import sha256_of
from simulacra.errors import SimulacraError
from simulacra.refine import default_model, train
from simulacra.refine.card import CARD_JSON, CARD_MD, render_markdown
from simulacra.refine.checkpoint import WEIGHTS
from simulacra.refine.settings import BUNDLED_SETTINGS

# name in skimage.data -> (license, source), quoted from the skimage 0.26 docstrings.
REAL: dict[str, tuple[str, str]] = {
    "brick": ("CC0-1.0", "CC0Textures Bricks25, perspective-corrected by scikit-image"),
    "grass": ("CC0-1.0", "DeviantArt linolafett 'Grass-01', cropped and greyed by scikit-image"),
    "gravel": ("CC0-1.0", "CC0Textures Gravel04, rescaled and greyed by scikit-image"),
    "coins": ("no known copyright restrictions", "Brooklyn Museum Collection, Greek coins from Pompeii"),
    "immunohistochemistry": (
        "no known copyright restrictions",
        "Center for Microscopy And Molecular Imaging (CMMI), colonic glands IHC stain",
    ),
    "hubble_deep_field": ("public domain (NASA)", "HubbleSite, Hubble eXtreme Deep Field, NASA"),
}
SETTINGS = BUNDLED_SETTINGS


def write_real(folder: Path) -> None:
    """The real-domain photos as PNG (greyscale ones as three equal channels)."""
    from skimage import data

    folder.mkdir(parents=True)
    for name in REAL:
        image = np.asarray(getattr(data, name)())
        bgr = (
            cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
            if image.ndim == 2
            else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        )
        cv2.imwrite(str(folder / f"{name}.png"), bgr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=Path, default=Path("demo_output/dataset/images"))
    parser.add_argument("--steps", type=int, default=SETTINGS.steps)
    parser.add_argument("--out", type=Path, default=default_model())
    args = parser.parse_args()
    settings = SETTINGS.model_copy(update={"steps": args.steps})
    with tempfile.TemporaryDirectory() as scratch:
        real, staged = Path(scratch) / "real", Path(scratch) / "model"
        write_real(real)
        started = time.perf_counter()
        try:
            result = train(args.synthetic, real, staged, settings, device="cpu", license="CC0-1.0")
        except SimulacraError as exc:
            print(f"error: {exc} (run `make demo` first for the default renders)", file=sys.stderr)
            return 2
        seconds = time.perf_counter() - started
        (staged / "checkpoint.pt").unlink()  # holds the discriminator: not shipped
        card = json.loads((staged / CARD_JSON).read_text())
        card["sources"] = [
            f"real: skimage.data.{name} ({license_}; {source})" for name, (license_, source) in REAL.items()
        ] + [f"synthetic: {card['training_data']['synthetic']['count']} renders of the built-in CC0 library"]
        card["notes"] = [
            f"trained by scripts/train_default_refiner.py on CPU in {seconds:.0f} s",
            "the real photos are not in the demo reference set; audit refined outputs against them anyway",
        ]
        (staged / CARD_JSON).write_text(json.dumps(card, indent=2) + "\n")
        (staged / CARD_MD).write_text(render_markdown(card))
        record = {
            "id": "refiner:default",
            "file": WEIGHTS,
            "sha256": sha256_of(staged / WEIGHTS),
            "kind": "model_checkpoint",
            "category": "refiner",
            "license": "CC0-1.0",
            "source": "trained by scripts/train_default_refiner.py (simulacra)",
            "provenance": "procedural",
            "training_sources": [
                {"id": f"skimage:{name}", "license": lic, "source": src} for name, (lic, src) in REAL.items()
            ],
            "flags": {"contains_person": False, "identifiable": False, "location_sensitive": False},
            "allowed_uses": ["refine", "redistribute"],
        }
        (staged / "manifest.json").write_text(json.dumps(record, indent=2) + "\n")
        if args.out.exists():
            shutil.rmtree(args.out)
        shutil.copytree(staged, args.out)
    size = (args.out / WEIGHTS).stat().st_size
    print(f"trained {result.steps} steps in {seconds:.0f} s; {args.out / WEIGHTS}: {size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
