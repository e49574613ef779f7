"""Downstream utility: train a small model from scratch on dataset A, score it on dataset B.

Segmentation: a compact U-Net, cross-entropy with median-frequency class weights (the
background covers ~90% of a tabletop image; unweighted, a model from a few dozen images
predicts background everywhere). Scored by IoU per class over the whole test set
(intersection and union summed over its images); mIoU averages the object classes whose
union is non-empty, i.e. that appear in the test labels or the predictions. Background
IoU is reported beside it, not in it, as it would lift every mIoU towards 0.9, and so is
the class-agnostic object IoU (any object vs background), which a model learns from far
fewer images than the classes themselves.

Detection: CenterNet-style heads on the same U-Net; mAP@0.5 by pycocotools' COCOeval
against the test set's own COCO file (boxes mapped back to its pixels).

Training is a number of optimizer steps (batches of four, horizontal flips), not epochs,
on a one-cycle schedule (warm up to 3e-3, anneal to zero), so a small and a large set
get the same compute. Measured on 128 px ``tabletop`` images (BENCHMARKS.md): the former
10 epochs of 40 images were 100 steps at 1e-3 and predicted background almost everywhere
(mIoU 0.000); labels matched the masks and the class weights were sane, but the loss was
still falling steeply. Given 1,200 steps, 40 images were memorised, not learnt (train
mIoU 0.56, test 0.14); 400 images and a few thousand steps are what reach a useful score.

Each seed trains a fresh model (initialisation and batch order from that seed); the
result is the mean over seeds with a t-based 95% interval.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simulacra.errors import EvaluationError
from simulacra.evaluation.task_data import TaskData, load_task_data

if TYPE_CHECKING:
    import torch

TASKS = ("segmentation", "detection")
METRICS = {"segmentation": "mIoU", "detection": "mAP@0.5"}
BATCH = 4
STEPS = 3000  # batches of BATCH images; 100 steps (10 epochs of 40 images) learnt nothing
LEARNING_RATE = 3e-3  # the one-cycle schedule's peak
WARMUP = 0.1  # share of the steps spent rising to the peak


@dataclass(frozen=True)
class SeedScore:
    """One trained model's score; ``per_class`` is IoU or AP@0.5 per category name."""

    seed: int
    score: float
    per_class: dict[str, float]
    background_iou: float | None
    object_iou: float | None  # class-agnostic: any object vs background (segmentation only)
    train_seconds: float


@dataclass(frozen=True)
class UtilityResult:
    """Scores of models trained on ``train`` and tested on ``test``, one per seed."""

    task: str
    metric: str
    train: str
    test: str
    steps: int
    size: int
    device: str
    runs: tuple[SeedScore, ...]

    @property
    def mean(self) -> float:
        return float(np.mean([run.score for run in self.runs]))

    @property
    def interval(self) -> tuple[float, float] | None:
        """t-based 95% confidence interval of the mean over seeds (None with one seed)."""
        return t_interval([run.score for run in self.runs])

    def per_class_mean(self) -> dict[str, float]:
        names = sorted({name for run in self.runs for name in run.per_class})
        return {name: float(np.mean([run.per_class.get(name, 0.0) for run in self.runs])) for name in names}

    def to_json(self) -> dict:
        interval = self.interval
        return {
            **asdict(self),
            "mean": round(self.mean, 6),
            "ci95": [round(v, 6) for v in interval] if interval else None,
            "per_class_mean": {k: round(v, 6) for k, v in self.per_class_mean().items()},
        }


def score_text(result: UtilityResult) -> str:
    """``0.412 [0.380, 0.444]``: the mean over seeds and its t-based 95% interval where there is one."""
    interval = result.interval
    return f"{result.mean:.3f} [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else f"{result.mean:.3f}"


def t_interval(values: list[float]) -> tuple[float, float] | None:
    """Mean +- t(0.975, n-1) * sd / sqrt(n), clipped to [0, 1]; None for fewer than two values."""
    from scipy import stats

    if len(values) < 2:
        return None
    mean, sd = float(np.mean(values)), float(np.std(values, ddof=1))
    half = float(stats.t.ppf(0.975, len(values) - 1)) * sd / math.sqrt(len(values))
    return max(0.0, mean - half), min(1.0, mean + half)


