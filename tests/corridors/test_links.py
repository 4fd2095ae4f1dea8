"""Candidate links: cheap rejections first (a geometric floor of the least-cost distance, touching
patches), the path's end among the target's cells only; the same links and values as tracing
every pair the old way."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from ecomap.corridors import links
from ecomap.corridors.cost import cost_distances
from ecomap.corridors.grid import Grid
from ecomap.corridors.links import (
    _candidate_links,
    _cells_of_sources,
    _end_cell,
    _lcd_floor,
    _source_cost_distances,
    _sources,
    _trace_links,
)

X0, Y0, CS = 535020.0, 2510010.0, 30.0


def _layout(n_wanted: int, size: int = 80, seed: int = 0):
    """Random resistance (1-4, 3 % impassable) and many small square patches, some touching."""
    rng = np.random.default_rng(seed)
    grid = Grid(west=X0, north=Y0 + size * CS, cellsize=CS, width=size, height=size)
    r = rng.uniform(1.0, 4.0, (size, size))
    r[rng.random((size, size)) < 0.03] = np.inf
    shapes: list = []
    while len(shapes) < n_wanted:
        k = int(rng.integers(1, 4))
        c, row = (int(v) for v in rng.integers(0, size - k, 2))
        s = box(X0 + c * CS, Y0 + row * CS, X0 + (c + k) * CS, Y0 + (row + k) * CS)
        if all(s.intersection(t).area == 0 for t in shapes):
            shapes.append(s)
            if len(shapes) % 7 == 0 and len(shapes) < n_wanted:  # a neighbour sharing its east edge
                t = box(X0 + (c + k) * CS, Y0 + row * CS, X0 + (c + k + 1) * CS, Y0 + (row + 1) * CS)
                if c + k + 1 <= size and all(t.intersection(u).area == 0 for u in shapes):
                    shapes.append(t)
    patches = gpd.GeoDataFrame({"kind": "forest"}, geometry=shapes, crs="EPSG:4547",
                               index=[f"P{i:03d}" for i in range(len(shapes))])
    sources, lab = _sources(patches, box(X0, Y0, X0 + size * CS, Y0 + size * CS), grid, r)
    n = len(sources)
    lcd = _source_cost_distances(r, lab, n, cellsize=CS, neighbours=8, progress=False)[0]
    cwd = list(cost_distances(r, (lab == a for a in range(n)), cellsize=CS, neighbours=8))  # full surfaces
    euclid = np.asarray(gpd.GeoSeries(sources.geometry.values).apply(lambda g: sources.distance(g).to_numpy()).tolist())
    return grid, r, sources, lab, cwd, lcd, euclid


@pytest.fixture(scope="module")
def layout():
    return _layout(60)


def _trace(pairs, layout, drawn, cwd=None, lab=None):
    grid, r, sources, lab0, cwd0, lcd, _ = layout
    return _trace_links(pairs, r=r, lab=lab0 if lab is None else lab, cwd=cwd0 if cwd is None else cwd, lcd=lcd,
                        drawn=drawn, sources=sources, ids=[str(i) for i in sources.index], grid=grid, neighbours=8,
                        progress=False)


def test_the_floor_is_below_every_least_cost_distance(layout):
    grid, r, sources, lab, cwd, lcd, euclid = layout
    floor = _lcd_floor(euclid, r, CS)
    off = ~np.eye(len(lcd), dtype=bool)
    assert np.all(floor[off] <= lcd[off])
    assert np.mean(floor[off] > 0) > 0.8  # and not vacuous: most pairs have a positive floor


def test_the_end_cell_among_the_targets_cells_is_the_full_raster_argmin(layout):
    grid, r, sources, lab, cwd, lcd, _ = layout
    cells, first = _cells_of_sources(lab, len(sources))
    for a, b in [(0, 1), (3, 17), (20, 5), (len(sources) - 1, 0)]:
        old = np.unravel_index(int(np.argmin(np.where(lab == b, cwd[a], np.inf))), grid.shape)
        assert _end_cell(cwd[a], cells[first[b]:first[b + 1]], grid.shape) == old


@pytest.mark.parametrize("quantile", [0.1, 0.4])
def test_pruned_and_unpruned_selections_trace_the_same_links(layout, quantile):
    grid, r, sources, lab, cwd, lcd, euclid = layout
    n = len(sources)
    assert n >= 55 and np.any(euclid[np.triu_indices(n, 1)] == 0)  # many sources, some touching
    finite = lcd[np.triu_indices(n, 1)]
    max_cost = float(np.quantile(finite[np.isfinite(finite)], quantile))
    drawn = {(0, 1): ["C1"], (2, 9): ["C2"]}
    stats: dict = {}
    pruned, t1 = _candidate_links(lcd, drawn, max_cost, euclid=euclid, floor=_lcd_floor(euclid, r, CS), stats=stats)
    unpruned, t2 = _candidate_links(lcd, drawn, max_cost)
    assert t1 == t2 and set(pruned) <= set(unpruned)
    assert stats["after_floor"] < stats["pairs"] and stats["traced"] == len(pruned)
    a, b = _trace(pruned, layout, drawn), _trace(unpruned, layout, drawn)
    assert a.links == b.links and len(a.links) > 10
    assert [{k: v for k, v in row.items() if k != "geometry"} for row in a.rows] == \
           [{k: v for k, v in row.items() if k != "geometry"} for row in b.rows]
    assert all(x["geometry"].equals_exact(y["geometry"], 0) for x, y in zip(a.rows, b.rows, strict=True))
    np.testing.assert_array_equal(a.mosaic, b.mosaic)
    np.testing.assert_array_equal(a.which, b.which)


class _Counted(np.ndarray):
    """An array that counts the numpy operations made on whole rasters of its size."""

    full = 0
    raster_size = -1

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if any(isinstance(x, np.ndarray) and x.size == _Counted.raster_size for x in inputs):
            _Counted.full += 1
        plain = [x.view(np.ndarray) if isinstance(x, _Counted) else x for x in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(x.view(np.ndarray) if isinstance(x, _Counted) else x for x in kwargs["out"])
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if any(isinstance(x, np.ndarray) and x.size == _Counted.raster_size for x in args):
            _Counted.full += 1
        return super().__array_function__(func, types, args, kwargs)


def _full_raster_ops(pairs, layout, drawn) -> tuple[int, list]:
    grid, r, sources, lab, cwd, lcd, _ = layout
    _Counted.raster_size, _Counted.full = lab.size, 0
    traced = _trace(pairs, layout, drawn, cwd=[d.view(_Counted) for d in cwd], lab=lab.view(_Counted))
    return _Counted.full, traced.links


def test_rejected_pairs_do_no_full_raster_pass(layout, monkeypatch):
    grid, r, sources, lab, cwd, lcd, euclid = layout
    n = len(sources)
    # every finite pair, touching ones included: most are rejected (a third patch on the path)
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n) if np.isfinite(lcd[a, b])]
    mosaic_calls = []
    monkeypatch.setattr(links, "_add_to_mosaic", lambda out, nl, link: mosaic_calls.append(link))
    ops_all, kept = _full_raster_ops(pairs, layout, {})
    ops_kept, kept_again = _full_raster_ops(kept, layout, {})
    assert len(pairs) > 1.5 * len(kept) and kept == kept_again
    assert ops_all == ops_kept > 0  # the rejected pairs added no operation on a whole raster
    assert len(mosaic_calls) == 2 * len(kept)
