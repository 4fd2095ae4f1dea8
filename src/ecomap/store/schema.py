"""The PostGIS schema: one table per catalogue layer, with the catalogue's rules as constraints.

Each layer ``L`` of :data:`ecomap.layers.CATALOGUE` is a table ``<schema>.L`` with

- ``fid``: an identity column that keeps the features in the order they were loaded
  (a folder's file order), so a dump writes them back in that order;
- ``id``: text, the primary key (unique, never blank);
- the catalogue's columns in its order: ``str`` as ``text``, ``float``/``int`` as
  ``double precision``, ``date`` as ``date``; ``NOT NULL`` unless the column is nullable;
  allowed values and numeric bounds as ``CHECK`` constraints; non-nullable text is never
  blank;
- ``geom``: ``geometry(Geometry, 4326)`` (WGS-84 lon/lat, as the GeoJSON files), never
  empty, of the layer's geometry types, with a GiST index.

The bridge register also has a sequence ``bridges_id_seq`` that numbers new sites.
"""

from __future__ import annotations

import os

from ..layers import CATALOGUE, LAYER_NAMES, Column, LayerSpec
from ._conn import database, transaction
from ._url import Database

__all__ = ["layer_table", "metadata", "init_schema", "REGISTER_SEQUENCE"]

#: The sequence that numbers new bridge sites (``B`` + the number, zero-padded).
REGISTER_SEQUENCE = "bridges_id_seq"


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _column(c: Column):
    from sqlalchemy import Column as SqlColumn
    from sqlalchemy import Date, Float, Text

    kind = {"str": Text, "float": Float(precision=53), "int": Float(precision=53), "date": Date}[c.dtype]
    return SqlColumn(c.name, kind, nullable=c.nullable, comment=c.description or None)


def _checks(layer: str, c: Column) -> list:
    from sqlalchemy import CheckConstraint

    col = f'"{c.name}"'
    rules = []
    if c.allowed is not None:
        rules.append((f"{col} IN ({', '.join(_quote(v) for v in c.allowed)})", "allowed"))
    if c.dtype == "str" and not c.nullable:
        rules.append((f"btrim({col}) <> ''", "not_blank"))
    if c.minimum is not None:
        rules.append((f"{col} >= {c.minimum!r}", "min"))
    if c.maximum is not None:
        rules.append((f"{col} <= {c.maximum!r}", "max"))
    if c.dtype == "int":
        rules.append((f"{col} = trunc({col})", "int"))
    return [CheckConstraint(sql, name=f"{layer}_{c.name}_{what}") for sql, what in rules]


def _geometry_check(s: LayerSpec):
    from sqlalchemy import CheckConstraint

    kinds = ", ".join(_quote(g.upper()) for g in s.geometry)
    return CheckConstraint(f"GeometryType(geom) IN ({kinds}) AND NOT ST_IsEmpty(geom)",
                           name=f"{s.name}_geom_type")


def layer_table(metadata, s: LayerSpec):
    """Add the table of one catalogue layer to ``metadata`` and return it.

    Parameters
    ----------
    metadata : sqlalchemy.MetaData
        The metadata (its ``schema`` is the tables' schema).
    s : ecomap.layers.LayerSpec
        The layer.

    Returns
    -------
    sqlalchemy.Table
        ``fid`` (identity), ``id`` (primary key), the catalogue's columns, ``geom``.
    """
    from geoalchemy2 import Geometry
    from sqlalchemy import BigInteger, CheckConstraint, Identity, Table, Text
    from sqlalchemy import Column as SqlColumn

    return Table(
        s.name, metadata,
        SqlColumn("fid", BigInteger, Identity(always=False), nullable=False, unique=True),
        SqlColumn("id", Text, primary_key=True),
        *(_column(c) for c in s.columns),
        SqlColumn("geom", Geometry("GEOMETRY", srid=4326, spatial_index=True), nullable=False),
        CheckConstraint("btrim(id) <> ''", name=f"{s.name}_id_not_blank"),
        *(chk for c in s.columns for chk in _checks(s.name, c)),
        _geometry_check(s),
        comment=f"{s.title_en} / {s.title_zh} (ecomap layer {s.name!r})",
    )


def metadata(schema: str):
    """Return the SQLAlchemy metadata of every layer's table in ``schema``.

    Parameters
    ----------
    schema : str
        The PostgreSQL schema.

    Returns
    -------
    sqlalchemy.MetaData
        One table per layer of the catalogue, in catalogue order.
    """
    from sqlalchemy import MetaData

    md = MetaData(schema=schema)
    for name in LAYER_NAMES:
        layer_table(md, CATALOGUE[name])
    return md


def init_schema(source: str | os.PathLike | Database) -> list[str]:
    """Create the schema, its layer tables (with constraints and GiST indexes) and the id sequence.

    Tables that exist are left as they are (their rows kept), so running it twice is harmless.
    PostGIS is enabled in the database if it is not yet (which needs the right to create
    extensions; a district's database administrator may have to run ``CREATE EXTENSION
    postgis`` once).

    Parameters
    ----------
    source : str, os.PathLike or Database
        ``postgresql://user@host/db?schema=NAME``.

    Returns
    -------
    list of str
        The tables created (``schema.layer``); empty when all existed.
    """
    from sqlalchemy import inspect, text

    db = database(source)
    md = metadata(db.schema)
    with transaction(db) as conn:  # IF NOT EXISTS alone would still ask for the right to create
        if not conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first():
            conn.execute(text("CREATE EXTENSION postgis"))
        if not conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": db.schema}).first():
            conn.execute(text(f'CREATE SCHEMA "{db.schema}"'))
        have = set(inspect(conn).get_table_names(schema=db.schema))
        md.create_all(conn, checkfirst=True)
        conn.execute(text(f'CREATE SEQUENCE IF NOT EXISTS "{db.schema}".{REGISTER_SEQUENCE}'))
    return [db.table(n) for n in LAYER_NAMES if n not in have]