def check_size(size: int) -> None:
    """Refuse a side the model cannot halve four times (stem and U-Net) back to whole pixels."""
    from simulacra.evaluation.models import HALVINGS

    if size % 2**HALVINGS:
        raise EvaluationError(
            f"--size {size}: must be a multiple of {2**HALVINGS} (the model halves it {HALVINGS} times)"
        )


def resolve_device(device: str) -> str:
    """``auto`` takes CUDA when torch sees a GPU; ``cuda`` without one is refused by name."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise EvaluationError("--device cuda: torch finds no CUDA GPU here (use --device cpu or auto)")
    return device


def evaluate_utility(
    train: Path,
    test: Path,
    *,
    task: str = "segmentation",
    steps: int | None = None,
    seeds: tuple[int, ...] = (0, 1, 2),
    size: int = 128,
    device: str = "auto",
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> UtilityResult:
    """Train on ``train`` once per seed, score on ``test``; ``progress(done, total)`` per step.

    ``steps`` defaults to :data:`STEPS`; ``threads`` sets torch's CPU threads for the call
    (None: leave torch's setting).
    """
    if task not in TASKS:
        raise EvaluationError(f"--task {task}: expected one of {', '.join(TASKS)}")
    check_size(size)
    train_data = load_task_data(train, size)
    test_data = load_task_data(test, size, train_data.categories)
    settings = {"task": task, "steps": steps or STEPS, "seeds": seeds, "device": device, "threads": threads}
    return score_on(train_data, test_data, **settings, progress=progress)


def score_on(
    train_data: TaskData,
    test_data: TaskData,
    *,
    task: str,
    steps: int,
    seeds: tuple[int, ...],
    device: str,
    threads: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> UtilityResult:
    """:func:`evaluate_utility` on data already loaded (tests swap in noise labels here)."""
    import torch

    device = resolve_device(device)
    if device == "cuda":  # cuBLAS is deterministic only with a fixed workspace, set before its first use
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    previous = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    runs = []
    try:
        torch.set_num_threads(threads or previous)
        # CUDA's atomic-add kernels (transposed convolution, pooling backward) otherwise make two
        # runs of one seed differ; on the CPU the kernels used here are deterministic anyway.
        torch.use_deterministic_algorithms(True, warn_only=True)
        for n, seed in enumerate(seeds):
            step = None
            if progress is not None:
                step = lambda done, n=n: progress(n * steps + done, len(seeds) * steps)  # noqa: E731
            started = time.perf_counter()
            model = _train(train_data, task, steps, seed, device, step)
            seconds = time.perf_counter() - started
            runs.append(_score(model, test_data, task, device, seed, seconds))
    finally:
        torch.set_num_threads(previous)
        torch.use_deterministic_algorithms(deterministic)
    return UtilityResult(
        task=task,
        metric=METRICS[task],
        train=str(train_data.root),
        test=str(test_data.root),
        steps=steps,
        size=int(train_data.images.shape[-1]),
        device=device,
        runs=tuple(runs),
    )


def _train(
    data: TaskData, task: str, steps: int, seed: int, device: str, step: Callable[[int], None] | None
) -> torch.nn.Module:
    import torch

    from simulacra.evaluation.detection import detection_loss, detection_targets
    from simulacra.evaluation.models import CenterDetector, Segmenter

    torch.manual_seed(seed)
    classes = len(data.categories)
    model = (Segmenter(classes) if task == "segmentation" else CenterDetector(classes)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LEARNING_RATE, total_steps=steps, pct_start=WARMUP
    )
    weights = torch.from_numpy(_class_weights(data.semantic, classes + 1)).to(device)
    order = torch.Generator().manual_seed(seed)
    size = data.images.shape[-1]
    model.train()
    for done, (batch, flip) in enumerate(_batches(len(data.images), steps, order), 1):
        images = data.images[batch].copy()
        images[flip] = images[flip][..., ::-1]
        x = torch.from_numpy(images).float().div(255).to(device)
        if task == "segmentation":
            labels = data.semantic[batch].copy()
            labels[flip] = labels[flip][..., ::-1]
            loss = segmentation_loss(model(x), torch.from_numpy(labels).to(device), weights)
        else:
            boxes = [
                _flip_boxes(data.boxes[i], size) if f else data.boxes[i]
                for i, f in zip(batch, flip, strict=True)
            ]
            heat, wh, centre = (
                torch.from_numpy(t).to(device)
                for t in detection_targets(boxes, [data.labels[i] for i in batch], classes, size)
            )
            loss = detection_loss(*model(x), heat, wh, centre)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step is not None:
            step(done)
    return model


def _batches(images: int, steps: int, order: torch.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``steps`` batches of image indices and horizontal-flip flags, through successive shuffles.

    Every image is seen once per pass before any is seen twice, whatever the set's size.
    """
    import torch

    batch = min(BATCH, images)
    queue: list[int] = []
    for _ in range(steps):
        while len(queue) < batch:
            queue += torch.randperm(images, generator=order).tolist()
        indices, queue = np.array(queue[:batch]), queue[batch:]
        yield indices, torch.rand(batch, generator=order).numpy() < 0.5


def segmentation_loss(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Class-weighted cross-entropy plus soft Dice over the object classes present in the batch."""
    import torch.nn.functional as F

    onehot = F.one_hot(labels, logits.shape[1]).permute(0, 3, 1, 2).float()
    # Weighted cross-entropy written out: CUDA's nll_loss2d with class weights has no
    # deterministic kernel, these element-wise products and sums do.
    pixel_weights = (onehot * weights[None, :, None, None]).sum(1)
    cross_entropy = -(logits.log_softmax(1) * onehot).sum(1).mul(pixel_weights).sum() / pixel_weights.sum()
    probabilities, objects = logits.softmax(1)[:, 1:], onehot[:, 1:]
    intersection = (probabilities * objects).sum((0, 2, 3))
    total = probabilities.sum((0, 2, 3)) + objects.sum((0, 2, 3))
    present = objects.sum((0, 2, 3)) > 0
    dice = 1 - (2 * intersection[present] + 1) / (total[present] + 1)
    return cross_entropy + (dice.mean() if present.any() else 0)


def _flip_boxes(boxes: np.ndarray, size: int) -> np.ndarray:
    flipped = boxes.copy()
    flipped[:, 0], flipped[:, 2] = size - boxes[:, 2], size - boxes[:, 0]
    return flipped


def _class_weights(semantic: np.ndarray, classes: int) -> np.ndarray:
    """Square root of median-frequency balancing (Eigen and Fergus 2015), at most 10.

    Full balancing made the model paint objects over most of the background in our runs.
    """
    counts = np.bincount(semantic.ravel(), minlength=classes).astype(np.float64)
    frequency = counts / counts.sum()
    present = frequency > 0
    weights = np.ones(classes)
    weights[present] = np.sqrt(np.median(frequency[present]) / frequency[present])
    return np.minimum(weights, 10.0).astype(np.float32)


def _score(
    model: torch.nn.Module, data: TaskData, task: str, device: str, seed: int, seconds: float
) -> SeedScore:
    import torch

    from simulacra.evaluation.detection import average_precision_50, decode

    model.eval()
    classes = len(data.categories) + 1
    confusion = np.zeros((classes, classes), np.int64)
    detections = []
    with torch.no_grad():
        for start in range(0, len(data.images), BATCH):
            x = torch.from_numpy(data.images[start : start + BATCH]).float().div(255).to(device)
            if task == "segmentation":
                predicted = model(x).argmax(1).cpu().numpy()
                truth = data.semantic[start : start + BATCH]
                confusion += np.bincount(
                    truth.ravel() * classes + predicted.ravel(), minlength=classes * classes
                ).reshape(classes, classes)
            else:
                detections += decode(*model(x))
    if task == "detection":
        score, per_class = average_precision_50(
            data.coco, detections, data.image_ids, data.scale, data.categories
        )
        return SeedScore(seed, score, per_class, None, None, round(seconds, 2))
    iou = iou_per_class(confusion)
    per_class = {name: iou[k + 1] for k, name in enumerate(data.categories) if not math.isnan(iou[k + 1])}
    score = float(np.mean(list(per_class.values()))) if per_class else 0.0
    objects = float(confusion[1:, 1:].sum()) / max(float(confusion.sum() - confusion[0, 0]), 1.0)
    return SeedScore(seed, score, per_class, float(iou[0]), objects, round(seconds, 2))


def iou_per_class(confusion: np.ndarray) -> list[float]:
    """IoU per class from a (truth, prediction) confusion matrix; NaN where the union is empty."""
    intersection = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        return (intersection / union).tolist()
