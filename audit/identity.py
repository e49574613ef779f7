"""Face identity embeddings: is the person in this output someone in the references?

The other signals find a *photo*; this one finds a *person*, in whatever picture of
them a render ends up containing. Faces are found from ~20 px
(:mod:`simulacra.audit.faces`), resampled so the face is 150 px (landmarks on a 24 px
face are too coarse), aligned with dlib's 5-point landmark model and embedded with
dlib's ResNet face recognition model (128-d; two photos of one person are usually
within euclidean distance 0.6). Faces under 48 px are embedded as the mean of the
aligned chip's and its mirror image's embeddings: it steadies the embedding where
pixels are few (recall at 20-24 px under JPEG or blur), for ~65-90 ms more per face,
which large faces do not need. A face found in an output is kept only when dlib's CNN
face detector (MMOD) also finds it, on a crop where the face is 80 px (then 120 px): the
HOG and cascade detectors took a sphere beside a wine glass in a clean render for a 72 px
face, whose embedding lay 0.50 from the astronaut's; the CNN finds no face there, and
confirmed the small faces of the face benchmark (BENCHMARKS.md). References are not
confirmed: their faces are searched only by confirmed output faces, and describing
stays cheaper. The models ship inside the
``face_recognition_models`` package; nothing is downloaded. That package is not
imported (it imports ``pkg_resources``, gone from current setuptools): its files are
located through its import spec.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.audit.faces import MIN_FACE_PX, SEARCH_SIDE, FaceBox, detect_faces, zoomed_crop
from simulacra.errors import MissingDependency

EMBEDDING_NAME = "dlib-resnet-v1-5pt"
EMBEDDING_VERSION = 2  # 2: face resampled to 150 px; small faces averaged with their mirror image
EMBEDDING_DIM = 128
_FACE_SIDE = 150  # faces are resampled to this side before landmarks: dlib's chip size
_MARGIN = 0.5  # context kept around a face for the landmarks, per side, in face sides
_MIRRORED_BELOW = 48  # faces with a shorter side under this many px are averaged with their mirror
_CONFIRM_SIDES = (80, 120)  # face side in the crop the CNN detector confirms on; the second on a miss
_CONFIRM_MARGIN = 0.6  # context around a face for the CNN, per side, in face sides
_LANDMARKS = "shape_predictor_5_face_landmarks.dat"
_RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"
_DETECTOR = "mmod_human_face_detector.dat"


def model_dir() -> Path:
    """Folder holding dlib's model files inside ``face_recognition_models``.

    Raises:
        MissingDependency: the package or one of its model files is missing.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency("face identity needs the face_recognition_models package")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    for name in (_LANDMARKS, _RECOGNITION, _DETECTOR):
        if not (folder / name).is_file():
            raise MissingDependency(
                f"{folder / name}: face model file missing", hint="reinstall face_recognition_models"
            )
    return folder


@dataclass(frozen=True)
class Face:
    """One detected face and its identity embedding (unit-free, 128 float32)."""

    box: FaceBox
    embedding: np.ndarray


class FaceEmbedder:
    """Detects faces and embeds them; the dlib models load on first use (~0.1 s).

    Example:
        >>> faces = FaceEmbedder().faces(rgb)
        >>> [f.embedding.shape for f in faces]
        [(128,)]
    """

    def __init__(self) -> None:
        self._models: tuple[Any, Any, Any] | None = None
        # dlib's network keeps its activations in the model: one face at a time per embedder.
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any, Any]:
        if self._models is None:
            try:
                import dlib
            except ImportError as err:
                raise MissingDependency(f"face identity needs dlib ({err})") from None
            folder = model_dir()
            self._models = (
                dlib.shape_predictor(str(folder / _LANDMARKS)),
                dlib.face_recognition_model_v1(str(folder / _RECOGNITION)),
                dlib.cnn_face_detection_model_v1(str(folder / _DETECTOR)),
            )
        return self._models

    def faces(
        self,
        image: np.ndarray,
        *,
        min_face: int = MIN_FACE_PX,
        search_side: int = SEARCH_SIDE,
        confirm: bool = True,
    ) -> list[Face]:
        """Every face in an ``HxW``, ``HxWx3`` or ``HxWx4`` uint8 image (sizes: :func:`detect_faces`).

        With ``confirm``, only faces that the CNN detector finds too.
        """
        rgb = np.repeat(image[..., None], 3, 2) if image.ndim == 2 else image[..., :3]
        rgb = np.ascontiguousarray(rgb)
        boxes = detect_faces(rgb, min_face=min_face, search_side=search_side)
        if confirm:
            boxes = [box for box in boxes if self._confirmed(rgb, box)]
        return [Face(box, self._embedding(rgb, box)) for box in boxes]

    def _confirmed(self, rgb: np.ndarray, box: FaceBox) -> bool:
        """Whether the CNN detector finds a face centred inside ``box``, on a crop around it."""
        detector = self._load()[2]
        side = max(box.right - box.left, box.bottom - box.top)
        for face_side in _CONFIRM_SIDES:
            crop, (x0, y0), zoom = zoomed_crop(
                rgb, (box.left, box.top, box.right, box.bottom), _CONFIRM_MARGIN * side, face_side / side
            )
            with self._lock:
                found = [d.rect for d in detector(crop, 0)]
            for rect in found:
                x, y = x0 + rect.center().x / zoom, y0 + rect.center().y / zoom
                if box.left <= x <= box.right and box.top <= y <= box.bottom:
                    return True
        return False

    def _embedding(self, rgb: np.ndarray, box: FaceBox) -> np.ndarray:
        """The face resampled to 150 px with some context, aligned, embedded (small: with its mirror)."""
        import dlib

        landmarks, recognition, _ = self._load()
        side = max(box.right - box.left, box.bottom - box.top)
        crop, (x0, y0), zoom = zoomed_crop(
            rgb, (box.left, box.top, box.right, box.bottom), round(_MARGIN * side) + 2, _FACE_SIDE / side
        )
        rect = dlib.rectangle(
            round((box.left - x0) * zoom),
            round((box.top - y0) * zoom),
            round((box.right - x0) * zoom),
            round((box.bottom - y0) * zoom),
        )
        with self._lock:
            chip = dlib.get_face_chip(crop, landmarks(crop, rect), size=_FACE_SIDE, padding=0.25)
            plain = np.asarray(recognition.compute_face_descriptor(chip), np.float32)
            mirror = np.asarray(
                recognition.compute_face_descriptor(np.ascontiguousarray(chip[:, ::-1])), np.float32
            )
        return (plain + mirror) / 2
