"""An earlier release of the audit package, unpacked from git, for same-run baselines.

Benchmarks print ratios against a baseline measured in the same run on the same
machine; the baseline is the code of an earlier commit, run in its own process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The editable install's finder would import today's code; a baseline script drops it first.
PRELUDE = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
import simulacra.audit as audit
assert audit.__file__.startswith({root!r}), audit.__file__
"""


def run_baseline(commit: str, root: Path, script: str) -> dict:
    """Run ``script`` against ``commit``'s ``audit`` package unpacked in ``root``; its last line, as JSON.

    ``script`` may use ``{root}`` for the unpacked tree. Raises SystemExit with the
    baseline's error output when it fails.
    """
    archive = subprocess.run(
        ["git", "archive", commit, "audit", "simulacra/errors.py"], check=True, capture_output=True, cwd=REPO
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True)
    (root / "audit").rename(root / "simulacra" / "audit")
    (root / "simulacra" / "__init__.py").write_text("")
    return _last_line(PRELUDE.format(root=str(root)) + script, {"PYTHONPATH": str(root)}, root, commit)


def run_today(script: str) -> dict:
    """Run ``script`` against the working tree, in its own process like the baseline; its last line."""
    return _last_line(script, {}, REPO, "working tree")


def _last_line(code: str, env: dict[str, str], cwd: Path, name: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, cwd=cwd
    )
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
