"""License policy decisions: per purpose, per license, per flag, with a reason for each refusal."""

from __future__ import annotations

import json

import pytest

from simulacra.assets_manifest import AssetRecord, Manifest, admit, load_policy
from simulacra.assets_manifest.records import Review, Screening
from simulacra.errors import PolicyError


def _record(asset_id: str, license: str = "CC0-1.0", **fields) -> AssetRecord:
    return AssetRecord(
        id=asset_id,
        path=f"{asset_id}.png",
        sha256="0" * 64,
        kind="texture",
        license=license,
        source="test",
        provenance="unknown",
        **fields,
    )


MIXED = (
    _record("cc0"),
    _record("by", "CC-BY-4.0", attribution="Jane Roe"),
    _record("by_uncredited", "CC-BY-4.0"),
    _record("nc", "CC-BY-NC-4.0", attribution="Nina Cole"),
    _record("nd", "CC-BY-ND-4.0", attribution="Ned Doe"),
    _record("unknown", "NOASSERTION"),
    _record("research_only", allowed_uses=("research",)),
    _record("person", flags={"contains_person": True}),
    _record("face_pending", screening=Screening(faces=1)),
    _record(
        "face_reviewed",
        screening=Screening(
            faces=1,
            review=Review(approved=True, reason="fabric print", date="2026-01-01", false_positive=True),
        ),
    ),
)


def _excluded(purpose: str, policy=None) -> dict[str, str]:
    return admit(Manifest(root=".", assets=MIXED), policy or load_policy(), purpose).excluded


def test_commercial_refuses_nc_nd_unknown_people_and_pending():
    """Under commercial use only CC0, credited CC-BY and reviewed assets remain, each refusal explained."""
    assert _excluded("commercial") == {
        "by_uncredited": "license CC-BY-4.0 requires attribution and the record has none",
        "nc": "license CC-BY-NC-4.0 is not allowed for commercial use",
        "nd": "license CC-BY-ND-4.0 is not allowed for commercial use",
        "unknown": "license unknown (NOASSERTION)",
        "research_only": "allowed uses (research) exclude commercial",
        "person": "flagged contains_person; policy does not allow people for commercial use",
        "face_pending": "face detected by screening, awaiting review (simulacra assets approve)",
    }


def test_research_admits_nc_but_never_unknown():
    """Research use admits NonCommercial; an unknown license is refused for every purpose."""
    excluded = _excluded("research")
    assert "nc" not in excluded and "research_only" not in excluded
    assert excluded["unknown"] == "license unknown (NOASSERTION)"


def test_policy_may_allow_people_explicitly(tmp_path):
    """A policy that allows people admits a flagged asset and lists it as needing the audit."""
    data = {"name": "people-ok", "purposes": {"research": {"licenses": ["CC0-1.0"], "allow_people": True}}}
    (tmp_path / "p.json").write_text(json.dumps(data))
    admission = admit(Manifest(root=".", assets=MIXED), load_policy(tmp_path / "p.json"), "research")
    assert "person" not in admission.excluded and admission.people == ("person",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "x", "purposes": {"research": {"licenses": ["NOASSERTION"]}}}', "can never be admitted"),
        ('{"name": "x", "purposes": {"research": {"licenses": ["Foo-1"]}}}', "unknown license 'Foo-1'"),
        ('{"name": "x"}', "purposes: Field required"),
        ("{nope", "not valid JSON"),
    ],
)
def test_bad_policy_file(tmp_path, text, message):
    """A malformed policy names the file and field."""
    (tmp_path / "p.json").write_text(text)
    with pytest.raises(PolicyError, match=message):
        load_policy(tmp_path / "p.json")


def test_unknown_purpose():
    """A purpose the policy does not define is named with the ones it does."""
    with pytest.raises(PolicyError, match="--purpose military: policy 'simulacra-default-1' defines only"):
        _excluded("military")
