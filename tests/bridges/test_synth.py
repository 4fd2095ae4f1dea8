"""The synthetic bridge-site generator and ``ecomap bridges synth``."""

from __future__ import annotations

import re

import numpy as np
import pytest
import shapely
from conftest import boundary_feature, common, feature, run_cli, write_layer
from scipy.spatial import cKDTree

from ecomap._errors import InputError
from ecomap.bridges import (
    DUPLICATE_DISTANCE_M,
    HOST_SHARES,
    MATERIALS,
    MIN_SPACING_M,
    STATUS_SHARES,
    synthesize,
)
from ecomap.bridges._spacing import _greedy_spaced
from ecomap.crs import transform_point
from ecomap.io import read_layer_file, to_wgs84_frame
from ecomap.layers import check_layer
from ecomap.network import load_network


def _line(*pts):
    return {"type": "LineString", "coordinates": [list(p) for p in pts]}


def _box(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


# The test district is the 2 km square 114.34-114.36, 22.68-22.70. A stream runs north-south
# along lon 114.350; a road crosses it at lat 22.686, a trail at 22.690, and a tunnel under
# it at 22.694. A park covers 114.348-114.358 x 22.692-22.698 and a reservoir lies in the
# south-west.
ROAD_X = (114.350, 22.686)
TRAIL_X = (114.350, 22.690)
TUNNEL_X = (114.350, 22.694)


@pytest.fixture
def small(tmp_path):
    d = tmp_path / "data"
    write_layer(d, "boundary", [boundary_feature()])
    write_layer(d, "river", [feature(_line((114.350, 22.699), (114.350, 22.681)), id="S1", rank="axis",
                                     parent_id=None, **common())])
    write_layer(d, "trails", [feature(_line((114.342, 22.690), (114.358, 22.690)), id="TR1", kind="hiking",
                                      **common())])
    write_layer(d, "barriers", [
        feature(_line((114.341, 22.686), (114.359, 22.686)), id="RD", kind="arterial", permeability=0.1,
                structure="surface", **common()),
        feature(_line((114.341, 22.694), (114.359, 22.694)), id="TN", kind="expressway", permeability=1.0,
                structure="tunnel", **common()),
    ])
    write_layer(d, "reservoirs", [feature(_box(114.343, 22.682, 114.346, 22.684), id="RV", **common())])
    write_layer(d, "ridge", [feature(_box(114.348, 22.692, 114.358, 22.698), id="PK", kind="country_park",
                                     **common())])
    return load_network(d)


@pytest.fixture(scope="module")
def bundled():
    return load_network()


def _xy(lon, lat):
    return shapely.Point(transform_point(lon, lat))


def test_same_seed_same_register_other_seed_another(small):
    a = synthesize(small, 500, seed=7)
    b = synthesize(small, 500, seed=7)
    c = synthesize(small, 500, seed=8)
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=0).all()
    assert not shapely.equals_exact(a.geometry.values, c.geometry.values, tolerance=1e-6).all()


def test_register_follows_the_layer_schema(small):
    sites = synthesize(small, 300, seed=1)
    assert len(sites) == 300 and sites.index.is_unique and sites.index.name == "id"
    assert sites.crs.to_epsg() == 4547
    assert check_layer(to_wgs84_frame(sites), "bridges", file="synth") == []
    assert set(sites["confidence"]) == {"synthetic"}


def test_each_site_sits_on_its_host_inside_the_district(small):
    sites = synthesize(small, 3000, seed=3)
    assert sites.within(small.district).all()
    g = sites.geometry
    trail = small.trails.loc["TR1"].geometry
    res = small.reservoirs.loc["RV"].geometry
    river = small.river.loc["S1"].geometry
    park = small.ridge.loc["PK"].geometry
    eps = 0.05
    by = sites.groupby("host").groups
    assert set(by) == set(HOST_SHARES)

    d = g[by["ditch"]].distance(trail)
    assert ((d >= 2 - eps) & (d <= 8 + eps)).all()
    assert (sites.loc[by["ditch"], "host_feature"] == "trails:TR1").all()

    d = g[by["interception_ditch"]].distance(res)           # the road is 15 m from the shore
    assert ((d >= 10 - 0.5) & (d <= 20 + 0.5)).all()
    assert (sites.loc[by["interception_ditch"], "host_feature"] == "reservoirs:RV").all()

    # culverts: on the stream, within 20 m of the road or the trail crossing; the tunnel,
    # which does not touch the ground, gets none
    cul = g[by["culvert"]]
    assert (cul.distance(river) < eps).all()
    near_road = cul.distance(_xy(*ROAD_X)) <= 20 + 0.5
    near_trail = cul.distance(_xy(*TRAIL_X)) <= 20 + 0.5
    assert (near_road | near_trail).all() and near_road.any() and near_trail.any()
    assert (cul.distance(_xy(*TUNNEL_X)) > 300).all()

    assert g[by["well"]].within(park).all()
    assert (sites.loc[by["well"], "host_feature"] == "ridge:PK").all()

    pools = g[by["pool"]]
    assert (pools.distance(river) <= 10 + eps).all() and (pools.distance(park) <= 10 + eps).all()
    assert (sites.loc[by["pool"], "host_feature"] == "river:S1").all()


