"""The habitat graph: parallel links collapse into one edge, distance links edge to edge."""

from __future__ import annotations

import pytest
from connectivity._network import three_patches

from ecomap import connectivity as cn


def test_structure_indices_of_a_network_count_distinct_pairs():
    # a square with one diagonal: V = 4, L = 5 -> alpha = 2/3, gamma = 5/6
    g = cn.Graph.from_links([1, 1, 1, 1], [("a", 0, 1, 1), ("b", 1, 2, 1), ("c", 2, 3, 1),
                                           ("d", 3, 0, 1), ("e", 0, 2, 1), ("e2", 2, 0, 5)])
    assert len(g.edges) == 5
    s = cn.structure_indices(g.n, len(g.edges))
    assert s["alpha"] == pytest.approx(2 / 3) and s["gamma"] == pytest.approx(5 / 6)


def test_distance_links_edge_to_edge():
    # squares of 1, 2, 3 km² starting at x = 0, 3000, 7000: gaps 2000 m (1-2) and 2586 m (2-3)
    net = three_patches()
    r = cn.analyse(net, links="distance", threshold=2100, landscape_area_km2=10)
    assert r.summary["n_links"] == 1 and r.summary["components"] == 2
    assert r.corridors["length_m"].iloc[0] == pytest.approx(2000)
    r = cn.analyse(net, links="distance", threshold=2600, landscape_area_km2=10)
    assert r.summary["iic"] == pytest.approx(6 / 25)
