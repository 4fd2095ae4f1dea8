"""Speed of the corridor model on the district at 30 m and 10 m, with GRASS r.cost as the baseline.

For each resolution the resistance surface is built from the bundled layers, and the sources are
the bundled habitat patches (topped up with 150 m discs spread evenly over the district when there
are fewer than ``--sources``). Timed, in the same run:

* cost-distance from every source: ``ecomap.corridors.cost_distances`` (the grid's graph built
  once, its time included) against two baselines: the previous implementation (kept below as
  ``_PreviousCostGraph``: a graph over every raster cell, each step stored once, built through a
  COO matrix and searched undirected) and GRASS ``r.cost`` (8 neighbours, no ``-k``) on the same
  grid and the same source cells, imported once into a temporary GRASS location; only the
  ``r.cost`` calls are timed on the GRASS side. Ours and the previous implementation each run
  twice, alternately, and the faster run counts. Wall and CPU time are both given (the machine
  may be shared: the ratios, measured in the same run, are the figures to quote). The surfaces
  are compared cell by cell with the previous implementation's (they must be identical) and with
  r.cost's (r.cost works in cell units: ours is divided by the cell size for that comparison);
* least-cost corridors: each source's least-cost distance to every other (the minimum over the
  other source's cells: one ``reduceat`` over the source cells against ``ndimage.minimum`` over
  the raster, as the pipeline did before), then the normalized corridor ``CWD_a + CWD_b - LCD_ab``
  of every pair of neighbouring sources (each source's three cheapest partners);
* barriers: Barrier Mapper's improvement score over those links, radii 60, 120 and 240 m, as the
  pipeline computes it (each source's disc minima filtered once per radius) against the maximum
  of ``barrier_improvement`` link by link (the previous pipeline: two filters per link and
  radius); at 10 m on the links of the first source only, the per-link way taking minutes;
* pairwise effective resistance between the sources with ecomap's default solver (one sparse LU
  factorization reused by every solve, while it fits in memory) against conjugate gradients with
  one smoothed-aggregation AMG hierarchy (pyamg) reused by every solve; at 10 m the AMG time is
  projected from its setup and two timed solves.

Run: ``.venv/bin/python benchmarks/bench_corridors.py [--resolutions 30,10] [--sources 20]
[--parts cost,corridors,resistance] [--no-grass]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy import ndimage
from scipy.sparse import csgraph

from ecomap.corridors import (
    barrier_improvement,
    cost_distances,
    effective_resistance,
    make_grid,
    resistance_surface,
)
from ecomap.corridors._solver import _Solver
from ecomap.corridors.barriers import _link_improvements
from ecomap.corridors.circuit import _circuit
from ecomap.network import load_network

SQRT2 = np.sqrt(2.0)


class _PreviousCostGraph:
    """The cost-distance graph as ecomap built it before (the baseline): every raster cell a node."""

    def __init__(self, cost: np.ndarray, *, cellsize: float):
        c = np.asarray(cost, dtype=float)
        self.passable = np.isfinite(c)
        self.shape = c.shape
        h, w = c.shape
        idx = np.arange(c.size).reshape(c.shape)
        us, vs, ws = [], [], []
        for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
            a = (slice(0, h - dr), slice(max(0, -dc), w - max(0, dc)))
            b = (slice(dr, h), slice(max(0, dc), w - max(0, -dc)))
            ca, cb = c[a].ravel(), c[b].ravel()
            ok = np.isfinite(ca) & np.isfinite(cb)
            step = float(cellsize) * (SQRT2 if dr and dc else 1.0)
            us.append(idx[a].ravel()[ok])
            vs.append(idx[b].ravel()[ok])
            ws.append(step * (ca[ok] + cb[ok]) / 2.0)
        self.graph = sp.csr_matrix((np.concatenate(ws), (np.concatenate(us), np.concatenate(vs))),
                                   shape=(c.size, c.size))

    def distance(self, mask: np.ndarray) -> np.ndarray:
        start = np.flatnonzero((mask & self.passable).ravel())
        d = csgraph.dijkstra(self.graph, directed=False, indices=start, min_only=True)
        return np.asarray(d, dtype=float).reshape(self.shape)


def _previous_cost_distances(cost: np.ndarray, masks, *, cellsize: float):
    graph = _PreviousCostGraph(cost, cellsize=cellsize)
    for m in masks:
        yield graph.distance(m)


def _timed(fn):
    """(result, wall seconds, CPU seconds of this process)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def _sources(network, grid, r, n_wanted: int) -> tuple[np.ndarray, int]:
    """Label raster of sources: the patches, topped up with evenly spread 150 m discs."""
    patches = network["patches"]
    lab = np.full(grid.shape, -1, dtype=np.int64)
    k = 0
    if len(patches):
        burnt = grid.burn(zip(patches.geometry.values, np.arange(len(patches)), strict=True), fill=-1)
        lab = burnt.astype(np.int64)
        lab[~np.isfinite(r)] = -1
        present = np.unique(lab[lab >= 0])  # patches with at least one cell in the district
        relabel = np.full(len(patches) + 1, -1)
        relabel[present] = np.arange(len(present))
        lab = np.where(lab >= 0, relabel[lab], -1)
        k = len(present)
    n_patch = k
    inside = np.argwhere(np.isfinite(r) & (lab < 0))
    rng = np.random.default_rng(0)
    picks = inside[rng.choice(len(inside), size=min(4000, len(inside)), replace=False)]
    chosen: list[np.ndarray] = [np.argwhere(lab >= 0).mean(axis=0)] if k else [picks[0]]
    radius = max(1, int(round(150 / grid.cellsize)))
    while k < n_wanted:
        d = np.min([np.hypot(*(picks - c).T) for c in chosen], axis=0)
        c = picks[int(np.argmax(d))]
        chosen.append(c)
        yy, xx = np.ogrid[:grid.height, :grid.width]
        disc = (yy - c[0]) ** 2 + (xx - c[1]) ** 2 <= radius ** 2
        lab[disc & (lab < 0) & np.isfinite(r)] = k
        k += 1
    return lab, n_patch


