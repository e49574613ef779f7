"""The conductor's layers import only downward, and no module of the project imports itself back.

Every import counts, wherever it stands: at module level, inside a function, or under
``TYPE_CHECKING``. A cycle dodged by a late import is still a cycle.
"""

from __future__ import annotations

from tests.architecture.imports import Import, imports, modules

STAGES = ("scenes", "randomize", "assets_manifest", "render", "audit", "refine")
# Bottom to top. A module may import its own layer's modules and those of any layer below.
# The stages sit between the kernel and the conductor; they never import the conductor.
LAYERS = (
    ("kernel", ("simulacra", "simulacra.errors")),
    ("stages", tuple(f"simulacra.{stage}" for stage in STAGES)),
    ("dataset", ("simulacra.dataset",)),
    ("evaluation", ("simulacra.evaluation",)),
    ("export", ("simulacra.export",)),
    ("job", ("simulacra.job",)),
    ("work", ("simulacra.work",)),
    ("farm", ("simulacra.farm",)),
    ("generate", ("simulacra.generate",)),
    ("studies", ("simulacra.studies",)),
    ("cli", ("simulacra.cli",)),
)


def layer_of(module: str) -> int:
    """The rank of ``module``'s layer (the longest matching package prefix decides)."""
    best, rank = "", -1
    for number, (_, packages) in enumerate(LAYERS):
        for package in packages:
            inside = module.startswith(package + ".") and package != "simulacra"  # the kernel: exact names
            if (module == package or inside) and len(package) > len(best):
                best, rank = package, number
    assert rank >= 0, f"{module} belongs to no layer: add its package to LAYERS"
    return rank


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan), each a circle of imports."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.target)
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        order[node] = low[node] = len(order)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in order:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], order[nxt])
        if low[node] == order[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in order:
            visit(node)
    return found


def test_every_module_has_a_layer():
    """A new package must be placed in the layer order before it can be imported by anything."""
    for module in modules():
        layer_of(module)


def test_no_import_circle_anywhere():
    """No group of modules imports itself back, not even through a function-level import."""
    assert cycles(imports(modules())) == []


def test_layers_import_only_downward():
    """No module imports a layer above its own (e.g. the dataset folder never imports a job)."""
    upward = [
        f"{e.importer}:{e.line} imports {e.target} ({LAYERS[layer_of(e.target)][0]} is above "
        f"{LAYERS[layer_of(e.importer)][0]})"
        for e in imports(modules())
        if layer_of(e.target) > layer_of(e.importer)
    ]
    assert upward == []


def test_the_checks_catch_a_circle_and_an_upward_import():
    """The walk itself: a made-up circle is found, and the dataset layer ranks below the job."""
    edges = [Import("a", "b", 1), Import("b", "c", 1), Import("c", "a", 9), Import("c", "d", 2)]
    assert cycles(edges) == [["a", "b", "c"]]
    assert layer_of("simulacra.dataset.reader") < layer_of("simulacra.job") < layer_of("simulacra.cli.app")
