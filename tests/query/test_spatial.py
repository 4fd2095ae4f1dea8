"""The spatial verbs and `query` against brute-force shapely checks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from query._layers import LAT, LON, STATUS, bridges, corridors, lines_layer, offsets, reservoirs

from ecomap import crs
from ecomap._errors import InputError
from ecomap.network import Network
from ecomap.query import (
    footprint,
    in_bbox,
    intersecting,
    near,
    nearest,
    query,
    user_geometry,
    user_point,
    where,
    within,
)


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
