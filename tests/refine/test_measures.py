"""Measures: edge agreement tracks damage to labels, realism tracks domain gaps, memorization finds copies."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulacra.refine.measures import edge_agreement, memorization, realism_accuracy, summarize_agreement
from tests.refine.conftest import shapes_image, texture_image, write


def test_edge_agreement_untouched_blurred_and_shifted():
    """An unchanged image scores 1; blurring and shifting the objects score lower."""
    render, instances = shapes_image(1, 64)
    same = edge_agreement(render, render, instances)
    assert same == {"inside": 1.0, "boundary": 1.0}
    blurred = edge_agreement(render, cv2.GaussianBlur(render, (9, 9), 4), instances)
    shifted = edge_agreement(render, np.roll(render, 4, axis=1), instances)
    assert blurred["boundary"] < 0.5 and shifted["boundary"] < 0.75
    with pytest.raises(ValueError, match="differ in size"):
        edge_agreement(render, render[:10], instances)


def test_realism_separates_domains_and_not_a_domain_from_itself():
    """Flat renders vs textures: near 1.0; textures vs other textures: near chance."""
    renders = [shapes_image(i, 64)[0] for i in range(8)]
    real = [texture_image(i, 64) for i in range(8)]
    other_real = [texture_image(50 + i, 64) for i in range(8)]
    assert realism_accuracy(renders, real, seed=0) > 0.9
    assert realism_accuracy(other_real, real, seed=0) < 0.75
    with pytest.raises(ValueError, match="at least 4 images"):
        realism_accuracy(renders[:2], real, seed=0)


def test_memorization_rejects_a_copy_of_a_training_image(tmp_path):
    """A real training image coming out of the refiner is a reject; a render passes."""
    from skimage import data

    folder = write(tmp_path / "real", [data.coffee(), data.chelsea()])
    verdicts = memorization([data.coffee(), shapes_image(2, 128)[0]], folder)
    assert [v.verdict for v in verdicts] == ["reject", "pass"]


def test_summarize_agreement_means_and_worst_skip_images_without_edges():
    """Means skip None; the worst image is named per region; a region with no edges anywhere is None."""
    per_image = [
        {"inside": 0.9, "boundary": None},
        {"inside": 0.5, "boundary": None},
        {"inside": None, "boundary": None},
    ]
    summary = summarize_agreement(per_image, ["a.png", "b.png", "c.png"])
    assert summary["mean"] == {"inside": 0.7, "boundary": None}
    assert summary["worst"] == {"inside": {"file": "b.png", "value": 0.5}, "boundary": None}
