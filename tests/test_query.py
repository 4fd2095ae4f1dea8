"""Spatial queries against brute-force shapely checks, the where grammar, and `ecomap query`."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomap import crs
from ecomap._errors import InputError
from ecomap.layers import CATALOGUE
from ecomap.network import Network
from ecomap.query import (
    footprint,
    in_bbox,
    intersecting,
    near,
    nearest,
    parse_where,
    query,
    user_geometry,
    user_point,
    where,
    within,
)
from tests.conftest import boundary_feature, common, feature, run_cli, write_layer

LON, LAT = 114.35, 22.69
X0, Y0 = crs.transform_point(LON, LAT)
HOSTS = CATALOGUE["bridges"].column("host").allowed
STATUS = CATALOGUE["bridges"].column("status").allowed


def bridges(xy, *, hosts=None, status=None, installed=None) -> gpd.GeoDataFrame:
    """A bridges layer in EPSG:4547 at the given coordinates."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "host": hosts if hosts is not None else [HOSTS[i % len(HOSTS)] for i in range(n)],
            "material": ["stone"] * n,
            "status": status if status is not None else [STATUS[i % len(STATUS)] for i in range(n)],
            "installed": installed if installed is not None else ["2024-05-01"] * n,
            "note": [None] * n, "name_zh": [None] * n, "name_en": [None] * n,
            "source": ["test"] * n, "confidence": ["synthetic"] * n,
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs.INTERNAL,
        index=pd.Index([f"B{i:04d}" for i in range(n)], name="id"),
    )


def lines_layer(geoms, name="trails") -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"kind": ["hiking"] * n, "surface": [None] * n, "name_zh": [None] * n, "name_en": [None] * n,
         "source": ["test"] * n, "confidence": ["synthetic"] * n},
        geometry=list(geoms), crs=crs.INTERNAL,
        index=pd.Index([f"T{i:03d}" for i in range(n)], name="id"),
    )


def reservoirs(geoms) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"capacity": [np.nan] * n, "name_zh": [None] * n, "name_en": [None] * n,
         "source": ["test"] * n, "confidence": ["synthetic"] * n},
        geometry=list(geoms), crs=crs.INTERNAL,
        index=pd.Index([f"R{i:02d}" for i in range(n)], name="id"),
    )


def corridors(geoms, widths) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"width_m": list(map(float, widths)), "kind": ["mountain"] * n, "from_id": [None] * n,
         "to_id": [None] * n, "status": ["existing"] * n, "name_zh": [None] * n, "name_en": [None] * n,
         "source": ["test"] * n, "confidence": ["synthetic"] * n},
        geometry=list(geoms), crs=crs.INTERNAL,
        index=pd.Index([f"C{i + 1:02d}" for i in range(n)], name="id"),
    )


# Grid offsets (metres) around the query point: integer steps make many points lie
# exactly on a radius (axis steps and 3-4-5 triangles are exact in floating point).
offsets = st.lists(st.tuples(st.integers(-40, 40), st.integers(-40, 40)), min_size=0, max_size=60)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offs=offsets, step=st.sampled_from([1.0, 5.0, 25.0]), radius=st.integers(0, 60))
def test_near_matches_brute_force_including_points_on_the_radius(offs, step, radius):
    p = user_point((LON, LAT))
    xy = np.array([(p.x + dx * step, p.y + dy * step) for dx, dy in offs]).reshape(-1, 2)
    net = Network({"bridges": bridges(xy)})
    got = near(net, "bridges", (LON, LAT), radius_m=radius * step)
    d = shapely.distance(net.bridges.geometry.values, p)
    expected = set(net.bridges.index[d <= radius * step])
    assert set(got.index) == expected
    np.testing.assert_allclose(got["distance_m"], d[net.bridges.index.get_indexer(got.index)])
    assert list(got["distance_m"]) == sorted(got["distance_m"])


