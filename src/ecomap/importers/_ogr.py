"""Reading any OGR-readable file (Shapefile, GeoPackage, GeoJSON, ...) into WGS-84.

The read step of both :func:`~ecomap.importers.read_gis_file` and
:func:`~ecomap.importers.read_boundary`: one place for the file's driver options and its CRS.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio
import pyproj

from .. import crs as _crs
from .._errors import InputError
from ._common import _first_line

log = logging.getLogger(__package__)


def _read_ogr(path: Path, source_layer: str | None) -> gpd.GeoDataFrame:
    """Read the features of ``path`` (layer ``source_layer``, default the first) as stored."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, layer=source_layer)
    except Exception as exc:  # pyogrio's DataSourceError, DataLayerError, ...
        raise InputError(f"{path}: not readable as a GIS file: {_first_line(exc)}") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError(f"{path}: has no geometry column")
    return gdf


def _assign_crs(gdf: gpd.GeoDataFrame, crs: str | None, path: Path) -> gpd.GeoDataFrame:
    """Return the frame in WGS-84, its CRS taken from the file or from ``crs`` (``gcj02`` explicit)."""
    if crs is not None:
        target = _crs.parse_crs(crs)
        if target == _crs.GCJ02:
            if gdf.crs is not None and not pyproj.CRS(gdf.crs).is_geographic:
                raise InputError(f"{path}: --crs gcj02 needs longitude/latitude degrees, but the file "
                                 f"is in {pyproj.CRS(gdf.crs).name}")
            return _crs.from_gcj02(gdf.set_crs(_crs.WGS84, allow_override=True))
        if gdf.crs is not None and pyproj.CRS(gdf.crs) != pyproj.CRS(target):
            log.warning("%s: the file says %s; using %s as given", path, gdf.crs, target)
        gdf = gdf.set_crs(target, allow_override=True)
    elif gdf.crs is None:
        raise InputError(f"{path}: the file has no CRS; give one with --crs (EPSG:4547, wgs84, gcj02)")
    return gdf.to_crs(_crs.WGS84)
