"""The habitat graph: parallel links collapse into one edge, distance links edge to edge, link distances."""

from __future__ import annotations

import math
import warnings

import pytest
import shapely
from connectivity._network import three_patches

from ecomap import connectivity as cn
from ecomap._errors import EcomapWarning


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
    # V = 3, L = 1, P = 2: 2V − 5P = −4, no circuit possible, so α is undefined (it was −1/1 = −1)
    assert math.isnan(r.summary["alpha"])
    from ecomap.report import connectivity_text

    assert "alpha — (undefined: 2V - 5P = -4 <= 0)   beta 0.333" in connectivity_text(r)
    assert cn.alpha_undefined_reason(3, 1) == "" and cn.alpha_undefined_reason(5, 2) == " (undefined: 2V - 5P = 0 <= 0)"
    assert r.corridors["length_m"].iloc[0] == pytest.approx(2000)
    r = cn.analyse(net, links="distance", threshold=2600, landscape_area_km2=10)
    assert r.summary["iic"] == pytest.approx(6 / 25)


# ---------------------------------------------------------------------------------------------
# one rule for a corridor's link distance: its cost length where given, else metres, with a warning
def test_missing_cost_length_warns_and_takes_the_length_in_metres():
    net = three_patches()
    c23_m = float(shapely.length(net.corridors.geometry["C23"]))   # 7000 - 4414 = 2586 m
    with pytest.warns(EcomapWarning, match="no cost length for corridors C23"):
        r = cn.analyse(net, landscape_area_km2=10, cost_lengths={"C12": 1000.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error", EcomapWarning)
        full = cn.analyse(net, landscape_area_km2=10, cost_lengths={"C12": 1000.0, "C23": c23_m})
    assert r.corridors.loc["C23", "distance"] == pytest.approx(2586.0)
    assert r.corridors.loc["C12", "distance"] == 1000.0
    assert r.summary["pc"] == full.summary["pc"]
    assert r.corridors["dPC"].tolist() == full.corridors["dPC"].tolist()


def test_a_restored_corridor_takes_its_distance_by_the_same_rule():
    """A broken corridor's restore_dPC: a NaN cost length means metres, as in the graph."""
    net = three_patches()
    c = net.corridors.copy()
    c.loc["C23", "status"] = "broken"
    net = net.replace(corridors=c)
    c23_m = float(shapely.length(net.corridors.geometry["C23"]))
    with pytest.warns(EcomapWarning, match="C23"):
        nan = cn.analyse(net, landscape_area_km2=10, median_dispersal=1000,
                         cost_lengths={"C12": 1000.0, "C23": math.nan})
    given = cn.analyse(net, landscape_area_km2=10, median_dispersal=1000,
                       cost_lengths={"C12": 1000.0, "C23": c23_m})
    # by hand: PC_num 14 + 2(2 0.5) = 16 before; with C23 at 2586 m, p23 = 2^-2.586
    p23 = 2 ** (-c23_m / 1000)
    after = 14 + 2 * (2 * 0.5 + 6 * p23 + 3 * 0.5 * p23)
    assert given.corridors.loc["C23", "restore_dPC"] == pytest.approx(100 * (after - 16) / 16)
    assert nan.corridors.loc["C23", "restore_dPC"] == pytest.approx(given.corridors.loc["C23", "restore_dPC"])


# ---------------------------------------------------------------------------------------------
# PC with distance links: every pair counts (Conefor, Makurhini), or only the threshold links
def _two_squares(gap: float):
    """Two 1 km² patches ``gap`` metres apart edge to edge (attribute 1 each)."""
    import geopandas as gpd
    import pandas as pd

    from ecomap.network import Network

    p = gpd.GeoDataFrame({"kind": ["forest", "forest"], "quality": [1.0, 1.0]},
                         geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000 + gap, 0, 2000 + gap, 1000)],
                         crs="EPSG:4547", index=pd.Index(["P1", "P2"], name="id"))
    return Network({"patches": p})


def test_pc_with_distance_links_counts_every_pair_as_makurhini_does():
    # Makurhini's MK_dPCIIC (R 4.2.2, igraph) on the same input: distance matrix 1500 m,
    # attribute 1 each, A_L = 10 km², median dispersal 2000 m -> PCnum = 3.18920711500272
    net = _two_squares(1500.0)
    for thr in (1000.0, 2000.0):
        r = cn.analyse(net, links="distance", threshold=thr, landscape_area_km2=10, median_dispersal=2000)
        assert r.summary["pc"] == pytest.approx(0.0318920711500272, rel=1e-12)
        assert r.summary["pc_pairs"] == "all"
        assert r.summary["ec_pc"] ** 2 == pytest.approx(3.18920711500272, rel=1e-12)
    # only the links within the threshold: the pair 1500 m apart is not joined at 1000 m
    links_only = cn.analyse(net, links="distance", threshold=1000.0, landscape_area_km2=10,
                            median_dispersal=2000, pc_pairs="links")
    assert links_only.summary["pc"] == pytest.approx(2 / 100)
    # dPC of a patch on all pairs: removing P1 leaves a_2² = 1 of 3.189...
    r = cn.analyse(net, links="distance", threshold=1000.0, landscape_area_km2=10, median_dispersal=2000)
    assert r.patches.loc["P1", "dPC"] == pytest.approx(100 * (3.18920711500272 - 1) / 3.18920711500272)
    with pytest.raises(ValueError, match="pc_pairs must be"):
        cn.analyse(net, links="distance", threshold=1000.0, landscape_area_km2=10, pc_pairs="some")


def test_distance_link_threshold_includes_the_threshold():
    # ecomap links patches at most M apart (<=); Makurhini's IIC needs distance < M: at a gap
    # of exactly 1000 m and M = 1000 it finds them unlinked, IICnum = 2.00000012162711 (its
    # 1.2e-7 is an unconnected-pair term), which ecomap gives just below the threshold
    net = _two_squares(1000.0)
    at = cn.analyse(net, links="distance", threshold=1000.0, landscape_area_km2=10)
    assert at.summary["n_links"] == 1 and at.summary["iic"] == pytest.approx((2 + 2 * 0.5) / 100)
    below = cn.analyse(net, links="distance", threshold=999.999, landscape_area_km2=10)
    assert below.summary["n_links"] == 0
    assert below.summary["ec_iic"] ** 2 == pytest.approx(2.00000012162711, abs=2e-7)
