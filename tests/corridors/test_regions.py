"""Circuitscape's focal-region rule: only a pair's two regions are short-circuited in its solve."""

import numpy as np
import pytest

from ecomap.corridors import current_density, effective_resistance


def _oracle(res, masks, a, b, *, neighbours=8):
    """One dense solve from scratch for the pair (a, b): only masks a and b shorted.

    Returns (R_ab, node current per cell) with Circuitscape's node current; R -1 if unconnected.
    """
    h, w = res.shape
    valid = np.isfinite(res)
    node = -np.ones((h, w), dtype=int)
    ids = {}
    for (r, c) in zip(*np.nonzero(valid), strict=True):
        if masks[a][r, c]:
            key = "A"
        elif masks[b][r, c]:
            key = "B"
        else:
            key = (r, c)
        node[r, c] = ids.setdefault(key, len(ids))
    n = len(ids)
    lap = np.zeros((n, n))
    edges = []
    steps = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if neighbours == 8 else [])
    for r in range(h):
        for c in range(w):
            for dr, dc in steps:
                r2, c2 = r + dr, c + dc
                if 0 <= r2 < h and 0 <= c2 < w and valid[r, c] and valid[r2, c2]:
                    i, j = node[r, c], node[r2, c2]
                    if i == j:
                        continue
                    d = np.hypot(dr, dc)
                    g = (1 / res[r, c] + 1 / res[r2, c2]) / (2 * d)
                    lap[i, i] += g
                    lap[j, j] += g
                    lap[i, j] -= g
                    lap[j, i] -= g
                    edges.append((i, j, g))
    if "A" not in ids or "B" not in ids:
        return -1.0, None
    ia, ib = ids["A"], ids["B"]
    keep = [k for k in range(n) if k != ib]
    rhs = np.zeros(n)
    rhs[ia] = 1.0
    sub = lap[np.ix_(keep, keep)]
    try:
        x = np.linalg.solve(sub, rhs[keep])
    except np.linalg.LinAlgError:
        x = np.linalg.lstsq(sub, rhs[keep], rcond=None)[0]
    v = np.zeros(n)
    v[keep] = x
    if not np.allclose(sub @ x, rhs[keep], atol=1e-9):
        return -1.0, None
    acc = np.zeros(n)
    for i, j, g in edges:
        acc[i] += abs(g * (v[i] - v[j]))
        acc[j] += abs(g * (v[i] - v[j]))
    acc[ia] += 1
    acc[ib] += 1
    cur = np.where(valid, 0.5 * acc[np.maximum(node, 0)], np.nan)
    return v[ia] - v[ib], cur


def _layout(seed, h=9, w=11):
    rng = np.random.default_rng(seed)
    res = rng.lognormal(0.0, 1.0, size=(h, w))
    res[rng.random((h, w)) < 0.12] = np.nan
    masks = []
    for _ in range(4):
        m = np.zeros((h, w), dtype=bool)
        r0, c0 = rng.integers(0, h - 2), rng.integers(0, w - 3)
        m[r0:r0 + 2, c0:c0 + 3] = True
        for other in masks:
            m &= ~other
        masks.append(m)
    masks.append(np.zeros((h, w), dtype=bool))
    masks[-1][h - 1, 0] = True  # a single cell too
    return res, masks


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("neighbours", [8, 4])
def test_pair_rule_equals_one_solve_per_pair_from_scratch(seed, neighbours):
    res, masks = _layout(seed)
    k = len(masks)
    reff = effective_resistance(res, masks, neighbours=neighbours)
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    cur = current_density(res, masks, pairs=pairs, neighbours=neighbours)
    total = np.where(np.isfinite(res), 0.0, np.nan)
    for a, b in pairs:
        want, c = _oracle(res, masks, a, b, neighbours=neighbours)
        if want < 0:
            assert reff[a, b] == reff[b, a] == -1
            continue
        assert reff[a, b] == pytest.approx(want, rel=1e-9, abs=1e-12)
        total += c
    np.testing.assert_allclose(cur[np.isfinite(res)], total[np.isfinite(res)], rtol=1e-9, atol=1e-12)
    assert (np.diag(reff) == 0).all()


def test_a_third_region_is_not_a_short_cut():
    r = np.ones((1, 5))
    a, b, c = (np.zeros((1, 5), bool) for _ in range(3))
    a[0, 0], b[0, 4], c[0, 1:4] = True, True, True
    assert effective_resistance(r, [a, b, c], neighbours=4)[0, 1] == pytest.approx(4.0, rel=1e-12)
    assert effective_resistance(r, [a, b, c], neighbours=4, regions="all")[0, 1] == pytest.approx(2.0, rel=1e-12)
    r[0, 2] = np.nan  # a region bridging a NoData gap joins its own pairs only
    c[0, 2] = False
    out = effective_resistance(r, [a, b, c], neighbours=4)
    assert out[0, 1] == -1 and out[0, 2] == pytest.approx(1.0) and out[1, 2] == pytest.approx(1.0)


