"""Privacy planning in the resolver: strength per attempt, flagged assets always, one look per scene."""

from __future__ import annotations

import numpy as np
import pytest

from simulacra.assets_manifest import builtin_manifest
from simulacra.errors import SpecError
from simulacra.randomize.privacy import PrivacyParams, apply_image_ops, apply_material_op
from simulacra.scenes import SceneGraph, SceneSpec, load_spec, resolve, spec_from_dict
from simulacra.scenes.privacy import plan_privacy
from simulacra.work.scene_render import with_sensor

POSTER = "builtin:poster_art_1"


@pytest.fixture(scope="module")
def manifest():
    return builtin_manifest()


@pytest.fixture(scope="module")
def flagged_manifest(manifest):
    """The built-in library with one poster and one pack colour map flagged as showing a person."""
    flags = {"contains_person": True, "identifiable": True}
    return manifest.replaced(
        tuple(
            manifest.get(asset_id).model_copy(
                update={"flags": manifest.get(asset_id).flags.model_copy(update=flags)}
            )
            for asset_id in (POSTER, "builtin:wood_color")
        )
    )


def _spec(**privacy) -> SceneSpec:
    data = load_spec("tabletop").model_dump(mode="json")
    data["posters"].update(probability=1.0, assets=[POSTER])
    data["surface"]["material"].update(texture_probability=1.0, textures=["builtin_wood"])
    if privacy:
        data["privacy"] = privacy
    return spec_from_dict(data, source="test")


def test_defaults_leave_first_attempts_untouched(manifest):
    """No flagged asset, attempt 0: no privacy node, no key in the JSON, and the same graph object back."""
    spec = load_spec("tabletop")
    for index in range(6):
        graph = resolve(spec, manifest, job_seed=7, image_index=index)
        assert graph.privacy is None and '"privacy"' not in graph.to_json()
        assert plan_privacy(graph, PrivacyParams(), manifest, scene_seed=graph.seed) is graph


def test_explicit_zero_section_matches_no_section(manifest):
    """A spec stating the defaults resolves attempt 0 to the same bytes as one without the section."""
    plain = load_spec("tabletop")
    stated = spec_from_dict({**plain.model_dump(mode="json"), "privacy": {"strength": 0.0}}, source="test")
    for index in range(4):
        assert (
            resolve(stated, manifest, job_seed=3, image_index=index).to_json()
            == resolve(plain, manifest, job_seed=3, image_index=index).to_json()
        )


def test_spec_without_privacy_dumps_as_before():
    """The section is left out of dumps (and so of config hashes) when a spec does not set it."""
    assert "privacy" not in load_spec("tabletop").model_dump()
    assert "privacy" in SceneSpec.model_json_schema()["properties"]


def test_strength_rises_per_attempt_and_caps(manifest):
    """Re-synthesis attempts get base + step * attempt, capped at 1, with frame and material operators."""
    spec = load_spec("tabletop")
    strengths = []
    for attempt in range(1, 7):
        privacy = resolve(spec, manifest, job_seed=7, image_index=2, attempt=attempt).privacy
        assert privacy is not None
        assert [op.op for op in privacy.image] == ["color_jitter", "pixel_noise"]
        assert [op.op for op in privacy.materials] == ["hue_shift"]
        strengths.append(privacy.strength)
    assert strengths == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]


def test_privacy_draws_move_no_other_draw(manifest):
    """The operators draw from their own stream: besides materials, the graph is what it is without them."""
    bare = _spec(materials=[], image=[])
    full = _spec()
    for attempt in (1, 2):
        plain = resolve(bare, manifest, job_seed=5, image_index=1, attempt=attempt)
        perturbed = resolve(full, manifest, job_seed=5, image_index=1, attempt=attempt)
        assert plain.privacy is None and perturbed.privacy is not None
        unchanged = {"camera", "lights", "posters", "background", "seed"}
        assert {k: getattr(plain, k) for k in unchanged} == {k: getattr(perturbed, k) for k in unchanged}
        assert [o.location for o in plain.objects] == [o.location for o in perturbed.objects]
        assert [o.material for o in plain.objects] != [o.material for o in perturbed.objects]
        assert plain.surface.material != perturbed.surface.material


def test_material_shift_is_applied_to_the_recorded_materials(manifest):
    """The graph's materials are the shifted ones, so the builder renders what the record says."""
    plain = resolve(_spec(materials=[]), manifest, job_seed=7, image_index=2, attempt=3)
    graph = resolve(_spec(), manifest, job_seed=7, image_index=2, attempt=3)
    shift = graph.privacy.materials[0]
    assert shift.strength == 0.75 and abs(shift.hue) == pytest.approx(0.375)
    assert graph.surface.material == apply_material_op(plain.surface.material, shift)
    for shifted, node in zip(graph.objects, plain.objects, strict=True):
        assert shifted.material == apply_material_op(node.material, shift)


