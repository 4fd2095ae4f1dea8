"""Centrality Mapper: current-flow centrality of cores and links, by hand and against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from ecomap._errors import InputError
from ecomap.corridors import current_flow_centrality


def test_path_by_hand():
    # a -1- b -2- c: every pair's 1 A runs along the path
    c = current_flow_centrality([("a", "b"), ("b", "c")], [1.0, 2.0])
    assert c.ids == ["a", "b", "c"]
    np.testing.assert_allclose(c.links, [2.0, 2.0])  # (a,b) and (a,c) / (b,c) and (a,c)
    np.testing.assert_allclose(c.cores, [2.0, 3.0, 2.0])  # b: its two pairs and the one it carries


def test_triangle_by_hand():
    # unit triangle: 2/3 A on the direct link, 1/3 A round the other two
    c = current_flow_centrality([(1, 2), (2, 3), (1, 3)], [1.0, 1.0, 1.0], cores=[1, 2, 3, 4])
    np.testing.assert_allclose(c.links, [4 / 3] * 3)
    np.testing.assert_allclose(c.cores, [7 / 3, 7 / 3, 7 / 3, 0.0])  # 2 pairs ended + 1/3 carried
    assert c.by_core()[4] == 0.0


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_random_graphs_equal_networkx(seed):
    rng = np.random.default_rng(seed)
    g = nx.connected_watts_strogatz_graph(int(rng.integers(5, 16)), 4, 0.4, seed=seed)
    for u, v in g.edges:
        g[u][v]["w"] = rng.uniform(0.2, 5.0)  # networkx weights are conductances
    links = list(g.edges)
    c = current_flow_centrality(links, [1.0 / g[u][v]["w"] for u, v in links], cores=list(g.nodes))
    n = g.number_of_nodes()
    node = nx.current_flow_betweenness_centrality(g, normalized=False, weight="w")
    edge = nx.edge_current_flow_betweenness_centrality(g, normalized=False, weight="w")
    np.testing.assert_allclose(c.cores, [node[v] + (n - 1) for v in g.nodes], rtol=1e-9)
    np.testing.assert_allclose(c.links, [2 * edge.get((u, v), edge.get((v, u))) for u, v in links], rtol=1e-9)


def test_components_are_separate():
    # two components: pairs across them carry nothing, each one is its own network
    c = current_flow_centrality([(0, 1), (1, 2), (5, 6)], [1.0, 3.0, 2.0])
    np.testing.assert_allclose(c.cores, [2.0, 3.0, 2.0, 1.0, 1.0])
    np.testing.assert_allclose(c.links, [2.0, 2.0, 1.0])


@pytest.mark.parametrize(("links", "res", "message"), [
    ([(1, 1)], [1.0], "two different cores"),
    ([(1, 2)], [0.0], "finite and > 0"),
    ([(1, 2)], [1.0, 2.0], "1 links but 2 resistances"),
])
def test_bad_links_are_refused(links, res, message):
    with pytest.raises(InputError, match=message):
        current_flow_centrality(links, res)
    with pytest.raises(InputError, match="not among the cores"):
        current_flow_centrality([(1, 2)], [1.0], cores=[1])
