"""The model card beside the weights: what the refiner was trained on and what it cost.

Why: a privacy reviewer signs off a refiner by reading this, not the code. It lists
the training data as counts and hashes only (no names, no pixels), the steps and
losses, the (epsilon, delta) spent on the real images or that none was, and the
license. ``refiner.pt`` carries the same card, so the weights never travel without it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from torch import nn

from simulacra.assets_manifest import sha256_of
from simulacra.refine import checkpoint
from simulacra.refine.settings import TrainSettings

CARD_JSON = "model_card.json"
CARD_MD = "MODEL_CARD.md"
TAIL = 0.1  # losses are summarised over this last fraction of the steps


def build_card(
    refiner: nn.Module,
    settings: TrainSettings,
    prints: dict[str, dict],
    losses: dict[str, list[float]],
    privacy: dict | None,
    license: str,
) -> dict[str, Any]:
    """The card as plain data (also embedded in the weights)."""
    steps = len(next(iter(losses.values()), []))
    tail = max(1, round(steps * TAIL))
    return {
        "format": checkpoint.FORMAT,
        "format_version": checkpoint.FORMAT_VERSION,
        "architecture": {"channels": settings.channels, "blocks": settings.blocks},
        "parameters": sum(p.numel() for p in refiner.parameters()),
        "license": license,
        "settings": settings.fingerprint(),
        "steps": steps,
        "final_losses": {k: round(sum(v[-tail:]) / max(1, len(v[-tail:])), 5) for k, v in losses.items()},
        "loss_curve": {k: v[:: max(1, steps // 20)] for k, v in losses.items()},
        "training_data": prints,
        "privacy": privacy,
        "audit": "outputs are audited after refinement; build the reference index from the real set",
    }


def write_model(
    out: Path,
    refiner: nn.Module,
    settings: TrainSettings,
    prints: dict[str, dict],
    losses: dict[str, list[float]],
    privacy: dict | None,
    license: str,
) -> dict[str, Any]:
    """Write ``refiner.pt``, ``model_card.json`` and ``MODEL_CARD.md`` into ``out``, each atomically."""
    card = build_card(refiner, settings, prints, losses, privacy, license)
    weights = out / checkpoint.WEIGHTS
    state = {k: v.detach().cpu() for k, v in refiner.state_dict().items()}
    checkpoint.save(
        {"architecture": card["architecture"], "refiner": state, "card": json.dumps(card)}, weights, "refiner"
    )
    card_with_hash = {**card, "weights_sha256": sha256_of(weights)}
    _write_text(out / CARD_JSON, json.dumps(card_with_hash, indent=2) + "\n")
    _write_text(out / CARD_MD, render_markdown(card_with_hash))
    return card_with_hash


def render_markdown(card: dict[str, Any]) -> str:
    """The card for people: a short Markdown page."""
    privacy = card["privacy"]
    if privacy:
        dp = (
            f"DP-SGD on the discriminator: epsilon = {privacy['epsilon']} at delta = {privacy['delta']:g} "
            f"(target {privacy['target_epsilon']}; noise multiplier {privacy['noise_multiplier']}, "
            f"sample rate {privacy['sample_rate']:.4g}, clipping {privacy['max_grad_norm']}, "
            f"{privacy['steps']} steps; privacy unit: {privacy['unit']})."
        )
    else:
        dp = "none: trained without differential privacy (epsilon = infinity)."
    data = card["training_data"]
    lines = [
        "# Refiner model card",
        "",
        f"- Format: {card['format']} v{card['format_version']}; weights sha256 `{card['weights_sha256']}`",
        f"- Architecture: residual refiner, {card['architecture']['blocks']} blocks x "
        f"{card['architecture']['channels']} channels, {card['parameters']} parameters",
        f"- License: {card['license']}",
        f"- Steps: {card['steps']} (crop {card['settings']['size']} px, batch {card['settings']['batch']}, "
        f"seed {card['settings']['seed']}, self-regularisation {card['settings']['self_regularization']})",
        "- Final losses (mean of the last 10% of steps): "
        + ", ".join(f"{k} {v}" for k, v in card["final_losses"].items()),
        f"- Differential privacy: {dp}",
        "",
        "## Training data (counts and hashes only)",
        "",
        "| domain | images | sha256 of the sorted file hashes |",
        "|---|---|---|",
        *(f"| {name} | {p['count']} | `{p['sha256']}` |" for name, p in data.items()),
        "",
        "Only the discriminator saw the real images. Refined outputs must still be audited: "
        "build a reference index from the real training folder (`simulacra index build`).",
        "",
    ]
    for key in ("sources", "notes"):
        if card.get(key):
            lines += [f"## {key.title()}", "", *(f"- {item}" for item in card[key]), ""]
    return "\n".join(lines)


def _write_text(path: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temp, 0o644)  # mkstemp makes it private; a model is meant to be read
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