def test_shares_materials_status_and_dates_on_the_bundled_network(bundled):
    # Independent draws (no spacing): 20,000 sites 10 m apart do not fit on the bundled
    # hosts at these shares (four stream crossings hold about 20 culverts).
    n = 20000
    sites = synthesize(bundled, n, seed=0, min_spacing_m=0)
    share = sites["host"].value_counts() / n
    for host, p in HOST_SHARES.items():
        assert share[host] == pytest.approx(p, abs=0.015), host
    st = sites["status"].value_counts() / n
    for s, p in STATUS_SHARES.items():
        assert st[s] == pytest.approx(p, abs=0.01), s
    for host, allowed in MATERIALS.items():
        assert set(sites.loc[sites["host"] == host, "material"]) == set(allowed), host
    planned = sites["status"] == "planned"
    assert sites.loc[planned, "installed"].isna().all()
    dates = sites.loc[~planned, "installed"]
    assert dates.notna().all() and dates.min() >= "2021-01-01" and dates.max() <= "2025-12-31"
    assert sites.within(bundled.district).all()


def test_every_bundled_host_is_within_30_m(bundled):
    sites = synthesize(bundled, 5000, seed=11)
    layer_id = sites["host_feature"].str.split(":", n=1, expand=True)
    worst = 0.0
    for (layer, fid), idx in layer_id.groupby([0, 1]).groups.items():
        d = sites.loc[idx].distance(bundled[layer].loc[fid].geometry)
        worst = max(worst, float(d.max()))
    assert worst <= 30


def test_kinds_the_network_cannot_host_are_left_out(tmp_path):
    d = tmp_path / "data"
    write_layer(d, "boundary", [boundary_feature()])
    write_layer(d, "trails", [feature(_line((114.342, 22.690), (114.358, 22.690)), id="TR1", kind="hiking",
                                      **common())])
    sites = synthesize(load_network(d), 100, seed=0)  # a 1.6 km trail holds about 200 at 10 m
    assert set(sites["host"]) == {"ditch"} and len(sites) == 100


def test_bad_requests(small, tmp_path):
    empty = synthesize(small, 0, seed=0)
    assert len(empty) == 0 and "host_feature" in empty.columns
    with pytest.raises(InputError, match="0 or more"):
        synthesize(small, -1, seed=0)
    with pytest.raises(InputError, match="nothing to place"):
        write_layer(tmp_path / "bare", "boundary", [boundary_feature()])
        synthesize(load_network(tmp_path / "bare"), 10, seed=0)


def test_cli_synth_writes_a_valid_reproducible_register(tmp_path, capsys):
    a, b = tmp_path / "a.geojson", tmp_path / "b.geojson"
    assert run_cli("bridges", "synth", "--n", "50", "--seed", "3", "--out", a) == 0
    assert run_cli("bridges", "synth", "--n", "50", "--seed", "3", "--out", b) == 0
    assert a.read_bytes() == b.read_bytes()
    # an existing file (a register, maybe a surveyed one) is replaced only with --overwrite
    before = b.read_bytes()
    assert run_cli("bridges", "synth", "--n", "5", "--seed", "3", "--out", b) == 2
    assert capsys.readouterr().err == f"ecomap: {b} already exists; give --overwrite to replace it\n"
    assert b.read_bytes() == before
    assert run_cli("bridges", "synth", "--n", "5", "--seed", "3", "--out", b, "--overwrite") == 0
    assert len(read_layer_file(b, "bridges")[0]) == 5
    gdf, problems = read_layer_file(a, "bridges")
    assert problems == [] and len(gdf) == 50
    assert check_layer(gdf, "bridges", file=str(a)) == []
    lon, lat = np.asarray(gdf.geometry.x), np.asarray(gdf.geometry.y)
    assert ((114.26 < lon) & (lon < 114.45) & (22.62 < lat) & (lat < 22.79)).all()


def test_cli_synth_rejects_bad_options(tmp_path, capsys):
    assert run_cli("bridges", "synth", "--n", "5", "--out", tmp_path / "x.txt") == 2
    assert "x.txt" in capsys.readouterr().err
    assert run_cli("bridges", "synth", "--n", "-3", "--out", tmp_path / "x.geojson") == 2
    assert not (tmp_path / "x.geojson").exists()


# --- spacing ---------------------------------------------------------------------------
def _xy_of(sites):
    return shapely.get_coordinates(sites.geometry.values)


def test_default_spacing_is_at_least_the_duplicate_distance():
    assert MIN_SPACING_M >= DUPLICATE_DISTANCE_M


def test_no_two_sites_closer_than_the_spacing_all_pairs(small):
    sites = synthesize(small, 2000, seed=5)
    xy = _xy_of(sites)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    assert d.min() > MIN_SPACING_M
    wide = _xy_of(synthesize(small, 400, seed=5, min_spacing_m=30.0))
    d = np.hypot(wide[:, None, 0] - wide[None, :, 0], wide[:, None, 1] - wide[None, :, 1])
    np.fill_diagonal(d, np.inf)
    assert d.min() > 30.0


