"""Face benchmark: the face signal by face size and edit, false positives, detector time.

Run ``.venv/bin/python bench/face_bench.py`` (about 3 minutes on 2 cores). The two real
faces that ship offline (scikit-image's astronaut, matplotlib's Grace Hopper) are the
references; each is scaled so its face (dlib's box on the full photo) is 20, 24, 32,
40 or 64 px, pasted with its hair and shoulders into a clean synthetic 256 px scene
(:func:`simulacra.audit.calibration.tabletop`) and edited. A hit is the face signal
firing for the right person: the closest pair of a found and a reference embedding is
within ``face_distance`` and the reference is that person. The face signal is measured
as the auditor computes it (:class:`FaceEmbedder` on the output, the same on the
reference photos as the index build does, euclidean distances), so it runs without an
index. The same plants count non-member false positives (the face matching the *other*
person); ``--clean`` clean scenes count false positives and detector false alarms.
``--blender N`` (opt-in) also renders N Blender tabletop scenes per person with the
photo as the poster (perspective, Cycles lighting, occlusion) and reports their hits.
``--against COMMIT`` (opt-in) times ``detect_faces`` of that commit's code and today's,
each in its own process, on the same clean scenes and distinct references.
All randomness is seeded.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit.calibration import procedural_poster, tabletop
from simulacra.audit.faces import detect_faces
from simulacra.audit.identity import FaceEmbedder
from simulacra.audit.privacy_metrics import wilson
from simulacra.audit.thresholds import Thresholds

SIZES = (20, 24, 32, 40, 64)
YAW = 40.0  # degrees of the perspective warp that turns the face
SWEEP = (0.55, 0.58, 0.60, 0.62, 0.65)


def _photos() -> dict[str, np.ndarray]:
    """The two real people available offline, RGB."""
    import matplotlib.cbook
    import skimage.data

    hopper = cv2.imread(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    return {"astronaut": skimage.data.astronaut(), "grace_hopper": cv2.cvtColor(hopper, cv2.COLOR_BGR2RGB)}


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    _, data = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


def _yaw(rgb: np.ndarray, degrees: float) -> np.ndarray:
    """The picture turned about its vertical axis: narrower, its far edge shorter (perspective)."""
    h, w = rgb.shape[:2]
    narrow = w * np.cos(np.radians(degrees))
    shrink = 0.25 * np.sin(np.radians(abs(degrees))) * h
    x0, x1 = (w - narrow) / 2, (w + narrow) / 2
    near, far = ((0, 0, h, h), (shrink, shrink, h - shrink, h - shrink))[:: 1 if degrees > 0 else -1]
    quad = np.float32([[x0, near[0]], [x1, far[0]], [x1, far[2]], [x0, near[2]]])
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), quad)
    return cv2.warpPerspective(rgb, warp, (w, h), borderMode=cv2.BORDER_REPLICATE)


# Edits of the pasted head (before pasting) and of the whole scene (after).
HEAD_EDITS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "yaw40": lambda x, seed: _yaw(x, YAW if seed % 2 else -YAW),
    "mirror": lambda x, seed: np.ascontiguousarray(x[:, ::-1]),
}
SCENE_EDITS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "none": lambda x, seed: x,
    "jpeg30": lambda x, seed: _jpeg(x, 30),
    "grey": lambda x, seed: np.repeat(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)[..., None], 3, 2),
    "blur1": lambda x, seed: cv2.GaussianBlur(x, (0, 0), 1.0),
    "noise10": lambda x, seed: np.clip(
        x + np.random.default_rng([seed, 5]).normal(0, 10, x.shape), 0, 255
    ).astype(np.uint8),
}
EDITS = ("none", "jpeg30", "grey", "blur1", "noise10", "yaw40", "mirror")


def _head(photo: np.ndarray, face: tuple[int, int, int, int], side: int) -> np.ndarray:
    """Head and shoulders, scaled so the face box is ``side`` px."""
    left, top, right, bottom = face
    grow = round(0.6 * (right - left))
    crop = photo[max(0, top - grow) : bottom + grow, max(0, left - grow) : right + grow]
    zoom = side / (right - left)
    return cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_AREA)


def plant(
    photo: np.ndarray, face: tuple[int, int, int, int], side: int, edit: str, seed: int, size: int = 256
) -> np.ndarray:
    """A clean scene with the head pasted on the wall (random place), then edited."""
    rng = np.random.default_rng([seed, side, 11])
    scene = tabletop(rng, size=size).rgb.copy()
    head = _head(photo, face, side)
    if edit in HEAD_EDITS:
        head = HEAD_EDITS[edit](head, seed)
    h, w = head.shape[:2]
    y, x = int(rng.integers(0, max(1, size // 2 - h // 2))), int(rng.integers(0, size - w))
    scene[y : y + h, x : x + w] = head[: size - y]
    return np.ascontiguousarray(SCENE_EDITS.get(edit, SCENE_EDITS["none"])(scene, seed))


class FaceSignal:
    """The auditor's face signal against the two people: closest distance per reference person."""

    def __init__(self, photos: dict[str, np.ndarray]):
        self.embedder = FaceEmbedder()
        self.references = {}
        for name, rgb in photos.items():
            faces = self.embedder.faces(rgb)
            if not faces:
                sys.exit(f"no face found in the reference photo {name}")
            self.references[name] = np.stack([f.embedding for f in faces])

    def distances(self, rgb: np.ndarray) -> dict[str, float]:
        """Closest found-face to reference-face distance per person (inf when no face is found)."""
        found = [f.embedding for f in self.embedder.faces(rgb)]
        if not found:
            return dict.fromkeys(self.references, np.inf)
        stack = np.stack(found)
        return {
            name: float(np.linalg.norm(stack[:, None] - refs[None], axis=2).min())
            for name, refs in self.references.items()
        }


