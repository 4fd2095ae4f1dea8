"""ecomap: the ecological network of Pingshan District, Shenzhen, as GIS layers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ecomap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

from . import bridges, export, query  # noqa: E402  (ecomap.query.near, ecomap.export.export_layers, ...)
from ._errors import DataError, EcomapError, InputError, Problem  # noqa: E402
from .crs import gcj02_to_wgs84, wgs84_to_gcj02  # noqa: E402
from .export import export_layers, export_network  # noqa: E402
from .importers import import_file, import_osm  # noqa: E402
from .layers import CATALOGUE, LAYER_NAMES  # noqa: E402
from .network import Network, layer_summary, load_network, validate_data  # noqa: E402

__all__ = [
    "__version__",
    "CATALOGUE",
    "LAYER_NAMES",
    "DataError",
    "EcomapError",
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