def test_points_exactly_on_the_radius_are_in_and_just_beyond_are_out():
    p = user_point((LON, LAT))
    xy = [(p.x + 300, p.y), (p.x, p.y - 300), (p.x + 180, p.y + 240), (p.x + 300.001, p.y)]
    net = Network({"bridges": bridges(xy)})
    got = near(net, "bridges", (LON, LAT), radius_m=300)
    assert set(got.index) == {"B0000", "B0001", "B0002"}
    assert (got["distance_m"] == 300).all()


def test_distance_in_metres_agrees_with_the_geodesic_distance():
    rng = np.random.default_rng(7)
    lon = LON + rng.uniform(-0.05, 0.05, 200)
    lat = LAT + rng.uniform(-0.05, 0.05, 200)
    x, y = pyproj.Transformer.from_crs(crs.WGS84, crs.INTERNAL, always_xy=True).transform(lon, lat)
    net = Network({"bridges": bridges(np.column_stack([x, y]))})
    got = near(net, "bridges", (LON, LAT), radius_m=20_000)
    assert len(got) == 200
    _, _, geodesic = pyproj.Geod(ellps="WGS84").inv(np.full(200, LON), np.full(200, LAT), lon, lat)
    order = net.bridges.index.get_indexer(got.index)
    rel = np.abs(got["distance_m"].to_numpy() - geodesic[order]) / geodesic[order]
    assert rel.max() < 0.005


def test_gcj02_input_is_converted_before_measuring():
    p = user_point((LON, LAT))
    net = Network({"bridges": bridges([(p.x + 10, p.y)])})
    glon, glat = crs.wgs84_to_gcj02(LON, LAT)
    assert len(near(net, "bridges", (glon, glat), radius_m=50, input_crs="gcj02")) == 1
    # read as WGS-84, the same numbers land ~590 m away
    assert len(near(net, "bridges", (glon, glat), radius_m=50)) == 0
    assert near(net, "bridges", (glon, glat), radius_m=2000)["distance_m"].iloc[0] > 500


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offs=offsets, n=st.integers(1, 12), statuses=st.lists(st.sampled_from(STATUS), min_size=60, max_size=60))
def test_nearest_matches_brute_force_with_ties_by_id(offs, n, statuses):
    p = user_point((LON, LAT))
    xy = np.array([(p.x + dx * 10.0, p.y + dy * 10.0) for dx, dy in offs]).reshape(-1, 2)
    gdf = bridges(xy, status=statuses[: len(xy)])
    net = Network({"bridges": gdf})
    got = nearest(net, "bridges", (LON, LAT), n=n)
    d = shapely.distance(gdf.geometry.values, p)
    order = np.lexsort((np.asarray(gdf.index), d))[:n]
    assert list(got.index) == list(gdf.index[order])
    # filtered: the n nearest among the built ones
    got = query(net, "bridges", nearest=n, to=(LON, LAT), where="status == 'built'")
    built = np.flatnonzero(gdf["status"].to_numpy() == "built")
    order = built[np.lexsort((np.asarray(gdf.index)[built], d[built]))][:n]
    assert list(got.index) == list(gdf.index[order])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offs=offsets, box=st.tuples(st.integers(-40, 0), st.integers(-40, 0), st.integers(1, 40), st.integers(1, 40)))
def test_within_polygon_matches_brute_force_including_edges(offs, box):
    p = user_point((LON, LAT))
    poly = shapely.box(p.x + box[0] * 10, p.y + box[1] * 10, p.x + box[2] * 10, p.y + box[3] * 10)
    xy = np.array([(p.x + dx * 10.0, p.y + dy * 10.0) for dx, dy in offs]).reshape(-1, 2)
    net = Network({"bridges": bridges(xy), "reservoirs": reservoirs([poly])})
    got = within(net, "bridges", "reservoirs:R00")
    expected = set(net.bridges.index[shapely.covers(poly, net.bridges.geometry.values)])
    assert set(got.index) == expected
    on_edge = shapely.touches(poly, net.bridges.geometry.values)
    assert set(net.bridges.index[on_edge]) <= set(got.index)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segs=st.lists(st.tuples(*[st.integers(-30, 30)] * 4), min_size=1, max_size=25))
