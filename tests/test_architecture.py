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
#: A cycle not listed fails, and so does a listed one that is gone: none is left.
KNOWN_CYCLES: set[tuple[str, ...]] = set()


def modules(packages: Mapping[str, Path]) -> dict[str, Path]:
    """Module name -> source file, for every ``.py`` file of each package's folder, and every
    ``.c`` file (a compiled extension of that name, ``multiact._ufuncs``, which imports none of
    the package: without it, ``from multiact import _ufuncs`` would count as importing
    ``multiact`` itself)."""
    found = {}
    for package, folder in packages.items():
        for path in sorted([*folder.glob("*.py"), *folder.glob("*.c")]):
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
        if path.suffix == ".c":
            graph[name] = set()
            continue
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


def test_the_graph_sees_every_kind_of_import():
    graph = import_graph()
    # Module level, relative.
    assert "multiact.conformance.targets" in graph["multiact.conformance.cases"]
    # Inside a function (``multiact conformance`` imports the engine when it runs).
    assert "multiact.conformance.engine" in graph["multiact._cli"]
    # ``from multiact import _extensions`` (which loads the compiled extensions by name): the
    # module, not its package.
    assert "multiact._extensions" in graph["multiact.backends._compiled"]
    assert "multiact" not in graph["multiact.backends._compiled"]
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


#: The conformance engine's modules that must name no array library and no target: they ask
#: the target's adapter (``conformance/adapters.py``) and the target table (``targets.py``).
LIBRARY_FREE = ("engine", "cases", "expected", "running", "judging", "pool")


def _names_of_libraries() -> set[str]:
    from multiact.conformance.adapters import ADAPTERS
    from multiact.conformance.targets import ALL_TARGETS

    names = {t.name for t in ALL_TARGETS}
    for a in ADAPTERS.values():
        names |= {a.module, a.package, *a.distributions}
    return names


def _strings(tree: ast.AST, compared_only: bool = False) -> set[str]:
    """The string constants of ``tree`` that are not docstrings (only those compared with
    ``==``, ``in``... or used as dict keys, with ``compared_only``)."""
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    places: list[ast.AST] = [tree]
    if compared_only:
        places = [n for n in ast.walk(tree) if isinstance(n, ast.Compare)]
        places += [k for n in ast.walk(tree) if isinstance(n, ast.Dict) for k in n.keys if k]
    return {
        node.value
        for place in places
        for node in ast.walk(place)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    }


@pytest.mark.parametrize("module", LIBRARY_FREE)
def test_the_engine_names_no_library(module):
    tree = ast.parse((PACKAGES["multiact.conformance"] / f"{module}.py").read_text())
    named = _strings(tree) & _names_of_libraries()
    assert not named, f"conformance/{module}.py names {sorted(named)}: ask the adapter"


def test_the_tolerances_check_no_library_name():
    # The known differences list the targets they concern (data); nothing compares with one.
    tree = ast.parse((PACKAGES["multiact.conformance"] / "tolerances.py").read_text())
    named = _strings(tree, compared_only=True) & _names_of_libraries()
    assert not named, f"conformance/tolerances.py checks {sorted(named)}"
    assert import_graph()["multiact.conformance.tolerances"] <= {"multiact.conformance.distance"}


def test_a_library_name_check_is_found():
    planted = ast.parse('def f(t):\n    """numpy"""\n    return t.library == "jax.numpy"\n')
    assert _strings(planted) & _names_of_libraries() == {"jax.numpy"}
    assert _strings(planted, compared_only=True) == {"jax.numpy"}
    assert _strings(ast.parse('COST = {"dask": 12.0}'), compared_only=True) == {"dask"}
