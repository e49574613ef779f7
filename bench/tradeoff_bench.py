"""Privacy-utility trade-off benchmark: leak rate and mIoU per privacy strength on ``tabletop``.

The reference index holds the real photographs that ship inside scikit-image (the demo
set: :func:`simulacra.audit.write_demo_references`). The same photographs are added to
the built-in library as *unflagged* poster textures (as ``simulacra demo`` plants one),
so at strength 0 nothing but the audit stands between them and the dataset, and the
spec's ``privacy.textures: [patch_shuffle]`` shuffles them harder as the strength grows.
Then :func:`simulacra.studies.tradeoff.run_tradeoff` renders, audits and scores one
dataset per strength against one unperturbed test set, and this script prints its table
and the wall time of the whole study (workspace set-up included).

Run ``.venv/bin/python bench/tradeoff_bench.py`` for the default study (5 strengths x 24
images plus 16 test images at 128 px, 8 samples; 3 models x 20 epochs per strength;
six strengths took 230 s on 2 idle cores, most of it training);
``--quick`` is a smoke run of under a minute. The study folder (datasets, tradeoff.md,
tradeoff.json, tradeoff.png) goes to ``--out``; results go into BENCHMARKS.md by hand.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

from simulacra.assets_manifest import AssetRecord, Manifest, build_library, sha256_of
from simulacra.audit import ReferenceIndex, write_demo_references
from simulacra.randomize.privacy import PrivacyParams
from simulacra.render.blenderproc_adapter import exit_process
from simulacra.scenes import SceneSpec, load_spec
from simulacra.studies.tradeoff import parse_strengths, run_tradeoff


def photo_workspace(root: Path) -> tuple[Manifest, Path, tuple[str, ...]]:
    """The built-in library plus every demo photograph as a poster texture, and their index.

    Returns the manifest, the index folder and the ids of the planted photo textures.
    """
    references = root / "references"
    sources = write_demo_references(references)
    index = root / "reference_index"
    ReferenceIndex.build(references).save(index)
    library = build_library(root / "assets")
    planted = []
    for source in sources:
        name = source.id.split(":")[1]
        relative = f"textures/planted_{name}.png"
        shutil.copyfile(references / source.file, root / "assets" / relative)
        planted.append(
            AssetRecord(
                id=f"bench:planted_{name}",
                path=relative,
                sha256=sha256_of(root / "assets" / relative),
                kind="texture",
                license="LicenseRef-PublicDomain",
                source=f"scikit-image data: {name} ({source.source})",
                attribution=source.source,
                provenance="photographed",
            )
        )
    manifest = Manifest(root=root / "assets", assets=(*library.assets, *planted))
    manifest.save()
    return manifest, index, tuple(record.id for record in planted)


def study_spec(
    photos: tuple[str, ...], *, resolution: int, samples: int, poster_probability: float
) -> SceneSpec:
    """``tabletop`` at a small size, hanging one of ``photos`` with ``poster_probability``."""
    tabletop = load_spec(Path("tabletop"))
    privacy = PrivacyParams(textures=("patch_shuffle",))
    return tabletop.model_copy(
        update={
            "name": "tabletop-tradeoff",
            "resolution": (resolution, resolution),
            "samples": samples,
            "posters": tabletop.posters.model_copy(
                update={"probability": poster_probability, "assets": photos}
            ),
            "privacy": privacy,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strengths", default="0,0.25,0.5,0.75,1")
    parser.add_argument("-n", type=int, default=24, help="images per strength")
    parser.add_argument("--test-n", type=int, default=16)
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--samples", type=int, default=8)
    parser.add_argument("--poster-probability", type=float, default=0.5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--utility-seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: every core)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="2 strengths x 4 images, 64 px, 2 epochs")
    parser.add_argument("--out", type=Path, default=None, help="study folder (default: a temporary one)")
    args = parser.parse_args()
    if args.quick:
        args.strengths, args.n, args.test_n, args.resolution = "0,1", 4, 4, 64
        args.samples, args.epochs, args.utility_seeds = 4, 2, 2
    strengths = parse_strengths(args.strengths)
    cores = len(os.sched_getaffinity(0))
    print(f"# tradeoff_bench on {platform.node()}: {cores} cores, Python {platform.python_version()}")
    print(
        f"# {len(strengths)} strengths x {args.n} images + {args.test_n} test images, {args.resolution} px, "
        f"{args.samples} samples, posters {args.poster_probability}; {args.utility_seeds} models x "
        f"{args.epochs} epochs per strength"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="simulacra-tradeoff-") as scratch:
        manifest, index, photos = photo_workspace(Path(scratch) / "workspace")
        spec = study_spec(
            photos,
            resolution=args.resolution,
            samples=args.samples,
            poster_probability=args.poster_probability,
        )
        out = args.out or Path(scratch) / "study"
        result = run_tradeoff(
            spec,
            manifest,
            index,
            strengths,
            n=args.n,
            test_n=args.test_n,
            seed=args.seed,
            out=out,
            epochs=args.epochs,
            utility_seeds=tuple(range(args.utility_seeds)),
            size=args.resolution,
            device="cpu",
            threads=args.threads or cores,
            progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True),
        )
        print()
        print(result.markdown())
        print("| Strength | Render s | Audit s | Training s |")
        print("|---|---|---|---|")
        for p in result.points:
            training = sum(run.train_seconds for run in p.utility.runs)
            print(f"| {p.strength:g} | {p.render_seconds:.1f} | {p.audit_seconds:.1f} | {training:.1f} |")
        print()
        print(f"whole study: {time.perf_counter() - started:.1f} s wall on {cores} cores (set-up included)")
        if args.out is not None:
            print(f"study folder: {out}")
    exit_process(0)  # bpy segfaults in its native teardown otherwise


if __name__ == "__main__":
    main()
