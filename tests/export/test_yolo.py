"""The yolo and yolo-seg label files are in the exact text form Ultralytics and Datumaro parse.

Datumaro's yolo importer (run by ``scripts/check_loaders.sh``, not installable here) takes
a label file only if each line has 5 fields made of digits and one dot: a minus sign or an
exponent makes it skip the file, and Ultralytics drops labels with coordinates outside
0..1. These tests hold the exports to that form, line by line.
"""

from __future__ import annotations

import re

import pytest
import yaml

pytestmark = pytest.mark.blender

SPLITS = ("train", "val", "test")
NUMBER = r"(0|1)\.\d{6}"  # normalised to 0..1, six decimals, no sign, no exponent
LINE = {
    "yolo": re.compile(rf"\d+( {NUMBER}){{4}}"),
    "yolo-seg": re.compile(rf"\d+( {NUMBER} {NUMBER}){{3,}}"),
}


@pytest.mark.parametrize("fmt", ["yolo", "yolo-seg"])
def test_every_label_line_is_plain_normalised_numbers(exported, fmt):
    """class id in 0..K-1, then 4 numbers (yolo) or 3+ x y pairs (yolo-seg), each in [0, 1]."""
    out = exported(fmt)
    classes = len(yaml.safe_load((out / "data.yaml").read_text())["names"])
    lines = [
        line
        for split in SPLITS
        for label in (out / "labels" / split).iterdir()
        for line in label.read_text().splitlines()
    ]
    assert lines
    for line in lines:
        assert LINE[fmt].fullmatch(line), line
        cls, *values = line.split()
        assert int(cls) < classes and all(0 <= float(v) <= 1 for v in values), line


@pytest.mark.parametrize("fmt", ["yolo", "yolo-seg"])
def test_labels_and_images_pair_up_split_by_split(exported, fmt):
    """Each images/<split>/N.png has labels/<split>/N.txt and no label lacks its image; names are 0..K-1."""
    out = exported(fmt)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert list(data["names"]) == list(range(len(data["names"])))
    for split in SPLITS:
        images = sorted(p.stem for p in (out / data[split]).iterdir())
        assert images and images == sorted(p.stem for p in (out / "labels" / split).glob("*.txt"))
