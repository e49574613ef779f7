"""Shape rules a reviewer would otherwise check by eye: short functions, one error kernel, one reader."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from tests.architecture.imports import ROOT, modules

MAX_BODY_LINES = 60


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _trees() -> dict[Path, ast.AST]:
    return {path: ast.parse(path.read_text(), str(path)) for path in set(modules().values())}


def test_no_function_body_over_60_lines():
    """Every function's body (its signature aside: a CLI command's option declarations) fits 60 lines."""
    long = [
        f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} has {fn.end_lineno - fn.body[0].lineno + 1} lines"
        for path, tree in _trees().items()
        for fn in _functions(tree)
        if fn.end_lineno - fn.body[0].lineno + 1 > MAX_BODY_LINES  # type: ignore[operator]
    ]
    assert long == []


def test_no_bare_simulacra_error_is_raised():
    """Every expected failure raises a SimulacraError subclass that says what kind it is."""
    bare = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _trees().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and isinstance(node.exc.func, ast.Name)
        and node.exc.func.id == "SimulacraError"
    ]
    assert bare == []


_READER = ROOT / "simulacra" / "dataset" / "reader.py"
_FILE_READS = {"read_text", "read_bytes", "imread"}  # Path.read_*, cv2.imread (and json.load below)


def _reads_a_file(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    owner = node.func.value
    json_load = node.func.attr == "load" and isinstance(owner, ast.Name) and owner.id == "json"
    return node.func.attr in _FILE_READS or json_load


def test_the_dataset_folder_is_read_in_one_module():
    """In the conductor, only the dataset reader opens files to parse them (graphs, COCO, logs, records)."""
    readers = [
        f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()"
        for path, tree in _trees().items()
        if path.is_relative_to(ROOT / "simulacra") and path != _READER
        for node in ast.walk(tree)
        if _reads_a_file(node)
    ]
    assert readers == []


def test_every_package_is_installed_by_a_plain_pip_install():
    """pyproject lists every package folder, so ``pip install .`` (not only ``-e``) ships them all."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert folders - listed == set()
