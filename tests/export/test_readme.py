"""The README's "Use the dataset in ..." snippets run as written on a dataset and its exports."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

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
    """``dataset/`` and ``exports/{coco,yolo-seg,hf}`` as the snippets name them."""
    root = tmp_path_factory.mktemp("readme")
    (root / "dataset").symlink_to(tiny_dataset)
    for fmt in ("coco", "yolo-seg", "hf"):
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
