"""`--set` overrides: values split at top-level commas, applied by dotted path, validated."""

from __future__ import annotations

import pytest

from simulacra.errors import SpecError
from simulacra.scenes import load_spec
from simulacra.scenes.overrides import expand, parse_override, with_value


def test_values_are_yaml_and_bracketed_lists_stay_whole():
    """Ints, floats and flow lists parse as YAML; commas inside brackets do not split."""
    override = parse_override("lights.count_range=1, 0.5,[1, 3]")
    assert override.path == "lights.count_range"
    assert override.values == (1, 0.5, [1, 3])
    assert override.texts == ("1", "0.5", "[1, 3]")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("lights.count_range", "expected path=value"),
        ("=1,2", "expected path=value"),
        ("lights..count_range=1", "expected path=value"),
        ("lights.count_range=1,,2", "empty value"),
        ("lights.count_range=[1, 3", "unclosed bracket"),
        ("lights.count_range=1]", "unbalanced"),
    ],
)
def test_malformed_options_are_named(option, message):
    """Each malformed option is refused with the option and what is wrong."""
    with pytest.raises(SpecError, match=message):
        parse_override(option)


def test_with_value_creates_missing_mappings_and_copies():
    """Intermediate mappings are created; the input is left as it was."""
    data = {"name": "x"}
    assert with_value(data, "objects.material.hue_range", [0, 1]) == {
        "name": "x",
        "objects": {"material": {"hue_range": [0, 1]}},
    }
    assert data == {"name": "x"}
    with pytest.raises(SpecError, match="name is a value"):
        with_value(data, "name.first", 1)


def test_expand_gives_one_validated_spec_per_combination():
    """Two overrides make the grid of their values; each spec holds its values and nothing else changes."""
    base = load_spec("tabletop")
    variants = expand(base, [parse_override("lights.count_range=1,[2, 4]"), parse_override("samples=4,8")])
    assert [v.label for v in variants] == [
        "lights.count_range=1,samples=4",
        "lights.count_range=1,samples=8",
        "lights.count_range=[2,4],samples=4",
        "lights.count_range=[2,4],samples=8",
    ]
    assert variants[3].spec.samples == 8
    swept = variants[3].spec.model_dump(mode="json")
    assert swept["lights"]["count_range"] == [2.0, 4.0]
    expected = base.model_dump(mode="json")
    expected["lights"]["count_range"], expected["samples"] = swept["lights"]["count_range"], 8
    assert swept == expected


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("lights.cuont_range=1", r"--set lights.cuont_range=1: lights.cuont_range: unknown field"),
        ("samples=0", r"--set samples=0: samples: "),
        ("lights.count_range=abc", r"--set lights.count_range=abc: lights.count_range"),
    ],
)
def test_bad_paths_and_values_name_themselves(option, message):
    """A path that names no field, or a value out of range, is reported as a spec error on that --set."""
    with pytest.raises(SpecError, match=message):
        expand(load_spec("tabletop"), [parse_override(option)])
