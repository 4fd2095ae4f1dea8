"""Linkage Mapper's tools in the corridor model: Centrality Mapper and Pinchpoint Mapper, same-run ratios.

On the bundled district at 30 m, in one run after a warm-up model: the whole-raster pairwise
circuit of the model's links (Circuitscape's region rule, resistances and current), against
Pinchpoint Mapper (``pinchpoint_mapper``: one circuit per link on its corridor truncated at a
few cutoffs) and Centrality Mapper on the link graph; the time of each as a ratio of the
whole-raster circuit's, the mean cells per truncated corridor, and the truncated effective
resistance over the whole-raster one. Also 16 against 8 neighbours (knight's moves) for the
model without circuit.

Run: ``.venv/bin/python benchmarks/bench_linktools.py [--resolution 30] [--cutoffs 5000,20000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ecomap.corridors import (
    cost_distances,
    current_density,
    current_flow_centrality,
    effective_resistance,
    model_corridors,
    pinchpoint_mapper,
)
from ecomap.network import load_network


def _clock(f, *a, **kw):
    t = time.perf_counter()
    out = f(*a, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", type=float, default=30.0)
    ap.add_argument("--cutoffs", default="5000,20000")
    args = ap.parse_args()
    net = load_network()
    m = model_corridors(net, resolution=args.resolution, circuit=False)  # warm-up, and the links
    ids = list(m.sources.index)
    links = [(ids.index(a), ids.index(b)) for a, b in zip(m.paths["from_id"], m.paths["to_id"], strict=True)]
    masks = [m.source_labels == i for i in range(len(ids))]
    r, cs = m.resistance, m.grid.cellsize
    print(f"{len(ids)} sources, {len(links)} links, {int(np.isfinite(r).sum()):,} cells of {cs:g} m")
    (reff, t_r) = _clock(effective_resistance, r, masks, pairs=links, tol=1e-8)
    (_, t_c) = _clock(current_density, r, masks, pairs=links, tol=1e-8)
    t0 = t_r + t_c
    whole = np.array([reff[a, b] for a, b in links])
    print(f"whole-raster pairwise circuit (region rule): {t0:.1f} s (= 1.00)")
    cwds = list(cost_distances(r, masks, cellsize=cs))
    for cut in [float(c) for c in args.cutoffs.split(",")]:
        pp, t = _clock(pinchpoint_mapper, r, masks, links, cutoff=cut, cwds=cwds, cellsize=cs, tol=1e-8)
        up = pp.eff_resistance / whole
        print(f"Pinchpoint Mapper, cutoff {cut:,.0f}: x{t / t0:.2f}; {pp.cells.mean():,.0f} cells a link "
              f"({100 * pp.cells.mean() / np.isfinite(r).sum():.1f} % of the raster); truncated R / whole R "
              f"median {np.nanmedian(up):.2f} (min {np.nanmin(up):.3f}, max {np.nanmax(up):.2f}); "
              f"CWD/R median {np.nanmedian(pp.cwd_to_eff_resistance):.3g}")
    c, t = _clock(current_flow_centrality, links, m.paths["cwd"].to_numpy(), cores=range(len(ids)))
    top = sorted(zip(c.cores, ids, strict=True), reverse=True)[:3]
    print(f"Centrality Mapper: x{t / t0:.4f}; most central {', '.join(f'{i} {v:.1f} A' for v, i in top)}")
    k, tk = _clock(model_corridors, net, resolution=args.resolution, neighbours=16, circuit=False)
    e, te = _clock(model_corridors, net, resolution=args.resolution, circuit=False)
    drop = 1 - k.paths["cwd"] / e.paths.loc[k.paths.index, "cwd"]
    print(f"16 vs 8 neighbours (model without circuit): x{tk / te:.2f} time; link cwd lower by median "
          f"{100 * np.median(drop):.2f} % (max {100 * drop.max():.2f} %)")


if __name__ == "__main__":
    main()
