"""Each layer file is parsed once, and a bad one is refused exactly as before.

``read_layer_file`` used to ask GDAL for the driver and CRS (``pyogrio.read_info``, a full
parse of a GeoJSON file), then read the features (a second parse). A plain
FeatureCollection is now read once, its CRS taken from the same read. These tests hold
the shortcut to what GDAL itself says (``read_info``) and to the checked path, and the
vectorised blank test of ``check_layer`` to the per-row one it replaced.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pyogrio
import pytest

from ecomap._labels import _plain_dates
from ecomap.io import (
    _parse_checked,
    _parse_once,
    _plainly_geojson,
    default_data_dir,
    read_layer_file,
)
from ecomap.layers import LAYER_NAMES, _ids, _is_missing

POINT = {"type": "Feature", "properties": {"id": "B1"}, "geometry": {"type": "Point", "coordinates": [114.35, 22.69]}}


def _fc(**extra) -> dict:
    return {"type": "FeatureCollection", **extra, "features": [POINT]}


DOCUMENTS = {
    "plain": json.dumps(_fc()),
    "plain, spaced and with a BOM": "\ufeff  \n" + json.dumps(_fc(), indent=2),
    "named CRS": json.dumps(_fc(crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}})),
    "wrong CRS": json.dumps(_fc(crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}})),
    "features first": json.dumps({"features": [POINT], "type": "FeatureCollection"}),
    "one feature": json.dumps(POINT),
    "sequence": json.dumps(POINT) + "\n" + json.dumps(POINT) + "\n",
    "record separators": "\x1e" + json.dumps(POINT) + "\n\x1e" + json.dumps(POINT) + "\n",
    "TopoJSON": json.dumps({"type": "Topology", "objects": {"a": {"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [114.35, 22.69], "properties": {"id": "B1"}}]}}, "arcs": []}),
    "ESRI JSON": json.dumps({"geometryType": "esriGeometryPoint", "spatialReference": {"wkid": 4326},
                             "fields": [{"name": "id", "type": "esriFieldTypeString"}],
                             "features": [{"attributes": {"id": "B1"}, "geometry": {"x": 114.35, "y": 22.69}}]}),
    "JSON-FG": json.dumps(_fc(conformsTo=["http://www.opengis.net/spec/json-fg-1/0.2/conf/core"],
                              coordRefSys="http://www.opengis.net/def/crs/EPSG/0/4326")),
    "CSV": "id,lon,lat\nB1,114.35,22.69\n",
    "truncated": json.dumps(_fc())[:40],
    "not JSON": "{ this is not json",
    "empty": "",
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_the_shortcut_is_taken_only_for_what_gdal_reads_as_geojson(name):
    data = DOCUMENTS[name].encode("utf-8")
    if _plainly_geojson(data) and _parse_once(data) is not None:  # else the checked path runs
        assert pyogrio.read_info(data)["driver"] == "GeoJSON"
    assert _plainly_geojson(data) == name.startswith(("plain", "named CRS", "wrong CRS", "truncated"))
    assert (_parse_once(data) is None) == (name == "truncated") or not _plainly_geojson(data)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_each_document_is_refused_or_read_as_by_the_checked_path(tmp_path, name):
    path = tmp_path / "bridges.geojson"
    path.write_bytes(DOCUMENTS[name].encode("utf-8"))
    got, problems = read_layer_file(path, "bridges")
    want = _parse_checked(path.read_bytes(), str(path))
    if got is None:
        assert len(problems) == 1
        if name == "empty":  # said before GDAL is asked
            assert problems[0].rule == "empty file (0 bytes): a layer is a GeoJSON FeatureCollection"
        elif not isinstance(want, tuple):  # a file-level problem: the same words (GDAL's temporary name aside)
            assert _vsimem(problems[0]) == _vsimem(want)
        else:  # refused on its CRS, by the same rule
            assert problems[0].rule.startswith(("wrong CRS", "missing CRS"))
            assert str(want[0]["crs"]) in problems[0].rule
    else:
        assert isinstance(want, tuple)
        assert list(got["id"]) == [str(v) for v in want[2][0]]


def _vsimem(problem) -> str:
    return re.sub(r"/vsimem/\w+", "/vsimem/*", str(problem))


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_bundled_layers_read_once_equal_the_checked_read(name):
    data = (default_data_dir() / f"{name}.geojson").read_bytes()
    assert _plainly_geojson(data)
    meta, wkb, fields = _parse_once(data)
    meta2, wkb2, fields2 = _parse_checked(data, name)
    assert meta["crs"] == meta2["crs"] == pyogrio.read_info(data)["crs"]
    assert list(meta["fields"]) == list(meta2["fields"])
    assert [bytes(w) for w in wkb] == [bytes(w) for w in wkb2]
    for a, b in zip(fields, fields2, strict=True):
        assert pd.Series(a).equals(pd.Series(b))


def _blank_per_row(series: pd.Series) -> np.ndarray:
    """The per-row rule ``check_layer`` used before."""
    s = series.astype("object")
    return (s.isna() | (s.astype(str).str.strip() == "")).to_numpy()


@pytest.mark.parametrize("values", [
    ["a", "", " ", "\t\n", None, "\u3000", "\x1c", " b ", "nan"],
    [None, None, None],
    [1.0, np.nan, 0.0],
    [1, 2, 3],
    pd.to_datetime(["2024-01-01", None]),
    [True, False],
    [["x"], [], "", 3, None],
])
def test_blank_values_found_column_wide_as_row_by_row(values):
    for series in (pd.Series(values), pd.Series(values, dtype=object)):
        assert _is_missing(series).tolist() == _blank_per_row(series).tolist()
    if all(v is None or isinstance(v, str) for v in values):
        s = pd.Series(values, dtype="string")
        assert _is_missing(s).tolist() == _blank_per_row(s).tolist()


def _labels_per_row(gdf) -> list[str]:
    """The per-row labels ``check_layer`` used before."""
    vals = gdf["id"].tolist() if "id" in gdf.columns else [None] * len(gdf)
    return [str(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v) != ""
            else f"#{i + 1}" for i, v in enumerate(vals)]


@pytest.mark.parametrize("ids", [["B1", "B2"], ["B1", None], ["B1", ""], ["B1", " "], [1.0, np.nan], [None, None], []])
def test_labels_found_column_wide_as_row_by_row(ids):
    for frame in (pd.DataFrame({"id": ids}), pd.DataFrame({"id": pd.Series(ids, dtype=object)}),
                  pd.DataFrame({"x": range(len(ids))})):
        assert _ids(frame) == _labels_per_row(frame)
    if all(v is None or isinstance(v, str) for v in ids):
        frame = pd.DataFrame({"id": pd.Series(ids, dtype="string")})
        assert _ids(frame) == _labels_per_row(frame)


@pytest.mark.parametrize("values", [
    ["2024-01-01", None, "1999-12-31"],
    ["2024-01-01 12:00", "2024-01-02"],
    ["1500-01-01", "2024-01-02"],
    [None, None],
])
def test_dates_passed_whole_only_where_each_would_pass(values):
    import geopandas as gpd
    import shapely

    from ecomap.layers import check_layer, spec

    col = next(c.name for c in spec("bridges").columns if c.dtype == "date")
    for unit in ("s", "ms"):
        dates = pd.Series(pd.to_datetime(values, format="ISO8601")).astype(f"datetime64[{unit}]")
        gdf = gpd.GeoDataFrame({"id": [f"B{i}" for i in range(len(values))], col: dates},
                               geometry=[shapely.Point(114.35, 22.69)] * len(values), crs="EPSG:4326")
        per_row = [p for p in check_layer(gdf, "bridges", file="f") if p.rule.startswith(f"{col} ")]
        if _plain_dates(dates):
            assert per_row == []
        text = dates.astype(str).str.strip()
        fails = ~text.str.match(r"^\d{4}-\d{2}-\d{2}$") & dates.notna()
        assert len(per_row) == int(fails.sum())


def test_blank_values_in_long_text_columns_as_row_by_row():
    rng = np.random.default_rng(5)
    pool = ["a", "", " ", "\t\n", None, "\u3000", "\x1c", " b ", "\u3000x", "nan", "\u00a0", "\u2028"]
    values = [pool[i] for i in rng.integers(0, len(pool), 5000)]
    for dtype in ("str", "string[pyarrow]", object):
        series = pd.Series(values, dtype=dtype)
        assert _is_missing(series).tolist() == _blank_per_row(series).tolist()
    clean = pd.Series([f"B{i}" for i in range(3000)], dtype="str")
    assert not _is_missing(clean).any()
