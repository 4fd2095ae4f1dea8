"""Layers in and out of PostGIS: read every table, replace every table, dump to a folder.

Frames cross this boundary as a data folder's files do: WGS-84 (EPSG:4326) lon/lat, ``id``
a column, then the catalogue's columns (dates as ``YYYY-MM-DD`` text), so the checks of
:mod:`ecomap.layers` and the writer :func:`ecomap.io.write_geojson` treat both sources
alike. Geometries travel as WKB, so coordinates come back bit for bit.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..io import layer_path, to_wgs84_frame, write_geojson
from ..layers import LAYER_NAMES, coerce_columns, spec
from ._conn import database, transaction
from ._url import Database
from .schema import REGISTER_SEQUENCE, metadata

__all__ = ["read_table", "read_layers", "rows_md5", "insert_rows", "write_layers",
           "sync_register_sequence", "dump_folder"]


def _tables_present(conn, db: Database) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(conn).get_table_names(schema=db.schema)) & set(LAYER_NAMES)


def _require_schema(conn, db: Database) -> None:
    missing = [n for n in LAYER_NAMES if n not in _tables_present(conn, db)]
    if len(missing) == len(LAYER_NAMES):
        raise InputError(f"{db.label}: schema {db.schema!r} has no ecomap tables; "
                         f"create them with: ecomap db init --data URL")
    if missing:
        raise InputError(f"{db.label}: schema {db.schema!r} lacks tables {', '.join(missing)}; "
                         f"run: ecomap db init --data URL")


def read_table(conn, db: Database, name: str, *, where: str = "", params: Mapping | None = None) -> gpd.GeoDataFrame:
    """Return the rows of one layer's table as a data folder's file reads: WGS-84, ``id`` a column.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        An open connection (see :func:`transaction`).
    db : Database
        The database and schema.
    name : str
        A layer of the catalogue.
    where : str, default ""
        An SQL condition on the table's columns (``geom`` included), with ``:name``
        parameters; empty reads every row.
    params : mapping, optional
        The condition's parameters.

    Returns
    -------
    geopandas.GeoDataFrame
        In load order (``fid``), EPSG:4326, ``id`` then the catalogue's columns then
        ``geometry``, with the dtypes a GeoJSON file's fields read with (dates as
        ``datetime64[s]``, numbers ``float64``, missing text None).
    """
    from sqlalchemy import text

    s = spec(name)
    cols = ", ".join(f'"{c}"' for c in ("id", *s.column_names))
    sql = f'SELECT {cols}, ST_AsBinary(geom) AS wkb FROM "{db.schema}"."{name}"'
    if where:
        sql += f" WHERE {where}"
    rows = conn.execute(text(sql + " ORDER BY fid"), dict(params or {})).all()
    names = ["id", *s.column_names]
    data = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
    frame = pd.DataFrame({n: np.asarray(v, dtype=object) for n, v in zip(names, data, strict=False)})
    geoms = shapely.from_wkb(np.asarray([bytes(b) for b in data[-1]], dtype=object)) \
        if rows else np.empty(0, dtype=object)
    for c in s.columns:  # the dtypes GDAL gives a GeoJSON file's fields (see ecomap.io.read_layer_file)
        if c.dtype == "date" and frame[c.name].notna().any():
            frame[c.name] = pd.to_datetime(frame[c.name]).astype("datetime64[s]")
        elif c.dtype in {"float", "int"}:
            frame[c.name] = pd.to_numeric(frame[c.name], errors="coerce").astype("float64")
        elif frame[c.name].dtype == object:
            frame[c.name] = frame[c.name].where(frame[c.name].notna(), None)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=_crs.WGS84), crs=_crs.WGS84)


def rows_md5(conn, db: Database, name: str) -> str | None:
    """MD5 of one layer table's rows in load order (None for no rows), in the open transaction.

    Each row is PostgreSQL's text form of the whole row (``t::text``: every column, the
    geometry as EWKB hex), rows joined by newlines in ``fid`` order; any change to a
    value, a geometry, the order or the number of rows changes the digest.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        An open connection (see :func:`transaction`).
    db : Database
        The database and schema.
    name : str
        A layer of the catalogue.

    Returns
    -------
    str or None
        32 hex digits.
    """
    from sqlalchemy import text

    return conn.execute(text(
        f"SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.fid)) FROM \"{db.schema}\".\"{name}\" t"
    )).scalar()


def read_layers(source: str | os.PathLike | Database, *, layers=None) -> dict[str, gpd.GeoDataFrame]:
    """Read the layers that have rows, all in one consistent snapshot, each with the MD5 of its rows.

    Parameters
    ----------
    source : str, os.PathLike or Database
        ``postgresql://user@host/db?schema=NAME``.
    layers : iterable of str, optional
        The tables to read (default every layer's); no other table is read.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Layer name -> its rows (as :func:`read_table` returns them), in catalogue order;
        a table without rows is left out, as a folder leaves out a file.
        ``attrs["md5_rows"]`` is :func:`rows_md5` of the table in the same snapshot
        (``REPEATABLE READ``), so it describes exactly the rows returned.

    Raises
    ------
    InputError
        If the database cannot be reached or the schema has not been initialised.
    """
    db = database(source)
    wanted = set(LAYER_NAMES if layers is None else layers)
    out = {}
    with transaction(db, read_only=True) as conn:
        _require_schema(conn, db)
        for name in LAYER_NAMES:
            if name not in wanted:
                continue
            gdf = read_table(conn, db, name)
            if len(gdf):
                gdf.attrs["md5_rows"] = rows_md5(conn, db, name)
                out[name] = gdf
    return out


def _records(gdf: gpd.GeoDataFrame, name: str) -> list[dict]:
    """The rows of a frame as parameters of an INSERT into the layer's table."""
    from geoalchemy2.elements import WKBElement

    s = spec(name)
    out = to_wgs84_frame(gdf, precision=None)
    out = coerce_columns(out, name)
    columns: dict[str, list] = {"id": [str(v) for v in out["id"].tolist()]}
    for c in s.columns:
        vals = [None if _missing(v) else v for v in out[c.name].tolist()]
        if c.dtype == "date":
            vals = [None if v is None or not str(v).strip() else _dt.date.fromisoformat(str(v)[:10]) for v in vals]
        elif c.dtype == "str":
            vals = [None if v is None else str(v) for v in vals]
        else:
            vals = [None if v is None else float(v) for v in vals]
        columns[c.name] = vals
    columns["geom"] = [WKBElement(b, srid=4326) for b in shapely.to_wkb(out.geometry.values)]
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT


def insert_rows(conn, db: Database, name: str, gdf: gpd.GeoDataFrame) -> int:
    """Insert the rows of a frame into one layer's table (in the open transaction).

    Parameters
    ----------
    conn : sqlalchemy.Connection
        An open connection inside a transaction.
    db : Database
        The database and schema.
    name : str
        A layer of the catalogue.
    gdf : geopandas.GeoDataFrame
        Rows in any CRS (WGS-84 without one), ``id`` a column or the index.

    Returns
    -------
    int
        The rows inserted.
    """
    if not len(gdf):
        return 0
    table = metadata(db.schema).tables[f"{db.schema}.{name}"]
    conn.execute(table.insert(), _records(gdf, name))
    return len(gdf)


def write_layers(source: str | os.PathLike | Database, layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, int]:
    """Replace every layer table's rows with ``layers``, in one transaction.

    A layer that ``layers`` leaves out is emptied, so afterwards the schema holds exactly
    what was given. Either every row lands or, on any broken constraint, nothing changes.

    Parameters
    ----------
    source : str, os.PathLike or Database
        ``postgresql://user@host/db?schema=NAME``, initialised (:func:`init_schema`).
    layers : mapping of str to geopandas.GeoDataFrame
        Layer name -> rows (any CRS, ``id`` a column or the index), checked beforehand
        (:func:`ecomap.network.read_layers` does).

    Returns
    -------
    dict of str to int
        Layer name -> rows written, for every layer of the catalogue.

    Raises
    ------
    InputError
        If a row breaks a constraint (naming the table and the rule), the database cannot
        be reached or the schema is not initialised.
    """
    from sqlalchemy import text

    db = database(source)
    counts = {}
    with transaction(db) as conn:
        _require_schema(conn, db)
        for name in reversed(LAYER_NAMES):
            conn.execute(text(f'DELETE FROM "{db.schema}"."{name}"'))
        for name in LAYER_NAMES:
            gdf = layers.get(name)
            counts[name] = insert_rows(conn, db, name, gdf) if gdf is not None else 0
        sync_register_sequence(conn, db)
    return counts


def sync_register_sequence(conn, db: Database) -> int:
    """Move the register's id sequence to the highest ``B`` number in use.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        An open connection inside a transaction.
    db : Database
        The database and schema.

    Returns
    -------
    int
        The highest number of an id ``B<digits>`` in the register (0 when none); the
        sequence's next value is one more.
    """
    from sqlalchemy import text

    top = conn.execute(text(
        f"SELECT coalesce(max(substring(id FROM '^B([0-9]+)$')::bigint), 0) FROM \"{db.schema}\".bridges"
    )).scalar_one()
    conn.execute(text(f'SELECT setval(\'"{db.schema}".{REGISTER_SEQUENCE}\', greatest(:n, 1), :called)'),
                 {"n": int(top), "called": bool(top)})
    return int(top)


def _dates_as_text(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Dates as ``YYYY-MM-DD`` text, as data folders hold them (GDAL would add a time)."""
    out = gdf.copy()
    for c in spec(name).columns:
        if c.dtype == "date" and pd.api.types.is_datetime64_any_dtype(out[c.name]):
            out[c.name] = [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in out[c.name]]
    return out


def dump_folder(source: str | os.PathLike | Database, out: str | os.PathLike, *,
                overwrite: bool = False) -> list[Path]:
    """Write every layer with rows as ``<out>/<layer>.geojson``, as ecomap writes data folders.

    The files are written by :func:`ecomap.io.write_geojson` (RFC 7946, 7 decimals), so a
    folder that ecomap wrote, loaded and dumped again comes back byte for byte.

    Parameters
    ----------
    source : str, os.PathLike or Database
        ``postgresql://user@host/db?schema=NAME``.
    out : str or os.PathLike
        The folder to write; created if missing.
    overwrite : bool, default False
        Write into a folder that already has layer files, replacing them and removing
        those of layers that have no rows in the database.

    Returns
    -------
    list of pathlib.Path
        The files written, in catalogue order.

    Raises
    ------
    InputError
        If ``out`` already has layer files and ``overwrite`` is False.
    """
    out = Path(out)
    existing = [layer_path(out, n) for n in LAYER_NAMES if layer_path(out, n).exists()]
    if existing and not overwrite:
        raise InputError(f"{out}: already has layer files ({existing[0].name} ...); "
                         "pass --overwrite to replace them")
    frames = read_layers(source)
    written = [write_geojson(_dates_as_text(gdf, name), layer_path(out, name)) for name, gdf in frames.items()]
    for path in existing:
        if path.stem not in frames:
            path.unlink()
    return written
