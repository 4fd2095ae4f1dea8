"""Tests of ecomap.corridors: exact oracles for cost-distance and circuit theory, then the pipeline."""

from __future__ import annotations

import heapq
import math
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from ecomap.corridors import (
    barrier_improvement,
    cost_distance,
    cost_distances,
    current_density,
    effective_resistance,
    voltage,
)

S2 = math.sqrt(2.0)

# GRASS r.cost manual, "EXAMPLES": the 6 x 7 cost grid; start at row 5, col 6 (1-based).
RCOST_GRID = np.array([
    [2, 2, 1, 1, 5, 5, 5],
    [2, 2, 8, 8, 5, 2, 1],
    [7, 1, 1, 8, 2, 2, 2],
    [8, 7, 8, 8, 8, 8, 5],
    [8, 8, 1, 1, 5, 3, 9],
    [8, 1, 1, 2, 5, 3, 9],
], dtype=float)
RCOST_START = (4, 5)
# The cumulative cost GRASS 8.2.1 r.cost prints for it (8 neighbours, no -k), to 4 decimals.
RCOST_EXPECTED = np.array([
    [21.7782, 21.1213, 20.6924, 19.6924, 16.9350, 14.8995, 13.6569],
    [19.7782, 19.1213, 21.5000, 19.5711, 15.4497, 11.9853, 10.6569],
    [21.6569, 17.6569, 17.0000, 17.5000, 12.5000, 10.5000, 9.1569],
    [21.1569, 13.6569, 12.5000, 11.5000, 7.7782, 5.5000, 5.6569],
    [15.7782, 12.5000, 8.0000, 7.0000, 4.0000, 0.0000, 6.0000],
    [13.9142, 9.4142, 8.4142, 8.5000, 5.6569, 3.0000, 8.4853],
])
# The manual's printed integer table (the values above rounded half up).
RCOST_MANUAL_INT = np.array([
    [22, 21, 21, 20, 17, 15, 14],
    [20, 19, 22, 20, 15, 12, 11],
    [22, 18, 17, 18, 13, 11, 9],
    [21, 14, 13, 12, 8, 6, 6],
    [16, 13, 8, 7, 4, 0, 6],
    [14, 9, 8, 9, 6, 3, 8],
])


