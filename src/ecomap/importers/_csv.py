"""CSV of points (Excel/WPS, AMap/Baidu copies) for ``import file``: strict rows, any encoding.

The file is decoded as :func:`ecomap.spreadsheet.read_csv_strict` does (``--encoding`` or
detected) and every malformed row is refused with its line number; the longitude and
latitude columns are found by name (``lon``/``lng``/``longitude``/``x``/``经度`` and
``lat``/``latitude``/``y``/``纬度``). The points are labelled WGS-84; ``--crs gcj02`` or
``--crs bd09`` moves them.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import crs as _crs
from .._errors import DataError, InputError, Problem
from ..spreadsheet import read_csv_strict

_LON = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT = ("lat", "latitude", "y", "纬度")


def _column(header: list[str], names: tuple[str, ...], path: Path, what: str) -> int:
    low = [h.strip().lower() for h in header]
    for n in names:
        if n in low:
            return low.index(n)
    raise InputError(f"{path}: no {what} column (one of {', '.join(names)}); the columns are: {', '.join(header)}")


def _read_csv_points(path: Path, encoding: str | None) -> gpd.GeoDataFrame:
    """The rows of a CSV as WGS-84-labelled points; a malformed row or coordinate is a problem."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    table = read_csv_strict(path, encoding=encoding)
    problems = [Problem(str(path), f"line {line}", rule) for line, rule, _ in table.rejected]
    ilon = _column(table.header, _LON, path, "longitude")
    ilat = _column(table.header, _LAT, path, "latitude")
    lon = np.full(len(table.rows), np.nan)
    lat = np.full(len(table.rows), np.nan)
    for k, (row, line) in enumerate(zip(table.rows, table.lines, strict=True)):
        try:
            lon[k], lat[k] = float(row[ilon]), float(row[ilat])
        except ValueError:
            problems.append(Problem(str(path), f"line {line}", f"coordinates {row[ilon]!r}, {row[ilat]!r} are not numbers"))
            continue
        if not (np.isfinite(lon[k]) and np.isfinite(lat[k]) and abs(lon[k]) <= 180 and abs(lat[k]) <= 90):
            swapped = np.isfinite(lon[k]) and abs(lon[k]) <= 90 and np.isfinite(lat[k]) and abs(lat[k]) <= 180
            rule = "look swapped (lat, lon): longitude comes first" if swapped else "are not degrees"
            problems.append(Problem(str(path), f"line {line}", f"coordinates {row[ilon]}, {row[ilat]} {rule}"))
    if problems:
        raise DataError(problems)
    keep = [i for i in range(len(table.header)) if i not in (ilon, ilat)]
    frame = pd.DataFrame({table.header[i]: [r[i] for r in table.rows] for i in keep}, dtype=object)
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=_crs.WGS84)
    gdf.attrs["notes"] = [table.encoding] if table.encoding and "utf-8" not in table.encoding else []
    gdf.attrs["lines"] = list(table.lines)  # each row's line in the file, for the messages
    return gdf
