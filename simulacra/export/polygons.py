"""Instance masks as polygons whose rasterisation gives the mask back, pixel for pixel.

Contour tracers that walk boundary pixel *centres* (``cv2.findContours``, the usual
mask-to-polygon recipe, Ultralytics' ``convert_coco``) shrink every shape by half a pixel
on each side: a 10 px object loses a third of its area. Here the contour is the 0.5
iso-line of the binary mask (scikit-image's marching squares), which runs between the
centre of every inside pixel and the centre of every outside one, and is shifted by half
a pixel into COCO's pixel-corner coordinates. Rasterisers that test pixel centres with the
even-odd rule (pycocotools, which torchvision, Detectron2 and FiftyOne use) then
reproduce the mask exactly.

COCO polygons are unioned, so a hole cannot be a polygon of its own: each hole is joined
to the ring around it by a zero-width bridge (walked out and back, which the even-odd
rule cancels). YOLO-seg allows one polygon per object, so :func:`joined_polygon` bridges
the separate pieces too.
"""

from __future__ import annotations

import numpy as np
from skimage import measure

Ring = np.ndarray  # (N, 2) float x, y in COCO pixel-corner coordinates, not closed


def _signed_area(ring: Ring) -> float:
    """Shoelace area: positive for rings around foreground, negative around holes (image y down)."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _corners(ring: Ring) -> Ring:
    """The ring without its collinear points: the same shape in far fewer vertices (lossless)."""
    before, after = ring - np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0) - ring
    cross = before[:, 0] * after[:, 1] - before[:, 1] * after[:, 0]
    return ring[np.abs(cross) > 1e-9]


def _rings(binary: np.ndarray) -> list[Ring]:
    """Every closed boundary of the mask (outer rings and holes), padded so none is cut by the border."""
    padded = np.pad(binary.astype(np.float32), 1)
    # Row/column of the padded array -> x/y of the mask in pixel-corner coordinates (+0.5 - 1).
    return [_corners(contour[:-1, ::-1] - 0.5) for contour in measure.find_contours(padded, 0.5)]


def _bridge(base: Ring, ring: Ring) -> Ring:
    """``base`` with ``ring`` spliced in at their closest vertices, by a segment walked both ways."""
    distances = ((base[:, None, :] - ring[None, :, :]) ** 2).sum(axis=-1)
    i, j = np.unravel_index(int(np.argmin(distances)), distances.shape)
    return np.concatenate([base[: i + 1], ring[j:], ring[: j + 1], base[i:]])


def _pieces(binary: np.ndarray) -> list[Ring]:
    """One ring per connected piece of foreground, each with its holes bridged in."""
    rings = _rings(binary)
    outers = sorted((r for r in rings if _signed_area(r) > 0), key=_signed_area)  # smallest first
    holes: dict[int, list[Ring]] = {}
    for hole in (r for r in rings if _signed_area(r) < 0):
        # A hole belongs to the smallest ring around it (an island inside a hole has its own ring).
        owner = next(k for k, outer in enumerate(outers) if measure.points_in_poly(hole[:1], outer)[0])
        holes.setdefault(owner, []).append(hole)
    pieces = []
    for k, outer in enumerate(outers):
        for hole in holes.get(k, []):
            outer = _bridge(outer, hole)
        pieces.append(outer)
    return pieces


def mask_polygons(binary: np.ndarray) -> list[list[float]]:
    """COCO ``segmentation`` polygons of a binary mask: one per piece, holes bridged in.

    Example:
        >>> mask = np.zeros((4, 4), bool); mask[1:3, 1:3] = True
        >>> mask_polygons(mask)
        [[2.5, 3.0, 1.5, 3.0, 1.0, 2.5, 1.0, 1.5, 1.5, 1.0, 2.5, 1.0, 3.0, 1.5, 3.0, 2.5]]
    """
    return [[round(float(v), 2) for v in piece.ravel()] for piece in _pieces(binary)]


def joined_polygon(binary: np.ndarray) -> Ring:
    """One polygon for the whole mask (YOLO-seg's one line per object): pieces bridged largest first."""
    pieces = sorted(_pieces(binary), key=_signed_area, reverse=True)
    joined = pieces[0]
    for piece in pieces[1:]:
        joined = _bridge(joined, piece)
    return joined
