"""Removal importance against a hand-worked chain, a brute force over all simple paths and full recomputation."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
from connectivity._network import three_patches
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomap import connectivity as cn


def test_three_patch_chain_iic_and_diic_fractions():
    """Areas 1, 2, 3; A_L = 10; links 1-2, 2-3: IIC = 6/25, dIIC_2 = 58.33 = 16.67 + 33.33 + 8.33."""
    g = cn.build_graph(three_patches())
    r = cn.removal_importance(g, kind="iic", landscape_area=10.0)
    assert r.value == pytest.approx(6 / 25)
    mid = r.nodes.loc["P2"]
    assert mid["d"] == pytest.approx(100 * 14 / 24)          # 58.333: IIC 0.24 -> 0.10
    assert mid["intra"] == pytest.approx(100 * 4 / 24)       # 16.667
    assert mid["flux"] == pytest.approx(100 * 8 / 24)        # 33.333: 2(1*2 + 3*2)/2 / 24
    assert mid["connector"] == pytest.approx(100 * 2 / 24)   # 8.333: pair 1-3, 2*3/3 / 24
    # an end patch: intra 1/24, flux 2*(2/2 + 3/3)/24, never a connector
    end = r.nodes.loc["P1"]
    assert end["connector"] == 0
    assert end["d"] == pytest.approx(100 * (1 + 4) / 24)
    # link 1-2 lost: pairs 1-2 (2) and 1-3 (2) of 24 -> 16.67; link 2-3: 2-3 (6) and 1-3 (2)
    assert r.links["C12"] == pytest.approx(100 * 4 / 24)
    assert r.links["C23"] == pytest.approx(100 * 8 / 24)


def brute_values(n: int, links: list[tuple[int, int, float]], theta: float):
    """nl_ij (fewest links) and p*_ij (best product) by enumerating every simple path."""
    g = nx.MultiGraph()
    g.add_nodes_from(range(n))
    for u, v, d in links:
        g.add_edge(u, v, p=math.exp(-theta * d))
    best_p = {(u, v): max(dd["p"] for dd in g.get_edge_data(u, v).values())
              for u, v in {(min(u, v), max(u, v)) for u, v, _ in links}}
    simple = nx.Graph()
    simple.add_nodes_from(range(n))
    for (u, v), p in best_p.items():
        simple.add_edge(u, v, p=p)
    hops = np.full((n, n), np.inf)
    prob = np.zeros((n, n))
    for i in range(n):
        hops[i, i], prob[i, i] = 0, 1
    for i, j in itertools.combinations(range(n), 2):
        for path in nx.all_simple_paths(simple, i, j):
            hops[i, j] = hops[j, i] = min(hops[i, j], len(path) - 1)
            pr = math.prod(simple[a][b]["p"] for a, b in itertools.pairwise(path))
            prob[i, j] = prob[j, i] = max(prob[i, j], pr)
    return hops, prob


def brute_num(a, n, links, theta, *, drop_node=None, drop_link=None):
    keep = [(u, v, d) for k, (u, v, d) in enumerate(links)
            if k != drop_link and drop_node not in (u, v)]
    hops, prob = brute_values(n, keep, theta)
    aa = np.array(a, dtype=float)
    if drop_node is not None:
        aa[drop_node] = 0
    return aa @ (1 / (1 + hops)) @ aa, aa @ prob @ aa


graphs = st.integers(2, 7).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(1, 40)),
             max_size=12).map(lambda ls: [(u, v, 100.0 * d) for u, v, d in ls if u != v]),
))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs)
def test_indices_and_removals_match_brute_force(case):
    n, a, links = case
    median = 1500.0
    theta = math.log(2) / median
    area = 1.2 * sum(a)
    g = cn.Graph.from_links(a, [(f"L{k}", u, v, d) for k, (u, v, d) in enumerate(links)])
    ri = cn.removal_importance(g, kind="iic", landscape_area=area)
    rp = cn.removal_importance(g, kind="pc", landscape_area=area, median_dispersal_m=median)
    num_i, num_p = brute_num(a, n, links, theta)
    assert ri.num == pytest.approx(num_i, rel=1e-9)
    assert rp.num == pytest.approx(num_p, rel=1e-9)
    assert 0 <= ri.value <= 1 and 0 <= rp.value <= 1
    for k in range(n):
        bi, bp = brute_num(a, n, links, theta, drop_node=k)
        assert ri.nodes["d"].iloc[k] == pytest.approx(100 * (num_i - bi) / num_i, abs=1e-7)
        assert rp.nodes["d"].iloc[k] == pytest.approx(100 * (num_p - bp) / num_p, abs=1e-7)
    for k in range(len(links)):
        bi, bp = brute_num(a, n, links, theta, drop_link=k)
        assert ri.links.iloc[k] == pytest.approx(100 * (num_i - bi) / num_i, abs=1e-7)
        assert rp.links.iloc[k] == pytest.approx(100 * (num_p - bp) / num_p, abs=1e-7)
    for r in (ri, rp):
        parts = r.nodes[["intra", "flux", "connector"]].sum(axis=1)
        assert np.allclose(r.nodes["d"], parts)
        assert (r.nodes["connector"] >= -1e-9).all()
        degree = np.bincount(np.r_[g.edges["u"], g.edges["v"]].astype(int), minlength=n)
        assert (r.nodes["connector"].to_numpy()[degree <= 1] == 0).all()


@settings(max_examples=20, deadline=None)
@given(graphs)
def test_removing_an_isolated_patch_changes_no_other_flux(case):
    n, a, links = case
    base = [(f"L{k}", u, v, d) for k, (u, v, d) in enumerate(links)]
    g = cn.Graph.from_links(a, base)
    g2 = cn.Graph.from_links([*a, 3.0], base)  # one more patch, linked to nothing
    for kind in ("iic", "pc"):
        r = cn.removal_importance(g, kind=kind, landscape_area=100.0)
        r2 = cn.removal_importance(g2, kind=kind, landscape_area=100.0)
        flux = r.nodes["flux"] * r.num
        flux2 = r2.nodes["flux"].iloc[:n] * r2.num
        assert np.allclose(flux.to_numpy(), flux2.to_numpy())
        assert r2.nodes["flux"].iloc[n] == 0 and r2.nodes["connector"].iloc[n] == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_removals_on_a_larger_graph_match_recomputing_everything(seed):
    """A 60-patch spatial graph with tied lengths: every removal against a full recomputation."""
    from scipy.sparse.csgraph import dijkstra

    rng = np.random.default_rng(seed)
    n = 60
    xy = rng.integers(0, 20, (n, 2)) * 250.0
    pairs = {(min(i, j), max(i, j)) for i in range(n)
             for j in np.argsort(np.hypot(*(xy - xy[i]).T))[:4] if j != i}
    links = [(f"L{k}", u, v, float(np.round(np.hypot(*(xy[u] - xy[v])), -2)) or 100.0)
             for k, (u, v) in enumerate(sorted(pairs))]
    a = rng.uniform(0.1, 2, n)
    g = cn.Graph.from_links(a, links)
    for kind in ("iic", "pc"):
        r = cn.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1000.0)

        def num(mat, drop=None, kind=kind):
            d = dijkstra(mat, directed=False)
            v = 1 / (1 + d) if kind == "iic" else np.exp(-math.log(2) / 1000.0 * d)
            aa = a.copy()
            if drop is not None:
                aa[drop] = 0
            return aa @ v @ aa

        weighted = kind == "pc"
        base = num(g.matrix(weighted=weighted))
        for k in range(n):
            want = 100 * (base - num(g.matrix(weighted=weighted, drop_node=k), drop=k)) / base
            assert r.nodes["d"].iloc[k] == pytest.approx(want, abs=1e-8)
        for e in range(len(g.edges)):
            want = 100 * (base - num(g.matrix(weighted=weighted, edge_distance=(e, math.inf)))) / base
            assert r.links.iloc[e] == pytest.approx(want, abs=1e-8)


def test_removals_in_a_graph_of_several_blocks_match_recomputing_everything():
    """Cycles joined by a bridge and at an articulation point, a pendant patch, ties in length:
    removals inside a block are worked out on that block alone, so check every one of them."""
    from scipy.sparse.csgraph import dijkstra

    pairs = [(0, 1, 300.0), (1, 2, 400.0), (2, 3, 300.0), (0, 3, 400.0), (0, 2, 700.0), (3, 4, 900.0),
             (4, 5, 200.0), (5, 6, 200.0), (4, 6, 400.0), (1, 7, 500.0), (7, 8, 100.0), (1, 8, 500.0),
             (6, 9, 250.0), (9, 10, 250.0), (6, 10, 500.0), (10, 11, 50.0)]
    # in the order of the graph's edges (u < v, sorted), so that link k is edge k
    links = [(f"L{k}", u, v, dist) for k, (u, v, dist) in enumerate(sorted(pairs))]
    a = [1.0, 0.5, 2.0, 1.5, 0.8, 1.2, 0.3, 0.9, 1.1, 0.6, 0.7, 2.5]
    n = len(a)
    g = cn.Graph.from_links(a, links)
    for kind in ("iic", "pc"):
        r = cn.removal_importance(g, kind=kind, landscape_area=50.0, median_dispersal_m=800.0)
        weighted = kind == "pc"

        def num(mat, drop=None, kind=kind):
            d = dijkstra(mat, directed=False)
            v = 1 / (1 + d) if kind == "iic" else np.exp(-math.log(2) / 800.0 * d)
            aa = np.array(a)
            if drop is not None:
                aa[drop] = 0
            return aa @ v @ aa

        base = num(g.matrix(weighted=weighted))
        for k in range(n):
            want = 100 * (base - num(g.matrix(weighted=weighted, drop_node=k), drop=k)) / base
            assert r.nodes["d"].iloc[k] == pytest.approx(want, abs=1e-9), (kind, k)
        for e in range(len(g.edges)):
            want = 100 * (base - num(g.matrix(weighted=weighted, edge_distance=(e, math.inf)))) / base
            assert r.links.iloc[e] == pytest.approx(want, abs=1e-9), (kind, e)
