"""The layout of docs/architecture.md, held against the code (``lint-imports`` holds the rest).

``scripts/test`` runs import-linter's contracts (packages depend downwards, the core imports no
I/O package, no cycle between siblings). What those contracts cannot say is checked here: no
import cycle between *any* two modules (a package's ``__init__`` and its children included),
the top level holds the core only, and no module grows past ~450 lines without saying why.
"""

from __future__ import annotations

import re
from pathlib import Path

import grimp

SRC = Path(__file__).resolve().parents[1] / "src" / "ren_index"

CORE_MODULES = {
    "__init__.py",
    "__main__.py",
    "settings.py",
    "errors.py",
    "model.py",
    "xmlsafe.py",
    "decide.py",
    "overlays.py",  # the corrections stage: applied by the process step, so below it (architecture.md)
}
MAX_LINES = 450
SIZE_REASON = re.compile(r"^Size:", re.MULTILINE)
"""A long module says why near its top, in a docstring line starting ``Size:``."""


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if not child.startswith("ren_index"):
                    continue
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("ren_index")
    assert "ren_index.validate.context" in graph.modules  # the graph is the package's
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above could pass by finding nothing: a graph with a planted cycle proves it looks."""
    graph = grimp.ImportGraph()
    for name in ("ren_index.a", "ren_index.b", "ren_index.c"):
        graph.add_module(name)
    graph.add_import(importer="ren_index.a", imported="ren_index.b")
    graph.add_import(importer="ren_index.b", imported="ren_index.c")
    graph.add_import(importer="ren_index.c", imported="ren_index.a")
    assert _cycles(graph) == [["ren_index.a", "ren_index.b", "ren_index.c"]]


def test_top_level_holds_the_core_only() -> None:
    modules = {p.name for p in SRC.glob("*.py")}
    assert modules == CORE_MODULES


def test_long_modules_say_why() -> None:
    long = []
    for path in sorted(SRC.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES and not SIZE_REASON.search(text[:3000]):
            long.append(f"{path.relative_to(SRC)}: {text.count(chr(10))} lines")
    assert long == []
