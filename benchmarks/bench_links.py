"""Candidate links of the corridor model: pairs considered, rejected cheaply, traced; this tree against the previous one.

A synthetic layout per size: a random resistance surface (``1 + gamma(1, 3)``, 2 % impassable)
of ``--size`` x ``--size`` cells of 30 m and N small square patches (some touching), every
source's cost-distance computed once (not timed: the same for both). Then, in the same run:

* this tree: :func:`_candidate_links` with the geometric floor (gap x least resistance) and the
  touching test, then :func:`_trace_links` (the path's end among the target's cells only);
* the previous code, kept below: every pair's cost read, every candidate traced after a
  full-raster ``np.where(lab == b, cwd_a, inf)`` to find its end.

Both must give the same links, rows and corridor mosaic. The threshold is ``max_cost`` at the
``--quantile`` of the finite least-cost distances (as a plan's costliest drawn link would be).

Run: ``.venv/bin/python benchmarks/bench_links.py [--sources 50,200] [--size 200] [--quantile 0.2]``
"""

from __future__ import annotations

import argparse
import math
import time

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

from ecomap.corridors.cost import _trace
from ecomap.corridors.grid import Grid
from ecomap.corridors.links import (
    _candidate_links,
    _lcd_floor,
    _nearest_mask,
    _source_cost_distances,
    _sources,
    _trace_links,
)

X0, Y0, CS = 535020.0, 2510010.0, 30.0


