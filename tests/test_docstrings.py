"""Public functions are documented numpy-style: every parameter named, and what they return.

For each public module of ecomap, every function in its ``__all__`` that takes parameters
must have a ``Parameters`` section naming each of them (``*args``/``**kwargs`` and
``self`` aside; ``lon, lat : float`` names two), and a ``Returns`` (or ``Yields``) section
unless it returns None. "Returns None" is read from the return annotation; a function
without one is taken to return something when its body has ``return <value>`` or
``yield``. A failure lists every offending function of the module at once.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap

import pytest

CORE = ["ecomap.crs", "ecomap.layers", "ecomap.network", "ecomap.io", "ecomap.joins",
        "ecomap.export", "ecomap.report", "ecomap.report_pdf", "ecomap.build", "ecomap.webmap"]
#: The task packages (their ``__init__`` re-exports the public names of their files).
TASKS = ["ecomap.corridors", "ecomap.connectivity", "ecomap.importers", "ecomap.bridges",
         "ecomap.query"]

MODULES = [*CORE, *TASKS]

_HEADER = re.compile(r"^(\S[^\n]*)\n(-{3,})\s*$", re.MULTILINE)


def sections(doc: str) -> dict[str, str]:
    """A numpy-style docstring's sections: header -> body text (dedented)."""
    doc = inspect.cleandoc(doc or "")
    heads = list(_HEADER.finditer(doc))
    out = {}
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(doc)
        out[m.group(1).strip()] = doc[m.end():end]
    return out


def documented_names(body: str) -> set[str]:
    """Names of a Parameters section: each unindented ``name : type`` (or ``a, b : type``) line."""
    names = set()
    for line in body.splitlines():
        if not line.strip() or line[0].isspace():
            continue
        head = line.split(" : ", 1)[0].rstrip(":")
        names.update(n.strip().lstrip("*") for n in head.split(","))
    return names


def returns_none(func) -> bool:
    """Whether ``func`` returns None: from its annotation, else from its body."""
    ann = inspect.signature(func).return_annotation
    if ann is not inspect.Signature.empty:
        return ann in (None, type(None), "None")
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    fn = tree.body[0]
    for node in ast.walk(fn):
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return False
        if isinstance(node, ast.Return) and node.value is not None:
            return False
    return True


def public_functions(module):
    for name in getattr(module, "__all__", ()):
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            yield name, inspect.unwrap(obj)


def faults(name: str, func) -> list[str]:
    params = [p.name for p in inspect.signature(func).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and p.name not in ("self", "cls")]
    if not params:
        return []
    found = sections(func.__doc__)
    problems = []
    if "Parameters" not in found:
        problems.append("no Parameters section")
    else:
        missing = [p for p in params if p not in documented_names(found["Parameters"])]
        if missing:
            problems.append(f"Parameters does not name {', '.join(missing)}")
    if not returns_none(func) and not ({"Returns", "Yields"} & set(found)):
        problems.append("no Returns section")
    return [f"{name}: {'; '.join(problems)}"] if problems else []


@pytest.mark.parametrize("module_name", MODULES)
def test_public_functions_document_parameters_and_returns(module_name):
    module = importlib.import_module(module_name)
    funcs = list(public_functions(module))
    assert hasattr(module, "__all__"), f"{module_name} has no __all__"
    bad = [f for name, func in funcs for f in faults(name, func)]
    assert not bad, (f"{module_name}: {len(bad)} of {len(funcs)} public functions are not documented "
                     "numpy-style:\n  " + "\n  ".join(bad))


def test_the_checker_reads_numpy_sections():
    def documented(lon, lat, *args, source: str = "x", **kwargs) -> tuple[float, float]:
        """Summary.

        Parameters
        ----------
        lon, lat : float
            Degrees.
        source : str
            A name; ``not_a_param : x`` in the text is not a parameter.

        Returns
        -------
        tuple of float
            Metres.
        """

    def undocumented(a, b):
        """Only a summary."""
        return a + b

    def partly(a, b) -> None:
        """Summary.

        Parameters
        ----------
        a : int
            The first.
        """

    assert faults("documented", documented) == []
    assert faults("undocumented", undocumented) == ["undocumented: no Parameters section; no Returns section"]
    assert faults("partly", partly) == ["partly: Parameters does not name b"]