def _grass_rcost(r: np.ndarray, grid, masks: list[np.ndarray], work: Path) -> tuple[list[np.ndarray], float]:
    """r.cost from each source in one GRASS session; returns the surfaces and the r.cost time."""
    import rasterio

    def tif(path, arr, nodata):
        with rasterio.open(path, "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
                           dtype="float64", crs=grid.crs, transform=grid.transform, nodata=nodata) as dst:
            dst.write(arr, 1)

    tif(work / "cost.tif", r, np.nan)
    lines = ["set -e", f"r.in.gdal input={work / 'cost.tif'} output=cost --q -o", "g.region raster=cost"]
    for i, m in enumerate(masks):
        tif(work / f"src{i}.tif", np.where(m, 1.0, np.nan), np.nan)
        lines.append(f"r.in.gdal input={work / f'src{i}.tif'} output=src{i} --q -o")
    lines.append("t0=$(date +%s.%N)")
    for i in range(len(masks)):
        lines.append(f"r.cost input=cost output=cum{i} start_raster=src{i} --q --o")
    lines.append(f"t1=$(date +%s.%N); echo \"$t0 $t1\" > {work / 'time.txt'}")
    for i in range(len(masks)):
        lines.append(f"r.out.gdal input=cum{i} output={work / f'cum{i}.tif'} type=Float64 --q -c -f")
    (work / "run.sh").write_text("\n".join(lines) + "\n")
    done = subprocess.run(["grass", "--tmp-location", "EPSG:4547", "--exec", "bash", str(work / "run.sh")],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"GRASS failed:\n{done.stderr[-2000:]}")
    t0, t1 = (float(x) for x in (work / "time.txt").read_text().split())
    out = []
    for i in range(len(masks)):
        with rasterio.open(work / f"cum{i}.tif") as src:
            a = src.read(1, masked=True)
            out.append(np.where(a.mask, np.inf, a.filled(np.inf)))
    return out, t1 - t0


