"""Mask polygons rasterise back to the mask exactly, holes and separate pieces included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as mask_utils

from simulacra.export import joined_polygon, mask_polygons


def _rasterised(polygons: list[list[float]], shape: tuple[int, int]) -> np.ndarray:
    """What pycocotools (hence torchvision, Detectron2, FiftyOne) makes of COCO polygons."""
    return mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygons, *shape))).astype(bool)


masks = arrays(bool, st.tuples(st.integers(1, 24), st.integers(1, 24))).filter(lambda m: m.any())


@settings(max_examples=200, deadline=None)
@given(masks)
def test_coco_polygons_give_the_mask_back(mask):
    """Any mask, noise included: the COCO polygons cover exactly its pixels."""
    assert np.array_equal(_rasterised(mask_polygons(mask), mask.shape), mask)


@settings(max_examples=200, deadline=None)
@given(masks)
def test_one_joined_polygon_gives_the_mask_back(mask):
    """YOLO-seg's single polygon per object: pieces and holes bridged, the same pixels."""
    joined = joined_polygon(mask).ravel().tolist()
    assert np.array_equal(_rasterised([joined], mask.shape), mask)


def test_a_ring_keeps_its_hole_and_a_split_object_its_pieces():
    """A ring is one polygon around a hole; two blobs are two polygons (COCO's own way)."""
    ring = np.zeros((9, 9), bool)
    ring[1:8, 1:8] = True
    ring[3:6, 3:6] = False
    assert len(mask_polygons(ring)) == 1
    assert not _rasterised(mask_polygons(ring), ring.shape)[4, 4]
    blobs = np.zeros((9, 9), bool)
    blobs[1:3, 1:3] = blobs[6:8, 5:8] = True
    assert len(mask_polygons(blobs)) == 2


def test_a_pixel_centre_tracer_would_fail_this_check():
    """The check has teeth: cv2's pixel-centre contours of a 3x3 square cover only its middle pixel."""
    import cv2

    square = np.zeros((7, 7), np.uint8)
    square[2:5, 2:5] = 1
    contours, _ = cv2.findContours(square, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    traced = [contour.ravel().astype(float).tolist() for contour in contours]
    assert _rasterised(traced, square.shape).sum() < square.sum()


@settings(max_examples=200, deadline=None)
@given(masks)
def test_every_polygon_is_three_points_or_more_inside_the_image(mask):
    """Datumaro refuses a polygon under 3 points; pycocotools reads a 4-value one as a box."""
    height, width = mask.shape
    for polygon in [*mask_polygons(mask), joined_polygon(mask).ravel().tolist()]:
        points = np.array(polygon).reshape(-1, 2)
        assert len(np.unique(points, axis=0)) >= 3
        assert (points >= 0).all() and (points <= (width, height)).all()
