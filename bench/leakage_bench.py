"""Leakage benchmark: recall per edit, false positives on clean renders, throughput by index size.

Run ``.venv/bin/python bench/leakage_bench.py``. On 2 shared cores an audit of the
7-photo set takes ~0.7 s, so the default 1000-composite false-positive run alone is
~12 minutes; ``--clean 300`` keeps the whole run near 5 minutes.
Prints three tables; results go into BENCHMARKS.md by hand. All randomness is seeded.

* recall: each real photo (scikit-image's five demo photos, plus scikit-learn's
  china.jpg and flower.jpg when they load offline), edited, audited at the default
  thresholds; a hit is a reject naming the right reference. Plus the face signal
  alone on the astronaut's face pasted into a render under the same edits.
* false positives: clean synthetic composites (:mod:`simulacra.audit.calibration`),
  with Wilson 95% intervals.
* throughput: the same outputs audited against the real set padded with random
  unit vectors to 1e3, 1e4, 1e5 global rows (exact below 1e4, HNSW from it);
  ratios against the 1e3 run in this process.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit import Auditor, ReferenceIndex, read_image, write_demo_references
from simulacra.audit import descriptors as desc
from simulacra.audit.calibration import procedural_poster, tabletop
from simulacra.audit.report import wilson


def _rotate(rgb: np.ndarray, angle: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(rgb, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    _, data = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


def _edits(rng: np.random.Generator) -> dict[str, Callable[[np.ndarray], np.ndarray]]:
    noise_seed = int(rng.integers(1 << 31))
    return {
        "identity": lambda x: x,
        "crop-70%": lambda x: x[round(0.15 * len(x)) : round(0.85 * len(x)), round(0.15 * x.shape[1]) :],
        "resize-0.5x": lambda x: cv2.resize(x, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
        "rotate-5": lambda x: _rotate(x, 5),
        "rotate-10": lambda x: _rotate(x, 10),
        "rotate-15": lambda x: _rotate(x, 15),
        "mirror": lambda x: np.ascontiguousarray(x[:, ::-1]),
        "grayscale": lambda x: np.repeat(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)[..., None], 3, 2),
        "colour-jitter": lambda x: np.clip(x * np.array([1.15, 0.9, 0.8]) + 12, 0, 255).astype(np.uint8),
        "blur-2px": lambda x: cv2.GaussianBlur(x, (0, 0), 2.0),
        "noise-10": lambda x: np.clip(
            x + np.random.default_rng(noise_seed).normal(0, 10, x.shape), 0, 255
        ).astype(np.uint8),
        "jpeg-q30": lambda x: _jpeg(x, 30),
    }


def _photos(folder: Path) -> dict[str, np.ndarray]:
    write_demo_references(folder)
    try:
        from sklearn.datasets import load_sample_images

        for name, image in zip(("china", "flower"), load_sample_images().images, strict=True):
            cv2.imwrite(str(folder / f"sklearn_{name}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    except ImportError:
        print("scikit-learn not installed: its sample images are left out")
    index = ReferenceIndex.build(folder)
    return {r.id: read_image(folder / r.file)[0] for r in index.references}


def recall(auditor: Auditor, photos: dict[str, np.ndarray]) -> None:
    """Print recall per edit (all signals) and the face signal's recall on a pasted face."""
    edits = _edits(np.random.default_rng(0))
    face = photos["skimage:astronaut"][30:230, 120:320]
    print(f"\nrecall at default thresholds, {len(photos)} photos; face: astronaut face in 5 renders")
    print(f"{'edit':14} {'recall':>8} {'signals that fired':32} {'face recall':>11} {'face dist max':>13}")
    for name, edit in edits.items():
        verdicts = [auditor.audit(edit(rgb)) for rgb in photos.values()]
        hits = sum(
            v.verdict == "reject" and v.reference == ref for v, ref in zip(verdicts, photos, strict=True)
        )
        fired = sorted({s for v in verdicts for s, score in v.signals.items() if score.fired})
        distances = []
        for i in range(5):
            scene = tabletop(np.random.default_rng([11, i]), size=384).rgb.copy()
            small = cv2.resize(edit(face), (140, 140), interpolation=cv2.INTER_AREA)
            scene[40:180, 150:290] = small
            distances.append(1 - auditor.audit(_jpeg(scene, 85)).signals["face"].score)
        face_hits = sum(d <= auditor.thresholds.face_distance for d in distances)
        print(
            f"{name:14} {hits:>3}/{len(photos):<4} {','.join(fired):32} {face_hits:>6}/5     "
            f"{max(distances):>13.3f}"
        )


