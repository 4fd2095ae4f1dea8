"""Cost-distance against exact oracles: the GRASS r.cost manual's grid, a Dijkstra written here, r.cost itself."""

from __future__ import annotations

import heapq
import math
import shutil
import subprocess

import numpy as np
import pytest

from ecomap._errors import InputError
from ecomap.corridors import cost_distance, cost_distances

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
    (many,) = cost_distances(cost, [[start]])  # the compact graph, built once for many sources
    np.testing.assert_allclose(many, grass, rtol=1e-9, atol=1e-9)


def test_compact_graph_equals_the_implicit_grid_bit_for_bit():
    """The compiled Dijkstra over the implicit grid gives exactly scikit-image's MCP values (zeros, holes, edges)."""
    from skimage.graph import MCP_Geometric

    rng = np.random.default_rng(5)
    cost = rng.uniform(0, 50, size=(40, 37))
    cost[rng.random(cost.shape) < 0.1] = np.nan
    cost[rng.random(cost.shape) < 0.05] = 0.0
    for neighbours in (8, 4):
        starts = [[(0, 0)], [(20, 18), (39, 36)]]
        for src, got in zip(starts, cost_distances(cost, starts, cellsize=7.5, neighbours=neighbours), strict=True):
            passable = np.isfinite(cost)
            mcp = MCP_Geometric(np.where(passable, cost, -1.0), fully_connected=neighbours == 8, sampling=(7.5, 7.5))
            want, _ = mcp.find_costs([tuple(s) for s in src])
            want = np.where(passable, want, np.inf)
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(got, cost_distance(cost, src, cellsize=7.5, neighbours=neighbours))


def test_compact_graph_memory_per_cell():
    """One search peaks under 40 bytes a cell above the raster, result included (124 with scipy's CSR graph)."""
    import tracemalloc

    from ecomap.corridors.cost import _CostGraph

    cost = np.random.default_rng(2).uniform(1, 9, size=(400, 500))
    tracemalloc.start()
    try:
        graph = _CostGraph(cost, cellsize=10.0, neighbours=8)
        graph.distance([(200, 250)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak / cost.size < 40


# --- errors: the raster core raises ecomap's InputError (also a ValueError) ------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda: cost_distance(-np.ones((2, 2)), [(0, 0)]), "negative"),
    (lambda: cost_distance(np.ones((2, 2)), [(0, 0)], neighbours=6), "neighbours must be 4, 8 or 16"),
    (lambda: cost_distance(np.ones(3), [(0, 0)]), "2-D"),
    (lambda: cost_distance(np.ones((2, 2)), [(5, 0)]), "outside the 2 x 2 grid"),
    (lambda: list(cost_distances(np.ones((2, 2)), [[(0, 0)]], neighbours=5)), "neighbours must be 4, 8 or 16"),
    (lambda: list(cost_distances(np.full((2, 2), -1.0), [[(0, 0)]])), "negative"),
    (lambda: list(cost_distances(np.ones((2, 2)), [[(0, 2)]])), "outside"),
])
def test_bad_input_raises_input_error(call, message):
    with pytest.raises(InputError, match=message) as err:
        call()
    assert isinstance(err.value, ValueError)