def _hit(distances: dict[str, float], person: str, threshold: float) -> bool:
    return distances[person] <= threshold and distances[person] == min(distances.values())


def recall(
    signal: FaceSignal, photos: dict[str, np.ndarray], per_person: int, threshold: float, sizes: list[int]
) -> list:
    """Print hits by size x edit; return (size, edit, person, distances) for every plant."""
    boxes = {}
    for name, rgb in photos.items():
        (box,) = [f.box for f in signal.embedder.faces(rgb)][:1]
        boxes[name] = (box.left, box.top, box.right, box.bottom)
    rows = []
    print(f"\nface signal recall, {per_person} plants per person per cell, threshold {threshold}")
    print(f"{'face px':>7} " + " ".join(f"{e:>9}" for e in EDITS) + f" {'all':>9} {'max own d':>9}")
    for side in sizes:
        line, hits_side, total, own = f"{side:>7} ", 0, 0, []
        for edit in EDITS:
            hits = 0
            for person, photo in photos.items():
                for seed in range(per_person):
                    distances = signal.distances(plant(photo, boxes[person], side, edit, seed))
                    rows.append((side, edit, person, distances))
                    hits += _hit(distances, person, threshold)
                    own.append(distances[person])
            count = per_person * len(photos)
            line += f" {hits:>3}/{count:<5}"
            hits_side, total = hits_side + hits, total + count
        finite = [d for d in own if np.isfinite(d)]
        print(line + f" {hits_side:>3}/{total:<5} {max(finite, default=np.nan):>9.3f}", flush=True)
    return rows


def sweep(rows: list, sizes: list[int]) -> None:
    """Print recall (from 24 px) and non-member matches at candidate thresholds."""
    print("\nthreshold sweep (plants of one person matched to the other = non-member false positive)")
    print(f"{'threshold':>9} {'recall >=24 px':>22} {'recall 20 px':>14} {'non-member FP':>30}")
    for threshold in SWEEP:
        big = [_hit(d, p, threshold) for s, _, p, d in rows if s >= 24]
        small = [_hit(d, p, threshold) for s, _, p, d in rows if s == 20]
        other = [min(v for k, v in d.items() if k != p) <= threshold for _, _, p, d in rows]
        low, high = wilson(sum(other), len(other))
        print(
            f"{threshold:>9.2f} {sum(big):>5}/{len(big):<5} ({sum(big) / len(big):.3f}) "
            f"{sum(small):>5}/{len(small):<5} {sum(other):>5}/{len(other):<5} [{low:.4f}, {high:.4f}]"
        )
    cross = [min(v for k, v in d.items() if k != p) for _, _, p, d in rows]
    print(f"closest non-member distance over all plants: {min(cross):.3f}")
    print("non-member false positives by face size at each threshold:")
    for side in sizes:
        other = [min(v for k, v in d.items() if k != p) for s, _, p, d in rows if s == side]
        counts = " ".join(f"{sum(o <= t for o in other):>3}/{len(other)}" for t in SWEEP)
        print(f"  {side:>3} px: {counts}  (closest {min(other):.3f})")


