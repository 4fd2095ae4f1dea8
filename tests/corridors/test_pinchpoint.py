"""Pinchpoint Mapper: per-link circuits on truncated corridors, against a dense solve written here."""

from __future__ import annotations

import numpy as np
import pytest

from ecomap._errors import InputError
from ecomap.corridors import cost_distance, pinchpoint_mapper


def _dense(r: np.ndarray, keep: np.ndarray, ma: np.ndarray, mb: np.ndarray):
    """Effective resistance and node-current map on the kept cells: a dense Laplacian solve.

    8 neighbours, conductance (1/r_i + 1/r_j) / (2 d); each core one node; node current
    0.5 * (sum |I| + |injected|); cores NaN, cells outside ``keep`` NaN.
    """
    h, w = r.shape
    node = -np.ones((h, w), dtype=int)
    node[ma & keep], node[mb & keep] = 0, 1
    free = keep & ~ma & ~mb
    node[free] = 2 + np.arange(free.sum())
    n = 2 + int(free.sum())
    lap, edges = np.zeros((n, n)), []
    for i in range(h):
        for j in range(w):
            for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
                ii, jj = i + di, j + dj
                if 0 <= ii < h and 0 <= jj < w and keep[i, j] and keep[ii, jj] and node[i, j] != node[ii, jj]:
                    g = (1 / r[i, j] + 1 / r[ii, jj]) / (2 * np.hypot(di, dj))
                    u, v = node[i, j], node[ii, jj]
                    lap[u, u] += g
                    lap[v, v] += g
                    lap[u, v] -= g
                    lap[v, u] -= g
                    edges.append((u, v, g))
    b = np.zeros(n)
    b[0] = 1.0
    v = np.zeros(n)
    v[np.r_[0, 2:n]] = np.linalg.solve(lap[np.ix_(np.r_[0, 2:n], np.r_[0, 2:n])], b[np.r_[0, 2:n]])  # ground b
    acc = np.zeros(n)
    for u, w_, g in edges:
        acc[u] += abs(g * (v[u] - v[w_]))
        acc[w_] += abs(g * (v[u] - v[w_]))
    cur = np.full((h, w), np.nan)
    cur[free] = 0.5 * acc[node[free]]
    return v[0], cur


def _layout():
    rng = np.random.default_rng(4)
    r = rng.uniform(1, 20, (24, 30))
    r[rng.random(r.shape) < 0.08] = np.nan
    cores = [np.zeros(r.shape, dtype=bool) for _ in range(3)]
    cores[0][2:5, 2:5] = True
    cores[1][18:22, 24:28] = True
    cores[2][3:6, 22:26] = True
    for m in cores:
        r[m] = 1.0
    return r, cores


@pytest.mark.parametrize("cutoff", [15.0, 60.0, 1e9])
def test_each_link_equals_a_dense_solve_on_its_truncated_corridor(cutoff):
    r, cores = _layout()
    cs = 10.0
    cwds = [cost_distance(r, m, cellsize=cs) for m in cores]
    links = [(0, 1), (0, 2), (1, 2)]
    got = pinchpoint_mapper(r, cores, links, cutoff=cutoff * cs, cellsize=cs)
    mosaic = np.full(r.shape, np.nan)
    for k, (a, b) in enumerate(links):
        lcd = cwds[a][cores[b]].min()
        keep = np.isfinite(r) & (cwds[a] + cwds[b] - lcd <= cutoff * cs)
        assert got.cells[k] == keep.sum()
        reff, cur = _dense(r, keep, cores[a], cores[b])
        assert got.eff_resistance[k] == pytest.approx(reff, rel=1e-9)
        assert got.cwd_to_eff_resistance[k] == pytest.approx(lcd / (cs * reff), rel=1e-9)
        mosaic = np.fmax(mosaic, cur)
    np.testing.assert_allclose(got.current, mosaic, rtol=1e-8, atol=1e-12)


def test_squared_resistance_is_a_dense_solve_on_the_squared_raster_in_the_unsquared_corridor():
    # Linkage Mapper's "Square resistance values" (s8_pinchpoints.py: SQUARERESISTANCES): the
    # circuit runs on r * r, the corridor is still cut with the cost-distances of r
    r, cores = _layout()
    cs, cutoff = 10.0, 40.0
    cwds = [cost_distance(r, m, cellsize=cs) for m in cores]
    links = [(0, 1), (0, 2), (1, 2)]
    got = pinchpoint_mapper(r, cores, links, cutoff=cutoff * cs, cellsize=cs, squared_resistance=True)
    plain = pinchpoint_mapper(r, cores, links, cutoff=cutoff * cs, cellsize=cs)
    assert got.squared_resistance and not plain.squared_resistance
    np.testing.assert_array_equal(got.cells, plain.cells)
    mosaic = np.full(r.shape, np.nan)
    for k, (a, b) in enumerate(links):
        lcd = cwds[a][cores[b]].min()
        keep = np.isfinite(r) & (cwds[a] + cwds[b] - lcd <= cutoff * cs)
        reff, cur = _dense(r ** 2, keep, cores[a], cores[b])
        assert got.eff_resistance[k] == pytest.approx(reff, rel=1e-9)
        mosaic = np.fmax(mosaic, cur)
    np.testing.assert_allclose(got.current, mosaic, rtol=1e-8, atol=1e-12)
    assert np.isnan(got.cwd_to_eff_resistance).all()  # Linkage Mapper leaves the ratio unset
    assert (got.eff_resistance > plain.eff_resistance).all()  # every resistance here is > 1


def test_truncation_raises_resistance_and_lcd_and_cwds_may_be_given():
    r, cores = _layout()
    wide = pinchpoint_mapper(r, cores, [(0, 1)], cutoff=1e9)
    narrow = pinchpoint_mapper(r, cores, [(0, 1)], cutoff=20.0)
    assert narrow.cells[0] < wide.cells[0]
    assert narrow.eff_resistance[0] > wide.eff_resistance[0]
    # the link's own cores are no data; a third core inside its corridor is ordinary cells
    assert np.isnan(wide.current[cores[0] | cores[1]]).all()
    assert (wide.current[cores[2]] > 0).all()
    cwds = [cost_distance(r, m) for m in cores]
    again = pinchpoint_mapper(r, cores, [(0, 1)], cutoff=20.0, cwds=cwds)
    np.testing.assert_array_equal(again.current, narrow.current)


def test_unjoined_cores_give_nan():
    r = np.ones((5, 9))
    r[:, 4] = np.nan
    a, b = np.zeros(r.shape, dtype=bool), np.zeros(r.shape, dtype=bool)
    a[2, 0], b[2, 8] = True, True
    got = pinchpoint_mapper(r, [a, b], [(0, 1)], cutoff=10.0)
    assert np.isnan(got.eff_resistance[0]) and np.isnan(got.current).all()


@pytest.mark.parametrize(("kw", "message"), [
    ({"cutoff": 0.0}, "cutoff 0.0 must be"),
    ({"cutoff": 5.0, "links": [(0, 0)]}, "two different cores"),
    ({"cutoff": 5.0, "quantile": 1.0}, r"quantile 1.0 must be a number in \[0, 1\)"),
])
def test_bad_input_is_refused(kw, message):
    r, cores = _layout()
    with pytest.raises(InputError, match=message):
        pinchpoint_mapper(r, cores, kw.pop("links", [(0, 1)]), **kw)
