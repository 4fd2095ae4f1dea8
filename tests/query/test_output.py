"""`ecomap query`: the answer as a table, JSON, GeoJSON and CSV, and bad input as one line."""

from __future__ import annotations

import json

import pytest
from conftest import boundary_feature, common, feature, run_cli, write_layer


@pytest.fixture
def query_data(tmp_path):
    folder = tmp_path / "data"
    write_layer(folder, "boundary", [boundary_feature()])
    write_layer(folder, "bridges", [
        feature({"type": "Point", "coordinates": [114.350, 22.690]}, id="B1", host="well", material="stone",
                status="built", installed="2024-03-01", **common()),
        feature({"type": "Point", "coordinates": [114.351, 22.690]}, id="B2", host="ditch", material="wood",
                status="planned", installed=None, **common()),
        feature({"type": "Point", "coordinates": [114.358, 22.698]}, id="B3", host="well", material="net",
                status="built", installed="2023-10-01", **common()),
    ])
    write_layer(folder, "corridors", [
        feature({"type": "LineString", "coordinates": [[114.345, 22.690], [114.355, 22.690]]}, id="C07",
                width_m=200, kind="green", from_id=None, to_id=None, status="existing", **common()),
    ])
    write_layer(folder, "trails", [
        feature({"type": "LineString", "coordinates": [[114.35, 22.685], [114.35, 22.695]]}, id="T1",
                kind="hiking", surface="dirt", **common()),
    ])
    return folder


def test_cli_query_table_and_formats(query_data, tmp_path, capsys):
    assert run_cli("query", "bridges", "--data", query_data, "--near", "114.350,22.690", "--radius", "150") == 0
    out = capsys.readouterr().out
    assert "B1" in out and "B2" in out and "B3" not in out and "distance_m" in out
    assert run_cli("query", "bridges", "--data", query_data, "--where", "status == 'built' and host == 'well'",
                   "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["id"] for f in data["features"]] == ["B1", "B3"] and data["count"] == 2
    assert data["features"][0]["lon"] == pytest.approx(114.35)
    dest = tmp_path / "q.geojson"
    assert run_cli("query", "trails", "--data", query_data, "--within", "corridors:C07", "--format", "geojson",
                   "--out", dest) == 0
    assert "1 trails feature(s)" in capsys.readouterr().out
    gj = json.loads(dest.read_text())
    (f,) = gj["features"]
    # 200 m wide corridor along lat 22.690: the N-S trail keeps ~200 m of its ~1107 m
    assert f["properties"]["clipped_length_m"] == pytest.approx(200, rel=0.01)
    assert f["properties"]["length_m"] == pytest.approx(1107, rel=0.01)
    assert run_cli("query", "bridges", "--data", query_data, "--nearest", "2", "--to", "114.3585,22.6985",
                   "--format", "csv") == 0
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("id,") and rows[1].startswith("B3,") and len(rows) == 3


def test_cli_query_bad_input_exits_2_with_one_line(query_data, capsys):
    cases = [
        ("--where", "__import__('os')"),
        ("--near", "22.69,114.35", "--radius", "10"),
        ("--near", "114.35,22.69"),
        ("--within", "corridors:C99"),
        ("--bbox", "114.36,22.68,114.34,22.70"),
    ]
    for args in cases:
        assert run_cli("query", "bridges", "--data", query_data, *args) == 2, args
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("ecomap: "), err
    assert run_cli("query", "nolayer", "--data", query_data) == 2
    assert "unknown layer" in capsys.readouterr().err


def test_cli_query_input_crs_bd09(query_data, capsys):
    """A point copied from Baidu Maps (BD-09) lands where ecomap.crs puts it back in WGS-84."""
    from ecomap import crs
    from ecomap.query import user_point

    blon, blat = 114.361363, 22.693626  # Baidu Maps for WGS-84 114.35, 22.69 (tests/test_crs.py)
    assert run_cli("query", "bridges", "--data", query_data, "--near", f"{blon},{blat}", "--radius", "50",
                   "--input-crs", "bd09", "--format", "json") == 0
    (f,) = json.loads(capsys.readouterr().out)["features"]
    wlon, wlat = crs.bd09_to_wgs84(blon, blat)
    assert f["id"] == "B1"
    assert f["distance_m"] == pytest.approx(user_point((wlon, wlat)).distance(user_point((114.35, 22.69))), abs=1e-3)
    # the same numbers read as WGS-84 are ~1.2 km away from every bridge
    assert run_cli("query", "bridges", "--data", query_data, "--near", f"{blon},{blat}", "--radius", "50",
                   "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["count"] == 0
