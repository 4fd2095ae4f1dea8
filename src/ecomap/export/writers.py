"""One writer per format, each through ecomap's crash-safe write; Shapefile field names."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from .._errors import InputError
from ..io import atomic_file_set, atomic_write
from ..layers import CATALOGUE
from ..spreadsheet import neutralise_frame
from .formats import Format, _description
from .kml import write_kml

log = logging.getLogger("ecomap.export")


#: Column width limit of a Shapefile's dBASE table.
SHAPEFILE_FIELD_LENGTH = 10


#: Longest text (bytes) a Shapefile's dBASE table holds.
SHAPEFILE_TEXT_BYTES = 254


# --- the Shapefile rename table ------------------------------------------------------------
def shapefile_fields(columns: Iterable[str]) -> dict[str, str]:
    """Column -> Shapefile field name: at most 10 characters, unique (case-insensitively).

    A name that fits is kept; a longer one is cut to 10 characters, and a cut that
    collides gets a numbered tail (``permeabil1``).

    Lengths are counted in UTF-8 bytes (:data:`SHAPEFILE_FIELD_LENGTH`), so a Chinese
    name keeps at most three characters. Names that fit are placed first, so a long
    name never takes a short one's field name.

    Parameters
    ----------
    columns : iterable of str
        The column names (not the geometry), in order.

    Returns
    -------
    dict of str to str
        Column -> field name, in the order of ``columns``; the ``.fields.csv`` table
        that :func:`export_layers` writes beside a Shapefile records it.

    References
    ----------
    .. [1] ESRI, *ESRI Shapefile Technical Description*, an ESRI White Paper (July
       1998): attributes in a dBASE table, whose field names hold at most 10
       characters and text fields at most 254 bytes.
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    cols = list(columns)
    for c in cols:  # names that fit keep their place first
        if len(c.encode("utf-8")) <= SHAPEFILE_FIELD_LENGTH and c.lower() not in taken:
            mapping[c] = c
            taken.add(c.lower())
    for c in cols:
        if c in mapping:
            continue
        base = c.encode("utf-8")[:SHAPEFILE_FIELD_LENGTH].decode("utf-8", "ignore")
        candidate, k = base, 1
        while candidate.lower() in taken:
            tail = str(k)
            candidate = base[: SHAPEFILE_FIELD_LENGTH - len(tail)] + tail
            k += 1
        mapping[c] = candidate
        taken.add(candidate.lower())
    return {c: mapping[c] for c in cols}


# --- writers -------------------------------------------------------------------------------
def _file_name(name: str, fmt: Format, label: str) -> str:
    return f"{name}{'_gcj02' if label == 'GCJ-02' else ''}{fmt.suffix}"


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    label = frame.attrs["coordinates"]
    geographic = label in {"WGS-84", "GCJ-02"}
    members = {"ecomap:layer": name, "ecomap:coordinates": label}
    opts = {
        "RFC7946": "YES" if geographic else "NO",
        "COORDINATE_PRECISION": str(frame.attrs["precision"]),
        "WRITE_NAME": "YES",
        "DESCRIPTION": _description(name, label),
        "FOREIGN_MEMBERS_COLLECTION": json.dumps(members, ensure_ascii=False),
    }
    with atomic_write(path) as tmp:
        pyogrio.write_dataframe(frame, tmp, driver="GeoJSON", layer=name, layer_options=opts)
    return [path]


def _write_fgb(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    label = frame.attrs["coordinates"]
    spec = CATALOGUE.get(name)
    opts = {"SPATIAL_INDEX": "YES", "TITLE": spec.title_en if spec else name,
            "DESCRIPTION": _description(name, label)}
    with atomic_write(path) as tmp:
        pyogrio.write_dataframe(frame, tmp, driver="FlatGeobuf", layer=name, layer_options=opts)
    return [path]


def _write_parquet(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    import pyarrow.parquet as pq

    meta = {"layer": name, "coordinates": frame.attrs["coordinates"],
            "description": _description(name, frame.attrs["coordinates"])}
    with atomic_write(path) as tmp:
        frame.to_parquet(tmp, index=False, write_covering_bbox=True)
        table = pq.read_table(tmp)
        md = dict(table.schema.metadata or {})
        md[b"ecomap"] = json.dumps(meta, ensure_ascii=False).encode("utf-8")
        pq.write_table(table.replace_schema_metadata(md), tmp, compression="snappy")
    return [path]


def _write_csv(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    label = frame.attrs["coordinates"]
    types = set(frame.geom_type.dropna())
    if not types <= {"Point"}:
        raise InputError(f"{name}: CSV holds points only (lon/lat columns); this layer has "
                         f"{', '.join(sorted(types))}: use geojson, gpkg or another format")
    x, y = shapely.get_x(frame.geometry.values), shapely.get_y(frame.geometry.values)
    xname, yname = ("lon", "lat") if label in {"WGS-84", "GCJ-02"} else ("x", "y")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    pos = 1 if "id" in table.columns else 0
    table.insert(pos, xname, np.round(x, frame.attrs["precision"]))
    table.insert(pos + 1, yname, np.round(y, frame.attrs["precision"]))
    if label not in {"WGS-84"}:
        table.insert(pos + 2, "coordinates", label)
    with atomic_write(path) as tmp:
        neutralise_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig")
    return [path]


def _write_shp(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    fields = shapefile_fields([c for c in frame.columns if c != frame.geometry.name])
    frame = frame.copy()
    cut = {}
    for c in fields:  # dBASE text holds 254 bytes: cut explicitly and say so in the table
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c]):
            texts = frame[c].astype(object).map(lambda v: v if not isinstance(v, str) else
                                 v.encode("utf-8")[:SHAPEFILE_TEXT_BYTES].decode("utf-8", "ignore"))
            cut[c] = int((texts.fillna("") != frame[c].astype(object).fillna("")).sum())
            frame[c] = texts
        else:
            cut[c] = 0
    if any(cut.values()):
        log.warning("%s: %d text value(s) longer than %d bytes were cut (see %s.fields.csv)",
                    name, sum(cut.values()), SHAPEFILE_TEXT_BYTES, path.stem)
    out = frame.rename(columns=fields)
    rename = pd.DataFrame({"column": list(fields), "shapefile_field": list(fields.values()),
                           "values_cut_to_254_bytes": [cut[c] for c in fields]})
    table_path = Path(f"{path.with_suffix('')}.fields.csv")
    with atomic_file_set(path) as tmp:  # every part in one private folder, then swapped in as one set
        pyogrio.write_dataframe(out, tmp, driver="ESRI Shapefile", encoding="UTF-8")
        neutralise_frame(rename).to_csv(tmp.parent / table_path.name, index=False)
        parts = sorted(q.name for q in tmp.parent.iterdir())
    return [path.parent / n for n in sorted(parts, key=lambda n: (n == path.name, n))]


_WRITERS = {"geojson": _write_geojson, "fgb": _write_fgb, "parquet": _write_parquet,
            "shp": _write_shp, "csv": _write_csv,
            "kml": lambda frame, path, name: write_kml(frame, path, name),
            "kmz": lambda frame, path, name: write_kml(frame, path, name, kmz=True)}
