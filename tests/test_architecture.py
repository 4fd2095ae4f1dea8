"""The house stays small and its imports point one way.

These tests read the source with :mod:`ast`; they import nothing from ecomap, so an
import cycle is found even where Python would tolerate it (a function-level import).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ecomap"
#: A file over this many lines fails; docs/architecture.md asks for about 500.
MAX_FILE_LINES = 600
#: A function whose code (its lines without the docstring) is longer than this fails.
MAX_FUNCTION_LINES = 80

#: Rank of each top-level module or package: an import may only go to the same rank
#: (a sideways call between task packages) or lower. cli -> build -> tasks -> network/io
#: -> layers/crs -> _errors.
RANKS = {
    "__main__": 6,  # python -m ecomap: the command itself
    "cli": 5,
    "build": 4,
    **dict.fromkeys(("corridors", "connectivity", "importers", "bridges", "query", "webmap",
                     "export", "report", "joins", "sources"), 3),
    "store": 2,
    "network": 2,
    "io": 2,
    "_check_cache": 2,  # what checks found, remembered between runs (network reads through it)
    "layers": 1,
    "crs": 1,
    "_datums": 1,
    "_atomic": 1,
    "_atomic_set": 1,
    "_labels": 1,
    "_errors": 0,
    "_lazy": 0,
    "__init__": 0,
    "spreadsheet": 1,
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every ecomap module that ``name`` imports, at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node)
            # `from . import x` names a module when x is one, else an attribute of base
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and t.startswith("ecomap"):
                out.add(t)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of module names (first = last), or None; iterative DFS."""
    colour = dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done
    for start in sorted(graph):
        if colour[start]:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(nxt, 2) == 1:
                return [*path[path.index(nxt):], nxt]
            elif colour.get(nxt) == 0:
                colour[nxt] = 1
                stack.append((nxt, iter(sorted(graph[nxt]))))
                path.append(nxt)
    return None


def _package_init_edge(a: str, b: str) -> bool:
    """A package's ``__init__`` re-exporting one of its own files is not a cycle edge."""
    return b.startswith(a + ".")


def test_no_import_cycle_between_modules():
    graph = {a: {b for b in bs if not _package_init_edge(a, b)} for a, bs in _graph().items()}
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_cycle_finder_finds_a_planted_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def _rank(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return RANKS.get(top, 3)


def test_imports_point_down():
    wrong = []
    for a, targets in _graph().items():
        for b in targets:
            if a.split(".")[:2] == b.split(".")[:2]:
                continue  # inside one package
            if _rank(b) > _rank(a):
                wrong.append(f"{a} -> {b}")
    assert not wrong, "imports pointing up: " + ", ".join(sorted(wrong))


def _long_files() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_FILE_LINES:
            out.append(f"{path.relative_to(SRC.parent)} ({n} lines)")
    return out


def test_no_file_over_600_lines():
    assert not _long_files(), "files over 600 lines: " + ", ".join(_long_files())


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body without its docstring (a long signature or docstring is welcome)."""
    body = node.body
    first = body[0] if body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        body = body[1:]
    if not body:
        return 0
    return node.end_lineno - body[0].lineno + 1


def test_no_function_over_80_lines_of_code():
    long = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = _code_lines(node)
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(SRC.parent)}:{node.name} ({n} lines)")
    assert not long, "functions over 80 lines of code: " + ", ".join(long)


def test_code_lines_leave_out_the_docstring():
    fn = ast.parse('def f(\n    a,\n    b,\n):\n    """One.\n\n    Two.\n    """\n    x = a\n    return x + b\n').body[0]
    assert _code_lines(fn) == 2


@pytest.mark.parametrize("package", ["corridors", "connectivity", "importers", "bridges", "query", "webmap"])
def test_task_packages_are_packages(package):
    assert (SRC / package / "__init__.py").is_file()
    assert not (SRC / f"{package}.py").exists()


def test_every_relative_import_resolves():
    """``from . import x`` and ``from .m import x`` name what exists, function-level ones included."""
    import importlib
    import importlib.util

    mods = _modules()
    broken = []
    for name, path in mods.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            base = _resolve(name, is_package, node)
            if base not in mods:
                broken.append(f"{name}: from {'.' * node.level}{node.module or ''} ({base} does not exist)")
                continue
            base_mod = importlib.import_module(base)
            for alias in node.names:
                if alias.name == "*" or hasattr(base_mod, alias.name):
                    continue
                if importlib.util.find_spec(f"{base}.{alias.name}") is None:
                    broken.append(f"{name}: {alias.name} is not in {base}")
    assert not broken, "imports that do not resolve: " + "; ".join(broken)
