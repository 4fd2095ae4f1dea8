"""Field surveys into the register: read, check rows, find duplicates, commit, report.

:func:`import_sites` adds the sites of a survey file to the register all or nothing. Its
steps live in private files: ``_read`` (the file as a text table), ``_check`` (coordinates,
choices, dates, text), ``_duplicates`` (register sites and earlier rows), ``_register``
(new ids, the catalogue's check, writing the register and the rejects file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np

from .. import crs as _crs
from .._errors import InputError
from ..io import locked
from ..layers import spec
from ..network import Network, load_network
from ..store import is_database_url
from ._check import (
    REGISTER_MARGIN_M,
    _check_choices,
    _check_coordinates,
    _check_installed,
    _Coords,
    _extra_columns,
    _given_ids,
    _Reasons,
    _text_values,
)
from ._duplicates import DUPLICATE_DISTANCE_M, _find_duplicates
from ._postgis import import_into_database
from ._read import _read_survey, _Survey
from ._register import (
    _append_to_register,
    _new_sites,
    _register_path,
    _rejects_path,
    _write_rejects,
)

#: The lock file in the data folder that serialises imports into one register.
_LOCK_NAME = ".bridges.lock"

__all__ = ["DUPLICATE_DISTANCE_M", "REGISTER_MARGIN_M", "ImportReport", "RowIssue", "import_sites"]


@dataclass(frozen=True)
class RowIssue:
    """One row of a survey file that was not added: its line, why, and (for a duplicate) of what.

    Parameters
    ----------
    line : int
        The row's line in the file (1 = the CSV header or the first GeoJSON feature).
    reason : str
        Why it was not added, as printed.
    duplicate_of : str or None, default None
        For a duplicate: the register id, or ``"line N"`` of this file, it repeats.
    """

    line: int
    reason: str
    duplicate_of: str | None = None

    def __str__(self) -> str:
        """Return ``line N: reason``."""
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What :func:`import_sites` did (or, with ``dry_run``, would do).

    Parameters
    ----------
    source : pathlib.Path
        The survey file.
    register : pathlib.Path
        The register file (``<data>/bridges.geojson``).
    rows : int
        Rows read (blank lines not counted).
    added : geopandas.GeoDataFrame
        The sites added, in EPSG:4547, indexed by ``id``.
    rejected, duplicates : list of RowIssue
        Rows not added because a check failed, or because the site is already known.
    rejects_file : pathlib.Path or None
        Where the rows not added are (or, on a dry run, would be) written.
    dry_run : bool
        Whether nothing was written.
    ignored_columns : tuple of str
        Columns the register has no place for, kept in ``note`` as ``column: value``.
    """

    source: Path
    register: Path
    rows: int
    added: gpd.GeoDataFrame
    rejected: list[RowIssue] = field(default_factory=list)
    duplicates: list[RowIssue] = field(default_factory=list)
    rejects_file: Path | None = None
    dry_run: bool = False
    ignored_columns: tuple[str, ...] = ()  # kept in ``note`` as "column: value"

    def lines(self) -> list[str]:
        """Return the report as text lines, one per row not added, then a summary.

        Returns
        -------
        list of str
            The lines ``ecomap bridges import`` prints.
        """
        name = self.source.name
        out = [f"{name} line {i.line}: rejected: {i.reason}" for i in self.rejected]
        out += [f"{name} line {i.line}: duplicate: {i.reason}" for i in self.duplicates]
        if self.ignored_columns:
            out.append(f"{name}: columns the register has no place for, kept in note: {', '.join(self.ignored_columns)}")
        ids = list(self.added.index)
        span = f" ({ids[0]}..{ids[-1]})" if len(ids) > 1 else f" ({ids[0]})" if ids else ""
        verb = "would add" if self.dry_run else "added"
        out.append(f"{name}: {self.rows} rows: {verb} {len(ids)}{span}, {len(self.duplicates)} duplicate(s), "
                   f"{len(self.rejected)} rejected")
        if self.rejects_file is not None:
            out.append(f"rows not added, with line and reason: {self.rejects_file}")
        if self.dry_run:
            out.append(f"dry run: {self.register} and the rejects file were not written")
        else:
            out.append(f"register: {self.register}")
        return out


