"""Background kinds: colour (unchanged), HDRI from the manifest, procedural sky."""

from __future__ import annotations

import json

import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import AssetError, SpecError
from simulacra.scenes import SceneGraph, resolve, spec_from_dict

HDRIS = ("builtin:sky_noon", "builtin:sky_sunset")


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


def _spec(background: dict | None = None, **extra):
    data = {"name": "bg", "posters": {"probability": 1.0}, **extra}
    if background is not None:
        data["background"] = background
    return spec_from_dict(data, source="test")


def test_colour_background_dumps_and_resolves_as_before(manifest):
    """Without ``kind`` the spec dump and the graph's background hold only grey and strength."""
    spec = _spec({"gray_range": [0.3, 0.4]})
    assert set(spec.model_dump(mode="json")["background"]) == {"gray_range", "strength_range"}
    background = json.loads(resolve(spec, manifest, job_seed=1, image_index=0).to_json())["background"]
    assert set(background) == {"gray", "strength"} and 0.3 <= background["gray"] <= 0.4


def test_builtin_library_has_cc0_hdris_that_are_not_textures(manifest):
    """The built-in HDRIs are kind hdri, CC0 and procedural; texture pools never see them."""
    hdris = {r.id: r for r in manifest.of_kind("hdri")}
    assert set(HDRIS) <= set(hdris)
    assert all(r.license == "CC0-1.0" and r.provenance == "procedural" for r in hdris.values())
    assert not set(hdris) & {r.id for r in manifest.of_kind("texture")}
    for index in range(10):  # posters drawn from "every texture" stay textures
        graph = resolve(_spec(), manifest, job_seed=2, image_index=index)
        assert all(node.asset.id not in hdris for node in graph.posters)


def test_hdri_background_is_an_asset_with_its_license(manifest):
    """An HDRI background records the asset by hash, its rotation, and reaches graph.assets()."""
    spec = _spec({"kind": "hdri", "rotation_deg_range": [10, 20], "strength_range": [1.0, 2.0]})
    graph = resolve(spec, manifest, job_seed=3, image_index=0)
    hdri = graph.background.hdri
    assert hdri is not None and hdri.asset.id in HDRIS and graph.background.gray is None
    assert 10 <= hdri.rotation_deg <= 20 and 1.0 <= graph.background.strength <= 2.0
    assert hdri.asset in graph.assets() and hdri.asset.license == "CC0-1.0"
    assert SceneGraph.from_json(graph.to_json()) == graph
    assert spec_from_dict(spec.model_dump(mode="json"), source="again") == spec


def test_hdri_list_restricts_and_exclusions_apply(manifest):
    """``assets`` limits the draw; excluding every candidate is an AssetError."""
    spec = _spec({"kind": "hdri", "assets": ["builtin:sky_sunset"]})
    for index in range(5):
        graph = resolve(spec, manifest, job_seed=4, image_index=index)
        assert graph.background.hdri.asset.id == "builtin:sky_sunset"
    with pytest.raises(AssetError, match="no HDRI asset is left"):
        resolve(spec, manifest, job_seed=4, image_index=0, exclude=frozenset({"builtin:sky_sunset"}))


def test_sky_background_draws_sun_and_haze(manifest):
    """A sky records its sun position, turbidity, ground albedo and sun strength within their ranges."""
    spec = _spec({"kind": "sky", "sun_elevation_deg_range": [20, 30], "turbidity_range": [3, 4]})
    graph = resolve(spec, manifest, job_seed=5, image_index=0)
    sky = graph.background.sky
    assert sky is not None and 20 <= sky.sun_elevation_deg <= 30 and 3 <= sky.turbidity <= 4
    assert sky.ground_albedo == 0.3 and 1.0 <= sky.sun_strength <= 4.0
    assert SceneGraph.from_json(graph.to_json()) == graph
    assert spec_from_dict(spec.model_dump(mode="json"), source="again") == spec


@pytest.mark.parametrize(
    ("background", "message"),
    [
        ({"kind": "fog"}, "background.kind: Input should be"),
        (
            {"sun_elevation_deg_range": [10, 20]},
            "background: sun_elevation_deg_range: only used with kind: sky",
        ),
        ({"kind": "hdri", "gray_range": [0.1, 0.2]}, "background: gray_range: only used with kind: color"),
        ({"kind": "sky", "turbidity_range": [0.5, 2]}, "background.turbidity_range"),
    ],
)
def test_bad_background_names_the_field(background, message):
    """A wrong background field is reported with its YAML path."""
    with pytest.raises(SpecError, match=message.replace("[", r"\[")):
        _spec(background)


def test_unknown_hdri_id_names_its_index(manifest):
    """An HDRI id the manifest lacks is named by its place in the list."""
    spec = _spec({"kind": "hdri", "assets": ["builtin:sky_noon", "nope"]})
    with pytest.raises(SpecError, match=r"background.assets\[1\]: no HDRI asset 'nope'"):
        resolve(spec, manifest, job_seed=0, image_index=0)