def test_within_clips_lines_and_reports_lengths(segs):
    p = user_point((LON, LAT))
    geoms = [shapely.LineString([(p.x + a * 10, p.y + b * 10), (p.x + c * 10, p.y + d * 10 + 1)]) for a, b, c, d in segs]
    core = shapely.box(p.x - 100, p.y - 100, p.x + 150, p.y + 120)
    net = Network({"trails": lines_layer(geoms), "reservoirs": reservoirs([core])})
    got = within(net, "trails", "reservoirs:R00")
    clipped = [g.intersection(core) for g in geoms]  # shapely, one by one
    expected = {f"T{i:03d}" for i, c in enumerate(clipped) if c.length > 0}
    assert set(got.index) == expected
    for fid, row in got.iterrows():
        i = int(fid[1:])
        assert row["clipped_length_m"] == pytest.approx(clipped[i].length, rel=1e-9)
        assert row["length_m"] == pytest.approx(geoms[i].length, rel=1e-12)
        assert row.geometry.length == pytest.approx(clipped[i].length, rel=1e-9)
        assert row["clipped_length_m"] <= row["length_m"] + 1e-9


def test_within_a_corridor_uses_its_width_as_footprint():
    p = user_point((LON, LAT))
    centre = shapely.LineString([(p.x - 1000, p.y), (p.x + 1000, p.y)])
    xy = [(p.x, p.y + 49.9), (p.x, p.y - 50.0), (p.x, p.y + 50.5), (p.x + 1049, p.y)]
    net = Network({"bridges": bridges(xy), "corridors": corridors([centre], [100])})
    got = within(net, "bridges", "corridors:C01")
    # the one footprint rule (ecomap.network.corridor_footprints) buffers with shapely's
    # vectorized default, 8 segments per quarter circle (the method .buffer defaults to 16)
    area = centre.buffer(50, quad_segs=8)
    assert set(got.index) == set(net.bridges.index[shapely.covers(area, net.bridges.geometry.values)])
    assert {"B0000", "B0003"} <= set(got.index) and "B0002" not in got.index
    assert footprint(net, "corridors:C01").area == pytest.approx(area.area)


def test_within_errors_name_the_problem():
    p = user_point((LON, LAT))
    net = Network({"bridges": bridges([(p.x, p.y)]),
                   "trails": lines_layer([shapely.LineString([(p.x, p.y), (p.x + 1, p.y)])])})
    with pytest.raises(InputError, match="has no feature 'C99'"):
        within(net, "bridges", "corridors:C99")
    with pytest.raises(InputError, match="covers no area"):
        within(net, "bridges", "trails:T000")
    with pytest.raises(InputError, match="LAYER:ID"):
        within(net, "bridges", "C07")
    with pytest.raises(InputError, match="unknown layer 'nolayer'"):
        within(net, "bridges", "nolayer:X")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(offs=offsets, box=st.tuples(st.integers(-40, 0), st.integers(-40, 0), st.integers(1, 40), st.integers(1, 40)))
def test_bbox_and_intersects_match_brute_force(offs, box):
    p = user_point((LON, LAT))
    xy = np.array([(p.x + dx * 10.0, p.y + dy * 10.0) for dx, dy in offs]).reshape(-1, 2)
    net = Network({"bridges": bridges(xy)})
    d = 1e-4
    bb = (LON + box[0] * d, LAT + box[1] * d, LON + box[2] * d, LAT + box[3] * d)
    got = in_bbox(net, "bridges", bb)
    area = user_geometry(shapely.box(*bb))
    assert set(got.index) == set(net.bridges.index[shapely.intersects(net.bridges.geometry.values, area)])
    # the same box in lon/lat, away from its edges by more than the projection's rounding
    lon, lat = shapely.get_coordinates(net.bridges.to_crs(crs.WGS84).geometry.values).T
    inside = (lon > bb[0] + 1e-8) & (lon < bb[2] - 1e-8) & (lat > bb[1] + 1e-8) & (lat < bb[3] - 1e-8)
    outside = (lon < bb[0] - 1e-8) | (lon > bb[2] + 1e-8) | (lat < bb[1] - 1e-8) | (lat > bb[3] + 1e-8)
    assert set(net.bridges.index[inside]) <= set(got.index)
    assert not set(net.bridges.index[outside]) & set(got.index)
    # --intersects with a line given as WKT
    wkt = f"LINESTRING ({bb[0]} {bb[1]}, {bb[2]} {bb[3]})"
    got = intersecting(net, "bridges", wkt)
    line = user_geometry(shapely.from_wkt(wkt))
    assert set(got.index) == set(net.bridges.index[shapely.intersects(net.bridges.geometry.values, line)])


