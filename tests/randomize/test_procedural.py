"""Procedural material families: every value drawn inside its declared rule, deterministically."""

from __future__ import annotations

import colorsys
import typing

import numpy as np
import pytest
from pydantic import TypeAdapter

from simulacra.randomize import (
    FAMILIES,
    FAMILY_NAMES,
    FLAT,
    ProceduralMaterial,
    sample_family,
    sample_procedural,
)
from simulacra.randomize.procedural import Hsv, Span, Tint, drawn_fields

BASE = (0.6, 0.3, 0.15)


def test_at_least_twelve_families_and_every_one_in_the_graph_union():
    """12+ families, and the graph's discriminated union accepts exactly the family table (a guard)."""
    assert len(FAMILIES) >= 12 and (FLAT, *FAMILIES) == FAMILY_NAMES
    union = typing.get_args(typing.get_args(ProceduralMaterial)[0])
    assert {model.model_fields["family"].default for model in union} == set(FAMILIES)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_family_values_stay_inside_their_rules(name):
    """Over many draws each Span lands in [low, high], each Hsv colour in its palette, a Tint on the hue."""
    model = FAMILIES[name]
    rng = np.random.default_rng(11)
    for _ in range(50):
        record = sample_family(name, BASE, rng=rng)
        for field in drawn_fields(model):
            rule = next(m for m in model.model_fields[field].metadata if isinstance(m, Span | Hsv | Tint))
            value = getattr(record, field)
            if isinstance(rule, Span):
                assert rule.low <= value <= rule.high, (field, value)
                continue
            hue, saturation, brightness = colorsys.rgb_to_hsv(*value)
            if isinstance(rule, Hsv):
                assert rule.value[0] - 1e-5 <= brightness <= rule.value[1] + 1e-5, (field, value)
                assert rule.saturation[0] - 1e-5 <= saturation <= rule.saturation[1] + 1e-5, (field, value)
            else:
                assert hue == pytest.approx(colorsys.rgb_to_hsv(*BASE)[0], abs=1e-4), (field, value)


def test_same_generator_state_same_record_and_json_round_trip():
    """Two generators with one seed draw equal records; a record survives the graph's JSON."""
    adapter = TypeAdapter(ProceduralMaterial)
    for name in FAMILIES:
        first = sample_family(name, BASE, rng=np.random.default_rng(5))
        assert first == sample_family(name, BASE, rng=np.random.default_rng(5))
        assert adapter.validate_json(adapter.dump_json(first)) == first


def test_weights_choose_the_family_and_flat_draws_no_record():
    """Weight 0 is never drawn; ``flat`` gives None; no families draws nothing at all."""
    rng = np.random.default_rng(0)
    drawn = {sample_procedural({"wood": 1.0, "glass": 0.0}, BASE, rng=rng).family for _ in range(30)}
    assert drawn == {"wood"}
    assert sample_procedural({FLAT: 1.0}, BASE, rng=rng) is None
    state = rng.bit_generator.state
    assert sample_procedural({}, BASE, rng=rng) is None and rng.bit_generator.state == state


def test_spec_order_of_weights_does_not_change_the_draw():
    """Weights are read in the family table's order, so listing them otherwise draws the same."""
    one = sample_procedural({"wood": 1.0, "marble": 2.0}, BASE, rng=np.random.default_rng(9))
    other = sample_procedural({"marble": 2.0, "wood": 1.0}, BASE, rng=np.random.default_rng(9))
    assert one == other
