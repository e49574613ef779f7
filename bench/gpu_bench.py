"""Torch work on CPU against CUDA, in one run: refiner training and apply, utility training.

The CPU rows are the baseline measured in the same run on the same machine; every
CUDA row is reported as a ratio against its CPU row. Rendering is not here: Blender
cannot run on the lent GPU machines (bpy 4.2 is built for Python 3.11 only).

    python bench/gpu_bench.py --renders demo_output/dataset --train DS_A --test DS_B
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from simulacra.audit import read_image
from simulacra.evaluation.utility import evaluate_utility
from simulacra.refine import load_refiner, train
from simulacra.refine.settings import BUNDLED_SETTINGS, TrainSettings

DEVICES = ("cpu", "cuda")


def train_rate(synthetic: Path, real: Path, out: Path, settings: TrainSettings, device: str) -> float:
    """Refiner training steps/s, first step excluded (CUDA initialisation, cuDNN autotuning)."""
    stamps: dict[int, float] = {}

    def stamp(done: int, total: int) -> None:
        if device == "cuda":
            torch.cuda.synchronize()
        stamps.setdefault(done, time.perf_counter())

    train(synthetic, real, out, settings, device=device, progress=stamp)
    return (settings.steps - 1) / (stamps[settings.steps] - stamps[1])


def apply_rate(model: Path, images: list, device: str) -> float:
    """Refined images/s (uint8 in, uint8 out: transfers included), after one warm-up image."""
    refiner = load_refiner(model, device)
    refiner.apply(images[0])
    started = time.perf_counter()
    for rgb in images:
        refiner.apply(rgb)
    return len(images) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=Path, required=True, help="folder of renders the refiner trains on")
    parser.add_argument("--train", type=Path, required=True, help="dataset the utility model trains on")
    parser.add_argument("--test", type=Path, required=True, help="dataset the utility model is scored on")
    parser.add_argument("--size", type=int, default=128, help="refiner crop side")
    parser.add_argument("--batch", type=int, default=6)
    parser.add_argument("--steps", type=int, default=30, help="timed refiner training steps")
    parser.add_argument("--utility-steps", type=int, default=None, help="utility model steps")
    parser.add_argument("--devices", nargs="+", default=list(DEVICES), help="cpu first: it is the baseline")
    args = parser.parse_args()
    if "cuda" in args.devices and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: this benchmark compares CPU with CUDA")
    torch.set_num_threads(os.cpu_count() or 1)
    rgbs = [read_image(p)[0] for p in sorted(args.renders.glob("*.png"))]
    timed = {"steps": args.steps, "size": args.size, "batch": args.batch}
    settings = BUNDLED_SETTINGS.model_copy(update=timed)
    dp = {"dp_epsilon": 8.0, "dp_delta": 1e-3}
    rows, scores = [], {}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for device in args.devices:
            for label, update in (("plain", {}), ("dp", dp)):
                out = root / f"{device}_{label}"
                rate = train_rate(args.renders, args.renders, out, settings.model_copy(update=update), device)
                rows.append((f"refiner training, {label}, {args.size} px crops", device, rate, "steps/s"))
            rate = apply_rate(root / f"{device}_plain", rgbs, device)
            rows.append((f"refiner apply, {rgbs[0].shape[1]}x{rgbs[0].shape[0]}", device, rate, "img/s"))
            for task in ("segmentation", "detection"):
                started = time.perf_counter()
                result = evaluate_utility(
                    args.train,
                    args.test,
                    task=task,
                    steps=args.utility_steps,
                    seeds=(0,),
                    device=device,
                    threads=0,
                )
                seconds = time.perf_counter() - started
                rows.append(
                    (
                        f"utility {task}, {args.utility_steps or 'default'} steps, 1 seed",
                        device,
                        1 / seconds,
                        "runs/s",
                    )
                )
                scores[(task, device)] = result.mean
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} torch threads, "
        f"GPU {gpu}; torch {torch.__version__}; "
        f"{len(rgbs)} renders from {args.renders}; utility {args.train} -> {args.test}"
    )
    print("| work | device | rate | unit | vs CPU |")
    print("|---|---|---|---|---|")
    base = {work: rate for work, device, rate, _ in rows if device == "cpu"}
    for work, device, rate, unit in rows:
        print(f"| {work} | {device} | {rate:.3f} | {unit} | {rate / base[work]:.2f}x |")
    for (task, device), score in scores.items():
        print(f"utility {task} on {device}: score {score:.3f}")


if __name__ == "__main__":
    main()
