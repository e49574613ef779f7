"""Leakage benchmark: recall per edit, false positives, micro-AP, Blender plants, throughput by index size.

Run ``.venv/bin/python bench/leakage_bench.py`` for the moderate default (recall, 300
clean composites, identity, micro-AP, scale at 10^3 and 10^4 references; the scale
section alone takes about 40 minutes on 2 idle cores, recall about 4.5 CPU-minutes).
Sections are chosen with ``--sections``; the long ones are opt-in:

* ``recall``: every reference photo (scikit-image's five demo photos, scikit-learn's
  china.jpg and flower.jpg, matplotlib's grace_hopper.jpg), edited, audited at the
  index's thresholds; a hit is a reject naming the right reference. The same edits on
  12 held-out real photos (other scikit-image photos, never indexed) count false
  positives on non-members. Plus the face signal alone on the astronaut's face pasted
  into a render under the same edits.
* ``fpr``: ``--clean`` clean synthetic composites (:mod:`simulacra.audit.calibration`).
* ``blender``: ``--blender-clean`` clean Blender tabletop renders (false positives) and
  ``--blender-plants`` renders per reference photo with that photo as the poster
  texture (perspective, lighting, occlusion by objects, random camera pose).
* ``identity``: face-identity distances across the two people in the reference set.
* ``scale``: indexes of ``--sizes`` distinct references (``bench/distinct_references.py``)
  with the photos mixed in: build rate, bytes per reference, audit rates, stage times,
  planted-poster retrieval and recall, clean false positives; ``--keep`` keeps the
  indexes and ``--measure`` measures kept ones again without building.
* micro-AP (DISC21, Douze et al. 2021) is printed at the end over whatever the other
  sections audited: every (query, reference, score) prediction pooled, sorted by score.

Prints tables; results go into BENCHMARKS.md by hand. All randomness is seeded.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from baseline_tree import run_baseline, run_today

from simulacra.audit import Auditor, ReferenceIndex, Verdict, read_image, search, write_demo_references
from simulacra.audit import descriptors as desc
from simulacra.audit.auditor import KEYPOINT_CANDIDATES, describe, side_by_side
from simulacra.audit.calibration import procedural_poster, tabletop
from simulacra.audit.collect import RETRIEVAL_KEYPOINTS
from simulacra.audit.index import KEYPOINT_STRIDE
from simulacra.audit.privacy_metrics import wilson
from simulacra.audit.store import Segment

SECTIONS = ("recall", "fpr", "blender", "identity", "scale")
DEFAULT_SECTIONS = ("recall", "fpr", "identity", "scale")
# Real photos in scikit-image's wheel that are not demo references: the non-member hold-out.
HOLDOUT_PHOTOS = (
    "motorcycle_left.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "coins.png",
    "moon.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "ihc.png",
    "page.png",
    "cell.png",
    "microaneurysms.png",
)


@dataclass
class Pool:
    """Audited queries for micro-AP: positives per transformation (with their true reference), negatives."""

    positives: dict[str, list[tuple[Verdict, str]]] = field(default_factory=dict)
    negatives: list[Verdict] = field(default_factory=list)


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


def _write_references(folder: Path) -> None:
    """The reference photos that ship with installed packages, written as PNG under ``folder``."""
    write_demo_references(folder)
    try:
        from sklearn.datasets import load_sample_images

        for name, image in zip(("china", "flower"), load_sample_images().images, strict=True):
            cv2.imwrite(str(folder / f"sklearn_{name}.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    except ImportError:
        print("scikit-learn not installed: its sample images are left out")
    try:
        import matplotlib.cbook

        shutil.copy(
            matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), folder / "grace_hopper.jpg"
        )
    except (ImportError, FileNotFoundError):
        print("matplotlib's grace_hopper.jpg not found: left out")


def _holdout() -> dict[str, np.ndarray]:
    """The non-member photos, decoded (RGB)."""
    import skimage.data

    folder = Path(skimage.data.__file__).parent
    out = {}
    for name in HOLDOUT_PHOTOS:
        if (folder / name).is_file():
            rgb, _ = read_image(folder / name)
            out[name] = rgb
    return out


def recall(
    auditor: Auditor, photos: dict[str, np.ndarray], holdout: dict[str, np.ndarray], pool: Pool
) -> None:
    """Print recall per edit, false positives on edited non-members, and the face signal on a pasted face."""
    edits = _edits(np.random.default_rng(0))
    face = photos["skimage:astronaut"][30:230, 120:320]
    print(
        f"\nrecall at the index's thresholds, {len(photos)} member photos; false positives on "
        f"{len(holdout)} non-member photos; face: astronaut face in 5 renders"
    )
    print(
        f"{'edit':14} {'recall':>8} {'signals that fired':32} {'non-member FP':>13} "
        f"{'face recall':>11} {'face dist max':>13}"
    )
    for name, edit in edits.items():
        verdicts = [auditor.audit(edit(rgb)) for rgb in photos.values()]
        hits = sum(
            v.verdict == "reject" and v.reference == ref for v, ref in zip(verdicts, photos, strict=True)
        )
        pool.positives[name] = list(zip(verdicts, photos, strict=True))
        negatives = [auditor.audit(edit(rgb)) for rgb in holdout.values()]
        pool.negatives += negatives
        false = sum(v.verdict == "reject" for v in negatives)
        fired = sorted({s for v in verdicts for s, score in v.signals.items() if score.fired})
        distances = []
        for i in range(5):
            scene = tabletop(np.random.default_rng([11, i]), size=384).rgb.copy()
            small = cv2.resize(edit(face), (140, 140), interpolation=cv2.INTER_AREA)
            scene[40:180, 150:290] = small
            distances.append(1 - auditor.audit(_jpeg(scene, 85)).signals["face"].score)
        face_hits = sum(d <= auditor.thresholds.face_distance for d in distances)
        print(
            f"{name:14} {hits:>3}/{len(photos):<4} {','.join(fired):32} {false:>6}/{len(negatives):<6} "
            f"{face_hits:>6}/5     {max(distances):>13.3f}"
        )


def _rates(label: str, verdicts: list[Verdict], seconds: float) -> None:
    count = len(verdicts)
    print(f"\nfalse positives on {count} {label} ({seconds / max(count, 1) * 1000:.0f} ms/audit)")
    for signal in ("phash", "global", "region", "face", "any"):
        flagged = sum(v.verdict == "reject" if signal == "any" else v.signals[signal].fired for v in verdicts)
        low, high = wilson(flagged, count)
        highest = max(v.signals[signal].score for v in verdicts) if signal != "any" else float("nan")
        print(f"{signal:7} {flagged:>5}/{count}  95% [{low:.4f}, {high:.4f}]  highest score {highest:.4g}")


def false_positives(auditor: Auditor, count: int, pool: Pool) -> None:
    """Print how many clean composites each signal (and the whole audit) rejects."""
    start = time.perf_counter()
    verdicts = []
    for i in range(count):
        rng = np.random.default_rng([21, i])
        poster = procedural_poster(rng) if i % 2 else None
        verdicts.append(auditor.audit(tabletop(rng, poster).rgb))
    _rates("clean 256x256 composites", verdicts, time.perf_counter() - start)
    pool.negatives += verdicts


def _caught(planted: list[tuple[Verdict, str]]) -> int:
    """Plants rejected with their own reference named."""
    return sum(v.verdict == "reject" and v.reference == r for v, r in planted)


def blender(
    auditor: Auditor,
    references: Path,
    index: ReferenceIndex,
    *,
    clean: int,
    plants: int,
    size: int,
    samples: int,
    pool: Pool,
) -> None:
    """Render clean tabletop scenes and scenes with each reference photo as the poster; audit all.

    The planted photo goes through Blender as a texture on a panel behind the table:
    perspective from the seeded camera pose, Cycles lighting, objects in front of it.
    """
    from simulacra.assets_manifest import AssetRecord, Manifest, build_library, sha256_of
    from simulacra.render import Renderer, RenderSettings
    from simulacra.scenes import load_spec, resolve
    from simulacra.work.scene_render import render_scene

    with tempfile.TemporaryDirectory(prefix="leakage-bench-assets-") as scratch:
        root = Path(scratch)
        library = build_library(root)
        planted: dict[str, str] = {}  # asset id -> reference id
        records = list(library.assets)
        for number, reference in enumerate(index.references):
            relative = f"textures/planted_{number}{Path(reference.file).suffix}"
            shutil.copyfile(references / reference.file, root / relative)
            asset = f"bench:planted_{number}"
            planted[asset] = reference.id
            records.append(
                AssetRecord(
                    id=asset,
                    path=relative,
                    sha256=sha256_of(root / relative),
                    kind="texture",
                    license="LicenseRef-PublicDomain",
                    source=f"leakage benchmark plant of {reference.id}",
                    provenance="photographed",
                )
            )
        manifest = Manifest(root=root, assets=tuple(records))
        manifest.save()
        base = load_spec(Path("tabletop")).model_copy(update={"resolution": (size, size), "samples": samples})
        art = tuple(r.id for r in library.of_kind("texture") if r.material is None)
        clean_spec = base.model_copy(update={"posters": base.posters.model_copy(update={"assets": art})})
        jobs = []  # plants first: the recall is known before the long clean run ends
        for number, (asset, reference) in enumerate(planted.items()):
            spec = base.model_copy(
                update={"posters": base.posters.model_copy(update={"probability": 1.0, "assets": (asset,)})}
            )
            jobs += [(spec, 4200 + number, i, reference) for i in range(plants)]
        jobs += [(clean_spec, 4100, i, None) for i in range(clean)]
        clean_verdicts, planted_verdicts = [], []
        rendering = auditing = 0.0
        with Renderer(manifest, manifest.categories(), RenderSettings(device="cpu")) as renderer:
            for done, (spec, seed, image, reference) in enumerate(jobs, start=1):
                start = time.perf_counter()
                graph = resolve(spec, manifest, job_seed=seed, image_index=image)
                _, frame = render_scene(renderer, graph, spec)
                rendering += time.perf_counter() - start
                start = time.perf_counter()
                verdict = auditor.audit(frame.rgb)
                auditing += time.perf_counter() - start
                if reference is None:
                    clean_verdicts.append(verdict)
                else:
                    planted_verdicts.append((verdict, reference))
                if done == len(planted) * plants:
                    hits = _caught(planted_verdicts)
                    print(f"  blender: plants caught {hits}/{len(planted_verdicts)}", flush=True)
                if done % 50 == 0:
                    rejected = sum(v.verdict == "reject" for v in clean_verdicts)
                    print(f"  blender: {done}/{len(jobs)} audited, clean rejected {rejected}", flush=True)
    print(
        f"\nBlender tabletop renders, {size}x{size} px, {samples} samples, Cycles CPU: "
        f"{rendering / max(len(jobs), 1):.2f} s/render"
    )
    if clean_verdicts:
        _rates(f"clean Blender renders ({size}x{size})", clean_verdicts, auditing * clean / len(jobs))
        pool.negatives += clean_verdicts
    if planted_verdicts:
        pool.positives["blender-plant"] = planted_verdicts
        print(f"\nrecall on Blender-textured plants, {plants} camera poses per photo")
        print(f"{'reference':22} {'recall':>8} {'signals that fired':32}")
        for reference in planted.values():
            own = [v for v, r in planted_verdicts if r == reference]
            hits = sum(v.verdict == "reject" and v.reference == reference for v in own)
            fired = sorted({s for v in own for s, score in v.signals.items() if score.fired})
            print(f"{reference:22} {hits:>3}/{len(own):<4} {','.join(fired):32}")
        hits = _caught(planted_verdicts)
        low, high = wilson(hits, len(planted_verdicts))
        print(f"{'all':22} {hits:>3}/{len(planted_verdicts):<4} 95% [{low:.4f}, {high:.4f}]")


def identity(auditor: Auditor, photos: dict[str, np.ndarray]) -> None:
    """Print face-identity distances between the reference set's people (must stay above the threshold)."""
    faces = {ref: auditor.embedder.faces(rgb) for ref, rgb in photos.items()}
    people = {ref: found for ref, found in faces.items() if found}
    print(f"\nface identity: {sum(map(len, people.values()))} faces in {len(people)} reference photos")
    names = list(people)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            distance = min(
                float(np.linalg.norm(fa.embedding - fb.embedding)) for fa in people[a] for fb in people[b]
            )
            verdict = "different" if distance > auditor.thresholds.face_distance else "SAME (false match)"
            print(f"{a} vs {b}: closest face distance {distance:.3f} -> {verdict}")


