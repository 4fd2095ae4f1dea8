"""Names of a module that are imported from a sibling or submodule on first access (PEP 562)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_names(module: str, table: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a module whose ``table`` names load on use.

    Parameters
    ----------
    module : str
        ``__name__`` of the module that exports the names.
    table : dict of str to str
        Public name -> the module that defines it, relative to the exporting module's
        package (``"formats"`` in ``ecomap.export`` is ``ecomap.export.formats``; ``"_atomic"``
        in ``ecomap.io`` is ``ecomap._atomic``).

    Returns
    -------
    (callable, callable)
        ``__getattr__(name)``, which imports the defining module, caches the value in the
        module's globals and returns it, and ``__dir__()``.

    Raises
    ------
    AttributeError
        From ``__getattr__``, for a name the module neither has nor lists in ``table``.
    """

    def __getattr__(name: str) -> object:
        if name not in table:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        mod = sys.modules[module]
        value = getattr(importlib.import_module(f".{table[name]}", mod.__package__), name)
        setattr(mod, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module])) | set(table))

    return __getattr__, __dir__
