"""Connections: one transaction per call, and database errors as one-line input errors."""

from __future__ import annotations

import os
from contextlib import contextmanager

from .._errors import InputError
from ._url import Database, engine, parse_database_url

__all__ = ["database", "transaction"]


def database(source: str | os.PathLike | Database) -> Database:
    """Return the :class:`~ecomap.store.Database` a ``--data`` URL names.

    Parameters
    ----------
    source : str, os.PathLike or Database
        ``postgresql://user@host/db?schema=NAME``, or an already parsed one.

    Returns
    -------
    Database
    """
    return source if isinstance(source, Database) else parse_database_url(source)


@contextmanager
def transaction(source: str | os.PathLike | Database, *, read_only: bool = False):
    """Yield a SQLAlchemy connection inside one transaction, committed if the block ends well.

    Parameters
    ----------
    source : str, os.PathLike or Database
        The database.
    read_only : bool, default False
        A ``REPEATABLE READ READ ONLY`` transaction: every table read in the block sees
        the same snapshot.

    Yields
    ------
    sqlalchemy.Connection
        Rolled back if the block raises.

    Raises
    ------
    InputError
        If the database cannot be reached (the message names it, password hidden).
    """
    from sqlalchemy import exc as sa_exc
    from sqlalchemy import text

    db = database(source)
    try:
        conn_cm = engine(db.url).connect()
        conn = conn_cm.__enter__()
    except sa_exc.OperationalError as exc:
        raise InputError(f"{db.label}: cannot connect: {_first_line(exc.orig or exc)}") from None
    try:
        with conn.begin():
            if read_only:
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            yield conn
    except sa_exc.IntegrityError as exc:
        raise InputError(f"{db.label}: {_constraint_message(exc)}") from None
    except sa_exc.ProgrammingError as exc:
        if type(exc.orig).__name__ != "InsufficientPrivilege":
            raise
        raise InputError(f"{db.label}: {_first_line(exc.orig)} (ask the database's administrator; "
                         "see README, 'A district's own PostGIS')") from None
    finally:
        conn_cm.__exit__(None, None, None)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _constraint_message(exc) -> str:
    diag = getattr(exc.orig, "diag", None)
    if diag is None:
        return _first_line(exc.orig or exc)
    where = f"{diag.schema_name}.{diag.table_name}: " if diag.table_name else ""
    detail = diag.message_detail or ""
    detail = f" ({detail[:160]}...)" if len(detail) > 160 else f" ({detail})" if detail else ""
    return f"{where}{diag.message_primary}{detail}"
