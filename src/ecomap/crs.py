"""Coordinate systems: WGS-84 at the edges, CGCS2000 Gauss-Kruger inside, GCJ-02 on request.

* ``WGS84`` (EPSG:4326) is what GeoJSON files and phones (GPS) use.
* ``INTERNAL`` (EPSG:4547, CGCS2000 / 3-degree Gauss-Kruger CM 114E) is where every
  length, area, buffer and distance is computed, in metres.
* GCJ-02 is the obfuscated datum of Chinese map apps and of AMap/Gaode tiles. It has no
  EPSG code: it is an explicit, vectorized transform of WGS-84 longitudes and latitudes.
  The forward transform is the widely published one (Krasovsky ellipsoid,
  ``a = 6378245.0``, ``ee = 0.00669342162296594323``); the inverse is a fixed-point
  iteration that converges to well below 1e-9 degrees. Outside the mainland-China
  bounding box (lon 72.004-137.8347, lat 0.8293-55.8271) both are the identity, as in the
  standard definition.
* BD-09 is Baidu Maps' datum: GCJ-02 obfuscated once more (``x_pi = pi * 3000 / 180``,
  offsets 0.0065/0.006 degrees). :func:`bd09_to_wgs84` goes BD-09 -> GCJ-02 -> WGS-84, each
  inverse a fixed-point iteration of the published forward formula; ``--crs bd09``.
  A BD-09 point read as GCJ-02 lands about 1 km off and nothing in the numbers tells them
  apart: which app uses which is in ``docs/import.md``.
"""

from __future__ import annotations

from typing import TypeVar

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ._errors import InputError

__all__ = [
    "WGS84",
    "INTERNAL",
    "GCJ02",
    "BD09",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
    "from_bd09",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_gcj02",
    "from_gcj02",
    "to_internal",
    "to_wgs84",
    "parse_crs",
    "transform_point",
    "lonlat_to_internal",
    "check_lonlat",
    "parse_bbox",
]

WGS84 = "EPSG:4326"
INTERNAL = "EPSG:4547"
GCJ02 = "gcj02"
BD09 = "bd09"

G = TypeVar("G", gpd.GeoDataFrame, gpd.GeoSeries)


from ._datums import (  # noqa: E402  (re-exported)
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)


def _apply(geoms: np.ndarray, func) -> np.ndarray:
    def xy(coords: np.ndarray) -> np.ndarray:
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, xy)


def _in_wgs84(obj: G) -> G:
    if obj.crs is None:
        return obj.set_crs(WGS84)
    if pyproj.CRS(obj.crs) != pyproj.CRS(WGS84):
        return obj.to_crs(WGS84)
    return obj


def to_gcj02(obj: G) -> G:
    """A copy of a GeoSeries/GeoDataFrame with its coordinates in GCJ-02.

    The input is first brought to WGS-84. GCJ-02 has no EPSG code, so the result is
    labelled EPSG:4326 and carries ``attrs["coordinates"] = "GCJ-02"``.

    Parameters
    ----------
    obj : geopandas.GeoSeries or geopandas.GeoDataFrame
        Geometries in any CRS; without a CRS they are taken as WGS-84 (EPSG:4326).

    Returns
    -------
    geopandas.GeoSeries or geopandas.GeoDataFrame
        Same type and index as ``obj``; every vertex moved by :func:`wgs84_to_gcj02`.
    """
    out = _in_wgs84(obj).copy()
    if isinstance(out, gpd.GeoDataFrame):
        out[out.geometry.name] = gpd.GeoSeries(
            _apply(out.geometry.values, wgs84_to_gcj02), index=out.index, crs=WGS84
        )
    else:
        out = gpd.GeoSeries(_apply(out.values, wgs84_to_gcj02), index=out.index, crs=WGS84)
    out.attrs["coordinates"] = "GCJ-02"
    return out


def from_gcj02(obj: G) -> G:
    """A copy of a GeoSeries/GeoDataFrame whose lon/lat are GCJ-02, in WGS-84 (EPSG:4326).

    The inverse of :func:`to_gcj02`: every vertex is moved by :func:`gcj02_to_wgs84`, and
    the ``attrs["coordinates"]`` label is dropped.

    Parameters
    ----------
    obj : geopandas.GeoSeries or geopandas.GeoDataFrame
        Geometries whose coordinates are GCJ-02 longitude/latitude degrees, labelled
        EPSG:4326 or without a CRS.

    Returns
    -------
    geopandas.GeoSeries or geopandas.GeoDataFrame
        Same type and index as ``obj``, in EPSG:4326.

    Raises
    ------
    InputError
        If ``obj`` has a CRS other than EPSG:4326 (GCJ-02 coordinates are degrees).
    """
    return _from_offset_datum(obj, gcj02_to_wgs84, "GCJ-02")