def _dijkstra_by_hand(cost, start, cellsize=1.0, neighbours=8):
    """A plain heap Dijkstra over the grid, written independently of the module."""
    h, w = cost.shape
    steps = [(0, 1), (1, 0), (0, -1), (-1, 0)]
    if neighbours == 8:
        steps += [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    dist = np.full(cost.shape, np.inf)
    dist[start] = 0.0
    heap = [(0.0, start)]
    while heap:
        d, (r, c) = heapq.heappop(heap)
        if d > dist[r, c]:
            continue
        for dr, dc in steps:
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and np.isfinite(cost[rr, cc]):
                step = cellsize * (S2 if dr and dc else 1.0) * (cost[r, c] + cost[rr, cc]) / 2
                if d + step < dist[rr, cc]:
                    dist[rr, cc] = d + step
                    heapq.heappush(heap, (d + step, (rr, cc)))
    return dist


# --- cost-distance ------------------------------------------------------------------------------
def test_rcost_manual_example_every_cell():
    got = cost_distance(RCOST_GRID, [RCOST_START])
    np.testing.assert_allclose(got, RCOST_EXPECTED, atol=5e-5)
    # closed forms
    assert got[4, 5] == 0.0
    assert got[4, 4] == pytest.approx(4.0, abs=1e-12)  # west: (3 + 5) / 2
    assert got[3, 4] == pytest.approx(S2 * (3 + 8) / 2, abs=1e-12)  # north-west
    assert got[4, 6] == pytest.approx(6.0, abs=1e-12)  # east: (3 + 9) / 2
    assert got[5, 6] == pytest.approx(S2 * (3 + 9) / 2, abs=1e-12)  # south-east
    assert got[5, 5] == pytest.approx(3.0, abs=1e-12)  # south: (3 + 3) / 2
    # the manual's integer table is these values rounded half up
    np.testing.assert_array_equal(np.floor(got + 0.5).astype(int), RCOST_MANUAL_INT)


def test_cost_distance_sources_as_mask_and_cellsize():
    mask = np.zeros(RCOST_GRID.shape, dtype=bool)
    mask[RCOST_START] = True
    np.testing.assert_allclose(cost_distance(RCOST_GRID, mask, cellsize=30.0), 30.0 * RCOST_EXPECTED, atol=30 * 5e-5)


@pytest.mark.parametrize("neighbours", [4, 8])
def test_cost_distance_matches_independent_dijkstra(neighbours):
    rng = np.random.default_rng(7)
    cost = rng.uniform(1, 50, size=(13, 11))
    cost[rng.random(cost.shape) < 0.15] = np.nan
    cost[6, 5] = 3.0
    got = cost_distance(cost, [(6, 5)], cellsize=10.0, neighbours=neighbours)
    want = _dijkstra_by_hand(cost, (6, 5), cellsize=10.0, neighbours=neighbours)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # the graph built once for many sources gives the same values
    many = list(cost_distances(cost, [[(6, 5)], [(0, 0), (12, 10)]], cellsize=10.0, neighbours=neighbours))
    np.testing.assert_allclose(many[0], want, rtol=1e-12)
    both = np.minimum(_dijkstra_by_hand(cost, (0, 0), 10.0, neighbours), _dijkstra_by_hand(cost, (12, 10), 10.0, neighbours))
    np.testing.assert_allclose(many[1], both, rtol=1e-12)


def test_cost_distances_matches_rcost_and_zero_costs():
    (got,) = cost_distances(RCOST_GRID, [[RCOST_START]])
    np.testing.assert_allclose(got, RCOST_EXPECTED, atol=5e-5)
    cost = np.ones((3, 4))
    cost[:, 1] = 0.0  # zero-cost cells: steps of half a cell's cost
    (got,) = cost_distances(cost, [[(0, 0)]], neighbours=4)
    np.testing.assert_allclose(got, _dijkstra_by_hand(cost, (0, 0), neighbours=4))


def test_cost_distance_multiple_sources_is_the_minimum():
    rng = np.random.default_rng(3)
    cost = rng.uniform(1, 9, size=(9, 9))
    both = cost_distance(cost, [(0, 0), (8, 8)])
    np.testing.assert_allclose(both, np.minimum(cost_distance(cost, [(0, 0)]), cost_distance(cost, [(8, 8)])))


def test_cost_distance_impassable_cells():
    cost = np.ones((3, 5))
    cost[:, 2] = np.inf
    cost[1, 2] = np.nan
    got = cost_distance(cost, [(1, 0)])
    assert np.isinf(got[:, 2:]).all()
    assert got[1, 1] == 1.0
    with pytest.raises(ValueError, match="negative"):
        cost_distance(-np.ones((2, 2)), [(0, 0)])


@pytest.mark.skipif(shutil.which("grass") is None, reason="GRASS GIS is not installed")
def test_rcost_live_grass_matches(tmp_path):
    """Run GRASS r.cost itself on a random grid and compare every cell."""
    rng = np.random.default_rng(11)
    cost = rng.uniform(1, 20, size=(25, 30)).round(3)
    start = (12, 17)
    asc = tmp_path / "cost.asc"
    h, w = cost.shape
    asc.write_text(
        f"north: {h}\nsouth: 0\neast: {w}\nwest: 0\nrows: {h}\ncols: {w}\n"
        + "\n".join(" ".join(f"{v:.3f}" for v in row) for row in cost) + "\n"
    )
    out = tmp_path / "cum.asc"
    script = tmp_path / "run.sh"
    x, y = start[1] + 0.5, h - start[0] - 0.5
    script.write_text(
        f"r.in.ascii input={asc} output=cost --q\n"
        "g.region raster=cost\n"
        f"r.cost input=cost output=cum start_coordinates={x},{y} --q\n"
        f"r.out.ascii input=cum output={out} precision=12 --q\n"
    )
    subprocess.run(["grass", "--tmp-location", "XY", "--exec", "bash", str(script)],
                   check=True, capture_output=True, timeout=120)
    lines = out.read_text().splitlines()
    grass = np.array([[float(v) for v in ln.split()] for ln in lines[6:]])
    np.testing.assert_allclose(cost_distance(cost, [start]), grass, rtol=1e-9, atol=1e-9)


# --- effective resistance: unit-resistor grids ---------------------------------------------------
def _ones(h, w):
    return np.ones((h, w))


@pytest.mark.parametrize(("shape", "a", "b", "want"), [
    ((2, 2), (0, 0), (0, 1), Fraction(3, 4)),
    ((2, 2), (0, 0), (1, 1), Fraction(1)),
    ((3, 3), (0, 0), (2, 2), Fraction(3, 2)),
    ((3, 3), (0, 0), (1, 1), Fraction(7, 8)),
    ((3, 3), (1, 1), (0, 1), Fraction(7, 12)),
    ((3, 3), (0, 0), (0, 1), Fraction(17, 24)),
    ((3, 3), (0, 0), (0, 2), Fraction(5, 4)),
    ((1, 5), (0, 0), (0, 4), Fraction(4)),
])
@pytest.mark.parametrize("average", ["conductance", "resistance"])
def test_unit_resistor_grids(shape, a, b, want, average):
    r = effective_resistance(_ones(*shape), [a, b], neighbours=4, average=average)
    assert r[0, 1] == pytest.approx(float(want), abs=1e-12)
    assert r[1, 0] == r[0, 1]
    assert r[0, 0] == 0.0


def test_strip_averaging_conventions():
    strip = np.array([[1.0, 2.0, 3.0]])
    assert effective_resistance(strip, [(0, 0), (0, 2)], neighbours=4)[0, 1] == pytest.approx(56 / 15, abs=1e-12)
    assert effective_resistance(strip, [(0, 0), (0, 2)], neighbours=4, average="resistance")[0, 1] == pytest.approx(4.0, abs=1e-12)
    # two cells r = 2 and 4, averaged resistances: (2 + 4) / 2
    assert effective_resistance(np.array([[2.0, 4.0]]), [(0, 0), (0, 1)], neighbours=4,
                                average="resistance")[0, 1] == pytest.approx(3.0)


def test_infinite_lattice_limit_with_amg():
    n = 201
    c = n // 2
    r = effective_resistance(_ones(n, n), [(c, c), (c, c + 1)], neighbours=4, solver="amg", tol=1e-12)
    assert r[0, 1] == pytest.approx(0.5, abs=1e-4)
    assert r[0, 1] == pytest.approx(0.500014, abs=2e-6)  # the finite-size value


def _nx_resistance(res, nodes, neighbours, average):
    """Effective resistance from networkx on a graph built here from Circuitscape's rules."""
    h, w = res.shape
    g = nx.Graph()
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if neighbours == 8 else [])
    for r in range(h):
        for c in range(w):
            if not np.isfinite(res[r, c]):
                continue
            g.add_node((r, c))
            for dr, dc in steps:
                rr, cc = r + dr, c + dc
                if 0 <= rr < h and 0 <= cc < w and np.isfinite(res[rr, cc]):
                    d = S2 if dr and dc else 1.0
                    if average == "conductance":
                        cond = (1 / res[r, c] + 1 / res[rr, cc]) / (2 * d)
                    else:
                        cond = 1 / (d * (res[r, c] + res[rr, cc]) / 2)
                    g.add_edge((r, c), (rr, cc), weight=cond)
    out = np.zeros((len(nodes), len(nodes)))
    for i, a in enumerate(nodes):
        for j, b in enumerate(nodes):
            if i != j:
                out[i, j] = nx.resistance_distance(g, a, b, weight="weight", invert_weight=False)
    return out


