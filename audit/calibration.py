"""Measure the auditor's margins on synthetic scenes, to set and check thresholds.

Stand-ins for rendered tabletop scenes (grey wall, table, shaded coloured
primitives with contact shadows), with or without a real reference photo hung as
a poster: perspective-warped (a plane turned up to ±30°), relit (gain, contrast,
tint, shading ramp), partly occluded, covering 20-30% of the frame. Plus edited
whole copies of each reference. Runs without Blender, so it runs in tests.

Run ``python -m simulacra.audit.calibration --scenes 100`` to print the table
behind the default thresholds in :mod:`simulacra.audit.thresholds`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simulacra.audit.auditor import Auditor, Verdict
from simulacra.audit.images import read_image
from simulacra.audit.index import ReferenceIndex
from simulacra.audit.references import write_demo_references


@dataclass(frozen=True)
class Scene:
    """A synthetic render and, when a poster was hung, its outline and bounding box."""

    rgb: np.ndarray
    poster_box: tuple[int, int, int, int] | None = None
    poster_quad: np.ndarray | None = None  # (4, 2) corners: top-left, top-right, bottom-right, bottom-left


def _shape_mask(
    size: int, center: tuple[float, float], radius: float, *, rng: np.random.Generator
) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    cx, cy = center
    kind = rng.integers(3)
    if kind == 0:
        axes = (round(radius), round(radius * rng.uniform(0.4, 1.0)))
        cv2.ellipse(mask, (round(cx), round(cy)), axes, rng.uniform(0, 180), 0, 360, 1, -1)
    elif kind == 1:
        angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 7)))
        radii = radius * rng.uniform(0.6, 1.0, len(angles))
        points = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], 1)
        cv2.fillPoly(mask, [points.astype(np.int32)], 1)
    else:
        x0, y0 = round(cx - radius / 2), round(cy - radius)
        cv2.rectangle(mask, (x0, y0), (round(x0 + radius), round(cy + radius * 0.3)), 1, -1)
    return mask.astype(bool)


def _add_object(
    img: np.ndarray, center: tuple[float, float], radius: float, *, rng: np.random.Generator
) -> np.ndarray:
    """Draw a shaded primitive with a soft contact shadow; returns its mask."""
    size = img.shape[0]
    mask = _shape_mask(size, center, radius, rng=rng)
    shadow = np.zeros((size, size), np.float32)
    axes = (round(radius), max(2, round(radius * 0.25)))
    cv2.ellipse(shadow, (round(center[0] + 4), round(center[1] + radius * 0.6)), axes, 0, 0, 360, 1, -1)
    img *= 1 - 0.35 * cv2.GaussianBlur(shadow, (0, 0), 3)[..., None]
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * xs + np.sin(angle) * ys
    ramp = 0.65 + 0.5 * (ramp - ramp.min()) / np.ptp(ramp)
    img[mask] = (rng.uniform(30, 230, 3) * ramp[..., None])[mask]
    return mask


def _procedural_texture(height: int, width: int, *, rng: np.random.Generator) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    kind = rng.integers(3)
    if kind == 0:
        period = rng.uniform(6, 20)
        texture = ((xs // period + ys // period) % 2) * 255
    elif kind == 1:
        texture = 127 + 127 * np.sin(xs / rng.uniform(3, 10) + ys / rng.uniform(5, 30))
    else:
        noise = rng.uniform(0, 255, (8, 8)).astype(np.float32)
        texture = cv2.resize(noise, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(texture[..., None] * rng.uniform(0.4, 1.0, 3), 0, 255).astype(np.uint8)


def _poster_quad(aspect: float, size: int, horizon: int, *, rng: np.random.Generator) -> np.ndarray:
    """Corners of a picture covering 20-30% of the frame, turned up to ±30° about y, ±10° about x."""
    height = np.sqrt(rng.uniform(0.2, 0.3) * size * size / aspect)
    width = height * aspect
    yaw, tilt = np.deg2rad(rng.uniform(-30, 30)), np.deg2rad(rng.uniform(-10, 10))
    corners = np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]]) * [width / 2, height / 2, 0]
    rot_y = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(tilt), -np.sin(tilt)], [0, np.sin(tilt), np.cos(tilt)]])
    focal = 1.2 * size
    camera = corners @ (rot_x @ rot_y).T + [0, 0, focal]
    quad = focal * camera[:, :2] / camera[:, 2:]
    half = np.ptp(quad, axis=0) / 2
    cx = rng.uniform(half[0] + 2, size - half[0] - 2) if half[0] < size / 2 - 2 else size / 2
    cy = rng.uniform(half[1] + 2, max(half[1] + 3, min(size - half[1] - 2, horizon)))
    return (quad - quad.mean(axis=0) + [cx, cy]).astype(np.float32)


def tabletop(
    rng: np.random.Generator,
    poster: np.ndarray | None = None,
    *,
    hang: bool = True,
    size: int = 256,
    occlusion: float = 0.2,
) -> Scene:
    """A synthetic tabletop render, optionally with ``poster`` (RGB uint8) hung on the wall.

    At most ``occlusion`` of the poster's area ends up covered by objects. With
    ``hang=False`` every random draw is the same but the poster is left out: the
    same scene without it, the clean twin of a planted scene.
    """
    img = np.zeros((size, size, 3), np.float32)
    horizon = round(size * rng.uniform(0.45, 0.6))
    wall = rng.uniform(90, 200) + rng.uniform(-15, 15, 3)
    img[:horizon] = wall * np.linspace(0.85, 1.1, horizon)[:, None, None]
    img[horizon:] = rng.uniform(60, 180, 3) * np.linspace(0.8, 1.15, size - horizon)[:, None, None]
    hung = np.zeros((size, size), bool)
    box = quad = None
    if poster is not None:
        poster = np.repeat(poster[..., None], 3, 2) if poster.ndim == 2 else poster
        ph, pw = poster.shape[:2]
        quad = _poster_quad(pw / ph, size, horizon, rng=rng)
        warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [pw, 0], [pw, ph], [0, ph]]), quad)
        lit = (poster.astype(np.float32) - 128) * rng.uniform(0.7, 1.0) + 128
        ramp = np.linspace(0, 1, pw)[None, :, None]
        ramp = 1 - rng.uniform(0.1, 0.35) * (ramp if rng.random() < 0.5 else 1 - ramp)
        lit = np.clip(lit * rng.uniform(0.45, 0.9) * rng.uniform(0.8, 1.1, 3) * ramp, 0, 255)
        cover = cv2.warpPerspective(np.ones((ph, pw), np.float32), warp, (size, size))[..., None]
        if hang:
            img = (
                img * (1 - cover) + cv2.warpPerspective(lit, warp, (size, size), flags=cv2.INTER_AREA) * cover
            )
        hung = cover[..., 0] > 0.5
        lo, hi = quad.min(axis=0), quad.max(axis=0)
        box = (max(0, round(lo[0])), max(0, round(lo[1])), min(size, round(hi[0])), min(size, round(hi[1])))
    covered = np.zeros_like(hung)
    for _ in range(20 if poster is not None else 0):  # one object in front of the poster
        x0, y0, x1, y1 = box
        center = (rng.uniform(x0, x1), rng.uniform(y1 - 0.2 * (y1 - y0), y1 + 10))
        trial = img.copy()
        mask = _add_object(trial, center, rng.uniform(10, 40), rng=rng)
        if 0.05 * hung.sum() < (mask & hung).sum() <= occlusion * hung.sum():
            img, covered = trial, mask
            break
    wanted, placed = rng.integers(3, 7), 0
    for _ in range(40):  # the rest of the table, keeping the poster's occlusion in bounds
        center = (rng.uniform(20, size - 20), rng.uniform(size * 0.55, size - 15))
        trial = img.copy()
        mask = _add_object(trial, center, rng.uniform(12, 40), rng=rng)
        if ((covered | mask) & hung).sum() > occlusion * hung.sum():
            continue
        img, covered, placed = trial, covered | mask, placed + 1
        if placed == wanted:
            break
    img = cv2.GaussianBlur(img, (0, 0), 0.6) + rng.normal(0, 2.0, img.shape)
    if not hang:
        box = quad = None
    return Scene(np.clip(img, 0, 255).astype(np.uint8), box, quad)


def procedural_poster(rng: np.random.Generator) -> np.ndarray:
    """A non-photographic texture to hang instead of a photo (must pass the audit)."""
    return _procedural_texture(200, 300, rng=rng)


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    _, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _crop(rgb: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    return rgb[round(y0 * h) : round(y1 * h), round(x0 * w) : round(x1 * w)]


def _jitter(rgb: np.ndarray) -> np.ndarray:
    out = (rgb.astype(np.float32) - 128) * 0.8 + 128
    return np.clip(out * 0.75 * np.array([1.1, 0.9, 0.8]) + 10, 0, 255).astype(np.uint8)


def _gray(rgb: np.ndarray) -> np.ndarray:
    return np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[..., None], 3, 2)


def _resize(rgb: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


# Edited whole copies a dataset could contain; every one must be rejected.
EDITS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda rgb: rgb,
    "crop-60%-corner": lambda rgb: _crop(rgb, 0.0, 0.0, 0.775, 0.775),
    "crop-64%-centre": lambda rgb: _crop(rgb, 0.1, 0.1, 0.9, 0.9),
    "crop-60%-strip": lambda rgb: _crop(rgb, 0.0, 0.2, 1.0, 0.8),
    "resize-0.5x": lambda rgb: _resize(rgb, 0.5),
    "resize-2x": lambda rgb: cv2.resize(rgb, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR),
    "grayscale": _gray,
    "colour-jitter": _jitter,
    "blur-2px": lambda rgb: cv2.GaussianBlur(rgb, (0, 0), 2.0),
    "jpeg-q40": lambda rgb: _jpeg(rgb, 40),
    "blur-4px": lambda rgb: cv2.GaussianBlur(rgb, (0, 0), 4.0),
    "thumbnail-64px": lambda rgb: _resize(rgb, 64 / max(rgb.shape[:2])),
    "mirror": lambda rgb: np.ascontiguousarray(rgb[:, ::-1]),
}


def _rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image[..., None], 3, 2) if image.ndim == 2 else image


def measure(auditor: Auditor, photos: dict[str, np.ndarray], scenes: int, seed: int = 0) -> dict[str, list]:
    """Audit planted-poster scenes, their clean twins, procedural-poster scenes and edited copies.

    Scene ``i`` hangs photo ``i mod len(photos)`` (sorted by id) and is drawn from
    ``default_rng([seed, 1, i])``; its clean twin is the same scene without the
    photo; a second clean scene from ``default_rng([seed, 0, i])`` hangs a
    procedural texture instead.

    Returns:
        ``{"planted": [(id, scene, verdict)], "clean": [verdict], "copies": [(id, edit, verdict)]}``.
    """
    names = sorted(photos)
    results: dict[str, list] = {"clean": [], "planted": [], "copies": []}
    for i in range(scenes):
        name = names[i % len(names)]
        photo = _rgb(photos[name])
        scene = tabletop(np.random.default_rng([seed, 1, i]), photo)
        results["planted"].append((name, scene, auditor.audit(scene.rgb)))
        results["clean"].append(
            auditor.audit(tabletop(np.random.default_rng([seed, 1, i]), photo, hang=False).rgb)
        )
        rng = np.random.default_rng([seed, 0, i])
        results["clean"].append(auditor.audit(tabletop(rng, procedural_poster(rng)).rgb))
    for name in names:
        for edit, apply in EDITS.items():
            results["copies"].append((name, edit, auditor.audit(apply(_rgb(photos[name])))))
    return results


def report(results: dict[str, list], auditor: Auditor) -> str:
    """Format :func:`measure` results as the margin table behind the default thresholds."""
    clean: list[Verdict] = results["clean"]
    planted = [v for _, _, v in results["planted"]]
    copies = [v for _, _, v in results["copies"]]
    columns = ("threshold", "clean max", "planted min", "planted p5", "copies min")
    lines = [f"{'signal':8} " + " ".join(f"{c:>11}" for c in columns)]
    for signal in ("global", "region", "phash"):
        threshold = auditor.thresholds.model_dump()[
            {"global": "global_cosine", "region": "region_inliers", "phash": "phash_bits"}[signal]
        ]
        scores = {
            k: [v.signals[signal].score for v in vs]
            for k, vs in (("c", clean), ("p", planted), ("x", copies))
        }
        lines.append(
            f"{signal:8} {threshold:>11} {max(scores['c']):>11.3g} {min(scores['p']):>11.3g} "
            f"{np.percentile(scores['p'], 5):>11.3g} {min(scores['x']):>11.3g}"
        )
    wrong = [
        (name, v.reference)
        for name, _, v in results["planted"]
        if v.verdict == "reject" and v.reference != name
    ]
    missed = [(name, v.signals["region"].score) for name, _, v in results["planted"] if v.verdict == "pass"]
    lines.append(f"{'edited copy':16} {'global min':>10} {'region min':>10} {'phash min':>9}")
    for edit in EDITS:
        of_edit = [v for _, e, v in results["copies"] if e == edit]
        lows = [min(v.signals[signal].score for v in of_edit) for signal in ("global", "region", "phash")]
        lines.append(f"{edit:16} {lows[0]:>10.3f} {lows[1]:>10.0f} {lows[2]:>9.0f}")
    lines.append(
        f"clean rejected: {sum(v.verdict == 'reject' for v in clean)}/{len(clean)} (twins and textures)"
    )
    lines.append(f"planted missed: {len(missed)}/{len(planted)} {missed}; wrong reference: {wrong}")
    lines.append(
        "copies missed: "
        + str(
            [
                (name, edit)
                for name, edit, v in results["copies"]
                if v.verdict == "pass" or v.reference != name
            ]
        )
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the margin table for the demo references (or ``--references DIR``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--references", type=Path, help="folder of reference images (default: demo set)")
    parser.add_argument("--scenes", type=int, default=100, help="clean and planted scenes each")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.references or Path(tmp)
        if args.references is None:
            write_demo_references(folder)
        index = ReferenceIndex.build(folder)
        photos = {r.id: read_image(folder / r.file)[0] for r in index.references}
    auditor = Auditor(index)
    start = time.perf_counter()
    results = measure(auditor, photos, args.scenes, args.seed)
    audits = 3 * args.scenes + len(photos) * len(EDITS)
    print(report(results, auditor))
    print(f"{audits} audits, {(time.perf_counter() - start) / audits * 1000:.0f} ms per audit")


if __name__ == "__main__":
    main()
