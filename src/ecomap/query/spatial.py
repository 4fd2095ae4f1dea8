"""The spatial verbs: near a point, in a box or shape, inside a feature, nearest N, and ``query``.

Each verb converts the user's input (:mod:`ecomap.query.inputs`), asks the spatial core
(:mod:`ecomap.query._index`) for positions and builds the answer frame once.
:func:`query` combines any of them with an attribute filter
(:mod:`ecomap.query.filters`); every condition must hold.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely

from .._errors import InputError
from ..layers import CATALOGUE
from ..store._url import is_database_url
from ._common import _frame
from ._index import _near_pos, _nearest_pos, _pos_intersecting, _within_pos
from .filters import Where, parse_where
from .inputs import footprint, parse_geometry, user_geometry, user_point

__all__ = ["near", "in_bbox", "intersecting", "within", "nearest", "query"]

# --- shared steps -------------------------------------------------------------------------------
def _result(gdf: gpd.GeoDataFrame, pos: np.ndarray, extra: Mapping[str, np.ndarray],
            geometry: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Build the answer: rows ``pos`` of ``gdf`` with extra columns.

    Nearest first (ties by id) when there is a ``distance_m``, else in layer order. One
    ``take``, as it is the costly part.
    """
    if "distance_m" in extra and len(pos) > 1:
        order = np.lexsort((np.asarray(gdf.index[pos].astype(str), dtype=object), extra["distance_m"]))
        pos = pos[order]
        extra = {k: v[order] for k, v in extra.items()}
        geometry = None if geometry is None else geometry[order]
    out = gdf.iloc[pos].copy()
    for name, values in extra.items():
        out[name] = values
    if geometry is not None:
        out[out.geometry.name] = gpd.GeoSeries(geometry, index=out.index, crs=gdf.crs)
    return out


def _check_radius(radius_m: float) -> None:
    if not np.isfinite(radius_m) or radius_m < 0:
        raise InputError(f"radius {radius_m!r}: must be a distance in metres, >= 0")


def _check_count(n: int) -> None:
    if int(n) < 1:
        raise InputError(f"nearest {n!r}: must be 1 or more")


def _user_shape(geometry: shapely.Geometry | str, input_crs: str) -> shapely.Geometry:
    """Convert a shapely geometry, WKT or GeoJSON file in lon/lat to EPSG:4547."""
    geom = parse_geometry(geometry) if isinstance(geometry, str) else geometry
    return user_geometry(geom, input_crs=input_crs)


def _user_box(bbox: tuple[float, float, float, float], input_crs: str) -> shapely.Geometry:
    """Convert the lon/lat rectangle (MINLON, MINLAT, MAXLON, MAXLAT), densified, to EPSG:4547."""
    return user_geometry(shapely.box(*bbox), input_crs=input_crs)


