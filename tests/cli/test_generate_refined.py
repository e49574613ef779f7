"""`simulacra generate --refine MODEL`: refined pixels, unchanged labels, stated in the card."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulacra.cli import run
from simulacra.generate.demo import BUNDLED_REFINER

pytestmark = pytest.mark.blender


def test_refined_dataset_keeps_labels_and_says_so(tmp_path, small_spec_file):
    """Same seed with and without the bundled refiner: pixels change, masks do not, the card says so."""
    plain, refined = tmp_path / "plain", tmp_path / "refined"
    assert run(["generate", str(small_spec_file), "-n", "1", "-o", str(plain), "--seed", "9"]) == 0
    args = ["generate", str(small_spec_file), "-n", "1", "-o", str(refined), "--seed", "9"]
    assert run([*args, "--refine", str(BUNDLED_REFINER)]) == 0
    before = cv2.imread(str(plain / "images/000000.png"))
    after = cv2.imread(str(refined / "images/000000.png"))
    assert np.abs(before.astype(int) - after).mean() > 0.5
    for mask in ("000000_instance.png", "000000_class.png"):
        assert np.array_equal(
            cv2.imread(str(plain / "masks" / mask), cv2.IMREAD_UNCHANGED),
            cv2.imread(str(refined / "masks" / mask), cv2.IMREAD_UNCHANGED),
        )
    card = (refined / "DATASET_CARD.md").read_text()
    assert "went through the neural refiner" in card and "differential privacy: none" in card
    assert "None: images are the renders" in (plain / "DATASET_CARD.md").read_text()


def test_foreign_refiner_is_refused_before_output(tmp_path, capsys, small_spec_file):
    """A file that is not one of our checkpoints: one line, exit 2, nothing written."""
    bogus = tmp_path / "model.pt"
    bogus.write_bytes(b"not a checkpoint")
    out = tmp_path / "out"
    assert run(["generate", str(small_spec_file), "-n", "1", "-o", str(out), "--refine", str(bogus)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.pt" in err[0]
    assert not out.exists()
