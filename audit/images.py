"""Read untrusted image files safely: size from the header first, decode second.

A decompression bomb (a small file whose header claims gigapixels) is refused
before any pixel is decoded.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from simulacra.errors import AssetError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
MAX_PIXELS = 80_000_000


def header_size(path: Path | io.BytesIO, name: Path | str | None = None) -> tuple[int, int]:
    """Width and height as the file's header states them, without decoding pixels.

    ``path`` is a file or the file's bytes (``name`` then names it in errors).

    Raises:
        AssetError: the file cannot be opened or is not an image format we know.
    """
    name = name if name is not None else path
    try:
        with warnings.catch_warnings():
            # Pillow warns about big headers itself; our own, lower limit applies after.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return image.size
    except Image.DecompressionBombError as exc:
        # Pillow refuses at twice its own limit, far above ours: refused all the same.
        raise AssetError(f"{name}: refused without decoding, {exc}") from exc
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise AssetError(f"{name}: not a readable image ({exc.__class__.__name__}: {exc})") from exc


def _check_size(width: int, height: int, name: Path | str, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise AssetError(
            f"{name}: header claims {width}x{height} = {width * height / 1e6:.0f} megapixels, "
            f"over the limit of {max_pixels / 1e6:.0f}; refused without decoding"
        )


def read_image(path: Path, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, str]:
    """Decode an image file to RGB uint8 and return it with the file's sha256.

    Raises:
        AssetError: unreadable, truncated, or larger than ``max_pixels`` per its header.
    """
    _check_size(*header_size(path), path, max_pixels)
    return _decode(file_bytes(path), path)


def file_bytes(path: Path) -> bytes:
    """A file's bytes as they are, to describe elsewhere (:func:`decode_image` checks them there).

    Raises:
        AssetError: the file cannot be read.
    """
    try:
        return path.read_bytes()
    except OSError as exc:
        raise AssetError(f"{path}: cannot read ({exc.strerror})") from exc


def decode_image(data: bytes, name: Path | str, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, str]:
    """:func:`read_image` of a file's bytes sent from elsewhere (e.g. to a Ray task); ``name`` for errors."""
    _check_size(*header_size(io.BytesIO(data), name), name, max_pixels)
    return _decode(data, name)


def _decode(data: bytes, name: Path | str) -> tuple[np.ndarray, str]:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        raise AssetError(f"{name}: image data is corrupt or in an unsupported encoding")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), hashlib.sha256(data).hexdigest()
