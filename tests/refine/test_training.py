"""Training from the user's side: files written, card filled, resumable, refuses what it cannot use."""

from __future__ import annotations

import json

import pytest
import torch

from simulacra.errors import RefineError
from simulacra.refine import load_refiner, train


def _weights(model) -> dict:
    return torch.load(model / "refiner.pt", weights_only=True)["refiner"]


def test_train_writes_weights_card_and_checkpoint(tmp_path, synthetic_dir, real_dir, tiny):
    """A run writes refiner.pt, both cards and a resumable checkpoint; the card fingerprints the data."""
    seen = []
    result = train(
        synthetic_dir, real_dir, tmp_path / "m", tiny, device="cpu", progress=lambda d, t: seen.append(d)
    )
    assert result.steps == 4 and result.resumed_from == 0 and result.epsilon is None
    assert seen == [0, 1, 2, 3, 4]
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names == ["MODEL_CARD.md", "checkpoint.pt", "model_card.json", "refiner.pt"]
    card = json.loads((tmp_path / "m/model_card.json").read_text())
    assert (
        card["training_data"]["real"]["count"] == 6
        and len(card["training_data"]["real"]["files_sha256"]) == 6
    )
    assert card["steps"] == 4 and card["privacy"] is None
    assert set(card["final_losses"]) == {"discriminator", "adversarial", "self_regularization"}
    assert "000.png" not in (tmp_path / "m/model_card.json").read_text()  # hashes, not names
    assert "none: trained without differential privacy" in (tmp_path / "m/MODEL_CARD.md").read_text()
    assert load_refiner(tmp_path / "m", "cpu").card["steps"] == 4


def test_same_seed_same_weights(tmp_path, synthetic_dir, real_dir, tiny):
    """Two runs with one seed give identical weights; another seed gives different ones."""
    train(synthetic_dir, real_dir, tmp_path / "a", tiny, device="cpu")
    train(synthetic_dir, real_dir, tmp_path / "b", tiny, device="cpu")
    train(synthetic_dir, real_dir, tmp_path / "c", tiny.model_copy(update={"seed": 1}), device="cpu")
    a, b, c = (_weights(tmp_path / n) for n in "abc")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, synthetic_dir, real_dir, tiny):
    """Interrupted after its step-2 checkpoint, a rerun resumes at 2 and ends where an unbroken run does."""
    train(synthetic_dir, real_dir, tmp_path / "whole", tiny, device="cpu")

    def interrupt(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(synthetic_dir, real_dir, tmp_path / "broken", tiny, device="cpu", progress=interrupt)
    assert sorted(p.name for p in (tmp_path / "broken").iterdir()) == ["checkpoint.pt"]
    result = train(synthetic_dir, real_dir, tmp_path / "broken", tiny, device="cpu")
    assert result.resumed_from == 2 and result.steps == 4
    whole, resumed = _weights(tmp_path / "whole"), _weights(tmp_path / "broken")
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_resume_with_other_settings_or_data_refused(tmp_path, synthetic_dir, real_dir, tiny):
    """A checkpoint is only resumed with its own settings and images."""
    train(synthetic_dir, real_dir, tmp_path / "m", tiny, device="cpu")
    with pytest.raises(RefineError, match="other settings \\(batch\\)"):
        train(synthetic_dir, real_dir, tmp_path / "m", tiny.model_copy(update={"batch": 2}), device="cpu")
    (real_dir / "000.png").unlink()
    with pytest.raises(RefineError, match="other real images"):
        train(synthetic_dir, real_dir, tmp_path / "m", tiny, device="cpu")


def test_bad_folders_refused_before_writing(tmp_path, synthetic_dir, real_dir, tiny):
    """Missing, empty or corrupt input, or an unrelated output folder: RefineError and nothing written."""
    (tmp_path / "empty").mkdir()
    (real_dir / "bad.png").write_bytes(b"not a png")
    cases = [
        (tmp_path / "missing", synthetic_dir, "does not exist"),
        (synthetic_dir, tmp_path / "empty", "holds no images"),
        (synthetic_dir, real_dir, "bad.png"),
    ]
    for synthetic, real, message in cases:
        with pytest.raises(RefineError, match=message):
            train(synthetic, real, tmp_path / "out", tiny, device="cpu")
        assert not (tmp_path / "out").exists()
    (real_dir / "bad.png").unlink()
    (tmp_path / "other").mkdir()
    (tmp_path / "other/notes.txt").write_text("mine")
    with pytest.raises(RefineError, match="holds no refiner training checkpoint"):
        train(synthetic_dir, real_dir, tmp_path / "other", tiny, device="cpu")
    assert [p.name for p in (tmp_path / "other").iterdir()] == ["notes.txt"]
    (tmp_path / "shipped").mkdir()
    (tmp_path / "shipped/refiner.pt").write_bytes(b"weights without their checkpoint")
    with pytest.raises(RefineError, match="holds a trained refiner but not its training checkpoint"):
        train(synthetic_dir, real_dir, tmp_path / "shipped", tiny, device="cpu")
