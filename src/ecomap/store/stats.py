"""Register counts asked of PostGIS: SQL groups, and only the rows a spatial rule needs.

:func:`site_groups` gives :func:`ecomap.bridges.site_stats` the group and status of every
counted site without loading the network. By ``status``, ``host`` or ``material`` the
counting is a ``GROUP BY``; by ``corridor`` the GiST index picks the sites within reach of
a corridor (``ST_DWithin`` of its centre line, a little wider than half its width) and
the register's own rule (:func:`ecomap.bridges.corridor_of`, in metres) pairs them; by
``subdistrict`` every site needs a name, so the points and the polygons are read and the
rule :func:`ecomap.bridges.subdistrict_of` names them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._conn import database, transaction
from ._url import Database
from .spatial import _check_schema, _deg, read_internal

__all__ = ["StatsRules", "site_groups", "count_rows"]


@dataclass(frozen=True)
class StatsRules:
    """The register's rules, in metres, applied to the rows SQL picks.

    Parameters
    ----------
    subdistrict_of : callable
        ``subdistrict_of(sites, subdistricts)`` -> a name per site.
    corridor_of : callable
        ``corridor_of(corridors, sites)`` -> (``id``, ``corridor``) pairs.
    """

    subdistrict_of: Callable
    corridor_of: Callable


def count_rows(source: str | os.PathLike | Database, name: str) -> int:
    """Number of rows of one layer's table.

    Parameters
    ----------
    source : str, os.PathLike or Database
        The database.
    name : str
        The layer.

    Returns
    -------
    int
    """
    from sqlalchemy import text

    db = database(source)
    with transaction(db, read_only=True) as conn:
        _check_schema(conn, db)
        return int(conn.execute(text(f'SELECT count(*) FROM "{db.schema}"."{name}"')).scalar())


def _grouped(conn, db: Database, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(group, status) of every site, rebuilt from ``GROUP BY`` counts."""
    from sqlalchemy import text

    rows = conn.execute(text(f'SELECT "{column}", status, count(*) FROM "{db.schema}".bridges '
                             f'GROUP BY 1, 2 ORDER BY 1, 2')).all()
    n = np.asarray([r[2] for r in rows], dtype=np.int64)
    key = np.repeat(np.asarray([r[0] for r in rows], dtype=object), n)
    status = np.repeat(np.asarray([r[1] for r in rows], dtype=object), n)
    return key, status


def _by_corridor(conn, db: Database, rules: StatsRules) -> tuple[np.ndarray, np.ndarray]:
    from sqlalchemy import text

    corridors = read_internal(conn, db, "corridors")
    if len(corridors) == 0:
        return _grouped_none(conn, db)
    widths = pd.to_numeric(corridors["width_m"], errors="coerce")
    lat = float(conn.execute(text(f'SELECT max(abs(ST_YMax(geom))) FROM "{db.schema}".corridors')).scalar())
    reach = _deg(float(np.nanmax(widths.to_numpy())) / 2 if widths.notna().any() else 0.0, lat)
    near = read_internal(conn, db, "bridges", f'EXISTS (SELECT 1 FROM "{db.schema}".corridors c '
                         "WHERE ST_DWithin(c.geom, bridges.geom, :reach))", {"reach": reach})
    pairs = rules.corridor_of(corridors, near)
    _, all_status = _grouped(conn, db, "status")
    paired = near.loc[pd.unique(pairs["id"]), "status"].to_numpy(dtype=object)
    none_status = _minus(all_status, paired)
    key = np.concatenate([pairs["corridor"].to_numpy(dtype=object), np.full(len(none_status), "(none)", object)])
    status = np.concatenate([near["status"].reindex(pairs["id"]).to_numpy(dtype=object), none_status])
    return key, status


def _grouped_none(conn, db: Database) -> tuple[np.ndarray, np.ndarray]:
    _, status = _grouped(conn, db, "status")
    return np.full(len(status), "(none)", dtype=object), status


def _minus(all_status: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """The statuses of ``all_status`` left once ``taken`` (a sub-multiset) is removed."""
    left = pd.Series(all_status).value_counts().sub(pd.Series(taken).value_counts(), fill_value=0)
    left = left[left > 0].astype(int)
    return np.repeat(left.index.to_numpy(dtype=object), left.to_numpy())


def site_groups(source, by: str, rules: StatsRules) -> tuple[np.ndarray, np.ndarray, int]:
    """The group and status of every counted site, and the number of sites, from PostGIS.

    Parameters
    ----------
    source : str or Database
        ``postgresql://user@host/db?schema=NAME``.
    by : str
        ``status``, ``host``, ``material``, ``subdistrict`` or ``corridor``.
    rules : StatsRules
        The register's spatial rules.

    Returns
    -------
    key : numpy.ndarray
        One group per counted (site, group) pair (a site may be in two corridors).
    status : numpy.ndarray
        The status of each pair's site.
    total : int
        The number of sites in the register.

    Raises
    ------
    InputError
        If the database cannot be read, or (by corridor) a corridor has no usable width.
    """
    from sqlalchemy import text

    db = database(source)
    with transaction(db, read_only=True) as conn:
        _check_schema(conn, db)
        total = int(conn.execute(text(f'SELECT count(*) FROM "{db.schema}".bridges')).scalar())
        if by == "corridor":
            key, status = _by_corridor(conn, db, rules) if total else (np.empty(0, object),) * 2
        elif by == "subdistrict":
            sites = read_internal(conn, db, "bridges")
            subs = read_internal(conn, db, "subdistricts")
            key = np.asarray(rules.subdistrict_of(sites, subs), dtype=object)
            status = sites["status"].to_numpy(dtype=object)
        else:
            key, status = _grouped(conn, db, by)
    return key, status, total
