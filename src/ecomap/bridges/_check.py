"""Checking the rows of a survey table: coordinates, choices, dates and text.

The second step of :func:`ecomap.bridges.import_sites`. Each check rejects rows with a
reason (the first reason a row gets is the one reported) and returns the parsed values;
a problem with the whole file (no district, a missing column) raises :class:`InputError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..layers import LayerSpec

#: How far (metres) outside the district boundary a surveyed site may lie.
REGISTER_MARGIN_M = 500.0
#: A site outside the margin but nearer than this (metres) to the district gets a wrong-datum hint.
_DATUM_HINT_M = 3000.0

_DATE_FORMS = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


class _Reasons:
    """Why each of ``n`` rows is not added: the first reason given, ``None`` while it passes."""

    def __init__(self, n: int) -> None:
        self.reasons: list[str | None] = [None] * n

    def reject(self, mask: np.ndarray, message) -> None:
        """Give the rows of ``mask`` that have no reason yet ``message`` (text, or ``i -> text``)."""
        for i in np.flatnonzero(mask):
            if self.reasons[i] is None:
                self.reasons[i] = message(i) if callable(message) else message

    def valid(self) -> np.ndarray:
        """Return the rows with no reason, as a boolean mask."""
        return np.array([r is None for r in self.reasons], dtype=bool)


@dataclass(frozen=True)
class _Coords:
    """Each row's WGS-84 longitude and latitude (degrees) and EPSG:4547 x, y (metres)."""

    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray


def _normalise_choice(values: pd.Series) -> np.ndarray:
    return values.str.strip().str.lower().str.replace(" ", "_").str.replace("-", "_").to_numpy(dtype=object)


def _parse_dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ISO dates (YYYY-MM-DD) from YYYY-MM-DD, YYYY/M/D or YYYY.M.D; (values, bad, future)."""
    text = values.str.strip()
    parts = text.str.extract(_DATE_FORMS)
    iso = parts[0] + "-" + parts[1].str.zfill(2) + "-" + parts[2].str.zfill(2)
    parsed = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    empty = (text == "").to_numpy()
    bad = ~empty & parsed.isna().to_numpy()
    future = ~empty & ~bad & (parsed > pd.Timestamp.today().normalize()).to_numpy()
    out = np.where(empty | bad, None, iso.to_numpy(dtype=object))
    return out, bad, future


def _finite_or_zero(v: np.ndarray) -> np.ndarray:
    """``v`` with every value that is not a finite number as 0, so one bad row spoils no other."""
    return np.where(np.isfinite(v), v, 0.0)


def _to_wgs84(lon: np.ndarray, lat: np.ndarray, code: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the survey's longitudes and latitudes as WGS-84 degrees, the datum the register keeps."""
    if code == _crs.GCJ02:
        lon, lat = _crs.gcj02_to_wgs84(lon, lat)
    elif code == _crs.BD09:
        lon, lat = _crs.bd09_to_wgs84(lon, lat)
    return np.asarray(lon), np.asarray(lat)


