"""Spatial questions asked of PostGIS: the GiST index picks the rows, the folder's code answers.

:func:`query_database` answers :func:`ecomap.query.query` for a ``postgresql://`` source
without reading whole tables. Every spatial condition becomes an index condition on the
layer's ``geom`` (SRID 4326): ``near`` an ``ST_DWithin`` around the point, ``bbox`` and
``intersects`` an ``ST_Intersects`` with the area, ``within`` an ``ST_Intersects`` with the
feature's footprint, ``nearest`` a KNN scan (``ORDER BY geom <-> point``). Each is a
little wider than the question (degrees are not metres; EPSG:4547 edges are not lon/lat
edges), so the rows it returns hold every answer; the in-memory code of
:mod:`ecomap.query` then decides on those rows alone, in metres, so both sources give the
same answer to the last digit. Rows come in load order (``fid``), the order a folder's
file has.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from .. import crs as _crs
from ..layers import CATALOGUE, LAYER_NAMES, coerce_columns
from ._conn import database, transaction
from ._url import Database
from .tables import _require_schema, read_table

__all__ = ["query_database", "internal_frame", "read_internal"]

#: Added to every search area, metres (a straight EPSG:4547 edge vs a straight lon/lat edge).
MARGIN_M = 2.0
#: Metres in a degree of latitude, the smallest a degree is anywhere (a lower bound).
_M_PER_DEG = 110_574.0


def internal_frame(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Turn rows as :func:`~ecomap.store.read_table` returns them into a Network layer.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        WGS-84 rows, ``id`` a column.
    name : str
        The layer.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4547, indexed by ``id`` (text), catalogue columns coerced, as
        :func:`ecomap.network.load_network` makes it.
    """
    out = coerce_columns(gdf, name)
    out["id"] = out["id"].astype(str)
    return _crs.to_internal(out.set_index("id"))


def read_internal(conn, db: Database, name: str, where: str = "", params: Mapping | None = None):
    """Read rows of one table (an SQL condition) as a Network layer (:func:`internal_frame`).

    Parameters
    ----------
    conn : sqlalchemy.Connection
        An open connection.
    db : Database
        The database and schema.
    name : str
        The layer.
    where : str, default ""
        SQL condition with ``:name`` parameters.
    params : mapping, optional
        Its parameters.

    Returns
    -------
    geopandas.GeoDataFrame
        In load order.
    """
    return internal_frame(read_table(conn, db, name, where=where, params=params), name)


def _deg(metres: float, lat: float) -> float:
    """A distance in degrees no smaller than ``metres`` anywhere within it of latitude ``lat``."""
    reach = abs(lat) + metres / _M_PER_DEG + 0.1
    per_deg = _M_PER_DEG * min(1.0, math.cos(math.radians(min(reach, 89.0))))
    return 1.05 * (metres + MARGIN_M) / per_deg + 1e-7


def _wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    """An EPSG:4547 area widened by :data:`MARGIN_M`, in lon/lat: a few vertices, never smaller.

    Widened by 10 m more and simplified within 10 m (so it still holds the area widened by
    :data:`MARGIN_M`), then edges split every 200 m (a straight 200 m edge in EPSG:4547 and
    in lon/lat part by far less than a millimetre).
    """
    wide = shapely.segmentize(shapely.simplify(shapely.buffer(geom, MARGIN_M + 10.0), 10.0), 200.0)
    return gpd.GeoSeries([wide], crs=_crs.INTERNAL).to_crs(_crs.WGS84).iloc[0]


def _lonlat(point: shapely.Point) -> shapely.Point:
    return gpd.GeoSeries([point], crs=_crs.INTERNAL).to_crs(_crs.WGS84).iloc[0]


