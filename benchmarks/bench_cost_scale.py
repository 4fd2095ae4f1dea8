"""Cost-distance from one source on the district at 30, 10 and 5 m: this code, an older checkout and GRASS r.cost.

For each resolution the resistance surface is built from the bundled layers and the source is
the passable cell nearest the grid's centre. Each run is its own subprocess with glibc's mmap
threshold fixed (``MALLOC_MMAP_THRESHOLD_``, so freed arrays leave the resident set):

* ours and the older checkout (``--old``, e.g. ``git worktree add /tmp/model-mem-old 07a9f01``):
  ``cost_distances(r, [[cell]])`` (graph and search), after a warm-up that loads the compiled
  kernel; peak RSS (``VmHWM`` after ``/proc/self/clear_refs``) above the RSS with the raster
  loaded, in bytes a cell, and CPU time;
* GRASS ``r.cost`` (8 neighbours) on the same raster and start cell, in one temporary
  location: the maximum RSS and CPU time of the ``r.cost`` process alone (``os.wait4``).
  r.cost's whole process holds its own copy of the raster (8 bytes a cell in memory mode), so
  ours is also given with the raster added.

The surfaces are compared with r.cost's (r.cost works in cell units: ours is divided by the cell
size). Ratios and the exponents of time and memory in cells are from this one run.

Run: ``.venv/bin/python benchmarks/bench_cost_scale.py [--resolutions 30,10,5] [--old SRC]
[--no-grass]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ENV = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"}

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from ecomap.corridors import cost_distances

def rss(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

r = np.load(sys.argv[2])
cell = (int(sys.argv[3]), int(sys.argv[4]))
res = float(sys.argv[5])
list(cost_distances(np.ones((4, 4)), [[(0, 0)]]))  # warm-up: the compiled kernel
open("/proc/self/clear_refs", "w").write("5")
base = rss("VmRSS:")
c = time.process_time()
(d,) = list(cost_distances(r, [[cell]], cellsize=res))
c = time.process_time() - c
peak = rss("VmHWM:") - base
np.save(sys.argv[6], d / res)
print(json.dumps({"cpu": c, "peak": peak}))
"""

GRASS = r"""
import json, os, subprocess, sys
p = subprocess.Popen(["r.cost", "input=cost", "output=cum", f"start_coordinates={sys.argv[1]},{sys.argv[2]}",
                      "--q", "--o"])
_, status, ru = os.wait4(p.pid, 0)
subprocess.run(["r.out.gdal", "input=cum", f"output={sys.argv[3]}", "type=Float64", "--q", "--o", "-c", "-f"], check=True)
print(json.dumps({"cpu": ru.ru_utime + ru.ru_stime, "peak": ru.ru_maxrss * 1024, "status": status}))
"""


def _ours(src: str, r_path: Path, cell, res: float, out: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, src, str(r_path), str(cell[0]), str(cell[1]), str(res),
                           str(out)], capture_output=True, text=True, env=ENV, check=False)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _grass(r: np.ndarray, grid, cell, work: Path) -> tuple[dict, np.ndarray]:
    import rasterio

    with rasterio.open(work / "cost.tif", "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
                       dtype="float64", crs=grid.crs, transform=grid.transform, nodata=np.nan) as dst:
        dst.write(r, 1)
    x, y = grid.xy(np.array([cell[0]]), np.array([cell[1]]))
    (work / "rcost.py").write_text(GRASS)
    (work / "run.sh").write_text(
        f"set -e\nr.in.gdal input={work / 'cost.tif'} output=cost --q -o\ng.region raster=cost\n"
        f"python3 {work / 'rcost.py'} {float(x[0])!r} {float(y[0])!r} {work / 'cum.tif'} > {work / 'rc.json'}\n")
    done = subprocess.run(["grass", "--tmp-location", "EPSG:4547", "--exec", "bash", str(work / "run.sh")],
                          capture_output=True, text=True, env=ENV, check=False)
    if done.returncode:
        raise SystemExit(f"GRASS failed:\n{done.stderr[-2000:]}")
    with rasterio.open(work / "cum.tif") as src:
        a = src.read(1, masked=True)
    return json.loads((work / "rc.json").read_text()), np.where(a.mask, np.inf, a.filled(np.inf))


