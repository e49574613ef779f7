"""DP-SGD on the discriminator: the accountant's epsilon is reported, stored, and within target."""

from __future__ import annotations

import json

import pytest
import torch

from simulacra.errors import RefineError
from simulacra.refine import load_refiner, train


def test_dp_run_reports_and_stores_epsilon(tmp_path, synthetic_dir, real_dir, tiny):
    """A DP run spends at most its target epsilon, and the card and weights say how much."""
    settings = tiny.model_copy(update={"dp_epsilon": 8.0, "dp_delta": 0.01})
    result = train(synthetic_dir, real_dir, tmp_path / "m", settings, device="cpu")
    assert 0.0 < result.epsilon <= 8.0 * 1.01 and result.delta == 0.01
    privacy = json.loads((tmp_path / "m/model_card.json").read_text())["privacy"]
    assert privacy["epsilon"] == pytest.approx(result.epsilon, abs=1e-3)
    assert privacy["delta"] == 0.01 and privacy["noise_multiplier"] > 0 and privacy["steps"] == 4
    assert load_refiner(tmp_path / "m", "cpu").card["privacy"]["epsilon"] == privacy["epsilon"]
    assert f"epsilon = {privacy['epsilon']}" in (tmp_path / "m/MODEL_CARD.md").read_text()


def test_dp_changes_training_and_resumes_exactly(tmp_path, synthetic_dir, real_dir, tiny):
    """DP weights differ from non-DP ones; an interrupted DP run resumes to the same weights and epsilon."""
    settings = tiny.model_copy(update={"dp_epsilon": 8.0, "dp_delta": 0.01})
    whole = train(synthetic_dir, real_dir, tmp_path / "whole", settings, device="cpu")
    train(synthetic_dir, real_dir, tmp_path / "plain", tiny, device="cpu")

    def interrupt(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(synthetic_dir, real_dir, tmp_path / "broken", settings, device="cpu", progress=interrupt)
    resumed = train(synthetic_dir, real_dir, tmp_path / "broken", settings, device="cpu")
    assert resumed.resumed_from == 2 and resumed.epsilon == pytest.approx(whole.epsilon)
    load = lambda name: torch.load(tmp_path / name / "refiner.pt", weights_only=True)["refiner"]  # noqa: E731
    a, b, c = load("whole"), load("broken"), load("plain")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_delta_too_large_for_the_real_set_refused(tmp_path, synthetic_dir, real_dir, tiny):
    """Delta must be below 1/n for n real images; nothing is written otherwise."""
    settings = tiny.model_copy(update={"dp_epsilon": 8.0, "dp_delta": 0.5})
    with pytest.raises(RefineError, match="below 1/6"):
        train(synthetic_dir, real_dir, tmp_path / "m", settings, device="cpu")
    assert not (tmp_path / "m").exists()
