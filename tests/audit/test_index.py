"""Tests for building, saving, loading and validating the reference index."""

import json
import logging
import shutil
import struct
import zlib
from pathlib import Path

import faiss
import numpy as np
import pytest

from simulacra.audit import Auditor, ReferenceIndex
from simulacra.errors import ReferenceIndexError


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height but which holds no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def saved(demo_index: ReferenceIndex, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_index.save(tmp_path_factory.mktemp("saved") / "refs.index")


@pytest.fixture
def copy_of_saved(saved: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "refs.index"))


@pytest.fixture
def small_refs(demo_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "refs"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(demo_dir / "coffee.png", folder / "coffee.png")
    shutil.copy(demo_dir / "camera.png", folder / "sub" / "camera.png")
    return folder


def test_build_save_load_roundtrip(demo_index: ReferenceIndex, saved: Path, photos: dict) -> None:
    """A saved index loads back with the same summary and audits identically."""
    loaded = ReferenceIndex.load(saved)
    assert loaded.info() == demo_index.info()
    info = loaded.info()
    assert info["references"] == 5 and info["skipped"] == []
    assert info["licenses"]["CC0-1.0"] == 3
    assert {r.id for r in loaded.references} == set(photos)
    assert sorted(p.name for p in saved.iterdir()) == [
        "faces.faiss",
        "global.faiss",
        "index.json",
        "keypoints.faiss",
        "phash.faiss",
        "segments",
    ]
    photo = photos["skimage:coffee"]
    assert Auditor(loaded).audit(photo) == Auditor(demo_index).audit(photo)


def test_index_stores_descriptors_not_images(saved: Path) -> None:
    """A segment holds hashes, quantised descriptors, keypoint geometry and face embeddings; no pixels."""
    (segment,) = (saved / "segments").iterdir()
    assert sorted(p.name for p in segment.iterdir()) == [
        "face_reference.npy",
        "faces.npy",
        "frame.npy",
        "geometry.npy",
        "global_codes.npy",
        "global_scale.npy",
        "keypoint_count.npy",
        "keypoints.npy",
        "phash.npy",
        "references.jsonl",
        "skipped.jsonl",
    ]
    geometry = np.load(segment / "geometry.npy")
    assert geometry.shape[0] == 5 and geometry.shape[2] == 4
    faces = np.load(segment / "faces.npy")
    assert faces.shape == (len(np.load(segment / "face_reference.npy")), 128)
    record = json.loads((segment / "references.jsonl").read_text().splitlines()[0])
    assert set(record) == {"id", "file", "license", "source", "sha256", "width", "height"}


def test_disk_and_ram_per_reference_stay_within_budget(saved: Path) -> None:
    """Keypoints and exact rows on disk stay under 64 KB a reference (RAM budget: see the scale bench)."""
    segment = saved / "segments" / "000000"
    per_reference = sum(f.stat().st_size for f in segment.iterdir()) / 5
    assert per_reference < 60_000


def test_ids_come_from_sidecar_or_relative_path(small_refs: Path) -> None:
    """Without a sidecar a reference is identified by its path relative to the folder."""
    index = ReferenceIndex.build(small_refs)
    assert [r.id for r in index.references] == ["coffee.png", "sub/camera.png"]
    assert all(len(r.sha256) == 64 for r in index.references)


@pytest.mark.parametrize(
    ("victim", "action", "message"),
    [
        ("global.faiss", "delete", "global.faiss: missing"),
        ("keypoints.faiss", "corrupt", "keypoints.faiss: checksum does not match"),
        ("segments/000000/keypoints.npy", "corrupt", "keypoints.npy: not a readable index array"),
        ("segments/000000/geometry.npy", "delete", "geometry.npy: missing"),
        ("segments/000000/references.jsonl", "corrupt", "references.jsonl: checksum does not match"),
        ("index.json", "delete", "index.json: missing"),
        ("index.json", "corrupt", "index.json: not valid JSON"),
    ],
)
def test_missing_or_corrupt_file_is_named(
    copy_of_saved: Path, victim: str, action: str, message: str
) -> None:
    """A missing or damaged index file raises ReferenceIndexError naming that file."""
    target = copy_of_saved / victim
    if action == "delete":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes()[:200] + b"garbage")
    with pytest.raises(ReferenceIndexError, match=message):
        ReferenceIndex.load(copy_of_saved)


def test_other_descriptor_version_is_refused(copy_of_saved: Path) -> None:
    """An index built by another descriptor version must be rebuilt, and the error says so."""
    path = copy_of_saved / "index.json"
    manifest = json.loads(path.read_text())
    manifest["descriptors"]["global"]["version"] = 0
    path.write_text(json.dumps(manifest))
    with pytest.raises(
        ReferenceIndexError, match=r"index.json: built with global descriptor version=0.*rebuild"
    ):
        ReferenceIndex.load(copy_of_saved)


