"""``simulacra generate``, ``demo``, ``assemble`` and ``merge``: options in, the job's summary out."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from simulacra.cli.console import err
from simulacra.render.devices import DEVICE_CHOICES

if TYPE_CHECKING:
    from simulacra.farm.options import FarmOptions
    from simulacra.generate.pipeline import JobResult
    from simulacra.job import Job

generate_app = typer.Typer()  # top-level commands

Device = Enum("Device", {name: name for name in DEVICE_CHOICES}, type=str)
DeviceOption = Annotated[Device, typer.Option(help="Cycles device; auto takes a GPU if Cycles finds one.")]


@generate_app.command()
def generate(
    spec: Annotated[Path, typer.Argument(help="Scene spec YAML, or a preset name such as 'tabletop'.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output dataset folder (must not exist yet).")],
    n: Annotated[int, typer.Option("-n", min=1, help="Number of images.")] = 10,
    seed: Annotated[int, typer.Option(min=0, help="Job seed; image seeds derive from it.")] = 0,
    index: Annotated[Path | None, typer.Option(help="Reference index: audit every image against it.")] = None,
    manifest: Annotated[Path | None, typer.Option(help="Asset manifest (default: built-in library).")] = None,
    device: DeviceOption = Device.cpu,
    max_attempts: Annotated[int, typer.Option(min=1, help="Renders per image before it is dropped.")] = 3,
    purpose: Annotated[
        str, typer.Option(help="What the dataset is for: research, commercial, ...")
    ] = "research",
    policy: Annotated[Path | None, typer.Option(help="License policy JSON (default: built-in).")] = None,
    refine: Annotated[
        Path | None, typer.Option(help="Refiner model folder: every render is refined, then audited.")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Supervised Blender worker processes (default: render in this process)."),
    ] = None,
    threads_per_worker: Annotated[
        int, typer.Option(min=0, help="Cycles CPU threads per worker (0: all cores).")
    ] = 0,
    ray: Annotated[
        str | None,
        typer.Option(
            help="Render on Ray: 'auto' (running cluster), an address, or 'local' (--workers actors)."
        ),
    ] = None,
    shard: Annotated[
        str | None, typer.Option(help="Render only shard i/N (index % N == i) into -o; join with `merge`.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted job of the same config.")
    ] = False,
    image_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds one image may take before its worker is replaced.")
    ] = 1800.0,
    max_failures: Annotated[
        int, typer.Option(min=1, help="Worker crashes or hangs on one image before it is recorded failed.")
    ] = 3,
    max_worker_rss_mb: Annotated[
        float | None, typer.Option(min=1, help="A worker above this resident memory (MiB) is recycled.")
    ] = None,
    gpus: Annotated[
        str | None, typer.Option(help="GPU ids for --device cuda|optix workers, e.g. 0,1 (default: 0..N-1).")
    ] = None,
) -> None:
    """Render a labeled dataset from a scene spec, sampling only what the license policy admits."""
    from simulacra.assets_manifest import builtin_manifest, load_manifest, load_policy
    from simulacra.errors import FarmError
    from simulacra.farm.options import FarmOptions, Shard, parse_gpus
    from simulacra.job import ItemRuns, Job
    from simulacra.scenes import load_spec

    if gpus is not None and device.value not in ("cuda", "optix"):
        raise FarmError(f"--gpus {gpus}: only with --device cuda or --device optix")

    options = FarmOptions(
        workers=workers,
        threads_per_worker=threads_per_worker,
        ray=ray,
        shard=Shard.parse(shard) if shard is not None else None,
        resume=resume,
        image_timeout=image_timeout,
        max_failures=max_failures,
        max_worker_rss_mb=max_worker_rss_mb,
        gpus=parse_gpus(gpus) if gpus is not None else None,
    )

    scene = load_spec(spec)
    assets = load_manifest(manifest) if manifest else builtin_manifest()
    job = Job(
        name=scene.name,
        items=ItemRuns.uniform(scene, n),  # work items are made as they render: -n costs no memory
        manifest=assets,
        seed=seed,
        out=out,
        index_path=index,
        device=device.value,
        max_attempts=max_attempts,
        purpose=purpose,
        policy=load_policy(policy),
        refine=refine,
    )
    _render(job, options)


@generate_app.command()
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Demo workspace folder.")] = Path("demo_output"),
    n: Annotated[int, typer.Option("-n", min=2, help="Number of images.")] = 24,
    device: DeviceOption = Device.cpu,
    refine: Annotated[bool, typer.Option(help="Refine renders with the bundled refiner.")] = True,
) -> None:
    """Built-in end-to-end run: references -> index -> renders with one planted leak -> refine -> audit."""
    from simulacra.generate.demo import prepare_demo

    job = prepare_demo(out, n=n, device=device.value, refine=refine)
    _render(job)
    err.print(f"reference index: {job.index_path}  (descriptors only, no images)")


def _render(job: Job, options: FarmOptions | None = None) -> None:
    """Check the job, render it under a progress bar, and say where everything went."""
    from simulacra.cli.progress import job_progress
    from simulacra.generate.pipeline import prepare_job, run_job

    prepared = prepare_job(job, options)
    admission = prepared.admission
    err.print(
        f"policy {admission.policy.name}, purpose {admission.purpose}: "
        f"{len(admission.excluded)} of {len(job.manifest.assets)} assets excluded"
    )
    for asset_id, reason in sorted(admission.excluded.items()):
        err.print(f"  excluded {asset_id}: {reason}", highlight=False, soft_wrap=True)
    try:
        with job_progress("rendering") as bar:
            result = run_job(prepared, options, on_image=lambda _: bar.advance(), on_start=bar.start)
    except KeyboardInterrupt:
        from simulacra.dataset.staging import staging_folder

        if staging_folder(job.out).is_dir():  # it holds finished images (else it was removed)
            err.print(
                f"interrupted: finished images are kept in {staging_folder(job.out)}; "
                "run the same command with --resume to continue",
                highlight=False,
                soft_wrap=True,
            )
        raise
    if result.complete:
        err.print(
            f"already complete: {result.out} holds all {result.requested} images of this job; nothing to do",
            highlight=False,
            soft_wrap=True,
        )
        return
    _summary(result)
    if result.audit is None:
        err.print(
            f"[green]shard done[/green]: {result.written} images in {result.out}; join shards with `merge`"
        )
        return
    audit = result.audit
    err.print(f"[green]wrote {result.written} images[/green] to {result.out}")
    if audit.index:
        err.print(
            f"audit: {audit.audited} renders audited, {audit.rejected} rejected, "
            f"{audit.resynthesized} re-synthesised, {audit.dropped} dropped, {audit.leaked} leaked"
        )
    err.print(f"dataset card: {result.card}")
    err.print(f"COCO: {result.coco}")
    if audit.index:
        err.print(f"audit log: {result.out / 'audit.jsonl'}")


def _summary(result: JobResult) -> None:
    """The job's final line: what this run rendered, what the audit rejected, what failed, how fast."""
    rate = result.rendered / result.seconds if result.seconds else 0.0
    resumed = f" (+{result.resumed} finished before --resume)" if result.resumed else ""
    rejected = f"{result.rejected} render{'' if result.rejected == 1 else 's'} rejected by audit"
    err.print(
        f"summary: {result.rendered} images rendered{resumed}, {rejected}, "
        f"{result.dropped} dropped, {result.failed} failed, {result.retried} retried; "
        f"{result.seconds:.1f} s, {rate:.2f} images/s, peak worker RSS {result.peak_rss_mb:.0f} MiB",
        highlight=False,
        soft_wrap=True,
    )


@generate_app.command()
def assemble(
    dataset: Annotated[Path, typer.Argument(help="A dataset folder (or a staging folder) with records/.")],
) -> None:
    """Rebuild COCO, the graph and audit logs and the card of a dataset from its per-image records."""
    from simulacra.generate.shards import reassemble

    written = reassemble(dataset)
    err.print(f"[green]assembled {written} images[/green] in {dataset}")


@generate_app.command()
def merge(
    shards: Annotated[list[Path], typer.Argument(help="Shard folders made by `generate --shard i/N`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output dataset folder (must not exist yet).")],
) -> None:
    """Join the shards of one job into its dataset, identical to rendering it unsharded."""
    from simulacra.generate.shards import merge_shards

    written = merge_shards(shards, out)
    err.print(f"[green]merged {written} images[/green] from {len(shards)} shards into {out}")
