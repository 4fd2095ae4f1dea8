"""The bridge-site register: listing and counting (by status, host, subdistrict, corridor)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from ecomap import crs, joins
from ecomap._errors import InputError
from ecomap.bridges import SUBDISTRICT_CENTRES, corridor_of, list_sites, site_stats, subdistrict_of


def test_list_by_status_and_within_a_corridor(many):
    got = list_sites(many, status=["built", "damaged"], within="corridors:C07")
    foot = many.corridors.geometry.loc["C07"].buffer(150)
    b = many.bridges
    want = b.index[b["status"].isin(["built", "damaged"]).to_numpy() & shapely.covers(foot, b.geometry.values)]
    assert list(got.index) == list(want) and len(got) > 5
    with pytest.raises(InputError, match="status 'bulit' is not one of"):
        list_sites(many, status=["bulit"])


def test_stats_against_independent_counts(many):
    b = many.bridges
    st = site_stats(many, by="status")
    assert st["sites"].to_dict() == b["status"].value_counts().to_dict()
    assert st["share"].sum() == pytest.approx(1.0)
    host = site_stats(many, by="host")
    cross = pd.crosstab(b["host"], b["status"])
    for h in cross.index:
        assert host.loc[h, "sites"] == cross.loc[h].sum()
        for s in cross.columns:
            assert host.loc[h, s] == cross.loc[h, s]
    # corridors: one covers() per corridor footprint, by hand
    cor = site_stats(many, by="corridor")
    inside_any = np.zeros(len(b), dtype=bool)
    for cid, row in many.corridors.iterrows():
        m = shapely.covers(row.geometry.buffer(row.width_m / 2), b.geometry.values)
        inside_any |= m
        assert cor.loc[cid, "sites"] == m.sum()
    assert cor.loc["(none)", "sites"] == (~inside_any).sum()
    assert len(corridor_of(many, b)) == cor.drop(index="(none)")["sites"].sum()


def test_subdistrict_is_the_nearest_centre_by_geodesic_distance(many):
    b = many.bridges.to_crs(crs.WGS84)
    names = list(SUBDISTRICT_CENTRES)
    g = pyproj.Geod(ellps="WGS84")
    d = np.column_stack([
        g.inv(b.geometry.x.to_numpy(), b.geometry.y.to_numpy(), np.full(len(b), lon), np.full(len(b), lat))[2]
        for lon, lat in SUBDISTRICT_CENTRES.values()
    ])
    want = [names[k] for k in d.argmin(axis=1)]
    assert list(subdistrict_of(many.bridges)) == want
    counts = site_stats(many, by="subdistrict")["sites"]
    assert counts.sum() == len(b)



# --- one rule: the corridor footprint (ecomap.network.corridor_footprints) --------------------
def test_corridor_of_uses_the_one_footprint_rule(many):
    b = many.bridges
    got = set(map(tuple, corridor_of(many, b)[["id", "corridor"]].to_numpy()))
    feet = joins.corridor_footprints(many)  # the rule as the joins use it
    want = {(s, c) for c, foot in feet.items() for s in b.index[shapely.covers(foot, b.geometry.values)]}
    assert got == want and len(got) > 20
    # computed another way: distance to the centre line against width_m / 2 (the buffer's
    # polygon loses at most 1 - cos(pi / 16), under 2 %, of the radius at the round ends)
    for cid, row in many.corridors.iterrows():
        d = shapely.distance(row.geometry, b.geometry.values)
        mine = {s for s, c in got if c == cid}
        assert set(b.index[d <= 0.98 * row.width_m / 2]) <= mine
        assert not mine & set(b.index[d > row.width_m / 2])


@pytest.mark.parametrize("width", [np.nan, 0.0, -5.0, None])
def test_a_corridor_without_a_usable_width_is_refused_not_given_0_m(many, width):
    cor = many.corridors.copy()
    if width is None:
        cor = cor.drop(columns="width_m")
    else:
        cor.loc["C02", "width_m"] = width
    net = many.replace(corridors=cor)
    with pytest.raises(InputError, match="C02" if width is not None else "width_m") as ours:
        corridor_of(net, net.bridges)
    with pytest.raises(InputError) as theirs:
        joins.corridor_footprints(net)
    assert str(ours.value) == str(theirs.value)  # the same rule and message as the joins
    with pytest.raises(InputError, match="width_m"):
        site_stats(net, by="corridor")
    assert site_stats(net, by="status")["sites"].sum() == len(net.bridges)  # other counts need no footprint


# --- one rule: lon/lat -> EPSG:4547 (ecomap.crs.lonlat_to_internal) ---------------------------
def test_subdistrict_centres_go_through_the_one_lonlat_rule(many):
    lon, lat = np.array(list(SUBDISTRICT_CENTRES.values())).T
    cx, cy = crs.lonlat_to_internal(lon, lat)
    tr = pyproj.Transformer.from_crs(4326, 4547, always_xy=True)  # computed another way
    assert np.allclose(np.c_[cx, cy], np.c_[tr.transform(lon, lat)], atol=1e-6)
    pts = gpd.GeoDataFrame(index=pd.Index(list(SUBDISTRICT_CENTRES), name="id"),
                           geometry=shapely.points(cx, cy), crs=crs.INTERNAL)
    assert list(subdistrict_of(pts)) == list(SUBDISTRICT_CENTRES)  # each centre is its own subdistrict


def test_stats_by_subdistrict_use_the_polygons_and_sum_to_the_register():
    import shapely

    from ecomap.bridges import site_stats, subdistrict_of
    from ecomap.network import load_network

    net = load_network()
    subs = net.subdistricts
    assert len(subs) == 6
    table = site_stats(net, by="subdistrict")
    assert table["sites"].sum() == len(net.bridges)
    assert set(table.index) <= {f"{r.name_en} {r.name_zh}" for r in subs.itertuples()}
    got = subdistrict_of(net.bridges, subs)
    # brute force: the polygon that covers the site, else the one at the least distance
    for sid, pt in net.bridges.geometry.items():
        covering = [f"{r.name_en} {r.name_zh}" for r in subs.itertuples() if shapely.covers(r.geometry, pt)]
        if covering:
            assert got[sid] in covering
        else:
            d = {f"{r.name_en} {r.name_zh}": shapely.distance(r.geometry, pt) for r in subs.itertuples()}
            assert got[sid] == min(d, key=d.get)


def test_subdistrict_of_falls_back_to_the_centres_without_polygons():
    from ecomap.bridges import SUBDISTRICT_CENTRES, subdistrict_of
    from ecomap.network import load_network

    sites = load_network().bridges
    assert set(subdistrict_of(sites)) <= set(SUBDISTRICT_CENTRES)
    assert subdistrict_of(sites, sites.iloc[:0]).equals(subdistrict_of(sites))