def from_bd09(obj: G) -> G:
    """A copy of a GeoSeries/GeoDataFrame whose lon/lat are BD-09, in WGS-84 (EPSG:4326).

    Parameters
    ----------
    obj : geopandas.GeoSeries or geopandas.GeoDataFrame
        Geometries whose coordinates are BD-09 longitude/latitude degrees, labelled
        EPSG:4326 or without a CRS.

    Returns
    -------
    geopandas.GeoSeries or geopandas.GeoDataFrame
        Same type and index as ``obj``, in EPSG:4326; every vertex moved by
        :func:`bd09_to_wgs84`.

    Raises
    ------
    InputError
        If ``obj`` has a CRS other than EPSG:4326 (BD-09 coordinates are degrees).
    """
    return _from_offset_datum(obj, bd09_to_wgs84, "BD-09")


def _from_offset_datum(obj: G, to_wgs84, label: str) -> G:
    """``obj`` (lon/lat in an offset datum, ``label``) moved vertex by vertex to WGS-84."""
    if obj.crs is not None and pyproj.CRS(obj.crs) != pyproj.CRS(WGS84):
        raise InputError(f"{label} coordinates must be longitude/latitude degrees, not {obj.crs}")
    out = obj.copy()
    if isinstance(out, gpd.GeoDataFrame):
        out[out.geometry.name] = gpd.GeoSeries(_apply(out.geometry.values, to_wgs84), index=out.index, crs=WGS84)
        out = out.set_crs(WGS84, allow_override=True)
    else:
        out = gpd.GeoSeries(_apply(out.values, to_wgs84), index=out.index, crs=WGS84)
    out.attrs.pop("coordinates", None)  # a label of the old datum no longer holds
    return out


def to_internal(obj: G) -> G:
    """Reproject to EPSG:4547 (metres); an object without a CRS is taken as WGS-84.

    Parameters
    ----------
    obj : geopandas.GeoSeries or geopandas.GeoDataFrame
        Geometries in any CRS pyproj can transform from, or without a CRS (WGS-84).

    Returns
    -------
    geopandas.GeoSeries or geopandas.GeoDataFrame
        Same type and index, in EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E),
        where lengths and areas are metres and square metres.
    """
    if obj.crs is None:
        obj = obj.set_crs(WGS84)
    return obj.to_crs(INTERNAL)


def to_wgs84(obj: G) -> G:
    """Reproject to EPSG:4326 (longitude, latitude).

    Parameters
    ----------
    obj : geopandas.GeoSeries or geopandas.GeoDataFrame
        Geometries with a CRS.

    Returns
    -------
    geopandas.GeoSeries or geopandas.GeoDataFrame
        Same type and index, in EPSG:4326 degrees.

    Raises
    ------
    InputError
        If ``obj`` has no CRS.
    """
    if obj.crs is None:
        raise InputError("cannot reproject: the data has no CRS")
    return obj.to_crs(WGS84)


