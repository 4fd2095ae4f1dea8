"""The whole analysis against hand-worked examples: PC and dPC fractions, gravity column, quality, restoration, JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import shapely
from conftest import internal_layer as layer
from connectivity._network import X0, Y0, square, three_patches

from ecomap import connectivity as cn


def test_three_patch_pc_by_hand():
    """p12 = p23 = 0.5 (length = median), direct p13 = 0.1; worked in exact rationals.

    PCnum = 14 + 2(2·0.5) + 2(6·0.5) + 2(3·0.25) = 23.5, PC = 0.235, EC = √23.5.
    Without patch 2: p*13 falls back to 0.1, PCnum = 10.6. dPC_2 = 100·12.9/23.5 = 54.8936
    = intra 4/23.5 (17.0213) + flux 2(1+3)/23.5 (34.0426) + connector 2·3·(0.25−0.1)/23.5 (3.8298).
    """
    median = 1000.0
    l13 = median * math.log2(10)  # exp(-ln2 / median * l13) = 0.1
    net = three_patches(with_13=True)
    r = cn.analyse(net, median_dispersal=median, landscape_area_km2=10,
                   cost_lengths={"C12": median, "C23": median, "C13": l13})
    assert r.summary["pc"] == pytest.approx(0.235)
    assert r.summary["ec_pc"] == pytest.approx(math.sqrt(23.5))
    p2 = r.patches.loc["P2"]
    assert p2["dPC"] == pytest.approx(100 * 12.9 / 23.5)
    assert p2["dPC_intra"] == pytest.approx(100 * 4 / 23.5)
    assert p2["dPC_flux"] == pytest.approx(100 * 8 / 23.5)
    assert p2["dPC_connector"] == pytest.approx(100 * 0.9 / 23.5)
    p1 = r.patches.loc["P1"]  # 19.1489 = 4.2553 + 14.8936 + 0
    assert p1["dPC_intra"] == pytest.approx(100 * 1 / 23.5)
    assert p1["dPC_flux"] == pytest.approx(100 * 2 * (1 * 2 * 0.5 + 1 * 3 * 0.25) / 23.5)
    assert p1["dPC_connector"] == pytest.approx(0, abs=1e-12)
    assert p1["dPC"] == pytest.approx(19.1489, abs=1e-4)
    # link 1-3 carries nothing (0.1 < 0.25): no loss; link 1-2: p12 -> 0.05 (via 3), p13 -> 0.1
    c = r.corridors
    assert c.loc["C13", "dPC"] == pytest.approx(0, abs=1e-12)
    assert c.loc["C12", "dPC"] == pytest.approx(100 * (2 * 2 * (0.5 - 0.05) + 2 * 3 * (0.25 - 0.1)) / 23.5)
    assert c.loc["C12", "rank"] < c.loc["C13", "rank"]
    assert set(c["rank"]) == {1, 2, 3}


def test_gravity_column_uses_patch_areas_in_hectares():
    r = cn.analyse(three_patches(), landscape_area_km2=10, cost_lengths={"C12": 1000, "C23": 4000})
    # C23 is the longest: D = 1; areas 2 km² = 200 ha and 3 km² = 300 ha
    assert r.corridors.loc["C23", "gravity"] == pytest.approx(math.log(200) * math.log(300))
    assert r.corridors.loc["C12", "gravity"] == pytest.approx(math.log(100) * math.log(200) * 16)
    assert r.summary["gravity_area_unit"] == "ha"


def test_quality_scales_the_attribute_and_boundary_gives_landscape_area():
    net = three_patches()
    p = net.patches.copy()
    p["quality"] = [0.5, np.nan, 1.0]
    b = layer("boundary", [{"id": "B", "adcode": "440310", "source": "t", "confidence": "synthetic"}],
              [shapely.box(X0 - 1000, Y0 - 1000, X0 + 9000, Y0 + 4000)])
    r = cn.analyse(net.replace(patches=p, boundary=b))
    assert r.patches["attribute"].tolist() == pytest.approx([0.5, 2, 3])
    assert r.summary["landscape_area_km2"] == pytest.approx(50.0)
    a = np.array([0.5, 2, 3])
    assert r.summary["iic"] == pytest.approx((a @ np.array([[1, .5, 1 / 3], [.5, 1, .5], [1 / 3, .5, 1]]) @ a) / 2500)


def test_broken_corridor_left_out_and_scored_as_restoration():
    net = three_patches()
    c = net.corridors.copy()
    c.loc["C23", "status"] = "broken"
    r = cn.analyse(net.replace(corridors=c), median_dispersal=1000, landscape_area_km2=10,
                   cost_lengths={"C12": 1000, "C23": 1000})
    assert not r.corridors.loc["C23", "in_graph"] and math.isnan(r.corridors.loc["C23", "rank"])
    before = 14 + 2 * 2 * 0.5           # pairs 1-2 only
    after = 23.5                        # the whole chain
    assert r.corridors.loc["C23", "restore_dPC"] == pytest.approx(100 * (after - before) / before)
    assert r.summary["components"] == 2


def test_json_shape():
    r = cn.analyse(three_patches(), landscape_area_km2=10)
    d = json.loads(r.to_json())
    for k in ("iic", "pc", "ec_pc", "alpha", "beta", "gamma", "components"):
        assert k in d
    assert {"id", "area_km2", "dIIC", "dPC", "dPC_intra", "dPC_flux", "dPC_connector",
            "betweenness"} <= set(d["patches"][0])
    assert {"id", "length_m", "dIIC", "dPC", "gravity", "bridges", "gaps", "trail_m"} <= set(d["corridors"][0])
    assert d["gaps"] == []


def test_gravity_of_touching_patches_has_a_floor_distance():
    """With ``links="distance"`` two touching patches are 0 m apart: G uses L = 30 m, not 1e-6 m."""
    net = three_patches()
    p = net.patches.copy()
    p.loc[p.index[1], "geometry"] = square(1000, 2)   # P2 now touches P1 (P1 spans x 0-1000)
    touching = type(net)({"patches": p, "corridors": net.corridors})
    r = cn.analyse(touching, links="distance", threshold=5000, landscape_area_km2=10)
    c = r.corridors
    gaps = c["distance"].to_numpy()
    assert gaps.min() <= 1e-6   # touching (kept as a link of 1e-6 m)
    l_max = gaps.max()          # P2 to P3, 4.59 km
    g_touch = c.loc[c["distance"] <= 1e-6, "gravity"].iloc[0]
    assert g_touch == pytest.approx(math.log(100) * math.log(200) * (l_max / cn.indices.GRAVITY_MIN_LENGTH_M) ** 2)
    assert g_touch < 1e6
