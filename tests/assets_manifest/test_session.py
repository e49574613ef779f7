"""VerifiedFiles: each asset hashed once per session, re-hashed when the file changes."""

from __future__ import annotations

import os

import pytest

from simulacra.assets_manifest import VerifiedFiles, build_library
from simulacra.errors import AssetError


def _flip_last_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # same size, other content
    path.write_bytes(bytes(data))


@pytest.fixture
def library(tmp_path):
    return build_library(tmp_path / "assets")


def test_first_use_checks_the_hash(library):
    """A file whose content no longer matches the manifest is refused at its first use."""
    record = library.of_kind("mesh")[0]
    path = library.file_of(record)
    _flip_last_byte(path)
    with pytest.raises(AssetError, match="has sha256"):
        VerifiedFiles(library).path(record.id, record.sha256)


def test_unchanged_file_is_not_hashed_again_but_a_changed_one_is(library):
    """Same size and mtime: trusted; a new mtime: hashed again and refused if altered."""
    record = library.of_kind("mesh")[0]
    files = VerifiedFiles(library)
    path = files.path(record.id, record.sha256)
    before = path.stat()
    _flip_last_byte(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert files.path(record.id, record.sha256) == path  # not re-read: size and mtime unchanged
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    with pytest.raises(AssetError, match="has sha256"):
        files.path(record.id, record.sha256)


def test_graph_pin_must_match_manifest(library):
    """A graph pinning another hash than the manifest's is refused by name."""
    record = library.of_kind("mesh")[0]
    with pytest.raises(AssetError, match="the scene graph pins sha256"):
        VerifiedFiles(library).path(record.id, "0" * 64)
