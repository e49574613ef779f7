"""``job.json``: what a dataset needs to re-render any of its images later.

Scene graphs pin what each image *was*; revoking an asset needs what each image *may
be*: the spec per image index, the job seed, purpose and policy, the audit index and
refiner, and the COCO categories. The file also lists every revocation applied since.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from simulacra.dataset.atomic import write_atomic

JOB_FILE = "job.json"


class Revocation(BaseModel):
    """One ``assets revoke``: the asset, why, when, and which images were replaced or dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    asset: str
    reason: str = ""
    date: str
    replaced: tuple[int, ...]
    dropped: tuple[int, ...] = ()


class JobRecord(BaseModel):
    """A generation job as stored beside its dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    config_hash: str
    seed: int
    max_attempts: int
    purpose: str
    policy: dict
    policy_source: str
    policy_hash: str
    manifest: str
    manifest_hash: str
    categories: tuple[str, ...]
    index: str | None = None
    refine: str | None = None
    device: str = "cpu"
    specs: dict[str, dict]  # spec key -> spec fields
    # (first image index, end index, spec key) runs; datasets made before runs list (index, key)
    items: tuple[tuple[int, int, str] | tuple[int, str], ...]
    revocations: tuple[Revocation, ...] = ()
    versions: dict[str, str] = {}  # simulacra, bpy, blenderproc: what rendered the dataset

    def runs(self) -> tuple[tuple[int, int, str], ...]:
        """The job's images as (first index, end index, spec key) runs, whichever form was stored."""
        return tuple((e[0], e[0] + 1, e[1]) if len(e) == 2 else e for e in self.items)  # type: ignore[misc]

    def image_count(self) -> int:
        """How many images the job asked for."""
        return sum(stop - start for start, stop, _ in self.runs())

    def image_indices(self) -> Iterator[int]:
        """The job's image indices, in order."""
        for start, stop, _ in self.runs():
            yield from range(start, stop)

    def save(self, root: Path) -> None:
        """Write ``root/job.json`` atomically (a failure leaves the previous file)."""
        write_atomic(root / JOB_FILE, (self.model_dump_json(indent=2) + "\n").encode())


def installed_versions() -> dict[str, str]:
    """Versions of the packages that shape the pixels, read from package metadata (no bpy import)."""
    versions = {}
    for package in ("simulacra", "bpy", "blenderproc"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
