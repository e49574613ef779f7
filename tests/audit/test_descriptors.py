"""Tests for the global descriptor, perceptual hash and keypoints."""

import cv2
import numpy as np
import pytest

from simulacra.audit import descriptors as desc


def test_global_descriptor_is_unit_length_and_small(photos: dict[str, np.ndarray]) -> None:
    """The global descriptor is an L2-normalized float32 vector of at most 1024 dims."""
    vector = desc.global_descriptor(desc.to_gray(photos["skimage:coffee"]))
    assert vector.dtype == np.float32 and vector.shape == (desc.GLOBAL_DIM,) and desc.GLOBAL_DIM <= 1024
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


def test_global_descriptor_ignores_lighting_but_not_content(photos: dict[str, np.ndarray]) -> None:
    """Darkening, a shading ramp and blur keep cosine near 1; another photo scores far lower."""
    gray = desc.to_gray(photos["skimage:chelsea"])
    ramp = np.linspace(0.6, 1.0, gray.shape[1])[None, :]
    relit = cv2.GaussianBlur(gray * 0.5 * ramp + 10, (0, 0), 1.5)
    same = desc.global_descriptor(gray) @ desc.global_descriptor(relit.astype(np.float32))
    other = desc.global_descriptor(gray) @ desc.global_descriptor(desc.to_gray(photos["skimage:coffee"]))
    assert same > 0.9 > 0.5 > other


def test_phash_matches_copies_and_not_other_images(photos: dict[str, np.ndarray]) -> None:
    """A JPEG re-encode keeps nearly all 64 hash bits; an unrelated photo agrees on about half."""
    rgb = photos["skimage:astronaut"]
    _, data = cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, 40])
    copy = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    original = desc.phash(desc.to_gray(rgb))
    assert desc.matching_bits(original, desc.phash(desc.to_gray(copy))) >= 60
    assert desc.matching_bits(original, desc.phash(desc.to_gray(photos["skimage:rocket"]))) < 48


def test_keypoints_are_rootsift_with_geometry(photos: dict[str, np.ndarray]) -> None:
    """Keypoints come with x, y, size, angle rows and unit-length 128-d descriptors."""
    geometry, descriptors = desc.keypoints(desc.to_gray(photos["skimage:camera"]), 300)
    assert geometry.shape[1] == 4 and descriptors.shape == (len(geometry), 128) and len(geometry) > 50
    assert np.allclose(np.linalg.norm(descriptors, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((32, 32, 3), np.float32), "uint8"),
        (np.zeros((32, 32, 2), np.uint8), "shape"),
        (np.zeros((4, 32, 3), np.uint8), "too small"),
        ([[0, 1]], "uint8"),
    ],
)
def test_to_gray_refuses_non_images(image: object, message: str) -> None:
    """Arrays that are not uint8 images raise ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=message):
        desc.to_gray(image)  # type: ignore[arg-type]


def test_mirrored_keypoints_match_sift_on_the_mirrored_image(photos: dict) -> None:
    """The permuted descriptors equal what SIFT computes on the flipped pixels, at matched keypoints."""
    gray = cv2.resize(desc.to_gray(photos["skimage:astronaut"]), (256, 256))
    geometry, keypoints = desc.keypoints(gray, 800)
    mirrored, permuted = desc.mirror_keypoints(geometry, keypoints, gray.shape[1])
    found, computed = desc.keypoints(np.ascontiguousarray(gray[:, ::-1]), 800)
    position = np.linalg.norm(mirrored[:, None, :2] - found[None, :, :2], axis=2)
    turn = np.abs((mirrored[:, None, 3] - found[None, :, 3] + np.pi) % (2 * np.pi) - np.pi)
    cost = position + 10 * (turn > np.deg2rad(3))
    pairs = np.flatnonzero(cost.min(axis=1) < 0.5)
    assert len(pairs) > 100
    cosines = np.sum(permuted[pairs] * computed[cost[pairs].argmin(axis=1)], axis=1)
    assert np.median(cosines) > 0.99


def test_keypoint_and_global_codes_are_four_bit_and_keep_the_rows(photos: dict[str, np.ndarray]) -> None:
    """Stored codes take half a byte a component and decode to rows close to the exact ones."""
    gray = desc.to_gray(photos["skimage:astronaut"])
    _, rows = desc.keypoints(gray, 300)
    codes = desc.quantize_keypoints(rows)
    assert codes.shape == (len(rows), desc.KEYPOINT_BYTES) and codes.dtype == np.uint8
    cosines = np.einsum("nd,nd->n", desc.dequantize_keypoints(codes), rows)
    assert cosines.min() > 0.95 and cosines.mean() > 0.98
    whole = np.stack([desc.global_descriptor(gray), desc.global_descriptor(gray[::-1])])
    packed, scale = desc.quantize_global(whole)
    assert packed.shape == (2, desc.GLOBAL_DIM // 2)
    assert np.einsum("nd,nd->n", desc.dequantize_global(packed, scale), whole).min() > 0.95