@dataclass(frozen=True)
class _Checked:
    """The rows after the checks: reasons, coordinates, parsed values, given ids, extra columns."""

    rows: _Reasons
    coords: _Coords
    values: dict[str, np.ndarray]
    given_id: np.ndarray
    extra_cols: list[str]


def _survey_datum(crs: str) -> str:
    """Return the datum the survey is read in: ``wgs84``, ``gcj02`` or ``bd09``, never guessed."""
    code = _crs.parse_crs(crs)
    if code not in {_crs.WGS84, _crs.GCJ02, _crs.BD09}:
        raise InputError(f"--crs {crs!r}: survey coordinates are wgs84, gcj02 or bd09")
    return code


def _check_stated_datum(path: Path, stated: str | None, code: str) -> None:
    """Refuse a file that states another datum than the one asked for."""
    datum = {_crs.GCJ02: "GCJ-02", _crs.BD09: "BD-09"}.get(code, "WGS-84")
    if stated is not None and stated.replace("GCJ02", "GCJ-02").replace("WGS84", "WGS-84") != datum:
        raise InputError(f"{path}: the file says its coordinates are {stated}, but the import was asked "
                         f"to read {datum}; pass --crs {'gcj02' if 'GCJ' in stated.upper() else 'wgs84'}")


def _check_rows(path: Path, survey: _Survey, network: Network, code: str, where: Path) -> _Checked:
    """Run every check on every row, in the order their reasons take precedence."""
    table = survey.table
    bspec = spec("bridges")
    rows = _Reasons(len(table))
    coords = _check_coordinates(rows, table, network.district, code, where)
    values = _check_choices(rows, table, bspec, path)
    values["installed"] = _check_installed(rows, table)
    extra_cols = _extra_columns(table, bspec)
    values.update(_text_values(table, path, extra_cols))
    return _Checked(rows, coords, values, _given_ids(table), extra_cols)


def _report(path: Path, register: Path, survey: _Survey, checked: _Checked, dup: list,
            added: gpd.GeoDataFrame, dry_run: bool) -> ImportReport:
    """Build the report: rows rejected and duplicated (with their lines), sites added, rejects file."""
    lines, reasons = survey.lines, checked.rows.reasons
    rejected = [RowIssue(lines[i], r) for i, r in enumerate(reasons) if r is not None]
    duplicates = [RowIssue(lines[i], d[1], d[0]) for i, d in enumerate(dup) if d is not None]
    report = ImportReport(
        source=path, register=register, rows=len(reasons),
        added=_crs.to_internal(added.set_index("id")),
        rejected=rejected, duplicates=duplicates, dry_run=dry_run,
        ignored_columns=tuple(checked.extra_cols),
    )
    if rejected or duplicates:
        report.rejects_file = _rejects_path(path, survey.raw["kind"])
    return report


