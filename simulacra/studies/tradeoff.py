"""The privacy-utility trade-off: one dataset per privacy strength, its leak rate and its task score.

For each strength ``s`` the spec's ``privacy.strength`` is set to ``s`` and ``n`` images are
rendered with the same job seed, so the datasets differ only in the perturbation. Every
render is kept and audited afterwards against the reference index with the pipeline's own
auditor on the written (lossless) pixels: one attempt, no re-synthesis, so the leak rate
is the share of renders the audit rejects, i.e. what the perturbation alone lets through.
Rendering with the audit inside the pipeline would drop each leaking render instead, and
low strengths would train on fewer images: the curve would mix two effects.

Utility: a model trained on each dataset is scored on one test set, rendered once from
the same spec at strength 0 with a seed of its own (unperturbed: what the model meets
after training). A model is trained per utility seed (:func:`evaluate_utility`), so each
score carries a 95% interval, as each leak rate carries its Wilson interval.

Everything goes under one output folder: ``datasets/strength_<s>/``, ``test/``, and
``tradeoff.json``, ``tradeoff.md`` (the table) and ``tradeoff.png`` (leak rate against
score, one labelled point per strength).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra.assets_manifest import LoadedPolicy, Manifest
from simulacra.audit import ImageAuditor, ShareEstimate, open_auditor, read_image
from simulacra.audit.privacy_metrics import flag_rates
from simulacra.dataset.layout import image_files
from simulacra.dataset.reader import read_graphs
from simulacra.dataset.staging import check_output_folder
from simulacra.errors import EvaluationError
from simulacra.evaluation.utility import UtilityResult, check_size, evaluate_utility, score_text
from simulacra.generate.pipeline import prepare_job, run_job
from simulacra.job import Job, PreparedJob, WorkItem
from simulacra.randomize.privacy import PrivacyParams
from simulacra.scenes import SceneGraph, SceneSpec

RESULTS = "tradeoff.json"
TABLE = "tradeoff.md"
PLOT = "tradeoff.png"
DATASETS = "datasets"
TEST = "test"
# The test set's job seed is the study seed plus this: image seeds derive from (job seed,
# image index) through SeedSequence, so it shares no draw with any strength's dataset.
TEST_SEED_OFFSET = 1_000_000
_SIGNALS = ("phash", "global", "region", "face")


def parse_strengths(text: str) -> tuple[float, ...]:
    """``"0,0.25,1"`` -> ``(0.0, 0.25, 1.0)``: each in [0, 1], each once, in the order given.

    Raises:
        EvaluationError: an empty list, a value that is not a number, out of range, or repeated.
    """
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise EvaluationError(
                f"--strengths {text}: {part.strip()!r} is not a number (expected e.g. 0,0.25,0.5,1)"
            ) from None
        if not 0.0 <= value <= 1.0:
            raise EvaluationError(f"--strengths {text}: {value:g} is outside [0, 1]")
        if label(value) in {label(v) for v in values}:  # one dataset folder per strength
            raise EvaluationError(f"--strengths {text}: {value:g} is given twice")
        values.append(value)
    return tuple(values)


def label(strength: float) -> str:
    """The dataset folder of one strength: ``strength_0.25``."""
    return f"strength_{strength:g}"


@dataclass(frozen=True)
class TradeoffPoint:
    """One strength's dataset: what the audit rejected and what a model trained on it scores.

    Attributes:
        leak: renders the audit rejected, of all renders (Wilson 95%).
        photo_leak: the same among renders whose scene holds a photographed texture (per its
            manifest record; it may still be out of view): the leak rate per exposure, whatever
            the poster odds.
        signals: per-signal flag rates over the renders (``phash``, ``global``, ...).
        audit: the verdict of every render, as ``audit.jsonl`` entries carry them.
    """

    strength: float
    dataset: Path
    images: int
    leak: ShareEstimate
    photo_leak: ShareEstimate
    signals: dict[str, ShareEstimate]
    utility: UtilityResult
    audit: tuple[dict, ...]
    render_seconds: float
    audit_seconds: float

    def to_json(self) -> dict[str, Any]:
        """JSON-ready; the utility result in :meth:`UtilityResult.to_json`'s form."""
        return {
            "strength": self.strength,
            "dataset": str(self.dataset),
            "images": self.images,
            "leak": self.leak.to_dict(),
            "photo_leak": self.photo_leak.to_dict(),
            "signals": {name: rate.to_dict() for name, rate in self.signals.items()},
            "utility": self.utility.to_json(),
            "render_seconds": round(self.render_seconds, 2),
            "audit_seconds": round(self.audit_seconds, 2),
            "audit": list(self.audit),
        }


