"""Connectivity indices against hand-worked examples and a brute force over all simple paths."""

from __future__ import annotations

import itertools
import json
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomap import connectivity as cn
from ecomap._errors import InputError
from ecomap.network import Network
from tests.conftest import internal_layer as layer

X0, Y0 = 536000.0, 2510000.0  # central Pingshan in EPSG:4547 metres


# ---------------------------------------------------------------------------------------------
# small networks built in code
def square(x: float, area_km2: float, y: float = 0.0) -> shapely.Polygon:
    s = math.sqrt(area_km2) * 1000
    return shapely.box(X0 + x, Y0 + y, X0 + x + s, Y0 + y + s)


def patch(pid: str, **kw) -> dict:
    return {"id": pid, "kind": "core", "quality": np.nan, "source": "t", "confidence": "synthetic", **kw}


def corridor(cid: str, a: str | None, b: str | None, **kw) -> dict:
    return {"id": cid, "width_m": 50.0, "kind": "green", "from_id": a, "to_id": b, "status": "existing",
            "source": "t", "confidence": "synthetic", **kw}


def hline(x0: float, x1: float, y: float = 500.0) -> shapely.LineString:
    return shapely.LineString([(X0 + x0, Y0 + y), (X0 + x1, Y0 + y)])


def three_patches(*, with_13: bool = False) -> Network:
    """Patches of 1, 2, 3 km² in a row; corridors 1-2 and 2-3 (and 1-3 on request)."""
    p = layer("patches", [patch("P1"), patch("P2"), patch("P3")],
              [square(0, 1), square(3000, 2), square(7000, 3)])
    rows = [corridor("C12", "P1", "P2"), corridor("C23", "P2", "P3")]
    geoms = [hline(1000, 3000), hline(4414, 7000)]
    if with_13:
        rows.append(corridor("C13", "P1", "P3"))
        geoms.append(hline(1000, 7000, y=900))
    return Network({"patches": p, "corridors": layer("corridors", rows, geoms)})


# ---------------------------------------------------------------------------------------------
# hand-worked oracles
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


def test_structure_indices_of_a_network_count_distinct_pairs():
    # a square with one diagonal: V = 4, L = 5 -> alpha = 2/3, gamma = 5/6
    g = cn.Graph.from_links([1, 1, 1, 1], [("a", 0, 1, 1), ("b", 1, 2, 1), ("c", 2, 3, 1),
                                           ("d", 3, 0, 1), ("e", 0, 2, 1), ("e2", 2, 0, 5)])
    assert len(g.edges) == 5
    s = cn.structure_indices(g.n, len(g.edges))
    assert s["alpha"] == pytest.approx(2 / 3) and s["gamma"] == pytest.approx(5 / 6)


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


def test_gravity_column_uses_patch_areas_in_hectares():
    r = cn.analyse(three_patches(), landscape_area_km2=10, cost_lengths={"C12": 1000, "C23": 4000})
    # C23 is the longest: D = 1; areas 2 km² = 200 ha and 3 km² = 300 ha
    assert r.corridors.loc["C23", "gravity"] == pytest.approx(math.log(200) * math.log(300))
    assert r.corridors.loc["C12", "gravity"] == pytest.approx(math.log(100) * math.log(200) * 16)
    assert r.summary["gravity_area_unit"] == "ha"


def test_betweenness_of_a_chain():
    r = cn.analyse(three_patches(), landscape_area_km2=10)
    assert r.patches["betweenness"].tolist() == pytest.approx([0, 1, 0])
    # each link of a 3-chain lies on 2 of the 3 pairs' paths
    assert r.corridors["betweenness"].tolist() == pytest.approx([2 / 3, 2 / 3])


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


def test_distance_links_edge_to_edge():
    # squares of 1, 2, 3 km² starting at x = 0, 3000, 7000: gaps 2000 m (1-2) and 2586 m (2-3)
    net = three_patches()
    r = cn.analyse(net, links="distance", threshold=2100, landscape_area_km2=10)
    assert r.summary["n_links"] == 1 and r.summary["components"] == 2
    assert r.corridors["length_m"].iloc[0] == pytest.approx(2000)
    r = cn.analyse(net, links="distance", threshold=2600, landscape_area_km2=10)
    assert r.summary["iic"] == pytest.approx(6 / 25)


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