def _pieces(area: shapely.Geometry, cell_deg: float = 0.005, most: int = 32) -> list[shapely.Geometry]:
    """Cut a lon/lat area along a grid (cells about 500 m) into pieces whose union is the area.

    A long diagonal corridor's one bounding box covers half the district; its pieces'
    boxes cover little more than the corridor, so the GiST index returns few rows to test.
    """
    x0, y0, x1, y1 = area.bounds
    nx = max(1, min(most, math.ceil((x1 - x0) / cell_deg)))
    ny = max(1, min(most, math.ceil((y1 - y0) / cell_deg)))
    xs, ys = np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)
    xs[-1], ys[-1] = x1 + 1e-9, y1 + 1e-9  # cells overlap nothing but cover the far edges too
    xs[0], ys[0] = x0 - 1e-9, y0 - 1e-9
    boxes = shapely.box(*np.meshgrid(xs[:-1], ys[:-1]), *np.meshgrid(xs[1:], ys[1:]))
    parts = shapely.intersection(area, boxes.ravel())
    return [p for p in parts if not p.is_empty]


@dataclass
class _Filter:
    """SQL conditions on ``geom`` of ``table`` (``"schema"."layer"``) and their parameters, AND-ed."""

    table: str
    sql: list
    params: dict

    def add(self, clause: str, **params) -> None:
        n = len(self.params)
        names = {k: f"p{n + i}" for i, k in enumerate(params)}
        self.sql.append(clause.format(**{k: f":{v}" for k, v in names.items()}))
        self.params.update({names[k]: v for k, v in params.items()})

    def near(self, point: shapely.Point, radius_m: float) -> None:
        ll = _lonlat(point)
        self.add("ST_DWithin(geom, ST_GeomFromText({pt}, 4326), {deg})", pt=ll.wkt, deg=_deg(radius_m, ll.y))

    def touching(self, area: shapely.Geometry) -> None:
        """Rows that touch ``area``, found piece by piece: each piece's box is small in the index."""
        pieces = [shapely.to_wkb(p) for p in _pieces(_wgs84(area))]
        self.add(f"fid IN (SELECT t.fid FROM {self.table} t, unnest(CAST({{pieces}} AS bytea[])) AS p(wkb) "
                 "WHERE ST_Intersects(t.geom, ST_GeomFromWKB(p.wkb, 4326)))", pieces=pieces)

    def text(self) -> str:
        return " AND ".join(self.sql)


def _check_schema(conn, db: Database) -> None:
    """Every layer's table exists: one catalogue query, the full check (and its message) only if not.

    Also turns JIT compilation off for the transaction: an index scan with a costly
    filter gets planned as worth compiling, which takes longer than the scan.
    """
    from sqlalchemy import text

    conn.execute(text("SET LOCAL jit = off"))  # JIT compiling costs ~0.5 s, more than these scans
    found = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = :s AND tablename = ANY(:t)"),
                         {"s": db.schema, "t": list(LAYER_NAMES)}).scalar()
    if found != len(LAYER_NAMES):
        _require_schema(conn, db)


def _split_ref(ref: str) -> tuple[str, str] | None:
    if ":" not in ref:
        return None
    layer, fid = (s.strip() for s in ref.split(":", 1))
    return (layer, fid) if layer in CATALOGUE else None


def _referenced(conn, db: Database, ref: str) -> dict[str, gpd.GeoDataFrame]:
    """The layer ``within`` names, as much of it as the footprint needs (all of it if the id is unknown)."""
    parts = _split_ref(ref)
    if parts is None:
        return {}
    layer, fid = parts
    one = read_internal(conn, db, layer, "id = :rid", {"rid": fid})
    return {layer: one if len(one) else read_internal(conn, db, layer)}


@dataclass(frozen=True)
class Shapes:
    """How the in-memory query turns the user's input into EPSG:4547 shapes, and answers.

    Parameters
    ----------
    run : callable
        ``run(layers, layer, **conditions)``: :func:`ecomap.query.query` on a mapping.
    point : callable
        ``point(lonlat, input_crs)`` -> shapely.Point in EPSG:4547.
    box : callable
        ``box(bbox, input_crs)`` -> the densified box in EPSG:4547.
    shape : callable
        ``shape(geometry, input_crs)`` -> the geometry in EPSG:4547.
    footprint : callable
        ``footprint(layers, ref)`` -> the area of ``LAYER:ID`` in EPSG:4547.
    """

    run: Callable
    point: Callable
    box: Callable
    shape: Callable
    footprint: Callable


