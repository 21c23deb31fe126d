"""The import graph of ``src/embedlab``: no runtime cycle, and dependencies point down.

DESIGN.md's layering: lab -> tasks -> (words, learn, metrics, tuning, data, plots) ->
registry/config/space -> params/errors/io. Every module of the package is parsed with
:mod:`ast`; its imports are edges, module-level ones (run on import) and the lazy ones inside
functions alike. Imports under ``if TYPE_CHECKING:`` are not edges: they never run.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "embedlab"

#: Layers from the bottom up, by module or package name under ``embedlab``. A module may import
#: its own layer or lower ones, never a higher one. The package itself and the CLI are the top.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "params", "io", "threads", "device", "progress"),
    ("hookspecs", "registry", "config", "space", "protocols"),
    ("words", "learn", "metrics", "tuning", "data", "plots", "tracking"),
    ("tasks",),
    ("lab",),
    ("", "__main__", "cli"),
)

#: Known upward edges ``(importer, imported)``, each with why it is still there. Keep it short.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Edge:
    """One import: who imports what, where, and whether it runs when the importer is imported."""

    importer: str
    imported: str
    line: int
    module_level: bool

    def __str__(self) -> str:
        when = "module level" if self.module_level else "lazy"
        return f"{self.importer} -> {self.imported} (line {self.line}, {when})"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, importer: str, is_package: bool, known: set[str]) -> list[str]:
    """The embedlab modules an import statement loads (a submodule when ``from pkg import sub``)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == PACKAGE]
    if node.level:
        base = importer.split(".") if is_package else importer.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        module = ".".join([*base, *([node.module] if node.module else [])])
    else:
        module = node.module or ""
    if module.split(".")[0] != PACKAGE:
        return []
    subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
    return subs if subs and len(subs) == len(node.names) else [module, *subs]


def _edges(name: str, path: Path, known: set[str]) -> list[Edge]:
    edges: list[Edge] = []
    is_package = path.name == "__init__.py"

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.orelse:
                    visit_stmt(stmt, module_level)
                continue
            visit_stmt(child, module_level)

    def visit_stmt(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            edges.extend(
                Edge(name, target, node.lineno, module_level)
                for target in _targets(node, name, is_package, known)
                if target != name
            )
            return
        lazy = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        visit(node, module_level and not lazy)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), True)
    return edges


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    modules = _modules()
    known = set(modules)
    return [e for name, path in modules.items() for e in _edges(name, path, known)]


def _layer(module: str) -> int:
    rest = module.removeprefix(PACKAGE).removeprefix(".")
    top = rest.split(".")[0]
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"module {module} is in no layer of LAYERS; add {top!r} to one")


def _cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.importer, set()).add(e.imported)
        graph.setdefault(e.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
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

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_walk_sees_the_package(edges: list[Edge]) -> None:
    pairs = {(e.importer, e.imported) for e in edges}
    assert ("embedlab.registry", "embedlab.hookspecs") in pairs
    assert all(e.imported in _modules() for e in edges)


def test_no_runtime_import_cycle(edges: list[Edge]) -> None:
    module_level = [e for e in edges if e.module_level]
    cycles = _cycles(module_level)
    details = [
        " | ".join(str(e) for e in module_level if e.importer in c and e.imported in c) for c in cycles
    ]
    assert not cycles, "import cycles through module-level imports:\n" + "\n".join(details)


def test_dependencies_point_down(edges: list[Edge]) -> None:
    upward = [
        e
        for e in edges
        if _layer(e.imported) > _layer(e.importer) and (e.importer, e.imported) not in ALLOWED_UPWARD
    ]
    assert not upward, "imports of a higher layer:\n" + "\n".join(map(str, upward))


def test_allowed_upward_edges_still_exist(edges: list[Edge]) -> None:
    pairs = {(e.importer, e.imported) for e in edges}
    assert not set(ALLOWED_UPWARD) - pairs, "stale ALLOWED_UPWARD entries; remove them"


def test_the_checker_sees_lazy_and_type_checking_imports_and_cycles(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from embedlab import errors\n"
        "if TYPE_CHECKING:\n"
        "    from embedlab.lab import run\n"
        "def f():\n"
        "    from embedlab.tasks import base\n"
    )
    path = tmp_path / "mod.py"
    path.write_text(source)
    known = {"embedlab.errors", "embedlab.lab.run", "embedlab.tasks.base"}
    found = {(e.imported, e.module_level) for e in _edges("embedlab.space", path, known)}
    assert found == {("embedlab.errors", True), ("embedlab.tasks.base", False)}
    loop = [Edge("embedlab.a", "embedlab.b", 1, True), Edge("embedlab.b", "embedlab.a", 1, True)]
    assert _cycles(loop) == [["embedlab.a", "embedlab.b"]]
    assert _layer("embedlab.tasks.base") > _layer("embedlab.space")