def clean(signal: FaceSignal, count: int, threshold: float) -> None:
    """Print detector false alarms and face-signal false positives on clean scenes."""
    faces = fired = 0
    closest = np.inf
    for i in range(count):
        rng = np.random.default_rng([i, 31])
        poster = procedural_poster(rng) if i % 2 else None
        rgb = tabletop(rng, poster, size=256).rgb
        distances = signal.distances(rgb)
        nearest = min(distances.values())
        faces += np.isfinite(nearest)
        fired += nearest <= threshold
        closest = min(closest, nearest)
    low, high = wilson(fired, count)
    print(
        f"\nclean synthetic scenes (256 px, half with a procedural poster): {faces}/{count} with a detected "
        f"face; face signal fired {fired}/{count}, Wilson 95% [{low:.4f}, {high:.4f}]; closest {closest:.3f}"
    )


def timing(signal: FaceSignal, photos: dict[str, np.ndarray], repeats: int) -> None:
    """Print detection time per clean image and detection + embedding with one face, one thread."""
    print(f"\ntime per image (mean of {repeats}, cv2 on 1 thread)")
    face = photos["astronaut"]
    box = signal.embedder.faces(face)[0].box
    for size in (256, 512):
        scenes = [tabletop(np.random.default_rng([i, 41]), size=size).rgb for i in range(repeats)]
        start = time.perf_counter()
        for rgb in scenes:
            detect_faces(rgb)
        empty = (time.perf_counter() - start) / repeats
        plants = [
            plant(face, (box.left, box.top, box.right, box.bottom), 32, "none", i, size)
            for i in range(repeats)
        ]
        start = time.perf_counter()
        for rgb in plants:
            signal.embedder.faces(rgb)
        one = (time.perf_counter() - start) / repeats
        print(
            f"{size}x{size}: no face {empty * 1000:.1f} ms; "
            f"one 32 px face, found and embedded {one * 1000:.1f} ms"
        )


# detect_faces on saved images, CPU ms per image on one thread (best of 3 passes); run against
# today's tree and an earlier commit's audit package in their own processes.
DETECT_TIMING = """
import json, time
from pathlib import Path
import cv2
from simulacra.audit.faces import detect_faces
from simulacra.audit.images import read_image
cv2.setNumThreads(1)
sets = {{"clean 256 px": ({{}}, "s256_*.png"), "clean 512 px": ({{}}, "s512_*.png"),
        "references (384 px from 32 px)": ({{"min_face": 32, "search_side": 384}}, "ref_*.jpg")}}
out = {{}}
for name, (options, pattern) in sets.items():
    images = [read_image(p)[0] for p in sorted(Path({folder!r}).glob(pattern))]
    detect_faces(images[0], **options)
    passes = []
    for _ in range(3):
        start = time.process_time()
        for rgb in images:
            detect_faces(rgb, **options)
        passes.append((time.process_time() - start) / len(images) * 1000)
    out[name] = min(passes)
print(json.dumps(out))
"""