def _spatial_filter(db: Database, layer: str, cond: Mapping, shapes: Shapes, layers: Mapping) -> _Filter:
    """The index conditions of every spatial condition given (the user's input checked on the way)."""
    f, icrs = _Filter(f'"{db.schema}"."{layer}"', [], {}), cond.get("input_crs", "wgs84")
    if cond.get("near") is not None and cond.get("radius_m") is not None and cond["radius_m"] >= 0:
        f.near(shapes.point(cond["near"], icrs), float(cond["radius_m"]))
    if cond.get("bbox") is not None:
        f.touching(shapes.box(cond["bbox"], icrs))
    if cond.get("intersects") is not None:
        f.touching(shapes.shape(cond["intersects"], icrs))
    if cond.get("within") is not None and layers:
        f.touching(shapes.footprint(layers, cond["within"]))
    return f


def _rows(conn, db: Database, layer: str, cond: Mapping, where: str, params: Mapping) -> gpd.GeoDataFrame:
    """The rows ``where`` picks, and the feature ``within`` names when it is in this layer.

    A footprint's own feature must be there for the in-memory query to find the footprint;
    an extra row changes no answer, as the in-memory query checks every condition.
    """
    parts = _split_ref(cond["within"]) if cond.get("within") else None
    if parts is not None and parts[0] == layer and where:
        where, params = f"({where}) OR id = :ref_id", {**params, "ref_id": parts[1]}
    return read_internal(conn, db, layer, where, params)


def _nearest_bound(conn, db: Database, layer: str, cond: Mapping, shapes: Shapes, f: _Filter,
                   layers: dict) -> float | None:
    """Metres within which the ``nearest`` N lie: the N-th of N kept rows the KNN scan finds first.

    None when fewer than N rows are kept at all (then every candidate is read).
    """
    n = int(cond["nearest"])
    target = cond.get("to") if cond.get("to") is not None else cond.get("near")
    ll = _lonlat(shapes.point(target, cond.get("input_crs", "wgs84")))
    where = f.text() or "TRUE"
    k = max(4 * n, 64)
    while True:
        knn = (f"fid IN (SELECT fid FROM \"{db.schema}\".\"{layer}\" WHERE {where} "
               f"ORDER BY geom <-> ST_GeomFromText(:knn_pt, 4326) LIMIT {k})")
        rows = _rows(conn, db, layer, cond, knn, {**f.params, "knn_pt": ll.wkt})
        got = shapes.run({**layers, layer: rows}, layer, **cond)
        if len(got) >= n:
            return float(got["distance_m"].max())
        if len(rows) < k:
            return None
        k *= 4


def query_database(source, layer: str, conditions: Mapping, shapes: Shapes) -> gpd.GeoDataFrame:
    """Answer :func:`ecomap.query.query` from PostGIS, reading only the rows the GiST index picks.

    Parameters
    ----------
    source : str or Database
        ``postgresql://user@host/db?schema=NAME``.
    layer : str
        The layer asked about.
    conditions : mapping
        The keyword arguments of :func:`ecomap.query.query` (``near``, ``radius_m``,
        ``bbox``, ``intersects``, ``within``, ``nearest``, ``to``, ``where``,
        ``input_crs``).
    shapes : Shapes
        The in-memory steps (user input to shapes, and the query itself).

    Returns
    -------
    geopandas.GeoDataFrame
        What :func:`ecomap.query.query` returns for the same data loaded from a folder.

    Raises
    ------
    InputError
        As the in-memory query, and if the database cannot be read.
    """
    db = database(source)
    cond = dict(conditions)
    with transaction(db, read_only=True) as conn:
        _check_schema(conn, db)
        layers = _referenced(conn, db, cond["within"]) if cond.get("within") else {}
        f = _spatial_filter(db, layer, cond, shapes, layers)
        if cond.get("nearest") is not None and (cond.get("to") is not None or cond.get("near") is not None) \
                and int(cond["nearest"]) >= 1:
            bound = _nearest_bound(conn, db, layer, cond, shapes, f, layers)
            if bound is not None:
                target = cond.get("to") if cond.get("to") is not None else cond.get("near")
                f.near(shapes.point(target, cond.get("input_crs", "wgs84")), bound)
        rows = _rows(conn, db, layer, cond, f.text(), f.params)
    return shapes.run({**layers, layer: rows}, layer, **cond)
