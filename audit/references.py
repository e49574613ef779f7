"""Reference records and the built-in demo set of real photographs.

The demo set is five real photographs that ship inside scikit-image's wheel, so
``simulacra demo`` can build a reference index with no download. Licenses and
sources are as scikit-image 0.26 documents them in ``skimage/data/_fetchers.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from simulacra.errors import ReferenceIndexError

SIDECAR = "references.json"

_NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ReferenceSource(BaseModel):
    """One real reference image: where it is, what it is called, whose it is.

    Attributes:
        id: stable identifier reported in verdicts, e.g. ``skimage:astronaut``.
        file: image path relative to the folder holding the sidecar.
        license: license as the source states it (SPDX id where there is one).
        source: who made it and where it came from.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: _NonEmpty
    file: _NonEmpty
    license: str | None = None
    source: str | None = None


class _Sidecar(BaseModel):
    model_config = ConfigDict(extra="forbid")

    references: list[ReferenceSource] = Field(default_factory=list)


# name in skimage.data -> (license, source), quoted from the skimage 0.26 docstrings.
_DEMO: dict[str, tuple[str, str]] = {
    "astronaut": (
        "public domain (no known copyright restrictions)",
        "NASA Great Images database, https://flic.kr/p/r9qvLn; astronaut Eileen Collins",
    ),
    "camera": ("CC0-1.0", "photographer Lav Varshney (scikit-image 'camera', since 0.18)"),
    "chelsea": ("CC0-1.0", "photographer Stefan van der Walt (Chelsea the cat)"),
    "coffee": ("CC0-1.0", "photographer Rachel Michetti, courtesy of Pikolo Espresso Bar"),
    "rocket": (
        "public domain (released by SpaceX)",
        "SpaceX Photos, https://www.flickr.com/photos/spacexphotos/16511594820/; DSCOVR on Falcon 9",
    ),
}


def demo_names() -> list[str]:
    """Names of the scikit-image photographs in the demo reference set."""
    return list(_DEMO)


def write_demo_references(directory: Path | str) -> list[ReferenceSource]:
    """Write the demo photographs as PNG plus a ``references.json`` sidecar.

    Why: ``simulacra demo`` needs real photos to build an index from, and these
    ship with scikit-image (no network). Returns the records written.

    Raises:
        ReferenceIndexError: the directory cannot be written.
    """
    from skimage import data  # lazy: importing skimage.data is slow

    directory = Path(directory)
    records = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, (license_, source) in _DEMO.items():
            image = np.asarray(getattr(data, name)())
            bgr = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
            file = f"{name}.png"
            if not cv2.imwrite(str(directory / file), bgr):
                raise ReferenceIndexError(f"{directory / file}: could not write the demo reference")
            records.append(ReferenceSource(id=f"skimage:{name}", file=file, license=license_, source=source))
        sidecar = _Sidecar(references=records).model_dump_json(indent=2)
        (directory / SIDECAR).write_text(sidecar + "\n", encoding="utf-8")
    except OSError as exc:
        raise ReferenceIndexError(f"{directory}: cannot write demo references ({exc.strerror})") from exc
    return records


def read_sidecar(path: Path) -> list[ReferenceSource]:
    """Parse a ``references.json`` sidecar; duplicates and unknown fields are refused.

    Raises:
        ReferenceIndexError: malformed JSON, a wrong field, or a repeated id or file.
    """
    try:
        parsed = _Sidecar.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceIndexError(f"{path}: cannot read reference sidecar ({exc})") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReferenceIndexError(f"{path}: {where}: {first['msg']}") from exc
    for field in ("id", "file"):
        seen: set[str] = set()
        for record in parsed.references:
            value = getattr(record, field)
            if value in seen:
                raise ReferenceIndexError(f"{path}: {field} {value!r} appears twice")
            seen.add(value)
    return parsed.references
