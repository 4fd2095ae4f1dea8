"""GCJ-02 <-> WGS-84 against published vectors, round trips and known offsets; CRS helpers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from ecomap import crs

GEOD = Geod(ellps="WGS84")

# (wgs lat, wgs lon) -> (gcj lat, gcj lon), published in googollee/eviltransform's tests.
PUBLISHED = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_forward_matches_published_vectors(wgs, gcj):
    lon, lat = crs.wgs84_to_gcj02(wgs[1], wgs[0])
    assert isinstance(lon, float)
    assert lon == pytest.approx(gcj[1], abs=1e-9)
    assert lat == pytest.approx(gcj[0], abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj"), PUBLISHED)
def test_inverse_recovers_published_vectors(wgs, gcj):
    lon, lat = crs.gcj02_to_wgs84(gcj[1], gcj[0])
    assert lon == pytest.approx(wgs[1], abs=1e-9)
    assert lat == pytest.approx(wgs[0], abs=1e-9)


def test_pingshan_offset_is_about_588_m_east_and_south():
    lon, lat = crs.wgs84_to_gcj02(114.35, 22.69)
    assert (lon, lat) == pytest.approx((114.354921179, 22.687293477), abs=1e-9)
    _, _, dist = GEOD.inv(114.35, 22.69, lon, lat)
    assert dist == pytest.approx(587.8, abs=0.5)
    assert lon > 114.35 and lat < 22.69  # shifted east and south


def test_arrays_keep_their_shape():
    lon = np.array([[114.3, 114.4], [114.35, 120.0]])
    lat = np.array([[22.6, 22.7], [22.65, 30.0]])
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    assert glon.shape == lon.shape and glat.shape == lat.shape
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    assert np.abs(wlon - lon).max() < 1e-9 and np.abs(wlat - lat).max() < 1e-9


def test_identity_outside_china():
    for lon, lat in [(-0.1276, 51.5072), (2.35, 48.85), (151.2, -33.9), (70.0, 30.0)]:
        assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)


@settings(max_examples=300, deadline=None)
@given(st.floats(72.1, 137.7), st.floats(0.9, 55.7))
def test_round_trip_anywhere_in_china_within_1e7_degrees(lon, lat):
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    wlon, wlat = crs.gcj02_to_wgs84(glon, glat)
    assert abs(wlon - lon) < 1e-7 and abs(wlat - lat) < 1e-7


@settings(max_examples=200, deadline=None)
@given(st.floats(113.75, 114.65), st.floats(22.40, 22.87))
def test_offset_in_shenzhen_between_400_and_800_m(lon, lat):
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    _, _, dist = GEOD.inv(lon, lat, glon, glat)
    assert 400 < dist < 800


def test_geodataframe_round_trip_and_labels():
    gdf = gpd.GeoDataFrame(
        {"id": ["a", "b"]},
        geometry=[shapely.Point(114.35, 22.69), shapely.LineString([(114.3, 22.6), (114.4, 22.7)])],
        crs=crs.WGS84,
    ).to_crs(crs.INTERNAL)
    g = crs.to_gcj02(gdf)
    assert g.attrs["coordinates"] == "GCJ-02"
    assert g.geometry.iloc[0].x == pytest.approx(114.354921179, abs=1e-8)
    back = crs.from_gcj02(g)
    assert back.crs.to_epsg() == 4326
    orig = gdf.to_crs(crs.WGS84)
    for a, b in zip(back.geometry, orig.geometry, strict=True):
        assert shapely.equals_exact(a, b, tolerance=1e-9)


def test_parse_crs():
    assert crs.parse_crs("GCJ-02") == crs.GCJ02
    assert crs.parse_crs("wgs84") == crs.WGS84
    assert crs.parse_crs("EPSG:4547") == "EPSG:4547"
    assert crs.parse_crs("epsg:32650") == "EPSG:32650"
    with pytest.raises(crs.InputError, match="unknown CRS 'nonsense'"):
        crs.parse_crs("nonsense")


def test_transform_point_metres_and_gcj_input():
    x, y = crs.transform_point(114.35, 22.69)
    assert (x, y) == pytest.approx((535964.463, 2510249.978), abs=0.01)
    gx, gy = crs.transform_point(114.354921179, 22.687293477, source="gcj02")
    assert np.hypot(gx - x, gy - y) < 0.01


# --- BD-09 (Baidu Maps) -------------------------------------------------------------------
def test_bd09_published_vector_and_round_trip():
    from ecomap.crs import bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, parse_crs, wgs84_to_bd09

    # Beijing railway station: GCJ-02 (116.42703, 39.90245) is BD-09 (116.43351, 39.90851), as published
    # with the standard formula (R package "cst", bd2gcj/gcj2bd examples; wandergis coordTransform_py)
    assert gcj02_to_bd09(116.42703, 39.90245) == pytest.approx((116.43351, 39.90851), abs=1e-5)
    assert bd09_to_gcj02(116.43351, 39.90851) == pytest.approx((116.42703, 39.90245), abs=1e-5)
    # the point of tests/data/baidu-bd09-points: copied from Baidu Maps for WGS-84 114.35, 22.69
    assert bd09_to_wgs84(114.361363, 22.693626) == pytest.approx((114.35, 22.69), abs=1e-6)
    rng = np.random.default_rng(0)
    lon, lat = rng.uniform(113.7, 114.7, 2000), rng.uniform(22.4, 22.9, 2000)
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.abs(back[0] - lon).max() < 1e-10 and np.abs(back[1] - lat).max() < 1e-10
    assert parse_crs("BD-09") == parse_crs("baidu") == "bd09"
