"""The compiled removal importance against removing each patch and link and recomputing with networkx."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from ecomap import connectivity as cn


def random_case(seed: int):
    """Several components, parallel links, tied lengths (multiples of 100 m), isolated patches."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 12, rng.integers(2, 5))
    a = rng.uniform(0.1, 3.0, int(sizes.sum()))
    links, start = [], 0
    for size in sizes:
        nodes = np.arange(start, start + size)
        start += size
        for _ in range(int(rng.integers(size, 3 * size + 1))):
            u, v = rng.choice(nodes, 2) if size > 1 else (nodes[0], nodes[0])
            if u != v:
                links.append((int(u), int(v), 100.0 * int(rng.integers(1, 5))))
    if links:   # a parallel link: one as long as another, one longer
        u, v, d = links[int(rng.integers(len(links)))]
        links.append((v, u, d + 100.0 * int(rng.integers(0, 2))))
    return a, links


def naive_num(a, links, kind: str, theta: float, *, drop_node=None, drop_link=None) -> float:
    """Σ Σ a_i a_j v_ij with networkx after dropping a node or one link."""
    g = nx.Graph()
    g.add_nodes_from(range(len(a)))
    for k, (u, v, d) in enumerate(links):
        if k == drop_link or drop_node in (u, v):
            continue
        if not g.has_edge(u, v) or g[u][v]["weight"] > d:
            g.add_edge(u, v, weight=d)
    aa = np.array(a, dtype=float)
    if drop_node is not None:
        aa[drop_node] = 0.0
    total = 0.0
    if kind == "iic":
        lengths = dict(nx.all_pairs_shortest_path_length(g))
        for i, row in lengths.items():
            total += sum(aa[i] * aa[j] / (1.0 + h) for j, h in row.items())
    else:
        lengths = dict(nx.all_pairs_dijkstra_path_length(g, weight="weight"))
        for i, row in lengths.items():
            total += sum(aa[i] * aa[j] * math.exp(-theta * dd) for j, dd in row.items())
    return total


@pytest.mark.parametrize("seed", range(12))
def test_every_removal_matches_recomputing_with_networkx(seed):
    a, links = random_case(seed)
    median = 700.0
    theta = math.log(2) / median
    g = cn.Graph.from_links(a, [(f"L{k}", u, v, d) for k, (u, v, d) in enumerate(links)])
    for kind in ("iic", "pc"):
        r = cn.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=median)
        base = naive_num(a, links, kind, theta)
        assert r.num == pytest.approx(base, rel=1e-12)
        for k in range(len(a)):
            want = 100 * (base - naive_num(a, links, kind, theta, drop_node=k)) / base
            assert r.nodes["d"].iloc[k] == pytest.approx(want, abs=1e-9), (kind, k)
        for k in range(len(links)):
            want = 100 * (base - naive_num(a, links, kind, theta, drop_link=k)) / base
            assert r.links.iloc[k] == pytest.approx(want, abs=1e-9), (kind, f"L{k}")