def test_scenario_remove_and_add(tmp_path):
    net = three_patches()
    sc = cn.scenario(net, remove=["C23"], landscape_area_km2=10)
    t = sc.table
    assert t.loc["iic", "before"] == pytest.approx(0.24)
    assert t.loc["iic", "after"] == pytest.approx((14 + 2) / 100)
    assert t.loc["n_links", "change"] == -1
    # add the 2-3 corridor back from a GeoJSON file (WGS-84)
    line = gpd.GeoSeries([hline(4414, 7000)], crs="EPSG:4547").to_crs("EPSG:4326").iloc[0]
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "NEW1", "from_id": "P2", "to_id": "P3"},
        "geometry": shapely.geometry.mapping(line)}]}))
    sc = cn.scenario(net.replace(corridors=net.corridors.drop(index="C23")), add=path,
                     landscape_area_km2=10)
    assert sc.table.loc["iic", "after"] == pytest.approx(0.24)
    assert sc.added == ["NEW1"]


def test_scenario_infers_ends_of_an_added_corridor(tmp_path):
    """A planned corridor without from_id/to_id gets its ends from the patches it touches."""
    net = three_patches()
    line = gpd.GeoSeries([hline(1000, 7000, y=200)], crs="EPSG:4547").to_crs("EPSG:4326").iloc[0]
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(line)}]}))
    sc = cn.scenario(net, add=path, landscape_area_km2=10)
    assert sc.table.loc["n_links", "after"] == 3
    assert sc.after.corridors.loc["ADD1", "from_id"] == "P1"
    assert sc.after.corridors.loc["ADD1", "to_id"] == "P3"


def test_bad_input_is_one_clear_error(tmp_path):
    net = three_patches()
    with pytest.raises(InputError, match="unknown id 'C99'"):
        cn.scenario(net, remove=["C99"], landscape_area_km2=10)
    with pytest.raises(InputError, match="median dispersal"):
        cn.analyse(net, median_dispersal=-5, landscape_area_km2=10)
    with pytest.raises(InputError, match="threshold"):
        cn.analyse(net, links="distance", threshold=-1, landscape_area_km2=10)
    with pytest.raises(InputError, match="landscape area"):
        cn.analyse(net)  # no boundary, no --landscape-area
    p = tmp_path / "point.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "X1"},
        "geometry": {"type": "Point", "coordinates": [114.35, 22.69]}}]}))
    with pytest.raises(InputError, match=r"point.geojson: feature X1: geometry type Point"):
        cn.scenario(net, add=p, landscape_area_km2=10)


def test_json_shape():
    r = cn.analyse(three_patches(), landscape_area_km2=10)
    d = json.loads(r.to_json())
    for k in ("iic", "pc", "ec_pc", "alpha", "beta", "gamma", "components"):
        assert k in d
    assert {"id", "area_km2", "dIIC", "dPC", "dPC_intra", "dPC_flux", "dPC_connector",
            "betweenness"} <= set(d["patches"][0])
    assert {"id", "length_m", "dIIC", "dPC", "gravity", "bridges", "gaps", "trail_m"} <= set(d["corridors"][0])
    assert d["gaps"] == []


# ---------------------------------------------------------------------------------------------
# brute force over all simple paths, on random small graphs
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


# ---------------------------------------------------------------------------------------------
# the command, the build steps and the report
@pytest.fixture
def chain_folder(tmp_path):
    """The three-patch chain as a WGS-84 data folder, with a boundary around it."""
    from ecomap.io import write_geojson

    net = three_patches()
    c = net.corridors.copy()
    c["name_en"] = ["<script>alert(1)</script>", "plain & simple"]
    b = layer("boundary", [{"id": "440310", "adcode": "440310", "source": "t", "confidence": "synthetic"}],
              [shapely.box(X0 - 1000, Y0 - 1000, X0 + 10000, Y0 + 3000)])
    folder = tmp_path / "data"
    for name, gdf in {"patches": net.patches, "corridors": c, "boundary": b}.items():
        write_geojson(gdf, folder / f"{name}.geojson")
    return folder


