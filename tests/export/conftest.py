"""Exports of the session's tiny dataset, each written once through the CLI and shared by the tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulacra.cli import run

VIEWS_SPEC = """\
name: views
resolution: [64, 64]
samples: 4
objects:
  count_range: [3, 4]
  scale_range: [1.4, 1.8]
camera:
  distance_range: [0.9, 1.1]
  views: 2
posters:
  probability: 0.0
"""
SPLIT = "train=0.5,val=0.25,test=0.25"


@pytest.fixture(scope="session", autouse=True)
def hugging_face_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Hugging Face caches in the session's folder and never goes online (set before datasets loads)."""
    os.environ["HF_HOME"] = str(tmp_path_factory.mktemp("hf-home"))
    os.environ["HF_DATASETS_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def views_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight 64 px images: four scenes seen from two cameras each."""
    root = tmp_path_factory.mktemp("views")
    (root / "views.yaml").write_text(VIEWS_SPEC)
    out = root / "views"
    assert run(["generate", str(root / "views.yaml"), "-n", "8", "-o", str(out), "--seed", "3"]) == 0
    return out


@pytest.fixture(scope="session")
def exported(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory):
    """``exported("coco", "--segmentation", "rle")``: the tiny dataset exported once per option set."""
    root = tmp_path_factory.mktemp("exports")
    made: dict[tuple[str, ...], Path] = {}

    def export(fmt: str, *options: str) -> Path:
        key = (fmt, *options)
        if key not in made:
            out = root / "-".join(key).replace("--", "")
            assert (
                run(
                    ["export", str(tiny_dataset), "--format", fmt, "-o", str(out), "--split", SPLIT, *options]
                )
                == 0
            )
            made[key] = out
        return made[key]

    return export