@pytest.mark.parametrize("neighbours", [4, 8])
@pytest.mark.parametrize("average", ["conductance", "resistance"])
def test_effective_resistance_matches_networkx(neighbours, average):
    rng = np.random.default_rng(5)
    res = rng.uniform(0.5, 20, size=(9, 10))
    nodes = [(0, 0), (8, 9), (4, 4), (2, 7)]
    got = effective_resistance(res, nodes, neighbours=neighbours, average=average)
    np.testing.assert_allclose(got, _nx_resistance(res, nodes, neighbours, average), rtol=1e-9)


def test_symmetry_triangle_inequality_and_amg_agrees():
    rng = np.random.default_rng(9)
    res = rng.lognormal(1.0, 1.0, size=(40, 45))
    res[rng.random(res.shape) < 0.1] = np.nan
    nodes = [(1, 1), (38, 43), (20, 5), (5, 40), (30, 20)]
    for n in nodes:
        res[n] = 1.0
    direct = effective_resistance(res, nodes, solver="direct")
    amg = effective_resistance(res, nodes, solver="amg", tol=1e-12)
    np.testing.assert_allclose(amg, direct, rtol=1e-7)
    np.testing.assert_array_equal(direct, direct.T)
    k = len(nodes)
    for a in range(k):
        for b in range(k):
            for c in range(k):
                assert direct[a, c] <= direct[a, b] + direct[b, c] + 1e-12


