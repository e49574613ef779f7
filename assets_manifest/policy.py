"""License policy: which assets a job may sample, given the purpose it states.

A policy file lists, per purpose (research, commercial, ...), the SPDX licenses it
admits and whether assets showing people may be used. Every asset is decided with a
reason, so the job and the dataset card can say exactly what was excluded and why.
The default policy ships in ``default_policy.json`` next to this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from simulacra.assets_manifest.records import KNOWN_LICENSES, UNKNOWN_LICENSE, AssetRecord, Manifest
from simulacra.errors import PolicyError

DEFAULT_POLICY = "default_policy.json"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PurposeRule(_Frozen):
    """What one purpose admits. People are refused unless ``allow_people`` says otherwise."""

    licenses: tuple[str, ...]
    allow_people: bool = False
    allow_location_sensitive: bool = True

    @field_validator("licenses")
    @classmethod
    def _known(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if value == UNKNOWN_LICENSE:
                raise ValueError(f"{UNKNOWN_LICENSE} (unknown license) can never be admitted")
            if value not in KNOWN_LICENSES:
                raise ValueError(f"unknown license {value!r}")
        return values


class LicensePolicy(_Frozen):
    """A named policy: rules per purpose and the licenses that owe attribution."""

    name: str
    notes: str = ""
    attribution_required: tuple[str, ...] = ()
    purposes: dict[str, PurposeRule]

    def rule(self, purpose: str) -> PurposeRule:
        if purpose not in self.purposes:
            known = ", ".join(sorted(self.purposes))
            raise PolicyError(f"--purpose {purpose}: policy {self.name!r} defines only {known}")
        return self.purposes[purpose]

    def refusal(self, record: AssetRecord, purpose: str) -> str | None:
        """Why ``record`` may not be used for ``purpose``, or None when it may."""
        rule = self.rule(purpose)
        if record.license == UNKNOWN_LICENSE:
            return "license unknown (NOASSERTION)"
        if record.license not in rule.licenses:
            return f"license {record.license} is not allowed for {purpose} use"
        if purpose not in record.allowed_uses:
            return f"allowed uses ({', '.join(record.allowed_uses)}) exclude {purpose}"
        if record.license in self.attribution_required and not record.attribution.strip():
            return f"license {record.license} requires attribution and the record has none"
        screening = record.screening
        if screening is not None and screening.pending:
            return "face detected by screening, awaiting review (simulacra assets approve)"
        people = [flag for flag in ("contains_person", "identifiable") if getattr(record.flags, flag)]
        if people and not rule.allow_people:
            return f"flagged {' and '.join(people)}; policy does not allow people for {purpose} use"
        if record.flags.location_sensitive and not rule.allow_location_sensitive:
            return f"flagged location_sensitive; policy does not allow it for {purpose} use"
        return None


@dataclass(frozen=True)
class Admission:
    """The policy's decision over a manifest for one purpose."""

    policy: LicensePolicy
    source: str
    content_hash: str
    purpose: str
    excluded: dict[str, str]
    people: tuple[str, ...]

    @property
    def excluded_ids(self) -> frozenset[str]:
        return frozenset(self.excluded)


def admit(manifest: Manifest, policy: LoadedPolicy, purpose: str) -> Admission:
    """Decide every record; ``people`` lists admitted assets that show people (always audited)."""
    excluded = {}
    for record in manifest.assets:
        reason = policy.policy.refusal(record, purpose)
        if reason:
            excluded[record.id] = reason
    people = tuple(
        r.id
        for r in manifest.assets
        if r.id not in excluded and (r.flags.contains_person or r.flags.identifiable)
    )
    return Admission(policy.policy, policy.source, policy.content_hash, purpose, excluded, people)


@dataclass(frozen=True)
class LoadedPolicy:
    policy: LicensePolicy
    source: str
    content_hash: str


def load_policy(path: Path | None = None) -> LoadedPolicy:
    """Load a policy file (JSON), or the default policy when ``path`` is None."""
    if path is None:
        text = (resources.files("simulacra.assets_manifest") / DEFAULT_POLICY).read_text()
        source = f"built-in {DEFAULT_POLICY}"
    else:
        try:
            text = Path(path).read_text()
        except (FileNotFoundError, IsADirectoryError):
            raise PolicyError(f"policy {path} does not exist") from None
        source = str(path)
    try:
        data = json.loads(text)
        policy = LicensePolicy.model_validate(data)
    except json.JSONDecodeError as err:
        raise PolicyError(f"policy {source} is not valid JSON: {err}") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PolicyError(f"policy {source}: {where}: {first['msg'].removeprefix('Value error, ')}") from None
    return LoadedPolicy(policy, source, hashlib.sha256(text.encode()).hexdigest())
