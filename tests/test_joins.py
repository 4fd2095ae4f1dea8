"""Joins between layers on small layers made here, with answers known by construction."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from ecomap import joins
from ecomap._errors import InputError
from ecomap.network import Network
from tests.conftest import internal_layer as layer

X0, Y0 = 536000.0, 2510000.0


def line(*xy) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def pt(x, y) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def meta(**kw) -> dict:
    return {"source": "t", "confidence": "synthetic", **kw}


@pytest.fixture
def net() -> Network:
    """Corridor C1 runs east along y = 0 from x = 0 to 3000 (width 100 m).

    Road R1 crosses it at x = 1000 and road R2 at x = 2000; a built bridge site sits 50 m
    from the R1 crossing; R2 has nothing near. A tunnel section T1 crosses at x = 2500.
    Patches PA (x < 0) and PB (x > 3000) sit at the ends; C2 touches nothing.
    """
    patches = layer("patches", [meta(id="PA", kind="core"), meta(id="PB", kind="forest")],
                    [shapely.box(X0 - 1000, Y0 - 500, X0 - 20, Y0 + 500),
                     shapely.box(X0 + 3040, Y0 - 500, X0 + 4000, Y0 + 500)])
    corridors = layer("corridors", [
        meta(id="C1", width_m=100.0, kind="green", from_id=None, to_id="PB", status="existing"),
        meta(id="C2", width_m=20.0, kind="water", from_id=None, to_id=None, status="planned"),
    ], [line((0, 0), (3000, 0)), line((0, 5000), (1000, 5000))])
    barriers = layer("barriers", [
        meta(id="R1", kind="expressway", permeability=0.1, structure="surface"),
        meta(id="R2", kind="arterial", permeability=0.4, structure=None),
        meta(id="T1", kind="railway", permeability=0.0, structure="tunnel"),
    ], [line((1000, -800), (1000, 800)), line((2000, -800), (2000, 800)), line((2500, -800), (2500, 800))])
    bridges = layer("bridges", [
        meta(id="B1", host="culvert", material="ramp", status="built", installed="2024-05-01"),
        meta(id="B2", host="ditch", material="wood", status="planned", installed=None),
        meta(id="B3", host="pool", material="stone", status="built", installed="2023-01-01"),
        meta(id="B4", host="well", material="net", status="removed", installed=None),
    ], [pt(1000, 50), pt(2000, 30), pt(-500, 0), pt(500, 120)])
    trails = layer("trails", [meta(id="T", kind="hiking")], [line((1500, -1000), (1500, 1000))])
    return Network({"patches": patches, "corridors": corridors, "barriers": barriers,
                    "bridges": bridges, "trails": trails})


def test_crossings_and_gaps(net):
    x = joins.barrier_crossings(net)
    assert len(x) == 3
    x = x.set_index("barrier_id")
    assert x.loc["R1", "covered"] and x.loc["R1", "covered_by"] == "B1"
    assert x.loc["R1", "cover_m"] == pytest.approx(50.0)
    # the planned site B2 30 m from R2 does not cover it; the tunnel is 500 m away
    assert not x.loc["R2", "covered"]
    assert x.loc["T1", "covered"] and x.loc["T1", "covered_by"] == "T1"
    assert shapely.equals(x.loc["R2", "geometry"], pt(2000, 0))
    g = joins.gaps(net)
    assert g["barrier_id"].tolist() == ["R2"]
    assert g["kind"].tolist() == ["arterial"] and g["permeability"].tolist() == [0.4]


def test_cover_distance_is_configurable(net):
    assert len(joins.gaps(net, cover_distance_m=40)) == 2       # B1 at 50 m no longer counts
    assert len(joins.gaps(net, cover_distance_m=600)) == 0      # the tunnel 500 m from R2 does
    with pytest.raises(InputError, match="cover distance must be a distance of 0 m or more"):
        joins.gaps(net, cover_distance_m=-1)


def test_corridor_ends_inferred_within_half_width(net):
    e = joins.corridor_ends(net)
    # C1 starts 20 m from PA (half width 50 m): inferred; its end is given
    assert e.loc["C1", "from_id"] == "PA" and e.loc["C1", "from_inferred"]
    assert e.loc["C1", "from_touch_m"] == pytest.approx(20.0)
    assert e.loc["C1", "to_id"] == "PB" and not e.loc["C1", "to_inferred"]
    assert e.loc["C1", "to_touch"] == "PB"  # 40 m from PB
    assert not e.loc["C2", "touches_patch"] and e.loc["C2", "from_id"] is None
    # narrower corridor: 30 m half width no longer reaches PB at 40 m
    c = net.corridors.copy()
    c.loc["C1", "width_m"] = 60.0
    e = joins.corridor_ends(net.replace(corridors=c))
    assert e.loc["C1", "to_touch"] is None and e.loc["C1", "from_id"] == "PA"


def test_bridge_sites_serve_corridor_or_patch(net):
    s = joins.bridge_sites(net)
    assert s.loc["B1", "serves"] == "corridor" and s.loc["B1", "corridor_m"] == 0
    assert s.loc["B3", "serves"] == "patch" and s.loc["B3", "patch_id"] == "PA"
    # B4 is 120 m from the centre line: 70 m from the 100 m wide footprint
    assert s.loc["B4", "corridor_id"] == "C1" and s.loc["B4", "corridor_m"] == pytest.approx(70, abs=0.5)
    assert joins.bridge_sites(net, max_distance_m=60).loc["B4", "serves"] is None
    counts = joins.bridge_counts(net)
    assert counts["C1"] == 2 and counts["C2"] == 0  # B1, B2; B4 is removed


def test_trail_lengths_and_crossings(net):
    corr, pat = joins.trail_lengths(net)
    assert corr["C1"] == pytest.approx(100.0, rel=1e-6)   # straight across a 100 m footprint
    assert corr["C2"] == 0 and (pat == 0).all()
    x = joins.trail_crossings(net)
    assert len(x) == 1 and x["corridor_id"].iloc[0] == "C1"
    assert shapely.equals(x.geometry.iloc[0], pt(1500, 0))


def test_overlapping_barrier_counts_once_at_its_midpoint(net):
    b = layer("barriers", [meta(id="R9", kind="dam", permeability=0.0)],
              [line((100, 0), (300, 0))])
    x = joins.barrier_crossings(net.replace(barriers=b))
    assert len(x) == 1 and shapely.equals(x.geometry.iloc[0], pt(200, 0))


def test_empty_layers_give_empty_joins():
    net = Network({})
    assert joins.barrier_crossings(net).empty
    assert joins.bridge_counts(net).empty
    corr, pat = joins.trail_lengths(net)
    assert corr.empty and pat.empty
    assert np.asarray(joins.corridor_ends(net)["touches_patch"]).size == 0