def test_disconnected_pairs_and_dropped_nodes_are_minus_one():
    res = np.ones((4, 5))
    res[:, 2] = np.nan
    r = effective_resistance(res, [(0, 0), (3, 1), (0, 4), (1, 2)])
    assert r[0, 2] == -1 and r[1, 2] == -1
    assert r[0, 1] > 0
    assert (r[3] == -1).all() and (r[:, 3] == -1).all()
    with pytest.raises(ValueError, match="> 0"):
        effective_resistance(np.array([[1.0, 0.0]]), [(0, 0), (0, 1)])


def test_focal_regions_are_short_circuited():
    # two full columns as regions on a 3 x 4 unit grid, 4-neighbour
    res = np.ones((3, 4))
    left = np.zeros((3, 4), dtype=bool)
    left[:, 0] = True
    right = np.zeros((3, 4), dtype=bool)
    right[:, 3] = True
    r = effective_resistance(res, [left, right], neighbours=4)
    # columns 0 and 3 are equipotential: three rows of 3 resistors in series, in parallel
    assert r[0, 1] == pytest.approx(1.0, abs=1e-12)


# --- current ------------------------------------------------------------------------------------
def test_kirchhoff_current_law_on_a_grid():
    """What enters at the source leaves at the ground; every other node balances."""
    rng = np.random.default_rng(2)
    res = rng.uniform(1, 10, size=(12, 14))
    src, gnd = (0, 0), (11, 13)
    v = voltage(res, src, gnd, neighbours=4)
    h, w = res.shape
    net = np.zeros(res.shape)
    for r in range(h):
        for c in range(w):
            for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < h and 0 <= cc < w:
                    g = (1 / res[r, c] + 1 / res[rr, cc]) / 2
                    net[r, c] += g * (v[r, c] - v[rr, cc])
    assert net[src] == pytest.approx(1.0, abs=1e-9)
    assert net[gnd] == pytest.approx(-1.0, abs=1e-9)
    net[src] = net[gnd] = 0.0
    assert np.abs(net).max() < 1e-9
    assert v[gnd] == 0.0
    assert v[src] == pytest.approx(effective_resistance(res, [src, gnd], neighbours=4)[0, 1], rel=1e-10)


def test_current_density_strip_and_bottleneck():
    strip = np.array([[1.0, 5.0, 2.0, 7.0]])
    cur = current_density(strip, [(0, 0), (0, 3)], neighbours=4)
    np.testing.assert_allclose(cur, 1.0, atol=1e-12)
    # two 3 x 3 blocks joined by a one-cell bridge: the whole 1 A passes through it
    res = np.full((3, 7), np.nan)
    res[:, :3] = 1.0
    res[:, 4:] = 1.0
    res[1, 3] = 2.0
    cur = current_density(res, [(0, 0), (2, 6)], neighbours=8)
    assert cur[1, 3] == pytest.approx(1.0, abs=1e-12)
    assert cur[0, 0] == pytest.approx(1.0, abs=1e-12)
    assert np.isnan(cur[0, 3])
    # cumulative over pairs: three nodes on a strip, every pair -> middle cells carry 2 A
    cur = current_density(np.ones((1, 5)), [(0, 0), (0, 2), (0, 4)], neighbours=4)
    np.testing.assert_allclose(cur, [[2, 2, 3, 2, 2]], atol=1e-12)


# --- Barrier Mapper -----------------------------------------------------------------------------
def test_barrier_improvement_on_a_walled_strip():
    res = np.ones((1, 11))
    res[0, 5] = 101.0
    a = cost_distance(res, [(0, 0)])
    b = cost_distance(res, [(0, 10)])
    assert (a + b).min() == pytest.approx(110.0)  # 8 unit steps + 2 x (1 + 101) / 2
    score = barrier_improvement(a, b, radii=[1.0])
    # restoring cells 4..6 to 1 gives LCD 10: (110 - 10) / 2 per unit restored
    assert score[0, 5] == pytest.approx(50.0)
    assert score.argmax() == 5
    assert score[0, 0] == 0.0


# --- the pipeline on small networks built in metres ------------------------------------------------
import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
from shapely.geometry import LineString, Point, Polygon, box  # noqa: E402

from ecomap._errors import InputError  # noqa: E402
from ecomap.corridors import (  # noqa: E402
    default_table_path,
    load_resistance_table,
    make_grid,
    model_corridors,
    resistance_from_landcover,
    resistance_surface,
    write_corridor_outputs,
)
from ecomap.network import Network  # noqa: E402

# multiples of 30 m, so that 30 m cells line up with the shapes below
X0, Y0 = 535020.0, 2510010.0


def _frame(rows, geoms):
    df = pd.DataFrame(rows)
    df["source"] = "test"
    df["confidence"] = "synthetic"
    return gpd.GeoDataFrame(df, geometry=list(geoms), crs="EPSG:4547").set_index("id")


