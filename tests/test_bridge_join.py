"""``joins.bridge_sites`` (tree over the sites) against the join it replaced and brute force.

The reference below is the former algorithm, kept here verbatim in substance: each site
queries the footprints' (or patches') STRtree with ``dwithin``, and the nearest candidate
wins, ties going to the one the tree returned first. Distances are also checked against
``shapely.distance`` over every site x feature pair.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from ecomap import joins
from ecomap._errors import InputError
from ecomap.network import Network
from tests.conftest import internal_layer as layer

X0, Y0 = 536000.0, 2510000.0
STATUS = np.array(["built", "damaged", "planned", "removed"])


def _old_nearest(points, frame, distance):
    """The former ``_nearest_within``: a query per point into the features' tree."""
    label = np.full(len(points), None, dtype=object)
    dist = np.full(len(points), np.nan)
    ok = ~shapely.is_missing(points)
    if not ok.any() or frame.empty:
        return label, dist
    pos = np.flatnonzero(ok)
    left, right = frame.sindex.query(points[pos], predicate="dwithin", distance=distance[pos])
    if len(left) == 0:
        return label, dist
    d = shapely.distance(points[pos][left], frame.geometry.values[right])
    order = np.lexsort((d, left))
    left, right, d = left[order], right[order], d[order]
    firsts = np.unique(left, return_index=True)[1]
    label[pos[left[firsts]]] = frame.index.to_numpy()[right[firsts]]
    dist[pos[left[firsts]]] = d[firsts]
    return label, dist


def old_bridge_sites(network: Network, max_distance_m: float) -> pd.DataFrame:
    """The former ``joins.bridge_sites``."""
    b = network.bridges
    pts = b.geometry.values
    dist = np.full(len(b), float(max_distance_m))
    fp = gpd.GeoDataFrame(geometry=joins.corridor_footprints(network), crs="EPSG:4547")
    c_lab, c_d = _old_nearest(pts, fp, dist)
    p_lab, p_d = _old_nearest(pts, network.patches, dist)
    out = pd.DataFrame({"status": b["status"].to_numpy(), "corridor_id": c_lab, "corridor_m": c_d,
                        "patch_id": p_lab, "patch_m": p_d}, index=b.index)
    serves = np.where(c_lab != None, "corridor", np.where(p_lab != None, "patch", None))  # noqa: E711
    out["serves"] = pd.Series(serves, index=b.index, dtype=object)
    return out


def meta(**kw) -> dict:
    return {"source": "t", "confidence": "synthetic", **kw}


def _corridors(rng) -> gpd.GeoDataFrame:
    """Random lines, plus ties by construction: C_a/C_b parallel (footprint edges 200 m
    apart, y = 50 and 250), C_dup the same line and width as C_a, C_sq a square ring."""
    rows, geoms = [], []
    for k in range(12):
        xy = rng.uniform(0, 4000, (int(rng.integers(2, 5)), 2))
        rows.append(meta(id=f"C{k}", width_m=float(rng.choice([10, 20, 50, 100, 37.5]))))
        geoms.append(shapely.LineString(xy + (X0, Y0)))
    for cid, y in (("C_a", 0), ("C_b", 300), ("C_dup", 0)):
        rows.append(meta(id=cid, width_m=100.0))
        geoms.append(shapely.LineString([(X0 + 5000, Y0 + y), (X0 + 7000, Y0 + y)]))
    rows.append(meta(id="C_sq", width_m=20.0))
    geoms.append(shapely.LineString([(X0 + 8000, Y0), (X0 + 8400, Y0), (X0 + 8400, Y0 + 400),
                                     (X0 + 8000, Y0 + 400), (X0 + 8000, Y0)]))
    return layer("corridors", rows, geoms)


def _patches(rng) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for k in range(8):
        x, y = rng.uniform(0, 9000), rng.uniform(-500, 4000)
        w, h = rng.uniform(50, 600, 2)
        rows.append(meta(id=f"P{k}", kind="forest"))
        geoms.append(shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h))
    for pid in ("P_t1", "P_t2"):  # the same box twice: a tie for every site near it
        rows.append(meta(id=pid, kind="core"))
        geoms.append(shapely.box(X0 + 9500, Y0, X0 + 9700, Y0 + 200))
    return layer("patches", rows, geoms)


