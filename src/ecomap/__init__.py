"""ecomap: the ecological network of Pingshan District, Shenzhen, as GIS layers.

The public API is re-exported here and imported lazily on first use, so that
``ecomap --help`` does not pay for geopandas. ``ecomap.load_network``,
``ecomap.query.near`` and ``ecomap.export.export_layers`` work as plain attributes.
"""

from __future__ import annotations

import importlib

#: Public name -> the module that defines it (imported on first access). The errors are
#: lazy too: ``_errors`` gives the package logger its NullHandler, and so loads logging.
_LAZY = {
    "DataError": "_errors",
    "EcomapError": "_errors",
    "EcomapWarning": "_errors",
    "InputError": "_errors",
    "Problem": "_errors",
    "gcj02_to_wgs84": "crs",
    "wgs84_to_gcj02": "crs",
    "export_layers": "export",
    "export_network": "export",
    "import_file": "importers",
    "import_osm": "importers",
    "CATALOGUE": "layers",
    "LAYER_NAMES": "layers",
    "Network": "network",
    "layer_summary": "network",
    "load_network": "network",
    "validate_data": "network",
}
#: Task packages reachable as attributes (``ecomap.query``, ``ecomap.bridges`` ...).
_SUBMODULES = ("bridges", "export", "query", "importers", "corridors", "connectivity", "joins",
               "webmap", "report", "crs", "layers", "network", "io", "build")

__all__ = [
    "__version__",
    "CATALOGUE",
    "LAYER_NAMES",
    "DataError",
    "EcomapError",
    "EcomapWarning",
    "InputError",
    "Network",
    "Problem",
    "bridges",
    "export",
    "export_layers",
    "export_network",
    "query",
    "gcj02_to_wgs84",
    "import_file",
    "import_osm",
    "layer_summary",
    "load_network",
    "validate_data",
    "wgs84_to_gcj02",
]


def _version() -> str:
    """The installed distribution's version (importlib.metadata costs ~30 ms: read on first use)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ecomap")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


def __getattr__(name: str):
    if name == "__version__":
        value = _version()
    elif name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'ecomap' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES) | {"__version__"})
