"""Density and coverage (Naeem et al. 2020, k = 5) and ``simulacra eval coverage``."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from simulacra.cli import run
from simulacra.evaluation.coverage import density_coverage, image_features


def test_same_distribution_scores_about_one():
    """Samples of one Gaussian: density near 1 and coverage near 1, as the paper shows."""
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(1000, 8)), rng.normal(size=(1000, 8))
    density, coverage = density_coverage(real, fake)
    assert 0.85 < density < 1.15 and coverage > 0.9


def test_disjoint_and_collapsed_sets():
    """Far-away fakes score 0 and 0; fakes collapsed onto one real point cover almost nothing."""
    rng = np.random.default_rng(1)
    real = rng.normal(size=(500, 8))
    assert density_coverage(real, rng.normal(size=(500, 8)) + 50) == (0.0, 0.0)
    assert density_coverage(real, np.repeat(real[:1], 500, axis=0))[1] < 0.05


def test_hand_computed_example():
    """Reals at 0..5, k=1 (radius 1, strict): fakes at 0.5 and 10 -> density 2/2, coverage 2/6."""
    real = np.arange(6, dtype=float)[:, None]
    density, coverage = density_coverage(real, np.array([[0.5], [10.0]]), k=1)
    assert density == pytest.approx(1.0) and coverage == pytest.approx(2 / 6)


def test_too_few_references_is_refused():
    """k = 5 needs six reference images: fewer is an EvaluationError naming k."""
    from simulacra.errors import EvaluationError

    with pytest.raises(EvaluationError, match="k=5"):
        density_coverage(np.zeros((5, 3)), np.zeros((2, 3)))


def test_features_see_colour_and_layout():
    """A descriptor is unit-scaled per group; a recoloured image moves, the same image does not."""
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    a, b = image_features(image), image_features(image.copy())
    assert np.array_equal(a, b) and a.dtype == np.float32
    assert np.linalg.norm(a - image_features(255 - image)) > 0.1


def test_coverage_command_against_own_images(tiny_dataset, tmp_path, capsys):
    """A dataset against its own images covers every reference ball; the result is saved for compare."""
    dataset = tmp_path / "ds"
    shutil.copytree(tiny_dataset, dataset)
    assert run(["eval", "coverage", "--synthetic", str(dataset), "--reference", str(dataset / "images")]) == 0
    captured = capsys.readouterr()
    assert "Coverage" in captured.out and "DCR share not computed" in captured.err
    saved = json.loads((dataset / "eval/coverage.json").read_text())
    result = saved[str((dataset / "images").resolve())]
    assert result["coverage"] == 1.0 and result["k"] == 5 and result["reference_images"] == 8


def test_dcr_share_of_copied_members_is_high(tiny_dataset, tmp_path, capsys):
    """Outputs that are the indexed images themselves: the auditor's DCR share is far above 0.5."""
    from simulacra.audit import ReferenceIndex, write_demo_references

    index = tmp_path / "index"
    ReferenceIndex.build(tiny_dataset / "images").save(index)
    write_demo_references(tmp_path / "holdout")
    args = ["eval", "coverage", "--synthetic", str(tiny_dataset), "--reference", str(tiny_dataset / "images")]
    assert run([*args, "--index", str(index), "--holdout", str(tmp_path / "holdout"), "--no-save"]) == 0
    captured = capsys.readouterr()
    assert "DCR share" in captured.out and "memorization" in captured.err
    assert not (tiny_dataset / "eval").exists()


def test_empty_reference_is_one_line(tiny_dataset, tmp_path, capsys):
    """A reference folder with no images: named, exit 2."""
    args = ["eval", "coverage", "--synthetic", str(tiny_dataset), "--reference", str(tmp_path), "--no-save"]
    assert run(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path) in err and "no readable images" in err
