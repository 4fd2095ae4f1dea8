"""The Chinese offset datums as array transforms: GCJ-02 (AMap, Tencent) and BD-09 (Baidu).

Plain numpy on longitude/latitude arrays, no CRS objects; :mod:`ecomap.crs` re-exports
them and applies them to GeoDataFrames. The formulas and their sources are described in
:mod:`ecomap.crs`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "out_of_china",
    "wgs84_to_gcj02",
    "gcj02_to_wgs84",
    "gcj02_to_bd09",
    "bd09_to_gcj02",
    "wgs84_to_bd09",
    "bd09_to_wgs84",
]

_A = 6378245.0
_EE = 0.00669342162296594323
_PI = np.pi


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
