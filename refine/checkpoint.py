"""Reading and writing our checkpoints: tagged plain data, loaded with ``weights_only=True``.

Why: a checkpoint is untrusted input (a pickle can run code), so it is only ever
loaded with torch's restricted unpickler, and anything that is not a dict carrying
our format tag is refused with one clear line. Writes go to a temporary file in the
same folder and are renamed into place, so an interrupted write never leaves half a
checkpoint where a resume would read it.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import torch

from simulacra.errors import RefineError

FORMAT = "simulacra-refiner"
FORMAT_VERSION = 1
WEIGHTS = "refiner.pt"  # what apply needs: the refiner alone, shippable
TRAINING = "checkpoint.pt"  # what resume needs: both networks, optimisers, RNG states


def save(payload: dict[str, Any], path: Path, kind: str) -> None:
    """Write ``payload`` tagged with our format and ``kind`` atomically to ``path``."""
    tagged = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, **payload}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(tagged, stream)
        os.chmod(temp, 0o644)  # mkstemp makes it private; a model is meant to be read
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load(path: Path, kind: str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint of ``kind`` written by :func:`save`; refuse anything else.

    Raises:
        RefineError: missing, unreadable, not ours, another kind, or a newer format.
    """
    if not path.is_file():
        raise RefineError(f"refiner checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, TypeError, AttributeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise RefineError(f"{path}: not a simulacra refiner checkpoint ({first})") from exc
    except OSError as exc:
        raise RefineError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise RefineError(f"{path}: not a simulacra refiner checkpoint (no '{FORMAT}' format tag)")
    if payload.get("format_version") != FORMAT_VERSION:
        raise RefineError(
            f"{path}: refiner format version {payload.get('format_version')!r}, this build reads "
            f"{FORMAT_VERSION}"
        )
    if payload.get("kind") != kind:
        raise RefineError(f"{path}: a '{payload.get('kind')}' checkpoint, expected '{kind}'")
    return payload