def _sites(rng, n: int) -> gpd.GeoDataFrame:
    """Uniform sites, sites on an integer grid (exact ties and exact distances), sites
    between C_a and C_b (100 m from both) and exactly 100 m outside C_a, P_t1 and C_sq."""
    xy = [rng.uniform(-200, 10000, (n, 2)) + (0, -500),
          np.c_[rng.integers(4900, 10000, n // 4), rng.integers(-200, 700, n // 4)].astype(float),
          np.c_[rng.uniform(5000, 7000, 20), np.full(20, 150.0)],
          np.c_[rng.uniform(5000, 7000, 20), np.full(20, -150.0)],
          np.c_[np.full(10, 9800.0), rng.uniform(0, 200, 10)],
          np.c_[np.full(10, 8200.0), rng.uniform(110, 290, 10)],  # inside the ring: 90 m
          np.c_[[9500.0, 9500, 9600, 9700, 9700], [0.0, 77, 200, 200, 3]],  # on P_t1's edges
          np.c_[[5000.0, 6000, 7000, 5500], [50.0, 50, -50, -50]]]  # on C_a's edges
    xy = np.vstack(xy) + (X0, Y0)
    rows = [meta(id=f"S{k}", host="ditch", material="wood", status=STATUS[k % 4],
                 installed=None) for k in range(len(xy))]
    return layer("bridges", rows, list(shapely.points(xy)))


@pytest.fixture(params=[0, 1, 2])
def random_net(request) -> Network:
    rng = np.random.default_rng(request.param)
    return Network({"corridors": _corridors(rng), "patches": _patches(rng),
                    "bridges": _sites(rng, 3000)})


def _brute(points, geoms, reach):
    d = shapely.distance(np.asarray(points)[:, None], np.asarray(geoms)[None, :])
    best = d.min(axis=1) if d.shape[1] else np.full(len(points), np.inf)
    return np.where(best <= reach, best, np.nan)


@pytest.mark.parametrize("reach", [0.0, 60.0, 100.0, 250.0])
def test_same_as_the_former_join_and_brute_force(random_net, reach):
    got = joins.bridge_sites(random_net, max_distance_m=reach)
    want = old_bridge_sites(random_net, reach)
    pd.testing.assert_frame_equal(got, want)
    pts = random_net.bridges.geometry.values
    fp = joins.corridor_footprints(random_net).values
    np.testing.assert_array_equal(got["corridor_m"].to_numpy(), _brute(pts, fp, reach))
    np.testing.assert_array_equal(got["patch_m"].to_numpy(),
                                  _brute(pts, random_net.patches.geometry.values, reach))
    counts = joins.bridge_counts(random_net, max_distance_m=reach)
    served = want[(want["serves"] == "corridor") & (want["status"] != "removed")]
    expect = served.groupby("corridor_id").size().reindex(random_net.corridors.index, fill_value=0)
    assert (counts == expect).all()


def test_the_cases_are_there(random_net):
    """The fixture does hold ties, sites inside footprints and sites exactly at reach."""
    s = joins.bridge_sites(random_net, max_distance_m=100.0)
    assert (s["corridor_m"] == 0).sum() > 50
    edge = s.iloc[-9:]  # the sites on P_t1's and C_a's edges
    assert (edge["patch_m"].iloc[:5] == 0).all() and (edge["corridor_m"].iloc[5:] == 0).all()
    assert (s["corridor_m"] == 100.0).sum() >= 40 and (s["patch_m"] == 100.0).sum() >= 10
    assert s["serves"].isna().sum() > 100 and (s["serves"] == "patch").sum() > 10
    fp = joins.corridor_footprints(random_net)
    pts = random_net.bridges.geometry.values
    d_a, d_dup = shapely.distance(pts, fp["C_a"]), shapely.distance(pts, fp["C_dup"])
    tied = (d_a == d_dup) & (d_a <= 100) & (s["corridor_id"].isin(["C_a", "C_dup"]).to_numpy())
    assert tied.sum() > 50
    mid = s.loc[[f"S{k}" for k in range(3000 + 750, 3000 + 770)]]
    assert (mid["corridor_m"] == 100.0).all() and mid["corridor_id"].isin(["C_a", "C_b", "C_dup"]).all()


def test_ties_go_to_the_features_tree_order_not_their_row_order(random_net):
    """Reversing the corridors' rows changes neither answer (same rule both ways)."""
    rev = random_net.replace(corridors=random_net.corridors.iloc[::-1])
    pd.testing.assert_frame_equal(joins.bridge_sites(rev), old_bridge_sites(rev, 100.0))


def test_empty_layers():
    rng = np.random.default_rng(5)
    c, p, b = _corridors(rng), _patches(rng), _sites(rng, 200)
    for parts in ({"corridors": c, "patches": p}, {"bridges": b}, {"bridges": b, "patches": p},
                  {"bridges": b, "corridors": c}, {}):
        net = Network(parts)
        got = joins.bridge_sites(net)
        pd.testing.assert_frame_equal(got, old_bridge_sites(net, 100.0))
        assert len(got) == len(net.bridges)


def test_no_site_within_reach():
    rng = np.random.default_rng(7)
    c, p = _corridors(rng), _patches(rng)
    far = layer("bridges", [meta(id="F1", status="built"), meta(id="F2", status="planned")],
                [shapely.Point(X0 - 9000, Y0), shapely.Point(X0 + 30000, Y0 - 9000)])
    net = Network({"corridors": c, "patches": p, "bridges": far})
    for reach in (0.0, 100.0):
        got = joins.bridge_sites(net, max_distance_m=reach)
        pd.testing.assert_frame_equal(got, old_bridge_sites(net, reach))
        assert got["serves"].isna().all() and got["corridor_m"].isna().all()


def test_a_corridor_without_width_is_refused():
    rng = np.random.default_rng(6)
    c = _corridors(rng)
    c.loc["C3", "width_m"] = None
    net = Network({"corridors": c, "patches": _patches(rng), "bridges": _sites(rng, 50)})
    with pytest.raises(InputError, match="C3"):
        joins.bridge_sites(net)
    with pytest.raises(InputError):
        joins.bridge_sites(net.replace(corridors=_corridors(rng)), max_distance_m=-1)
