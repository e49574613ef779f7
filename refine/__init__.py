"""Neural sim-to-real refinement (``simulacra.refine``): train, load, apply, measure.

Public surface re-exported lazily: importing this package does not import torch;
the first use of a name that needs it does.

Example:
    >>> from simulacra.refine import load_refiner
    >>> refined = load_refiner("refine/default", device="cpu").apply(render)
"""

from __future__ import annotations

import importlib
from typing import Any

from simulacra.refine.settings import TrainSettings

_LAZY = {
    "Refiner": "simulacra.refine.refiner",
    "load_refiner": "simulacra.refine.refiner",
    "resolve_device": "simulacra.refine.refiner",
    "train": "simulacra.refine.training",
    "TrainResult": "simulacra.refine.training",
    "apply_folder": "simulacra.refine.apply",
    "default_model": "simulacra.refine.apply",
    "refine_with_report": "simulacra.refine.report",
    "ReportInputs": "simulacra.refine.report",
}

__all__ = ["TrainSettings", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'simulacra.refine' has no attribute {name!r}")
