"""Checkpoints: our own load with weights_only; anything else is refused with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from simulacra.errors import RefineError
from simulacra.refine import load_refiner, train


class _Planted:
    """Unpickling this would touch a file: the proof that code ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickle_with_code_refused(tmp_path):
    """A pickle that would run code is refused by the restricted unpickler, and the code never runs."""
    path = tmp_path / "evil.pt"
    torch.save({"format": "simulacra-refiner", "x": _Planted(tmp_path / "ran")}, path)
    with pytest.raises(RefineError, match=r"evil\.pt: not a simulacra refiner checkpoint"):
        load_refiner(path, "cpu")
    assert not (tmp_path / "ran").exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"state_dict": {"w": torch.zeros(2)}}, "no 'simulacra-refiner' format tag"),
        ({"format": "simulacra-refiner", "format_version": 99, "kind": "refiner"}, "format version 99"),
        ([1, 2, 3], "format tag"),
    ],
)
def test_foreign_checkpoints_refused(tmp_path, payload, message):
    """Someone else's weights, a future format or a non-dict: refused by name."""
    path = tmp_path / "other.pt"
    torch.save(payload, path)
    with pytest.raises(RefineError, match=message):
        load_refiner(path, "cpu")


def test_corrupt_and_missing_files_refused(tmp_path):
    """Garbage bytes and a missing file are one-line RefineErrors naming the file."""
    (tmp_path / "junk.pt").write_bytes(b"\x00garbage" * 10)
    with pytest.raises(RefineError, match=r"junk\.pt: not a simulacra refiner checkpoint"):
        load_refiner(tmp_path / "junk.pt", "cpu")
    with pytest.raises(RefineError, match="does not exist"):
        load_refiner(tmp_path / "nowhere", "cpu")


def test_training_checkpoint_is_not_a_refiner(tmp_path, synthetic_dir, real_dir, tiny):
    """Loading the resume checkpoint as a refiner names the mix-up; mismatched weights are refused."""
    train(synthetic_dir, real_dir, tmp_path / "m", tiny, device="cpu")
    with pytest.raises(RefineError, match="a 'training' checkpoint, expected 'refiner'"):
        load_refiner(tmp_path / "m/checkpoint.pt", "cpu")
    payload = torch.load(tmp_path / "m/refiner.pt", weights_only=True)
    payload["architecture"]["blocks"] = 5
    torch.save(payload, tmp_path / "m/refiner.pt")
    with pytest.raises(RefineError, match="do not fit the refiner network"):
        load_refiner(tmp_path / "m", "cpu")
