"""Face screening on add, `assets screen`, and `assets approve` from the user's side."""

from __future__ import annotations

import json
import re

import cv2
from skimage import data

from simulacra.assets_manifest import admit, load_manifest, load_policy
from simulacra.cli import run


def test_face_flags_and_excludes_until_approved(tmp_path, capsys):
    """A photo with a face is flagged on add, excluded by the policy, and approval is recorded."""
    cv2.imwrite(str(tmp_path / "portrait.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    args = ["assets", "add", str(tmp_path / "portrait.png"), "--license", "CC0-1.0", "--source", "x"]
    assert run([*args, "--root", str(tmp_path)]) == 0
    assert "face detected: excluded until approved" in capsys.readouterr().out
    record = load_manifest(tmp_path).get("portrait")
    assert record.flags.contains_person and record.screening.faces >= 1
    reason = admit(load_manifest(tmp_path), load_policy(), "research").excluded["portrait"]
    assert reason.startswith("face detected by screening, awaiting review")
    assert run(["assets", "screen", "--root", str(tmp_path)]) == 0
    assert "flagged portrait" in capsys.readouterr().out
    assert run(["assets", "approve", "portrait", "--reason", "consent form 17", "--root", str(tmp_path)]) == 0
    stored = json.loads((tmp_path / "manifest.json").read_text())["assets"][0]
    assert stored["screening"]["review"]["reason"] == "consent form 17"
    reason = admit(load_manifest(tmp_path), load_policy(), "research").excluded["portrait"]
    assert reason == "flagged contains_person; policy does not allow people for research use"


def test_screen_with_index_names_the_matched_reference(tmp_path, capsys):
    """`assets screen --index` audits each image asset: the astronaut photo matches its reference."""
    from simulacra.audit import write_demo_references

    write_demo_references(tmp_path / "refs")
    assert run(["index", "build", str(tmp_path / "refs"), "-o", str(tmp_path / "idx")]) == 0
    assets = tmp_path / "assets"
    assets.mkdir()
    cv2.imwrite(str(assets / "portrait.png"), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    args = ["assets", "add", str(assets / "portrait.png"), "--license", "CC0-1.0", "--source", "x"]
    assert run([*args, "--root", str(assets)]) == 0
    capsys.readouterr()
    assert run(["assets", "screen", "--index", str(tmp_path / "idx"), "--root", str(assets)]) == 0
    assert re.search(r"flagged portrait: \d+ face\(s\), matches skimage:astronaut;", capsys.readouterr().out)
    assert load_manifest(assets).get("portrait").screening.matched_reference == "skimage:astronaut"
