"""What a build read from PostGIS: an MD5 per table of its rows in load order, one snapshot."""

from __future__ import annotations

import os

from ..layers import LAYER_NAMES
from ._conn import database, transaction
from ._url import Database
from .tables import _require_schema, rows_md5

__all__ = ["table_digests"]


def table_digests(source: str | os.PathLike | Database) -> dict[str, str]:
    """MD5 of each non-empty layer table's rows, in load order, all in one read-only snapshot.

    Each digest is :func:`ecomap.store.tables.rows_md5`; :func:`ecomap.store.read_layers`
    gives the same digest of the rows it read, in its own snapshot.

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
    db = database(source)
    out = {}
    with transaction(db, read_only=True) as conn:
        _require_schema(conn, db)
        for name in LAYER_NAMES:
            digest = rows_md5(conn, db, name)
            if digest is not None:
                out[name] = digest
    return out