def import_sites(
    path: str | os.PathLike,
    *,
    data_dir: str | os.PathLike | None = None,
    crs: str = "wgs84",
    dry_run: bool = False,
    network: Network | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Add the sites of a field-survey file (CSV or GeoJSON) to the register, all or nothing.

    Every row is checked: coordinates parse, are longitude/latitude in range, not swapped,
    and lie inside the district plus :data:`REGISTER_MARGIN_M`; ``host``, ``material`` and
    ``status`` are in their allowed sets (case and spaces forgiven); ``installed`` is a date
    (``YYYY-MM-DD``, ``YYYY/M/D``), not in the future; ``confidence`` (default
    ``surveyed``) is allowed. A row with the id of a register site, or within
    :data:`DUPLICATE_DISTANCE_M` of a register site or of an earlier row, is a duplicate
    and is not added. Rows without an id get new ones after the highest ``B`` number in
    the register.

    The register (``<data>/bridges.geojson``) is rewritten through a temporary file and a
    rename, with its existing features kept as they were: either every valid row is added
    or, on any failure, the file is unchanged. Imports into one data folder run one at a
    time: an exclusive ``flock`` on ``<data>/.bridges.lock`` is held from reading the
    register to renaming the new one, so concurrent imports all land and none twice.
    Rows not added are written, with their line and reason, to ``<input>.rejects.csv``
    (or ``.rejects.geojson``) beside the input, BEFORE the register: if that fails the
    register is unchanged. The register keeps its mode, and a symlinked register is
    written beside its target (the link kept). ``dry_run`` writes nothing and reports
    what would happen.

    Parameters
    ----------
    path : str or os.PathLike
        The survey file: CSV with lon/lat columns (``lon,lat``, ``longitude,latitude``,
        ``x,y``, ``经度,纬度``; any case) or a GeoJSON FeatureCollection of Points.
    data_dir : str or os.PathLike, optional
        The data folder holding the register and the district boundary (default: that of
        ``network``, else the bundled data folder), or a ``postgresql://`` URL: then the
        import is one transaction under a lock that serialises imports (``_postgis``).
    crs : {"wgs84", "gcj02", "bd09"}, default "wgs84"
        ``wgs84`` (phone GPS), ``gcj02`` (copied from AMap/Gaode, Tencent) or ``bd09``
        (copied from Baidu Maps); never guessed.
        A file that states its datum (a ``coordinates`` column, an ``ecomap:coordinates``
        member) must agree. Converted with :func:`ecomap.crs.lonlat_to_internal`.
    dry_run : bool, default False
        Write nothing; report what would be added.
    network : ecomap.network.Network, optional
        An already loaded network of ``data_dir``, used by a dry run; a real import
        reads the register again under the lock.
    encoding : str, optional
        The CSV's text encoding (``gbk``, ``big5``, ``utf-16`` ...); default detected
        (:func:`ecomap.spreadsheet.decode_text`). Rows with an unclosed quote, a NUL byte or
        too many fields are rejected with their line numbers.

    Returns
    -------
    ImportReport
        The rows added (EPSG:4547), rejected and duplicated, and the files written.

    Raises
    ------
    InputError
        If ``crs`` is not WGS-84, GCJ-02 or BD-09, the file is missing, not CSV/GeoJSON or
        states another datum, a CSV has no longitude/latitude or no ``host``, ``material``
        or ``status`` column, or the data folder has no district boundary. Rows that fail
        a check are reported, not raised.
    WriteError
        If the register or the rejects file cannot be written (an InputError; the
        register is then unchanged).
    """
    path = Path(path)
    code = _survey_datum(crs)
    url = data_dir if is_database_url(data_dir) else None  # the register on PostGIS: _postgis
    register = _register_path(data_dir if data_dir is not None else getattr(network, "data_dir", None)) \
        if url is None else Path(url)
    survey = _read_survey(path, encoding)
    _check_stated_datum(path, survey.stated, code)
    if url is not None:
        # the rows are checked against the district outline only; duplicates in the transaction
        net = network if network is not None else load_network(url, layers=("boundary",))
        checked = _check_rows(path, survey, net, code, register.parent)
        return import_into_database(url, path, survey, checked, _report, dry_run)
    if dry_run:
        net = network if network is not None else load_network(register.parent)
        return _plan(path, register, survey, net, code, dry_run=True)[0]
    # one writer at a time, from reading the register to renaming the new one
    with locked(register.parent, exclusive=True, name=_LOCK_NAME):
        report, raw_lines, added = _plan(path, register, survey, load_network(register.parent), code, dry_run=False)
        if report.rejects_file is not None:  # first, so a failure leaves the register as it was
            not_added = {i.line: i.reason for i in [*report.rejected, *report.duplicates]}
            _write_rejects(report.rejects_file, survey.raw, raw_lines, not_added)
        if len(added):
            _append_to_register(register, added)
    return report


def _plan(path: Path, register: Path, survey: _Survey, net: Network, code: str, *,
          dry_run: bool) -> tuple[ImportReport, list[int], gpd.GeoDataFrame]:
    """Check the rows against ``net`` (the register as committed): the report and the sites to add."""
    checked = _check_rows(path, survey, net, code, register.parent)
    valid = checked.rows.valid()
    existing = net.bridges
    dup = _find_duplicates(valid, checked.given_id, checked.coords.x, checked.coords.y, survey.lines, existing)
    add = np.flatnonzero(valid & np.array([d is None for d in dup], dtype=bool))
    added = _new_sites(add, checked.given_id, checked.values, set(map(str, existing.index)),
                       checked.coords.lon, checked.coords.lat, path)
    return _report(path, register, survey, checked, dup, added, dry_run), survey.lines, added