def test_a_10000_site_register_has_no_duplicates(bundled):
    sites = synthesize(bundled, 10_000, seed=1)
    assert len(sites) == 10_000
    xy = _xy_of(sites)
    assert cKDTree(xy).query_pairs(MIN_SPACING_M) == set()
    assert cKDTree(xy).query_pairs(DUPLICATE_DISTANCE_M) == set()
    assert sites.within(bundled.district).all()


def test_without_spacing_sites_may_coincide(small):
    # the same request with spacing off stacks culverts onto two 40 m pieces of stream
    xy = _xy_of(synthesize(small, 2000, seed=5, min_spacing_m=0))
    assert len(cKDTree(xy).query_pairs(DUPLICATE_DISTANCE_M)) > 100


def test_shares_hold_among_the_kinds_with_room(bundled):
    n = 3000
    sites = synthesize(bundled, n, seed=2)
    count = sites["host"].value_counts()
    # culverts lie on the stream within 20 m of one of the crossings: at most five 10 m
    # apart on each 40 m piece of stream
    river = bundled.river.geometry.values
    crossings = shapely.intersection(shapely.union_all(river), shapely.union_all(np.r_[
        bundled.barriers[bundled.barriers["structure"] != "tunnel"].geometry.values,
        bundled.trails.geometry.values]))
    n_cross = len(shapely.get_parts(crossings))
    assert 0 < count["culvert"] <= 5 * n_cross
    rest = count.drop("culvert")
    rest_share = {k: v for k, v in HOST_SHARES.items() if k != "culvert"}
    total = sum(rest_share.values())
    for host, p in rest_share.items():
        assert rest[host] / rest.sum() == pytest.approx(p / total, abs=0.03), host


def test_too_many_sites_says_how_many_fit(small):
    with pytest.raises(InputError, match=r"holds at most about \d+ bridge sites 10 m apart"):
        synthesize(small, 50_000, seed=0)  # more than the area bound: refused before drawing
    with pytest.raises(InputError, match=r"holds only about \d+ bridge sites 10 m apart") as err:
        synthesize(small, 9_000, seed=0)
    fit = int(re.search(r"about (\d+)", str(err.value)).group(1))
    # Upper bound computed another way: disks of radius 5 m round the sites do not overlap
    # and lie within 5 m of the places the rules allow (trail ditches, the reservoir road,
    # the stream, the park).
    zone = shapely.union_all([
        small.trails.loc["TR1"].geometry.buffer(8),
        small.reservoirs.loc["RV"].geometry.buffer(20),
        small.river.loc["S1"].geometry.buffer(10),
        small.ridge.loc["PK"].geometry,
    ]).buffer(MIN_SPACING_M / 2)
    bound = zone.area / (np.pi * (MIN_SPACING_M / 2) ** 2)
    assert 0.25 * bound < fit < bound
    assert len(synthesize(small, fit // 2, seed=0)) == fit // 2


def test_bad_spacing(small):
    with pytest.raises(InputError, match="spacing"):
        synthesize(small, 10, seed=0, min_spacing_m=-1)
    with pytest.raises(InputError, match="spacing"):
        synthesize(small, 10, seed=0, min_spacing_m=float("nan"))


def test_cli_synth_min_spacing(tmp_path, capsys):
    out = tmp_path / "wide.geojson"
    assert run_cli("bridges", "synth", "--n", "300", "--seed", "4", "--min-spacing", "40", "--out", out) == 0
    gdf, problems = read_layer_file(out, "bridges")
    assert problems == [] and len(gdf) == 300
    xy = shapely.get_coordinates(gdf.to_crs(4547).geometry.values)
    assert cKDTree(xy).query_pairs(40.0 - 0.01) == set()   # 1 cm for the 7-decimal WGS-84 round trip
    big = tmp_path / "big.geojson"
    assert run_cli("bridges", "synth", "--n", "5000000", "--out", big) == 2
    # the area bound on the bundled data, quoted in the README ("at most about 561790" at 10 m)
    assert "holds at most about 561790 bridge sites 10 m apart" in capsys.readouterr().err and not big.exists()


def test_the_greedy_pass_keeps_what_a_loop_over_candidates_keeps():
    rng = np.random.default_rng(9)
    x, y = rng.uniform(0, 300, 3000), rng.uniform(0, 300, 3000)
    taken_xy = rng.uniform(0, 300, (40, 2))
    s = 10.0
    got = _greedy_spaced(x, y, shapely.STRtree(shapely.points(taken_xy)), s)
    # the rule one candidate at a time, distances to every point by brute force
    cell = s / np.sqrt(2.0)
    seen, kept = set(), [tuple(p) for p in taken_xy]
    want = np.zeros(len(x), dtype=bool)
    for k in range(len(x)):
        c = (int(np.floor(x[k] / cell)), int(np.floor(y[k] / cell)))
        if c in seen:
            continue
        seen.add(c)
        if min(np.hypot(px - x[k], py - y[k]) for px, py in kept) > s:
            want[k] = True
            kept.append((x[k], y[k]))
    assert np.array_equal(got, want) and want.sum() > 300
