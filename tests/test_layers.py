"""The import graph of `wire` and `typegraph` (from their source, with grimp): the host is
the lowest floor that runs guests and imports nothing above it, and no module imports
itself back through others (imports under `TYPE_CHECKING` are for the type checker only,
and left out)."""

from __future__ import annotations

import grimp
import pytest

# Above the host: what serves it, triggers it from brokers, or drives it from the command
# line. (`wire` itself, the package façade, imports them all.)
ABOVE_HOST = ("wire.graphql", "wire.messaging", "wire.http", "wire.strawberry", "wire.cli")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("wire", "typegraph", exclude_type_checking_imports=True)


def test_the_host_imports_nothing_above_it(graph: grimp.ImportGraph) -> None:
    for low in ("wire.host", "wire.runtime", "wire.runtime_kinds", "wire.hostcalls"):
        above = sorted(m for m in graph.find_upstream_modules(low) if m.startswith(ABOVE_HOST))
        assert above == [], f"{low} imports {above}"


def test_typegraph_imports_nothing_of_wire(graph: grimp.ImportGraph) -> None:
    for module in graph.modules:
        if module.startswith("typegraph"):
            wire = sorted(
                m for m in graph.find_modules_directly_imported_by(module) if m.startswith("wire")
            )
            assert wire == [], f"{module} imports {wire}"


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back(graph: grimp.ImportGraph) -> None:
    cycles = _cycles(graph)
    chains = [graph.find_shortest_chain(importer=c[0], imported=c[1]) for c in cycles]
    assert cycles == [], f"import cycles: {cycles} (e.g. {chains})"
