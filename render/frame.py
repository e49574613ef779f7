"""What one render produces; the data type between the render stage and the rest."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class InstanceInfo:
    """A labeled object visible in the frame, keyed by its value in the instance mask.

    ``unoccluded_pixels`` is the area it would cover in the frame with nothing in front.
    """

    instance_id: int
    category: str
    asset_id: str
    pixels: int
    unoccluded_pixels: int


@dataclass(frozen=True)
class Frame:
    """One rendered image with its pixel-aligned labels.

    Attributes:
        rgb: uint8 (H, W, 3), sRGB.
        depth: float32 (H, W), metres along the camera axis; 0 where no surface was hit.
        normals: float32 (H, W, 3), unit surface normals in the OpenCV camera frame
            (x right, y down, z forward); 0 where no surface was hit.
        instance_mask: uint16 (H, W); 0 is background and unlabeled geometry, otherwise
            the scene graph's ``instance_id``.
        class_mask: uint8 (H, W); 0 is background, otherwise 1 + the category's index
            in the job's sorted category list.
        instances: the labeled objects with at least one visible pixel.
    """

    rgb: np.ndarray
    depth: np.ndarray
    normals: np.ndarray
    instance_mask: np.ndarray
    class_mask: np.ndarray
    instances: tuple[InstanceInfo, ...]
    backend: str
    seconds: float

    def without_instances(self, ids: set[int]) -> Frame:
        """The frame with objects ``ids`` unlabeled: background in both masks, off the instance list."""
        if not ids:
            return self
        hidden = np.isin(self.instance_mask, list(ids))
        instance_mask, class_mask = self.instance_mask.copy(), self.class_mask.copy()
        instance_mask[hidden] = 0
        class_mask[hidden] = 0
        instances = tuple(info for info in self.instances if info.instance_id not in ids)
        return replace(self, instance_mask=instance_mask, class_mask=class_mask, instances=instances)