def _check_coordinates(rows: _Reasons, table: pd.DataFrame, district, code: str, where: Path) -> _Coords:
    """Reject rows whose lon/lat are bad or outside the district; return every row's coordinates.

    A row is rejected when its lon/lat are missing, not numbers, out of range, swapped, or
    outside the district plus :data:`REGISTER_MARGIN_M`.
    Projected with :func:`ecomap.crs.lonlat_to_internal` (from ``code``, WGS-84 or GCJ-02).
    A row is "swapped" when it is not in the area but its (lat, lon) is.
    """
    n = len(table)
    for col in ("lon", "lat"):
        if col not in table.columns:
            table[col] = ""
    if "_row_problem" in table.columns:
        gp = table["_row_problem"].to_numpy(dtype=object)
        rows.reject(gp != "", lambda i: gp[i])
    lon_txt, lat_txt = table["lon"].str.strip(), table["lat"].str.strip()
    lon = pd.to_numeric(lon_txt, errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(lat_txt, errors="coerce").to_numpy(dtype=float)
    rows.reject(lon_txt.eq("").to_numpy() | lat_txt.eq("").to_numpy(), "missing longitude or latitude")
    rows.reject(~np.isfinite(lon), lambda i: f"longitude {lon_txt.iloc[i]!r} is not a number")
    rows.reject(~np.isfinite(lat), lambda i: f"latitude {lat_txt.iloc[i]!r} is not a number")
    with np.errstate(invalid="ignore"):
        in_range = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    if district is None or shapely.is_empty(district):
        raise InputError(f"{where}: no district boundary to check the sites against")
    area = shapely.buffer(district, REGISTER_MARGIN_M)
    shapely.prepare(area)

    lon, lat = _finite_or_zero(lon), _finite_or_zero(lat)
    x, y = _crs.lonlat_to_internal(lon, lat, source=code)
    sx, sy = _crs.lonlat_to_internal(lat, lon, source=code)  # as if the row were (lat, lon)
    ok_xy = np.isfinite(x) & np.isfinite(y) & in_range
    inside = np.zeros(n, dtype=bool)
    inside[ok_xy] = shapely.intersects_xy(area, x[ok_xy], y[ok_xy])
    swapped = np.zeros(n, dtype=bool)
    sw = np.isfinite(sx) & np.isfinite(sy) & ~inside
    swapped[sw] = shapely.intersects_xy(area, sx[sw], sy[sw])
    rows.reject(swapped, lambda i: f"coordinates look swapped: {lon_txt.iloc[i]},{lat_txt.iloc[i]} is (lat, lon); "
                                   "longitude comes first")
    rows.reject(~in_range, lambda i: f"{lon_txt.iloc[i]},{lat_txt.iloc[i]} is not a longitude/latitude in degrees")
    dist_out = np.zeros(n)
    far = ok_xy & ~inside
    if far.any():
        dist_out[far] = shapely.distance(district, shapely.points(x[far], y[far]))
    other = "wgs84" if code in (_crs.GCJ02, _crs.BD09) else "gcj02"
    rows.reject(far, lambda i: f"lies {dist_out[i] / 1000:.1f} km outside the district "
                               f"(allowed margin {REGISTER_MARGIN_M:g} m); wrong datum? (--crs {other})"
                if dist_out[i] < _DATUM_HINT_M else f"lies {dist_out[i] / 1000:.1f} km outside the district "
                                                    f"(allowed margin {REGISTER_MARGIN_M:g} m)")
    wlon, wlat = _to_wgs84(lon, lat, code)
    return _Coords(wlon, wlat, np.asarray(x), np.asarray(y))


def _check_choices(rows: _Reasons, table: pd.DataFrame, bspec: LayerSpec, path: Path) -> dict[str, np.ndarray]:
    """Return ``host``, ``material``, ``status`` and ``confidence``; reject values not allowed.

    Values are normalised (case, spaces and hyphens forgiven); ``confidence`` defaults to
    ``surveyed``.
    """
    n = len(table)
    values: dict[str, np.ndarray] = {}
    for name in ("host", "material", "status"):
        allowed = bspec.column(name).allowed
        if name not in table.columns:
            raise InputError(f"{path} line 1: missing column {name!r} (one of {', '.join(allowed)})")
        v = _normalise_choice(table[name])
        raw_v = table[name].to_numpy(dtype=object)
        rows.reject(v == "", f"{name} is missing")
        rows.reject(~np.isin(v, allowed), lambda i, nm=name, al=allowed, rv=raw_v: f"{nm} {rv[i]!r} is not one of {', '.join(al)}")
        values[name] = v
    if "confidence" in table.columns:
        conf = _normalise_choice(table["confidence"])
        conf = np.where(conf == "", "surveyed", conf)
    else:
        conf = np.full(n, "surveyed", dtype=object)
    rows.reject(~np.isin(conf, bspec.column("confidence").allowed),
                lambda i: f"confidence {conf[i]!r} is not one of {', '.join(bspec.column('confidence').allowed)}")
    values["confidence"] = conf
    return values


def _check_installed(rows: _Reasons, table: pd.DataFrame) -> np.ndarray:
    """Return ``installed`` as ISO dates (``None`` when empty); reject bad or future dates."""
    if "installed" not in table.columns:
        return np.full(len(table), None, dtype=object)
    dates, bad, future = _parse_dates(table["installed"])
    inst_raw = table["installed"].to_numpy(dtype=object)
    rows.reject(bad, lambda i: f"installed {inst_raw[i]!r} is not a date (YYYY-MM-DD)")
    rows.reject(future, lambda i: f"installed {dates[i]} is in the future")
    return dates


def _extra_columns(table: pd.DataFrame, bspec: LayerSpec) -> list[str]:
    """Return the columns the register has no place for (kept in ``note``), sorted."""
    return sorted(c for c in table.columns
                  if c not in {"lon", "lat", "id", "coordinates", "_row_problem", *bspec.column_names})


def _text_values(table: pd.DataFrame, path: Path, extra_cols: list[str]) -> dict[str, np.ndarray]:
    """Return ``note``, ``name_zh``, ``name_en`` and ``source`` of every row.

    ``note`` gets ``column: value`` of the extra columns; empty texts are ``None``;
    ``source`` defaults to ``field survey: <file name>``.
    """
    n = len(table)
    values: dict[str, np.ndarray] = {}
    for name in ("note", "name_zh", "name_en"):
        col = table[name].str.strip().to_numpy(dtype=object) if name in table.columns else np.full(n, "", dtype=object)
        if name == "note" and extra_cols:  # columns the register has no place for are kept in the note
            kept = [[f"{c}: {v.strip()}" for c, v in zip(extra_cols, row, strict=True) if str(v).strip()]
                    for row in table[extra_cols].astype(str).itertuples(index=False)]
            col = np.array(["; ".join(p for p in (str(a), *b) if p) for a, b in zip(col, kept, strict=True)],
                           dtype=object)
        values[name] = np.where(col == "", None, col)
    src = table["source"].str.strip().to_numpy(dtype=object) if "source" in table.columns else np.full(n, "", dtype=object)
    values["source"] = np.where(src == "", f"field survey: {path.name}", src)
    return values


def _given_ids(table: pd.DataFrame) -> np.ndarray:
    """Return the ``id`` each row gives (``""`` where none)."""
    if "id" in table.columns:
        return table["id"].str.strip().to_numpy(dtype=object)
    return np.full(len(table), "", dtype=object)