class _TimedAuditor(Auditor):
    """The auditor with its two search stages timed: global retrieval and keypoint verification."""

    def __init__(self, index: ReferenceIndex) -> None:
        super().__init__(index)
        self.seconds = {"global": 0.0, "region": 0.0}

    def _global(self, views):
        start = time.perf_counter()
        try:
            return super()._global(views)
        finally:
            self.seconds["global"] += time.perf_counter() - start

    def _region(self, views, near):
        start = time.perf_counter()
        try:
            return super()._region(views, near)
        finally:
            self.seconds["region"] += time.perf_counter() - start


def _retrieved(auditor: Auditor, planted: list[tuple[np.ndarray, str]]) -> int:
    """Planted renders whose reference is among the candidates verified for either orientation.

    Verification can only find what retrieval hands it: a miss here is a retrieval miss.
    """
    numbers = {record.id: number for number, record in enumerate(auditor.index.references)}
    found = 0
    for rgb, name in planted:
        query = describe(rgb, None)
        _, near = auditor._global(query.views)
        views = zip(query.views, near, strict=True)
        candidates = {c for view, n in views for c in auditor._candidates(view, n)}
        found += numbers[name] in candidates
    return found


def _scale_queries(photos: dict[str, np.ndarray], count: int, side: int) -> tuple[list, list]:
    """``count`` clean renders and ``count`` renders with a planted photo poster, at ``side`` px."""
    names = sorted(photos)
    clean, planted = [], []
    for i in range(count):
        rng = np.random.default_rng([41, side, i])
        clean.append(tabletop(rng, procedural_poster(rng) if i % 2 else None, size=side).rgb)
        name = names[i % len(names)]
        planted.append((tabletop(np.random.default_rng([42, side, i]), photos[name], size=side).rgb, name))
    return clean, planted


