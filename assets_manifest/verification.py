"""Re-hash an asset root against its manifest: what is missing, changed, or unlisted."""

from __future__ import annotations

from dataclasses import dataclass

from simulacra.assets_manifest.adding import expand
from simulacra.assets_manifest.records import Manifest, sha256_of
from simulacra.errors import AssetError


@dataclass(frozen=True)
class VerifyReport:
    """Problems found; empty tuples everywhere mean the root matches its manifest."""

    missing: tuple[str, ...]
    changed: tuple[str, ...]
    unlisted: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.changed or self.unlisted)


def verify_root(manifest: Manifest) -> VerifyReport:
    """Re-hash every listed file and look for files the manifest does not list."""
    missing, changed, listed = [], [], set()
    for record in manifest.assets:
        try:
            path = manifest.file_of(record)
        except AssetError:
            missing.append(f"{record.id} ({record.path}: escapes the asset root)")
            continue
        listed.add(path)
        if not path.is_file():
            missing.append(f"{record.id} ({record.path})")
        elif sha256_of(path) != record.sha256:
            changed.append(f"{record.id} ({record.path})")
    root = manifest.root.resolve()
    unlisted = [path.relative_to(root).as_posix() for path in expand([root]) if path.resolve() not in listed]
    return VerifyReport(tuple(missing), tuple(changed), tuple(unlisted))
