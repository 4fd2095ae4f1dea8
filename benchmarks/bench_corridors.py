"""Speed of the corridor model on the district at 30 m and 10 m, with GRASS r.cost as the baseline.

For each resolution the resistance surface is built from the bundled layers, and the sources are
the bundled habitat patches (topped up with 150 m discs spread evenly over the district when there
are fewer than ``--sources``). Timed, in the same run:

* cost-distance from every source: ``ecomap.corridors.cost_distances`` (the grid's graph built
  once, its time included) against GRASS ``r.cost``
  (8 neighbours, no ``-k``) on the same grid and the same source cells, imported once into a
  temporary GRASS location; only the ``r.cost`` call is timed on the GRASS side, and the two
  cost surfaces are compared cell by cell (r.cost works in cell units, so ours runs with
  ``cellsize=1`` for the comparison);
* least-cost corridors: the normalized corridor ``CWD_a + CWD_b - LCD_ab`` of every pair of
  neighbouring sources (each source's three cheapest partners);
* pairwise effective resistance between the sources with ecomap's default solver (one sparse LU
  factorization reused by every solve, while it fits in memory) against conjugate gradients with
  one smoothed-aggregation AMG hierarchy (pyamg) reused by every solve; at 10 m the AMG time is
  projected from its setup and two timed solves.

Run: ``.venv/bin/python benchmarks/bench_corridors.py [--resolutions 30,10] [--sources 20]``
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

from ecomap.corridors import (
    _circuit,
    _Solver,
    cost_distances,
    effective_resistance,
    make_grid,
    resistance_surface,
)
from ecomap.network import load_network


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


def run(resolution: float, n_sources: int, grass: bool) -> None:
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

    # cost-distance, ours in metres and in r.cost's cell units
    t = time.perf_counter()
    cwd = list(cost_distances(r, masks, cellsize=resolution))  # the grid's graph built once
    t_ours = time.perf_counter() - t
    print(f"cost-distance, ours:       {t_ours:7.2f} s  ({t_ours / k:.3f} s per source)")
    if grass:
        with tempfile.TemporaryDirectory() as tmp:
            theirs, t_grass = _grass_rcost(r, grid, masks, Path(tmp))
        ours_cells = [c / resolution for c in cwd]
        with np.errstate(invalid="ignore"):  # inf - inf where neither reaches
            diff = max(float(np.max(np.abs(np.where(np.isfinite(a), a - b, 0.0))))
                       for a, b in zip(ours_cells, theirs, strict=True))
        top = max(float(np.max(a[np.isfinite(a)])) for a in theirs)
        same_reach = all((np.isfinite(a) == np.isfinite(b)).all() for a, b in zip(ours_cells, theirs, strict=True))
        print(f"cost-distance, r.cost:     {t_grass:7.2f} s  ({t_grass / k:.3f} s per source)   "
              f"ratio ours / r.cost = {t_ours / t_grass:.2f}")
        print(f"  values: max |ours - r.cost| = {diff:.3g} cost-cell units (largest value {top:,.0f}; "
              f"relative {diff / top:.1e}); same reachable cells: {same_reach}")
    else:
        print("cost-distance, r.cost:     GRASS is not installed; no baseline")

    # least-cost corridors between neighbouring sources
    lcd = np.array([[float(np.min(c[m])) for m in masks] for c in cwd])
    pairs = sorted({(min(a, b), max(a, b)) for a in range(k) for b in np.argsort(lcd[a])[1:4]})
    t = time.perf_counter()
    mosaic = np.full(grid.shape, np.inf)
    for a, b in pairs:
        mosaic = np.minimum(mosaic, cwd[a] + cwd[b] - lcd[a, b])
    t_lcc = time.perf_counter() - t
    print(f"least-cost corridors:      {t_lcc:7.2f} s  for {len(pairs)} links")

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
    ap.add_argument("--no-grass", action="store_true")
    args = ap.parse_args()
    grass = shutil.which("grass") is not None and not args.no_grass
    for res in (float(x) for x in args.resolutions.split(",")):
        run(res, args.sources, grass)
    return 0


if __name__ == "__main__":
    sys.exit(main())
