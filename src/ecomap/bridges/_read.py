"""Reading a field-survey file (CSV or GeoJSON) into a text table, as the volunteer typed it.

The first step of :func:`ecomap.bridges.import_sites`. Every value stays text here (the
checks parse it), every row keeps its line number for the messages, and the raw records
are kept so that the rows not added can be written back exactly as they were entered.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._errors import InputError
from ..spreadsheet import read_csv_strict

log = logging.getLogger(__package__)

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


def _read_survey_csv(path: Path, encoding: str | None = None) -> tuple[list[str], list[list[str]], list[int], list[str]]:
    """Header, rows, their lines and each row's problem, read strictly (:func:`read_csv_strict`).

    A malformed row (unclosed quote, NUL byte, too many fields) is kept as a row whose only
    cell is its text and whose problem is the rule, so it is rejected with its line number.
    """
    table = read_csv_strict(path, encoding=encoding)
    if table.encoding:
        log.info("%s: %s", path, table.encoding)
    merged = [(line, row, "") for line, row in zip(table.lines, table.rows, strict=True)]
    merged += [(line, _cells(text, rule), rule) for line, rule, text in table.rejected]
    merged.sort(key=lambda t: t[0])
    return table.header, [r for _, r, _ in merged], [n for n, _, _ in merged], [p for _, _, p in merged]


def _cells(text: str, rule: str) -> list[str]:
    """A rejected row's cells for the rejects file: its fields when it parses, else its text."""
    if "fields but" in rule:
        try:
            return next(csv.reader([text]))
        except (csv.Error, StopIteration):
            pass
    return [text]


def _read_geojson(path: Path) -> _Survey:
    """Read a GeoJSON FeatureCollection of Points; a feature that is not a Point is a row problem."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not readable as GeoJSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: not readable as GeoJSON: nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise InputError(f"{path}: not a GeoJSON FeatureCollection")
    feats = [f for f in doc.get("features", []) if isinstance(f, dict)]
    records = []
    for f in feats:
        raw_props = f.get("properties") or {}
        props = dict(raw_props) if isinstance(raw_props, dict) else {"_row_problem": "properties is not an object"}
        geom = f.get("geometry") or {}
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        ok = isinstance(geom, dict) and geom.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2
        props["lon"] = coords[0] if ok else ""
        props["lat"] = coords[1] if ok else ""
        if not ok and "_row_problem" not in props:
            props["_row_problem"] = f"geometry is {geom.get('type') if isinstance(geom, dict) else None}, not a Point"
        if "id" not in props and f.get("id") is not None:
            props["id"] = f.get("id")
        records.append(props)
    # no features: an empty survey, as a CSV with its header only (not a file missing columns)
    table = pd.DataFrame.from_records(records) if records else pd.DataFrame(
        columns=["lon", "lat", "host", "material", "status"])
    table = table.astype(object).where(table.notna(), "")
    table = table.map(lambda v: "" if v is None else str(v))
    stated = doc.get("ecomap:coordinates")
    if stated is not None and not isinstance(stated, str):
        raise InputError(f"{path}: \"ecomap:coordinates\" must be text (WGS-84 or GCJ-02), not {type(stated).__name__}")
    return _Survey(table, list(range(1, len(feats) + 1)), stated, {"kind": "geojson", "doc": doc, "features": feats})


def _read_csv(path: Path, encoding: str | None = None) -> _Survey:
    """Read a CSV with longitude/latitude columns (:data:`LON_HEADERS`, :data:`LAT_HEADERS`)."""
    header, rows, lines, malformed = _read_survey_csv(path, encoding)
    lowered = [h.lower() for h in header]
    lon_col = next((h for h in LON_HEADERS if h in lowered), None)
    lat_col = next((h for h in LAT_HEADERS if h in lowered), None)
    if lon_col is None or lat_col is None:
        raise InputError(f"{path} line 1: no longitude/latitude columns; name them lon,lat "
                         "(or longitude,latitude / x,y / 经度,纬度)")
    width = len(header)
    too_long = [bad or (f"{len(row)} fields but the header has {width}" if len(row) > width else "")
                for row, bad in zip(rows, malformed, strict=True)]
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


def _read_survey(path: Path, encoding: str | None = None) -> _Survey:
    """Read a survey file (CSV or GeoJSON, by its suffix) as a text table with its lines."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix in {".geojson", ".json"}:
        return _read_geojson(path)
    if suffix in {".csv", ".txt"}:
        return _read_csv(path, encoding)
    raise InputError(f"{path}: survey files are .csv or .geojson, not {suffix or 'no suffix'}")
