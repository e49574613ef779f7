"""Privacy operators: deterministic for a seed, identity at strength 0, and each changes what it claims."""

from __future__ import annotations

import colorsys
from typing import get_args

import cv2
import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError
from skimage import data

from simulacra.audit.descriptors import matching_bits, phash, to_gray
from simulacra.audit.faces import detect_faces as audit_faces
from simulacra.randomize import Material
from simulacra.randomize.privacy import (
    ImageOpName,
    PrivacyNode,
    PrivacyOp,
    PrivacyParams,
    TextureOpName,
    anonymize_texture_file,
    apply_image_ops,
    apply_material_op,
    detect_faces,
    sample_op,
)

ALL_OPS = sorted(set(get_args(TextureOpName)) | set(get_args(ImageOpName)))


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return data.astronaut()


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    """A 128 px crop of a real photograph: structure, many colours, no face."""
    return np.ascontiguousarray(data.chelsea()[100:228, 150:278])


def _op(name: str, strength: float, seed: int = 5) -> PrivacyOp:
    return sample_op(name, strength, rng=np.random.default_rng(seed))


@pytest.mark.parametrize("name", ALL_OPS)
def test_same_seed_same_op_and_pixels(name, texture):
    """One seed and strength give one drawn operator and one output image."""
    first, second = _op(name, 0.7), _op(name, 0.7)
    assert first == second
    assert np.array_equal(apply_image_ops(texture, [first]), apply_image_ops(texture, [second]))


@pytest.mark.parametrize("name", ALL_OPS)
def test_strength_zero_is_identity(name, texture, astronaut):
    """At strength 0 no operator changes a pixel."""
    for image in (texture, astronaut):
        assert np.array_equal(apply_image_ops(image, [_op(name, 0.0)]), image)


@pytest.mark.parametrize("name", ["hue_shift", "color_jitter", "pixel_noise", "patch_shuffle"])
def test_seed_changes_the_draw(name):
    """Operators that draw something draw differently under another seed."""
    assert _op(name, 0.8, seed=1) != _op(name, 0.8, seed=2)


@pytest.mark.parametrize("name", ALL_OPS)
def test_ops_round_trip_through_json(name):
    """A recorded operator reads back equal from the graph's JSON."""
    adapter = TypeAdapter(PrivacyOp)
    op = _op(name, 0.4)
    assert adapter.validate_json(adapter.dump_json(op)) == op


@pytest.mark.parametrize("name", ["face_blur", "face_pixelate"])
def test_face_ops_remove_detectable_faces(name, astronaut):
    """The astronaut's face is found before (by the audit's detector too) and by neither after strength 1."""
    assert audit_faces(astronaut) and detect_faces(astronaut)
    out = apply_image_ops(astronaut, [_op(name, 1.0)])
    assert audit_faces(out) == [] and detect_faces(out) == []
    changed = np.any(out != astronaut, axis=2)
    left, top, right, bottom = detect_faces(astronaut)[0]
    assert changed[top:bottom, left:right].mean() > 0.9
    assert changed.mean() < 0.3  # the rest of the image stays as it was


def test_face_ops_leave_an_image_without_faces_alone(texture):
    """No face detected: nothing to blur."""
    assert np.array_equal(apply_image_ops(texture, [_op("face_blur", 1.0)]), texture)


def test_small_texture_faces_are_found():
    """A face of ~45 px in a 128 px texture is still found (upsampled search) and then blurred away."""
    small = cv2.resize(data.astronaut(), (128, 128), interpolation=cv2.INTER_AREA)
    assert detect_faces(small)
    assert detect_faces(apply_image_ops(small, [_op("face_blur", 1.0)])) == []


@pytest.mark.parametrize("strength", [0.25, 1.0])
def test_patch_shuffle_keeps_colours_and_destroys_layout(strength, astronaut):
    """Same pixel values (histogram per channel) in a different layout: low correlation, far pHash."""
    out = apply_image_ops(astronaut, [_op("patch_shuffle", strength)])
    for channel in range(3):
        assert np.array_equal(
            np.sort(out[..., channel], axis=None), np.sort(astronaut[..., channel], axis=None)
        )
    correlation = np.corrcoef(to_gray(out).ravel(), to_gray(astronaut).ravel())[0, 1]
    assert correlation < 0.5
    assert matching_bits(phash(to_gray(out)), phash(to_gray(astronaut))) < 48  # of 64: unrelated images


def test_default_flagged_chain_leaves_no_face(astronaut):
    """Big tiles can carry a whole face; the default chain for flagged textures blurs faces first."""
    params = PrivacyParams()
    rng = np.random.default_rng(0)
    chain = [sample_op(name, params.flagged_strength, rng=rng) for name in params.flagged]
    assert audit_faces(apply_image_ops(astronaut, [_op("patch_shuffle", 1.0)])) == []
    assert audit_faces(apply_image_ops(astronaut, chain)) == []