def test_cli_json_matches_the_hand_worked_chain(chain_folder, capsys):
    from conftest import run_cli

    assert run_cli("connectivity", "--data", chain_folder, "--landscape-area", "10", "--json") == 0
    d = json.loads(capsys.readouterr().out)
    assert d["iic"] == pytest.approx(6 / 25, rel=1e-5)
    assert d["components"] == 1 and d["alpha"] == 0
    p2 = next(p for p in d["patches"] if p["id"] == "P2")
    assert p2["dIIC"] == pytest.approx(100 * 14 / 24, rel=1e-5)


def test_cli_table_and_scenario(chain_folder, capsys):
    from conftest import run_cli

    assert run_cli("connectivity", "--data", chain_folder) == 0
    out = capsys.readouterr().out
    assert "IIC" in out and "Corridors by importance" in out and "C23" in out
    assert run_cli("connectivity", "--data", chain_folder, "--landscape-area", "10", "--remove", "C23",
                   "--json") == 0
    d = json.loads(capsys.readouterr().out)
    assert d["indices"]["iic"]["before"] == pytest.approx(0.24, rel=1e-5)
    assert d["indices"]["iic"]["after"] == pytest.approx(0.16, rel=1e-5)


@pytest.mark.parametrize(("args", "message"), [
    (["--remove", "C07,C99"], "unknown id 'C07'"),
    (["--median-dispersal", "-5"], "median dispersal distance (m) must be more than 0"),
    (["--links", "distance"], "needs --threshold"),
    (["--links", "distance", "--threshold", "-3"], "threshold must be 0 or more"),
    (["--landscape-area", "0"], "landscape area"),
    (["--cover-distance", "-1"], "cover distance must be a distance of 0 m or more"),
])
def test_cli_bad_input_exits_2_with_one_line(chain_folder, capsys, args, message):
    from conftest import run_cli

    assert run_cli("connectivity", "--data", chain_folder, *args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_cli_add_file_with_wrong_geometry(chain_folder, tmp_path, capsys):
    from conftest import run_cli

    p = tmp_path / "site.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "S1"},
        "geometry": {"type": "Point", "coordinates": [114.35, 22.69]}}]}))
    assert run_cli("connectivity", "--data", chain_folder, "--add", p) == 2
    err = capsys.readouterr().err.strip()
    assert "site.geojson: feature S1: geometry type Point" in err and len(err.splitlines()) == 1


def test_build_steps_write_the_report(chain_folder, tmp_path):
    from ecomap.build import STEPS, BuildContext, _step_connectivity, _step_report
    from ecomap.network import load_network

    names = [n for n, _ in STEPS]
    assert names.index("layers") < names.index("connectivity") < names.index("report") < names.index("provenance")
    ctx = BuildContext(load_network(chain_folder), tmp_path / "out", {"landscape_area_km2": 10})
    _step_connectivity(ctx)
    _step_report(ctx)
    rep = tmp_path / "out" / "report"
    assert {p.name for p in ctx.written} >= {"connectivity.json", "index.html", "corridor_importance.png",
                                             "dpc_fractions.png", "gaps.geojson"}
    d = json.loads((rep / "connectivity.json").read_text())
    assert d["iic"] == pytest.approx(0.24, rel=1e-5)
    assert isinstance(ctx.results["connectivity"], cn.ConnectivityResult)
    page = (rep / "index.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "plain &amp; simple" in page
    for png in ("corridor_importance.png", "dpc_fractions.png"):
        data = (rep / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert not list(rep.glob(".*"))  # no temporary files left behind


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 25).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(1, 100)),
                         min_size=1, max_size=50))))
def test_betweenness_matches_brandes(case):
    """The tree-counting betweenness against networkx's Brandes algorithm (ties fall back to it)."""
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
