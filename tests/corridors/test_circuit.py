"""Circuit theory against exact oracles: unit-resistor grids, networkx, Kirchhoff's law, the lattice limit."""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest

from ecomap._errors import InputError
from ecomap.corridors import current_density, effective_resistance, voltage

S2 = math.sqrt(2.0)


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


def test_disconnected_pairs_and_dropped_nodes_are_minus_one_with_zero_on_the_diagonal():
    res = np.ones((4, 5))
    res[:, 2] = np.nan
    r = effective_resistance(res, [(0, 0), (3, 1), (0, 4), (1, 2)])
    assert r[0, 2] == -1 and r[1, 2] == -1
    assert r[0, 1] > 0
    # Circuitscape (src/core.jl) sets the whole diagonal to 0, a node on NoData included
    assert (r[3, :3] == -1).all() and (r[:3, 3] == -1).all() and r[3, 3] == 0
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


def test_memory_estimate_refuses_clearly():
    with pytest.raises(InputError, match=r"needs about .* GiB .* coarser resolution"):
        effective_resistance(np.ones((50, 50)), [(0, 0), (49, 49)], max_memory=1000)


# --- one pairwise loop: resistance and current from the same solves, as a dense oracle gives them --
def _dense_oracle(res, nodes, pairs):
    """Effective resistance and cumulative node current from the Laplacian's pseudo-inverse.

    Built here with numpy (8 neighbours, averaged conductances), independently of the module:
    R_ab = P_aa + P_bb - 2 P_ab and, per pair, v = P (e_a - e_b), node current
    (sum of |branch currents| + |injected|) / 2 (Circuitscape's rule).
    """
    h, w = res.shape
    cells = [(r, c) for r in range(h) for c in range(w)]
    idx = {cell: i for i, cell in enumerate(cells)}
    n = len(cells)
    lap = np.zeros((n, n))
    edges = []
    for (r, c), i in idx.items():
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            j = idx.get((r + dr, c + dc))
            if j is None:
                continue
            g = (1 / res[r, c] + 1 / res[r + dr, c + dc]) / (2 * (S2 if dr and dc else 1.0))
            lap[i, i] += g
            lap[j, j] += g
            lap[i, j] -= g
            lap[j, i] -= g
            edges.append((i, j, g))
    p = np.linalg.pinv(lap)
    ni = [idx[tuple(nd)] for nd in nodes]
    reff = np.array([[p[a, a] + p[b, b] - 2 * p[a, b] for b in ni] for a in ni])
    total = np.zeros(n)
    for a, b in pairs:
        s = np.zeros(n)
        s[ni[a]], s[ni[b]] = 1.0, -1.0
        v = p @ s
        acc = np.abs(s)
        for i, j, g in edges:
            acc[i] += abs(g * (v[i] - v[j]))
            acc[j] += abs(g * (v[i] - v[j]))
        total += acc / 2
    return reff, total.reshape(h, w)


def test_one_pairwise_loop_matches_a_dense_oracle_and_every_caller_uses_it():
    from ecomap.corridors.circuit import _pairwise

    rng = np.random.default_rng(12)
    res = rng.uniform(1, 10, size=(8, 9))
    nodes = [(0, 0), (7, 8), (3, 5), (6, 1)]
    pairs = [(0, 1), (1, 2), (3, 0)]
    want_r, want_c = _dense_oracle(res, nodes, pairs)
    reff, current = _pairwise(res, nodes, pairs=pairs, resistances=True, neighbours=8, average="conductance",
                              solver="direct", tol=1e-10, max_memory=None, progress=False)
    np.testing.assert_allclose(reff, want_r, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(current, want_c, rtol=1e-9)
    # the public functions are that loop: the same numbers, bit for bit
    np.testing.assert_array_equal(effective_resistance(res, nodes, solver="direct"), reff)
    np.testing.assert_array_equal(current_density(res, nodes, pairs=pairs, solver="direct"), current)
    v = voltage(res, nodes[0], nodes[1], solver="direct")
    assert v[nodes[0]] == pytest.approx(reff[0, 1], rel=1e-12)


def test_pairs_the_circuit_cannot_connect_add_nothing():
    from ecomap.corridors.circuit import _circuit, _component_potentials, _solvable_pairs

    res = np.ones((3, 5))
    res[:, 2] = np.nan
    nodes = [(0, 0), (2, 1), (0, 4), (1, 2)]  # node 2 lies across the gap, node 3 on a dropped cell
    circ = _circuit(res, nodes, neighbours=8, average="conductance")
    comp, _ = _component_potentials(circ, solver="direct", tol=1e-10)
    asked = [(0, 1), (0, 0), (0, 2), (1, 3), (3, 3), (1, 0)]
    assert list(_solvable_pairs(circ, comp, asked)) == [(0, 1), (1, 0)]
    # a node paired with itself adds nothing (it used to add 1 A at the node in the model's copy)
    np.testing.assert_array_equal(current_density(res, nodes, pairs=asked),
                                  current_density(res, nodes, pairs=[(0, 1), (1, 0)]))
    np.testing.assert_allclose(current_density(res, nodes, pairs=asked),
                               2 * current_density(res, nodes, pairs=[(0, 1)]), rtol=1e-12)
    assert np.isnan(voltage(res, nodes[0], nodes[2])).all()


# --- errors and warnings ------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "message"), [
    (lambda: effective_resistance(np.ones((3, 3)), [(0, 0), (2, 2)], average="median"), "average must be"),
    (lambda: effective_resistance(np.ones((3, 3)), [(0, 0), (2, 2)], solver="lu"), "solver must be"),
    (lambda: effective_resistance(np.ones((3, 3)), [(0, 0), (2, 2)], neighbours=6), "neighbours must be 4 or 8"),
    (lambda: effective_resistance(np.ones(3), [(0,), (2,)]), "2-D"),
    (lambda: effective_resistance(np.ones((3, 3)), [(0, 0), (3, 3)]), "outside the 3 x 3 grid"),
    (lambda: effective_resistance(np.ones((3, 3)), [(0, 0), (2, 2)], regions="some"), "regions must be"),
    (lambda: effective_resistance(np.ones((3, 3)), [(0, 0), (0, 1, 2)]), "give \\(row, col\\)"),
    (lambda: current_density(np.zeros((3, 3)), [(0, 0), (2, 2)]), "> 0"),
    (lambda: voltage(np.ones((3, 3)), (0, 0), (2, 2), average="x"), "average must be"),
])
def test_bad_input_raises_input_error(call, message):
    with pytest.raises(InputError, match=message) as err:
        call()
    assert isinstance(err.value, ValueError)


def test_amg_that_stops_above_its_tolerance_warns():
    from ecomap import EcomapWarning

    rng = np.random.default_rng(4)
    res = rng.lognormal(0.0, 2.0, size=(40, 40))
    nodes = [(0, 0), (39, 39)]
    with pytest.warns(EcomapWarning, match="AMG-CG did not converge"):
        loose = effective_resistance(res, nodes, solver="amg", tol=1e-30)  # beyond double precision
    direct = effective_resistance(res, nodes, solver="direct")
    np.testing.assert_allclose(loose, direct, rtol=1e-6)  # the value is still there, only flagged
    with warnings.catch_warnings():
        warnings.simplefilter("error", EcomapWarning)
        effective_resistance(res, nodes, solver="amg", tol=1e-8)
