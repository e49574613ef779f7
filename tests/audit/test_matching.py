"""Tests for geometric verification of keypoint matches."""

import cv2
import numpy as np

from simulacra.audit.matching import MatchSettings, consistent, region_box, verify

FRAME = (200.0, 100.0)


def _homography() -> np.ndarray:
    """A plane turned a little, shrunk and moved, as a camera would see a poster."""
    corners = np.float32([[0, 0], [200, 0], [200, 100], [0, 100]])
    seen = np.float32([[40, 30], [150, 40], [148, 100], [42, 112]])
    return cv2.getPerspectiveTransform(corners, seen)


def _project(h: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Keypoints as the homography would show them: moved, rescaled, turned."""
    xy = cv2.perspectiveTransform(src[None, :, :2].astype(np.float64), h)[0]
    step = cv2.perspectiveTransform((src[None, :, :2] + [1e-3, 0]).astype(np.float64), h)[0] - xy
    rise = cv2.perspectiveTransform((src[None, :, :2] + [0, 1e-3]).astype(np.float64), h)[0] - xy
    scale = np.sqrt(np.abs(step[:, 0] * rise[:, 1] - step[:, 1] * rise[:, 0])) / 1e-3  # area scale
    turn = np.arctan2(step[:, 1], step[:, 0])
    return np.column_stack([xy, src[:, 2] * scale, src[:, 3] + turn]).astype(np.float32)


def _looks(n: int, seed: int = 0) -> np.ndarray:
    """Descriptors of ``n`` keypoints that look unlike each other, as a real picture's do."""
    rows = np.random.default_rng([7, seed]).uniform(0, 1, (n, 128)) ** 4
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_true_matches_are_consistent_and_shuffled_ones_are_not() -> None:
    """Keypoints moved by the homography agree with it; permuted partners do not."""
    rng = np.random.default_rng(0)
    src = np.column_stack(
        [rng.uniform(0, 200, 40), rng.uniform(0, 100, 40), rng.uniform(2, 8, 40), rng.uniform(-3, 3, 40)]
    )
    dst = _project(_homography(), src)
    assert consistent(_homography(), src, dst, MatchSettings()).all()
    assert consistent(_homography(), src, dst[rng.permutation(40)], MatchSettings()).sum() <= 2


def test_verify_recovers_the_placement_among_noise() -> None:
    """Twenty true matches among sixty random ones are found, and the outline's box is right."""
    rng = np.random.default_rng(1)
    src = np.column_stack(
        [rng.uniform(0, 200, 80), rng.uniform(0, 100, 80), rng.uniform(2, 8, 80), rng.uniform(-3, 3, 80)]
    )
    dst = _project(_homography(), src)
    noise = np.column_stack(
        [rng.uniform(0, 256, 60), rng.uniform(0, 256, 60), rng.uniform(1, 10, 60), rng.uniform(-3, 3, 60)]
    )
    dst[20:] = noise.astype(np.float32)
    match = verify(src.astype(np.float32), dst, _looks(80), FRAME, MatchSettings())
    assert match is not None and 18 <= match.inliers <= 22
    assert region_box(match, FRAME, (256, 256)) == [40, 30, 150, 112]


def test_mirror_image_outline_is_not_a_bow_tie() -> None:
    """A homography that folds the picture over itself is never accepted."""
    rng = np.random.default_rng(2)
    src = np.column_stack(
        [rng.uniform(0, 200, 30), rng.uniform(0, 100, 30), rng.uniform(2, 8, 30), rng.uniform(-3, 3, 30)]
    )
    bow_tie = cv2.getPerspectiveTransform(
        np.float32([[0, 0], [200, 0], [200, 100], [0, 100]]),
        np.float32([[40, 30], [150, 100], [150, 30], [40, 100]]),
    )
    assert verify(src.astype(np.float32), _project(bow_tie, src), _looks(30), FRAME, MatchSettings()) is None


def _rows(rng: np.random.Generator, n: int, width: float, height: float) -> np.ndarray:
    return np.column_stack(
        [rng.uniform(0, width, n), rng.uniform(0, height, n), rng.uniform(2, 8, n), rng.uniform(-3, 3, n)]
    ).astype(np.float32)


def test_matches_bunched_on_one_spot_of_the_picture_are_no_placement() -> None:
    """Consistent matches from a 6 px patch of the reference (repetitive texture) do not count."""
    rng = np.random.default_rng(3)
    bunched = _rows(rng, 12, 6.0, 6.0) + np.float32([90, 40, 0, 0])
    assert verify(bunched, _project(_homography(), bunched), _looks(12), FRAME, MatchSettings()) is None
    spread = _rows(rng, 12, 200.0, 100.0)
    match = verify(spread, _project(_homography(), spread), _looks(12), FRAME, MatchSettings())
    assert match is not None and match.inliers >= 10


def test_a_picture_foreshortened_past_grazing_is_no_placement() -> None:
    """A homography squashing the picture 6:1 (seen ~80 degrees off its normal) is refused; 3:1 is not."""
    rng = np.random.default_rng(4)
    src = _rows(rng, 30, 200.0, 100.0)
    corners = np.float32([[0, 0], [200, 0], [200, 100], [0, 100]])
    for squash, accepted in ((3.0, True), (6.0, False)):
        seen = np.float32([[20, 20], [20 + 200 / squash, 20], [20 + 200 / squash, 120], [20, 120]])
        dst = _project(cv2.getPerspectiveTransform(corners, seen), src)
        match = verify(src, dst, _looks(30), FRAME, MatchSettings())
        assert (match is not None) == accepted, squash


def test_matches_that_all_look_alike_are_a_lattice_not_a_placement() -> None:
    """Consistent matches whose output keypoints look alike (checker corners) do not count.

    The same geometry with distinct-looking keypoints is a placement.
    """
    rng = np.random.default_rng(5)
    src = _rows(rng, 12, 200.0, 100.0)
    dst = _project(_homography(), src)
    corner = _looks(1, seed=1)
    alike = corner + 0.2 * _looks(12, seed=2)  # one corner's look, a little noise: mean cosine 0.98
    alike /= np.linalg.norm(alike, axis=1, keepdims=True)
    assert verify(src, dst, alike, FRAME, MatchSettings()) is None
    assert verify(src, dst, alike, FRAME, MatchSettings(max_alike=1.0)) is not None
    match = verify(src, dst, _looks(12, seed=3), FRAME, MatchSettings())
    assert match is not None and match.inliers >= 10
