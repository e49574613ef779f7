"""Cost of shape variety: resolving with generated meshes, building a mesh, and finding it cached.

Resolves N ``tabletop`` graphs with ``objects.meshes`` fixed and generated (same seeds,
same run), then builds every shape those graphs drew into an empty shape cache and asks
the cache for each again (what every later image, worker and rerender pays). Prints
seconds, per-item times and ratios against the baseline of each pair (fixed; build).

    .venv/bin/python bench/shape_bench.py [--graphs 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from simulacra.assets_manifest import builtin_manifest
from simulacra.assets_manifest.shapes import MeshCache, shape_bounds
from simulacra.scenes import load_spec, resolve, spec_from_dict


def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=100)
    args = parser.parse_args()
    manifest = builtin_manifest()
    fixed = load_spec("tabletop")
    data = fixed.model_dump(mode="json")
    data["objects"]["meshes"] = "generated"
    generated = spec_from_dict(data, source="generated")
    rows = []
    for name, spec in (("fixed", fixed), ("generated", generated)):
        shape_bounds.cache_clear()  # every shape's bounds built anew, as in a fresh worker
        seconds, graphs = _timed(
            lambda s=spec: [resolve(s, manifest, job_seed=9, image_index=i) for i in range(args.graphs)]
        )
        rows.append((f"resolve, {name}", seconds, args.graphs, "graph"))
    shapes = {node.generated for graph in graphs for node in graph.objects}
    with tempfile.TemporaryDirectory() as folder:
        cache = MeshCache(Path(folder))
        build, _ = _timed(lambda: [cache.path(shape) for shape in shapes])
        hit, _ = _timed(lambda: [MeshCache(Path(folder)).path(shape) for shape in shapes])
        size = sum(p.stat().st_size for p in Path(folder).rglob("*.ply"))
    rows += [("mesh build + write", build, len(shapes), "mesh"), ("mesh cache hit", hit, len(shapes), "mesh")]
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores; {args.graphs} graphs, "
        f"{len(shapes)} distinct shapes, {size / len(shapes) / 1024:.0f} KiB per cached mesh"
    )
    print(f"{'step':<22}{'seconds':>9}{'items':>7}{'ms/item':>9}{'ratio':>8}")
    for index, (label, seconds, count, _) in enumerate(rows):
        base = rows[index - index % 2][1]
        print(f"{label:<22}{seconds:>9.3f}{count:>7}{seconds / count * 1000:>9.2f}{seconds / base:>8.2f}")


if __name__ == "__main__":
    main()
