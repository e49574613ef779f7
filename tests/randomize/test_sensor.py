"""Sensor effects: each moves pixels the expected way, deterministically, in a fixed order."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from simulacra.randomize import SENSOR_ORDER, SensorEffect, SensorParams, apply_sensor, sample_sensor
from simulacra.randomize.sensor import Blur, ChromaticAberration, Exposure, Jpeg, Noise, Vignetting


def _scene(size: int = 64) -> np.ndarray:
    """A textured test card: mid-grey with a bright square and a checkerboard patch."""
    rgb = np.full((size, size, 3), 110, np.uint8)
    rgb[16:48, 16:48] = 200
    checker = (np.indices((16, 16)).sum(axis=0) % 2 * 120 + 60).astype(np.uint8)
    rgb[40:56, 4:20] = checker[..., None]
    return rgb


def _high_frequency(rgb: np.ndarray) -> float:
    grey = rgb.astype(float).mean(axis=2)
    return float((np.diff(grey, axis=0) ** 2).sum() + (np.diff(grey, axis=1) ** 2).sum())


def test_noise_raises_variance_of_a_flat_image():
    """Gaussian noise on a flat grey frame gives roughly sigma grey levels of spread."""
    flat = np.full((64, 64, 3), 128, np.uint8)
    out = apply_sensor(flat, [Noise(sigma=5.0)], seed=3)
    assert flat.std() == 0 and 4.0 < out.astype(float).std() < 6.0


def test_blur_lowers_high_frequency_energy():
    """Blur smooths edges: less energy in pixel-to-pixel differences."""
    rgb = _scene()
    assert _high_frequency(apply_sensor(rgb, [Blur(sigma=1.5)], seed=0)) < 0.5 * _high_frequency(rgb)


def test_vignetting_darkens_corners_more_than_centre():
    """A flat frame stays bright in the middle and loses about ``strength`` in the corners."""
    out = apply_sensor(np.full((65, 65, 3), 200, np.uint8), [Vignetting(strength=0.5)], seed=0).astype(float)
    assert out[32, 32].mean() == 200
    assert out[0, 0].mean() == pytest.approx(100, abs=1) and out[0, 0].mean() < out[16, 16].mean() < 200


def test_exposure_plus_one_ev_brightens_and_minus_darkens():
    """+1 EV doubles linear light (brighter, clipped at 255); -1 EV darkens."""
    rgb = _scene()
    brighter = apply_sensor(rgb, [Exposure(ev=1.0)], seed=0).astype(float)
    darker = apply_sensor(rgb, [Exposure(ev=-1.0)], seed=0).astype(float)
    assert darker.mean() < rgb.mean() < brighter.mean()
    assert apply_sensor(rgb, [Exposure(ev=0.0)], seed=0).tolist() == rgb.tolist()


def test_low_jpeg_quality_differs_more_than_high():
    """JPEG q=5 loses more than q=95, and both change a textured frame."""
    rgb = _scene()
    low = np.abs(apply_sensor(rgb, [Jpeg(quality=5)], seed=0).astype(int) - rgb).mean()
    high = np.abs(apply_sensor(rgb, [Jpeg(quality=95)], seed=0).astype(int) - rgb).mean()
    assert low > high and low > 0


def test_chromatic_aberration_moves_red_outward_and_blue_inward():
    """Right of centre, a white bar's red edge lies further out than its blue edge."""
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[:, 40:52] = 255
    out = apply_sensor(rgb, [ChromaticAberration(shift_px=3.0)], seed=0).astype(float)
    row = out[32]
    assert row[52:56, 0].sum() > row[52:56, 2].sum()  # red spills past the outer edge
    assert row[52:56, 2].sum() < 1  # blue pulls in
    assert np.array_equal(out[:, :, 1], rgb[:, :, 1])  # green is the reference channel


def test_same_effects_and_seed_give_same_pixels_other_seed_other_noise():
    """Replaying a graph's effects with its seed is exact; only noise depends on the seed."""
    rgb = _scene()
    effects = [Blur(sigma=0.8), Noise(sigma=4.0), Jpeg(quality=70)]
    assert np.array_equal(apply_sensor(rgb, effects, seed=11), apply_sensor(rgb, effects, seed=11))
    assert not np.array_equal(apply_sensor(rgb, effects, seed=11), apply_sensor(rgb, effects, seed=12))
    blur = [Blur(sigma=0.8)]
    assert np.array_equal(apply_sensor(rgb, blur, seed=1), apply_sensor(rgb, blur, seed=2))


def test_composition_order_is_fixed_whatever_the_list_order():
    """Effects apply in SENSOR_ORDER: a shuffled list gives the same pixels, and order matters."""
    rgb = _scene()
    effects = [
        ChromaticAberration(shift_px=1.0),
        Blur(sigma=1.0),
        Vignetting(strength=0.3),
        Exposure(ev=0.5),
        Noise(sigma=3.0),
        Jpeg(quality=60),
    ]
    assert [e.effect for e in effects] == list(SENSOR_ORDER)
    expected = apply_sensor(rgb, effects, seed=5)
    assert np.array_equal(apply_sensor(rgb, effects[::-1], seed=5), expected)
    jpeg_first = apply_sensor(apply_sensor(rgb, [effects[-1]], seed=5), effects[:-1], seed=5)
    assert not np.array_equal(jpeg_first, expected)


def test_no_effects_returns_the_frame_and_bad_frames_are_named():
    """An empty list changes nothing; a float frame is refused with its dtype and shape."""
    rgb = _scene()
    assert apply_sensor(rgb, (), seed=0) is rgb
    with pytest.raises(ValueError, match="expected uint8"):
        apply_sensor(rgb.astype(float), [Blur(sigma=1.0)], seed=0)


def test_sampling_is_seeded_ordered_and_respects_probability():
    """Same generator state, same draws; probability 0 never applies; absent effects draw nothing."""
    params = SensorParams.model_validate(
        {"jpeg": {"quality_range": [40, 60]}, "noise": {"sigma_range": [1, 2]}, "blur": {"probability": 0.0}}
    )
    first = sample_sensor(params, rng=np.random.default_rng(4))
    assert first == sample_sensor(params, rng=np.random.default_rng(4))
    assert [e.effect for e in first] == ["noise", "jpeg"]
    assert 1 <= first[0].sigma <= 2 and 40 <= first[1].quality <= 60
    rng = np.random.default_rng(4)
    assert sample_sensor(SensorParams(), rng=rng) == () and rng.random() == np.random.default_rng(4).random()


def test_params_and_applied_effects_round_trip():
    """A spec's sensor block dumps without absent effects and loads back equal; effects round-trip too."""
    strength = {"kind": "uniform", "low": 0, "high": 1}
    params = SensorParams.model_validate({"vignetting": {"strength_range": strength}})
    dumped = params.model_dump(mode="json")
    assert dumped == {"vignetting": {"probability": 1.0, "strength_range": [0.0, 1.0]}}
    assert SensorParams.model_validate(dumped) == params
    adapter = TypeAdapter(tuple[SensorEffect, ...])
    effects = (Noise(sigma=2.5), Jpeg(quality=80))
    assert adapter.validate_json(adapter.dump_json(effects)) == effects