def parse_crs(value: str) -> str:
    """Normalise a user's CRS option: ``wgs84``/``gcj02``/``EPSG:nnnn``/any pyproj string.

    Parameters
    ----------
    value : str
        ``wgs84``, ``gcj02`` (also ``gcj``, ``mars``), ``bd09`` (also ``baidu``),
        ``internal``/``cgcs2000gk``,
        ``EPSG:nnnn``, a bare ``4326``/``4547``, or any string
        :meth:`pyproj.crs.CRS.from_user_input` accepts; case, ``-`` and ``_`` do not
        matter for the names.

    Returns
    -------
    str
        ``GCJ02`` (``"gcj02"``) for GCJ-02, ``BD09`` (``"bd09"``) for BD-09, otherwise an ``EPSG:nnnn`` or WKT string that
        pyproj accepts.

    Raises
    ------
    InputError
        Naming the value when pyproj does not know it.
    """
    v = value.strip()
    low = v.lower().replace("-", "").replace("_", "")
    if low in {"gcj02", "gcj", "mars"}:
        return GCJ02
    if low in {"bd09", "bd", "baidu", "bd09ll"}:
        return BD09
    if low in {"wgs84", "epsg4326", "4326"}:
        return WGS84
    if low in {"cgcs2000gk", "internal", "4547"}:
        return INTERNAL
    try:
        crs = pyproj.CRS.from_user_input(v)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(f"unknown CRS {value!r}: use wgs84, gcj02 or EPSG:nnnn ({exc})") from None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def lonlat_to_internal(lon, lat, *, source: str = WGS84) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes in ``source`` to EPSG:4547 metres: the one conversion every caller uses.

    Parameters
    ----------
    lon, lat : float or array_like of shape (n,)
        Degrees in ``source``.
    source : str, default ``"EPSG:4326"``
        ``wgs84``, ``gcj02`` or ``bd09`` (any spelling :func:`parse_crs` knows). GCJ-02 and BD-09 are first
        taken back to WGS-84 with :func:`gcj02_to_wgs84`.

    Returns
    -------
    x, y : numpy.ndarray of shape (n,)
        Easting and northing in metres (EPSG:4547); ``inf`` where pyproj cannot project.

    Raises
    ------
    InputError
        If ``source`` is neither WGS-84 nor GCJ-02.
    """
    code = parse_crs(source)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if code == GCJ02:
        lon, lat = gcj02_to_wgs84(lon, lat)
    elif code == BD09:
        lon, lat = bd09_to_wgs84(lon, lat)
    elif code != WGS84:
        raise InputError(f"coordinates must be wgs84, gcj02 or bd09, not {source!r}")
    x, y = _transformer(WGS84, INTERNAL).transform(lon, lat)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def transform_point(lon: float, lat: float, *, source: str = WGS84) -> tuple[float, float]:
    """A user's (lon, lat) in ``source`` (``wgs84`` or ``gcj02``) to EPSG:4547 metres.

    Parameters
    ----------
    lon, lat : float
        Degrees in ``source``.
    source : str, default ``"EPSG:4326"``
        ``wgs84`` or ``gcj02``.

    Returns
    -------
    tuple of float
        ``(x, y)`` in metres, EPSG:4547.

    Raises
    ------
    InputError
        If ``source`` is neither WGS-84 nor GCJ-02.
    """
    x, y = lonlat_to_internal(lon, lat, source=source)
    return float(x), float(y)


def check_lonlat(lon: float, lat: float, *, option: str, text: str) -> None:
    """Refuse a longitude/latitude that is not finite, out of range or given as LAT,LON.

    Parameters
    ----------
    lon, lat : float
        Degrees.
    option, text : str
        The option's name and the text the user gave, for the message.

    Raises
    ------
    InputError
        Naming the option, the text and the rule broken.
    """
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError(f"{option} {text!r}: coordinates must be finite numbers")
    if abs(lat) > 90 and abs(lon) <= 90:
        raise InputError(f"{option} {text!r}: latitude {lat:g} is out of range; "
                         "the order is LON,LAT (longitude first)")
    if abs(lat) > 90 or abs(lon) > 180:
        raise InputError(f"{option} {text!r}: not a longitude/latitude in degrees")


def parse_bbox(text, *, option: str = "bbox") -> tuple[float, float, float, float]:
    """``"MINLON,MINLAT,MAXLON,MAXLAT"`` (WGS-84 degrees) as four floats: the one bbox parser.

    Parameters
    ----------
    text : str or sequence of 4 numbers
        The box as the user gave it.
    option : str, default ``"bbox"``
        The option's name, for messages (``--bbox`` on the command line).

    Returns
    -------
    tuple of float
        ``(minlon, minlat, maxlon, maxlat)`` in degrees.

    Raises
    ------
    InputError
        If there are not four numbers, a corner is not a longitude/latitude (swapped
        order is named), or the minimum is not below the maximum.
    """
    if not isinstance(text, str):
        text = ",".join(map(str, text))
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise InputError(f"{option} {text!r}: give MINLON,MINLAT,MAXLON,MAXLAT (four numbers)")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"{option} {text!r}: the four values must be numbers") from None
    check_lonlat(x0, y0, option=option, text=text)
    check_lonlat(x1, y1, option=option, text=text)
    if not (x0 < x1 and y0 < y1):
        raise InputError(f"{option} {text!r}: MINLON must be below MAXLON and MINLAT below MAXLAT")
    return x0, y0, x1, y1


_TRANSFORMERS: dict[tuple[str, str], pyproj.Transformer] = {}


def _transformer(src: str, dst: str) -> pyproj.Transformer:
    """The transformer ``src`` -> ``dst``, built once per process and shared with ``to_crs``.

    Building one searches PROJ's database (0.1-0.25 s), so the transformer for the user's
    points is geopandas' own for ``GeoDataFrame.to_crs`` (its cache, called as ``to_crs``
    calls it), not a second one: the same pyproj object, the same numbers.
    """
    key = (src, dst)
    if key not in _TRANSFORMERS:
        _TRANSFORMERS[key] = _from_crs(pyproj.CRS.from_user_input(src), pyproj.CRS.from_user_input(dst),
                                       always_xy=True)
    return _TRANSFORMERS[key]


try:  # geopandas' cache of Transformer.from_crs (geopandas.array, 0.14 to 1.x)
    from geopandas.array import TransformerFromCRS as _from_crs
except ImportError:  # pragma: no cover - a geopandas without it: one of our own
    _from_crs = pyproj.Transformer.from_crs
