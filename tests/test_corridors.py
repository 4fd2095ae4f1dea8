"""Tests of ecomap.corridors: exact oracles for cost-distance and circuit theory, then the pipeline."""

from __future__ import annotations

import heapq
import math
import shutil
import subprocess
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest

from ecomap.corridors import (
    barrier_improvement,
    cost_distance,
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