def layout(n_wanted: int, size: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    grid = Grid(west=X0, north=Y0 + size * CS, cellsize=CS, width=size, height=size)
    r = 1.0 + rng.gamma(1.0, 3.0, (size, size))
    r[rng.random((size, size)) < 0.02] = np.inf
    shapes: list = []
    tree_boxes: list = []
    while len(shapes) < n_wanted:
        k = int(rng.integers(1, 4))
        c, row = (int(v) for v in rng.integers(0, size - k - 1, 2))
        s = box(X0 + c * CS, Y0 + row * CS, X0 + (c + k) * CS, Y0 + (row + k) * CS)
        if not any(s.intersection(t).area > 0 for t in tree_boxes):
            shapes.append(s)
            tree_boxes.append(s)
            if len(shapes) % 7 == 0:  # a neighbour sharing its east edge
                t = box(X0 + (c + k) * CS, Y0 + row * CS, X0 + (c + k + 1) * CS, Y0 + (row + 1) * CS)
                if not any(t.intersection(u).area > 0 for u in tree_boxes):
                    shapes.append(t)
                    tree_boxes.append(t)
    patches = gpd.GeoDataFrame({"kind": "forest"}, geometry=shapes, crs="EPSG:4547",
                               index=[f"P{i:03d}" for i in range(len(shapes))])
    sources, lab = _sources(patches, box(X0, Y0, X0 + size * CS, Y0 + size * CS), grid, r)
    cwd, lcd, _ = _source_cost_distances(r, lab, len(sources), cellsize=CS, neighbours=8, progress=False)
    g = np.asarray(sources.geometry.values)
    return grid, r, sources, lab, cwd, lcd, shapely.distance(g[:, None], g[None, :])


# --- the previous code (before the cheap rejections), for the same-run comparison -----------------
def previous_candidates(lcd, drawn, max_cost, *, euclid=None, max_euclid=None, nearest=None, nearest_by="cwd"):
    n = len(lcd)
    drawn_costs = [lcd[p] for p in drawn if np.isfinite(lcd[p])]
    threshold = max_cost if max_cost is not None else (max(drawn_costs) if drawn_costs else None)
    pairs = list(drawn)
    ok = np.isfinite(lcd) & (lcd <= (math.inf if threshold is None else threshold))
    if max_euclid is not None:
        ok &= euclid <= max_euclid
    if nearest is not None:
        ok &= _nearest_mask(lcd if nearest_by == "cwd" else euclid, nearest)
    candidates = [(a, b) for a in range(n) for b in range(a + 1, n) if (a, b) not in drawn and ok[a, b]]
    return sorted(set(pairs) | set(candidates)), threshold


def previous_trace(pairs, *, r, lab, cwd, lcd, drawn, sources, grid):
    mosaic, which, links = np.full(grid.shape, np.inf), np.full(grid.shape, -1, dtype=np.int64), []
    for a, b in pairs:
        if not np.isfinite(lcd[a, b]):
            continue
        db = np.where(lab == b, cwd[a], np.inf)
        end = np.unravel_index(int(np.argmin(db)), grid.shape)
        cells = np.array(_trace(cwd[a], r, end, cellsize=grid.cellsize, neighbours=8))
        crossed = sorted({int(x) for x in lab[cells[:, 0], cells[:, 1]]} - {-1, a, b})
        planned = (a, b) in drawn
        if crossed and not planned:
            continue
        if not planned and sources.geometry.iloc[a].distance(sources.geometry.iloc[b]) == 0:
            continue
        links.append((a, b))
        nl = cwd[a] + cwd[b] - lcd[a, b]
        better = nl < mosaic
        mosaic[better] = nl[better]
        which[better] = len(links) - 1
    return links, mosaic, which


def run(n: int, size: int, quantile: float) -> None:
    t0 = time.perf_counter()
    grid, r, sources, lab, cwd, lcd, euclid = layout(n, size)
    t_setup = time.perf_counter() - t0
    k = len(sources)
    upper = lcd[np.triu_indices(k, 1)]
    max_cost = float(np.quantile(upper[np.isfinite(upper)], quantile))
    drawn: dict = {}
    ids = [str(i) for i in sources.index]

    t0 = time.perf_counter()
    old_pairs, _ = previous_candidates(lcd, drawn, max_cost, euclid=euclid)
    t_old_sel = time.perf_counter() - t0
    t0 = time.perf_counter()
    old_links, old_mosaic, old_which = previous_trace(old_pairs, r=r, lab=lab, cwd=cwd, lcd=lcd, drawn=drawn,
                                                      sources=sources, grid=grid)
    t_old_trace = time.perf_counter() - t0

    stats: dict = {}
    t0 = time.perf_counter()
    pairs, _ = _candidate_links(lcd, drawn, max_cost, euclid=euclid, floor=_lcd_floor(euclid, r, CS), stats=stats)
    t_sel = time.perf_counter() - t0
    t0 = time.perf_counter()
    traced = _trace_links(pairs, r=r, lab=lab, cwd=cwd, lcd=lcd, drawn=drawn, sources=sources, ids=ids, grid=grid,
                          neighbours=8, progress=False)
    t_trace = time.perf_counter() - t0
    assert traced.links == old_links
    assert np.array_equal(traced.mosaic, old_mosaic) and np.array_equal(traced.which, old_which)

    print(f"{k:>4} sources, {size}x{size} cells (cost-distances {t_setup:.1f} s, not timed), max_cost {max_cost:,.0f}:")
    print(f"      pairs {stats['pairs']:>6,}  after floor {stats['after_floor']:>6,}  after rules {stats['after_rules']:>5,}"
          f"  traced {stats['traced']:>5,} (before: {len(old_pairs):,})  kept {len(old_links):,}")
    old, new = t_old_sel + t_old_trace, t_sel + t_trace
    print(f"      before: select {t_old_sel:6.3f} s + trace {t_old_trace:6.3f} s = {old:6.3f} s   "
          f"after: select {t_sel:6.3f} s + trace {t_trace:6.3f} s = {new:6.3f} s   ratio {old / new:5.2f}x")
    return old, new


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default="50,200")
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--quantile", type=float, default=0.2)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sources.split(",")]
    times = [run(n, args.size, args.quantile) for n in sizes]
    if len(sizes) > 1:
        span = math.log(sizes[-1] / sizes[0])
        for label, i in (("before", 0), ("after", 1)):
            print(f"exponent of select + trace in N ({label}): {math.log(times[-1][i] / times[0][i]) / span:.2f}")


if __name__ == "__main__":
    main()
