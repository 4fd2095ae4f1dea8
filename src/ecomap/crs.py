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

_A = 6378245.0
_EE = 0.00669342162296594323
_PI = np.pi

G = TypeVar("G", gpd.GeoDataFrame, gpd.GeoSeries)


def out_of_china(lon, lat):
    """True where (lon, lat) lies outside the box in which GCJ-02 applies.

    The box is lon 72.004-137.8347, lat 0.8293-55.8271 (degrees), as in the standard
    definition [1]_; the edges count as inside.

    Parameters
    ----------
    lon, lat : float or array_like
        Longitude and latitude in degrees (WGS-84 or GCJ-02); any shape, broadcast
        together.

    Returns
    -------
    numpy.ndarray of bool
        The broadcast shape of ``lon`` and ``lat`` (a 0-d array for scalars); True outside
        the box.

    References
    ----------
    .. [1] The GCJ-02 forward transform as widely published, e.g. wandergis,
       *coordTransform_py*, ``coordTransform_utils.py`` (``wgs84togcj02``, ``out_of_china``),
       https://github.com/wandergis/coordTransform_py: Krasovsky ``a = 6378245.0``,
       ``ee = 0.00669342162296594323``.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * _PI) + 40.0 * np.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * _PI) + 320.0 * np.sin(y * _PI / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * _PI) + 20.0 * np.sin(2.0 * x * _PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * _PI) + 40.0 * np.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * _PI) + 300.0 * np.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    return ret


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS-84, in degrees, at WGS-84 (lon, lat); zero outside China."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * _PI
    magic = np.sin(radlat)
    magic = 1 - _EE * magic * magic
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * _PI)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * _PI)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _shape_like(template, lon: np.ndarray, lat: np.ndarray):
    if np.ndim(template) == 0:
        return float(lon), float(lat)
    return lon, lat


def wgs84_to_gcj02(lon, lat):
    """Convert WGS-84 longitude/latitude to GCJ-02.

    Parameters
    ----------
    lon, lat : float or array-like
        WGS-84 degrees; any shape, broadcast together.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        GCJ-02 degrees, floats for float input, arrays of the input's shape otherwise;
        unchanged outside China (:func:`out_of_china`).

    References
    ----------
    .. [1] The GCJ-02 forward transform as widely published, e.g. wandergis,
       *coordTransform_py*, ``coordTransform_utils.py`` (``wgs84togcj02``, ``out_of_china``),
       https://github.com/wandergis/coordTransform_py: Krasovsky ``a = 6378245.0``,
       ``ee = 0.00669342162296594323``.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(x, y)
    return _shape_like(lon, x + dlon, y + dlat)


def gcj02_to_wgs84(lon, lat, *, tol: float = 1e-12, max_iter: int = 50):
    """Convert GCJ-02 longitude/latitude back to WGS-84.

    Solves ``f(w) = g`` for the WGS-84 point ``w`` by the fixed-point iteration
    ``w <- w - (f(w) - g)`` started at ``w = g``; the offset varies slowly, so it
    converges to ``tol`` degrees in a handful of steps (round trip error ~1e-14 deg).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 degrees; any shape, broadcast together. NaN stays NaN.
    tol : float, default 1e-12
        Stop when every point's residual ``|f(w) - g|`` is at most this, in degrees.
    max_iter : int, default 50
        Most iterations; the result after the last one is returned even if ``tol`` was
        not reached (in practice it is, within a handful).

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS-84 degrees, floats for float input, arrays of the input's shape otherwise;
        unchanged outside China (:func:`out_of_china`).

    See Also
    --------
    wgs84_to_gcj02 : The forward transform ``f`` this inverts.

    References
    ----------
    .. [1] The forward transform ``f`` as widely published, e.g. wandergis,
       *coordTransform_py*, https://github.com/wandergis/coordTransform_py, whose own
       ``gcj02towgs84`` is the one-step approximation ``2g - f(g)`` (errors up to a few
       metres over China) that this iteration refines.
    """
    gx = np.asarray(lon, dtype=float)
    gy = np.asarray(lat, dtype=float)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(max_iter):
        dlon, dlat = _offset(wx, wy)
        ex = wx + dlon - gx
        ey = wy + dlat - gy
        wx = wx - ex
        wy = wy - ey
        if not (np.nanmax(np.abs(ex), initial=0.0) > tol or np.nanmax(np.abs(ey), initial=0.0) > tol):
            break
    return _shape_like(lon, wx, wy)


