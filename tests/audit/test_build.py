"""Tests for building an index at scale: worker processes, resuming a killed build, appending."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from simulacra.audit import Auditor, ReferenceIndex
from simulacra.audit import index as index_module

COUNT = 18  # above the size from which a build starts worker processes


@pytest.fixture(scope="module")
def distinct_refs(photos: dict[str, np.ndarray], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """COUNT distinct 160-224 px references: crops of the demo photos, turned and recoloured."""
    folder = tmp_path_factory.mktemp("distinct")
    rng = np.random.default_rng(3)
    sources = list(photos.values())
    for i in range(COUNT):
        rgb = sources[i % len(sources)]
        h, w = rgb.shape[:2]
        y, x = int(rng.integers(0, h // 3)), int(rng.integers(0, w // 3))
        crop = rgb[y : y + 2 * h // 3, x : x + 2 * w // 3]
        turn = cv2.getRotationMatrix2D((crop.shape[1] / 2, crop.shape[0] / 2), rng.uniform(-20, 20), 1.0)
        crop = cv2.warpAffine(crop, turn, crop.shape[1::-1], borderMode=cv2.BORDER_REFLECT)
        side = int(rng.integers(160, 225))
        crop = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA) * rng.uniform(0.7, 1.2, 3)
        cv2.imwrite(str(folder / f"ref_{i:02d}.png"), np.clip(crop, 0, 255).astype(np.uint8)[..., ::-1])
    return folder


def _segment_arrays(root: Path) -> dict[str, np.ndarray]:
    return {
        f"{seg.name}/{f.name}": np.load(f)
        for seg in sorted((root / "segments").iterdir())
        for f in sorted(seg.glob("*.npy"))
    }


def test_worker_processes_build_the_same_index(distinct_refs: Path, tmp_path: Path) -> None:
    """Two worker processes describe the references exactly as one process does."""
    alone = ReferenceIndex.build(distinct_refs, path=tmp_path / "one", workers=1)
    shared = ReferenceIndex.build(distinct_refs, path=tmp_path / "two", workers=2)
    assert alone.size == shared.size == COUNT
    assert alone.manifest.content_hash == shared.manifest.content_hash
    one, two = _segment_arrays(tmp_path / "one"), _segment_arrays(tmp_path / "two")
    assert one.keys() == two.keys()
    assert all(np.array_equal(one[name], two[name]) for name in one)


def test_killed_build_resumes_after_its_last_segment(
    distinct_refs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build stopped after 10 files keeps its two committed segments of 4 and resumes at file 9."""
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 4)
    target = tmp_path / "refs.index"

    def stop(done: int, total: int) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ReferenceIndex.build(distinct_refs, stop, path=target)
    partial = tmp_path / ".refs.index.partial"
    assert not target.exists()
    assert len(json.loads((partial / "build.json").read_text())["segments"]) == 2
    calls: list[tuple[int, int]] = []
    resumed = ReferenceIndex.build(distinct_refs, lambda d, t: calls.append((d, t)), path=target)
    assert calls[0] == (9, COUNT) and calls[-1] == (COUNT, COUNT)
    assert not partial.exists()
    fresh = ReferenceIndex.build(distinct_refs)
    assert resumed.manifest.content_hash == fresh.manifest.content_hash
    assert [r.id for r in resumed.references] == [r.id for r in fresh.references]


def test_build_of_another_folder_does_not_resume(
    distinct_refs: Path, demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Left-over segments of another folder's build are discarded, never mixed in."""
    monkeypatch.setattr(index_module, "SEGMENT_SIZE", 4)
    target = tmp_path / "refs.index"

    def stop(done: int, total: int) -> None:
        if done == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ReferenceIndex.build(distinct_refs, stop, path=target)
    rebuilt = ReferenceIndex.build(demo_dir, path=target)
    assert sorted(r.id for r in rebuilt.references) == sorted(
        ["skimage:astronaut", "skimage:camera", "skimage:chelsea", "skimage:coffee", "skimage:rocket"]
    )


def test_add_appends_without_describing_indexed_references(
    distinct_refs: Path, demo_dir: Path, tmp_path: Path, photos: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`add` describes only files it has not indexed; the grown index audits old and new references."""
    index = ReferenceIndex.build(distinct_refs, path=tmp_path / "refs.index")
    described: list[str] = []
    real = index_module.describe_image

    def counting(path, source, max_pixels, embedder):
        described.append(source.id)
        return real(path, source, max_pixels, embedder)

    monkeypatch.setattr(index_module, "describe_image", counting)
    grown, added = index.add(distinct_refs)
    assert added == 0 and described == []  # the same ids: skipped unread
    grown, added = grown.add(demo_dir)
    assert added == 5 and sorted(described) == sorted(r for r in photos)
    loaded = ReferenceIndex.load(tmp_path / "refs.index")
    assert loaded.size == COUNT + 5
    assert Auditor(loaded).audit(photos["skimage:chelsea"]).reference == "skimage:chelsea"