@dataclass(frozen=True)
class TradeoffResult:
    """The whole study: one point per strength, the shared test set, and how long it took."""

    spec: str
    index: Path
    seed: int
    test: Path
    test_seed: int
    test_images: int
    points: tuple[TradeoffPoint, ...]
    seconds: float

    @property
    def metric(self) -> str:
        """The task score's name (``mIoU``)."""
        return self.points[0].utility.metric

    def to_json(self) -> dict[str, Any]:
        """JSON-ready: ``tradeoff.json``."""
        return {
            "spec": self.spec,
            "index": str(self.index),
            "seed": self.seed,
            "test": str(self.test),
            "test_seed": self.test_seed,
            "test_images": self.test_images,
            "metric": self.metric,
            "seconds": round(self.seconds, 1),
            "points": [point.to_json() for point in self.points],
        }

    def markdown(self) -> str:
        """The table a reviewer reads: leak rates with Wilson intervals, scores with t intervals."""
        first = self.points[0].utility
        lines = [
            f"Privacy-utility trade-off of `{self.spec}`: {first.metric} of a model trained on each "
            f"dataset ({first.steps} steps, seeds {len(first.runs)}, {first.size} px, {first.device}), "
            f"tested on {self.test_images} unperturbed images (strength 0, seed {self.test_seed}); "
            f"renders audited against `{self.index}`, one attempt each. Whole study {self.seconds:.0f} s.",
            "",
            f"| Strength | Images | Leak rate (Wilson 95%) | Leak rate, scenes with a photo | "
            f"{' / '.join(_SIGNALS)} flags | {first.metric} (95% CI) | Object IoU |",
            "|---|---|---|---|---|---|---|",
        ]
        for p in self.points:
            flags = " / ".join(f"{p.signals[name].hits:g}" for name in _SIGNALS)
            lines.append(
                f"| {p.strength:g} | {p.images} | {_share(p.leak)} | {_share(p.photo_leak)} "
                f"| {flags} | {score_text(p.utility)} | {_object_iou(p.utility)} |"
            )
        return "\n".join(lines) + "\n"


def _share(share: ShareEstimate) -> str:
    if share.rate is None:
        return "- (0 renders)"
    return f"{share.rate:.3f} [{share.low:.3f}, {share.high:.3f}] ({share.hits:g}/{share.trials})"


def _object_iou(result: UtilityResult) -> str:
    """Class-agnostic object IoU, mean over seeds: learnt from far fewer images than mIoU's classes."""
    values = [run.object_iou for run in result.runs if run.object_iou is not None]
    return f"{sum(values) / len(values):.3f}" if values else "-"


def at_strength(spec: SceneSpec, strength: float) -> SceneSpec:
    """``spec`` with ``privacy.strength`` set (the defaults of every other privacy field kept)."""
    privacy = (spec.privacy or PrivacyParams()).model_dump()
    return spec.model_copy(
        update={"privacy": PrivacyParams.model_validate({**privacy, "strength": strength})}
    )


