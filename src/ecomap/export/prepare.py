"""A layer made ready for a format: catalogue columns and order, CRS, ISO dates."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as _crs
from ..layers import CATALOGUE, coerce_columns


def prepare(gdf: gpd.GeoDataFrame, name: str | None = None, *, crs: str = _crs.WGS84,
            precision: int | None = None) -> gpd.GeoDataFrame:
    """A layer (or result) ready to write: ``id`` a column, columns in catalogue order, target CRS.

    Polygons are oriented with counter-clockwise exterior rings (the right-hand rule
    of RFC 7946 [1]_).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer as the Network holds it (EPSG:4547, indexed by ``id``), or any
        GeoDataFrame with a CRS (one without is taken as EPSG:4547).
    name : str, optional
        The layer's catalogue name: its columns come first, in catalogue order, with
        missing ones added empty; floats are float64, text is object with ``None``
        (:func:`ecomap.layers.coerce_columns`), dates ``YYYY-MM-DD`` text
        (:func:`iso_dates`). None (or a name not in the catalogue) keeps the frame's
        own columns.
    crs : str, default "EPSG:4326"
        ``EPSG:4326`` (default), ``gcj02`` or any CRS pyproj knows.
    precision : int, optional
        Decimals kept; default 7 for degrees (~1 cm), 3 for metres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (text) first when there is one, the catalogue's columns, the frame's other
        columns, the geometry last; default index. ``attrs`` holds ``coordinates``
        (:func:`coordinates_label`), ``layer`` (``name``) and ``precision``, which the
        writers put into each file's metadata.

    Raises
    ------
    InputError
        If pyproj does not know ``crs``.

    References
    ----------
    .. [1] H. Butler et al., *The GeoJSON Format*, RFC 7946 (2016), section 3.1.6:
       exterior rings counter-clockwise, holes clockwise (the right-hand rule).
    """
    code = _crs.parse_crs(crs)
    src = gdf if gdf.crs is not None else gdf.set_crs(_crs.INTERNAL)
    out = _crs.to_gcj02(src) if code == _crs.GCJ02 else src.to_crs(code)
    geom, target = out.geometry.name, out.crs
    # the columns are reworked as plain Series and put together once: a GeoDataFrame checks
    # its geometry on every column access, and each setitem rebuilds the frame's blocks
    table = pd.DataFrame(out)
    if table.index.name is not None and table.index.name not in table.columns:
        table = table.reset_index()
    else:
        table = table.reset_index(drop=True)
    spec = CATALOGUE.get(name) if name else None
    first: list[str] = ["id"] if "id" in table.columns else []
    done: dict[str, pd.Series] = {}
    if spec is not None:
        table = coerce_columns(table, name)  # missing columns added, numbers as float64
        for c in spec.columns:  # what an export adds: ISO dates, None for missing text
            if c.dtype == "date":
                done[c.name] = iso_dates(table[c.name])
            elif c.dtype not in {"float", "int"}:
                values = table[c.name].astype(object).to_numpy()
                done[c.name] = pd.Series(np.where(pd.isna(values), None, values), index=table.index, dtype=object)
        first += [c.name for c in spec.columns]
    order = [*first, *[c for c in table.columns if c not in first and c != geom]]
    columns = {c: done[c] if c in done else table[c] for c in order}
    if "id" in columns:
        columns["id"] = columns["id"].astype(str)
    if precision is None:
        precision = 7 if _geographic(code) else 3
    g = np.asarray(table[geom].values)
    if len(table):
        g = shapely.orient_polygons(g, exterior_cw=False)
        g = shapely.set_precision(g, 10.0 ** -precision, mode="pointwise")
    columns[geom] = gpd.GeoSeries(g, index=table.index, crs=target)
    out = gpd.GeoDataFrame(columns, geometry=geom, crs=target)
    out.attrs = {"coordinates": coordinates_label(crs), "layer": name, "precision": precision}
    return out


def iso_dates(values: pd.Series) -> pd.Series:
    """A date column as ``YYYY-MM-DD`` text with None for missing.

    Whether it holds text, timestamps or ``datetime64`` (GDAL reads ISO dates in
    GeoJSON as dates).

    Parameters
    ----------
    values : pandas.Series
        Dates as text, :class:`pandas.Timestamp`, :class:`datetime.date` or
        ``datetime64``; missing as None, NaN, NaT or blank text.

    Returns
    -------
    pandas.Series
        ``object`` dtype, same index: ISO 8601 calendar dates (``YYYY-MM-DD``), None
        where missing. Text is stripped but not checked (the catalogue's rules do that).

    References
    ----------
    .. [1] ISO 8601-1:2019, *Date and time: representations for information interchange*.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d").astype(object)
        return text.where(values.notna(), None)

    def one(v):
        if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "strftime"):
            return pd.Timestamp(v).strftime("%Y-%m-%d")
        text = str(v).strip()
        return text or None

    return pd.Series([one(v) for v in values.astype(object)], index=values.index, dtype=object)


def coordinates_label(crs: str) -> str:
    """How a file describes its coordinates: ``WGS-84``, ``GCJ-02`` or ``EPSG:nnnn``.

    Parameters
    ----------
    crs : str
        Any CRS option :func:`ecomap.crs.parse_crs` accepts (``wgs84``, ``gcj02``,
        ``EPSG:4547`` ...).

    Returns
    -------
    str
        ``WGS-84``, ``GCJ-02``, or what :func:`~ecomap.crs.parse_crs` gives for any
        other CRS (``EPSG:nnnn``, or WKT for a CRS without an EPSG code).

    Raises
    ------
    InputError
        If pyproj does not know ``crs``.
    """
    code = _crs.parse_crs(crs)
    if code == _crs.GCJ02:
        return "GCJ-02"
    if code == _crs.WGS84:
        return "WGS-84"
    return code


def _geographic(code: str) -> bool:
    return code == _crs.GCJ02 or pyproj.CRS(code).is_geographic
