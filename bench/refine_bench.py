"""Refiner benchmark: training and apply speed, realism, label preservation, leaks with and without DP.

Trains two refiners on the same renders and a small real set (tiles of the left halves
of scikit-image photos that are not demo references), one plain and one with DP-SGD;
then refines held-out renders and measures against the raw renders (the baseline of
the same run): realism classifier accuracy against held-out real tiles (right halves),
edge agreement inside and around instance masks, and the auditor's rejects against an
index of the real training tiles. Two more short runs (plain and DP, 20 steps by default)
time training alone at 256x256 crops (the 128 px real tiles are upscaled to fit).

    .venv/bin/python bench/refine_bench.py [--renders demo_output/dataset] [--steps 300] [--big-steps 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from simulacra.audit import read_image
from simulacra.refine import load_refiner, train
from simulacra.refine.measures import edge_agreement, memorization, realism_accuracy, summarize_agreement
from simulacra.refine.settings import BUNDLED_SETTINGS, TrainSettings

PHOTOS = ("brick", "grass", "gravel", "coins", "immunohistochemistry", "hubble_deep_field")
TILE = 128


def real_tiles(train_dir: Path, held_dir: Path) -> tuple[int, int]:
    """Two 128 px tiles from the left half of each photo (training), two from the right (held out)."""
    from skimage import data

    train_dir.mkdir(parents=True)
    held_dir.mkdir(parents=True)
    for name in PHOTOS:
        image = np.asarray(getattr(data, name)())
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image
        scale = 2 * TILE / min(rgb.shape[:2])
        rgb = cv2.resize(rgb, (round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)), cv2.INTER_AREA)
        h, w = rgb.shape[:2]
        for row in range(2):
            y = row * (h - TILE)
            left, right = rgb[y : y + TILE, :TILE], rgb[y : y + TILE, w - TILE :]
            cv2.imwrite(str(train_dir / f"{name}_{row}.png"), cv2.cvtColor(left, cv2.COLOR_RGB2BGR))
            cv2.imwrite(str(held_dir / f"{name}_{row}.png"), cv2.cvtColor(right, cv2.COLOR_RGB2BGR))
    return len(PHOTOS) * 2, len(PHOTOS) * 2


def train_rate(synthetic: Path, real: Path, out: Path, settings: TrainSettings) -> float:
    """Steps/s of training alone (no image loading or writing), after one warm-up step."""
    stamps: dict[int, float] = {}
    one = settings.model_copy(update={"checkpoint_every": settings.steps})  # no checkpoint mid-run
    train(
        synthetic, real, out, one, progress=lambda done, total: stamps.setdefault(done, time.perf_counter())
    )
    return (settings.steps - 1) / (stamps[settings.steps] - stamps[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=Path, default=Path("demo_output/dataset"))
    parser.add_argument("--steps", type=int, default=BUNDLED_SETTINGS.steps)
    parser.add_argument("--size", type=int, default=48)
    parser.add_argument("--held-out", type=int, default=8)
    parser.add_argument("--dp-epsilon", type=float, default=8.0)
    parser.add_argument("--big-size", type=int, default=256, help="crop side of the timed training runs")
    parser.add_argument("--big-steps", type=int, default=20, help="steps of the timed training runs")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    load_before = os.getloadavg()[0]  # printed: other jobs on the CPU distort every rate here
    images = sorted((args.renders / "images").glob("*.png"))
    held = images[-args.held_out :]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "synthetic").mkdir()
        for path in images[: -args.held_out]:
            (root / "synthetic" / path.name).write_bytes(path.read_bytes())
        n_real, _ = real_tiles(root / "real", root / "held")
        settings = BUNDLED_SETTINGS.model_copy(update={"steps": args.steps, "size": args.size})
        runs = {}
        for label, update in (("plain", {}), ("dp", {"dp_epsilon": args.dp_epsilon, "dp_delta": 1e-3})):
            started = time.perf_counter()
            result = train(
                root / "synthetic", root / "real", root / label, settings.model_copy(update=update)
            )
            runs[label] = (time.perf_counter() - started, result)
        big = BUNDLED_SETTINGS.model_copy(update={"steps": args.big_steps, "size": args.big_size})
        big_rates = {
            label: train_rate(
                root / "synthetic", root / "real", root / f"big_{label}", big.model_copy(update=update)
            )
            for label, update in (("plain", {}), ("dp", {"dp_epsilon": args.dp_epsilon, "dp_delta": 1e-3}))
        }
        renders = [read_image(p)[0] for p in held]
        masks = [
            cv2.imread(str(args.renders / "masks" / f"{p.stem}_instance.png"), cv2.IMREAD_UNCHANGED)
            for p in held
        ]
        real_held = [read_image(p)[0] for p in sorted((root / "held").glob("*.png"))]
        rows = []
        raw_realism = realism_accuracy(renders, real_held, seed=0)
        raw_leaks = sum(v.verdict == "reject" for v in memorization(renders, root / "real"))
        rows.append(("raw renders (baseline)", None, None, None, raw_realism, (1.0, 1.0), raw_leaks))
        for label, (seconds, result) in runs.items():
            refiner = load_refiner(root / label, "cpu")
            refiner.apply(renders[0])  # warm-up
            started = time.perf_counter()
            refined = [refiner.apply(r) for r in renders]
            apply_rate = len(renders) / (time.perf_counter() - started)
            agreement = [edge_agreement(r, f, m) for r, f, m in zip(renders, refined, masks, strict=True)]
            mean = summarize_agreement(agreement, [p.name for p in held])["mean"]
            edges = (mean["inside"], mean["boundary"])
            leaks = sum(v.verdict == "reject" for v in memorization(refined, root / "real"))
            eps = f"{result.epsilon:.2f}" if result.epsilon is not None else "inf"
            rows.append(
                (
                    f"refined, {label} (eps {eps})",
                    args.steps / seconds,
                    big_rates[label],
                    apply_rate,
                    realism_accuracy(refined, real_held, seed=0),
                    edges,
                    leaks,
                )
            )
    side = renders[0].shape[0]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
        f"{torch.__version__} CPU, {torch.get_num_threads()} threads; "
        f"{len(images) - args.held_out} train renders, "
        f"{n_real} real tiles, {args.steps} steps at {args.size} px batch 6 (whole run, loading and "
        f"writing included); timed runs of {args.big_steps} steps at {args.big_size} px batch 6 "
        f"(steps only, first excluded); {len(held)} held-out {side}x{side} renders, "
        f"{len(real_held)} held-out real tiles; 1-min load average {load_before:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    header = (
        "images",
        f"train steps/s ({args.size} px)",
        f"train steps/s ({args.big_size}x{args.big_size})",
        f"apply img/s ({side}x{side})",
        "realism acc",
        "edge F1 in",
        "edge F1 band",
        "leaks",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    fmt = lambda x, spec: "-" if x is None else format(x, spec)  # noqa: E731
    for name, steps_s, big_s, apply_s, realism, (inside, band), leaks in rows:
        print(
            f"| {name} | {fmt(steps_s, '.2f')} | {fmt(big_s, '.2f')} | {fmt(apply_s, '.2f')} | {realism:.3f} "
            f"| {inside:.3f} | {band:.3f} | {leaks}/{len(held)} |"
        )


if __name__ == "__main__":
    main()