def run_tradeoff(
    spec: SceneSpec,
    manifest: Manifest,
    index: Path,
    strengths: tuple[float, ...],
    *,
    n: int,
    test_n: int,
    seed: int,
    out: Path,
    steps: int | None = None,
    utility_seeds: tuple[int, ...] = (0, 1, 2),
    size: int = 128,
    device: str = "auto",
    threads: int | None = None,
    policy: LoadedPolicy | None = None,
    progress: Callable[[str], None] | None = None,
) -> TradeoffResult:
    """Render, audit and score one dataset per strength; write the table, JSON and plot into ``out``.

    Every job (the test set's and each strength's) is checked before the first renders, so
    bad input writes nothing. ``progress`` gets one line per stage. Rendering is on the CPU;
    ``device`` and ``threads`` are torch's, for training.

    Raises:
        EvaluationError: no strengths, or a size or count that cannot be used.
        SimulacraError: a subclass naming the spec field, asset, index or folder at fault.
    """
    say = progress or (lambda line: None)
    _check_settings(strengths, n, test_n, utility_seeds, size)
    check_output_folder(out)
    started = time.perf_counter()
    auditor = open_auditor(index)
    test_seed = seed + TEST_SEED_OFFSET
    test_job = _prepare(spec, 0.0, test_n, test_seed, out / TEST, manifest, index, policy)
    jobs = [_prepare(spec, s, n, seed, out / DATASETS / label(s), manifest, index, policy) for s in strengths]
    say(f"test set: rendering {test_n} images at strength 0 (seed {test_seed}) into {out / TEST}")
    run_job(test_job)
    training = _Training(out / TEST, steps, utility_seeds, size, device, threads)
    points = []
    for number, (prepared, strength) in enumerate(zip(jobs, strengths, strict=True), 1):
        where = f"strength {strength:g} ({number}/{len(strengths)})"
        say(f"{where}: rendering {n} images into {prepared.job.out}")
        points.append(
            _point(prepared, strength, auditor, training, lambda line, where=where: say(f"{where}: {line}"))
        )
    result = TradeoffResult(
        spec=spec.name,
        index=index,
        seed=seed,
        test=out / TEST,
        test_seed=test_seed,
        test_images=test_n,
        points=tuple(points),
        seconds=time.perf_counter() - started,
    )
    write_outputs(result, out)
    return result


def _check_settings(
    strengths: tuple[float, ...], n: int, test_n: int, utility_seeds: tuple[int, ...], size: int
) -> None:
    """Refuse a study that could not run to the end, before anything is rendered."""
    if not strengths:
        raise EvaluationError("--strengths: give at least one strength in [0, 1]")
    if min(n, test_n, len(utility_seeds)) < 1:
        raise EvaluationError(
            f"-n {n}, --test-n {test_n}, --utility-seeds {len(utility_seeds)}: each must be 1 or more"
        )
    check_size(size)


@dataclass(frozen=True)
class _Training:
    """How every strength's model is trained and on which test set it is scored."""

    test: Path
    steps: int | None
    seeds: tuple[int, ...]
    size: int
    device: str
    threads: int | None


def _point(
    prepared: PreparedJob,
    strength: float,
    auditor: ImageAuditor,
    training: _Training,
    say: Callable[[str], None],
) -> TradeoffPoint:
    """Render one strength's dataset, audit every render, train and score its models."""
    rendered = run_job(prepared)
    audit_started = time.perf_counter()
    entries, photo = audit_dataset(auditor, prepared.job.out, prepared.job.manifest)
    audit_seconds = time.perf_counter() - audit_started
    rates = flag_rates(entries)
    leak = rates["any"]
    say(f"audit rejected {leak.hits:g} of {leak.trials} renders ({audit_seconds:.1f} s)")
    say(f"training {len(training.seeds)} models")
    utility = evaluate_utility(
        prepared.job.out,
        training.test,
        task="segmentation",
        steps=training.steps,
        seeds=training.seeds,
        size=training.size,
        device=training.device,
        threads=training.threads,
    )
    say(f"{utility.metric} {utility.mean:.3f}")
    rejected_photo = sum(e["verdict"] == "reject" for e, shows in zip(entries, photo, strict=True) if shows)
    return TradeoffPoint(
        strength=strength,
        dataset=prepared.job.out,
        images=rendered.written,
        leak=leak,
        photo_leak=ShareEstimate.of(rejected_photo, sum(photo)),
        signals={name: rates[name] for name in _SIGNALS},
        utility=utility,
        audit=tuple(entries),
        render_seconds=rendered.seconds,
        audit_seconds=audit_seconds,
    )