def test_intersects_reads_a_geojson_file(tmp_path):
    p = user_point((LON, LAT))
    net = Network({"bridges": bridges([(p.x, p.y), (p.x + 5000, p.y)])})
    ring = [[LON - 0.01, LAT - 0.01], [LON + 0.01, LAT - 0.01], [LON + 0.01, LAT + 0.01], [LON - 0.01, LAT - 0.01]]
    path = tmp_path / "area.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    assert list(intersecting(net, "bridges", str(path)).index) == ["B0000"]
    with pytest.raises(InputError, match="neither a WKT geometry nor an existing GeoJSON file"):
        intersecting(net, "bridges", str(tmp_path / "missing.geojson"))
    with pytest.raises(InputError, match="not valid WKT"):
        intersecting(net, "bridges", "POLYGON ((1 2, 3")


# --- the where grammar -------------------------------------------------------------------
def _frame_for_where():
    p = user_point((LON, LAT))
    n = 40
    rng = np.random.default_rng(3)
    hosts = list(rng.choice(HOSTS, n))
    status = list(rng.choice(STATUS, n))
    installed = [None if i % 7 == 0 else f"202{i % 5}-0{1 + i % 9}-15" for i in range(n)]
    return bridges(np.column_stack([p.x + np.arange(n), np.full(n, p.y)]), hosts=hosts, status=status,
                   installed=installed)


@pytest.mark.parametrize("expr, expected", [
    ("status == 'built' and host == 'well'", lambda f: (f.status == "built") & (f.host == "well")),
    ("status = \"built\" or not host != 'pool'", lambda f: (f.status == "built") | (f.host == "pool")),
    ("host in ['well', 'pool'] and not (status in ('removed'))",
     lambda f: f.host.isin(["well", "pool"]) & (f.status != "removed")),
    ("host not in ['well']", lambda f: f.host != "well"),
    ("installed >= '2022-01-01'", lambda f: f.installed.notna() & (f.installed.fillna("") >= "2022-01-01")),
    ("installed is null", lambda f: f.installed.isna()),
    ("installed is not null and '2023-01-01' > installed",
     lambda f: f.installed.notna() & (f.installed.fillna("9") < "2023-01-01")),
    ("id in ['B0001', 'B0003'] or id == 'B0039'", lambda f: pd.Series(f.index.isin(["B0001", "B0003", "B0039"]), index=f.index)),
    ("STATUS == 'built' AND host == 'ditch'", None),  # keywords are case-insensitive, columns not
])
def test_where_matches_pandas(expr, expected):
    f = _frame_for_where()
    if expected is None:
        with pytest.raises(InputError, match="unknown column 'STATUS'"):
            parse_where(expr, layer="bridges")
        return
    got = where({"bridges": f}, "bridges", expr)
    assert list(got.index) == list(f.index[expected(f).to_numpy(dtype=bool)])


def test_where_on_numbers_and_nulls():
    gdf = reservoirs([shapely.box(0, 0, 1, 1)] * 4)
    gdf["capacity"] = [1e5, np.nan, 3e6, 2e5]
    got = where({"reservoirs": gdf}, "reservoirs", "capacity >= 2e5 or capacity is null")
    assert list(got.index) == ["R01", "R02", "R03"]
    # a comparison on an empty value is false, also for !=
    assert list(where({"reservoirs": gdf}, "reservoirs", "capacity != 1e5").index) == ["R02", "R03"]