def false_positives(auditor: Auditor, count: int) -> None:
    """Print how many clean composites each signal (and the whole audit) rejects."""
    start = time.perf_counter()
    verdicts = []
    for i in range(count):
        rng = np.random.default_rng([21, i])
        poster = procedural_poster(rng) if i % 2 else None
        verdicts.append(auditor.audit(tabletop(rng, poster).rgb))
    seconds = time.perf_counter() - start
    print(f"\nfalse positives on {count} clean 256x256 composites ({seconds / count * 1000:.0f} ms/audit)")
    for signal in ("phash", "global", "region", "face", "any"):
        flagged = sum(v.verdict == "reject" if signal == "any" else v.signals[signal].fired for v in verdicts)
        low, high = wilson(flagged, count)
        highest = max(v.signals[signal].score for v in verdicts) if signal != "any" else float("nan")
        print(f"{signal:7} {flagged:>4}/{count}  95% [{low:.4f}, {high:.4f}]  highest score {highest:.4g}")


def throughput(index: ReferenceIndex, sizes: list[int], audits: int) -> None:
    """Print audit time per image against the real set padded to each size."""
    rng = np.random.default_rng(1)
    outputs = [tabletop(np.random.default_rng([31, i]), procedural_poster(rng)).rgb for i in range(audits)]
    print(f"\nthroughput, {audits} audits of 256x256 renders per size")
    print(f"{'global rows':>11} {'search':>7} {'build s':>8} {'ms/audit':>9} {'global ms':>9} {'ratio':>6}")
    baseline = None
    for size in sizes:
        parts = index.parts()
        pad = size - sum(len(r) for r in parts.global_rows)
        noise = rng.standard_normal((max(pad, 0), desc.GLOBAL_DIM)).astype(np.float32)
        noise /= np.linalg.norm(noise, axis=1, keepdims=True)
        parts.global_rows.append(noise)
        parts.global_view.append(np.zeros(len(noise), np.int32))
        start = time.perf_counter()
        padded = ReferenceIndex.assemble(parts, index.thresholds)
        built = time.perf_counter() - start
        auditor = Auditor(padded)
        auditor.audit(outputs[0])  # load the face models outside the timing
        start = time.perf_counter()
        for rgb in outputs:
            auditor.audit(rgb)
        per_audit = (time.perf_counter() - start) / audits * 1000
        queries = np.stack([desc.global_descriptor(desc.to_gray(rgb)) for rgb in outputs])
        start = time.perf_counter()
        for query in queries:
            padded.global_index.search(query[None], 1)
        per_search = (time.perf_counter() - start) / audits * 1000
        baseline = baseline or per_audit
        kind = padded.info()["search"]["global"]
        print(
            f"{padded.global_index.ntotal:>11} {kind:>7} {built:>8.1f} {per_audit:>9.1f} "
            f"{per_search:>9.3f} {per_audit / baseline:>6.2f}"
        )


def main() -> None:
    """Run the three measurements and print the machine they ran on."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", type=int, default=1000, help="clean composites for the FPR")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--audits", type=int, default=40, help="audits per index size")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {os.cpu_count()} cpus, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        photos = _photos(Path(tmp))
        index = ReferenceIndex.build(tmp)
    auditor = Auditor(index)
    recall(auditor, photos)
    false_positives(auditor, args.clean)
    throughput(index, args.sizes, args.audits)


if __name__ == "__main__":
    main()
