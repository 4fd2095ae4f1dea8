"""Peak memory and time of the corridor model with many sources: this code against an older checkout.

The network is the bundled one with its habitat patches topped up to ``--sources`` by 150 m
discs spread evenly over the district (farthest-point picks from a fixed random sample), so
both checkouts model the same sources. Each run is its own subprocess: peak RSS is the
kernel's high-water mark (``VmHWM``, reset by ``/proc/self/clear_refs``) minus the RSS after
the imports, the network and a warm-up model at a quarter of the resolution (lazy imports,
compiled kernels), with glibc's mmap threshold fixed (``MALLOC_MMAP_THRESHOLD_``) so freed
arrays leave the resident set; time is wall and CPU of ``model_corridors`` alone. The circuit is off by default
(``--circuit`` turns it on): with hundreds of sources its solves, not the per-source
surfaces, would set the time. The outputs of the two checkouts are compared cell by cell.

Run: ``.venv/bin/python benchmarks/bench_model_memory.py --old /tmp/model-mem-old/src
[--sources 400] [--resolution 30]``; make the old checkout with
``git worktree add /tmp/model-mem-old 07a9f01``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np

def rss(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

import geopandas as gpd
import shapely
from ecomap.corridors import model_corridors
from ecomap.corridors.grid import _extent_geometry
from ecomap.network import Network, load_network

net = load_network()
want, res, circuit, out = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
patches = net["patches"]
ext = _extent_geometry(net, "district")
rng = np.random.default_rng(0)
x0, y0, x1, y1 = ext.bounds
pts = shapely.points(rng.uniform(x0, x1, 20000), rng.uniform(y0, y1, 20000))
taken = shapely.union_all(patches.geometry.values).buffer(300)
pts = pts[shapely.contains(ext.buffer(-300), pts) & ~shapely.intersects(taken, pts)][:4000]
xy = shapely.get_coordinates(pts)
chosen = [xy[0]]
d = np.hypot(*(xy - xy[0]).T)
while int(patches.intersects(ext).sum()) + len(chosen) < want:
    k = int(np.argmax(d))
    chosen.append(xy[k])
    d = np.minimum(d, np.hypot(*(xy - xy[k]).T))
extra = patches.iloc[[0] * len(chosen)].copy()
extra.index = [f"S{i:04d}" for i in range(len(chosen))]
extra.index.name = patches.index.name
extra["geometry"] = [shapely.Point(*c).buffer(150) for c in chosen]
layers = {name: net[name] for name in net.layers}
layers["patches"] = gpd.GeoDataFrame(gpd.pd.concat([patches, extra]), crs=patches.crs)
net = Network(layers, data_dir=net.data_dir)
model_corridors(net, resolution=4 * res, circuit=circuit)  # warm-up: lazy imports, compiled kernels
open("/proc/self/clear_refs", "w").write("5")
base = rss("VmRSS:")
w, c = time.perf_counter(), time.process_time()
m = model_corridors(net, resolution=res, circuit=circuit)
w, c = time.perf_counter() - w, time.process_time() - c
peak = rss("VmHWM:") - base
np.savez(out, corridors=m.corridors, nearest=m.cost_distance, lcd=m.lcd.to_numpy(),
         cwd=m.paths["cwd"].to_numpy(), ids=np.array(list(m.paths.index)))
print(json.dumps({"wall": w, "cpu": c, "peak": peak, "sources": len(m.sources), "links": len(m.paths),
                  "cells": int(m.resistance.size), "estimate": m.notes.get("memory_estimate_bytes")}))
"""


def run(src: str, sources: int, resolution: float, circuit: bool, out: Path) -> dict:
    """Run the model in a subprocess on checkout ``src``; return its figures."""
    proc = subprocess.run([sys.executable, "-c", CHILD, src, str(sources), str(resolution), str(int(circuit)),
                           str(out)], capture_output=True, text=True, check=False,
                          env={**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072"})
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    """Run both checkouts and print peak memory, time and their ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old", required=True, help="src folder of the older checkout")
    ap.add_argument("--src", default=str(HERE.parent / "src"), help="src folder of this checkout")
    ap.add_argument("--sources", type=int, default=400)
    ap.add_argument("--resolution", type=float, default=30.0)
    ap.add_argument("--circuit", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-model-memory-") as tmp:
        got = {}
        for name, src in (("before", a.old), ("after", a.src)):
            got[name] = run(src, a.sources, a.resolution, a.circuit, Path(tmp) / f"{name}.npz")
            g = got[name]
            print(f"{name:6s} {g['sources']} sources, {g['links']} links, {g['cells']:,} cells: "
                  f"peak {g['peak'] / 2**20:8.0f} MiB ({g['peak'] / g['cells']:.0f} B/cell), "
                  f"wall {g['wall']:7.1f} s, CPU {g['cpu']:7.1f} s, estimate "
                  f"{(g['estimate'] or 0) / 2**20:.0f} MiB ({(g['estimate'] or 0) / max(g['peak'], 1):.2f}x peak)",
                  flush=True)
        old, new = (np.load(Path(tmp) / f"{k}.npz") for k in ("before", "after"))
        same = all(np.array_equal(old[k], new[k], equal_nan=old[k].dtype.kind == "f") for k in old.files)
    b, f = got["before"], got["after"]
    print(f"after / before: peak memory {f['peak'] / b['peak']:.3f}, wall {f['wall'] / b['wall']:.2f}, "
          f"CPU {f['cpu'] / b['cpu']:.2f}; outputs identical: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