HOSTILE = [
    "__import__('os').system('echo hacked')",
    "@var",
    "`status` == 'built'",
    "status == 'built'; import os",
    "status.str.len() > 0",
    "host == 'well' " + "or host == 'well' " * 200,
    "(" * 100 + "status == 'built'" + ")" * 100,
    "status == built",
    "status == 'built' and",
    "lambda: 1",
    "status == 'built' or 1",
    "{}",
    "status == 'planned' | host == 'well'",
    "quality == 'x'",
    "status in []",
    "status == null",
    "host == 'wel'",
]


@pytest.mark.parametrize("expr", HOSTILE)
def test_where_rejects_anything_outside_its_grammar(expr, tmp_path):
    with pytest.raises(InputError) as exc:
        parse_where(expr, layer="bridges")
    msg = str(exc.value)
    assert msg.startswith("where: ") and "\n" not in msg and len(msg) < 400


def test_where_error_messages_say_what_to_fix():
    with pytest.raises(InputError, match=r"unknown column '__import__' of layer bridges; columns are: id, host, material, status"):
        parse_where("__import__('os')", layer="bridges")
    with pytest.raises(InputError, match="unexpected character '@' at position 1"):
        parse_where("@var", layer="bridges")
    with pytest.raises(InputError, match="unexpected character '`'"):
        parse_where("`status` == 'built'", layer="bridges")
    with pytest.raises(InputError, match="at most 1000"):
        parse_where("status == 'built' or " * 100 + "status == 'built'", layer="bridges")
    with pytest.raises(InputError, match="host 'wel' is not one of ditch, well, pool"):
        parse_where("host == 'wel'", layer="bridges")
    with pytest.raises(InputError, match="installed is a date"):
        parse_where("installed > '2024'", layer="bridges")
    with pytest.raises(InputError, match="capacity is a number"):
        parse_where("capacity > 'big'", layer="reservoirs")


def test_query_source_never_evals():
    import inspect

    import ecomap.query as q

    src = inspect.getsource(q)
    assert "eval(" not in src and "exec(" not in src
    assert set(re.findall(r"(\w+)\.query\(", src)) <= {"sindex", "tree"}  # spatial index only, never DataFrame.query


# --- combinations and the command line ---------------------------------------------------
def test_combined_query_is_the_intersection_of_its_parts():
    rng = np.random.default_rng(11)
    p = user_point((LON, LAT))
    xy = np.column_stack([p.x + rng.uniform(-800, 800, 500), p.y + rng.uniform(-800, 800, 500)])
    core = shapely.box(p.x - 300, p.y - 500, p.x + 500, p.y + 200)
    net = Network({"bridges": bridges(xy, status=list(rng.choice(STATUS, 500))), "reservoirs": reservoirs([core])})
    bb = (LON - 0.004, LAT - 0.004, LON + 0.006, LAT + 0.005)
    got = query(net, "bridges", near=(LON, LAT), radius_m=600, bbox=bb, within="reservoirs:R00",
                where="status != 'removed'")
    a = set(near(net, "bridges", (LON, LAT), radius_m=600).index)
    b = set(in_bbox(net, "bridges", bb).index)
    c = set(within(net, "bridges", "reservoirs:R00").index)
    d = set(where(net, "bridges", "status != 'removed'").index)
    assert set(got.index) == a & b & c & d and len(got) > 10
    assert list(got["distance_m"]) == sorted(got["distance_m"])
    with pytest.raises(InputError, match="--near needs --radius"):
        query(net, "bridges", near=(LON, LAT))
    with pytest.raises(InputError, match="--nearest needs --to"):
        query(net, "bridges", nearest=3)


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


@pytest.mark.parametrize("expr", ["installed >= '2022-01-01'", "installed < '2023-03-15' or installed is null",
                                  "installed in ['2021-02-15', '2024-05-15']", "installed != '2021-02-15'"])
