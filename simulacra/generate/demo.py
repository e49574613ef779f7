"""The built-in demo job: real reference photos, their index, and one planted leak.

The demo shows the product's promise end to end on built-in data only: it indexes
the real photographs that ship inside scikit-image, renders a tabletop dataset in
which one scene hangs one of those photographs as a poster, and lets the audit catch
it and the pipeline re-synthesise that image without it.
"""

from __future__ import annotations

import shutil
import tempfile
from importlib import resources
from pathlib import Path

from simulacra.assets_manifest import AssetRecord, Manifest, build_library, sha256_of
from simulacra.audit import ReferenceIndex, write_demo_references
from simulacra.errors import OutputError
from simulacra.job import Job, WorkItem
from simulacra.scenes import load_spec

MARKER = ".simulacra-demo"
PLANTED_REFERENCE = "skimage:astronaut"
PLANTED_ASSET = "demo:planted_astronaut"
# The bundled refiner (trained by scripts/train_default_refiner.py), found as package
# data; naming it does not import torch before the pipeline needs it.
BUNDLED_REFINER = Path(str(resources.files("simulacra.refine") / "default"))


def _fresh_workspace(out: Path) -> None:
    """Start from an empty folder; only a previous demo's folder may be replaced."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise OutputError(f"{out} exists and was not made by `simulacra demo`; choose another with -o")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by simulacra demo; safe to delete\n")


def _demo_assets(root: Path, planted_photo: Path) -> Manifest:
    """The built-in library plus the real photograph planted as a poster texture."""
    library = build_library(root)
    relative = "textures/planted_astronaut.png"
    shutil.copyfile(planted_photo, root / relative)
    planted = AssetRecord(
        id=PLANTED_ASSET,
        path=relative,
        sha256=sha256_of(root / relative),
        kind="texture",
        license="LicenseRef-PublicDomain",
        source="scikit-image data: astronaut (NASA, public domain)",
        attribution="NASA (Eileen Collins portrait), via scikit-image",
        provenance="photographed",
    )
    manifest = Manifest(root=root, assets=(*library.assets, planted))
    manifest.save()
    return manifest


def prepare_demo(out: Path, *, n: int = 24, device: str = "cpu", refine: bool = True) -> Job:
    """Set up the demo workspace under ``out`` and return the job that renders ``out/dataset``.

    With ``refine`` every render goes through the bundled default refiner before the audit.
    """
    _fresh_workspace(out)
    with tempfile.TemporaryDirectory(prefix="simulacra-refs-") as scratch:
        sources = write_demo_references(Path(scratch))
        ReferenceIndex.build(Path(scratch)).save(out / "reference_index")
        photo = next(s.file for s in sources if s.id == PLANTED_REFERENCE)
        manifest = _demo_assets(out / "assets", Path(scratch) / photo)

    tabletop = load_spec(Path("tabletop"))
    art = tuple(r.id for r in manifest.of_kind("texture") if r.id != PLANTED_ASSET and r.material is None)
    clean = tabletop.model_copy(update={"posters": tabletop.posters.model_copy(update={"assets": art})})
    planted = tabletop.model_copy(
        update={
            "name": "tabletop-planted-leak",
            "posters": tabletop.posters.model_copy(update={"probability": 1.0, "assets": (PLANTED_ASSET,)}),
        }
    )
    planted_index = n // 4
    items = tuple(WorkItem(i, planted if i == planted_index else clean) for i in range(n))
    return Job(
        name="demo-tabletop",
        items=items,
        manifest=manifest,
        seed=0,
        out=out / "dataset",
        index_path=out / "reference_index",
        device=device,
        refine=BUNDLED_REFINER if refine else None,
    )
