"""Finding renders and masks: a dataset folder, its images/ folder, a plain folder, nested names."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulacra.errors import RefineError
from simulacra.refine.renders import locate_renders, read_mask
from tests.refine.conftest import shapes_image, write


@pytest.fixture
def dataset(tmp_path):
    write(tmp_path / "ds/images", [shapes_image(i)[0] for i in range(2)])
    (tmp_path / "ds/masks").mkdir()
    for i in range(2):
        cv2.imwrite(str(tmp_path / f"ds/masks/{i:03d}_instance.png"), shapes_image(i)[1])
    return tmp_path / "ds"


def test_dataset_root_and_its_images_folder_find_the_masks(dataset):
    """From the dataset or from its images/: only images/ is refined, masks come from masks/."""
    for directory in (dataset, dataset / "images"):
        folder = locate_renders(directory)
        assert folder.images == dataset / "images" and folder.masks == dataset / "masks"
        assert [folder.output_name(f) for f in folder.files] == ["000.png", "001.png"]
        assert folder.mask_path(folder.files[1]) == dataset / "masks/001_instance.png"


def test_plain_folder_has_no_masks_unless_given(tmp_path, dataset):
    """A plain folder is refined recursively, without masks; --masks maps nested names too."""
    write(tmp_path / "plain/sub", [shapes_image(0)[0]])
    assert locate_renders(tmp_path / "plain").masks is None
    (tmp_path / "m/sub").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "m/sub/000_instance.png"), shapes_image(0)[1])
    folder = locate_renders(tmp_path / "plain", tmp_path / "m")
    assert folder.mask_path(folder.files[0]) == tmp_path / "m/sub/000_instance.png"
    assert folder.output_name(folder.files[0]) == "sub/000.png"


def test_read_mask_checks_channels_and_size(dataset):
    """A mask is single-channel and the render's size; anything else is a RefineError naming it."""
    path = dataset / "masks/000_instance.png"
    assert read_mask(path, (40, 40)).dtype == np.uint16
    with pytest.raises(RefineError, match=r"000_instance\.png: mask is 40x40, its render 41x40"):
        read_mask(path, (40, 41))
    with pytest.raises(RefineError, match="not a single-channel instance mask"):
        read_mask(dataset / "images/000.png", (40, 40))
    (dataset / "masks/bad_instance.png").write_bytes(b"junk")
    with pytest.raises(RefineError, match=r"bad_instance\.png: not a readable image"):
        read_mask(dataset / "masks/bad_instance.png", (40, 40))
