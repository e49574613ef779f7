"""The distance-to-closest-record share of a set of outputs, computed one way for every command.

``simulacra audit --holdout`` (a folder of images) and ``simulacra eval coverage --index
--holdout`` (a dataset) both ask it: are the outputs closer to the indexed real images
than to real images that were never indexed? The hold-out is described first, so a bad
one is refused before any audit runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from simulacra.audit import DcrShare, ReferenceIndex, ShardedIndex, dcr_share, describe_holdout, load_index
from simulacra.audit.privacy_metrics import Holdout, output_descriptors
from simulacra.dataset.reader import read_coco, read_rgb
from simulacra.errors import AssetError

DCR_SEED = 0  # subsamples the larger of index and hold-out to equal numbers; fixed so reruns agree


def holdout_of(index: ReferenceIndex | ShardedIndex, holdout: Path) -> Holdout:
    """Describe the hold-out folder; an image that is in the index is refused (it is a member)."""
    try:
        return describe_holdout(holdout, exclude_sha256=frozenset(r.sha256 for r in index.references))
    except AssetError as exc:
        raise AssetError(f"--holdout {exc}") from exc


def share_of(
    images: Iterable[np.ndarray], index: ReferenceIndex | ShardedIndex, holdout: Holdout
) -> DcrShare:
    """The DCR share of ``images`` (RGB) against the index's references and the described hold-out."""
    outputs = output_descriptors(images)
    return dcr_share(outputs, index, holdout, rng=np.random.default_rng(DCR_SEED))


def dataset_dcr(dataset: Path, index: Path, holdout: Path) -> DcrShare:
    """The DCR share of a dataset's images (in COCO order)."""
    loaded = load_index(index)
    described = holdout_of(loaded, holdout)
    return share_of((read_rgb(dataset, image) for image in read_coco(dataset)["images"]), loaded, described)
