"""PostGIS as a data store beside the data folder: one table per layer, the catalogue's rules as constraints.

A ``--data`` value that starts ``postgresql://`` names a database and a schema
(``postgresql://user@host/db?schema=pingshan``). :func:`init_schema` creates the tables
(``schema``), :func:`write_layers` replaces their rows and :func:`read_layers` reads them
back as a folder's files read (``tables``); :func:`dump_folder` writes them as a data
folder. :func:`ecomap.network.load_network` reads a URL through :func:`read_layers`, so
every command that takes ``--data`` works on either source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

if TYPE_CHECKING:  # imported on first use (:data:`_LAZY`)
    from ._conn import database, transaction
    from ._url import DEFAULT_SCHEMA, Database, is_database_url, parse_database_url
    from .schema import REGISTER_SEQUENCE, init_schema, layer_table, metadata
    from .tables import (
        dump_folder,
        insert_rows,
        read_layers,
        read_table,
        sync_register_sequence,
        write_layers,
    )

#: Public name -> the submodule that defines it, imported on first access: telling a URL
#: from a folder (``is_database_url``, on every ``ecomap query``) needs ``_url`` only.
_LAZY = {
    **dict.fromkeys(("database", "transaction"), "_conn"),
    **dict.fromkeys(("DEFAULT_SCHEMA", "Database", "is_database_url", "parse_database_url"), "_url"),
    **dict.fromkeys(("REGISTER_SEQUENCE", "init_schema", "layer_table", "metadata"), "schema"),
    **dict.fromkeys(("dump_folder", "insert_rows", "read_layers", "read_table", "sync_register_sequence",
                     "write_layers"), "tables"),
}

__all__ = [
    "DEFAULT_SCHEMA",
    "REGISTER_SEQUENCE",
    "Database",
    "is_database_url",
    "parse_database_url",
    "init_schema",
    "layer_table",
    "metadata",
    "database",
    "transaction",
    "read_table",
    "read_layers",
    "insert_rows",
    "write_layers",
    "sync_register_sequence",
    "dump_folder",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