def test_flagged_assets_are_always_anonymized(flagged_manifest):
    """A flagged poster and pack map get the flagged operators at the least strength, even at attempt 0."""
    graph = resolve(_spec(), flagged_manifest, job_seed=1, image_index=0)
    assert graph.posters[0].asset.id == POSTER and graph.surface.texture.color.id == "builtin:wood_color"
    privacy = graph.privacy
    assert privacy is not None and privacy.strength == 0.0 and privacy.image == () and privacy.materials == ()
    treated = {t.asset: t for t in privacy.textures}
    assert set(treated) == {POSTER, "builtin:wood_color"}
    for treatment in treated.values():
        assert treatment.flagged
        assert [(op.op, op.strength) for op in treatment.ops] == [("face_blur", 0.5), ("patch_shuffle", 0.5)]


def test_flagged_strength_follows_the_attempt_above_its_floor(flagged_manifest):
    """Past the floor, flagged textures get the attempt's strength too."""
    graph = resolve(_spec(), flagged_manifest, job_seed=1, image_index=0, attempt=3)
    assert {op.strength for t in graph.privacy.textures for op in t.ops} == {0.75}


def test_unflagged_textures_get_texture_ops_only_when_asked(manifest):
    """Unflagged images are left alone unless ``textures`` names operators, and then only above strength 0."""
    assert resolve(_spec(), manifest, job_seed=1, image_index=0, attempt=2).privacy.textures == ()
    asked = _spec(textures=["stylize"])
    assert resolve(asked, manifest, job_seed=1, image_index=0).privacy is None
    treated = resolve(asked, manifest, job_seed=1, image_index=0, attempt=2).privacy.textures
    assert {t.asset for t in treated} == {POSTER, "builtin:wood_color"}
    assert all(not t.flagged and [op.op for op in t.ops] == ["stylize"] for t in treated)


def test_plans_are_deterministic_and_round_trip(flagged_manifest):
    """Same inputs, same bytes; the stored graph loads back equal."""
    spec = _spec(textures=["patch_shuffle"])
    first = resolve(spec, flagged_manifest, job_seed=9, image_index=4, attempt=1)
    assert first.to_json() == resolve(spec, flagged_manifest, job_seed=9, image_index=4, attempt=1).to_json()
    assert SceneGraph.from_json(first.to_json()) == first


def test_bad_privacy_sections_name_the_field():
    """Errors carry the YAML path of the privacy field."""
    with pytest.raises(SpecError, match=r"privacy: flagged: textures showing people need one of"):
        _spec(flagged=["hue_shift"])
    with pytest.raises(SpecError, match=r"privacy\.image\[0\]"):
        _spec(image=["face_blur"])
    with pytest.raises(SpecError, match=r"privacy\.step"):
        _spec(step=2)


def test_frame_operators_apply_after_the_render(manifest):
    """``with_sensor`` (render and rerender alike) applies the graph's frame operators, replayably."""
    graph = resolve(load_spec("tabletop"), manifest, job_seed=7, image_index=2, attempt=2)
    rgb = np.full((32, 32, 3), 120, np.uint8)
    out = with_sensor(graph, rgb)
    assert not np.array_equal(out, rgb)
    assert np.array_equal(out, apply_image_ops(rgb, graph.privacy.image))
    assert np.array_equal(out, with_sensor(SceneGraph.from_json(graph.to_json()), rgb))


def test_material_shift_reaches_distractors(manifest):
    """Clutter materials are sampled materials too: they get the same shift."""
    data = load_spec("tabletop").model_dump(mode="json")
    data["distractors"] = {"count_range": 3}
    plain = resolve(
        spec_from_dict({**data, "privacy": {"materials": []}}, source="test"),
        manifest,
        job_seed=2,
        image_index=0,
        attempt=1,
    )
    graph = resolve(spec_from_dict(data, source="test"), manifest, job_seed=2, image_index=0, attempt=1)
    shift = graph.privacy.materials[0]
    assert graph.distractors and len(graph.distractors) == len(plain.distractors)
    for shifted, node in zip(graph.distractors, plain.distractors, strict=True):
        assert shifted.material == apply_material_op(node.material, shift)


def test_views_of_a_scene_share_its_perturbed_look(flagged_manifest):
    """Two views of one scene get the same texture operators and material shifts; frame ops per image."""
    data = _spec(strength=0.5, textures=["patch_shuffle"]).model_dump(mode="json")
    data["camera"]["views"] = 2
    spec = spec_from_dict(data, source="test")
    first, second = (resolve(spec, flagged_manifest, job_seed=4, image_index=i, attempt=1) for i in (2, 3))
    assert (first.scene_index, first.view, second.scene_index, second.view) == (1, 0, 1, 1)
    assert first.camera != second.camera
    one, two = first.privacy, second.privacy
    assert one.strength == two.strength == 0.75
    assert one.textures and one.textures == two.textures
    assert {op.op for t in one.textures for op in t.ops} >= {"patch_shuffle", "face_blur"}
    assert one.materials and one.materials == two.materials
    assert first.surface == second.surface and first.objects == second.objects
    assert first.distractors == second.distractors and first.posters == second.posters
    assert [op.op for op in one.image] == [op.op for op in two.image] and one.image != two.image
