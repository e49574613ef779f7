"""Tests for the auditor: edited copies, planted posters, clean scenes, verdicts."""

import json

import numpy as np
import pytest

from simulacra.audit import Auditor, ReferenceIndex, Thresholds, Verdict
from simulacra.audit.calibration import EDITS, measure, report, tabletop

SCENES = 10  # planted scenes, each with a clean twin, plus as many procedural-poster scenes


@pytest.fixture(scope="module")
def results(auditor: Auditor, photos: dict[str, np.ndarray]) -> dict[str, list]:
    return measure(auditor, photos, scenes=SCENES, seed=0)


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


def test_margins_table(results: dict[str, list], auditor: Auditor) -> None:
    """Prints the measured score table (run with -s) and checks every signal's margins."""
    print("\n" + report(results, auditor))
    clean = results["clean"]
    planted = [v for _, _, v in results["planted"]]
    t = auditor.thresholds
    assert max(v.signals["region"].score for v in clean) <= t.region_inliers / 2
    assert min(v.signals["region"].score for v in planted) >= 2 * t.region_inliers
    assert max(v.signals["global"].score for v in clean) <= t.global_cosine - 0.15
    assert max(v.signals["phash"].score for v in clean) <= t.phash_bits - 6


def test_clean_scenes_pass(results: dict[str, list]) -> None:
    """Tabletop scenes without a photo (bare wall or a procedural texture poster) all pass."""
    assert len(results["clean"]) == 2 * SCENES
    assert [v for v in results["clean"] if v.verdict != "pass"] == []


def test_planted_posters_are_rejected_with_reference_and_region(results: dict[str, list]) -> None:
    """A relit, warped, partly occluded photo on the wall is rejected, named, and located."""
    assert len({name for name, _, _ in results["planted"]}) == 5
    for name, scene, verdict in results["planted"]:
        assert verdict.verdict == "reject" and verdict.signal == "region", (name, verdict)
        assert verdict.reference == name
        assert _iou(verdict.region, scene.poster_box) > 0.6, (name, verdict.region, scene.poster_box)


def test_edited_copies_are_rejected_with_reference(results: dict[str, list]) -> None:
    """Crops >= 60%, resizes, grayscale, jitter, blur, JPEG q40, thumbnails, mirrors are caught."""
    assert len(results["copies"]) == 5 * len(EDITS)
    wrong = [(name, edit, v.reference) for name, edit, v in results["copies"] if v.verdict != "reject"]
    wrong += [(name, edit, v.reference) for name, edit, v in results["copies"] if v.reference != name]
    assert wrong == []


def test_whole_image_copies_fire_every_signal(auditor: Auditor, photos: dict[str, np.ndarray]) -> None:
    """An unedited reference fires phash, global and region at once, the whole frame as region."""
    verdict = auditor.audit(photos["skimage:astronaut"], file="leak.png")
    assert all(s.fired and s.reference == "skimage:astronaut" for s in verdict.signals.values())
    assert verdict.file == "leak.png" and verdict.score >= 1.0


def test_verdict_json_roundtrip(results: dict[str, list]) -> None:
    """A verdict survives JSON and back unchanged, pass or reject."""
    for verdict in (results["clean"][0], results["planted"][0][2]):
        text = json.dumps(verdict.to_dict())
        assert Verdict.model_validate_json(text) == verdict
        assert Verdict.model_validate(json.loads(verdict.model_dump_json())) == verdict


def test_pass_verdict_has_no_region_and_score_below_one(results: dict[str, list]) -> None:
    """On pass there is no signal or region and the strongest evidence is under its threshold."""
    verdict = results["clean"][0]
    assert verdict.signal is None and verdict.region is None and verdict.score < 1.0


def test_thresholds_override_index_defaults(
    demo_index: ReferenceIndex, photos: dict[str, np.ndarray]
) -> None:
    """Thresholds passed to the Auditor replace the ones recorded in the index."""
    scene = tabletop(np.random.default_rng([0, 1, 0]), photos["skimage:astronaut"])
    assert Auditor(demo_index).audit(scene.rgb).verdict == "reject"
    strict = Thresholds(global_cosine=1.0, region_inliers=10_000, phash_bits=64, face_distance=0.01)
    assert Auditor(demo_index, thresholds=strict).audit(scene.rgb).verdict == "pass"


@pytest.mark.parametrize("shape", [(256, 256), (256, 256, 4)])
def test_gray_and_rgba_outputs_are_audited(auditor: Auditor, photos: dict, shape: tuple[int, ...]) -> None:
    """Grayscale and RGBA arrays are accepted; a reference in them is still found."""
    photo = photos["skimage:camera"][:256, :256, 0]
    image = (
        photo if len(shape) == 2 else np.dstack([np.repeat(photo[..., None], 3, 2), np.full(shape[:2], 255)])
    )
    assert auditor.audit(image.astype(np.uint8)).reference == "skimage:camera"


def test_bad_array_is_refused(auditor: Auditor) -> None:
    """A float image is a caller bug, reported as ValueError naming the dtype."""
    with pytest.raises(ValueError, match="uint8"):
        auditor.audit(np.zeros((64, 64, 3), np.float32))