def _patches(*boxes):
    return _frame([{"id": k, "kind": "forest"} for k in "ABCDEFG"[:len(boxes)]],
                  [box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes])


def _boundary(w, h):
    return _frame([{"id": "b", "adcode": "440310"}], [box(X0, Y0, X0 + w, Y0 + h)])


def _strip_network(*patch_boxes, corridors=None):
    """A 1500 m x 600 m district of plain matrix with full-height patches."""
    layers = {"boundary": _boundary(1500, 600), "patches": _patches(*patch_boxes)}
    if corridors is not None:
        layers["corridors"] = corridors
    return Network(layers)


def _corridor(cid, a, b, line, status="planned", width=60.0):
    return _frame([{"id": cid, "width_m": width, "kind": "green", "from_id": a, "to_id": b, "status": status}],
                  [LineString([(X0 + x, Y0 + y) for x, y in line])])


def test_resistance_surface_paints_every_class():
    notch = Polygon([(X0, Y0), (X0 + 3000, Y0), (X0 + 3000, Y0 + 1800), (X0 + 2700, Y0 + 1800),
                     (X0 + 2700, Y0 + 2100), (X0, Y0 + 2100)])
    bars = _frame(
        [{"id": "E1", "kind": "expressway", "permeability": 0.0, "structure": "surface"},
         {"id": "E2", "kind": "expressway", "permeability": 0.0, "structure": "tunnel"},
         {"id": "E3", "kind": "expressway", "permeability": 0.5, "structure": "surface"},
         {"id": "R1", "kind": "railway", "permeability": 0.0, "structure": "bridge"}],
        [LineString([(X0 + 1515, Y0), (X0 + 1515, Y0 + 600)]),
         LineString([(X0 + 1515, Y0 + 600), (X0 + 1515, Y0 + 900)]),
         LineString([(X0 + 1515, Y0 + 900), (X0 + 1515, Y0 + 2100)]),
         LineString([(X0 + 2000, Y0 + 300), (X0 + 2600, Y0 + 300)])])
    sites = _frame(
        [{"id": "K1", "host": "ditch", "material": "ramp", "status": "built", "installed": None},
         {"id": "K2", "host": "ditch", "material": "ramp", "status": "planned", "installed": None}],
        [Point(X0 + 1515, Y0 + 1815), Point(X0 + 1515, Y0 + 1515)])
    net = Network({
        "boundary": _frame([{"id": "b", "adcode": "440310"}], [notch]),
        "patches": _patches((150, 900, 450, 1200)),
        "ridge": _frame([{"id": "r", "kind": "forest"}], [box(X0 + 150, Y0 + 1500, X0 + 450, Y0 + 1800)]),
        "reservoirs": _frame([{"id": "w"}], [box(X0 + 600, Y0 + 150, X0 + 900, Y0 + 450)]),
        "barriers": bars,
        "bridges": sites,
    })
    r, grid = resistance_surface(net, resolution=30)
    assert grid.west == X0 and grid.north == Y0 + 2100 and grid.shape == (70, 100)

    def at(x, y):
        row, col = grid.rowcol(X0 + x, Y0 + y)
        return r[row, col]

    assert at(15, 15) == 100  # matrix
    assert at(300, 1000) == 1  # patch
    assert at(300, 1600) == 2  # ridge forest
    assert at(750, 300) == 50  # reservoir
    assert at(1515, 300) == 2000  # expressway at grade, permeability 0
    assert at(1515, 750) == 100  # tunnel section: no barrier
    assert at(1515, 1215) == 2000 * 0.5  # permeability 0.5
    assert at(2300, 315) == 1000 * 0.2  # railway on a viaduct keeps 20 %
    assert at(1515, 1815) == 20  # built escape-bridge site
    assert at(1515, 1515) == 1000  # a planned site changes nothing
    assert np.isnan(at(2850, 1950))  # outside the notched boundary


def _uniform_strip_resistance(h, k, edge=0.505, inner=0.01):
    """R between two full-height regions across k matrix columns (8 neighbours), by hand.

    Every row has the same voltage profile, so each column boundary is h orthogonal and
    2(h - 1) diagonal conductances in parallel; boundaries are in series.
    """
    def boundary(g):
        return 1.0 / (h * g + 2 * (h - 1) * g / S2)
    return 2 * boundary(edge) + (k - 1) * boundary(inner)