def _surface(res: float):
    from ecomap.corridors import resistance_surface
    from ecomap.network import load_network

    r, grid = resistance_surface(load_network(), resolution=res)
    ok = np.argwhere(np.isfinite(r))
    centre = np.array(r.shape) / 2
    cell = tuple(int(v) for v in ok[np.argmin(np.hypot(*(ok - centre).T))])
    return r, grid, cell


def _exponent(xs, ys) -> float:
    return math.log(ys[-1] / ys[0]) / math.log(xs[-1] / xs[0]) if len(xs) > 1 and ys[0] > 0 else float("nan")


def main() -> int:
    """Run the three at each resolution and print bytes a cell, CPU time and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", default="30,10,5")
    ap.add_argument("--old", help="src folder of an older checkout to run too")
    ap.add_argument("--src", default=str(HERE.parent / "src"))
    ap.add_argument("--no-grass", action="store_true")
    a = ap.parse_args()
    grass = not a.no_grass and shutil.which("grass") is not None
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-cost-scale-") as tmp:
        work = Path(tmp)
        for res in (float(x) for x in a.resolutions.split(",")):
            r, grid, cell = _surface(res)
            np.save(work / "r.npy", r)
            row = {"res": res, "cells": r.size}
            row["after"] = _ours(a.src, work / "r.npy", cell, res, work / "after.npy")
            if a.old:
                row["before"] = _ours(a.old, work / "r.npy", cell, res, work / "before.npy")
                row["same"] = bool(np.array_equal(np.load(work / "after.npy"), np.load(work / "before.npy")))
            if grass:
                row["grass"], g = _grass(r, grid, cell, work)
                d = np.load(work / "after.npy")
                both = np.isfinite(g) & np.isfinite(d) & (g > 0)
                row["rel"] = float(np.max(np.abs(d[both] - g[both]) / g[both])) if both.any() else float("nan")
                row["finite_agree"] = bool(np.array_equal(np.isfinite(g), np.isfinite(d)))
            rows.append(row)
            _print(row)
    cells = [w["cells"] for w in rows]
    for who in ("after", "before", "grass"):
        if all(who in w for w in rows):
            print(f"{who:6s}: time ~ cells^{_exponent(cells, [w[who]['cpu'] for w in rows]):.2f}, "
                  f"peak ~ cells^{_exponent(cells, [w[who]['peak'] for w in rows]):.2f}")
    return 0


def _print(w: dict) -> None:
    n = w["cells"]
    f = w["after"]
    line = (f"{w['res']:g} m, {n:,} cells: ours {f['peak'] / n:.1f} B/cell above the raster "
            f"({(f['peak'] + 8 * n) / 2**20:.0f} MiB with it), CPU {f['cpu']:.2f} s")
    if "before" in w:
        b = w["before"]
        line += (f"; before {b['peak'] / n:.1f} B/cell, CPU {b['cpu']:.2f} s (after/before: memory "
                 f"{f['peak'] / b['peak']:.3f}, CPU {f['cpu'] / b['cpu']:.2f}; identical {w['same']})")
    if "grass" in w:
        g = w["grass"]
        line += (f"; r.cost {g['peak'] / 2**20:.0f} MiB, CPU {g['cpu']:.2f} s (ours/r.cost: memory with the raster "
                 f"{(f['peak'] + 8 * n) / g['peak']:.2f}, CPU {f['cpu'] / g['cpu']:.2f}; max rel diff {w['rel']:.1e}, "
                 f"same reach {w['finite_agree']})")
    print(line, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
