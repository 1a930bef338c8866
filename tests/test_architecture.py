"""The package's architecture: no import cycles among multiact's modules.

Every import statement counts, at module level or inside a function (a lazy import that hides a
cycle is still a cycle), and so does ``importlib.import_module("literal")``. The graph is read
from the source with ``ast``: nothing is imported to build it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Package -> the folder that installs as it (pyproject.toml's package-dir).
PACKAGES = {
    "multiact": ROOT / "multiact",
    "multiact.backends": ROOT / "backends",
    "multiact.conformance": ROOT / "conformance",
}

#: Cycles still to be broken, each as the sorted modules of one strongly connected component.
#: Empty it as they go: a cycle not listed fails, and so does a listed one that is gone.
KNOWN_CYCLES: set[tuple[str, ...]] = {
    ("multiact", "multiact._vjp"),
    ("multiact._checks", "multiact._generic"),
}


def modules(packages: Mapping[str, Path]) -> dict[str, Path]:
    """Module name -> source file, for every ``.py`` file of each package's folder."""
    found = {}
    for package, folder in packages.items():
        for path in sorted(folder.glob("*.py")):
            found[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return found


def _imported(tree: ast.AST, module: str, is_package: bool, known: Mapping) -> Iterator[str]:
    """Every module name ``tree`` imports: ``from p import n`` is the module ``p.n`` where
    there is one, else ``p`` (the parent packages a submodule's import runs are not counted)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def import_graph(packages: Mapping[str, Path] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports."""
    found = modules(packages)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        imported = _imported(tree, name, path.stem == "__init__", found)
        graph[name] = {m for m in imported if m in found and m != name}
    return graph


def cycles(graph: Mapping[str, set[str]]) -> set[tuple[str, ...]]:
    """The import cycles: each strongly connected component of more than one module, sorted
    (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
                found.add(tuple(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    found = cycles(import_graph())
    new = found - KNOWN_CYCLES
    assert not new, f"import cycles: {sorted(new)}"
    gone = KNOWN_CYCLES - found
    assert not gone, f"no longer cycles, take them out of KNOWN_CYCLES: {sorted(gone)}"


def test_the_conformance_engine_has_no_import_cycle():
    found = cycles(import_graph())
    assert not [c for c in found if any(m.startswith("multiact.conformance") for m in c)]


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    # Module level, relative.
    assert "multiact.conformance.targets" in graph["multiact.conformance.cases"]
    # Inside a function (``multiact conformance`` imports the engine when it runs).
    assert "multiact.conformance.engine" in graph["multiact._cli"]
    # ``from . import budgets``: the module, not the package.
    assert "multiact.conformance.budgets" in graph["multiact.conformance.judging"]
    assert "multiact.conformance" not in graph["multiact.conformance.judging"]


@pytest.mark.parametrize("lazy", [False, True])
def test_a_planted_cycle_is_found(tmp_path, lazy):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    body = "def f():\n    from .a import x\n" if lazy else "from pkg.a import x\n"
    (package / "b.py").write_text(body)
    (package / "c.py").write_text("import pkg.a\n")
    graph = import_graph({"pkg": package})
    assert graph["pkg.c"] == {"pkg.a"}
    assert cycles(graph) == {("pkg.a", "pkg.b")}