def test_least_cost_distance_and_resistance_by_hand(tmp_path):
    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    table = tmp_path / "flat.toml"  # a planned corridor no better than the matrix
    table.write_text(_table_text("planned = 60", "planned = 100"))
    m = model_corridors(net, resolution=30, width=1.0, table=table)
    path = m.paths.loc["A--B"]
    # two patch-matrix steps of 30 * (1 + 100) / 2 and 39 matrix steps of 30 * 100
    assert path["cwd"] == pytest.approx(2 * 30 * 101 / 2 + 39 * 30 * 100)
    assert path["euclid_m"] == pytest.approx(1200.0)
    assert path["ratio"] == pytest.approx(path["cwd"] / 1200.0)
    assert path["lcp_len_m"] == pytest.approx(41 * 30.0)
    assert bool(path["planned"]) and path["corridor_ids"] == "C01"
    # the matrix between the patches is uniform: every cell is on some least-cost path
    between = m.corridors[:, 5:45]
    np.testing.assert_allclose(between, 0.0, atol=1e-6)
    # circuit theory between the two short-circuited patches, 20 rows, 40 matrix columns
    assert path["eff_resistance"] == pytest.approx(_uniform_strip_resistance(20, 40), rel=1e-6)
    # the drawn line runs 1200 m through matrix cells of 100 per metre
    row = m.comparison.loc["C01"]
    assert row["drawn_line_cost"] == pytest.approx(120000.0)
    assert row["cost_ratio"] == pytest.approx(120000.0 / path["cwd"])
    assert row["overlap"] == pytest.approx(1.0)


def test_links_the_plan_lacks_and_links_through_a_third_patch():
    net = _strip_network((0, 0, 150, 600), (600, 0, 750, 600), (1200, 0, 1350, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (600, 315)]))
    m = model_corridors(net, resolution=30, max_cost=1e9, circuit=False)
    assert set(m.paths.index) == {"A--B", "B--C"}  # A--C runs through B: dropped
    assert m.missing_links.index.tolist() == ["B--C"]
    assert not bool(m.paths.loc["B--C", "planned"])
    # A--B follows its planned corridor (60 per metre): 2 * 30 * (1 + 60) / 2 + 14 * 30 * 60;
    # B--C crosses plain matrix: 2 * 30 * (1 + 100) / 2 + 14 * 30 * 100
    ab, bc = 1830.0 + 25200.0, 3030.0 + 42000.0
    assert m.paths.loc["A--B", "cwd"] == pytest.approx(ab)
    assert m.paths.loc["B--C", "cwd"] == pytest.approx(bc)
    # by default only links as cheap as the costliest drawn one are listed
    m2 = model_corridors(net, resolution=30, circuit=False)
    assert m2.notes["max_cost"] == pytest.approx(ab)
    assert m2.missing_links.empty
    assert "B--C" in model_corridors(net, resolution=30, circuit=False, max_cost=bc + 1).paths.index
    assert "B--C" not in model_corridors(net, resolution=30, circuit=False, max_cost=bc - 1).paths.index


def test_paths_use_the_tunnel_and_pinch_points_sit_in_the_gap():
    bars = _frame(
        [{"id": "E1", "kind": "expressway", "permeability": 0.0, "structure": "surface"},
         {"id": "E2", "kind": "expressway", "permeability": 0.0, "structure": "tunnel"},
         {"id": "E3", "kind": "expressway", "permeability": 0.0, "structure": "surface"}],
        [LineString([(X0 + 735, Y0), (X0 + 735, Y0 + 90)]),
         LineString([(X0 + 735, Y0 + 90), (X0 + 735, Y0 + 150)]),
         LineString([(X0 + 735, Y0 + 150), (X0 + 735, Y0 + 600)])])
    net = Network({"boundary": _boundary(1500, 600), "patches": _patches((0, 0, 150, 600), (1350, 0, 1500, 600)),
                   "barriers": bars})
    m = model_corridors(net, resolution=30, width=20000.0)
    line = m.paths.loc["A--B"].geometry
    crossing = line.intersection(LineString([(X0 + 735, Y0), (X0 + 735, Y0 + 600)]))
    assert Y0 + 90 <= crossing.bounds[1] <= crossing.bounds[3] <= Y0 + 150
    top = m.pinch_points.iloc[0]
    assert Y0 + 90 <= top.geometry.y <= Y0 + 150 and abs(top.geometry.x - (X0 + 735)) <= 30
    # with the tunnel filled in, restoring the road is what helps most (Barrier Mapper)
    shut = bars.assign(structure="surface")
    m = model_corridors(net.replace(barriers=shut), resolution=30, width=20000.0)
    row, col = np.unravel_index(np.nanargmax(m.barriers), m.barriers.shape)
    x, _ = m.grid.xy(row, col)
    assert abs(x - (X0 + 735)) <= 30
    assert np.nanmax(m.barriers) > 5 * np.nanmax(m.barriers[:, :15])


