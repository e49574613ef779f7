"""Tests for the demo reference set and reference sidecars."""

import json
from pathlib import Path

import pytest

from simulacra.audit import ReferenceSource, demo_names
from simulacra.audit.references import SIDECAR, read_sidecar
from simulacra.errors import ReferenceIndexError


def test_demo_references_are_written_with_licenses(demo_dir: Path) -> None:
    """Every demo photo lands as a PNG and the sidecar records its id, license and source."""
    sidecar = json.loads((demo_dir / SIDECAR).read_text())
    records = [ReferenceSource(**r) for r in sidecar["references"]]
    assert [r.id for r in records] == [f"skimage:{n}" for n in demo_names()]
    for record in records:
        assert (demo_dir / record.file).is_file()
        assert record.license and record.source


def test_demo_set_is_the_photographs_named_in_the_brief() -> None:
    """The demo set is the five real photographs shipped in scikit-image's wheel."""
    assert demo_names() == ["astronaut", "camera", "chelsea", "coffee", "rocket"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read reference sidecar"),
        ('{"references": [{"id": "a", "file": "a.png", "colour": 1}]}', "references.0.colour"),
        (
            '{"references": [{"id": "a", "file": "a.png"}, {"id": "a", "file": "b.png"}]}',
            "id 'a' appears twice",
        ),
        ('{"references": [{"id": " ", "file": "a.png"}]}', "references.0.id"),
    ],
)
def test_bad_sidecar_is_refused_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    """A malformed sidecar raises ReferenceIndexError naming the file and the field."""
    path = tmp_path / SIDECAR
    path.write_text(content)
    with pytest.raises(ReferenceIndexError, match=message) as caught:
        read_sidecar(path)
    assert str(path) in str(caught.value)
