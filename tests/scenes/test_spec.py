"""Scene spec loading: presets, and one clear error naming the field or file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulacra.errors import SpecError
from simulacra.scenes import SceneSpec, load_spec


def test_tabletop_preset_loads():
    """The built-in preset loads by name and round-trips through a dict."""
    spec = load_spec(Path("tabletop"))
    assert spec.name == "tabletop"
    assert SceneSpec.model_validate(spec.model_dump()) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nobjects:\n  count_range: [3, 8\n", r"malformed YAML at line \d+"),
        ("name: x\nobjects:\n  colour: red\n", r"objects\.colour: unknown field"),
        ("name: x\nobjects:\n  count_range: [8, 3]\n", r"objects\.count_range: .*empty"),
        ("name: x\nsamples: 0\n", r"samples: .*greater than or equal to 1"),
        ("- just\n- a list\n", r"expected a mapping"),
        ("objects: {}\n", r"name: Field required"),
        ("name: x\nobjects:\n  count_range: [-2, 3]\n", r"objects\.count_range: expected values >= 0"),
        (
            "name: x\nlights:\n  energy_range: {kind: truncated_normal, mean: 9, std: -1, low: 0, high: 2}\n",
            r"lights\.energy_range\.std: .*greater than 0",
        ),
        (
            "name: x\ncamera:\n  fov_deg: {kind: choice, values: [40, 200]}\n",
            r"camera\.fov_deg: expected values > 5",
        ),
        ("name: x\nresolution: [0, 64]\n", r"resolution\[0\]: .*greater than or equal to 8"),
    ],
)
def test_bad_spec_names_field_and_file(tmp_path, text, message):
    """Malformed YAML, unknown fields and bad values: one message with file and field."""
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message) as caught:
        load_spec(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_spec_file(tmp_path):
    """A missing file is named."""
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.yaml")


def test_unknown_preset():
    """An unknown preset name says so."""
    with pytest.raises(SpecError, match="no built-in preset named 'nope'"):
        load_spec(Path("nope"))


def test_distributions_load_from_yaml_and_round_trip(tmp_path):
    """Every distribution form loads from YAML, and the dump loads back equal (old pairs stay pairs)."""
    path = tmp_path / "dists.yaml"
    path.write_text(
        "name: d\n"
        "objects:\n"
        "  count_range: {kind: truncated_normal, mean: 5, std: 2, low: 1, high: 9}\n"
        "  scale_range: {kind: log_uniform, low: 0.5, high: 2.0}\n"
        "lights:\n"
        "  count_range: 2\n"
        "  temperature_k_range: {kind: choice, values: [2700, 4000, 6500], weights: [1, 2, 1]}\n"
        "camera:\n"
        "  distance_range: [1.0, 1.5]\n"
    )
    spec = load_spec(path)
    dumped = spec.model_dump(mode="json")
    assert dumped["camera"]["distance_range"] == [1.0, 1.5] and dumped["lights"]["count_range"] == 2
    assert SceneSpec.model_validate(dumped) == spec


def test_sensor_block_round_trips_and_is_absent_by_default(tmp_path):
    """``sensor`` loads from YAML and dumps back equal; a spec without it dumps no ``sensor`` key."""
    path = tmp_path / "sensor.yaml"
    path.write_text(
        "name: s\n"
        "sensor:\n"
        "  noise: {probability: 0.5, sigma_range: [1, 3]}\n"
        "  exposure: {ev_range: {kind: truncated_normal, mean: 0, std: 0.3, low: -1, high: 1}}\n"
        "  jpeg: {quality_range: 75}\n"
    )
    spec = load_spec(path)
    dumped = spec.model_dump(mode="json")
    assert set(dumped["sensor"]) == {"noise", "exposure", "jpeg"}
    assert dumped["sensor"]["jpeg"]["quality_range"] == 75
    assert SceneSpec.model_validate(yaml.safe_load(yaml.safe_dump(dumped))) == spec
    assert "sensor" not in load_spec("tabletop").model_dump(mode="json")
    assert "sensor" not in load_spec("tabletop").model_dump_json()