def _audit_rate(auditor: Auditor, images: list[np.ndarray], workers: int) -> tuple[list[Verdict], float]:
    """Verdicts and images/s with ``workers`` threads (the auditor's numeric work releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with side_by_side(workers), ThreadPoolExecutor(workers) as pool:
        verdicts = list(pool.map(auditor.audit, images))
    return verdicts, len(images) / (time.perf_counter() - start)


def _first(folder: Path, count: int, dest: Path) -> Path:
    """A folder of links to the first ``count`` images of ``folder`` (a smaller reference set)."""
    dest.mkdir()
    for path in sorted(folder.glob("*.jpg"))[:count]:
        (dest / path.name).symlink_to(path.absolute())
    return dest


def _baseline(refs: Path, queries: Path) -> dict[str, float]:
    """Today's flat index (the release before the two-stage index, from git) on ``refs``."""
    with tempfile.TemporaryDirectory(prefix="leakage-bench-baseline-") as tmp:
        script = BASELINE_SCRIPT.format(refs=str(refs), queries=str(queries))
        return run_baseline(BASELINE_COMMIT, Path(tmp), script)


BASELINE_COMMIT = "6460621"  # main before the two-stage index
BASELINE_SCRIPT = """
import json, time
from pathlib import Path
from simulacra.audit import Auditor, ReferenceIndex, read_image
start = time.perf_counter()
index = ReferenceIndex.build({refs!r})
out = {{"references": len(index.references), "build": len(index.references) / (time.perf_counter() - start)}}
auditor = Auditor(index)
for side in (256, 512):
    images = [read_image(p)[0] for p in sorted(Path({queries!r}).glob(f"q{{side}}_*.png"))]
    auditor.audit(images[0])
    start = time.perf_counter()
    for rgb in images:
        auditor.audit(rgb)
    out[f"audit {{side}}"] = len(images) / (time.perf_counter() - start)
print(json.dumps(out))
"""