def _prepare(
    spec: SceneSpec,
    strength: float,
    n: int,
    seed: int,
    out: Path,
    manifest: Manifest,
    index: Path,
    policy: LoadedPolicy | None,
) -> PreparedJob:
    """Check one dataset's job, then strip the pipeline's audit: the study audits every render itself.

    The job is checked with the index, so a policy that admits people only under audit
    still decides as it would for ``generate --index``; every render is then audited
    by :func:`audit_dataset`, none dropped.
    """
    scene = at_strength(spec, strength)
    job = Job(
        name=scene.name,
        items=tuple(WorkItem(i, scene) for i in range(n)),
        manifest=manifest,
        seed=seed,
        out=out,
        index_path=index,
        max_attempts=1,
        policy=policy,
    )
    return prepare_job(job).without_audit()


def audit_dataset(auditor: ImageAuditor, folder: Path, manifest: Manifest) -> tuple[list[dict], list[bool]]:
    """Audit every image of a dataset folder; also say which scenes hold a photographed texture.

    Entries have the fields of the pipeline's ``audit.jsonl`` entries (``image_index``,
    ``seed``, ``file``, the verdict's fields), so :mod:`simulacra.audit.privacy_metrics`
    reads both alike.
    """
    entries, photo = [], []
    for graph in read_graphs(folder):
        file = image_files(graph.image_index)[0]
        rgb, _ = read_image(folder / file)
        verdict = auditor.audit(rgb, file=file)
        entries.append({"image_index": graph.image_index, "seed": graph.seed, **verdict.to_dict()})
        photo.append(shows_photo(graph, manifest))
    return entries, photo


def shows_photo(graph: SceneGraph, manifest: Manifest) -> bool:
    """Whether a texture in the scene is a photograph, or flagged as showing a person or identifiable.

    Only such textures can carry a real image into a render, so this is the denominator
    of the leak rate per exposure.
    """
    for ref in graph.texture_maps():
        record = manifest.get(ref.id)
        flags = record.flags
        if record.provenance == "photographed" or flags.contains_person or flags.identifiable:
            return True
    return False


def write_outputs(result: TradeoffResult, out: Path) -> None:
    """``tradeoff.json``, ``tradeoff.md`` and ``tradeoff.png`` into ``out``."""
    (out / RESULTS).write_text(json.dumps(result.to_json(), indent=2) + "\n")
    (out / TABLE).write_text(result.markdown())
    plot(result, out / PLOT)


def plot(result: TradeoffResult, path: Path) -> Path:
    """Leak rate (x, Wilson 95%) against task score (y, 95% CI), one labelled point per strength.

    Points are joined in strength order; the upper left (few leaks, high score) is better.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 4.8))
    xs = [p.leak.rate or 0.0 for p in result.points]
    ys = [p.utility.mean for p in result.points]
    axis.plot(xs, ys, color="tab:gray", linewidth=1, zorder=1)
    colours = plt.get_cmap("viridis")
    for number, (x, y, point) in enumerate(zip(xs, ys, result.points, strict=True)):
        low, high = point.utility.interval or (y, y)
        axis.errorbar(
            [x],
            [y],
            xerr=[[x - point.leak.low], [point.leak.high - x]],
            yerr=[[y - low], [high - y]],
            fmt="o",
            color=colours(0.85 * point.strength),
            alpha=0.8,
            capsize=3,
            zorder=2,
        )
        # Strengths that leak alike sit on one vertical: stack their labels instead of overprinting.
        below = sum(abs(other - x) < 0.02 for other in xs[:number])
        axis.annotate(
            f"s={point.strength:g}",
            (x, y),
            textcoords="offset points",
            xytext=(7, 4 + 11 * below),
            fontsize=9,
        )
    axis.set_xlim(-0.05, 1.05)
    axis.set_ylim(bottom=0.0)
    axis.set_xlabel("leak rate: share of renders the audit rejects (Wilson 95%)")
    axis.set_ylabel(f"{result.metric} on the unperturbed test set (95% CI)")
    axis.set_title(
        f"Privacy-utility trade-off: {result.spec}\n{result.points[0].images} images per strength; "
        "upper left is better",
        fontsize=10,
    )
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
