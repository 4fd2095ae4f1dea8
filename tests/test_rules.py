"""One home for each rule: every caller gives the same answer, and refuses the same input.

The rules of docs/architecture.md ("One home for each rule"), checked across the packages
that use them, each against a value computed here another way.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from ecomap import crs
from ecomap._errors import InputError
from ecomap.network import corridor_footprints, load_network


@pytest.fixture(scope="module")
def net():
    return load_network()


def _without_width(net, cid: str):
    cor = net.corridors.copy()
    cor.loc[cid, "width_m"] = np.nan
    return net.replace(corridors=cor)


def test_footprint_is_the_same_in_joins_queries_and_the_register(net):
    from ecomap import joins, query
    from ecomap.bridges import corridor_of

    cid = "C07"
    line = net.corridors.geometry[cid]
    by_hand = shapely.buffer(line, float(net.corridors.loc[cid, "width_m"]) / 2.0)
    assert shapely.equals_exact(corridor_footprints(net.corridors)[cid], by_hand, tolerance=0)
    assert shapely.equals_exact(joins.corridor_footprints(net)[cid], by_hand, tolerance=0)
    assert shapely.equals_exact(query.footprint(net, f"corridors:{cid}"), by_hand, tolerance=0)
    sites = net.bridges
    inside = set(sites.index[shapely.covers(by_hand, sites.geometry.values)])
    pairs = corridor_of(net, sites)
    assert set(pairs.loc[pairs["corridor"] == cid, "id"]) == inside
    got = set(query.within(net, "bridges", f"corridors:{cid}").index)
    assert got == inside


def test_a_corridor_without_width_is_refused_everywhere_by_name(net):
    from ecomap import joins, query
    from ecomap.bridges import site_stats
    from ecomap.corridors import resistance_surface
    from ecomap.webmap import atlas

    bad = _without_width(net, "C07")
    calls = {
        "network": lambda: corridor_footprints(bad.corridors),
        "joins": lambda: joins.corridor_footprints(bad),
        "query": lambda: query.footprint(bad, "corridors:C07"),
        "register stats": lambda: site_stats(bad, by="corridor"),
        "corridor model": lambda: resistance_surface(bad, resolution=200.0),
        "atlas": lambda: atlas(bad, basemap="none"),
    }
    for where, call in calls.items():
        with pytest.raises(InputError, match="C07") as info:
            call()
        assert "width_m" in str(info.value) or "width_m" in str(info.value.__cause__), where


def test_one_bbox_parser():
    from ecomap import importers, query

    assert query.parse_bbox is crs.parse_bbox and importers.parse_bbox is crs.parse_bbox
    assert crs.parse_bbox("114.3, 22.6, 114.4, 22.7") == (114.3, 22.6, 114.4, 22.7)
    with pytest.raises(InputError, match="LON,LAT"):
        crs.parse_bbox("22.6,114.3,22.7,114.4", option="--bbox")


def test_one_lonlat_conversion():
    import pyproj

    from ecomap.query import user_point

    lon, lat = 114.35, 22.69
    x, y = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True).transform(lon, lat)
    assert crs.lonlat_to_internal(lon, lat) == pytest.approx((x, y), abs=1e-6)
    p = user_point((lon, lat))
    assert (p.x, p.y) == pytest.approx((x, y), abs=1e-6)
    glon, glat = crs.wgs84_to_gcj02(lon, lat)
    assert crs.lonlat_to_internal(glon, glat, source="gcj02") == pytest.approx((x, y), abs=1e-3)
    g = user_point((float(glon), float(glat)), input_crs="gcj02")
    assert (g.x, g.y) == pytest.approx((x, y), abs=1e-3)


def test_one_column_coercion(net):
    from ecomap.export import prepare
    from ecomap.layers import CATALOGUE, coerce_columns

    raw = net.corridors.reset_index()[["id", "geometry", "width_m"]].copy()
    raw["width_m"] = raw["width_m"].astype(str)  # as text, the way a CSV gives it
    out = coerce_columns(raw, "corridors")
    assert out["width_m"].dtype == "float64"
    assert {c.name for c in CATALOGUE["corridors"].columns} <= set(out.columns)
    exported = prepare(net.corridors, "corridors")
    assert exported["width_m"].dtype == "float64"
    assert np.allclose(exported["width_m"].to_numpy(), out["width_m"].to_numpy())
