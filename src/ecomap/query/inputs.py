"""What the user gives a question: points, boxes and geometries in lon/lat, and footprints.

The user's own coordinates (``point``, ``bbox``, ``intersects``) are longitude/latitude
in WGS-84 or, when ``input_crs="gcj02"`` or ``"bd09"``, in GCJ-02 or BD-09 (a coordinate
copied from a Chinese map app: AMap/Tencent or Baidu); they are converted explicitly, never guessed, by the one conversion
:func:`ecomap.crs.lonlat_to_internal`. Boxes are read by the one bbox parser
:func:`ecomap.crs.parse_bbox`, and a corridor's footprint is the one rule
:func:`ecomap.network.corridor_footprints`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .._errors import InputError
from ..crs import check_lonlat, lonlat_to_internal, parse_bbox
from ..network import corridor_footprints
from ._common import _frame

__all__ = [
    "parse_lonlat",
    "parse_bbox",
    "parse_geometry",
    "user_point",
    "user_geometry",
    "footprint",
]


# --- text from the command line ---------------------------------------------------------------
def parse_lonlat(text: str, *, option: str = "point") -> tuple[float, float]:
    """Parse ``"LON,LAT"`` as two floats; swapped or out-of-range values name the problem.

    Parameters
    ----------
    text : str
        Longitude and latitude in degrees, separated by a comma.
    option : str, default ``"point"``
        The option's name, for messages (``--near`` on the command line).

    Returns
    -------
    tuple of float
        ``(lon, lat)`` in degrees.

    Raises
    ------
    InputError
        If there are not two numbers, or they are not a longitude/latitude (a swapped
        order is named), checked by :func:`ecomap.crs.check_lonlat`.
    """
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise InputError(f"{option} {text!r}: give LON,LAT (two numbers separated by a comma)")
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(f"{option} {text!r}: LON and LAT must be numbers") from None
    check_lonlat(lon, lat, option=option, text=text)
    return lon, lat


def parse_geometry(text: str) -> shapely.Geometry:
    """Read a geometry given as WKT or as a GeoJSON file (FeatureCollection, Feature or geometry).

    Several features in a file are united into one geometry. The coordinates are returned
    as they are (longitude/latitude); :func:`user_geometry` converts them.

    Parameters
    ----------
    text : str
        WKT (``POINT``, ``LINESTRING``, ``POLYGON``, their ``MULTI`` forms or a
        ``GEOMETRYCOLLECTION``) or the path of a GeoJSON file.

    Returns
    -------
    shapely.Geometry
        One valid, non-empty geometry in the coordinates given.

    Raises
    ------
    InputError
        If the text is neither WKT nor an existing file, the file is not GeoJSON or holds
        no geometry, the WKT does not parse, or the geometry is empty or invalid.
    """
    looks_like_wkt = re.match(r"^\s*(MULTI)?(POINT|LINESTRING|POLYGON)|^\s*GEOMETRYCOLLECTION", text, re.I)
    geom = _read_wkt(text) if looks_like_wkt else _read_geojson_file(text)
    if geom is None or geom.is_empty:
        raise InputError(f"intersects {text[:60]!r}: the geometry is empty")
    if not geom.is_valid:
        raise InputError(f"intersects: invalid geometry: {shapely.is_valid_reason(geom)}")
    return geom


def _read_wkt(text: str) -> shapely.Geometry:
    try:
        return shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        raise InputError(f"intersects: not valid WKT: {str(exc).splitlines()[0]}") from None


def _read_geojson_file(text: str) -> shapely.Geometry:
    """Read the GeoJSON file ``text`` as the union of its geometries."""
    path = Path(text)
    if not path.is_file():
        raise InputError(f"intersects {text!r}: neither a WKT geometry nor an existing GeoJSON file")
    try:
        obj = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not readable as GeoJSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: not readable as GeoJSON: nested too deeply") from None
    geoms = _geojson_geometries(obj, path)
    if not geoms:
        raise InputError(f"{path}: holds no geometry")
    return shapely.union_all(geoms)


def _geojson_geometries(obj, path: Path) -> list[shapely.Geometry]:
    if not isinstance(obj, dict):
        raise InputError(f"{path}: not a GeoJSON object")
    kind = obj.get("type")
    try:
        if kind == "FeatureCollection":
            items = [f.get("geometry") for f in obj.get("features", []) if isinstance(f, dict)]
        elif kind == "Feature":
            items = [obj.get("geometry")]
        else:
            items = [obj]
        return [shapely.from_geojson(json.dumps(g)) for g in items if g]
    except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a GeoJSON geometry: {str(exc).splitlines()[0]}") from None


# --- lon/lat to EPSG:4547 ---------------------------------------------------------------------
def _to_internal(geom: shapely.Geometry, input_crs: str) -> shapely.Geometry:
    """Convert every vertex of a lon/lat geometry in ``input_crs`` to EPSG:4547 metres."""

    def xy(coords: np.ndarray) -> np.ndarray:
        x, y = lonlat_to_internal(coords[:, 0], coords[:, 1], source=input_crs)
        return np.column_stack([x, y])

    return shapely.transform(geom, xy)


def user_point(point: tuple[float, float], *, input_crs: str = "wgs84") -> shapely.Point:
    """Convert a user's (lon, lat) in ``input_crs`` (``wgs84``, ``gcj02`` or ``bd09``) to a point in EPSG:4547.

    Parameters
    ----------
    point : tuple of float
        ``(lon, lat)`` in degrees.
    input_crs : str, default ``"wgs84"``
        ``wgs84``, ``gcj02`` or ``bd09``; GCJ-02 and BD-09 are taken back to WGS-84 first.

    Returns
    -------
    shapely.Point
        The point in EPSG:4547 metres.

    Raises
    ------
    InputError
        If the numbers are not a longitude/latitude, or ``input_crs`` is not WGS-84,
        GCJ-02 or BD-09.
    """
    lon, lat = (float(v) for v in point)
    check_lonlat(lon, lat, option="point", text=f"{lon},{lat}")
    x, y = lonlat_to_internal(lon, lat, source=input_crs)
    return shapely.Point(float(x), float(y))


def user_geometry(geom: shapely.Geometry, *, input_crs: str = "wgs84", segment_deg: float = 1e-4) -> shapely.Geometry:
    """Convert a lon/lat geometry in ``input_crs`` to EPSG:4547, edges first split every ``segment_deg``.

    Splitting the edges (1e-4 degrees is about 10 m) keeps a straight lon/lat edge where
    it is after projection, to well under a millimetre at district scale.

    Parameters
    ----------
    geom : shapely.Geometry
        In longitude/latitude degrees.
    input_crs : str, default ``"wgs84"``
        ``wgs84``, ``gcj02`` or ``bd09``.
    segment_deg : float, default 1e-4
        The longest edge, in degrees, before projection.

    Returns
    -------
    shapely.Geometry
        The geometry in EPSG:4547 metres.

    Raises
    ------
    InputError
        If the bounds are not longitude/latitude degrees, or ``input_crs`` is not
        WGS-84, GCJ-02 or BD-09.
    """
    b = shapely.bounds(geom)
    if abs(b[1]) > 90 or abs(b[3]) > 90 or abs(b[0]) > 180 or abs(b[2]) > 180:
        raise InputError("the geometry's coordinates are not longitude/latitude degrees (is the order lon, lat?)")
    return _to_internal(shapely.segmentize(geom, segment_deg), input_crs)


# --- another feature's area -----------------------------------------------------------------
def footprint(source, ref: str) -> shapely.Geometry:
    """Return the area a feature covers, given as ``"LAYER:ID"`` (e.g. ``"corridors:C07"``), in EPSG:4547.

    A polygon is its own footprint; a corridor's is its centre line buffered by
    ``width_m / 2`` (as the catalogue defines it), from the one rule
    :func:`ecomap.network.corridor_footprints`. Other lines and points have no area.

    Parameters
    ----------
    source : Network or mapping of layers
        The whole network (a single layer cannot name another one).
    ref : str
        ``LAYER:ID``.

    Returns
    -------
    shapely.Geometry
        A (Multi)Polygon in EPSG:4547 metres.

    Raises
    ------
    InputError
        If ``ref`` is not ``LAYER:ID``, ``source`` is a single GeoDataFrame, the layer or
        feature does not exist, a corridor has no positive ``width_m``, or the feature is
        a line or point outside the corridors layer.
    """
    if ":" not in ref:
        raise InputError(f"within {ref!r}: give LAYER:ID, e.g. corridors:C07")
    layer, fid = (s.strip() for s in ref.split(":", 1))
    if isinstance(source, gpd.GeoDataFrame):
        raise InputError("within LAYER:ID needs the whole network, not a single layer")
    gdf = _frame(source, layer)
    if fid not in gdf.index:
        known = ", ".join(map(str, gdf.index[:20]))
        more = " ..." if len(gdf) > 20 else ""
        raise InputError(f"within {ref!r}: layer {layer} has no feature {fid!r} (ids: {known or 'none'}{more})")
    geom = gdf.geometry.loc[fid]
    dim = shapely.get_dimensions(geom)
    if dim == 2:
        return geom
    if layer == "corridors" and dim == 1:
        return _corridor_footprint(gdf, fid, ref)
    raise InputError(f"within {ref!r}: a {geom.geom_type} covers no area; "
                     "use a polygon layer or a corridor (buffered by its width)")


def _corridor_footprint(corridors: gpd.GeoDataFrame, fid: str, ref: str) -> shapely.Geometry:
    """Return corridor ``fid``'s footprint by the network's rule; an error names the reference."""
    try:
        return corridor_footprints(corridors.loc[[fid]]).iloc[0]
    except InputError as exc:
        raise InputError(f"within {ref!r}: corridor has no width_m, so no footprint") from exc
