"""Tests for the face detector from ~20 px and the identity of small and turned faces."""

from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest
import skimage.data

from simulacra.audit.calibration import tabletop
from simulacra.audit.faces import FaceBox, detect_faces
from simulacra.audit.identity import FaceEmbedder
from simulacra.audit.thresholds import Thresholds

ASTRONAUT_FACE = (177, 80, 266, 169)  # dlib's box on skimage's astronaut photo, about 90 px


@pytest.fixture(scope="module")
def embedder() -> FaceEmbedder:
    return FaceEmbedder()


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return skimage.data.astronaut()


@pytest.fixture(scope="module")
def astronaut_reference(embedder: FaceEmbedder, astronaut: np.ndarray) -> np.ndarray:
    (face,) = embedder.faces(astronaut)
    return face.embedding


def _turned(rgb: np.ndarray, degrees: float) -> np.ndarray:
    """The picture seen turned about its vertical axis: narrower, its far edge shorter."""
    h, w = rgb.shape[:2]
    narrow, shrink = w * np.cos(np.radians(degrees)), 0.25 * np.sin(np.radians(degrees)) * h
    x0, x1 = (w - narrow) / 2, (w + narrow) / 2
    quad = np.float32([[x0, 0], [x1, shrink], [x1, h - shrink], [x0, h]])
    warp = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), quad)
    return cv2.warpPerspective(rgb, warp, (w, h), borderMode=cv2.BORDER_REPLICATE)


def _pasted(photo: np.ndarray, side: int, *, seed: int, yaw: float = 0.0, mirror: bool = False) -> np.ndarray:
    """The astronaut's head, scaled so her face is ``side`` px, pasted on a synthetic scene's wall."""
    left, top, right, bottom = ASTRONAUT_FACE
    grow = round(0.6 * (right - left))
    head = photo[top - grow : bottom + grow, left - grow : right + grow]
    head = np.ascontiguousarray(head[:, ::-1]) if mirror else head
    head = _turned(head, yaw) if yaw else head
    zoom = side / (right - left)
    head = cv2.resize(head, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_AREA)
    scene = tabletop(np.random.default_rng([seed, 3]), size=256).rgb.copy()
    scene[20 : 20 + head.shape[0], 60 : 60 + head.shape[1]] = head
    return scene


def _inside_paste(box: FaceBox, side: int) -> bool:
    grow = 0.6 * 90 * side / 89
    return (
        60 <= box.left < box.right <= 60 + side + 2 * grow
        and 20 <= box.top < box.bottom <= 20 + side + 2 * grow
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_a_24_px_face_is_found_and_matches_its_person(
    embedder: FaceEmbedder, astronaut: np.ndarray, astronaut_reference: np.ndarray, seed: int
) -> None:
    """Her face at 24 px in a scene is found where it was pasted and matches her within the threshold."""
    faces = embedder.faces(_pasted(astronaut, 24, seed=seed))
    assert len(faces) == 1 and _inside_paste(faces[0].box, 24)
    assert np.linalg.norm(faces[0].embedding - astronaut_reference) < Thresholds().face_distance - 0.05


def test_a_mirrored_small_face_keeps_its_identity(
    embedder: FaceEmbedder, astronaut: np.ndarray, astronaut_reference: np.ndarray
) -> None:
    """A mirrored copy of the face at 32 px still matches the unmirrored reference."""
    (face,) = embedder.faces(_pasted(astronaut, 32, seed=2, mirror=True))
    assert np.linalg.norm(face.embedding - astronaut_reference) < Thresholds().face_distance - 0.05


def test_a_face_turned_40_degrees_is_found(
    embedder: FaceEmbedder, astronaut: np.ndarray, astronaut_reference: np.ndarray
) -> None:
    """A 32 px face perspective-warped by 40 degrees of yaw is found and still matches."""
    (face,) = embedder.faces(_pasted(astronaut, 32, seed=4, yaw=40.0))
    assert _inside_paste(face.box, 32)
    assert np.linalg.norm(face.embedding - astronaut_reference) < Thresholds().face_distance


@pytest.mark.parametrize("side", [48, 64])
def test_a_face_found_on_a_halved_copy_is_boxed_where_and_as_large_as_it_is(
    astronaut: np.ndarray, side: int
) -> None:
    """Faces over twice a cascade's window are looked for on halved copies; their boxes map back."""
    (box,) = detect_faces(_pasted(astronaut, side, seed=5))
    assert _inside_paste(box, side)
    assert 0.75 * side <= box.right - box.left <= 1.35 * side


@pytest.mark.parametrize("seed", range(4))
def test_a_clean_synthetic_scene_has_no_face(seed: int) -> None:
    """Tables, primitives and shading are not faces, at 256 and 512 px."""
    assert detect_faces(tabletop(np.random.default_rng([seed, 9]), size=256).rgb) == []
    assert detect_faces(tabletop(np.random.default_rng([seed, 9]), size=512).rgb) == []


def test_large_images_are_searched_at_a_bounded_size(astronaut: np.ndarray) -> None:
    """A 2048 px copy is searched at 1024 px; the box comes back in the 2048 px image's pixels."""
    big = cv2.resize(astronaut, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    assert any(
        abs(box.left - 4 * ASTRONAUT_FACE[0]) < 40 and abs(box.bottom - 4 * ASTRONAUT_FACE[3]) < 40
        for box in detect_faces(big)
    )


def test_grace_hopper_is_not_the_astronaut(embedder: FaceEmbedder, astronaut_reference: np.ndarray) -> None:
    """Two different people stay apart beyond the face threshold."""
    path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    hopper = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    (face,) = embedder.faces(hopper)
    assert np.linalg.norm(face.embedding - astronaut_reference) > Thresholds().face_distance + 0.03


def test_non_rgb_input_is_refused() -> None:
    """A float or single-channel array is named in the error, not silently misread."""
    with pytest.raises(ValueError, match="HxWx3 uint8"):
        detect_faces(np.zeros((64, 64), np.float32))


def test_a_face_shape_the_cnn_does_not_confirm_is_not_a_face(embedder: FaceEmbedder) -> None:
    """A clean Blender render (leakage bench, job seed 4100, image 340) where a sphere beside a
    wine glass passes the HOG detector as a 72 px face: the CNN detector does not confirm it."""
    path = Path(__file__).parent / "data" / "clean_render_not_a_face.png"
    rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert len(detect_faces(rgb)) == 1
    assert embedder.faces(rgb, confirm=False) and embedder.faces(rgb) == []