# --- the verbs ------------------------------------------------------------------------------------
def near(source, layer: str, point: tuple[float, float], *, radius_m: float,
         input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """Find the features of ``layer`` within ``radius_m`` metres of a point, nearest first.

    Distance is measured in EPSG:4547 (metres), never in degrees; a feature exactly
    ``radius_m`` away is included. Adds ``distance_m``.

    Parameters
    ----------
    source : Network, mapping of layers or geopandas.GeoDataFrame
        A Network (or mapping of layers), or a single GeoDataFrame in EPSG:4547.
    layer : str
        The layer's name.
    point : tuple of float
        (lon, lat) in ``input_crs``, degrees.
    radius_m : float
        Search radius in metres (>= 0).
    input_crs : str, default ``"wgs84"``
        ``wgs84``, ``gcj02`` or ``bd09``.

    Returns
    -------
    geopandas.GeoDataFrame
        The features within the radius with ``distance_m`` (metres), nearest first, ties
        by id.

    Raises
    ------
    InputError
        For a negative or non-finite radius, an unknown layer or a point that is not a
        longitude/latitude.

    References
    ----------
    Candidates come from the layer's STRtree: Leutenegger, Lopez & Edgington (1997),
    STR: a simple and efficient algorithm for R-tree packing, Proc. 13th ICDE, 497-506.
    """
    _check_radius(radius_m)
    gdf = _frame(source, layer)
    pos, d = _near_pos(gdf, user_point(point, input_crs=input_crs), float(radius_m))
    return _result(gdf, pos, {"distance_m": d})


def in_bbox(source, layer: str, bbox: tuple[float, float, float, float], *,
            input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """Find the features of ``layer`` that intersect a lon/lat box (MINLON, MINLAT, MAXLON, MAXLAT).

    The box's edges are densified before projection, so it is the lon/lat rectangle.

    Parameters
    ----------
    source : Network, mapping of layers or geopandas.GeoDataFrame
        Where the layer comes from.
    layer : str
        The layer's name.
    bbox : tuple of 4 float
        ``(minlon, minlat, maxlon, maxlat)`` in ``input_crs``, degrees (see
        :func:`ecomap.crs.parse_bbox` for text).
    input_crs : str, default ``"wgs84"``
        ``wgs84``, ``gcj02`` or ``bd09``.

    Returns
    -------
    geopandas.GeoDataFrame
        The intersecting features, in layer order.

    Raises
    ------
    InputError
        For an unknown layer or a box that is not in longitude/latitude degrees.
    """
    gdf = _frame(source, layer)
    return _result(gdf, _pos_intersecting(gdf, _user_box(bbox, input_crs)), {})


def intersecting(source, layer: str, geometry: shapely.Geometry | str, *,
                 input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """Find the features of ``layer`` that intersect a lon/lat geometry (shapely, WKT or GeoJSON file).

    Parameters
    ----------
    source : Network, mapping of layers or geopandas.GeoDataFrame
        Where the layer comes from.
    layer : str
        The layer's name.
    geometry : shapely.Geometry or str
        In longitude/latitude degrees: a geometry, WKT, or the path of a GeoJSON file
        (read by :func:`ecomap.query.parse_geometry`).
    input_crs : str, default ``"wgs84"``
        ``wgs84``, ``gcj02`` or ``bd09``.

    Returns
    -------
    geopandas.GeoDataFrame
        The intersecting features, in layer order.

    Raises
    ------
    InputError
        For an unknown layer or a geometry that cannot be read or is not lon/lat.
    """
    gdf = _frame(source, layer)
    return _result(gdf, _pos_intersecting(gdf, _user_shape(geometry, input_crs)), {})


def within(source, layer: str, ref: str) -> gpd.GeoDataFrame:
    """Find the features of ``layer`` inside another feature's footprint, ``ref = "LAYER:ID"``.

    Points count when the footprint covers them (its edge included). Lines and polygons
    count when a part of positive length or area lies inside; their geometry is clipped
    to the footprint and ``length_m``/``clipped_length_m`` (or ``area_m2``/
    ``clipped_area_m2``) are added.

    Parameters
    ----------
    source : Network or mapping of layers
        The whole network: ``ref`` names a feature of another layer.
    layer : str
        The layer whose features are asked for.
    ref : str
        ``LAYER:ID`` of a polygon or a corridor (see :func:`ecomap.query.footprint`).

    Returns
    -------
    geopandas.GeoDataFrame
        The features inside, in layer order; lines and polygons clipped, with their
        whole and clipped length (metres) or area (square metres).

    Raises
    ------
    InputError
        For an unknown layer or feature, a feature without an area, or a corridor
        without a positive ``width_m``.

    Examples
    --------
    >>> within(net, "bridges", "corridors:C07")  # doctest: +SKIP
    """
    gdf = _frame(source, layer)
    pos, clipped, measures = _within_pos(gdf, footprint(source, ref))
    return _result(gdf, pos, measures, clipped)


def nearest(source, layer: str, point: tuple[float, float], *, n: int = 1,
            input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """Find the ``n`` features of ``layer`` closest to a point, with ``distance_m`` (ties by id).

    Parameters
    ----------
    source : Network, mapping of layers or geopandas.GeoDataFrame
        Where the layer comes from.
    layer : str
        The layer's name.
    point : tuple of float
        (lon, lat) in ``input_crs``, degrees.
    n : int, default 1
        How many features (fewer if the layer has fewer).
    input_crs : str, default ``"wgs84"``
        ``wgs84``, ``gcj02`` or ``bd09``.

    Returns
    -------
    geopandas.GeoDataFrame
        At most ``n`` features with ``distance_m`` (metres), nearest first, ties by id.

    Raises
    ------
    InputError
        If ``n`` is below 1, the layer is unknown or the point is not lon/lat.
    """
    _check_count(n)
    gdf = _frame(source, layer)
    pos, d = _nearest_pos(gdf, user_point(point, input_crs=input_crs), int(n), None)
    return _result(gdf, pos, {"distance_m": d})


# --- query: every condition at once -----------------------------------------------------------
class _Selection:
    """The rows of ``gdf`` every condition so far keeps (``pos``; None = all), with measures.

    A plain class: a dataclass costs ~0.5 ms to define at import, on every ``ecomap query``.
    """

    def __init__(self, gdf: gpd.GeoDataFrame):
        self.gdf = gdf
        self.pos: np.ndarray | None = None
        self.extra: dict[str, np.ndarray] = {}
        self.clipped: np.ndarray | None = None

    def narrow(self, new_pos: np.ndarray, new_extra: Mapping[str, np.ndarray], new_geom=None) -> None:
        """Keep only the rows also in ``new_pos`` (sorted), carrying the measures along."""
        if self.pos is None:
            keep_old = None
            self.pos, keep_new = new_pos, np.arange(len(new_pos))
        else:
            self.pos, keep_old, keep_new = np.intersect1d(self.pos, new_pos, assume_unique=True,
                                                          return_indices=True)
        if keep_old is not None:
            self.extra = {k: v[keep_old] for k, v in self.extra.items()}
            self.clipped = None if self.clipped is None else self.clipped[keep_old]
        self.extra.update({k: v[keep_new] for k, v in new_extra.items()})
        if new_geom is not None:
            self.clipped = new_geom[keep_new]

    def keep_near(self, point: shapely.Point, radius_m: float) -> None:
        """Keep the rows within ``radius_m`` metres of ``point``, with ``distance_m``."""
        pos, d = _near_pos(self.gdf, point, radius_m)
        self.narrow(pos, {"distance_m": d})

    def keep_intersecting(self, area: shapely.Geometry) -> None:
        """Keep the rows that intersect ``area`` (EPSG:4547)."""
        self.narrow(_pos_intersecting(self.gdf, area), {})

    def keep_within(self, area: shapely.Geometry) -> None:
        """Keep the rows inside ``area``, clipped, with their measures."""
        pos, clipped, measures = _within_pos(self.gdf, area)
        self.narrow(pos, measures, clipped)

    def keep_where(self, w: Where) -> None:
        """Keep the rows for which the attribute filter holds (evaluated on those rows only)."""
        gdf = self.gdf
        pos = np.arange(len(gdf)) if self.pos is None else self.pos
        mask = w.mask(gdf if self.pos is None else gdf.iloc[self.pos])
        self.narrow(pos[mask], {})

    def keep_nearest(self, point: shapely.Point, n: int) -> None:
        """Keep the ``n`` rows kept so far that lie closest to ``point``, with ``distance_m``."""
        pos, d = _nearest_pos(self.gdf, point, n, self.pos)
        order = np.argsort(pos)
        self.narrow(pos[order], {"distance_m": d[order]})

    def result(self) -> gpd.GeoDataFrame:
        """Build the answer frame (see :func:`_result`)."""
        pos = np.arange(len(self.gdf)) if self.pos is None else self.pos
        return _result(self.gdf, pos, self.extra, self.clipped)


def _parsed_where(where: str | Where | None, layer: str, gdf: gpd.GeoDataFrame) -> Where | None:
    if where is None or isinstance(where, Where):
        return where
    catalogue_layer = layer if layer in CATALOGUE else None
    return parse_where(where, layer=catalogue_layer, frame=None if catalogue_layer else gdf)


def _check_companions(near, radius_m, nearest, to) -> None:
    """Check the options that need each other: ``near`` with ``radius_m``, ``nearest`` with a point."""
    if (near is None) != (radius_m is None):
        raise InputError("--near needs --radius (metres), and --radius needs --near")
    if radius_m is not None:
        _check_radius(radius_m)
    if nearest is not None:
        _check_count(nearest)
        if to is None and near is None:
            raise InputError("--nearest needs --to LON,LAT (or --near)")
        if to is not None and near is not None and tuple(map(float, to)) != tuple(map(float, near)):
            raise InputError("--nearest --to and --near must name the same point (or give only one)")
    elif to is not None:
        raise InputError("--to goes with --nearest N")


def query(
    source,
    layer: str,
    *,
    near: tuple[float, float] | None = None,
    radius_m: float | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    intersects: shapely.Geometry | str | None = None,
    within: str | None = None,
    nearest: int | None = None,
    to: tuple[float, float] | None = None,
    where: str | Where | None = None,
    input_crs: str = "wgs84",
) -> gpd.GeoDataFrame:
    """Ask any combination of the questions above, all of which must hold (AND).

    ``nearest`` ranks last: it picks the N closest to ``to`` (or to ``near``) among the
    features every other condition keeps. The result carries ``distance_m`` when a point
    is involved and the clipped measures of :func:`within`; it is sorted by distance when
    there is one, else in layer order.

    Parameters
    ----------
    source : Network, mapping of layers, geopandas.GeoDataFrame or str
        Where the layer comes from (the whole network when ``within`` is given). A
        ``postgresql://`` URL asks PostGIS: its GiST index picks the candidate rows
        (:func:`ecomap.store.spatial.query_database`), and the answer is the one the
        same data give from a folder.
    layer : str
        The layer's name.
    near : tuple of float, optional
        (lon, lat) in ``input_crs``; needs ``radius_m``.
    radius_m : float, optional
        Search radius around ``near``, metres (>= 0).
    bbox : tuple of 4 float, optional
        ``(minlon, minlat, maxlon, maxlat)`` in ``input_crs``.
    intersects : shapely.Geometry or str, optional
        A lon/lat geometry, WKT or GeoJSON file path.
    within : str, optional
        ``LAYER:ID`` of the footprint to lie in.
    nearest : int, optional
        Keep the N closest to ``to`` (or ``near``), after every other condition.
    to : tuple of float, optional
        (lon, lat) for ``nearest``; must equal ``near`` if both are given.
    where : str or Where, optional
        An attribute filter (see :func:`ecomap.query.parse_where`).
    input_crs : str, default ``"wgs84"``
        ``wgs84``, ``gcj02`` or ``bd09`` for every coordinate above.

    Returns
    -------
    geopandas.GeoDataFrame
        The features every condition keeps, with ``distance_m`` (metres) and the clipped
        measures where they apply.

    Raises
    ------
    InputError
        For a missing companion option (``near`` without ``radius_m``, ``nearest``
        without a point), bad coordinates, an unknown ``LAYER:ID`` or a bad ``where``.

    See Also
    --------
    near, in_bbox, intersecting, within, nearest, where : the questions one at a time.
    """
    if is_database_url(source):  # PostGIS: the GiST index picks the rows, this function answers
        from ..store.spatial import Shapes, query_database

        conditions = {"near": near, "radius_m": radius_m, "bbox": bbox, "intersects": intersects,
                      "within": within, "nearest": nearest, "to": to, "where": where, "input_crs": input_crs}
        shapes = Shapes(query, lambda p, c: user_point(p, input_crs=c), _user_box, _user_shape, footprint)
        return query_database(source, layer, conditions, shapes)
    gdf = _frame(source, layer)
    w = _parsed_where(where, layer, gdf)
    _check_companions(near, radius_m, nearest, to)
    sel = _Selection(gdf)
    point = None if near is None else user_point(near, input_crs=input_crs)
    if point is not None:
        sel.keep_near(point, float(radius_m))
    if bbox is not None:
        sel.keep_intersecting(_user_box(bbox, input_crs))
    if intersects is not None:
        sel.keep_intersecting(_user_shape(intersects, input_crs))
    if within is not None:
        sel.keep_within(footprint(source, within))
    if w is not None:
        sel.keep_where(w)
    if nearest is not None:
        sel.keep_nearest(user_point(to, input_crs=input_crs) if to is not None else point, int(nearest))
    return sel.result()
