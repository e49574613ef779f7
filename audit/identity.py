"""Face identity embeddings: is the person in this output someone in the references?

The other signals find a *photo*; this one finds a *person*, in whatever picture of
them a render ends up containing. Faces are found with dlib's HOG frontal detector
(:mod:`simulacra.audit.faces`), aligned with dlib's 5-point landmark model and
embedded with dlib's ResNet face recognition model (128-d; two photos of one person
are usually within euclidean distance 0.6). The models ship inside the
``face_recognition_models`` package; nothing is downloaded. That package is not
imported (it imports ``pkg_resources``, gone from current setuptools): its files are
located through its import spec.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simulacra.audit.faces import FaceBox, detect_faces
from simulacra.errors import MissingDependency

EMBEDDING_NAME = "dlib-resnet-v1-5pt"
EMBEDDING_VERSION = 1
EMBEDDING_DIM = 128
_LANDMARKS = "shape_predictor_5_face_landmarks.dat"
_RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"


def model_dir() -> Path:
    """Folder holding dlib's model files inside ``face_recognition_models``.

    Raises:
        MissingDependency: the package or one of its model files is missing.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependency("face identity needs the face_recognition_models package")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    for name in (_LANDMARKS, _RECOGNITION):
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
        self._models: tuple[Any, Any] | None = None

    def _load(self) -> tuple[Any, Any]:
        if self._models is None:
            try:
                import dlib
            except ImportError as err:
                raise MissingDependency(f"face identity needs dlib ({err})") from None
            folder = model_dir()
            self._models = (
                dlib.shape_predictor(str(folder / _LANDMARKS)),
                dlib.face_recognition_model_v1(str(folder / _RECOGNITION)),
            )
        return self._models

    def faces(self, image: np.ndarray) -> list[Face]:
        """Every frontal face of at least ~40 px in an ``HxW``, ``HxWx3`` or ``HxWx4`` uint8 image."""
        import dlib

        rgb = np.repeat(image[..., None], 3, 2) if image.ndim == 2 else image[..., :3]
        rgb = np.ascontiguousarray(rgb)
        boxes = detect_faces(rgb)
        if not boxes:
            return []
        landmarks, recognition = self._load()
        found = []
        for box in boxes:
            shape = landmarks(rgb, dlib.rectangle(box.left, box.top, box.right, box.bottom))
            vector = np.asarray(recognition.compute_face_descriptor(rgb, shape), np.float32)
            found.append(Face(box, vector))
        return found
