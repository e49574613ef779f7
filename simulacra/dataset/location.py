"""Can the dataset be written where ``-o`` says? Checked before the first render.

A job renders for hours and writes its files into a staging folder beside the output,
renamed into place at the end. Three things used to fail only then, or midway, with a
traceback: a parent folder that cannot be written (read-only file system), an output
folder that is a mount point (the staging folder lies on the parent's file system, and
the final rename fails with EBUSY after every image was rendered), and a disk too small.
The first two are certain and refused; the space is an estimate (the depth and normal
maps, stored as float TIFFs, are most of an image's bytes and hardly compress), refused
only when the free space is below it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from simulacra.errors import OutputError

_BYTES_PER_PIXEL = 16  # float32 depth (4) + float32 normals (12); the PNGs and the record come on top
_BYTES_PER_IMAGE = 4096  # record, masks and images of a near-empty frame: a floor for tiny renders


def image_bytes(width: int, height: int) -> int:
    """A lower estimate of the bytes one image of ``width`` x ``height`` takes in a dataset."""
    return width * height * _BYTES_PER_PIXEL + _BYTES_PER_IMAGE


def check_output_location(out: Path, needed: int, images: int) -> None:
    """Refuse an output location the job could not finish in: unwritable, a mount point, too full.

    ``needed`` bytes are the estimate for the ``images`` still to write.

    Raises:
        OutputError: one line naming the folder at fault.
    """
    base = _existing_ancestor(out.parent)
    _probe_write(base)
    if out.is_dir() and os.stat(out).st_dev != os.stat(out.parent).st_dev:
        raise OutputError(
            f"output folder {out} is a mount point, another file system than {out.parent} where the job "
            f"is staged: the finished dataset could not be moved into it; use -o {out / 'dataset'}"
        )
    free = shutil.disk_usage(base).free
    if free < needed:
        raise OutputError(
            f"{base}: {free / 2**20:.0f} MiB free, and {images} images need at least "
            f"{needed / 2**20:.0f} MiB; free some space or choose another -o"
        )


def _existing_ancestor(folder: Path) -> Path:
    """``folder`` or its nearest ancestor that exists: where the job's folders will be created."""
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{folder}: is not a folder; the dataset cannot be written below it")
    return folder


def _probe_write(folder: Path) -> None:
    """Create and remove a file in ``folder``: the one sure test of writability (root ignores modes)."""
    try:
        handle, name = tempfile.mkstemp(prefix=".simulacra-probe-", dir=folder)
    except OSError as exc:
        raise OutputError(f"{folder}: the dataset cannot be written there ({exc.strerror})") from None
    os.close(handle)
    os.unlink(name)
