"""One writer at a time for a reference index folder.

``index add`` and ``audit calibrate`` read ``index.json``, change it and write it back.
Two of them at once would each write what they read plus their own change, and the
second to finish would silently drop the first one's (an added reference set that the
audit then no longer knows). Holding an exclusive lock on a file in the index folder
from load to save makes them take turns; the operating system drops the lock when its
holder dies, so a killed writer never wedges the index.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from simulacra.errors import ReferenceIndexError

log = logging.getLogger(__name__)
LOCK_FILE = ".lock"


@contextmanager
def index_lock(index: Path) -> Iterator[None]:
    """Hold ``index``'s writer lock for the block, waiting while another process holds it.

    Raises:
        ReferenceIndexError: ``index`` is not a folder, or its lock file cannot be opened.
    """
    if not index.is_dir():
        raise ReferenceIndexError(f"{index}: reference index directory does not exist")
    try:
        handle = os.open(index / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ReferenceIndexError(f"{index / LOCK_FILE}: cannot open the lock ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("%s is being changed by another process; waiting for it to finish", index)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing drops the lock
