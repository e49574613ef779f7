"""Cost of describing a reference, by stage, against an earlier release: what bounds `index build`.

``simulacra index build`` is CPU-bound: every reference is decoded, its keypoints
detected, its faces looked for, its global rows and hash computed. This prints the CPU
milliseconds per reference of each stage (one thread, ``time.process_time``, so a
loaded machine inflates them less than wall time), today's tree against ``--baseline``
(an earlier commit, run in its own process on the same images in the same run), then
the whole build of both on ``--workers`` processes: CPU ms per reference over every
process (the load-independent cost) and the wall-clock rate.

The references are :mod:`distinct_references` (384-1024 px JPEG) plus the demo
photos, which hold faces.

Run: ``.venv/bin/python bench/describe_bench.py [--references 200] [--baseline 9325a2d]``
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

import distinct_references
from baseline_tree import run_baseline, run_today

from simulacra.audit import write_demo_references

BASELINE_COMMIT = "9325a2d"  # before one-pass reference keypoints
STAGES = ("read", "keypoints", "faces", "global", "phash")
# Runs unchanged against today's tree and the baseline's: the stage functions kept their names.
TIMING = """
import json, resource, time
from pathlib import Path
import cv2
from simulacra.audit import collect, descriptors as desc
from simulacra.audit.identity import FaceEmbedder
from simulacra.audit.images import read_image
from simulacra.audit.index import ReferenceIndex
cv2.setNumThreads(1)
paths = sorted(p for p in Path({folder!r}).rglob("*") if p.suffix in (".jpg", ".png"))
embedder = FaceEmbedder()
embedder.faces(read_image(paths[0], 10**8)[0])  # models load outside the timing
spent = dict.fromkeys({stages!r}, 0.0)
def timed(stage, call):
    start = time.process_time()
    result = call()
    spent[stage] += time.process_time() - start
    return result
for path in paths:
    rgb = timed("read", lambda: read_image(path, 10**8)[0])
    gray = desc.to_gray(rgb)
    sizes = collect.FRAME, collect.SIDES, collect.PER_SIDE
    timed("keypoints", lambda: desc.multiscale_keypoints(gray, *sizes))
    faces = dict(min_face=collect.FACE_MIN_PX, search_side=collect.FACE_SEARCH_SIDE)
    timed("faces", lambda: embedder.faces(rgb, **faces))
    timed("global", lambda: collect.global_rows(gray))
    timed("phash", lambda: desc.phash(gray))
out = {{stage: seconds / len(paths) * 1000 for stage, seconds in spent.items()}}
def cpu():
    usages = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usages)
start, used = time.perf_counter(), cpu()
ReferenceIndex.build({folder!r}, workers={workers})
out["build"] = len(paths) / (time.perf_counter() - start)
out["build cpu"] = (cpu() - used) / len(paths) * 1000
print(json.dumps(out))
"""


def main() -> None:
    """Print the per-stage table and the build rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=int, default=200, help="distinct references (plus 8 photos)")
    parser.add_argument("--baseline", default=BASELINE_COMMIT, help="commit to compare with")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="build processes")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, load {load:.1f}")
    with tempfile.TemporaryDirectory(prefix="describe-bench-") as tmp:
        folder = Path(tmp) / "references"
        write_demo_references(folder)
        distinct_references.write_references(folder / "distinct", 0, args.references, args.workers)
        script = TIMING.format(folder=str(folder), stages=STAGES, workers=args.workers)
        today = run_today(script)
        (Path(tmp) / "base").mkdir()
        base = run_baseline(args.baseline, Path(tmp) / "base", script)
    count = args.references + 8
    print(f"\n{count} references; CPU ms per reference on one thread, build on {args.workers} processes")
    print(f"{'stage':12} {args.baseline:>10} {'today':>10} {'ratio':>7}")
    for stage in STAGES:
        print(f"{stage:12} {base[stage]:>10.1f} {today[stage]:>10.1f} {base[stage] / today[stage]:>6.2f}x")
    total_base, total_today = (sum(r[s] for s in STAGES) for r in (base, today))
    print(f"{'total':12} {total_base:>10.1f} {total_today:>10.1f} {total_base / total_today:>6.2f}x")
    cpu = base["build cpu"], today["build cpu"]
    print(f"{'build CPU ms':12} {cpu[0]:>10.1f} {cpu[1]:>10.1f} {cpu[0] / cpu[1]:>6.2f}x  (all processes)")
    rates = base["build"], today["build"]
    print(f"{'build ref/s':12} {rates[0]:>10.2f} {rates[1]:>10.2f} {rates[1] / rates[0]:>6.2f}x  (wall)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
