"""Graph indices against hand-worked examples and networkx: alpha/beta/gamma, gravity, betweenness."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from connectivity._network import three_patches
from hypothesis import given, settings
from hypothesis import strategies as st

from ecomap import connectivity as cn


@pytest.mark.parametrize(("v", "n_links", "alpha", "beta", "gamma"), [
    (4, 3, 0.0, 0.75, 0.5),          # a tree: no circuits
    (5, 7, 0.6, 1.4, 7 / 9),
    (10, 15, 0.4, 1.5, 0.625),
    (20, 35, 16 / 35, 1.75, 35 / 54),
])
def test_alpha_beta_gamma_by_hand(v, n_links, alpha, beta, gamma):
    s = cn.structure_indices(v, n_links)
    assert s["alpha"] == pytest.approx(alpha)
    assert s["beta"] == pytest.approx(beta)
    assert s["gamma"] == pytest.approx(gamma)


def test_alpha_gamma_undefined_below_three_nodes():
    s = cn.structure_indices(2, 1)
    assert math.isnan(s["alpha"]) and math.isnan(s["gamma"]) and s["beta"] == 0.5


def test_gravity_by_hand():
    """P_a = 0.5, S_a = 1000, P_b = 0.8, S_b = 400, L = 2000, L_max = 8000 -> 1655.5028.

    N_a = ln 1000 / 0.5 = 13.815511, N_b = ln 400 / 0.8 = 7.489331, D = 0.25.
    """
    g = cn.gravity(1000 / 1e6, 400 / 1e6, 2000, l_max=8000, resistance_a=0.5, resistance_b=0.8,
                   area_unit="m2")
    assert float(g) == pytest.approx(1655.5028, abs=1e-4)
    # the same areas in hectares: ln of 0.1 ha and 0.04 ha
    g_ha = cn.gravity(1000 / 1e6, 400 / 1e6, 2000, l_max=8000, resistance_a=0.5, resistance_b=0.8)
    assert float(g_ha) == pytest.approx(math.log(0.1) / 0.5 * math.log(0.04) / 0.8 / 0.25 ** 2)
    # scaling every length leaves G unchanged
    assert float(cn.gravity(1e-3, 4e-4, 20, l_max=80, resistance_a=0.5, resistance_b=0.8,
                            area_unit="m2")) == pytest.approx(1655.5028, abs=1e-4)


def test_betweenness_of_a_chain():
    r = cn.analyse(three_patches(), landscape_area_km2=10)
    assert r.patches["betweenness"].tolist() == pytest.approx([0, 1, 0])
    # each link of a 3-chain lies on 2 of the 3 pairs' paths
    assert r.corridors["betweenness"].tolist() == pytest.approx([2 / 3, 2 / 3])


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 25).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(1, 100)),
                         min_size=1, max_size=50))))
def test_betweenness_matches_brandes(case):
    _check_against_networkx(case)


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 30).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1),
                                   st.integers(1, 3).map(float)), min_size=1, max_size=80))))
def test_betweenness_with_many_ties_matches_brandes(case):
    """Small integer lengths: most pairs have several shortest paths, each counted by share."""
    _check_against_networkx(case)


def test_betweenness_of_a_grid_in_small_batches():
    """A 6 x 6 lattice (ties everywhere), one source per batch and all at once: the same values."""
    from ecomap.connectivity._paths import arc_arrays, brandes

    grid = nx.grid_2d_graph(6, 6)
    idx = {p: i for i, p in enumerate(grid.nodes)}
    links = [(f"L{k}", idx[a], idx[b], 1.0) for k, (a, b) in enumerate(grid.edges)]
    g = cn.Graph.from_links(np.ones(36), links)
    one = brandes(36, *arc_arrays(g, True), batch_cells=1)
    every = brandes(36, *arc_arrays(g, True))
    assert np.allclose(one[0], every[0]) and np.allclose(one[1], every[1])
    nodes, _ = cn.betweenness(g)
    ref = nx.betweenness_centrality(nx.relabel_nodes(grid, idx), normalized=True)
    assert np.allclose(nodes.to_numpy(), [ref[i] for i in range(36)])


def _check_against_networkx(case):
    """The batched, compiled Brandes against networkx's Brandes algorithm."""
    n, raw = case
    links = [(f"L{k}", u, v, d) for k, (u, v, d) in enumerate(raw) if u != v]
    if not links:
        return
    g = cn.Graph.from_links(np.ones(n), links)
    nodes, link_bc = cn.betweenness(g)
    ref = nx.Graph()
    ref.add_nodes_from(range(n))
    ref.add_weighted_edges_from(g.edges[["u", "v", "distance"]].itertuples(index=False, name=None))
    nb = nx.betweenness_centrality(ref, weight="weight", normalized=True)
    eb = nx.edge_betweenness_centrality(ref, weight="weight", normalized=True)
    assert np.allclose(nodes.to_numpy(), [nb[i] for i in range(n)])
    per_edge = link_bc.groupby([g.links["u"], g.links["v"]]).sum()
    for (u, v), val in per_edge.items():
        assert val == pytest.approx(eb.get((u, v), eb.get((v, u))))


