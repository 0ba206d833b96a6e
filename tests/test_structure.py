"""The shape of the code base, checked: no import cycles, small modules, short functions.

These are the acceptance rules of the restructure (issue 10): a newcomer can see the pipeline in
the package layout, and no module or function grows past what one can read at a sitting.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "costmodel"
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "bundled" not in p.parts) + [ROOT / "cli.py"]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    if path == ROOT / "cli.py":
        return "cli"
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in SOURCES}


def _imports(path: Path) -> set[str]:
    """Every costmodel module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in MODULES:
                    found.add(sub)
                elif node.module in MODULES:
                    found.add(node.module)
    return found


def import_graph() -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    for name, path in MODULES.items():
        graph.add_node(name)
        for target in _imports(path):
            if target != name:
                graph.add_edge(name, target)
    return graph


def test_no_import_cycles() -> None:
    graph = import_graph()
    # A package's __init__ re-exporting its own modules is not a cycle between modules.
    graph.remove_edges_from([(a, b) for a, b in list(graph.edges) if b.startswith(a + ".")])
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_the_checker_finds_a_cycle() -> None:
    graph: nx.DiGraph[str] = nx.DiGraph([("a", "b"), ("b", "a")])
    assert list(nx.simple_cycles(graph))


def test_modules_are_small() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def _long_functions(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno is not None
            # the body's length: a long signature (a CLI command's options) is not logic
            length = node.end_lineno - node.body[0].lineno + 1
            if ast.get_docstring(node) and len(node.body) > 1:
                length = node.end_lineno - node.body[1].lineno + 1
            if length > MAX_FUNCTION_LINES:
                out.append(f"{node.name} ({length} lines)")
    return out


def test_functions_are_short() -> None:
    long = {name: found for name, path in MODULES.items() if (found := _long_functions(path))}
    assert not long, f"function bodies over {MAX_FUNCTION_LINES} lines: {long}"


def test_public_package_has_py_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()
