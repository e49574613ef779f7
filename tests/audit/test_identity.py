"""Tests for face identity embeddings and the auditor's face signal (the astronaut photo)."""

import cv2
import numpy as np
import pytest

from simulacra.audit import Auditor, ReferenceIndex
from simulacra.audit.calibration import tabletop
from simulacra.audit.identity import FaceEmbedder, model_dir


def _astronaut_face(photos: dict) -> np.ndarray:
    """The astronaut's head and shoulders (her face is at about x 175-265, y 76-166)."""
    return photos["skimage:astronaut"][30:230, 120:320]


def _pasted(face: np.ndarray, *, seed: int, angle: float, gain: float, quality: int) -> np.ndarray:
    """The face rotated, relit and pasted into a synthetic scene, then JPEG-compressed."""
    scene = tabletop(np.random.default_rng([seed, 7]), size=384).rgb.copy()
    h, w = face.shape[:2]
    turned = cv2.warpAffine(
        face, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h), borderMode=cv2.BORDER_REFLECT
    )
    lit = np.clip(turned.astype(np.float32) * gain + 10, 0, 255).astype(np.uint8)
    small = cv2.resize(lit, None, fx=0.7, fy=0.7, interpolation=cv2.INTER_AREA)
    y, x = 40, 150
    scene[y : y + small.shape[0], x : x + small.shape[1]] = small
    _, data = cv2.imencode(".jpg", scene, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(data, cv2.IMREAD_UNCHANGED)


def test_model_files_are_found_without_importing_the_package() -> None:
    """The dlib model files are located through the package's import spec."""
    assert (model_dir() / "dlib_face_recognition_resnet_model_v1.dat").is_file()


def test_index_keeps_the_astronauts_face_embedding(demo_index: ReferenceIndex) -> None:
    """The people's faces are embedded at build time (the astronaut, the cameraman); the rest have none."""
    embeddings, owners = demo_index.faces()
    assert {demo_index.reference(int(i)).id for i in owners} == {"skimage:astronaut", "skimage:camera"}
    assert embeddings.shape == (len(owners), 128)
    assert np.all(np.isfinite(embeddings))


@pytest.mark.parametrize(
    ("seed", "angle", "gain", "quality"), [(0, 0.0, 1.0, 90), (1, 10.0, 0.7, 40), (2, -12.0, 1.2, 30)]
)
def test_face_pasted_into_a_render_is_found(
    auditor: Auditor, photos: dict, seed: int, angle: float, gain: float, quality: int
) -> None:
    """A rotated, relit, JPEG'd crop of the astronaut's face inside a scene fires the face signal."""
    verdict = auditor.audit(
        _pasted(_astronaut_face(photos), seed=seed, angle=angle, gain=gain, quality=quality)
    )
    face = verdict.signals["face"]
    assert face.fired and face.reference == "skimage:astronaut"
    assert verdict.verdict == "reject"
    if verdict.signal == "face":
        x0, y0, x1, y1 = verdict.region
        assert 150 <= x0 < x1 <= 300 and 40 <= y0 < y1 <= 200


def test_face_free_images_score_zero(auditor: Auditor, photos: dict) -> None:
    """No face in the output: the face signal scores 0 and names no reference."""
    face = auditor.audit(photos["skimage:coffee"]).signals["face"]
    assert face.score == 0.0 and face.reference is None and not face.fired


def test_mirrored_face_keeps_its_identity(photos: dict) -> None:
    """Embeddings of the face and its mirror image are within dlib's 0.6 bound."""
    embedder = FaceEmbedder()
    face = _astronaut_face(photos)
    (plain,), (mirror,) = embedder.faces(face), embedder.faces(np.ascontiguousarray(face[:, ::-1]))
    assert np.linalg.norm(plain.embedding - mirror.embedding) < 0.6


def test_face_distance_threshold_is_used(demo_index: ReferenceIndex, photos: dict) -> None:
    """A stricter face_distance stops the face signal on a degraded face."""
    strict = Auditor(demo_index, demo_index.thresholds.model_copy(update={"face_distance": 0.01}))
    image = _pasted(_astronaut_face(photos), seed=1, angle=10.0, gain=0.7, quality=40)
    face = strict.audit(image).signals["face"]
    assert face.threshold == pytest.approx(0.99) and not face.fired
