"""``simulacra refine train|apply`` from the command line: works, and fails in one line with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2
import torch

from simulacra.cli import run
from tests.conftest import only_error_line

TINY = ["--steps", "4", "--size", "32", "--batch", "4", "--checkpoint-every", "2"]


def test_train_then_apply(tmp_path, synthetic_dir, real_dir, capsys):
    """Train, rerun (already done), apply: refined PNGs of the same size under the same names."""
    model = tmp_path / "model"
    args = ["refine", "train", "--synthetic", str(synthetic_dir), "--real", str(real_dir), "-o", str(model)]
    assert run([*args, *TINY, "--device", "cpu"]) == 0
    assert "trained 4 steps" in capsys.readouterr().err
    card = json.loads((model / "model_card.json").read_text())
    assert card["settings"]["self_regularization"] == 2.0  # the default that avoids colour casts
    before = {p.name: p.stat().st_mtime_ns for p in model.iterdir()}
    assert run([*args, *TINY, "--device", "cpu"]) == 0
    assert "already trained to 4 steps; nothing to do" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in model.iterdir()} == before  # left as it was
    assert run(["refine", "apply", str(model), str(synthetic_dir), "-o", str(tmp_path / "out")]) == 0
    assert "refined 6 images" in capsys.readouterr().err
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        [*(p.name for p in synthetic_dir.iterdir()), "REFINE_REPORT.md", "refine_report.json"]
    )
    report = json.loads((tmp_path / "out/refine_report.json").read_text())
    assert report["images_refined"] == 6 and report["model"]["training_steps"] == 4
    assert report["labels"] is report["realism"] is report["memorization"] is None
    assert cv2.imread(str(tmp_path / "out/000.png")).shape == (40, 40, 3)


def test_dp_train_prints_epsilon(tmp_path, synthetic_dir, real_dir, capsys):
    """--dp-epsilon trains with DP-SGD and prints the accountant's epsilon."""
    args = [
        "refine",
        "train",
        "--synthetic",
        str(synthetic_dir),
        "--real",
        str(real_dir),
        "-o",
        str(tmp_path / "m"),
    ]
    assert run([*args, *TINY, "--dp-epsilon", "8", "--dp-delta", "0.01"]) == 0
    assert "differential privacy: epsilon = " in capsys.readouterr().err


def test_bad_input_one_line_exit_2(tmp_path, synthetic_dir, real_dir, capsys):
    """Missing folder, bad setting, foreign checkpoint, existing output: one line, exit 2, nothing written."""
    base = ["refine", "train", "--synthetic", str(synthetic_dir), "-o", str(tmp_path / "m"), *TINY]
    assert run([*base, "--real", str(tmp_path / "nope")]) == 2
    assert "nope does not exist" in only_error_line(capsys)
    assert run([*base, "--real", str(real_dir), "--dp-epsilon", "0"]) == 2
    assert "--dp-epsilon" in only_error_line(capsys)
    assert not (tmp_path / "m").exists()
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    assert run(["refine", "apply", str(foreign), str(synthetic_dir), "-o", str(tmp_path / "o")]) == 2
    assert "not a simulacra refiner checkpoint" in only_error_line(capsys)
    assert not (tmp_path / "o").exists()
    assert run([*base, "--real", str(real_dir)]) == 0
    capsys.readouterr()
    assert run(["refine", "apply", str(tmp_path / "m"), str(synthetic_dir), "-o", str(real_dir)]) == 2
    assert "already exists" in only_error_line(capsys)


def test_corrupt_image_in_apply_leaves_no_output(tmp_path, synthetic_dir, real_dir, tiny, capsys):
    """A corrupt render half-way: exit 2 naming it, and no output folder (not even a partial one)."""
    from simulacra.refine import train

    train(synthetic_dir, real_dir, tmp_path / "m", tiny, device="cpu")
    (synthetic_dir / "003.png").write_bytes(b"\x89PNG broken")
    assert run(["refine", "apply", str(tmp_path / "m"), str(synthetic_dir), "-o", str(tmp_path / "out")]) == 2
    assert "003.png" in only_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "real", "synthetic"]


def test_imports_stay_free_of_torch():
    """Importing the CLI and simulacra.refine does not import torch (startup stays fast)."""
    code = "import sys, simulacra.cli, simulacra.refine; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
