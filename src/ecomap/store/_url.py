"""``postgresql://`` data sources: telling them from folders, their schema, an engine per URL."""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .._errors import InputError

#: The schema a URL without ``?schema=`` names.
DEFAULT_SCHEMA = "ecomap"

_SCHEME = re.compile(r"^postgres(?:ql)?(?:\+[a-z0-9_]+)?://", re.IGNORECASE)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def is_database_url(source: object) -> bool:
    """Whether a ``--data`` value names a PostgreSQL database rather than a folder.

    Parameters
    ----------
    source : object
        A ``--data`` value: a path, a string, or None.

    Returns
    -------
    bool
        True for a string starting ``postgresql://`` or ``postgres://`` (optionally
        with a driver, ``postgresql+psycopg://``); False for anything else.
    """
    return isinstance(source, str) and bool(_SCHEME.match(source))


@dataclass(frozen=True)
class Database:
    """A PostgreSQL data source: the connection URL (without ``schema``) and the schema.

    Parameters
    ----------
    url : str
        A libpq-style URL for SQLAlchemy's psycopg 3 dialect
        (``postgresql+psycopg://user@host:port/db?host=/socket/dir``).
    schema : str
        The schema holding one table per layer (lower case, ``[a-z_][a-z0-9_]*``).
    label : str
        The URL as given, password hidden, for messages.
    """

    url: str
    schema: str
    label: str

    def table(self, name: str) -> str:
        """Return ``schema.name``, for messages."""
        return f"{self.schema}.{name}"


def parse_database_url(source: str | os.PathLike) -> Database:
    """Split a ``--data`` URL into the connection URL and the schema.

    Parameters
    ----------
    source : str or os.PathLike
        ``postgresql://[user[:password]@][host][:port]/dbname[?schema=NAME&...]``; other
        query parameters (``host=/run/postgresql``, ``sslmode=require``) go to libpq.
        Without a user, host or password libpq's usual defaults apply (``PGUSER``,
        ``PGHOST``, ``~/.pgpass``).

    Returns
    -------
    Database
        The URL for SQLAlchemy (driver psycopg 3), the schema (default
        :data:`DEFAULT_SCHEMA`) and a label with the password hidden.

    Raises
    ------
    InputError
        If ``source`` is not a PostgreSQL URL, names no database, or its schema is not a
        plain lower-case identifier.
    """
    text = os.fspath(source)
    if not is_database_url(text):
        raise InputError(f"{text}: not a PostgreSQL URL (postgresql://user@host/db?schema=NAME)")
    parts = urlsplit(text)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not _IDENT.match(schema):
        raise InputError(f"schema {schema!r}: use a lower-case name of letters, digits and _ "
                         "(e.g. ?schema=pingshan)")
    if not parts.path.strip("/"):
        raise InputError(f"{_hide_password(text)}: the URL names no database (postgresql://host/DBNAME)")
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    scheme = parts.scheme.lower()
    if "+" not in scheme:
        scheme = "postgresql+psycopg"
    url = urlunsplit((scheme, parts.netloc, parts.path, rest, ""))
    return Database(url, schema, _hide_password(text))


def _hide_password(text: str) -> str:
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@functools.lru_cache(maxsize=8)
def engine(url: str):
    """Return the SQLAlchemy engine of a connection URL (one per URL and process).

    Parameters
    ----------
    url : str
        :attr:`Database.url`.

    Returns
    -------
    sqlalchemy.Engine
        With a connection pool that checks a connection before handing it out.
    """
    from sqlalchemy import create_engine

    return create_engine(url, pool_pre_ping=True)
