"""Read untrusted image files safely: size from the header first, decode second.

A decompression bomb (a small file whose header claims gigapixels) is refused
before any pixel is decoded.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from simulacra.errors import AssetError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
MAX_PIXELS = 80_000_000


def header_size(path: Path) -> tuple[int, int]:
    """Width and height as the file's header states them, without decoding pixels.

    Raises:
        AssetError: the file cannot be opened or is not an image format we know.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns about big headers itself; our own, lower limit applies after.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                return image.size
    except Image.DecompressionBombError as exc:
        # Pillow refuses at twice its own limit, far above ours: refused all the same.
        raise AssetError(f"{path}: refused without decoding, {exc}") from exc
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise AssetError(f"{path}: not a readable image ({exc.__class__.__name__}: {exc})") from exc


def read_image(path: Path, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, str]:
    """Decode an image file to RGB uint8 and return it with the file's sha256.

    Raises:
        AssetError: unreadable, truncated, or larger than ``max_pixels`` per its header.
    """
    width, height = header_size(path)
    if width * height > max_pixels:
        raise AssetError(
            f"{path}: header claims {width}x{height} = {width * height / 1e6:.0f} megapixels, "
            f"over the limit of {max_pixels / 1e6:.0f}; refused without decoding"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AssetError(f"{path}: cannot read ({exc.strerror})") from exc
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None or bgr.size == 0:
        raise AssetError(f"{path}: image data is corrupt or in an unsupported encoding")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), hashlib.sha256(data).hexdigest()
