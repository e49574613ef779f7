"""A trained refiner, ready to apply: load it once, refine images one by one.

Why its own object: generate, apply and the benchmark all need the same thing — the
weights checked against our format, on a chosen device, and a pure function from
a uint8 render to a uint8 refined image of the same size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simulacra.errors import RefineError
from simulacra.refine import checkpoint
from simulacra.refine.networks import RefinerNet

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> torch.device:
    """``auto`` takes CUDA when torch sees a GPU, else the CPU.

    Raises:
        RefineError: an unknown name, or ``cuda`` where no CUDA device is present.
    """
    if device not in DEVICES:
        raise RefineError(f"device {device!r} is not one of {', '.join(DEVICES)}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RefineError("device cuda asked for, but torch sees no CUDA GPU (use --device cpu or auto)")
    return torch.device(device)


def to_tensor(rgb: np.ndarray, device: torch.device) -> torch.Tensor:
    """``HxWx3`` uint8 -> ``1x3xHxW`` float in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(rgb)).to(device).permute(2, 0, 1)[None].float() / 127.5 - 1


def to_uint8(batch: torch.Tensor) -> np.ndarray:
    """``1x3xHxW`` float in [-1, 1] -> ``HxWx3`` uint8, rounded."""
    image = ((batch[0].clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return image.permute(1, 2, 0).cpu().numpy()


class Refiner:
    """A loaded refiner; :meth:`apply` is deterministic for a given device.

    Example:
        >>> refiner = load_refiner("refine/default", device="cpu")
        >>> refiner.apply(render).shape == render.shape
        True
    """

    def __init__(self, net: RefinerNet, device: torch.device, card: dict[str, Any]):
        self.net = net.to(device).eval()
        self.device = device
        self.card = card

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        """Refine one ``HxWx3`` uint8 RGB image; the result has the same size and dtype.

        Raises:
            ValueError: ``rgb`` is not an ``HxWx3`` uint8 array.
        """
        if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            shape = getattr(rgb, "shape", None)
            raise ValueError(
                f"refiner input must be an HxWx3 uint8 array, got {shape} {getattr(rgb, 'dtype', '')}"
            )
        with torch.inference_mode():
            return to_uint8(self.net(to_tensor(rgb, self.device)))


def weights_path(model: Path) -> Path:
    """The weights file of a model folder (or ``model`` itself when it is a file)."""
    return model / checkpoint.WEIGHTS if model.is_dir() else model


def load_refiner(model: Path | str, device: str = "auto") -> Refiner:
    """Load a refiner from its model folder (or its ``refiner.pt``) onto ``device``.

    Raises:
        RefineError: missing, foreign or corrupt weights, or an unavailable device.
    """
    target = resolve_device(device)
    path = weights_path(Path(model))
    payload = checkpoint.load(path, "refiner")
    try:
        net = RefinerNet(**payload["architecture"])
        net.load_state_dict(payload["refiner"])
    except (KeyError, TypeError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise RefineError(f"{path}: refiner weights do not fit the refiner network ({first})") from exc
    card = payload.get("card", {})
    return Refiner(net, target, json.loads(card) if isinstance(card, str) else card)
