"""The bundled data in data/geo held to what is known about Pingshan and the city framework.

Published figures are copied in here as constants. Lengths and areas are measured on the
WGS-84 ellipsoid with pyproj.Geod (geodesic), independently of the EPSG:4547 projection the
package computes in.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from ecomap.layers import LAYER_NAMES
from ecomap.network import load_network, validate_data

DATA = Path(__file__).resolve().parents[1] / "data" / "geo"
SOURCES = DATA.parent / "sources"
GEOD = Geod(ellps="WGS84")

#: Published lengths (km) of the named Maluan trails (eyeshenzhen 2023-03-24; sz.gov.cn).
TRAIL_KM = {
    "坪大诗歌步道(坪山段)": 7.0,
    "江岭相思步道": 8.0,
    "禾雀花步道": 6.5,
    "碧岭瀑布群步道": 3.05,
}
#: Pingshan (adcode 440310): AMap outline area, 164.47 km² on the ellipsoid (UTM 50N gives
#: the same); the official figure is 166-168 km², about 1-2 % larger.
PINGSHAN_KM2 = 164.47
#: Maluan Mountain Country Park, park plan: 31.66 km².
MALUAN_KM2 = 31.66
#: The Pingshan River's main channel, west to east, measured on a 2020 water-surface layer
#: (FACTS §3; ~50 m accuracy). The first point is on the western district edge, the last
#: ~70 m short of the eastern boundary where the river leaves for Huizhou.
RIVER_CHANNEL = [
    (114.2766, 22.6771), (114.2858, 22.6774), (114.2972, 22.6751), (114.3039, 22.6743),
    (114.3105, 22.6762), (114.3183, 22.6735), (114.3234, 22.6751), (114.3320, 22.6805),
    (114.3360, 22.6874), (114.3403, 22.6947), (114.3426, 22.6971), (114.3504, 22.6957),
    (114.3586, 22.6980), (114.3664, 22.6978), (114.3723, 22.7020), (114.3822, 22.7045),
    (114.3897, 22.7074), (114.3973, 22.7099), (114.4045, 22.7119), (114.4090, 22.7148),
    (114.4153, 22.7161),
]
RIVER_EXIT = RIVER_CHANNEL[-1]
#: Measured water bodies (FACTS §3): area (ha) and a point inside, for the named reservoirs.
NAMED_WATER = {
    "Chi'ao Reservoir": (78.7, (114.3772, 22.6658)),
    "Songzikeng Reservoir": (10.2, (114.3876, 22.7330)),
    "Lanheqiao Reservoir": (21.5, (114.3575, 22.6397)),
    "Shangxiadu Reservoir": (26.2, (114.3423, 22.6392)),
}
#: The points inside the other water bodies over 10 ha, not the river's own wide reaches.
OTHER_WATER = [(114.3398, 22.6710), (114.3450, 22.7425), (114.3411, 22.6629), (114.2870, 22.6807),
               (114.3429, 22.7327), (114.4321, 22.6979), (114.4061, 22.7799), (114.3704, 22.7267)]
#: Pingshan's six subdistricts (街道), with their OSM boundary relations.
SUBDISTRICTS = {"坪山街道": 10501406, "马峦街道": 10501407, "碧岭街道": 10501408,
                "石井街道": 10501409, "坑梓街道": 10501410, "龙田街道": 10501411}
#: Margin (metres) by which Pingshan-detail features may reach past the district outline.
MARGIN_M = 300.0


@pytest.fixture(scope="module")
def net():
    return load_network(DATA)


@pytest.fixture(scope="module")
def wgs(net):
    return {name: net[name].to_crs("EPSG:4326") for name in LAYER_NAMES}


def geodesic_km2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def geodesic_km(geom) -> float:
    return GEOD.geometry_length(geom) / 1000


def test_every_layer_is_bundled_and_valid():
    assert sorted(p.stem for p in DATA.glob("*.geojson")) == sorted(LAYER_NAMES)
    assert validate_data(DATA) == []


def test_boundary_is_pingshan_with_its_published_area(net, wgs):
    b = net.boundary
    assert list(b.index) == ["440310"] and b.loc["440310", "adcode"] == "440310"
    area = geodesic_km2(wgs["boundary"].geometry.iloc[0])
    assert area == pytest.approx(PINGSHAN_KM2, abs=0.5)
    assert net.district.area / 1e6 == pytest.approx(area, rel=0.005)  # EPSG:4547 agrees
    # The official area is 166-168 km²; the generalised outline is 1-2.5 % smaller.
    assert 0.975 * 166 < area < 168
    # bbox of the converted outline (WGS-84, not GCJ-02, which sits ~0.6 km off to the east)
    x0, y0, x1, y1 = wgs["boundary"].total_bounds
    assert (x0, y0, x1, y1) == pytest.approx((114.2622, 22.6249, 114.4404, 22.7839), abs=2e-3)


def test_districts_surround_pingshan_without_overlap(net):
    d = net.districts
    assert len(d) == 8 and "440310" not in d.index
    assert set(d["adcode"]) == {"440303", "440304", "440305", "440306", "440307", "440308", "440309", "440311"}
    overlap = shapely.area(shapely.intersection(d.geometry.values, net.district)).sum()
    assert overlap < 0.01e6
    # Pingshan borders Longgang (440307) and Yantian (440308) only
    touching = set(d.index[d.geometry.distance(net.district) < 50])
    assert touching == {"440307", "440308"}


def test_exactly_twenty_corridors_joining_the_patches_they_name(net):
    c, p = net.corridors, net.patches
    assert list(c.index) == [f"C{i:02d}" for i in range(1, 21)]
    assert set(c["kind"]) == {"mountain", "water"}
    assert c["name_zh"].str.len().min() > 0 and c["name_en"].str.len().min() > 0
    assert (c["width_m"] > 0).all()
    for cid, row in c.iterrows():
        start, end = shapely.get_point(row.geometry, 0), shapely.get_point(row.geometry, -1)
        half = row["width_m"] / 2
        assert p.loc[row["from_id"]].geometry.distance(start) <= half, cid
        assert p.loc[row["to_id"]].geometry.distance(end) <= half, cid
        assert row["from_id"] != row["to_id"], cid


def test_pingshan_river_and_maluan_tiantou_corridors_cross_pingshan(net):
    c = net.corridors
    through = c[c.intersects(net.district)]
    assert "Pingshan River water corridor" in set(through["name_en"])
    mt = c[c["name_en"].str.contains("Maluan-Tiantou")]
    assert len(mt) == 1 and mt["kind"].iloc[0] == "mountain"
    assert mt.geometry.iloc[0].intersects(net.district)
    assert set(mt[["from_id", "to_id"]].iloc[0]) == {"P09", "P10"}
    assert net.patches.loc["P09", "name_en"].startswith("Maluan")
    assert net.patches.loc["P10", "name_en"].startswith("Tiantou")


def test_pingshan_detail_lies_inside_the_district(net):
    inside = net.district.buffer(MARGIN_M)
    for name in ("trails", "reservoirs", "barriers", "bridges"):
        gdf = net[name]
        assert len(gdf), name
        out = gdf.index[~gdf.within(inside)]
        assert list(out) == [], f"{name}: {list(out)} outside the district"
    river = net.river
    trib = river[river["rank"] == "tributary"]
    assert trib.within(net.district.buffer(50)).all()
    # the axis runs inside the district but for its last ~400 m, where the measured channel
    # leaves the (generalised) AMap outline just before the eastern boundary
    axis = river.loc["PSR"].geometry
    outside = axis.difference(net.district.buffer(5))
    assert outside.length < 500
    assert outside.is_empty or shapely.get_coordinates(outside)[:, 0].min() > \
        shapely.get_coordinates(axis)[:, 0].max() - 600


def test_nothing_lands_in_the_sea(net):
    land = shapely.union_all(np.r_[net.boundary.geometry.values, net.districts.geometry.values]).buffer(10)
    for name in ("ridge", "patches"):
        assert net[name].within(land).all(), name
    # corridors stay on Shenzhen's land (a border river may stray a little across the line)
    stray = shapely.length(shapely.difference(net.corridors.geometry.values, land))
    assert stray.max() < 300, dict(zip(net.corridors.index, stray.round(), strict=True))
    # the belt straddles GSHHG's shoreline: every part of it lies within its half-width of
    # the real coast, which runs along its middle (AMap's city outline reaches into the sea,
    # so the outline is no measure of where land ends)
    coast = shapely.union_all(gpd.read_file(SOURCES / "gshhg_coast_full_shenzhen_wgs84.geojson")
                              .to_crs(net.crs).geometry.values)
    for sid, row in net.belt.iterrows():
        half = row["width_m"] / 2
        assert row.geometry.within(coast.buffer(half + 5)), sid
        inside = coast.intersection(row.geometry.buffer(-half + 5)).length
        assert inside > 10_000, (sid, inside)    # over 10 km of shoreline down its middle
    assert not net.belt.intersects(net.district).any()


def test_river_axis_follows_the_measured_channel_across_the_district(net, wgs):
    river, rw = net.river, wgs["river"]
    assert list(river.index[river["rank"] == "axis"]) == ["PSR"]
    axis = rw.loc["PSR"].geometry
    # every measured channel point lies within 150 m of the axis (geodesic distance to the
    # nearest point of the axis, densified to ~10 m)
    dense = shapely.get_coordinates(shapely.segmentize(axis, 1e-4))
    for lon, lat in RIVER_CHANNEL:
        d = GEOD.inv(np.full(len(dense), lon), np.full(len(dense), lat), dense[:, 0], dense[:, 1])[2].min()
        assert d <= 150, ((lon, lat), d)
    # it crosses the district from its western edge (where the channel enters) to the eastern
    # boundary, where it leaves for Huizhou, drawn downstream
    xy = shapely.get_coordinates(axis)
    ends = shapely.get_point(river.loc["PSR"].geometry, 0), shapely.get_point(river.loc["PSR"].geometry, -1)
    assert max(net.district.boundary.distance(e) for e in ends) < 1.0
    assert GEOD.inv(*xy[0], *RIVER_CHANNEL[0])[2] < 200     # the first point is ~150 m inside
    assert GEOD.inv(*xy[-1], *RIVER_EXIT)[2] < 150
    assert xy[-1][0] - xy[0][0] > 0.13                      # west to east across the district
    km = geodesic_km(axis)
    assert 15 < km < 30   # the Shenzhen reach; the whole river is 39 km to the Danshui


def test_tributaries_rise_in_the_hills_and_join_the_axis(net):
    river = net.river
    axis = river.loc["PSR"].geometry
    trib = river[river["rank"] == "tributary"]
    assert len(trib) >= 4
    assert (trib["parent_id"] == "PSR").all()
    for tid, g in trib.geometry.items():
        head, foot = shapely.get_point(g, 0), shapely.get_point(g, -1)
        assert axis.distance(foot) < 1.0, tid          # joins the axis at its downstream end
        assert axis.distance(head) > 800, tid          # rises well away from it
        assert axis.project(foot) > 0, tid


def test_named_trails_match_their_published_lengths(wgs):
    t = wgs["trails"].set_index("name_zh")
    for name, km in TRAIL_KM.items():
        drawn = geodesic_km(t.loc[name].geometry)
        assert drawn == pytest.approx(km, rel=0.10), name
    ridge = wgs["trails"][wgs["trails"]["kind"] == "ridge"]
    assert len(ridge) == 1 and geodesic_km(ridge.geometry.iloc[0]) > 8


def test_trails_stay_on_the_maluan_hills(net):
    park = net.ridge.loc["RG07"].geometry.buffer(500)
    t = net.trails[net.trails["confidence"] == "indicative"]     # the drawn ones, on the drawn park
    assert len(t) == 5 and t.within(park).all(), list(t.index[~t.within(park)])
    # the two OSM hiking relations, as mapped, lie in Maluan subdistrict (OSM against OSM)
    osm = net.trails[net.trails["source"].str.startswith("osm:relation/")]
    assert sorted(osm["source"].str.extract(r"relation/(\d+)", expand=False)) == ["20072078", "20072118"]
    assert set(osm["confidence"]) == {"digitized"}
    assert osm.within(net.subdistricts.loc["ML"].geometry).all()


def test_osm_parks_are_patches_with_unique_ids_and_no_area_counted_twice(net):
    p = net.patches
    osm = p[p["source"].str.startswith("osm:way/")]
    ids = osm["source"].str.extract(r"^osm:way/(\d+) ", expand=False)
    assert ids.notna().all() and ids.is_unique and len(osm) >= 12
    assert set(osm["confidence"]) == {"digitized"}
    assert set(p.loc[p["confidence"] == "digitized"].index) == set(osm.index)   # digitized = from OSM
    assert {"P14", "P15"} <= set(osm.index)   # Julongshan and Yanziling, now as OSM maps them
    assert osm.intersects(net.district.buffer(1000)).all()
    # no two patches overlap: IIC and PC count every square metre once
    union = shapely.union_all(p.geometry.values)
    assert p.area.sum() == pytest.approx(union.area, rel=1e-6)
    assert p.is_valid.all()


def test_maluan_park_is_a_band_of_the_planned_area(wgs):
    g = wgs["ridge"].loc[wgs["ridge"]["name_en"].str.startswith("Maluan")].geometry.iloc[0]
    assert geodesic_km2(g) == pytest.approx(MALUAN_KM2, rel=0.03)
    x0, y0, x1, y1 = g.bounds
    ew = GEOD.inv(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2)[2] / 1000
    assert 13 < ew < 18   # a band ~15 km east-west


def test_reservoirs_sit_on_the_measured_water(net, wgs):
    res = wgs["reservoirs"].set_index("name_en")
    for name, (ha, (lon, lat)) in NAMED_WATER.items():
        g = res.loc[name].geometry
        assert g.contains(shapely.Point(lon, lat)), name
        assert geodesic_km2(g) * 100 == pytest.approx(ha, rel=0.05), name   # drawn to the measured area
    # every water body over 10 ha (but the river's own reaches) holds one reservoir, and each
    # reservoir holds one of them
    pts = gpd.GeoSeries(gpd.points_from_xy(*zip(*[p for _, p in NAMED_WATER.values()], *OTHER_WATER, strict=True)),
                        crs="EPSG:4326")
    hits = np.array([[g.contains(p) for p in pts] for g in wgs["reservoirs"].geometry])
    assert (hits.sum(axis=0) == 1).all() and (hits.sum(axis=1) == 1).all()
    assert set(net.reservoirs["confidence"]) == {"indicative"}
    assert net.reservoirs["source"].str.contains("measured").all()


def test_named_barriers(net):
    b = net.barriers
    tunnel = b[b["structure"] == "tunnel"]
    assert list(tunnel["name_en"]) == ["Pingyan passage, Maluan tunnel"]
    surface = b.loc[b["name_en"] == "Pingyan passage"].geometry.iloc[0]
    assert tunnel.geometry.iloc[0].distance(surface) < 1.0   # the north portal joins the road
    # the tunnel runs under the park; its portal is outside it
    assert tunnel.geometry.iloc[0].intersects(net.ridge.loc["RG07"].geometry)
    for n in ("Shenzhen Outer Ring Expressway", "Shenzhen-Shantou Expressway (G15)", "Xiamen-Shenzhen Railway"):
        assert n in set(b["name_en"])


def test_every_feature_says_where_it_comes_from(net):
    for name in LAYER_NAMES:
        gdf = net[name]
        assert gdf["source"].str.len().min() > 10, name
        assert "surveyed" not in set(gdf["confidence"]), name
    drawn = ("ridge", "patches", "corridors", "river", "trails", "reservoirs", "barriers", "belt")
    for name in drawn:
        assert set(net[name]["confidence"]) <= {"digitized", "indicative"}, name
    assert set(net.bridges["confidence"]) == {"synthetic"}


def test_bundled_bridge_sites_sit_on_their_hosts(net):
    b = net.bridges
    assert 200 <= len(b) <= 1000
    assert b.within(net.district).all()
    layer_id = b["host_feature"].str.split(":", n=1, expand=True)
    for (layer, fid), idx in layer_id.groupby([0, 1]).groups.items():
        host = net[layer].loc[fid].geometry
        d = b.loc[idx].distance(host)
        assert (d <= 30).all(), (layer, fid, float(d.max()))
    assert set(b["host"]) == {"ditch", "interception_ditch", "culvert", "well", "pool"}


def test_layers_read_back_as_wgs84_lon_lat():
    for name in LAYER_NAMES:
        gdf = gpd.read_file(DATA / f"{name}.geojson")
        x0, y0, x1, y1 = gdf.total_bounds
        assert 113.6 < x0 and x1 < 114.7 and 22.3 < y0 and y1 < 22.9, name


def test_six_osm_subdistricts_tile_the_district(net, wgs):
    s = net.subdistricts
    assert len(s) == 6
    assert dict(zip(s["name_zh"], s["source"].str.extract(r"^osm:relation/(\d+)", expand=False).astype(int),
                    strict=True)) == SUBDISTRICTS
    assert set(s["name_en"]) == {"Pingshan", "Maluan", "Biling", "Shijing", "Kengzi", "Longtian"}
    assert set(s["confidence"]) == {"digitized"}
    # their union is the district: IoU >= 0.95 against the AMap outline, computed here on the
    # ellipsoid (geodesic areas of the WGS-84 polygons)
    union = shapely.union_all(wgs["subdistricts"].geometry.values)
    district = wgs["boundary"].geometry.iloc[0]
    iou = geodesic_km2(union.intersection(district)) / geodesic_km2(union.union(district))
    assert iou >= 0.95, iou
    # they do not overlap one another
    assert sum(geodesic_km2(g) for g in wgs["subdistricts"].geometry) == pytest.approx(geodesic_km2(union), rel=1e-3)
    # converted from GCJ-02: unconverted they would sit ~0.6 km east-south-east of the outline
    assert union.centroid.distance(district.centroid) < 0.001
