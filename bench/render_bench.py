"""Persistent renderer vs a fresh Blender (bpy module) process per scene.

Renders the same K resolved tabletop scenes (a) through one persistent ``Renderer`` and
(b) one scene per fresh Python process that imports bpy, sets BlenderProc up and
renders. Prints images/s for each and the ratio against (b), the baseline measured in
the same run.

    .venv/bin/python bench/render_bench.py [--scenes 8] [--size 128] [--samples 16]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulacra.assets_manifest import builtin_manifest
from simulacra.render import Renderer
from simulacra.render.blenderproc_adapter import exit_process
from simulacra.scenes import SceneGraph, load_spec, resolve, spec_from_dict


def _graphs(count: int, size: int, samples: int) -> list[SceneGraph]:
    preset = load_spec(Path("tabletop")).model_dump()
    preset.update(resolution=(size, size), samples=samples)
    spec = spec_from_dict(preset, source="bench")
    manifest = builtin_manifest()
    return [resolve(spec, manifest, job_seed=2026, image_index=i) for i in range(count)]


def _render_one(graph_file: Path) -> None:
    """Child mode: start Blender, render one stored graph, exit."""
    manifest = builtin_manifest()
    with Renderer(manifest, manifest.categories()) as renderer:
        renderer.render(SceneGraph.from_json(graph_file.read_text()))
    exit_process(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _render_one(args.one)

    graphs = _graphs(args.scenes, args.size, args.samples)
    manifest = builtin_manifest()

    started = time.perf_counter()
    with Renderer(manifest, manifest.categories()) as renderer:
        for graph in graphs:
            renderer.render(graph)
    persistent = time.perf_counter() - started

    fresh = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for index, graph in enumerate(graphs):
            path = Path(scratch) / f"graph_{index}.json"
            path.write_text(graph.to_json())
            started = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--one", str(path)], check=True, env=os.environ.copy())
            fresh += time.perf_counter() - started

    count = len(graphs)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {count} tabletop scenes, {args.size}x{args.size} px, "
        f"{args.samples} samples, Cycles CPU"
    )
    print(f"| {'mode':<36} | {'seconds':>8} | {'images/s':>8} | {'ratio':>6} |")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    rows = (("fresh bpy process per scene (base)", fresh), ("persistent Renderer", persistent))
    for label, seconds in rows:
        print(f"| {label:<36} | {seconds:8.2f} | {count / seconds:8.3f} | {fresh / seconds:5.2f}x |")
    exit_process(0)


if __name__ == "__main__":
    main()