_X_PI = np.pi * 3000.0 / 180.0


def gcj02_to_bd09(lon, lat):
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu Maps).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 degrees; any shape, broadcast together.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        BD-09 degrees, floats for float input, arrays otherwise.

    References
    ----------
    .. [1] The BD-09 forward transform as widely published, e.g. wandergis,
       *coordTransform_py* (``gcj02_to_bd09``), https://github.com/wandergis/coordTransform_py:
       ``z = hypot(x, y) + 2e-5 sin(y x_pi)``, ``theta = atan2(y, x) + 3e-6 cos(x x_pi)``,
       ``bd = (z cos theta + 0.0065, z sin theta + 0.006)``.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _shape_like(lon, z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon, lat, *, tol: float = 1e-12, max_iter: int = 50):
    """Convert BD-09 longitude/latitude back to GCJ-02.

    The published one-step inverse (errors ~1e-6 degrees) refined by the fixed-point
    iteration ``g <- g - (f(g) - b)`` on the forward transform :func:`gcj02_to_bd09`.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees; any shape, broadcast together.
    tol : float, default 1e-12
        Stop when every residual is at most this, in degrees.
    max_iter : int, default 50
        Most iterations.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        GCJ-02 degrees, floats for float input, arrays otherwise.
    """
    bx = np.asarray(lon, dtype=float)
    by = np.asarray(lat, dtype=float)
    x, y = bx - 0.0065, by - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    for _ in range(max_iter):
        fx, fy = gcj02_to_bd09(gx, gy)
        ex, ey = np.asarray(fx) - bx, np.asarray(fy) - by
        gx, gy = gx - ex, gy - ey
        if not (np.nanmax(np.abs(ex), initial=0.0) > tol or np.nanmax(np.abs(ey), initial=0.0) > tol):
            break
    return _shape_like(lon, gx, gy)


def wgs84_to_bd09(lon, lat):
    """Convert WGS-84 longitude/latitude to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 degrees.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        BD-09 degrees.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    """Convert BD-09 longitude/latitude (Baidu Maps) to WGS-84: BD-09 -> GCJ-02 -> WGS-84.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 degrees.

    Returns
    -------
    lon, lat : float or numpy.ndarray
        WGS-84 degrees, floats for float input, arrays otherwise.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


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
    if obj.crs is not None and pyproj.CRS(obj.crs) != pyproj.CRS(WGS84):
        raise InputError(f"GCJ-02 coordinates must be longitude/latitude degrees, not {obj.crs}")
    out = obj.copy()
    if isinstance(out, gpd.GeoDataFrame):
        out[out.geometry.name] = gpd.GeoSeries(
            _apply(out.geometry.values, gcj02_to_wgs84), index=out.index, crs=WGS84
        )
        out = out.set_crs(WGS84, allow_override=True)
    else:
        out = gpd.GeoSeries(_apply(out.values, gcj02_to_wgs84), index=out.index, crs=WGS84)
    out.attrs.pop("coordinates", None)
    return out


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
    if obj.crs is not None and pyproj.CRS(obj.crs) != pyproj.CRS(WGS84):
        raise InputError(f"BD-09 coordinates must be longitude/latitude degrees, not {obj.crs}")
    out = obj.copy()
    if isinstance(out, gpd.GeoDataFrame):
        out[out.geometry.name] = gpd.GeoSeries(
            _apply(out.geometry.values, bd09_to_wgs84), index=out.index, crs=WGS84
        )
        out = out.set_crs(WGS84, allow_override=True)
    else:
        out = gpd.GeoSeries(_apply(out.values, bd09_to_wgs84), index=out.index, crs=WGS84)
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
    key = (src, dst)
    if key not in _TRANSFORMERS:
        _TRANSFORMERS[key] = pyproj.Transformer.from_crs(src, dst, always_xy=True)
    return _TRANSFORMERS[key]