def test_sgverify6_rebuilt_matches_circuitscape():
    # Circuitscape.jl test/input/raster/pairwise/6, verified test/output_verify/sgVerify6_resistances.out
    cm = np.array([[1, 1, -9999, 1, 1], [1, -9999, -9999, -9999, -9999], [1, -9999, -9999, 1, 1],
                   [1, -9999, -9999, 1, 1], [1, -9999, -9999, 1, 1]], float)
    r = np.where(cm == -9999, np.nan, cm)
    cells = [[(0, 0), (4, 0)], [(0, 1), (4, 4)], [(2, 0)], [(3, 0)], [(2, 3)]]
    masks = []
    for cc in cells:
        m = np.zeros(r.shape, bool)
        for rc in cc:
            m[rc] = True
        masks.append(m)
    expected = np.array([[0, 1, 1, 0.75, -1], [1, 0, 3, 4, 1.4], [1, 3, 0, 1, -1],
                         [0.75, 4, 1, 0, -1], [-1, 1.4, -1, -1, 0]])
    np.testing.assert_allclose(effective_resistance(r, masks, neighbours=4, average="resistance"), expected,
                               rtol=1e-9, atol=1e-12)


def test_two_ids_on_one_cell_are_zero_apart():
    r = np.ones((3, 3))
    out = effective_resistance(r, [(0, 0), (0, 0), (2, 2)], neighbours=4)
    assert out[0, 1] == 0 and out[0, 2] == out[1, 2] > 0
    big = np.zeros((3, 3), bool)
    big[0, :2] = True
    out = effective_resistance(r, [big, (0, 1), (2, 2)], neighbours=4)
    assert out[0, 1] == 0 and out[0, 2] > 0


def _region_circuit(res, masks, neighbours=8):
    """The RegionCircuit that ``effective_resistance`` builds for ``res`` and ``masks``."""
    from ecomap.corridors._regions import RegionCircuit
    from ecomap.corridors.circuit import _collapse_focal, _conductances

    valid = np.isfinite(res).ravel()
    node_of_cell, n, _ = _collapse_focal(valid, [])
    u, v, g = _conductances(res, node_of_cell, neighbours=neighbours, average="conductance")
    sets = [np.unique(node_of_cell[m.ravel() & valid]) for m in masks]
    return RegionCircuit(n, u, v, g, sets, coords=np.divmod(np.flatnonzero(valid), res.shape[1]))


@pytest.mark.parametrize("seed", range(2))
def test_block_solve_equals_the_dense_pair_system(seed):
    # regions of very different ring sizes: the 2x2 block Cholesky (the larger ring's factor
    # reused) against the pair's whole system on its two rings, and against one solve from scratch
    rng = np.random.default_rng(seed)
    res = rng.lognormal(0.0, 1.0, size=(24, 26))
    masks = [np.zeros(res.shape, bool) for _ in range(4)]
    masks[0][2:14, 2:12] = True
    masks[1][18:21, 20:24] = True
    masks[2][3, 22] = True
    masks[3][16:22, 3:6] = True
    masks[3][18, 4] = False  # a hole: inner ring cells too
    from ecomap.corridors._solver import one_blas_thread

    with one_blas_thread():  # as effective_resistance (small dense calls)
        rc = _region_circuit(res, masks)
        got = {(a, b): (rc.solve_pair(a, b), rc._solve_pair_dense(a, b), _oracle(res, masks, a, b)[0])
               for a in range(4) for b in range(a + 1, 4)}
    for a in range(4):
        for b in range(a + 1, 4):
            assert rc._span(a) is not None and rc._span(b) is not None
            (r_fast, t_fast, i_fast), (r_dense, t_dense, i_dense), want = got[a, b]
            assert r_fast == pytest.approx(r_dense, rel=1e-11)
            order = np.argsort(t_fast)
            np.testing.assert_allclose(i_fast[order], i_dense[np.argsort(t_dense)], rtol=1e-8, atol=1e-11)
            assert r_fast == pytest.approx(want, rel=1e-9)


def test_cholmod_loads_with_the_environment_restored(monkeypatch):
    from ecomap.corridors._solver import _openblas_core, import_cholmod

    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    cholmod = import_cholmod()
    assert "OPENBLAS_CORETYPE" not in __import__("os").environ
    assert _openblas_core() in (None, "SkylakeX", "Haswell")
    a = np.array([[4.0, 1.0], [1.0, 3.0]])
    import scipy.sparse as sp

    fac = cholmod.cholesky(sp.csc_matrix(a), mode="supernodal", ordering_method="natural")
    np.testing.assert_allclose(fac.solve_A(np.array([1.0, 2.0])), np.linalg.solve(a, [1.0, 2.0]), rtol=1e-14)