def _table_text(replace: str, by: str) -> str:
    text = default_table_path().read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by)


def test_resistance_table_errors_name_the_class(tmp_path):
    bad = tmp_path / "neg.toml"
    bad.write_text(_table_text("railway = 1000", "railway = -5"))
    with pytest.raises(InputError, match=r"neg.toml: class barriers.railway: resistance -5 must be > 0"):
        load_resistance_table(bad)
    missing = tmp_path / "missing.toml"
    missing.write_text(_table_text("forest = 2\n", ""))
    with pytest.raises(InputError, match=r"missing.toml: class ridge.forest has no value"):
        load_resistance_table(missing)
    word = tmp_path / "word.toml"
    word.write_text(_table_text("dam = 600", 'dam = "high"'))
    with pytest.raises(InputError, match="class barriers.dam"):
        load_resistance_table(word)
    ok = tmp_path / "ok.toml"
    ok.write_text(_table_text("dam = 600", 'dam = "impassable"'))
    assert load_resistance_table(ok).value("barriers", "dam") == math.inf


def _write_tif(path, data, crs, bounds, nodata=None):
    import rasterio
    from affine import Affine

    h, w = data.shape
    x0, y0, x1, y1 = bounds
    transform = Affine((x1 - x0) / w, 0.0, x0, 0.0, -(y1 - y0) / h, y1)
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype=data.dtype,
                       crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data, 1)
    return path


def test_landcover_in_another_crs_is_reprojected(tmp_path):
    from pyproj import Transformer

    net = _strip_network((0, 0, 150, 600))
    grid = make_grid(net.district, 30)
    to_ll = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(X0 - 300, Y0 - 300)
    lon1, lat1 = to_ll.transform(X0 + 1800, Y0 + 900)
    lonm, _ = to_ll.transform(X0 + 750, Y0 + 300)
    data = np.full((200, 400), 10, dtype="uint8")
    cols = np.linspace(lon0, lon1, 401)[:-1] + (lon1 - lon0) / 800
    data[:, cols > lonm] = 50
    tif = _write_tif(tmp_path / "lc.tif", data, "EPSG:4326", (lon0, lat0, lon1, lat1), nodata=0)
    r = resistance_from_landcover(tif, {10: 1.0, 50: 100.0}, grid)
    assert np.isfinite(r).all()
    assert (r[:, :20] == 1.0).all() and (r[:, 30:] == 100.0).all()
    # a class the table lacks, no overlap, nothing but NaN
    with pytest.raises(InputError, match="land-cover class 50 has no resistance"):
        resistance_from_landcover(tif, {10: 1.0}, grid)
    far = _write_tif(tmp_path / "far.tif", data, "EPSG:4326", (10.0, 40.0, 11.0, 41.0), nodata=0)
    with pytest.raises(InputError, match="does not overlap the study area"):
        resistance_from_landcover(far, {10: 1.0, 50: 100.0}, grid)
    nan = _write_tif(tmp_path / "nan.tif", np.full((20, 20), np.nan, dtype="float32"), "EPSG:4326",
                     (lon0, lat0, lon1, lat1))
    with pytest.raises(InputError, match="no valid land-cover cell"):
        resistance_from_landcover(nan, {10: 1.0}, grid)
    # the shipped WorldCover table through the model: tree cover 1, built-up 100
    from importlib import resources

    shipped = Path(str(resources.files("ecomap") / "landcover_worldcover.toml"))
    m = model_corridors(net, landcover=tif, reclass=shipped, circuit=False)
    assert (m.resistance[:, :20] == 1.0).all() and (m.resistance[:, 30:] == 100.0).all()
    # through the model: the reclass table from a file, negative value refused by class
    table = tmp_path / "reclass.toml"
    table.write_text("[classes]\n10 = 1\n50 = -2\n")
    with pytest.raises(InputError, match="class 50: resistance -2 must be > 0"):
        model_corridors(net, landcover=tif, reclass=table)


def test_memory_estimate_refuses_clearly():
    with pytest.raises(InputError, match=r"needs about .* GiB .* coarser resolution"):
        effective_resistance(np.ones((50, 50)), [(0, 0), (49, 49)], max_memory=1000)