def test_betweenness_from_the_distances_of_pc_is_the_same():
    """``analyse`` hands PC's all-pairs distances to betweenness: same values as its own Dijkstra runs."""
    grid = nx.grid_2d_graph(5, 6)       # many tied shortest paths
    idx = {p: i for i, p in enumerate(grid.nodes)}
    links = [(f"L{k}", idx[a], idx[b], 1.0 + (k % 3 == 0)) for k, (a, b) in enumerate(grid.edges)]
    g = cn.Graph.from_links(np.arange(1.0, 31.0), links)
    res = cn.removal_importance(g, kind="pc", landscape_area=1000.0)
    own_nodes, own_links = cn.betweenness(g)
    given_nodes, given_links = cn.betweenness(g, distances=res.distances)
    assert given_nodes.tolist() == own_nodes.tolist()
    assert given_links.tolist() == own_links.tolist()


@pytest.mark.parametrize(("graph", "v", "n_links", "p", "alpha"), [
    (nx.path_graph(4), 4, 3, 1, 0.0),                                  # a tree: μ = 0
    (nx.cycle_graph(5), 5, 5, 1, 1 / 5),                               # one circuit of 5 possible
    (nx.disjoint_union(nx.cycle_graph(3), nx.cycle_graph(3)), 6, 6, 2, 1.0),   # μ = 2 of 2V − 5P = 2
    (nx.disjoint_union(nx.cycle_graph(4), nx.cycle_graph(4)), 8, 8, 2, 2 / 6),
    (nx.disjoint_union(nx.path_graph(3), nx.path_graph(3)), 6, 4, 2, 0.0),     # a forest: was −1/7
    (nx.disjoint_union(nx.cycle_graph(5), nx.empty_graph(1)), 6, 5, 2, 1 / 2),  # plus an isolated node
    (nx.disjoint_union(nx.cycle_graph(4), nx.empty_graph(2)), 6, 4, 3, math.nan),  # 2V − 5P = −3
    (nx.empty_graph(5), 5, 0, 5, math.nan),                            # isolated nodes only
])
def test_alpha_counts_components_by_hand(graph, v, n_links, p, alpha):
    """α = (L − V + P)/(2V − 5P), with V, L, P counted by hand and checked with networkx."""
    assert (graph.number_of_nodes(), graph.number_of_edges(), nx.number_connected_components(graph)) \
        == (v, n_links, p)
    assert n_links - v + p == len(nx.cycle_basis(graph))             # μ is the number of independent circuits
    s = cn.structure_indices(v, n_links, p)
    if math.isnan(alpha):
        assert math.isnan(s["alpha"])
    else:
        assert s["alpha"] == pytest.approx(alpha)
        assert 0 <= s["alpha"] <= 1
    assert s["beta"] == pytest.approx(n_links / v) and s["gamma"] == pytest.approx(n_links / (3 * (v - 2)))
