"""Find every file below a folder of real images, symbolic links to folders included.

Reference folders and hold-out folders are often assembled from links into photo
collections. ``Path.rglob`` on Python 3.11 does not enter a linked folder, so its photos
were never indexed and a leak of one passed the audit without a word. This walk enters
linked folders, and enters each real folder once, so a link loop (or two links to one
folder) ends with a warning instead of running forever or counting a photo twice. A link
that points nowhere is reported too. Index build, ``index add``, folder audits and
``--holdout`` all walk with it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection
from pathlib import Path

log = logging.getLogger(__name__)


def files_below(root: Path, suffixes: Collection[str] | None = None) -> list[Path]:
    """Every file below ``root`` (with a suffix in ``suffixes``, lower case, when given), sorted.

    Paths are spelt through the links they were found by (``root/link/photo.png``), so
    names stay relative to ``root``.
    """
    seen: set[tuple[int, int]] = set()
    found: list[Path] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            status = folder.stat()
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            log.warning("%s: cannot list this folder (%s); its files are skipped", folder, exc.strerror)
            continue
        if (status.st_dev, status.st_ino) in seen:
            log.warning("%s: folder walked already (a link loop, or a second link); not again", folder)
            continue
        seen.add((status.st_dev, status.st_ino))
        for entry in entries:
            path = folder / entry.name
            if entry.is_dir():  # follows links
                folders.append(path)
            elif entry.is_file():
                if suffixes is None or path.suffix.lower() in suffixes:
                    found.append(path)
            elif entry.is_symlink():
                log.warning("%s: a link to nothing; skipped", path)
    return sorted(found)
