"""OpenStreetMap extracts and foreign GIS files into an ecomap data folder.

Two entry points, both writing a folder that :func:`ecomap.validate_data` accepts:

* :func:`import_osm` streams an OSM extract (``.osm.pbf`` or ``.osm`` XML) with pyosmium and
  writes the ``river``, ``reservoirs``, ``barriers``, ``trails``, ``patches`` and ``ridge``
  layers clipped to a boundary, plus the ``boundary`` layer itself.
* :func:`import_file` reads any OGR-readable file (Shapefile, GeoPackage, GeoJSON, ...) into one
  layer: columns renamed by a mapping, the CRS taken from the file or given (GCJ-02 explicit),
  every value checked against the catalogue.

The files name the steps:

* ``boundary.py``: the study area (a ``--bbox`` or a polygon file) as a ``boundary`` layer;
* ``osm.py``: :func:`read_osm` and :func:`import_osm`; behind it ``_osm_tags.py`` (which
  layer a tag puts an object in), ``_osm_passes.py`` (five streaming passes whose memory is
  bounded by the data near the boundary, not by the size of the extract) and
  ``_osm_layers.py`` (ways, areas, routes and rivers as rows);
* ``files.py``: :func:`read_gis_file` (read → map columns → check → coerce) and
  :func:`import_file`;
* ``_folder.py``: what both write through: a temporary folder swapped into place,
  ``sources.json`` and the README with the licences; ``_ogr.py`` reads any GIS file into
  WGS-84, ``_geometry.py`` keeps the parts of one dimension, ``_common.py`` small helpers.
"""

from __future__ import annotations

from ..crs import parse_bbox
from ._folder import OSM_LICENCE, ImportResult
from .boundary import read_boundary
from .files import import_file, parse_mapping, read_gis_file
from .osm import (
    BARRIER_PERMEABILITY,
    MARGIN_DEG,
    OSM_CONFIDENCE,
    OSM_LAYERS,
    STRUCTURE_PERMEABILITY,
    import_osm,
    read_osm,
)

__all__ = [
    "ImportResult",
    "OSM_LICENCE",
    "OSM_CONFIDENCE",
    "BARRIER_PERMEABILITY",
    "STRUCTURE_PERMEABILITY",
    "MARGIN_DEG",
    "OSM_LAYERS",
    "parse_bbox",
    "parse_mapping",
    "read_boundary",
    "read_osm",
    "import_osm",
    "read_gis_file",
    "import_file",
]
