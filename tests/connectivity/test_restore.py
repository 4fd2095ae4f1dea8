"""restore_dPC: the incremental kernel against recomputing PC_num with each corridor added."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from conftest import internal_layer as layer
from connectivity._network import X0, Y0, corridor, hline, three_patches

from ecomap import connectivity as cn
from ecomap.connectivity._common import MIN_LENGTH_M
from ecomap.connectivity._restore import pc_num, restore_gains, restore_gains_full

THETA = math.log(2) / 1000.0


def components_graph(n: int, seed: int) -> tuple[cn.Graph, np.ndarray, np.ndarray, np.ndarray]:
    """Three spatial clusters (no link between them), lengths with ties; and candidate corridors.

    The candidates: random pairs (many join two clusters), pairs already linked (a shorter,
    an equal and a longer candidate), zero-length ones, and repeated pairs.
    """
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 6000, (n, 2))
    cluster = np.arange(n) % 3
    xy[:, 0] += 20_000 * cluster
    pairs = set()
    for i in range(n):
        same = np.flatnonzero(cluster == cluster[i])
        near = same[np.argsort(np.hypot(*(xy[same] - xy[i]).T))[1:4]]
        pairs |= {(min(i, int(j)), max(i, int(j))) for j in near}
    pairs = sorted(pairs)
    length = [max(round(math.hypot(*(xy[u] - xy[v])), -2), 100.0) for u, v in pairs]
    links = [(f"L{k}", u, v, d) for k, ((u, v), d) in enumerate(zip(pairs, length, strict=True))]
    g = cn.Graph.from_links(rng.uniform(0.1, 2, n), links)
    k = 40
    u = rng.integers(0, n, k)
    v = (u + rng.integers(1, n, k)) % n
    w = rng.uniform(0, 25_000, k).round(-2)
    e = rng.integers(0, len(pairs), 6)
    pu = np.array([pairs[i][0] for i in e])
    pv = np.array([pairs[i][1] for i in e])
    pw = np.array([length[i] for i in e]) * np.array([0.5, 1.0, 2.0, 0.3, 1.0, 1.7])
    u, v, w = np.r_[u, pu, pv[:2], u[:3]], np.r_[v, pv, pu[:2], v[:3]], np.r_[w, pw, 0.0, 0.0, w[:3]]
    return g, u, v, w


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kernel_matches_recomputing_pc_num(seed):
    g, u, v, w = components_graph(45, seed)
    num = pc_num(g, THETA)
    new = restore_gains(g, u, v, w, theta=THETA)
    old = restore_gains_full(g, u, v, w, theta=THETA)
    assert np.all(new >= 0)
    assert (new > 0).sum() > 20 and (new == 0).sum() >= 2          # shortcuts and no-shortcuts both seen
    np.testing.assert_allclose(num + new, num + old, rtol=1e-12, atol=0)
    np.testing.assert_allclose(new, old, rtol=1e-9, atol=1e-12 * num)


def test_threads_do_not_change_a_bit():
    g, u, v, w = components_graph(400, 7)
    runs = [restore_gains(g, u, v, w, theta=THETA, threads=t) for t in (1, 2, 5)]
    for r in runs[1:]:
        assert np.array_equal(r, runs[0])


def test_by_hand():
    """a = 1, 2, 3; link 0-1 at 1000 m (p = 0.5), node 2 alone; median 1000 m."""
    g = cn.Graph.from_links([1.0, 2.0, 3.0], [("L01", 0, 1, 1000.0)])
    assert pc_num(g, THETA) == pytest.approx(14 + 2 * 2 * 0.5)
    u, v, w = [1, 2, 0, 1, 0], [2, 0, 1, 0, 2], [1000.0, 2000.0, 500.0, 2000.0, 0.0]
    gain = restore_gains(g, u, v, w, theta=THETA)
    # 1-2 at 1000: p12 = 0.5, p02 = 0.25; 2-0 at 2000: p02 = 0.25, p12 = 0.125
    # 0-1 at 500 (parallel, shorter): p01 = 2^-0.5; at 2000 (longer): nothing;
    # 0-2 touching: MIN_LENGTH_M (1e-6 m), p02 = 2^-1e-9, p12 = 0.5 p02
    p0 = 2 ** -(MIN_LENGTH_M / 1000)
    expect = [2 * (2 * 3 * 0.5 + 1 * 3 * 0.25), 2 * (1 * 3 * 0.25 + 2 * 3 * 0.125),
              2 * 1 * 2 * (2 ** -0.5 - 0.5), 0.0, 2 * (1 * 3 * p0 + 2 * 3 * 0.5 * p0)]
    assert gain == pytest.approx(expect, rel=1e-14)


def test_analyse_scores_left_out_corridors_and_leaves_the_others_nan():
    """Broken and planned corridors scored; a self-loop and a corridor with an unknown end stay NaN."""
    net = three_patches()
    c = net.corridors
    rows = [corridor("C12", "P1", "P2"), corridor("C23", "P2", "P3", status="broken"),
            corridor("C13", "P1", "P3", status="planned"), corridor("C22", "P2", "P2", status="broken"),
            corridor("C2X", "P2", None, status="broken")]
    geoms = [*c.geometry, hline(1000, 7000, y=900), shapely.LineString([(X0 + 3300, Y0 + 300),
                                                                        (X0 + 3600, Y0 + 600)]),
             hline(4414, 4600, y=1900)]
    net = net.replace(corridors=layer("corridors", rows, geoms))
    r = cn.analyse(net, median_dispersal=1000, landscape_area_km2=10, exclude_status=("broken", "planned"))
    cor = r.corridors
    assert math.isnan(cor.loc["C22", "restore_dPC"]) and math.isnan(cor.loc["C2X", "restore_dPC"])
    assert math.isnan(cor.loc["C12", "restore_dPC"])
    g = r.graph
    pos = {p: i for i, p in enumerate(g.nodes.index)}
    num = pc_num(g, THETA)
    for cid in ("C23", "C13"):
        u, v = pos[cor.loc[cid, "from_id"]], pos[cor.loc[cid, "to_id"]]
        old = restore_gains_full(g, [u], [v], [cor.loc[cid, "length_m"]], theta=THETA)[0]
        assert cor.loc[cid, "restore_dPC"] == pytest.approx(100 * old / num, rel=1e-12)
        assert cor.loc[cid, "restore_dPC"] > 0