def run(resolution: float, n_sources: int, grass: bool, parts: set[str]) -> None:
    network = load_network()
    grid = make_grid(network.district, resolution)
    t = time.perf_counter()
    r, grid = resistance_surface(network, resolution=resolution, grid=grid)
    t_surface = time.perf_counter() - t
    lab, n_patch = _sources(network, grid, r, n_sources)
    k = int(lab.max()) + 1
    masks = [lab == i for i in range(k)]
    cells = int(np.isfinite(r).sum())
    print(f"\n== {resolution:g} m: {grid.width} x {grid.height} grid, {cells:,} cells in the district, "
          f"{k} sources ({n_patch} patches + {k - n_patch} discs); surface built in {t_surface:.2f} s")

    # cost-distance: ours, the previous implementation, r.cost (in its cell units). The first big
    # run of a process pays for fresh memory, so the previous implementation runs first, and each
    # runs twice in turn with the faster run kept.
    if "cost" in parts:
        prev, t_prev, c_prev = _timed(lambda: list(_previous_cost_distances(r, masks, cellsize=resolution)))
    cwd, t_ours, c_ours = _timed(lambda: list(cost_distances(r, masks, cellsize=resolution)))
    if "cost" in parts:
        del prev
        prev, t, c = _timed(lambda: list(_previous_cost_distances(r, masks, cellsize=resolution)))
        t_prev, c_prev = min(t_prev, t), min(c_prev, c)
        _, t, c = _timed(lambda: list(cost_distances(r, masks, cellsize=resolution)))
        t_ours, c_ours = min(t_ours, t), min(c_ours, c)
    print(f"cost-distance, ours:       {t_ours:7.2f} s  ({t_ours / k:.3f} s per source; CPU {c_ours / k:.3f} s)")
    if "cost" in parts:
        same = all(np.array_equal(a, b) for a, b in zip(cwd, prev, strict=True))
        del prev
        print(f"cost-distance, previous:   {t_prev:7.2f} s  ({t_prev / k:.3f} s per source; CPU {c_prev / k:.3f} s)   "
              f"ratio ours / previous = {t_ours / t_prev:.2f} (CPU {c_ours / c_prev:.2f}); identical values: {same}")
        if grass:
            with tempfile.TemporaryDirectory() as tmp:
                theirs, t_grass = _grass_rcost(r, grid, masks, Path(tmp))
            diff = top = 0.0
            same_reach = True
            for ours_m, b in zip(cwd, theirs, strict=True):
                a = ours_m / resolution
                with np.errstate(invalid="ignore"):  # inf - inf where neither reaches
                    diff = max(diff, float(np.max(np.abs(np.where(np.isfinite(a), a - b, 0.0)))))
                top = max(top, float(np.max(b[np.isfinite(b)])))
                same_reach &= bool((np.isfinite(a) == np.isfinite(b)).all())
            del theirs
            print(f"cost-distance, r.cost:     {t_grass:7.2f} s  ({t_grass / k:.3f} s per source)   "
                  f"ratio ours / r.cost = {t_ours / t_grass:.2f}, previous / r.cost = {t_prev / t_grass:.2f}")
            print(f"  values: max |ours - r.cost| = {diff:.3g} cost-cell units (largest value {top:,.0f}; "
                  f"relative {diff / top:.1e}); same reachable cells: {same_reach}")
        else:
            print("cost-distance, r.cost:     GRASS is not installed (or --no-grass); no baseline")

    if "corridors" in parts:
        # least-cost distances between the sources, then corridors between neighbouring sources
        flat = np.flatnonzero(lab.ravel() >= 0)
        in_source = flat[np.argsort(lab.ravel()[flat], kind="stable")]
        first = np.searchsorted(lab.ravel()[in_source], np.arange(k))
        lcd, t_red, _ = _timed(lambda: np.array([np.minimum.reduceat(c.ravel()[in_source], first) for c in cwd]))
        old, t_nd, _ = _timed(lambda: np.array([ndimage.minimum(np.where(np.isfinite(c), c, np.inf), labels=lab + 1,
                                                                index=np.arange(1, k + 1)) for c in cwd]))
        print(f"least-cost distances:      {t_red:7.3f} s  for {k} sources   ratio reduceat / ndimage.minimum = "
              f"{t_red / t_nd:.3f} ({t_nd:.2f} s); identical: {np.array_equal(lcd, old)}")
        pairs = sorted({(min(a, b), max(a, b)) for a in range(k) for b in np.argsort(lcd[a])[1:4]})
        t = time.perf_counter()
        mosaic = np.full(grid.shape, np.inf)
        for a, b in pairs:
            mosaic = np.minimum(mosaic, cwd[a] + cwd[b] - lcd[a, b])
        t_lcc = time.perf_counter() - t
        print(f"least-cost corridors:      {t_lcc:7.2f} s  for {len(pairs)} links")

        sub = pairs if cells <= 400_000 else [p for p in pairs if 0 in p][:3]
        radii = [x for x in (60.0, 120.0, 240.0) if x >= resolution]
        new, t_new, _ = _timed(lambda: _link_improvements(cwd, sub, radii=radii, cellsize=resolution, restored=1.0))

        def per_link():
            out = np.zeros(grid.shape)
            for a, b in sub:
                out = np.fmax(out, barrier_improvement(cwd[a], cwd[b], radii=radii, cellsize=resolution))
            return out

        old, t_old, _ = _timed(per_link)
        n_used = len({s for p in sub for s in p})
        print(f"barriers:                  {t_new:7.2f} s  for {len(sub)} links ({n_used} sources)   ratio per source / "
              f"per link = {t_new / t_old:.2f} ({t_old:.2f} s); identical: {np.array_equal(new, old)}")
    if "resistance" not in parts:
        return

    # pairwise effective resistance: ecomap's default solver against AMG-preconditioned CG
    t = time.perf_counter()
    reff = effective_resistance(r, masks)
    t_auto = time.perf_counter() - t
    print(f"pairwise resistance, auto: {t_auto:7.2f} s  for {k} sources ({k * (k - 1) // 2} pairs; "
          "one sparse LU factorization reused)")
    if cells <= 400_000:
        t = time.perf_counter()
        ref = effective_resistance(r, masks, solver="amg", tol=1e-8)
        t_amg = time.perf_counter() - t
        ok = reff > 0
        rel = float(np.max(np.abs(reff[ok] - ref[ok]) / reff[ok]))
        print(f"pairwise resistance, AMG:  {t_amg:7.2f} s  (one hierarchy reused)   ratio auto / AMG = "
              f"{t_auto / t_amg:.2f}; max relative difference {rel:.1e}")
    else:  # AMG on every source would take minutes here: time the setup and two solves
        circ = _circuit(r, masks, neighbours=8, average="conductance")
        keep = np.ones(circ.n, dtype=bool)
        keep[circ.focal[0]] = False
        sub = circ.laplacian[keep][:, keep]
        t = time.perf_counter()
        slv = _Solver(sub, method="amg", tol=1e-8)
        t_setup = time.perf_counter() - t
        t = time.perf_counter()
        for f in circ.focal[1:3]:
            b = np.zeros(sub.shape[0])
            b[f - int(f > circ.focal[0])] = 1.0
            slv.solve(b)
        t_solve = (time.perf_counter() - t) / 2
        projected = t_setup + (k - 1) * t_solve
        print(f"pairwise resistance, AMG:  {projected:7.2f} s  projected: setup {t_setup:.2f} s + {k - 1} solves "
              f"x {t_solve:.2f} s (two timed)   ratio auto / AMG = {t_auto / projected:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", default="30,10")
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--parts", default="cost,corridors,resistance",
                    help="which timings: cost (baselines of cost-distance), corridors, resistance")
    ap.add_argument("--no-grass", action="store_true")
    args = ap.parse_args()
    grass = shutil.which("grass") is not None and not args.no_grass
    parts = set(args.parts.split(","))
    for res in (float(x) for x in args.resolutions.split(",")):
        run(res, args.sources, grass, parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
