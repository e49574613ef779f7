"""One accepted image's pixel and label files, encoded in memory (PNG, lossless TIFF)."""

from __future__ import annotations

import cv2
import numpy as np

from simulacra.dataset.layout import image_files
from simulacra.render import Frame

# OpenCV's default for float TIFF is SGILOG, a lossy log-luminance code; deflate is exact.
_LOSSLESS_TIFF = [cv2.IMWRITE_TIFF_COMPRESSION, 8]


def encode_frame(image_index: int, frame: Frame) -> dict[str, bytes]:
    """One accepted image's pixel and label files, encoded: relative file name -> bytes.

    Encoding in memory lets a worker on another machine ship the files to the driver and
    lets every writer put each file in place atomically.
    """
    name, instance, category, depth, normals_file = image_files(image_index)
    # OpenCV stores 3-channel images as BGR: reversing puts x, y, z in file channels 0, 1, 2.
    normals = np.ascontiguousarray(frame.normals[..., ::-1])
    encoded = {
        name: (".png", cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2BGR), []),
        instance: (".png", frame.instance_mask.astype(np.uint16), []),
        category: (".png", frame.class_mask, []),
        depth: (".tiff", frame.depth, _LOSSLESS_TIFF),
        normals_file: (".tiff", normals, _LOSSLESS_TIFF),
    }
    files = {}
    for path, (ext, pixels, params) in encoded.items():
        ok, data = cv2.imencode(ext, pixels, params)
        if not ok:
            raise ValueError(f"OpenCV could not encode {path}")
        files[path] = data.tobytes()
    return files
