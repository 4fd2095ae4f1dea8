"""Atomic writes, GeoJSON output per RFC 7946."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from ecomap import crs
from ecomap.io import atomic_write, write_geojson, write_text


def test_atomic_write_replaces_on_success(tmp_path):
    p = tmp_path / "out.txt"
    p.write_text("old")
    write_text(p, "new")
    assert p.read_text() == "new"
    assert [f.name for f in tmp_path.iterdir()] == ["out.txt"]


def test_failure_mid_write_leaves_old_file_intact(tmp_path):
    p = tmp_path / "out.geojson"
    p.write_text("precious")
    with pytest.raises(RuntimeError), atomic_write(p) as tmp:
        tmp.write_text("half a fi")
        raise RuntimeError("disk full")
    assert p.read_text() == "precious"
    assert [f.name for f in tmp_path.iterdir()] == ["out.geojson"]


def test_failure_in_geojson_writer_leaves_old_file(tmp_path, monkeypatch):
    p = tmp_path / "layer.geojson"
    p.write_text("precious")
    gdf = gpd.GeoDataFrame({"id": ["a"]}, geometry=[shapely.Point(114.35, 22.69)], crs=crs.WGS84).set_index("id")

    import ecomap.io as io_mod

    def boom(*a, **k):
        raise OSError("simulated crash while renaming")

    monkeypatch.setattr(io_mod.os, "replace", boom)
    from ecomap.io import WriteError

    with pytest.raises(WriteError, match="layer.geojson: not written .simulated"):
        write_geojson(gdf, p)
    assert p.read_text() == "precious"
    assert [f.name for f in tmp_path.iterdir()] == ["layer.geojson"]


def test_write_geojson_is_rfc7946(tmp_path):
    # a clockwise exterior ring in metres; RFC 7946 wants counter-clockwise, lon/lat, 7 decimals
    ring = [(535000, 2510000), (535000, 2511000), (536000, 2511000), (536000, 2510000), (535000, 2510000)]
    gdf = gpd.GeoDataFrame({"id": ["p1"], "v": [1.5]}, geometry=[shapely.Polygon(ring)], crs=crs.INTERNAL)
    gdf = gdf.set_index("id")
    p = write_geojson(gdf, tmp_path / "x.geojson")
    doc = json.loads(p.read_text())
    assert "crs" not in doc
    f = doc["features"][0]
    assert f["properties"] == {"id": "p1", "v": 1.5}
    coords = f["geometry"]["coordinates"][0]
    assert 114 < coords[0][0] < 115 and 22 < coords[0][1] < 23
    assert shapely.Polygon(coords).exterior.is_ccw
    assert all(len(repr(c).split(".")[1]) <= 7 for xy in coords for c in xy)


def test_write_json_is_strict_json_with_null_for_non_finite(tmp_path):
    import json

    import numpy as np

    from ecomap.io import write_json

    obj = {"a": float("nan"), "b": [float("inf"), -np.inf, np.float64("nan"), np.float32("nan")],
           "c": {"d": (1.5, np.float64(2.5))}, "e": 3}
    path = write_json(tmp_path / "x.json", obj)

    def refuse(token):
        raise AssertionError(f"non-standard JSON constant {token}")

    back = json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
    assert back == {"a": None, "b": [None, None, None, None], "c": {"d": [1.5, 2.5]}, "e": 3}
