"""The page frame of point layers on coordinate arrays: the same frame as geometry by geometry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from ecomap import crs as _crs
from ecomap.webmap._style import PRECISION, _page_frame, _page_frame_geoms


def _old(gdf: gpd.GeoDataFrame, gcj02: bool) -> gpd.GeoDataFrame:
    """The frame recomputed as the code before the point path did: to_crs, GCJ-02, filter, round."""
    out = gdf.to_crs(_crs.WGS84) if gdf.crs is not None else gdf.set_crs(_crs.WGS84)
    if gcj02 and len(out):
        out = _crs.to_gcj02(out)
    out = out[~(out.geometry.isna() | out.geometry.is_empty)]
    index = out.index
    out = out.reset_index(drop=True)
    if "id" not in out.columns:
        out.insert(0, "id", [str(v) for v in index])
    if len(out):
        out = out.set_geometry(shapely.transform(out.geometry.values, lambda c: np.round(c, PRECISION)))
    return out


def _sites(n: int, *, index=None, crs=_crs.INTERNAL, holes: bool = True) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    if crs == _crs.INTERNAL:
        x, y = rng.uniform(520_000, 550_000, n), rng.uniform(2_500_000, 2_530_000, n)
    else:
        x, y = rng.uniform(114.2, 114.5, n), rng.uniform(22.6, 22.8, n)
    geoms = shapely.points(x, y)
    if holes:
        geoms[3], geoms[10] = None, shapely.Point()
    frame = gpd.GeoDataFrame({"status": rng.choice(["a", "b"], n)}, geometry=geoms, crs=crs,
                             index=index)
    return frame


@pytest.mark.parametrize("gcj02", [False, True])
@pytest.mark.parametrize("case", ["int", "str", "float", "wgs84", "noholes", "empty", "allempty", "id"])
def test_point_frame_matches_the_geometry_path(case, gcj02):
    n = 500
    if case == "int":
        gdf = _sites(n, index=np.arange(100, 100 + n))
    elif case == "str":
        gdf = _sites(n, index=[f"B{i:05d}" for i in range(n)])
    elif case == "float":
        gdf = _sites(n, index=np.arange(n) / 4)
    elif case == "wgs84":
        gdf = _sites(n, crs=_crs.WGS84)
    elif case == "noholes":
        gdf = _sites(n, holes=False)
    elif case == "empty":
        gdf = _sites(n).iloc[:0]
    elif case == "allempty":
        gdf = gpd.GeoDataFrame({"status": ["a", "b"]}, geometry=[None, shapely.Point()], crs=_crs.INTERNAL)
    else:
        gdf = _sites(n)
        gdf.insert(0, "id", [f"S{i}" for i in range(n)])
    new, old = _page_frame(gdf, gcj02=gcj02), _old(gdf, gcj02)
    assert_geodataframe_equal(new, old, check_less_precise=False)
    assert new.attrs == old.attrs
    got, want = shapely.get_coordinates(new.geometry.values), shapely.get_coordinates(old.geometry.values)
    assert np.array_equal(got, want)   # bit for bit, not within a tolerance
    assert np.array_equal(_page_frame_geoms(gdf, gcj02=gcj02).id, old.id)


def test_gcj02_moves_the_points_and_other_geometries_keep_their_path():
    gdf = _sites(50, holes=False)
    a, b = _page_frame(gdf, gcj02=False), _page_frame(gdf, gcj02=True)
    shift = shapely.get_coordinates(b.geometry.values) - shapely.get_coordinates(a.geometry.values)
    assert (np.abs(shift) > 1e-4).all()   # GCJ-02 moves Pingshan by a few hundred metres
    mixed = pd.concat([gdf, gpd.GeoDataFrame({"status": ["c"]}, geometry=[shapely.LineString(
        [(530_000, 2_510_000), (530_100, 2_510_100)])], crs=_crs.INTERNAL)])
    assert_geodataframe_equal(_page_frame(mixed, gcj02=True), _old(mixed, True))