def test_outputs_rasters_layers_and_overlays(tmp_path):
    import rasterio

    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    m = model_corridors(net, resolution=30, width=2000.0)
    written, overlays = write_corridor_outputs(m, tmp_path / "out")
    names = {p.name for p in written}
    assert {"resistance.tif", "cost_distance.tif", "corridors.tif", "current.tif", "barriers.tif",
            "least_cost_paths.geojson", "corridor_comparison.csv", "summary.json"} <= names
    with rasterio.open(tmp_path / "out" / "resistance.tif") as src:
        assert src.crs.to_epsg() == 4547
        np.testing.assert_array_equal(src.read(1), m.resistance.astype("float32"))
        tags = src.tags()
        assert "cost units per metre" in tags["units"]
        assert '"expressway": 2000' in tags["resistance_values"]
    with rasterio.open(tmp_path / "out" / "corridors.tif") as src:
        assert "not metres" in src.tags()["units"]
    paths = gpd.read_file(tmp_path / "out" / "least_cost_paths.geojson")
    assert paths.crs.to_epsg() == 4326 and paths["id"].tolist() == ["A--B"]
    assert {o["name"].split(" ")[0] for o in overlays} >= {"Resistance", "Least-cost", "Current"}
    for o in overlays:
        (s, w), (n, e) = o["bounds"]
        assert s < n and w < e and 114.3 < w < 114.4 and 22.6 < s < 22.8
        assert o["png"].stat().st_size > 100
        assert all(c.startswith("#") and len(c) == 7 for c in o["legend"].values())


def test_cli_and_build_step(tmp_path):
    from conftest import run_cli

    from ecomap.build import BuildContext, _step_corridors
    from ecomap.io import write_geojson

    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    data = tmp_path / "data"
    for name in ("boundary", "patches", "corridors"):
        write_geojson(net[name], data / f"{name}.geojson")
    out = tmp_path / "cli"
    assert run_cli("corridors", "--data", data, "--out", out, "--resolution", "50") == 0
    assert (out / "least_cost_paths.geojson").exists()
    # 4 neighbours, 30 m: straight along the planned corridor (60 per metre) between the patches
    four = tmp_path / "four"
    assert run_cli("corridors", "--data", data, "--out", four, "--neighbours", "4", "--no-circuit") == 0
    cwd = gpd.read_file(four / "least_cost_paths.geojson")["cwd"].iloc[0]
    assert cwd == pytest.approx(2 * 30 * (1 + 60) / 2 + 39 * 30 * 60, rel=1e-6)
    assert not (four / "current.tif").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(_table_text("default = 100", "default = -1"))
    assert run_cli("corridors", "--data", data, "--out", tmp_path / "x", "--resistance", bad) == 2
    assert not (tmp_path / "x").exists()
    assert run_cli("corridors", "--data", data, "--landcover", tmp_path / "none.tif") == 2
    ctx = BuildContext(net, tmp_path / "build")
    _step_corridors(ctx)
    res = ctx.results["corridors"]
    assert res["paths"].crs.to_epsg() == 4547
    assert {"from_id", "to_id", "cwd", "euclid_m", "ratio"} <= set(res["paths"].columns)
    assert all(o["png"].exists() and set(o) >= {"name", "png", "bounds", "legend"} for o in res["overlays"])


def test_city_extent_is_the_districts_and_the_boundary():
    net = Network({
        "boundary": _boundary(600, 600),
        "districts": _frame([{"id": "440307", "adcode": "440307"}],
                            [box(X0 + 600, Y0, X0 + 1500, Y0 + 300)]),
    })
    r, grid = resistance_surface(net, resolution=30, extent="city")
    assert grid.shape == (20, 50)
    assert np.isfinite(r[:, :20]).all()  # the district itself
    assert np.isfinite(r[10:, 20:]).all() and np.isnan(r[:10, 20:]).all()  # the neighbour, and outside
    with pytest.raises(InputError, match="extent 'town'"):
        resistance_surface(net, extent="town")


def test_a_network_without_patches_still_builds(tmp_path, minimal_data):
    from ecomap.build import BuildContext, _step_corridors
    from ecomap.network import load_network

    ctx = BuildContext(load_network(minimal_data), tmp_path / "out")
    _step_corridors(ctx)
    res = ctx.results["corridors"]
    assert res["paths"].empty and res["pinch_points"].empty
    assert [o["png"].name for o in res["overlays"]] == ["resistance.png"]
    assert (tmp_path / "out" / "corridors" / "resistance.tif").exists()
