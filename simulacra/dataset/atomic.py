"""Atomic file writes: a reader, or a job resumed after a crash, never sees a partial file."""

from __future__ import annotations

import os
from pathlib import Path

from simulacra.errors import OutputError

TEMP_MARK = ".tmp-"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` under a temporary name in ``path``'s folder, then rename it into place.

    The rename is atomic within one file system, so ``path`` holds either its old content
    or all of ``data``. Temporary names start with a dot and carry :data:`TEMP_MARK`, so
    :func:`remove_leftovers` finds what a killed writer left. The data is flushed to disk
    before the rename: otherwise a power loss can leave the new name pointing at an empty
    file, and a resumed job would trust a record whose image is zero bytes.

    Raises:
        OutputError: the file cannot be written (no space, read-only); the temporary is removed.
    """
    temp = path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}")
    try:
        with temp.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:  # a full disk, a read-only file system: one line naming the file
        temp.unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None


def remove_leftovers(root: Path) -> int:
    """Delete the temporary files killed writers left under ``root``; returns how many."""
    leftovers = [p for p in root.rglob(f".*{TEMP_MARK}*") if p.is_file()]
    for path in leftovers:
        path.unlink()
    return len(leftovers)
