"""``--set path=v1,v2`` overrides: one spec per value, for parameter sweeps.

A path is dotted into the spec's fields (``lights.count_range``); each value is a YAML
scalar or flow list (``3``, ``0.5``, ``[1, 3]``). Values are split at top-level commas
only, so bracketed lists stay whole. Every overridden spec goes through the normal
validation, so a bad path or value is named the way a bad YAML field would be.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import yaml

from simulacra.errors import SpecError
from simulacra.scenes.spec import SceneSpec, spec_from_dict

_OPEN, _CLOSE = "[{", "]}"


@dataclass(frozen=True)
class Override:
    """One ``--set`` option: a dotted path and the values (their text and parsed data) to try."""

    path: str
    texts: tuple[str, ...]
    values: tuple[object, ...]


def _split_values(text: str, option: str) -> list[str]:
    """Split at commas outside brackets: ``1,[1, 3],5`` -> ``['1', '[1, 3]', '5']``."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth < 0:
                raise SpecError(f"--set {option}: unbalanced {char!r}")
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if depth != 0:
        raise SpecError(f"--set {option}: unclosed bracket")
    parts.append(current.strip())
    if any(not part for part in parts):
        raise SpecError(f"--set {option}: empty value (expected path=value[,value...])")
    return parts


def parse_override(option: str) -> Override:
    """Parse one ``path=value[,value...]`` option.

    Example: ``parse_override("lights.count_range=1,[1, 3]").values == (1, [1, 3])``.
    """
    path, sep, text = option.partition("=")
    path = path.strip()
    if not sep or not path or any(not key for key in path.split(".")):
        raise SpecError(f"--set {option}: expected path=value[,value...], e.g. lights.count_range=1,3")
    texts = _split_values(text, option)
    values = []
    for part in texts:
        try:
            values.append(yaml.safe_load(part))
        except yaml.YAMLError:
            raise SpecError(f"--set {path}={part}: not a YAML value") from None
    return Override(path, tuple(texts), tuple(values))


def with_value(data: dict, path: str, value: object) -> dict:
    """A deep copy of ``data`` with ``value`` at dotted ``path``; missing mappings are created."""
    result = copy.deepcopy(data)
    keys = path.split(".")
    node = result
    for depth, key in enumerate(keys[:-1]):
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            where = ".".join(keys[: depth + 1])
            raise SpecError(f"--set {path}: {where} is a value, not a group of fields")
        node = child
    node[keys[-1]] = value
    return result


@dataclass(frozen=True)
class Variant:
    """One point of a sweep: its folder-safe label, the values set, and the validated spec."""

    label: str
    settings: dict[str, object]
    spec: SceneSpec


def expand(spec: SceneSpec, overrides: list[Override]) -> list[Variant]:
    """Every combination of the overrides' values applied to ``spec``, validated.

    Raises:
        SpecError: a path names no field or a value is out of range; names ``--set path=value``.
    """
    if not overrides:
        raise SpecError("sweep: give at least one --set path=value[,value...]")
    paths = [o.path for o in overrides]
    if len(set(paths)) != len(paths):
        raise SpecError(f"--set: a path is given twice ({', '.join(paths)})")
    choices = [list(zip(o.texts, o.values, strict=True)) for o in overrides]
    variants = []
    for combination in itertools.product(*choices):
        chosen = {o.path: choice for o, choice in zip(overrides, combination, strict=True)}
        labels = [f"{path}={text}" for path, (text, _) in chosen.items()]
        label = ",".join(label.replace(" ", "").replace("/", "_") for label in labels)
        variants.append(variant(spec, label, chosen, option="--set"))
    if len({v.label for v in variants}) != len(variants):
        raise SpecError("--set: two values give the same dataset folder; list each value once")
    return variants


def variant(spec: SceneSpec, label: str, chosen: dict[str, tuple[str, object]], *, option: str) -> Variant:
    """``spec`` with each path set to its (text, value), validated; errors name ``option path=text``.

    Example: ``variant(spec, "one", {"lights.count_range": ("1", 1)}, option="--set")``.
    """
    data = spec.model_dump(mode="json")
    for path, (_, value) in chosen.items():
        data = with_value(data, path, value)
    source = f"{option} {' '.join(f'{path}={text}' for path, (text, _) in chosen.items())}"
    settings = {path: value for path, (_, value) in chosen.items()}
    return Variant(label, settings, spec_from_dict(data, source=source))
