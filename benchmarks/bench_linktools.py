"""Linkage Mapper's tools in the corridor model: Centrality Mapper and Pinchpoint Mapper, same-run ratios.

On the bundled district at 30 m, timed in one run: the model as it is (pairwise circuit), the
model with ``centrality=True``, and the model with ``pinchpoint_cutoff`` at a few cutoffs (one
circuit per link on its truncated corridor); for each, the time as a ratio of the plain model's,
the mean cells per truncated corridor, and how far the truncated effective resistance lies above
the whole-raster one. Also 8 against 16 neighbours (knight's moves) for cost-distance and paths.

Run: ``.venv/bin/python benchmarks/bench_linktools.py [--resolution 30] [--cutoffs 5000,20000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ecomap.corridors import model_corridors
from ecomap.network import load_network


def _timed(**kw):
    t = time.perf_counter()
    m = model_corridors(load_network(), **kw)
    return m, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", type=float, default=30.0)
    ap.add_argument("--cutoffs", default="5000,20000")
    args = ap.parse_args()
    base, t0 = _timed(resolution=args.resolution)
    print(f"plain model: {len(base.sources)} sources, {len(base.paths)} links, {t0:.1f} s (= 1.00)")
    m, t = _timed(resolution=args.resolution, centrality=True)
    top = m.sources["cf_central"].sort_values(ascending=False).head(3)
    print(f"centrality:  x{t / t0:.2f}; most central patches {', '.join(f'{i} {v:.1f} A' for i, v in top.items())}")
    for cut in [float(c) for c in args.cutoffs.split(",")]:
        m, t = _timed(resolution=args.resolution, pinchpoint_cutoff=cut)
        up = m.paths["pp_eff_resistance"] / m.paths["eff_resistance"]
        print(f"pinchpoint cutoff {cut:,.0f}: x{t / t0:.2f}; truncated R / whole-raster R median {np.nanmedian(up):.3f} "
              f"(min {np.nanmin(up):.3f}, max {np.nanmax(up):.3f}); "
              f"CWD/R ratio median {np.nanmedian(m.paths['cwd_to_eff_resistance']):.3g}")
    k, tk = _timed(resolution=args.resolution, neighbours=16, circuit=False)
    e, te = _timed(resolution=args.resolution, circuit=False)
    drop = 1 - k.paths["cwd"] / e.paths.loc[k.paths.index, "cwd"]
    print(f"16 vs 8 neighbours (no circuit): x{tk / te:.2f} time; link cwd lower by median {100 * np.median(drop):.2f} % "
          f"(max {100 * drop.max():.2f} %)")


if __name__ == "__main__":
    main()
