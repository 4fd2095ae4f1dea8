"""The register on PostGIS: a survey's sites added in one transaction, imports serialised.

The last steps of :func:`ecomap.bridges.import_sites` when ``data_dir`` is a
``postgresql://`` URL. In one transaction, under a transaction-level advisory lock that
every ecomap import into the same schema takes (so concurrent imports run one after
another and each sees what the ones before it committed):

1. the committed register sites that could be duplicates are read: those with an id the
   survey gives, and those within reach of a survey row (``ST_DWithin`` per row, on the
   GiST index); the exact rule (:data:`DUPLICATE_DISTANCE_M` in EPSG:4547 metres) is
   the folder's (:func:`._duplicates._find_duplicates`);
2. rows without an id are numbered after the register's id sequence
   (:data:`ecomap.store.REGISTER_SEQUENCE`), which is moved past the ids used;
3. the sites are inserted (the table's constraints are the catalogue's last check) and
   the rejects file is written, then the transaction commits.

Any failure rolls everything back: the register is unchanged and no lock is left.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np

from .. import crs as _crs
from .. import store
from ._duplicates import DUPLICATE_DISTANCE_M, _find_duplicates
from ._register import _new_sites, _write_rejects

#: Degrees around a survey row within which register sites are read as candidates: the
#: duplicate distance in degrees of latitude, doubled (a degree of longitude is shorter).
_CANDIDATE_DEG = 2 * DUPLICATE_DISTANCE_M / 100_000


def _lock_key(db: store.Database) -> int:
    """The advisory-lock key of a schema's register (a signed 64-bit number, stable across runs)."""
    return zlib.crc32(f"ecomap register {db.schema}".encode()) - 2**31


def _candidates(conn, db: store.Database, valid: np.ndarray, given_id: np.ndarray,
                lon: np.ndarray, lat: np.ndarray) -> gpd.GeoDataFrame:
    """Committed sites a valid row could repeat, in EPSG:4547 indexed by id."""
    from sqlalchemy import text

    vi = np.flatnonzero(valid)
    ids = sorted({str(given_id[i]) for i in vi if given_id[i]})
    near = conn.execute(text(
        f'SELECT DISTINCT b.id FROM "{db.schema}".bridges b '
        "JOIN unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) AS p(x, y) "
        "ON ST_DWithin(b.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326), :deg)"),
        {"lon": [float(v) for v in lon[vi]], "lat": [float(v) for v in lat[vi]], "deg": _CANDIDATE_DEG},
    ).scalars().all()
    wanted = sorted(set(ids) | set(near))
    rows = store.read_table(conn, db, "bridges", where="id = ANY(:ids)", params={"ids": wanted})
    return _crs.to_internal(rows.set_index("id"))


def _sequence_top(conn, db: store.Database) -> int:
    from sqlalchemy import text

    last, called = conn.execute(text(
        f'SELECT last_value, is_called FROM "{db.schema}".{store.REGISTER_SEQUENCE}')).one()
    return int(last) if called else 0


def _number(site_id: str) -> int:
    m = re.fullmatch(r"B(\d+)", site_id)
    return int(m.group(1)) if m else 0


def _taken_by_others(conn, db: store.Database, ids: list[str]) -> bool:
    from sqlalchemy import text

    return bool(ids) and conn.execute(text(
        f'SELECT count(*) FROM "{db.schema}".bridges WHERE id = ANY(:ids)'), {"ids": ids}).scalar_one() > 0


def import_into_database(url: str, path: Path, survey, checked, report: Callable, dry_run: bool):
    """Find duplicates against the committed register, number, insert and report, in one transaction.

    Parameters
    ----------
    url : str
        ``postgresql://...?schema=NAME``, initialised by ``ecomap db init``.
    path : pathlib.Path
        The survey file.
    survey : ecomap.bridges._read._Survey
        The survey as read.
    checked : ecomap.bridges.survey._Checked
        The rows after the checks that need no register.
    report : callable
        ``report(path, register, survey, checked, dup, added, dry_run)`` -> ImportReport.
    dry_run : bool
        Read under the lock but write nothing.

    Returns
    -------
    ImportReport
        What was (or would be) added; ``register`` is the table, ``schema.bridges``.
    """
    db = store.database(url)
    valid = checked.rows.valid()
    c = checked.coords
    with store.transaction(db) as conn:
        from sqlalchemy import text

        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_key(db)})
        existing = _candidates(conn, db, valid, checked.given_id, c.lon, c.lat)
        dup = _find_duplicates(valid, checked.given_id, c.x, c.y, survey.lines, existing)
        add = np.flatnonzero(valid & np.array([d is None for d in dup], dtype=bool))
        taken = set(map(str, existing.index))
        top = _sequence_top(conn, db)
        added = _new_sites(add, checked.given_id, checked.values, taken | {f"B{top:05d}"} if top else taken,
                           c.lon, c.lat, path)
        new = [i for i, g in zip(added["id"], checked.given_id[add], strict=True) if not g]
        if _taken_by_others(conn, db, new):  # rows put in by hand, past the sequence
            top = store.sync_register_sequence(conn, db)
            added = _new_sites(add, checked.given_id, checked.values, taken | {f"B{top:05d}"}, c.lon, c.lat, path)
        result = report(path, db.label.split("?")[0] + f" ({db.table('bridges')})", survey, checked, dup,
                        added, dry_run)
        if dry_run:
            return result
        store.insert_rows(conn, db, "bridges", added)
        used = max([top, *(_number(i) for i in added["id"])])
        if used > top:
            conn.execute(text(f"SELECT setval('\"{db.schema}\".{store.REGISTER_SEQUENCE}', :n)"), {"n": used})
        if result.rejects_file is not None:  # before the commit: a failure here adds nothing
            not_added = {i.line: i.reason for i in [*result.rejected, *result.duplicates]}
            _write_rejects(result.rejects_file, survey.raw, survey.lines, not_added)
    return result
