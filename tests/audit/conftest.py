"""Shared fixtures: the demo references and one real faiss index built from them."""

from pathlib import Path

import numpy as np
import pytest

from simulacra.audit import Auditor, ReferenceIndex, read_image, write_demo_references


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo_references")
    write_demo_references(directory)
    return directory


@pytest.fixture(scope="session")
def demo_index(demo_dir: Path) -> ReferenceIndex:
    return ReferenceIndex.build(demo_dir)


@pytest.fixture(scope="session")
def auditor(demo_index: ReferenceIndex) -> Auditor:
    return Auditor(demo_index)


@pytest.fixture(scope="session")
def photos(demo_dir: Path, demo_index: ReferenceIndex) -> dict[str, np.ndarray]:
    return {r.id: read_image(demo_dir / r.file)[0] for r in demo_index.references}
