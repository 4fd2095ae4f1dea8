"""What a build read from PostGIS: an MD5 per table of its rows in load order, one snapshot."""

from __future__ import annotations

import os

from ..layers import LAYER_NAMES
from ._conn import database, transaction
from ._url import Database
from .tables import _require_schema

__all__ = ["table_digests"]


def table_digests(source: str | os.PathLike | Database) -> dict[str, str]:
    """MD5 of each non-empty layer table's rows, in load order, all in one read-only snapshot.

    Each row is PostgreSQL's text form of the whole row (``t::text``: every column, the
    geometry as EWKB hex), rows joined by newlines in ``fid`` order; any change to a
    value, a geometry, the order or the number of rows changes the digest.

    Parameters
    ----------
    source : str, os.PathLike or Database
        ``postgresql://user@host/db?schema=NAME``.

    Returns
    -------
    dict of str to str
        Layer name -> 32 hex digits, for the tables that have rows (the layers
        :func:`ecomap.store.read_layers` returns).

    Raises
    ------
    InputError
        If the database cannot be reached or the schema has not been initialised.
    """
    from sqlalchemy import text

    db = database(source)
    out = {}
    with transaction(db, read_only=True) as conn:
        _require_schema(conn, db)
        for name in LAYER_NAMES:
            digest = conn.execute(text(
                f"SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.fid)) FROM \"{db.schema}\".\"{name}\" t"
            )).scalar()
            if digest is not None:
                out[name] = digest
    return out
