"""Reading a field-survey file (CSV or GeoJSON) into a text table, as the volunteer typed it.

The first step of :func:`ecomap.bridges.import_sites`. Every value stays text here (the
checks parse it), every row keeps its line number for the messages, and the raw records
are kept so that the rows not added can be written back exactly as they were entered.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._errors import InputError

#: Header names (lower case) read as longitude and latitude, in order of preference.
LON_HEADERS = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_HEADERS = ("lat", "latitude", "y", "纬度")


@dataclass(frozen=True)
class _Survey:
    """A survey file read: its text table, row lines, stated datum and raw records.

    ``table`` has ``lon``, ``lat``, the attributes and ``_row_problem``; ``stated`` is the
    datum the file states (or ``None``); ``raw`` keeps the records for the rejects file.
    """

    table: pd.DataFrame
    lines: list[int]
    stated: str | None
    raw: dict


def _read_survey_csv(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):  # Excel in China often saves GB18030
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{path}: not UTF-8 or GB18030 text")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: empty file") from None
    except csv.Error as exc:
        raise InputError(f"{path} line 1: not CSV: {exc}") from None
    rows, lines = [], []
    try:
        start = reader.line_num + 1
        for row in reader:
            if any(c.strip() for c in row):
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path} line {reader.line_num}: not CSV: {exc}") from None
    return [h.strip() for h in header], rows, lines


def _read_geojson(path: Path) -> _Survey:
    """Read a GeoJSON FeatureCollection of Points; a feature that is not a Point is a row problem."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not readable as GeoJSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(f"{path}: not a GeoJSON FeatureCollection")
    feats = [f for f in doc.get("features", []) if isinstance(f, dict)]
    records = []
    for f in feats:
        props = dict(f.get("properties") or {})
        geom = f.get("geometry") or {}
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        ok = isinstance(geom, dict) and geom.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2
        props["lon"] = coords[0] if ok else ""
        props["lat"] = coords[1] if ok else ""
        if not ok:
            props["_row_problem"] = f"geometry is {geom.get('type') if isinstance(geom, dict) else None}, not a Point"
        if "id" not in props and f.get("id") is not None:
            props["id"] = f.get("id")
        records.append(props)
    table = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["lon", "lat"])
    table = table.astype(object).where(table.notna(), "")
    table = table.map(lambda v: "" if v is None else str(v))
    stated = doc.get("ecomap:coordinates")
    return _Survey(table, list(range(1, len(feats) + 1)), stated, {"kind": "geojson", "doc": doc, "features": feats})


def _read_csv(path: Path) -> _Survey:
    """Read a CSV with longitude/latitude columns (:data:`LON_HEADERS`, :data:`LAT_HEADERS`)."""
    header, rows, lines = _read_survey_csv(path)
    lowered = [h.lower() for h in header]
    lon_col = next((h for h in LON_HEADERS if h in lowered), None)
    lat_col = next((h for h in LAT_HEADERS if h in lowered), None)
    if lon_col is None or lat_col is None:
        raise InputError(f"{path} line 1: no longitude/latitude columns; name them lon,lat "
                         "(or longitude,latitude / x,y / 经度,纬度)")
    width = len(header)
    too_long = [f"{len(row)} fields but the header has {width}" if len(row) > width else "" for row in rows]
    padded = [(row + [""] * (width - len(row)))[:width] for row in rows]
    table = pd.DataFrame(padded, columns=lowered, dtype=object) if rows else pd.DataFrame(columns=lowered)
    table = table.rename(columns={lon_col: "lon", lat_col: "lat"})
    table = table.loc[:, ~table.columns.duplicated()]
    table["_row_problem"] = pd.Series(too_long, index=table.index, dtype=object)
    stated = None
    if "coordinates" in table.columns:
        vals = {v.strip().upper() for v in table["coordinates"] if v.strip()}
        stated = vals.pop() if len(vals) == 1 else None
    return _Survey(table, lines, stated, {"kind": "csv", "header": header, "rows": rows})


def _read_survey(path: Path) -> _Survey:
    """Read a survey file (CSV or GeoJSON, by its suffix) as a text table with its lines."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix in {".geojson", ".json"}:
        return _read_geojson(path)
    if suffix in {".csv", ".txt"}:
        return _read_csv(path)
    raise InputError(f"{path}: survey files are .csv or .geojson, not {suffix or 'no suffix'}")
