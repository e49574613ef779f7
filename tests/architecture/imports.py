"""The project's modules and the imports between them, read with ``ast`` (nothing is imported)."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Import:
    """``importer`` imports ``target`` at ``line`` (at module level, in a function, or for type checking)."""

    importer: str
    target: str
    line: int


def modules() -> dict[str, Path]:
    """Every module of the ``simulacra`` namespace -> its file, from pyproject's package-dir map."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = {}
    for package, folder in config["tool"]["setuptools"]["package-dir"].items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            found[".".join((package, *parts[: -1 if parts[-1] == "__init__" else None]))] = path
    return found


def imports(known: dict[str, Path]) -> list[Import]:
    """Every import of one project module by another, wherever it stands in the file."""
    edges = []
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _targets(node, package):
                resolved = target if target in known else None
                while resolved is None and "." in target:
                    target = target.rpartition(".")[0]
                    resolved = target if target in known else None
                if resolved is not None and resolved != name:
                    edges.append(Import(name, resolved, node.lineno))
    return edges


def _targets(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            base = f"{anchor}.{base}" if base else anchor
        return [f"{base}.{alias.name}" for alias in node.names]
    return []