def test_where_on_dates_read_as_datetimes_matches_text_dates(expr):
    text = _frame_for_where()
    dated = text.copy()
    dated["installed"] = pd.to_datetime(dated["installed"])  # how GDAL hands ISO dates back
    got = where({"bridges": dated}, "bridges", expr)
    assert list(got.index) == list(where({"bridges": text}, "bridges", expr).index)


def test_answers_follow_edited_geometries():
    p = user_point((LON, LAT))
    gdf = bridges([(p.x, p.y), (p.x + 500, p.y)])
    net = Network({"bridges": gdf, "reservoirs": reservoirs([shapely.box(p.x - 10, p.y - 10, p.x + 10, p.y + 10)])})
    assert list(within(net, "bridges", "reservoirs:R00").index) == ["B0000"]
    gdf.loc["B0001", "geometry"] = shapely.Point(p.x + 5, p.y + 5)  # moved into the reservoir
    gdf.loc["B0000", "geometry"] = shapely.Point(p.x + 50, p.y)     # and out of it
    assert list(within(net, "bridges", "reservoirs:R00").index) == ["B0001"]
    assert list(in_bbox(net, "bridges", (LON - 1e-4, LAT - 1e-4, LON + 1e-4, LAT + 1e-4)).index) == ["B0001"]


def test_within_clips_polygons_and_reports_areas():
    p = user_point((LON, LAT))
    core = shapely.box(p.x, p.y, p.x + 100, p.y + 100)
    parts = [shapely.box(p.x + 50, p.y + 50, p.x + 150, p.y + 150),   # a quarter inside: 2500 m2
             shapely.box(p.x + 100, p.y, p.x + 200, p.y + 100),       # shares an edge only: out
             shapely.box(p.x + 10, p.y + 10, p.x + 20, p.y + 30)]     # wholly inside: 200 m2
    net = Network({"reservoirs": reservoirs(parts), "ridge": gpd.GeoDataFrame(
        {"kind": ["country_park"], "elev_max_m": [500.0], "name_zh": [None], "name_en": [None],
         "source": ["test"], "confidence": ["synthetic"]},
        geometry=[core], crs=crs.INTERNAL, index=pd.Index(["RG07"], name="id"))})
    got = within(net, "reservoirs", "ridge:RG07")
    assert list(got.index) == ["R00", "R02"]
    assert list(got["clipped_area_m2"]) == pytest.approx([2500.0, 200.0])
    assert list(got["area_m2"]) == pytest.approx([10000.0, 200.0])
    assert got.geometry.area.tolist() == pytest.approx([2500.0, 200.0])


def test_large_layers_use_the_grid_and_still_match_brute_force():
    """Above 20,000 features a thin shape is cut into grid cells before asking the index."""
    from ecomap.query._index import _cells_for

    rng = np.random.default_rng(12)
    p = user_point((LON, LAT))
    centre = shapely.LineString([(p.x - 6000, p.y - 5000), (p.x, p.y + 800), (p.x + 6000, p.y + 5000)])
    foot = centre.buffer(60.0, quad_segs=8)  # as the one footprint rule draws it
    edge = shapely.get_coordinates(foot.exterior)[::3]  # exactly on the footprint's edge
    xy = np.vstack([np.column_stack([p.x + rng.uniform(-6500, 6500, 30_000), p.y + rng.uniform(-5500, 5500, 30_000)]),
                    edge])
    assert _cells_for(len(xy)) >= 16
    net = Network({"bridges": bridges(xy), "corridors": corridors([centre], [120])})
    got = within(net, "bridges", "corridors:C01")
    area = footprint(net, "corridors:C01")
    expected = net.bridges.index[shapely.covers(area, net.bridges.geometry.values)]
    assert list(got.index) == list(expected) and len(got) > 100
    assert set(net.bridges.index[-len(edge):]) <= set(got.index)
    wkt = shapely.to_wkt(shapely.LineString([(LON - 0.05, LAT - 0.04), (LON + 0.05, LAT + 0.045)]))
    line = user_geometry(shapely.from_wkt(wkt))
    hits = intersecting(net, "bridges", wkt)
    assert list(hits.index) == list(net.bridges.index[shapely.intersects(net.bridges.geometry.values, line)])