# Audits saved queries against a kept index, side by side on threads as ``_audit_rate`` does.
AGAINST_SCRIPT = """
import json, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import cv2
from simulacra.audit import Auditor, ReferenceIndex, read_image
auditor = Auditor(ReferenceIndex.load({index!r}))
out = {{}}
for side in (256, 512):
    images = [read_image(p)[0] for p in sorted(Path({queries!r}).glob(f"q{{side}}_*.png"))]
    auditor.audit(images[0])
    cv2.setNumThreads(1)
    start = time.perf_counter()
    with ThreadPoolExecutor({workers}) as pool:
        verdicts = list(pool.map(auditor.audit, images))
    out[f"audit {{side}}"] = len(images) / (time.perf_counter() - start)
    out[f"rejects {{side}}"] = sum(v.verdict == "reject" for v in verdicts)
print(json.dumps(out))
"""


def _save_queries(queries: dict, folder: Path, per_kind: int | None = None) -> Path:
    """The clean and planted queries as PNG files ``q<side>_<n>.png`` (the first ``per_kind`` of each)."""
    folder.mkdir(parents=True, exist_ok=True)
    for side, (clean, planted) in queries.items():
        for i, rgb in enumerate(clean[:per_kind] + [p for p, _ in planted[:per_kind]]):
            cv2.imwrite(str(folder / f"q{side}_{i:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return folder


def _against(index: Path, queries: dict, workers: int, commit: str) -> None:
    """Audit rates of today's code and ``commit``'s on one kept index and the same queries, same run."""
    with tempfile.TemporaryDirectory(prefix="leakage-bench-against-") as tmp:
        folder = _save_queries(queries, Path(tmp) / "queries")
        script = AGAINST_SCRIPT.format(index=str(index), queries=str(folder), workers=workers)
        (Path(tmp) / "base").mkdir()
        old = run_baseline(commit, Path(tmp) / "base", script)
        new = run_today(script)
    print(f"\n{index}: audits of the same queries on {workers} threads, {commit} against today")
    print(f"{'':12} {commit:>10} {'today':>10} {'ratio':>7}")
    for side in (256, 512):
        key, rejects = f"audit {side}", f"rejects {side}"
        print(f"{key + ' img/s':12} {old[key]:>10.2f} {new[key]:>10.2f} {new[key] / old[key]:>6.2f}x")
        print(f"{rejects:12} {old[rejects]:>10} {new[rejects]:>10}")


def _scale_row(index: ReferenceIndex, queries: dict, built: float | None, workers: int) -> dict:
    """Measure one index: audit rates per side, stage times, planted recall, clean false positives.

    ``built`` is the build's seconds, None for an index built earlier.
    """
    auditor = _TimedAuditor(index)
    auditor.audit(queries[256][0][0])  # face models load outside the timing
    auditor.seconds = dict.fromkeys(auditor.seconds, 0.0)
    row = {
        "build": index.size / built if built else None,
        **index.info()["bytes_per_reference"],
        "hits": 0,
        "plants": 0,
    }
    clean_verdicts = []
    for side, (clean, planted) in queries.items():
        verdicts, row[f"audit {side}"] = _audit_rate(auditor, clean + [rgb for rgb, _ in planted], workers)
        clean_verdicts += verdicts[: len(clean)]
        row["hits"] += sum(
            v.verdict == "reject" and v.reference == name
            for v, (_, name) in zip(verdicts[len(clean) :], planted, strict=True)
        )
        row["plants"] += len(planted)
    queried = sum(len(c) + len(p) for c, p in queries.values())
    row["global ms"] = auditor.seconds["global"] / queried * 1000
    row["verify ms"] = auditor.seconds["region"] / queried * 1000
    row["fp"] = sum(v.verdict == "reject" for v in clean_verdicts)
    row["retrieved"] = sum(_retrieved(auditor, planted) for _, planted in queries.values())
    row["clean"] = len(clean_verdicts)
    row["search"] = f"{index.manifest.search['global']} / {index.manifest.search['keypoints']}"
    return row


def _filler_rows(segment: Segment) -> np.ndarray:
    """Real keypoint rows of distinct pictures that no retrieval structure holds: each reference's
    kept keypoints past its retrieval prefix, and the mirror images of all its kept keypoints."""
    counts = np.asarray(segment.arrays["keypoint_count.npy"])
    refs = np.repeat(np.arange(len(counts)), counts)
    rows = np.concatenate([np.arange(c) for c in counts])
    decoded = desc.dequantize_keypoints(np.asarray(segment.arrays["keypoints.npy"])[refs, rows])
    _, mirrored = desc.mirror_keypoints(np.zeros((len(decoded), 4), np.float32), decoded, 0)
    return np.concatenate([decoded[rows >= RETRIEVAL_KEYPOINTS], mirrored])


def _search_structure(index: ReferenceIndex, references: int) -> tuple[Any, int]:
    """A keypoint retrieval structure for ``references`` references: the index's own retrieval rows
    under their own ids, and filler rows (:func:`_filler_rows`) as pseudo-references of 128 rows
    numbered after the index's. Returns it and the pseudo-references it holds."""
    starts = np.cumsum([0, *(seg.record.references for seg in index.segments)])
    real = index.manifest.counts["keypoints"]
    wanted = references * RETRIEVAL_KEYPOINTS - real
    filler = sum(int(np.asarray(seg.arrays["keypoint_count.npy"]).sum()) * 2 for seg in index.segments)
    filler -= sum(
        int(np.minimum(np.asarray(seg.arrays["keypoint_count.npy"]), RETRIEVAL_KEYPOINTS).sum())
        for seg in index.segments
    )
    if wanted > filler:
        raise SystemExit(
            f"--search-only {references}: the index holds filler for {filler} rows, not {wanted}"
        )
    kind = search.choose("keypoints", references * RETRIEVAL_KEYPOINTS)
    structure = search.create(desc.KEYPOINT_DIM, kind, "ip")
    take = wanted / filler
    train_share = search.train_size(kind) / (references * RETRIEVAL_KEYPOINTS)

    def parts(seg: Segment, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, where = seg.retrieval_keypoints(RETRIEVAL_KEYPOINTS)
        extra = _filler_rows(seg)
        return rows, where, extra[np.random.default_rng([seed, 1]).random(len(extra)) < take]

    sample = []
    for number, seg in enumerate(index.segments):
        rows, _, extra = parts(seg, number)
        both = np.concatenate([rows, extra])
        sample.append(both[np.random.default_rng([number, 2]).random(len(both)) < train_share])
    search.train(structure, np.concatenate(sample))
    del sample
    pseudo = 0
    for number, (seg, start) in enumerate(zip(index.segments, starts[:-1], strict=True)):
        rows, where, extra = parts(seg, number)
        search.add(structure, rows, search.row_id(where[:, 0] + start, where[:, 1], KEYPOINT_STRIDE))
        owner, row = np.divmod(np.arange(len(extra)), RETRIEVAL_KEYPOINTS)
        search.add(structure, extra, search.row_id(owner + index.size + pseudo, row, KEYPOINT_STRIDE))
        pseudo += int(owner[-1]) + 1 if len(extra) else 0
    return structure, pseudo


def search_only(index: ReferenceIndex, references: int, queries: dict, folder: Path) -> None:
    """Print the keypoint retrieval row of ``references`` references built from one index's real rows.

    The vote is the costliest search step and its structure the largest in RAM; this grows
    it to a size whose full build does not fit the time, from real RootSIFT rows of
    distinct pictures (see :func:`_search_structure`). Reported: the structure's kind,
    its bytes per reference, build seconds, vote milliseconds per audited image (both
    orientations, one thread) and planted posters whose reference the vote puts among the
    verified candidates (the global search's candidates are left out).
    """
    start = time.perf_counter()
    structure, pseudo = _search_structure(index, references)
    built = time.perf_counter() - start
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / f"keypoints_{references}.faiss"
    search.write(structure, str(file))
    auditor = Auditor(index)
    index.structures["keypoints"] = structure
    numbers = {record.id: number for number, record in enumerate(index.references)}
    found, spent, images = 0, 0.0, 0
    for clean, planted in queries.values():
        for rgb, name in [(rgb, None) for rgb in clean] + planted:
            views = describe(rgb, None).views
            start = time.perf_counter()
            chosen = {c for view in views for c in auditor._candidates(view, np.zeros(0, np.int64))}
            spent += time.perf_counter() - start
            images += 1
            found += name is not None and numbers[name] in chosen
    plants = sum(len(p) for _, p in queries.values())
    total = index.size + pseudo
    print(
        f"\nsearch stage alone at {total} references ({index.size} indexed, {pseudo} of 128 filler rows"
        f" each): {search.kind_of(structure)}, {file.stat().st_size / total:,.0f} B a "
        f"reference in RAM, built in {built:.0f} s; vote {spent / images * 1000:.1f} ms an image; planted "
        f"posters among the vote's {KEYPOINT_CANDIDATES} candidates {found}/{plants}",
        flush=True,
    )


def _print_row(size: int, row: dict) -> None:
    build = "-" if row["build"] is None else f"{row['build']:.1f}"
    print(
        f"{size:>8} {row['search']:38} {build:>7} {row['ram']:>9} {row['disk']:>10} "
        f"{row['audit 256']:>9.2f} {row['audit 512']:>9.2f} {row['global ms']:>9.2f} "
        f"{row['verify ms']:>9.2f} {row['retrieved']:>4}/{row['plants']:<4} "
        f"{row['hits']:>4}/{row['plants']:<4} "
        f"{row['fp']:>4}/{row['clean']:<4}",
        flush=True,
    )


def scale(
    references: Path,
    photos: dict[str, np.ndarray],
    sizes: list[int],
    audits: int,
    workers: int,
    baseline: int,
    keep: Path | None,
    measure: list[Path],
    store: Path | None = None,
    against: str | None = None,
    search_only_at: int = 0,
) -> None:
    """Print the scale table: indexes of distinct references with the planted photos mixed in.

    Per size: build references/s, bytes per reference in RAM (the faiss structures)
    and on disk, audit images/s at 256 and 512 px (``workers`` threads), global and
    verification ms per query, planted posters whose reference was among the verified
    candidates (retrieval), planted-poster recall and clean false positives. Then
    today's flat index against the two-stage one on the first ``baseline`` references.
    The indexes are kept in ``keep`` (``index_<size>``) for ``--index`` and ``--measure``.
    Indexes in ``measure`` (kept by an earlier run) are measured instead of building any;
    their build rate is not known; with ``against`` (a commit), each is also audited by that
    commit's code and today's, in their own processes, on the same queries; with
    ``search_only_at``, the search stage alone at that size (:func:`search_only`). The distinct
    references are written to ``store`` (kept, and grown by later runs) or to a scratch folder.
    """
    import distinct_references

    pool = distinct_references.pool_photos()
    keep = keep or Path(tempfile.mkdtemp(prefix="leakage-bench-index-"))
    queries = {side: _scale_queries(photos, audits, side) for side in (256, 512)}
    print(
        f"\nscale: distinct references (seeded compositions of {len(pool)} package photos, 384-1024 px "
        f"JPEG) plus the {len(photos)} planted photos; {audits} clean + {audits} planted audits per size "
        f"and side on {workers} threads; builds on {workers} processes"
    )
    print(
        f"{'refs':>8} {'search (global / keypoints)':38} {'build/s':>7} {'RAM B/ref':>9} {'disk B/ref':>10} "
        f"{'img/s 256':>9} {'img/s 512':>9} {'global ms':>9} {'verify ms':>9} {'retrieved':>9} {'recall':>9} "
        f"{'clean FP':>9}"
    )
    if measure:
        for path in measure:
            index = ReferenceIndex.load(path)
            missing = sorted(set(photos) - {r.id for r in index.references})
            if missing:
                raise SystemExit(f"--measure {path}: not a scale index of this bench (lacks {missing[0]})")
            _print_row(index.size, _scale_row(index, queries, None, workers))
            if against:
                _against(path, queries, workers, against)
            if search_only_at:
                search_only(index, search_only_at, queries, keep)
        return
    with tempfile.TemporaryDirectory(prefix="leakage-bench-scale-") as tmp:
        store = store or Path(tmp) / "distinct"
        for size in sizes:
            distinct_references.write_references(store, 0, size - len(photos), workers)
            folder = Path(tmp) / f"references_{size}"
            shutil.copytree(references, folder)
            _first(store, size - len(photos), folder / "distinct")
            shutil.rmtree(keep / f"index_{size}", ignore_errors=True)
            start = time.perf_counter()
            ReferenceIndex.build(folder, path=keep / f"index_{size}", workers=workers)
            built = time.perf_counter() - start
            _print_row(size, _scale_row(ReferenceIndex.load(keep / f"index_{size}"), queries, built, workers))
        if baseline:
            _compare_with_baseline(Path(tmp), store, queries, baseline, workers)


def _compare_with_baseline(root: Path, distinct: Path, queries: dict, count: int, workers: int) -> None:
    """Today's flat index against the two-stage index on the same ``count`` references and queries."""
    refs = _first(distinct, count, root / "baseline_refs")
    query_folder = _save_queries(queries, root / "queries", 4)
    old = _baseline(refs, query_folder)
    start = time.perf_counter()
    index = ReferenceIndex.build(refs, workers=workers)
    new = {"build": index.size / (time.perf_counter() - start)}
    auditor = Auditor(index)
    for side in (256, 512):
        images = [read_image(p)[0] for p in sorted(query_folder.glob(f"q{side}_*.png"))]
        auditor.audit(images[0])
        _, new[f"audit {side}"] = _audit_rate(auditor, images, workers)
    print(
        f"\nagainst today's flat index ({BASELINE_COMMIT}, one process) on the same {old['references']} "
        f"references and {len(images)} queries per side; two-stage on {workers} processes/threads"
    )
    print(f"{'':16} {'flat (base)':>11} {'two-stage':>10} {'ratio':>8}")
    for key in ("build", "audit 256", "audit 512"):
        unit = "refs/s" if key == "build" else "img/s"
        print(f"{key + ' ' + unit:16} {old[key]:>11.2f} {new[key]:>10.2f} {new[key] / old[key]:>7.1f}x")


def _predictions(verdict: Verdict) -> dict[str, float]:
    """One prediction per reference the verdict names: its best score over signals, in thresholds."""
    best: dict[str, float] = {}
    for score in verdict.signals.values():
        if score.reference is not None:
            ratio = score.score / score.threshold
            best[score.reference] = max(best.get(score.reference, 0.0), ratio)
    return best


def micro_average_precision(positives: list[tuple[Verdict, str]], negatives: list[Verdict]) -> float:
    """DISC21 micro-AP: pool every (query, reference, score), sort by score, average the precision.

    Each planted query has one true reference; a clean query has none. Precision is
    taken at every correct prediction and summed over the number of true pairs, so a
    true pair never predicted counts as zero. Ties are broken against the auditor
    (wrong predictions first).
    """
    pooled = [(s, r == true) for v, true in positives for r, s in _predictions(v).items()]
    pooled += [(s, False) for v in negatives for s in _predictions(v).values()]
    pooled.sort(key=lambda p: (-p[0], p[1]))
    correct = np.array([c for _, c in pooled], bool)
    if not len(positives) or not correct.any():
        return 0.0
    precision = np.cumsum(correct) / np.arange(1, len(correct) + 1)
    return float(precision[correct].sum() / len(positives))


def average_precision(pool: Pool) -> None:
    """Print micro-AP per transformation (its positives against every negative) and overall."""
    if not pool.positives:
        return
    print(f"\nmicro-AP (DISC21), negatives: {len(pool.negatives)} clean or non-member queries")
    print(f"{'transformation':16} {'queries':>7} {'micro-AP':>9}")
    for name, positives in pool.positives.items():
        print(f"{name:16} {len(positives):>7} {micro_average_precision(positives, pool.negatives):>9.4f}")
    every = [p for positives in pool.positives.values() for p in positives]
    print(f"{'all':16} {len(every):>7} {micro_average_precision(every, pool.negatives):>9.4f}")


def main() -> None:
    """Run the chosen sections and print the machine they ran on."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(DEFAULT_SECTIONS))
    parser.add_argument("--clean", type=int, default=300, help="clean composites for the FPR")
    parser.add_argument("--blender-clean", type=int, default=1000, help="clean Blender renders")
    parser.add_argument("--blender-plants", type=int, default=10, help="Blender plants per reference photo")
    parser.add_argument("--blender-size", type=int, default=256, help="Blender render side, px")
    parser.add_argument("--blender-samples", type=int, default=16, help="Cycles samples per pixel")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000], help="scale: references")
    parser.add_argument("--audits", type=int, default=40, help="scale: clean and planted audits per side")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="scale: processes/threads")
    parser.add_argument("--baseline", type=int, default=100, help="scale: references for the flat baseline")
    parser.add_argument("--keep", type=Path, help="scale: keep the indexes in this folder")
    parser.add_argument(
        "--measure", type=Path, nargs="+", default=[], help="scale: measure these kept indexes, build none"
    )
    parser.add_argument(
        "--distinct", type=Path, help="scale: keep the distinct references in this folder (grown, reused)"
    )
    parser.add_argument("--against", help="scale --measure: also audit with this commit's code, same run")
    parser.add_argument(
        "--search-only", type=int, default=0, help="scale --measure: the search stage alone at this size"
    )
    parser.add_argument(
        "--index", type=Path, help="audit recall, fpr, blender against this index (it must hold the photos)"
    )
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    load = os.getloadavg()[0]
    print(f"machine: {machine}, {os.cpu_count()} cpus, Python {platform.python_version()}, load {load:.1f}")
    pool = Pool()
    with tempfile.TemporaryDirectory() as tmp:
        references = Path(tmp)
        _write_references(references)
        index = ReferenceIndex.build(references)  # the photos: planted and recalled
        photos = {r.id: read_image(references / r.file)[0] for r in index.references}
        audited = index
        if args.index is not None:
            audited = ReferenceIndex.load(args.index)
            print(f"recall, fpr and blender sections audit against {args.index} ({audited.size} references)")
        auditor = Auditor(audited)
        if "recall" in args.sections:
            recall(auditor, photos, _holdout(), pool)
        if "fpr" in args.sections:
            false_positives(auditor, args.clean, pool)
        if "blender" in args.sections:
            blender(
                auditor,
                references,
                index,
                clean=args.blender_clean,
                plants=args.blender_plants,
                size=args.blender_size,
                samples=args.blender_samples,
                pool=pool,
            )
        if "identity" in args.sections:
            identity(auditor, photos)
        if "scale" in args.sections:
            scale(
                references,
                photos,
                args.sizes,
                args.audits,
                args.workers,
                args.baseline,
                args.keep,
                args.measure,
                args.distinct,
                args.against,
                args.search_only,
            )
    average_precision(pool)
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    if "blender" in args.sections:
        from simulacra.render.blenderproc_adapter import exit_process

        exit_process(0)  # bpy segfaults in its native teardown otherwise


if __name__ == "__main__":
    main()
