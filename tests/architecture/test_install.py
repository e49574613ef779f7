"""pyproject declares ranges, constraints.txt the exact set `make` installs, and the two agree.

Exact pins in pyproject made ``pip install simulacra`` replace a user's own torch, numpy
or pillow (or fail). The ranges say what the code needs; the constraints file is the one
tested set, used only by the Makefile.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.architecture.imports import ROOT


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(text) for text in (*project["dependencies"], *extras)]


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not name==version"
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_pyproject_declares_ranges_not_pins():
    """No dependency is pinned to one version: a user's newer torch, numpy, pillow satisfy them."""
    pinned = [str(r) for r in _requirements() if any(s.operator in ("==", "===") for s in r.specifier)]
    assert pinned == []
    ranges = {canonicalize_name(r.name): r.specifier for r in _requirements()}
    for name, newer in (("torch", "2.14.1"), ("numpy", "2.4.6"), ("pillow", "13.0.0")):
        assert ranges[name].contains(newer), f"{name} {newer} is outside {ranges[name]}"


def test_constraints_pin_every_requirement_inside_its_range():
    """Every direct requirement has one exact version in constraints.txt, and that version is allowed."""
    pins = _pins()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {requirement.specifier}"
        )


def test_make_installs_through_the_constraints():
    """Every pip install in the Makefile is constrained, so `make setup` gets the tested set."""
    installs = re.findall(r"pip install[^\n]*", (ROOT / "Makefile").read_text())
    project_installs = [line for line in installs if "--upgrade pip" not in line]
    assert project_installs and all("-c constraints.txt" in line for line in project_installs)
