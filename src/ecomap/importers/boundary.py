"""The study area of an import: a box in degrees or a polygon file, as a ``boundary`` layer."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..layers import CONFIDENCE
from ._common import _as_text, _missing
from ._geometry import _keep_dimension
from ._ogr import _assign_crs, _read_ogr

__all__ = ["read_boundary"]


def read_boundary(
    *,
    path: str | os.PathLike | None = None,
    bbox: Sequence[float] | str | None = None,
    crs: str | None = None,
    adcode: str | None = None,
) -> gpd.GeoDataFrame:
    """Read the study area as a one-feature ``boundary`` layer in WGS-84 (``id`` a column).

    Exactly one of ``path`` and ``bbox`` must be given.

    Parameters
    ----------
    path : str or os.PathLike, optional
        Any OGR-readable polygon file; its polygons are dissolved into one (Multi)Polygon.
        ``id``, ``adcode``, ``name_zh``, ``name_en`` and ``confidence`` are taken from its
        first feature where it has them.
    bbox : str or sequence of 4 float, optional
        ``minlon, minlat, maxlon, maxlat`` in WGS-84 degrees (``"W,S,E,N"`` text or four
        numbers), parsed by :func:`ecomap.crs.parse_bbox` as ``--bbox``.
    crs : str, optional
        The CRS of ``path`` when it has none or a wrong one: ``EPSG:nnnn``, ``wgs84`` or
        ``gcj02`` (converted to WGS-84). Default: the file's own.
    adcode : str, optional
        The administrative code (``440310`` for Pingshan); default the file's ``adcode``
        column, else ``"unknown"``.

    Returns
    -------
    geopandas.GeoDataFrame
        One row in EPSG:4326 with ``id``, ``adcode``, ``name_zh``, ``name_en``, ``source``
        (``bbox W,S,E,N`` or ``file:<name>``) and ``confidence`` (``indicative`` for a box,
        else the file's, default ``digitized``).

    Raises
    ------
    InputError
        If both or neither of ``path`` and ``bbox`` are given, the box is not four
        longitudes/latitudes with minimum below maximum, the file is missing, unreadable,
        without a CRS (and no ``crs``) or without any polygon.
    """
    if (path is None) == (bbox is None):
        raise InputError("give exactly one of --boundary FILE and --bbox minlon,minlat,maxlon,maxlat")
    if bbox is not None:
        geom, row = _boundary_from_bbox(bbox, adcode)
    else:
        geom, row = _boundary_from_file(Path(path), crs, adcode)
    return gpd.GeoDataFrame({k: [v] for k, v in row.items()}, geometry=[geom], crs=_crs.WGS84)


def _boundary_from_bbox(bbox: Sequence[float] | str, adcode: str | None) -> tuple[shapely.Geometry, dict]:
    """Return the box as a polygon, with the columns of an ``indicative`` boundary."""
    box = _crs.parse_bbox(bbox, option="--bbox")
    row = {"id": "boundary", "adcode": adcode or "unknown", "name_zh": None, "name_en": None,
           "source": "bbox " + ",".join(str(v) for v in box), "confidence": "indicative"}
    return shapely.box(*box), row


def _boundary_from_file(path: Path, crs: str | None, adcode: str | None) -> tuple[shapely.Geometry, dict]:
    """Dissolve the file's polygons (WGS-84); take the columns from its first feature."""
    gdf = _read_ogr(path, None)
    gdf = _assign_crs(gdf, crs, path, "--boundary-crs")  # the option `import osm` takes
    polys = gdf.geometry.values[shapely.get_dimensions(gdf.geometry.values) == 2]
    if len(polys) == 0:
        raise InputError(f"{path}: the boundary file holds no polygon")
    geom = shapely.union_all(shapely.make_valid(shapely.force_2d(polys)))
    geom = _keep_dimension(np.array([geom], dtype=object), 2)[0]
    first = gdf.iloc[0]

    def pick(col: str, default=None):
        v = first.get(col) if col in gdf.columns else None
        return default if _missing(v) else _as_text(v)

    row = {"id": pick("id", "boundary"), "adcode": adcode or pick("adcode", "unknown"),
           "name_zh": pick("name_zh"), "name_en": pick("name_en"),
           "source": f"file:{path.name}", "confidence": pick("confidence", "digitized")}
    if row["confidence"] not in CONFIDENCE:
        row["confidence"] = "digitized"
    return geom, row
