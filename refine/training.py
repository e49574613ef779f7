"""Unpaired training of a refiner against a local patch discriminator (SimGAN), resumable.

Why the loop looks like this: each step updates the discriminator on real crops and
refined crops (half from the history buffer), then the refiner on fooling it plus an
L1 self-regularisation to its input, which is what keeps masks and boxes valid.
Every ``checkpoint_every`` steps the whole state (both networks, optimisers, history,
RNG states, privacy accountant) is written atomically; a rerun of the same command
resumes from it and produces the same weights as an uninterrupted run.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from simulacra.errors import RefineError
from simulacra.refine import checkpoint
from simulacra.refine.card import CARD_JSON, CARD_MD, write_model
from simulacra.refine.history import HistoryBuffer
from simulacra.refine.imageset import ImageSet, load_image_set
from simulacra.refine.networks import PatchDiscriminator, RefinerNet
from simulacra.refine.privacy import PrivateDiscriminator, make_private
from simulacra.refine.refiner import resolve_device
from simulacra.refine.settings import TrainSettings

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MAX_SIDE_FACTOR = 4  # images are kept at most this many crop sizes on their short side


@dataclass(frozen=True)
class TrainResult:
    """What a training run did: where the model is, from which step it resumed, privacy spent."""

    model: Path
    steps: int
    resumed_from: int
    epsilon: float | None
    delta: float | None

    @property
    def already_trained(self) -> bool:
        """True when the folder held a finished run and no step was taken."""
        return self.resumed_from == self.steps


def train(
    synthetic: Path,
    real: Path,
    out: Path,
    settings: TrainSettings,
    *,
    device: str = "auto",
    license: str = "NOASSERTION",
    progress: Progress | None = None,
) -> TrainResult:
    """Train (or resume training) a refiner into the model folder ``out``.

    ``progress(done, total)`` is called after every step, and once at the start.

    Raises:
        RefineError: a bad folder or image, settings that differ from the checkpoint's,
            an ``out`` that holds something else, or an unreachable DP target.
    """
    target = resolve_device(device)
    state_path = out / checkpoint.TRAINING
    if out.exists() and not state_path.is_file() and (not out.is_dir() or any(out.iterdir())):
        if (out / checkpoint.WEIGHTS).is_file():
            raise RefineError(
                f"model folder {out} holds a trained refiner but not its training checkpoint, "
                "so it cannot be resumed; train into a new folder"
            )
        raise RefineError(f"model folder {out} exists and holds no refiner training checkpoint")
    max_side = MAX_SIDE_FACTOR * settings.size
    data = {
        "synthetic": load_image_set(synthetic, settings.size, max_side),
        "real": load_image_set(real, settings.size, max_side),
    }
    prints = {name: images.fingerprint() for name, images in data.items()}
    saved = checkpoint.load(state_path, "training") if state_path.is_file() else None
    if saved is not None:
        _check_resume(state_path, saved, settings, prints)
    run = _Run(settings, data, target, saved)
    start = run.step
    if progress:
        progress(start, settings.steps)
    while run.step < settings.steps:
        run.one_step()
        if progress:
            progress(run.step, settings.steps)
        if run.step % settings.checkpoint_every == 0 or run.step == settings.steps:
            checkpoint.save(run.state(prints), state_path, "training")
    finished = all((out / name).is_file() for name in (checkpoint.WEIGHTS, CARD_JSON, CARD_MD))
    if run.step > start or not finished:  # a finished model is left as it is
        write_model(out, run.refiner, settings, prints, run.losses, run.privacy_record(), license)
    epsilon = run.private.epsilon() if run.private else None
    return TrainResult(out, run.step, start, epsilon, settings.dp_delta if run.private else None)


def _check_resume(path: Path, saved: dict, settings: TrainSettings, prints: dict) -> None:
    if saved.get("settings") != settings.fingerprint():
        changed = sorted(
            k for k, v in settings.fingerprint().items() if saved.get("settings", {}).get(k) != v
        )
        raise RefineError(f"{path}: was trained with other settings ({', '.join(changed)}); use a new folder")
    for name, fingerprint in prints.items():
        if saved.get("data", {}).get(name, {}).get("sha256") != fingerprint["sha256"]:
            raise RefineError(f"{path}: was trained on other {name} images; use a new folder")


class _Run:
    """The mutable state of one training run (kept out of :func:`train` for resumption)."""

    def __init__(self, settings: TrainSettings, data: dict[str, ImageSet], device: torch.device, saved):
        self.settings, self.data, self.device = settings, data, device
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(settings.seed)
            self.refiner = RefinerNet(settings.channels, settings.blocks).to(device)
            self.discriminator = PatchDiscriminator(settings.channels).to(device)
        self.opt_g = torch.optim.Adam(self.refiner.parameters(), settings.learning_rate, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(
            self.discriminator.parameters(), settings.learning_rate, betas=(0.5, 0.999)
        )
        self.crops = torch.Generator().manual_seed(settings.seed + 1)
        self.history = HistoryBuffer(settings.history, torch.Generator().manual_seed(settings.seed + 2))
        self.noise = torch.Generator(device=device).manual_seed(settings.seed + 3)
        self.step = 0
        self.losses: dict[str, list[float]] = {
            "discriminator": [],
            "adversarial": [],
            "self_regularization": [],
        }
        if saved is not None:
            self._restore(saved)
        self.private: PrivateDiscriminator | None = None
        if settings.dp_epsilon is not None:
            self.private = make_private(
                self.discriminator,
                self.opt_d,
                epsilon=settings.dp_epsilon,
                delta=settings.dp_delta,
                real_count=len(data["real"].images),
                batch=settings.batch,
                steps=settings.steps,
                max_grad_norm=settings.max_grad_norm,
                generator=self.noise,
            )
            if saved is not None:
                self.private.accountant.history = [tuple(entry) for entry in saved["accountant"]]

    def _restore(self, saved: dict) -> None:
        self.refiner.load_state_dict(saved["refiner"])
        self.discriminator.load_state_dict(saved["discriminator"])
        self.opt_g.load_state_dict(saved["opt_g"])
        self.opt_d.load_state_dict(saved["opt_d"])
        self.history.load_state_dict(saved["history"], self.device)
        self.crops.set_state(saved["generators"]["crops"])
        self.history.generator.set_state(saved["generators"]["history"])
        self.noise.set_state(saved["generators"]["noise"].to(self.noise.device))
        self.step = int(saved["step"])
        self.losses = {k: list(v) for k, v in saved["losses"].items()}

    def _sample(self, images: ImageSet, count: int | None) -> torch.Tensor:
        """``count`` random crops (or, with None, a Poisson sample of images for DP)."""
        n = len(images.images)
        if count is None:
            rate = min(1.0, self.settings.batch / n)
            picked = torch.nonzero(torch.rand(n, generator=self.crops) < rate).flatten().tolist()
        else:
            picked = torch.randint(n, (count,), generator=self.crops).tolist()
        size = self.settings.size
        crops = []
        for index in picked:
            image = images.images[index]
            h, w = image.shape[:2]
            y = int(torch.randint(h - size + 1, (1,), generator=self.crops))
            x = int(torch.randint(w - size + 1, (1,), generator=self.crops))
            crop = torch.from_numpy(image[y : y + size, x : x + size].copy())
            if bool(torch.rand(1, generator=self.crops) < 0.5):
                crop = crop.flip(1)
            crops.append(crop)
        if not crops:
            return torch.zeros((0, 3, size, size), device=self.device)
        batch = torch.stack(crops).to(self.device).permute(0, 3, 1, 2).float()
        return batch / 127.5 - 1

    def one_step(self) -> None:
        synthetic = self._sample(self.data["synthetic"], self.settings.batch)
        real = self._sample(self.data["real"], None if self.private else self.settings.batch)
        refined = self.refiner(synthetic)
        loss_d = self._discriminator_step(real, self.history.mix(refined))
        # Refiner: fool the (frozen) discriminator, stay close to the render.
        self.discriminator.requires_grad_(False)
        if self.private:
            self.private.module.disable_hooks()
        logits = self.discriminator(refined)
        adversarial = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        regularization = F.l1_loss(refined, synthetic)
        self.opt_g.zero_grad(set_to_none=True)
        (adversarial + self.settings.self_regularization * regularization).backward()
        self.opt_g.step()
        self.discriminator.requires_grad_(True)
        if self.private:
            self.private.module.enable_hooks()
        self.step += 1
        for name, value in (
            ("discriminator", loss_d),
            ("adversarial", adversarial.item()),
            ("self_regularization", regularization.item()),
        ):
            self.losses[name].append(round(value, 5))

    def _discriminator_step(self, real: torch.Tensor, fake: torch.Tensor) -> float:
        batch = torch.cat([real, fake])
        labels = torch.cat(
            [torch.ones(len(real), device=self.device), torch.zeros(len(fake), device=self.device)]
        )
        optimizer = self.private.optimizer if self.private else self.opt_d
        optimizer.zero_grad(set_to_none=True)
        module = self.private.module if self.private else self.discriminator
        logits = module(batch).flatten(1)
        per_sample = F.binary_cross_entropy_with_logits(
            logits, labels[:, None].expand_as(logits), reduction="none"
        ).mean(1)
        loss = per_sample.mean()
        with warnings.catch_warnings():
            # Opacus' hooks fire on the batch, which needs no input gradient: harmless.
            warnings.filterwarnings("ignore", "Full backward hook is firing", UserWarning)
            loss.backward()
        if self.private:
            self.private.step()
        else:
            optimizer.step()
        return loss.item()

    def privacy_record(self) -> dict | None:
        """The accountant's final (epsilon, delta) and how it got there, for the model card."""
        if not self.private:
            return None
        return {
            "mechanism": "DP-SGD on the discriminator (Opacus, RDP accountant)",
            "epsilon": round(self.private.epsilon(), 4),
            "delta": self.settings.dp_delta,
            "target_epsilon": self.settings.dp_epsilon,
            "noise_multiplier": round(self.private.noise_multiplier, 6),
            "sample_rate": self.private.sample_rate,
            "max_grad_norm": self.settings.max_grad_norm,
            "steps": self.step,
            "unit": "one real image (Poisson-sampled, one crop per step)",
        }

    def state(self, prints: dict) -> dict:
        """Everything a resume needs, as plain data and tensors (``weights_only`` loadable)."""
        return {
            "settings": self.settings.fingerprint(),
            "data": {name: {"count": p["count"], "sha256": p["sha256"]} for name, p in prints.items()},
            "step": self.step,
            "refiner": self.refiner.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "history": self.history.state_dict(),
            "generators": {
                "crops": self.crops.get_state(),
                "history": self.history.generator.get_state(),
                "noise": self.noise.get_state().cpu(),
            },
            "accountant": [list(entry) for entry in self.private.accountant.history] if self.private else [],
            "losses": self.losses,
        }
