"""Render farm: worker scaling, worker memory over many scenes, and the farm layer's overhead.

Renders the same K tabletop scenes (job seed 2026) four ways and prints two tables:

1. throughput: (a) the bare persistent ``Renderer`` in this process, 1 Cycles thread, the
   baseline; (b) ``generate --workers 1 --threads-per-worker 1`` and (c) ``--workers 2``
   through the whole farm layer (worker start, audit-free per-image unit, atomic files and
   records, assembly of COCO/logs/card). Ratios are images/s against (a); the 2-vs-1
   worker scaling ratio and the farm overhead (b vs a) are printed below the table.
2. memory: one farm worker rendering M scenes, its resident memory after each scene,
   sampled, and its peak.

    .venv/bin/python bench/farm_bench.py [--scenes 16] [--memory-scenes 100] [--size 64] [--samples 8]

The README's numbers: ``--scenes 64 --memory-scenes 500 --size 128 --samples 16`` on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from simulacra.assets_manifest import builtin_manifest
from simulacra.farm.options import FarmOptions
from simulacra.farm.workers import WorkerPool
from simulacra.generate.pipeline import prepare_job, run_job
from simulacra.job import Job, WorkItem
from simulacra.render import Renderer, RenderSettings
from simulacra.render.blenderproc_adapter import exit_process
from simulacra.scenes import SceneSpec, load_spec, resolve, spec_from_dict
from simulacra.work.scene_render import render_scene
from simulacra.work.unit import rss_mb

SEED = 2026


def _spec(size: int, samples: int) -> SceneSpec:
    preset = load_spec(Path("tabletop")).model_dump()
    preset.update(resolution=(size, size), samples=samples)
    return spec_from_dict(preset, source="bench")


def _job(spec: SceneSpec, count: int, out: Path) -> Job:
    return Job(
        name="farm-bench",
        items=tuple(WorkItem(i, spec) for i in range(count)),
        manifest=builtin_manifest(),
        seed=SEED,
        out=out,
    )


def _bare(spec: SceneSpec, count: int) -> float:
    """Seconds for the persistent renderer alone (1 thread) on the job's scenes, start included."""
    manifest = builtin_manifest()
    graphs = [resolve(spec, manifest, job_seed=SEED, image_index=i) for i in range(count)]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        settings = RenderSettings(threads=1, log_path=Path(scratch) / "blender.log")
        with Renderer(manifest, manifest.categories(), settings) as renderer:
            for graph in graphs:
                render_scene(renderer, graph, spec)
    return time.perf_counter() - started


def _farm(spec: SceneSpec, count: int, workers: int, scratch: Path) -> float:
    """Seconds for ``generate --workers N --threads-per-worker 1``, through publishing the dataset."""
    job = _job(spec, count, scratch / f"workers-{workers}")
    started = time.perf_counter()
    run_job(prepare_job(job), FarmOptions(workers=workers, threads_per_worker=1))
    return time.perf_counter() - started


def _memory(spec: SceneSpec, count: int, scratch: Path) -> list[tuple[int, float]]:
    """(scenes done, worker RSS MiB) after each scene of one worker rendering ``count`` scenes."""
    job = _job(spec, count, scratch / "memory")
    root = scratch / "memory-root"
    root.mkdir()
    pool = WorkerPool(prepare_job(job), root, FarmOptions(workers=1, threads_per_worker=1))
    pool.run(job.items)
    return [(done, memory) for done, (_, memory) in enumerate(pool.memory, start=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=16, help="scenes per throughput run")
    parser.add_argument("--memory-scenes", type=int, default=100, help="scenes for the memory run (0: skip)")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--samples", type=int, default=8)
    args = parser.parse_args()
    spec = _spec(args.size, args.samples)
    count = args.scenes

    with tempfile.TemporaryDirectory(prefix="farm-bench-") as temp:
        scratch = Path(temp)
        bare = _bare(spec, count)
        one = _farm(spec, count, 1, scratch)
        two = _farm(spec, count, 2, scratch)
        memory = _memory(spec, args.memory_scenes, scratch) if args.memory_scenes else []

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; {count} tabletop scenes, {args.size}x{args.size} px, "
        f"{args.samples} samples, Cycles CPU, 1 thread per renderer; times include Blender start"
    )
    print(f"| {'mode':<44} | {'seconds':>8} | {'images/s':>8} | {'ratio':>6} |")
    print(f"|{'-' * 46}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    rows = (
        ("bare persistent Renderer, in process (base)", bare),
        ("farm, --workers 1 --threads-per-worker 1", one),
        ("farm, --workers 2 --threads-per-worker 1", two),
    )
    for label, seconds in rows:
        print(f"| {label:<44} | {seconds:8.2f} | {count / seconds:8.3f} | {bare / seconds:5.2f}x |")
    overhead = 100 * (one / bare - 1)
    print(f"scaling, 2 workers vs 1: {one / two:.2f}x; farm overhead, 1 worker vs bare: {overhead:+.1f}%")
    if memory:
        print(f"\nworker memory over {len(memory)} scenes (driver: {rss_mb():.0f} MiB)")
        print(f"| {'scenes done':>11} | {'worker RSS MiB':>14} |")
        print(f"|{'-' * 13}|{'-' * 16}|")
        marks = sorted({1, *(len(memory) * k // 10 for k in range(1, 11))} - {0})
        for done in marks:
            print(f"| {done:>11} | {memory[done - 1][1]:>14.0f} |")
        first, peak = memory[0][1], max(m for _, m in memory)
        print(f"peak {peak:.0f} MiB; growth after the first scene {peak - first:+.0f} MiB")
    exit_process(0)


if __name__ == "__main__":
    main()