def test_patch_shuffle_moves_every_tile_and_stronger_is_finer(astronaut):
    """No tile stays in place; more strength cuts smaller tiles, so more seams (edge energy)."""
    edges = lambda image: np.abs(np.diff(to_gray(image), axis=1)).mean()  # noqa: E731
    weak = apply_image_ops(astronaut, [_op("patch_shuffle", 0.2)])  # 5 x 5 tiles of 102 px
    strong = apply_image_ops(astronaut, [_op("patch_shuffle", 1.0)])  # 16 x 16 tiles of 32 px
    for out, tile in ((weak, 102), (strong, 32)):
        cells = 512 // tile
        for row in range(cells):
            for col in range(cells):
                box = np.s_[row * tile : (row + 1) * tile, col * tile : (col + 1) * tile]
                assert not np.array_equal(out[box], astronaut[box])
    assert edges(astronaut) < edges(weak) < edges(strong)


def test_stylize_flattens_colours_but_keeps_layout(texture):
    """Posterized: far fewer distinct colours, yet the picture is where it was."""
    out = apply_image_ops(texture, [_op("stylize", 1.0)])
    colours = lambda image: len(np.unique(image.reshape(-1, 3), axis=0))  # noqa: E731
    assert colours(out) < colours(texture) / 10
    assert np.corrcoef(to_gray(out).ravel(), to_gray(texture).ravel())[0, 1] > 0.7


def test_hue_shift_rotates_hue_of_images_and_materials():
    """A pure red turns cyan at half a turn, in a texture and in a material alike."""
    red = np.zeros((8, 8, 3), np.uint8)
    red[..., 0] = 200
    op = _op("hue_shift", 1.0).model_copy(update={"hue": 0.5, "saturation": 1.0, "value": 1.0})
    assert apply_image_ops(red, [op])[0, 0].tolist() == [0, 200, 200]
    shifted = apply_material_op(Material(base_color=(0.8, 0.0, 0.0), roughness=0.5, metallic=0.0), op)
    assert shifted.base_color == pytest.approx((0.0, 0.8, 0.8))
    assert (shifted.roughness, shifted.metallic) == (0.5, 0.0)


def test_hue_shift_scales_with_strength():
    """|hue| is half a turn times strength; saturation and value stay within their strength bounds."""
    for strength in (0.2, 0.6, 1.0):
        op = _op("hue_shift", strength)
        assert abs(op.hue) == pytest.approx(0.5 * strength)
        assert abs(op.saturation - 1) <= 0.5 * strength and abs(op.value - 1) <= 0.3 * strength


def test_material_shift_keeps_colour_valid():
    """A shifted colour stays in [0, 1] even where saturation or value scale up."""
    for seed in range(20):
        op = _op("hue_shift", 1.0, seed)
        colour = apply_material_op(Material(base_color=(0.9, 0.95, 0.1), roughness=0.3, metallic=0.1), op)
        assert all(0.0 <= c <= 1.0 for c in colour.base_color)
        hue = colorsys.rgb_to_hsv(*colour.base_color)[0]
        assert hue == pytest.approx((colorsys.rgb_to_hsv(0.9, 0.95, 0.1)[0] + op.hue) % 1.0, abs=1e-3)


def test_post_render_ops_grow_with_strength(texture):
    """Colour jitter and pixel noise move pixels more at higher strength."""
    for name in ("color_jitter", "pixel_noise"):
        moved = [
            np.abs(apply_image_ops(texture, [_op(name, s)]).astype(int) - texture).mean() for s in (0.2, 1.0)
        ]
        assert 0 < moved[0] < moved[1]


def test_pixel_noise_sigma_matches_strength():
    """On flat grey, noise at strength 0.5 spreads about 6 grey levels."""
    flat = np.full((64, 64, 3), 128, np.uint8)
    assert 5.0 < apply_image_ops(flat, [_op("pixel_noise", 0.5)]).astype(float).std() < 7.0


def test_anonymized_texture_file_keeps_alpha_and_size(tmp_path, astronaut):
    """A texture file with alpha is rewritten with its alpha and size, faces gone."""
    rgba = np.dstack(
        [astronaut, np.linspace(0, 255, astronaut.shape[1], dtype=np.uint8)[None].repeat(512, 0)]
    )
    source = tmp_path / "poster.png"
    cv2.imwrite(str(source), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA))
    target = anonymize_texture_file(source, tmp_path / "out.png", [_op("face_blur", 1.0)])
    out = cv2.cvtColor(cv2.imread(str(target), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA)
    assert out.shape == rgba.shape and np.array_equal(out[..., 3], rgba[..., 3])
    assert detect_faces(np.ascontiguousarray(out[..., :3])) == []


def test_strength_schedule_rises_per_attempt_and_caps():
    """Attempt a gets base + step * a, never above 1."""
    params = PrivacyParams(strength=0.1, step=0.3)
    assert [params.strength_at(a) for a in range(5)] == [0.1, 0.4, 0.7, 1.0, 1.0]
    assert PrivacyParams().strength_at(0) == 0.0


def test_flagged_textures_need_an_anonymizing_op():
    """Recolouring alone is refused for textures that show people; the message names the choices."""
    with pytest.raises(ValidationError, match="need one of face_blur, face_pixelate, patch_shuffle"):
        PrivacyParams(flagged=("hue_shift",))
    with pytest.raises(ValidationError):
        PrivacyParams(flagged_strength=0.0)


def test_image_ops_accept_only_frame_operators():
    """Face and patch operators are texture operators; the frame list refuses them."""
    with pytest.raises(ValidationError):
        PrivacyParams(image=("patch_shuffle",))
    node = PrivacyNode(strength=0.5, image=(_op("pixel_noise", 0.5),))
    assert PrivacyNode.model_validate_json(node.model_dump_json()) == node
