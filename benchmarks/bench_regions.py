"""Circuitscape's focal-region rule against the all-shorted model and one solve per pair.

On the district at 30 m (and 10 m if asked) with the bundled sources topped up to ``--sources``
(as ``bench_corridors.py``), timed in the same run:

* ``regions='pair'`` (ecomap's default: one CHOLMOD supernodal Cholesky per component with the
  region rings last, the Green's matrix on the rings, then a 2x2 block Cholesky per pair that
  reuses the larger ring's factor);
* ``regions='all'`` (every source shorted in every solve, the previous model: one solve per source);
* one solve per pair from scratch (``effective_resistance`` called with the pair's two regions
  only), timed on ``--sample`` pairs and projected to all pairs; its values are compared with
  the pair rule's.

Run: ``.venv/bin/python benchmarks/bench_regions.py [--resolutions 30] [--sources 20] [--sample 8]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from bench_corridors import _sources  # noqa: I001  (run from benchmarks/)
from scipy import ndimage

from ecomap.corridors import effective_resistance, make_grid, resistance_surface
from ecomap.network import load_network


def _ring_cells(r: np.ndarray, masks: list[np.ndarray]) -> int:
    """Cells of a source with a valid 8-neighbour outside it (the region rule's ring cells)."""
    valid = np.isfinite(r)
    out = np.zeros(r.shape, dtype=bool)
    for m in masks:
        out |= m & valid & ndimage.binary_dilation(valid & ~m, structure=np.ones((3, 3), bool))
    return int(out.sum())


def run(resolution: float, n_sources: int, sample: int) -> None:
    network = load_network()
    grid = make_grid(network.district, resolution)
    r, grid = resistance_surface(network, resolution=resolution, grid=grid)
    lab, _ = _sources(network, grid, r, n_sources)
    k = int(lab.max()) + 1
    masks = [lab == i for i in range(k)]
    print(f"\n== {resolution:g} m: {int(np.isfinite(r).sum()):,} cells, {k} sources, {k * (k - 1) // 2} pairs, "
          f"{_ring_cells(r, masks):,} ring cells (the dense block)")
    t = time.perf_counter()
    r_all = effective_resistance(r, masks, regions="all")
    t_all = time.perf_counter() - t
    t = time.perf_counter()
    r_pair = effective_resistance(r, masks)
    t_pair = time.perf_counter() - t
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    pick = [pairs[i] for i in np.linspace(0, len(pairs) - 1, sample).astype(int)]
    t = time.perf_counter()
    worst = 0.0
    for a, b in pick:
        one = effective_resistance(r, [masks[a], masks[b]])[0, 1]
        worst = max(worst, abs(one - r_pair[a, b]) / one)
    t_one = (time.perf_counter() - t) / sample * len(pairs)
    ok = r_all > 0
    lower = (r_pair[ok] - r_all[ok]) / r_pair[ok]
    print(f"regions='all' (previous model): {t_all:8.2f} s")
    print(f"regions='pair' (Circuitscape):  {t_pair:8.2f} s   ratio pair / all = {t_pair / t_all:.2f}")
    print(f"one solve per pair:             {t_one:8.2f} s   projected from {sample} pairs; "
          f"ratio pair / per-pair = {t_pair / t_one:.3f}; max relative difference {worst:.1e}")
    print(f"all-shorted is lower by up to {100 * lower.max():.1f} % (median {100 * np.median(lower):.1f} %); "
          f"pairs unconnected only under the pair rule: {int(((r_pair < 0) & (r_all > 0)).sum() // 2)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolutions", default="30")
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--sample", type=int, default=8)
    args = ap.parse_args()
    for res in (float(x) for x in args.resolutions.split(",")):
        run(res, args.sources, args.sample)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
