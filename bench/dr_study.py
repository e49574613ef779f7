"""Sim-to-sim domain-randomization study: which randomization of the plain look transfers to an unseen one.

The target is a look no variant trains on: the ``indoor`` preset (a room with windows,
lamps, furniture, every surface in procedural material families, daylight from a sky)
at 128 px with camera effects (sensor noise, blur, JPEG), rendered once with its own
seed. The variants train on ``bench/tabletop128.yaml`` (the plain ``tabletop`` look: flat
colours on a table before a grey background) with randomization axes switched on, all
on, and all on minus each one (``simulacra study``'s ablation). Every model is the
utility model of ``simulacra eval utility``, trained once per seed, scored on the target.

Sizing: the pilot in BENCHMARKS.md ("simulacra study at pilot size") showed that with
100 images, 1000 steps and 2 seeds the seed-to-seed spread hides any effect; the
defaults here (400 images a variant, 3000 steps, 3 seeds) are what the in-domain
ceiling run needed to give intervals of about +-0.05 mIoU. A two-axis study is four
variants plus the target and the ceiling: 15 models. The run in BENCHMARKS.md
("Sim-to-sim study", ``--axes materials sensor --images 200 --target-images 100``) took
100 minutes on 2 CPU cores, and its differences between variants (about 0.013 mIoU) were
smaller than 3 seeds can separate: telling the axes apart needs far more seeds, which is
``--device cuda`` work. ``--axes`` picks fewer axes for a shorter study.

    python bench/dr_study.py -o dr_study [--axes materials sensor] [--images 400]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import yaml

from simulacra.assets_manifest import builtin_manifest, load_policy
from simulacra.scenes import SceneSpec, load_spec
from simulacra.scenes.overrides import parse_override
from simulacra.studies.study import StudyRequest, run_study

ROOT = Path(__file__).resolve().parent
SIZE = 128
# name -> the spec path, its off and on values (``--axis`` syntax: top-level commas split).
AXES = {
    "materials": (
        "objects.material.families",
        "{flat: 1}",
        "{plastic: 4, ceramic: 2, glass: 1, brushed_metal: 1, painted_metal: 1, rubber: 1, "
        "paper: 1, fabric: 1, leather: 1, wood: 1, flat: 1}",
    ),
    "surface": (
        "surface.material.families",
        "{flat: 1}",
        "{wood: 4, marble: 1, painted_metal: 1, plastic: 1}",
    ),
    "distractors": ("distractors", "null", "{count_range: [1, 3]}"),
    "lights": ("lights.count_range", "[1, 1]", "[1, 4]"),
    "background": ("background.kind", "color", "sky"),
    "sensor": ("sensor", "null", "{noise: {}, blur: {}, jpeg: {}}"),
}
TARGET_SENSOR = yaml.safe_load(AXES["sensor"][2])  # the target has the sensor axis on


def target_spec(base: SceneSpec) -> SceneSpec:
    """The held-apart look: ``indoor`` at 128 px with camera effects, framed as ``base`` frames.

    The camera (distance, elevation, field of view) is the base's, so the target differs
    in look (room, materials, daylight, sensor) and not in how large objects appear.
    """
    data = load_spec(Path("indoor")).model_dump(mode="json", exclude_none=True)
    data.update(
        name="indoor128-sensor",
        resolution=[SIZE, SIZE],
        samples=base.samples,
        camera=base.camera.model_dump(mode="json", exclude_none=True),
        sensor=TARGET_SENSOR,
    )
    return SceneSpec.model_validate(data)


def main() -> None:
    """Run the study and print its table with the machine it ran on."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", type=Path, required=True, help="study folder (must not exist)")
    parser.add_argument("--axes", nargs="+", choices=list(AXES), default=["materials", "background"])
    parser.add_argument("--images", type=int, default=400, help="images per variant and for the ceiling")
    parser.add_argument("--target-images", type=int, default=200)
    parser.add_argument("--steps", type=int, default=3000, help="training steps per model")
    parser.add_argument("--seeds", type=int, default=3, help="models per variant")
    parser.add_argument("--samples", type=int, default=8, help="Cycles samples per pixel")
    parser.add_argument("--task", choices=["segmentation", "detection"], default="segmentation")
    parser.add_argument("--device", default="auto", help="torch device for training: auto, cpu, cuda")
    args = parser.parse_args()
    base = load_spec(ROOT / "tabletop128.yaml").model_copy(update={"samples": args.samples})
    axes = [parse_override(f"{AXES[name][0]}={AXES[name][1]},{AXES[name][2]}") for name in args.axes]
    threads = len(os.sched_getaffinity(0))
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {threads} cpus, Python {platform.python_version()}")
    print(f"axes: {', '.join(f'{n} ({AXES[n][0]})' for n in args.axes)}", flush=True)
    started = time.perf_counter()
    result = run_study(
        StudyRequest(
            spec=base,
            axes=axes,
            target=target_spec(base),
            out=args.out,
            manifest=builtin_manifest(),
            policy=load_policy(None),
            n=args.images,
            target_n=args.target_images,
            task=args.task,
            steps=args.steps,
            utility_seeds=tuple(range(args.seeds)),
            size=SIZE,
            device=args.device,
            threads=threads,
        ),
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(result.markdown())
    print(f"plot: {args.out / 'study.png'}; wall {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
