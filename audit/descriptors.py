"""Image descriptors the reference index stores instead of the images themselves.

Three kinds, each answering a different leak:

* a global descriptor (whole image or crop) for resized, recoloured, blurred or
  re-encoded copies;
* a 64-bit DCT perceptual hash for near-exact copies;
* RootSIFT keypoints for a photo that appears *inside* a render (a poster on a
  wall), found again by geometric verification in :mod:`simulacra.audit.matching`.

All functions take grayscale ``float32`` images from :func:`to_gray`; none keeps
pixels around.
"""

from __future__ import annotations

import cv2
import numpy as np

GLOBAL_NAME = "lcn-grid-hog"
GLOBAL_VERSION = 1
_PATCH = 64  # global descriptors look at a 64x64 resampling of the image
_GRID = 16  # 16x16 normalized-intensity grid -> 256 dims
_CELL = 8  # 8x8 cells of 8 px ...
_BINS = 8  # ... with 8 signed orientation bins -> 512 dims
_LCN_SIGMA = 8.0
GLOBAL_DIM = _GRID * _GRID + (_PATCH // _CELL) ** 2 * _BINS

KEYPOINT_NAME = "rootsift-clahe"
KEYPOINT_VERSION = 3  # 2: strongest first, uint8 on disk; 3: 4-bit codes on disk
KEYPOINT_DIM = 128
KEYPOINT_BYTES = KEYPOINT_DIM // 2  # on disk: two 4-bit codes a byte
# RootSIFT components lie in [0, 1] and rarely pass 0.3; 16 levels spaced on a square-root
# scale up to this bound give a mean squared error of 0.005 a unit row (uint8: 3e-5), and
# halving the bytes let an index keep about twice the keypoints: measured on 50 Blender-rendered
# plants of the night photo, the same recall as uint8 rows at 150 a side, 42/50 against
# 30/50 with 70 uint8 rows a side (BENCHMARKS.md, "Keypoints per reference").
_KEYPOINT_TOP = 0.4
# Measured on planted posters (calibration): OpenCV's defaults (0.04, 10, 1.6) find too few
# keypoints on a small, dimly lit picture; these triple the consistent matches on the
# hardest reference (a dark night photo) while clean scenes stay at <= 3.
_CONTRAST_THRESHOLD = 0.01
_EDGE_THRESHOLD = 20.0
_SIGMA = 0.8


def to_gray(image: np.ndarray) -> np.ndarray:
    """Convert an ``HxW``, ``HxWx3`` (RGB) or ``HxWx4`` uint8 image to float32 gray.

    Raises:
        ValueError: the array is not a non-empty uint8 image of one of those shapes.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        kind = getattr(image, "dtype", type(image).__name__)
        raise ValueError(f"expected a uint8 image array, got {kind}")
    if image.ndim == 3 and image.shape[2] in (3, 4):
        gray = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    elif image.ndim == 2:
        gray = image
    else:
        raise ValueError(f"expected an HxW, HxWx3 or HxWx4 image, got shape {image.shape}")
    if min(gray.shape) < 8:
        raise ValueError(f"image of shape {image.shape} is too small to audit (min side 8 px)")
    return gray.astype(np.float32)


def _local_contrast(patch: np.ndarray) -> np.ndarray:
    """Remove local mean and divide by local spread: brightness, contrast, shading go."""
    mean = cv2.GaussianBlur(patch, (0, 0), _LCN_SIGMA)
    centred = patch - mean
    spread = np.sqrt(cv2.GaussianBlur(centred * centred, (0, 0), _LCN_SIGMA))
    # The floor keeps flat areas (sensor noise) from being blown up into texture.
    return centred / np.maximum(spread, max(2.0, float(spread.mean())))


def _unit(vector: np.ndarray) -> np.ndarray:
    vector = vector - vector.mean()
    return vector / (np.linalg.norm(vector) + 1e-6)


def global_descriptor(gray: np.ndarray) -> np.ndarray:
    """Describe a whole image (or crop) as an L2-normalized float32 vector.

    A coarse locally-normalized intensity grid plus a grid of gradient-orientation
    histograms: cosine similarity survives resizing, colour and brightness changes,
    mild blur and JPEG, but not a different picture.

    Example:
        >>> v = global_descriptor(to_gray(rgb)); v.shape == (GLOBAL_DIM,)
    """
    patch = _local_contrast(cv2.resize(gray, (_PATCH, _PATCH), interpolation=cv2.INTER_AREA))
    grid = _unit(cv2.resize(patch, (_GRID, _GRID), interpolation=cv2.INTER_AREA).ravel())
    gx = cv2.Sobel(patch, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(patch, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy).ravel()
    position = (np.arctan2(gy, gx).ravel() % (2 * np.pi)) * (_BINS / (2 * np.pi))
    low = np.floor(position).astype(np.int64) % _BINS
    frac = position - np.floor(position)
    rows, cols = np.indices((_PATCH, _PATCH)) // _CELL
    cell = (rows * (_PATCH // _CELL) + cols).ravel() * _BINS
    hist = np.bincount(cell + low, magnitude * (1 - frac), minlength=GLOBAL_DIM - _GRID * _GRID)
    hist += np.bincount(cell + (low + 1) % _BINS, magnitude * frac, minlength=hist.size)
    vector = np.concatenate([grid, _unit(np.sqrt(hist))])
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def phash(gray: np.ndarray) -> int:
    """64-bit DCT perceptual hash: bit set where a low frequency is above the median."""
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int(np.packbits(bits).view(">u8")[0])


def matching_bits(a: int, b: int) -> int:
    """How many of the 64 hash bits agree (64 = identical, ~32 = unrelated)."""
    return 64 - (a ^ b).bit_count()


def _root_sift(desc: np.ndarray) -> np.ndarray:
    """Hellinger-normalize SIFT descriptors so inner product compares them better."""
    desc = np.sqrt(desc / (desc.sum(axis=1, keepdims=True) + 1e-7))
    return (desc / (np.linalg.norm(desc, axis=1, keepdims=True) + 1e-7)).astype(np.float32)


def keypoints(gray: np.ndarray, max_features: int) -> tuple[np.ndarray, np.ndarray]:
    """Detect SIFT keypoints on a contrast-equalized image, strongest first.

    Returns:
        ``(geometry, descriptors)``: ``geometry`` is ``(n, 4)`` float32 rows of
        ``x, y, size, angle`` (angle in radians), ``descriptors`` is ``(n, 128)``
        RootSIFT, L2-normalized; rows sorted by detector response, descending.
    """
    image = np.clip(gray, 0, 255).astype(np.uint8)
    # CLAHE lifts a darkened poster's detail to the level the detector needs.
    image = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(image)
    sift = cv2.SIFT_create(
        nfeatures=max_features,
        contrastThreshold=_CONTRAST_THRESHOLD,
        edgeThreshold=_EDGE_THRESHOLD,
        sigma=_SIGMA,
    )
    found, desc = sift.detectAndCompute(image, None)
    if desc is None or not found:
        return np.zeros((0, 4), np.float32), np.zeros((0, KEYPOINT_DIM), np.float32)
    order = np.argsort([-k.response for k in found], kind="stable")
    geometry = np.array([(k.pt[0], k.pt[1], k.size, np.deg2rad(k.angle)) for k in found], np.float32)
    return geometry[order], _root_sift(desc.astype(np.float32))[order]


# SIFT of a mirrored image, from the original's: the descriptor's 4x4 cells flip top to
# bottom in OpenCV's layout and its 8 orientation bins reverse (measured: median cosine
# 0.9996 against SIFT run on the mirrored pixels, at matched keypoints).
_MIRROR = np.arange(KEYPOINT_DIM).reshape(4, 4, 8)[::-1, :, (-np.arange(8)) % 8].reshape(-1)


def mirror_keypoints(
    geometry: np.ndarray, descriptors: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """The keypoints :func:`keypoints` finds on ``image[:, ::-1]``, from those of ``image`` (``width`` wide).

    Saves detecting again: position and orientation mirror, the descriptor permutes.
    """
    mirrored = geometry.copy()
    mirrored[:, 0] = width - 1 - geometry[:, 0]
    mirrored[:, 3] = (np.pi - geometry[:, 3]) % (2 * np.pi)
    return mirrored, np.ascontiguousarray(descriptors[:, _MIRROR])


def multiscale_keypoints(
    gray: np.ndarray, frame: float, sides: tuple[int, ...], per_side: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """The strongest ``per_side[i]`` keypoints at long side ``sides[i]``, in a ``frame``-long frame.

    A reference shows up in renders at many sizes; detecting at the sizes it is
    likely to appear at gives keypoints that are repeatable at those sizes. Rows are
    interleaved by rank (every side's strongest first), so any prefix is a balanced,
    strongest-first subset: the index keeps a prefix in RAM for retrieval.
    """
    long_side = max(gray.shape)
    geometries, descriptors, ranks = [], [], []
    for side, count in zip(sides, per_side, strict=True):
        scale = side / long_side
        resized = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        geometry, desc = keypoints(resized, count)
        geometry[:, :3] *= frame / side
        geometries.append(geometry)
        descriptors.append(desc)
        ranks.append(np.arange(len(geometry)))
    order = np.argsort(np.concatenate(ranks), kind="stable")
    return np.concatenate(geometries)[order], np.concatenate(descriptors)[order]


def _pack(codes: np.ndarray) -> np.ndarray:
    """Codes 0..15 along the last axis, two to a byte (even position in the low half)."""
    return (codes[..., 0::2] | (codes[..., 1::2] << 4)).astype(np.uint8)


def _pairs(levels: np.ndarray) -> np.ndarray:
    """The two float32 values of every byte of :func:`_pack`'d codes, as one 8-byte item a byte."""
    byte = np.arange(256)
    values = np.stack([levels[byte & 15], levels[byte >> 4]], axis=-1).astype(np.float32)
    return np.ascontiguousarray(values).view(np.uint64)[:, 0]


def _unpack(packed: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The float32 values of :func:`_pack`'d codes: one lookup a byte in a :func:`_pairs` table."""
    return np.take(pairs, packed).view(np.float32)


_KEYPOINT_LEVELS = ((np.arange(16) / 15) ** 2 * _KEYPOINT_TOP).astype(np.float32)
_GLOBAL_LEVELS = (np.arange(16) - 8).astype(np.float32)
_KEYPOINT_PAIRS, _GLOBAL_PAIRS = _pairs(_KEYPOINT_LEVELS), _pairs(_GLOBAL_LEVELS)
_GLOBAL_STEP = 7.0  # global codes run -7..7 ...
_GLOBAL_CLIP = 4.0  # ... up to this many times a row's root mean square (cosine error 0.013, max 0.04)


def quantize_keypoints(descriptors: np.ndarray) -> np.ndarray:
    """RootSIFT rows as 4-bit codes on a square-root scale: 64 bytes a keypoint."""
    unit = np.sqrt(np.clip(descriptors, 0.0, _KEYPOINT_TOP) / _KEYPOINT_TOP)
    return _pack(np.rint(unit * 15).astype(np.uint8))


def dequantize_keypoints(codes: np.ndarray) -> np.ndarray:
    """Float32 unit rows back from :func:`quantize_keypoints`."""
    rows = _unpack(codes, _KEYPOINT_PAIRS)
    return rows / (np.linalg.norm(rows, axis=-1, keepdims=True) + 1e-7)


def quantize_global(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Global rows as 4-bit codes with one float32 scale each (388 bytes a 768-d row).

    The scale clips a row's few largest components (at four times its root mean square)
    so the other levels resolve the rest: cosine to the exact row 0.987 on average, at
    least 0.96 on reference photos and renders, against thresholds set at 0.70.
    """
    rms = np.sqrt(np.mean(np.square(rows), axis=-1, keepdims=True))
    peak = np.minimum(np.abs(rows).max(axis=-1, keepdims=True), _GLOBAL_CLIP * rms)
    scale = np.maximum(peak, 1e-12) / _GLOBAL_STEP
    codes = np.clip(np.rint(rows / scale), -_GLOBAL_STEP, _GLOBAL_STEP) + 8
    return _pack(codes.astype(np.uint8)), scale[..., 0].astype(np.float32)


def dequantize_global(codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Unit float32 rows back from :func:`quantize_global`."""
    rows = _unpack(codes, _GLOBAL_PAIRS) * scale[..., None]
    return rows / (np.linalg.norm(rows, axis=-1, keepdims=True) + 1e-12)