def test_mismatched_dims_are_refused(copy_of_saved: Path) -> None:
    """A faiss file of the wrong dimension is refused even when its checksum was updated."""
    import hashlib

    faiss.write_index(faiss.IndexIDMap(faiss.IndexFlatIP(64)), str(copy_of_saved / "global.faiss"))
    path = copy_of_saved / "index.json"
    manifest = json.loads(path.read_text())
    manifest["files"]["global.faiss"] = hashlib.sha256(
        (copy_of_saved / "global.faiss").read_bytes()
    ).hexdigest()
    path.write_text(json.dumps(manifest))
    with pytest.raises(ReferenceIndexError, match=r"global\.faiss: holds 0 vectors of 64 dims"):
        ReferenceIndex.load(copy_of_saved)


def test_unreadable_images_are_skipped_with_warning(
    small_refs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Garbage and truncated files are skipped, logged, and listed in info()."""
    (small_refs / "broken.jpg").write_bytes(b"this is not an image")
    (small_refs / "truncated.png").write_bytes((small_refs / "coffee.png").read_bytes()[:300])
    with caplog.at_level(logging.WARNING, logger="simulacra.audit.index"):
        index = ReferenceIndex.build(small_refs)
    skipped = {s["file"]: s["reason"] for s in index.info()["skipped"]}
    assert set(skipped) == {"broken.jpg", "truncated.png"}
    assert "not a readable image" in skipped["broken.jpg"] and "corrupt" in skipped["truncated.png"]
    assert "broken.jpg" in caplog.text and "truncated.png" in caplog.text
    assert len(index.references) == 2


@pytest.mark.parametrize("side", [10_000, 100_000])
def test_huge_header_is_refused_without_decoding(small_refs: Path, side: int) -> None:
    """An image whose header claims more than 80 megapixels is skipped before decoding."""
    _png_header_only(small_refs / "bomb.png", side, side)
    index = ReferenceIndex.build(small_refs)
    (skipped,) = index.info()["skipped"]
    assert skipped["file"] == "bomb.png" and "without decoding" in skipped["reason"]


def test_progress_is_reported_per_file(small_refs: Path) -> None:
    """The progress callback sees every file, ending at (total, total)."""
    calls = []
    ReferenceIndex.build(small_refs, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]


def test_empty_or_missing_folder_is_refused(tmp_path: Path) -> None:
    """Building from nothing is an error, never an empty index that passes everything."""
    with pytest.raises(ReferenceIndexError, match="no readable reference images"):
        ReferenceIndex.build(tmp_path)
    with pytest.raises(ReferenceIndexError, match="does not exist"):
        ReferenceIndex.build(tmp_path / "nowhere")


def test_save_never_overwrites_other_content(demo_index: ReferenceIndex, tmp_path: Path) -> None:
    """Saving over a folder that is not an index is refused and leaves it untouched."""
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ReferenceIndexError, match="not a reference index; refusing to overwrite"):
        demo_index.save(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_save_replaces_an_existing_index(demo_index: ReferenceIndex, copy_of_saved: Path) -> None:
    """Saving onto an existing index replaces it and leaves no staging folder behind."""
    demo_index.save(copy_of_saved)
    assert ReferenceIndex.load(copy_of_saved).info()["references"] == 5
    assert sorted(p.name for p in copy_of_saved.parent.iterdir()) == ["refs.index"]


def test_sidecar_names_ids_and_flags_missing_files(
    small_refs: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Sidecar ids and licenses are used; a listed file that is absent is skipped with a warning."""
    records = [
        {"id": "cup", "file": "coffee.png", "license": "CC0-1.0"},
        {"id": "gone", "file": "gone.png"},
    ]
    (small_refs / "references.json").write_text(json.dumps({"references": records}))
    with caplog.at_level(logging.WARNING, logger="simulacra.audit.index"):
        index = ReferenceIndex.build(small_refs)
    assert [(r.id, r.license) for r in index.references] == [("cup", "CC0-1.0"), ("sub/camera.png", None)]
    assert index.info()["skipped"] == [{"file": "gone.png", "reason": "listed but missing"}]
    assert "gone.png" in caplog.text


def test_sidecar_pointing_outside_the_folder_is_refused(small_refs: Path) -> None:
    """A sidecar may not pull files from outside the reference folder."""
    (small_refs / "references.json").write_text(json.dumps({"references": [{"id": "x", "file": "../x.png"}]}))
    with pytest.raises(ReferenceIndexError, match=r"references\.json: file '\.\./x\.png' lies outside"):
        ReferenceIndex.build(small_refs)
