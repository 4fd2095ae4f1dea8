"""Speed of the bridge-site generator, against two baselines measured in the same run.

Timed on the bundled network, for each ``--n``:

* ``ecomap.bridges.synthesize`` (vectorized shapely 2: every site of a host kind placed in
  one call);
* the floor: drawing ``n`` uniform random points in the district's bounding box with
  ``shapely.points`` (what any generator has to pay at least);
* the per-site baseline: the same placement rule for trail ditches written as a Python loop
  over sites with scalar shapely calls (pick a trail, interpolate, step sideways). It is
  timed on ``--sample`` sites and scaled to ``n``.

Printed: seconds and the ratios synthesize / floor and per-site loop / synthesize.

Run: ``.venv/bin/python benchmarks/bench_bridges_synth.py [--n 10000 100000] [--sample 3000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from ecomap.bridges import synthesize
from ecomap.network import load_network


def _best(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def per_site_ditches(network, n: int, seed: int) -> list:
    """Trail-ditch sites, one at a time (the baseline)."""
    rng = np.random.default_rng(seed)
    keep = network.district.buffer(-40)
    trails = [shapely.intersection(g, keep) for g in network.trails.geometry]
    lengths = np.array([g.length for g in trails])
    out = []
    for _ in range(n):
        k = rng.choice(len(trails), p=lengths / lengths.sum())
        line = trails[k]
        s = rng.random() * line.length
        p0 = line.interpolate(s)
        p1 = line.interpolate(min(s + 1.0, line.length))
        dx, dy = p1.x - p0.x, p1.y - p0.y
        norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
        d = rng.uniform(2, 8) * rng.choice((-1.0, 1.0))
        out.append(shapely.Point(p0.x - dy / norm * d, p0.y + dx / norm * d))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--sample", type=int, default=3000)
    args = ap.parse_args()
    net = load_network()
    x0, y0, x1, y1 = net.district.bounds
    loop_t = _best(lambda: per_site_ditches(net, args.sample, 0), repeat=1) / args.sample
    print(f"{'n':>8} {'synthesize s':>13} {'floor s':>9} {'loop s (scaled)':>16} "
          f"{'synth/floor':>12} {'loop/synth':>11}")
    for n in args.n:
        rng = np.random.default_rng(0)
        t_syn = _best(lambda n=n: synthesize(net, n, seed=1))
        t_floor = _best(lambda n=n, rng=rng: shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)))
        t_loop = loop_t * n
        print(f"{n:>8} {t_syn:>13.3f} {t_floor:>9.4f} {t_loop:>16.2f} "
              f"{t_syn / t_floor:>12.1f} {t_loop / t_syn:>11.1f}")


if __name__ == "__main__":
    main()
