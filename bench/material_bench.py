"""Render cost of richer worlds: procedural materials and the room against today's flat materials.

Resolves K ``tabletop`` scenes six ways and renders them all in one persistent
``Renderer``, in turn per scene, so machine load falls on every variant alike. Materials
and rooms draw from generators of their own (and the sky replaces only the background's
draws, which come after everything else), so the variants of a scene share its objects,
lights and camera exactly: only the world differs.
Prints seconds, images/s and the images/s ratio against flat (the baseline of the run).

    .venv/bin/python bench/material_bench.py [--scenes 8] [--size 128] [--samples 16]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from simulacra.assets_manifest import builtin_manifest
from simulacra.randomize import FAMILIES
from simulacra.render import Renderer
from simulacra.render.blenderproc_adapter import exit_process
from simulacra.scenes import SceneSpec, load_spec, resolve, spec_from_dict

EVERY_FAMILY = dict.fromkeys(FAMILIES, 1.0)


def variants(size: int, samples: int) -> dict[str, SceneSpec]:
    """tabletop flat; in procedural families; in a room; both; under a sky; all three (the indoor look).

    The room keeps tabletop's grey world unless the sky is named, so each cost stands apart.
    """
    preset = load_spec(Path("tabletop")).model_dump()
    preset.update(resolution=(size, size), samples=samples)
    procedural = {
        "surface": {**preset["surface"], "material": {"families": {"wood": 1, "marble": 1, "concrete": 1}}},
        "objects": {
            **preset["objects"],
            "material": {**preset["objects"]["material"], "families": EVERY_FAMILY},
        },
    }
    room = {"environment": {"room": {}}}
    sky = {"background": {"kind": "sky", "strength_range": [0.6, 1.2]}}
    datas = {"flat": preset, "procedural": {**preset, **procedural}, "room": {**preset, **room}}
    datas["procedural + room"] = {**preset, **procedural, **room}
    datas["sky"] = {**preset, **sky}
    datas["procedural + room + sky"] = {**preset, **procedural, **room, **sky}
    return {name: spec_from_dict(data, source=name) for name, data in datas.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--samples", type=int, default=16)
    args = parser.parse_args()
    manifest = builtin_manifest()
    specs = variants(args.size, args.samples)
    seconds = dict.fromkeys(specs, 0.0)
    with Renderer(manifest, manifest.categories()) as renderer:
        for index in range(args.scenes):
            for name, spec in specs.items():
                graph = resolve(spec, manifest, job_seed=2026, image_index=index)
                started = time.perf_counter()
                renderer.render(graph)
                seconds[name] += time.perf_counter() - started
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {args.scenes} tabletop scenes each way, "
        f"{args.size}x{args.size} px, {args.samples} samples, Cycles CPU"
    )
    print(f"| {'world':<26} | {'seconds':>8} | {'images/s':>8} | {'ratio':>6} |")
    print(f"|{'-' * 28}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    for name, spent in seconds.items():
        label = f"{name} (base)" if name == "flat" else name
        print(
            f"| {label:<26} | {spent:8.2f} | {args.scenes / spent:8.3f} | {seconds['flat'] / spent:5.2f}x |"
        )
    exit_process(0)


if __name__ == "__main__":
    main()