def against(commit: str, repeats: int) -> None:
    """Print detect_faces time of ``commit``'s code and today's on the same scenes and references."""
    from baseline_tree import run_baseline, run_today
    from distinct_references import write_references

    with tempfile.TemporaryDirectory(prefix="face-bench-against-") as tmp:
        folder = Path(tmp) / "images"
        write_references(folder, 0, repeats)
        for size in (256, 512):
            for i in range(repeats):
                rgb = tabletop(np.random.default_rng([i, 41]), size=size).rgb
                cv2.imwrite(str(folder / f"s{size}_{i:03d}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        script = DETECT_TIMING.format(folder=str(folder))
        (Path(tmp) / "base").mkdir()
        old = run_baseline(commit, Path(tmp) / "base", script)
        new = run_today(script)
    print(f"\ndetect_faces, CPU ms per image on one thread (best of 3), {repeats} images each")
    print(f"{'images':32} {commit:>10} {'today':>8} {'ratio':>7}")
    for name in new:
        print(f"{name:32} {old[name]:>10.1f} {new[name]:>8.1f} {old[name] / new[name]:>6.2f}x")


def blender(signal: FaceSignal, photos: dict[str, np.ndarray], renders: int, threshold: float) -> None:
    """Render each photo as the poster texture of ``renders`` tabletop scenes (256 px) and count hits."""
    from simulacra.assets_manifest import AssetRecord, Manifest, build_library, sha256_of
    from simulacra.render import Renderer, RenderSettings
    from simulacra.scenes import load_spec, resolve
    from simulacra.work.scene_render import render_scene

    with tempfile.TemporaryDirectory(prefix="face-bench-assets-") as scratch:
        root = Path(scratch)
        library = build_library(root)
        records = list(library.assets)
        for person, rgb in photos.items():
            cv2.imwrite(str(root / f"textures/{person}.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            records.append(
                AssetRecord(
                    id=f"bench:{person}",
                    path=f"textures/{person}.png",
                    sha256=sha256_of(root / f"textures/{person}.png"),
                    kind="texture",
                    license="LicenseRef-PublicDomain",
                    source=f"face benchmark plant of {person}",
                    provenance="photographed",
                )
            )
        manifest = Manifest(root=root, assets=tuple(records))
        manifest.save()
        base = load_spec(Path("tabletop")).model_copy(update={"resolution": (256, 256), "samples": 8})
        print(f"\nBlender: each photo as the poster of {renders} tabletop renders, 256 px, 8 samples")
        with Renderer(manifest, manifest.categories(), RenderSettings(device="cpu")) as renderer:
            for number, person in enumerate(photos):
                posters = base.posters.model_copy(update={"probability": 1.0, "assets": (f"bench:{person}",)})
                spec = base.model_copy(update={"posters": posters})
                hits, found = 0, []
                for image in range(renders):
                    graph = resolve(spec, manifest, job_seed=5100 + number, image_index=image)
                    _, frame = render_scene(renderer, graph, spec)
                    distances = signal.distances(frame.rgb)
                    sides = [min(b.right - b.left, b.bottom - b.top) for b in detect_faces(frame.rgb)]
                    found.append(f"{distances[person]:.2f}@{','.join(map(str, sides)) or '-'}px")
                    hits += _hit(distances, person, threshold)
                print(f"{person:14} {hits}/{renders}  own distance@face px: {' '.join(found)}", flush=True)


def main() -> None:
    """Parse options, run the sections, print the machine and command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--per-person", type=int, default=10, help="plants per person per size x edit cell (0: skip)"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="face sizes, px")
    parser.add_argument("--clean", type=int, default=300, help="clean synthetic scenes (0: skip)")
    parser.add_argument("--repeats", type=int, default=20, help="images per timing (0: skip)")
    parser.add_argument("--blender", type=int, default=0, help="Blender renders per person (0: skip)")
    parser.add_argument("--against", help="also time detect_faces of this commit against today's")
    args = parser.parse_args()
    cv2.setNumThreads(1)
    threshold = Thresholds().face_distance
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    print("command: " + " ".join(["python", *sys.argv]))
    photos = _photos()
    signal = FaceSignal(photos)
    own = {
        n: float(np.linalg.norm(r[:, None] - signal.references[o][None], axis=2).min())
        for n, r in signal.references.items()
        for o in signal.references
        if o != n
    }
    print(f"reference photos: astronaut vs grace_hopper closest distance {min(own.values()):.3f}")
    if args.per_person:
        sweep(recall(signal, photos, args.per_person, threshold, args.sizes), args.sizes)
    if args.clean:
        clean(signal, args.clean, threshold)
    if args.repeats:
        timing(signal, photos, args.repeats)
    if args.against:
        against(args.against, max(args.repeats, 20))
    if args.blender:
        blender(signal, photos, args.blender, threshold)
        from simulacra.render.blenderproc_adapter import exit_process

        exit_process(0)


if __name__ == "__main__":
    main()
