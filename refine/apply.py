"""Refine a folder of renders into a new folder, all or nothing.

Why staging: a failure half-way (a corrupt image) must not leave a half-refined
folder that looks finished; the output appears only when every image is written.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2

from simulacra.audit import read_image
from simulacra.errors import AssetError, RefineError
from simulacra.refine.imageset import image_files
from simulacra.refine.refiner import Refiner


def default_model() -> Path:
    """The bundled default refiner's folder (trained by ``scripts/train_default_refiner.py``)."""
    return Path(__file__).resolve().parent / "default"


def apply_folder(
    refiner: Refiner,
    source: Path,
    out: Path,
    progress: Callable[[int, int], None] | None = None,
    finish: Callable[[Path], None] | None = None,
) -> list[Path]:
    """Refine every image under ``source`` into ``out`` as PNG, keeping relative paths.

    Returns the written files. ``progress(done, total)`` is called after each image;
    ``finish(staging)`` after the last, to add files (a report) to the still hidden
    output: if it raises, nothing appears.

    Raises:
        RefineError: ``out`` exists, ``source`` is missing or empty, or an image is bad.
    """
    if out.exists():
        raise RefineError(f"output folder {out} already exists; refined images go to a new folder")
    files = image_files(source)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; refined images are meant to be shared
    written = []
    try:
        for done, path in enumerate(files, start=1):
            try:
                rgb, _ = read_image(path)
            except AssetError as exc:
                raise RefineError(str(exc)) from exc
            relative = path.relative_to(source).with_suffix(".png")
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if not cv2.imwrite(str(target), cv2.cvtColor(refiner.apply(rgb), cv2.COLOR_RGB2BGR)):
                raise RefineError(f"{out / relative}: could not write the refined image")
            written.append(out / relative)
            if progress:
                progress(done, len(files))
        if finish:
            finish(staging)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written
