"""The README's "Use the dataset in ..." snippets run as written on a dataset and its exports."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from simulacra.cli import run
from tests.architecture.imports import ROOT

pytestmark = pytest.mark.blender


def _snippets() -> dict[str, str]:
    """The section's python blocks by the module their first line says they need."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use the dataset in ...", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    return {block.splitlines()[0].removeprefix("# needs: "): block for block in blocks}


SNIPPETS = _snippets()


@pytest.fixture(scope="module")
def workspace(tiny_dataset, tmp_path_factory) -> Path:
    """``dataset/`` and ``exports/{coco,yolo,yolo-seg,hf}`` as the snippets name them."""
    root = tmp_path_factory.mktemp("readme")
    (root / "dataset").symlink_to(tiny_dataset)
    for fmt in ("coco", "yolo", "yolo-seg", "hf"):
        assert run(["export", str(root / "dataset"), "--format", fmt, "-o", str(root / "exports" / fmt)]) == 0
    return root


def test_the_tested_tools_all_have_a_snippet():
    """pycocotools, supervision and Hugging Face datasets install with the dev extras: their snippets run."""
    assert {"pycocotools", "supervision", "datasets"} <= set(SNIPPETS)


@pytest.mark.parametrize("needs", sorted(SNIPPETS))
def test_snippet_runs(needs, workspace, monkeypatch):
    """Each snippet, executed in a folder laid out as it assumes."""
    if importlib.util.find_spec(needs) is None:
        pytest.skip(f"{needs} is not installed here (see the README for why)")
    monkeypatch.chdir(workspace)
    exec(compile(SNIPPETS[needs], f"README.md ({needs})", "exec"), {})


def test_mask_files_are_the_formats_the_readme_gives(tiny_dataset, exported):
    """Instance PNGs 16-bit, one channel (plain cv2.imread reads zeros); class PNGs 8-bit; hf masks 16-bit."""
    coco = json.loads((tiny_dataset / "annotations/coco.json").read_text())
    for image in coco["images"]:
        stem = Path(image["file_name"]).stem
        annotations = [a for a in coco["annotations"] if a["image_id"] == image["id"]]
        instances = Image.open(tiny_dataset / f"masks/{stem}_instance.png")
        assert instances.mode == "I;16"
        assert set(np.unique(np.array(instances))) == {0} | {a["instance_id"] for a in annotations}
        assert not cv2.imread(str(tiny_dataset / f"masks/{stem}_instance.png")).any()
        classes = Image.open(tiny_dataset / f"masks/{stem}_class.png")
        assert classes.mode == "L"
        assert set(np.unique(np.array(classes))) == {0} | {a["category_id"] for a in annotations}
    hf_masks = sorted((exported("hf") / "train/masks").iterdir())
    assert hf_masks and all(Image.open(path).mode == "I;16" for path in hf_masks)
