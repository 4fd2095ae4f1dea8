"""Speed of the bridge-site generator, against baselines measured in the same run.

Timed on the bundled network, for each ``--n``:

* ``ecomap.bridges.synthesize`` with its default spacing (no two sites 10 m or less apart);
* the same with ``min_spacing_m=0`` (every site drawn independently, as before spacing);
* the floor: drawing ``n`` uniform random points in the district's bounding box with
  ``shapely.points`` (what any generator has to pay at least);
* the per-site baseline: the same placement rule for trail ditches written as a Python loop
  over sites with scalar shapely calls (pick a trail, interpolate, step sideways). It is
  timed on ``--sample`` sites and scaled to ``n``;
* the spacing pass alone on ``2 n`` candidates (wells inside the parks and trail ditches):
  the vectorized greedy pass (``bridges._spacing._greedy_spaced``: one STRtree ``dwithin`` query,
  rounds over arrays) against the same greedy rule as a Python loop over candidates with a
  grid of cells (checked to keep exactly the same candidates).

Printed: seconds and the ratios spaced / unspaced, spaced / floor, per-site loop /
spaced, and spacing loop / spacing pass.

Run: ``.venv/bin/python benchmarks/bench_bridges_synth.py [--n 10000 100000] [--sample 3000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import shapely

from ecomap.bridges import MIN_SPACING_M, synthesize
from ecomap.bridges._place import _along, _inside
from ecomap.bridges._spacing import _greedy_spaced
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


def loop_greedy(x: np.ndarray, y: np.ndarray, spacing: float) -> np.ndarray:
    """The greedy spacing rule one candidate at a time (the baseline of the spacing pass).

    Only the first candidate of each cell of side spacing / sqrt(2) goes on; a candidate is
    kept when no kept one lies within ``spacing`` of it (looked up in the nearby cells).
    """
    cell = spacing / np.sqrt(2.0)
    seen: set[tuple[int, int]] = set()
    grid: dict[tuple[int, int], list[int]] = {}
    kept = np.zeros(len(x), dtype=bool)
    reach = int(np.ceil(spacing / cell))
    for k in range(len(x)):
        c = (int(np.floor(x[k] / cell)), int(np.floor(y[k] / cell)))
        if c in seen:
            continue
        seen.add(c)
        ok = True
        for dx in range(-reach, reach + 1):
            for dy in range(-reach, reach + 1):
                for j in grid.get((c[0] + dx, c[1] + dy), ()):
                    if (x[j] - x[k]) ** 2 + (y[j] - y[k]) ** 2 <= spacing * spacing:
                        ok = False
                        break
                if not ok:
                    break
            if not ok:
                break
        if ok:
            kept[k] = True
            grid.setdefault(c, []).append(k)
    return kept


def candidates(network, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``2 n`` candidates in a random order: half wells in the parks, half trail ditches."""
    rng = np.random.default_rng(seed)
    keep = network.district.buffer(-40)
    parks = np.asarray(shapely.intersection(network.ridge.geometry.values, keep), dtype=object)
    parks = parks[~shapely.is_empty(parks)]
    trails = np.asarray(shapely.intersection(network.trails.geometry.values, keep), dtype=object)
    trails = trails[~shapely.is_empty(trails)]
    lab_p = np.zeros(len(parks), dtype=object)
    lab_t = np.zeros(len(trails), dtype=object)
    x1, y1, _ = _inside(rng, parks, lab_p, n)
    x2, y2, _ = _along(rng, trails, lab_t, n, (2.0, 8.0))
    order = rng.permutation(2 * n)
    return np.r_[x1, x2][order], np.r_[y1, y2][order]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--sample", type=int, default=3000)
    args = ap.parse_args()
    net = load_network()
    x0, y0, x1, y1 = net.district.bounds
    loop_t = _best(lambda: per_site_ditches(net, args.sample, 0), repeat=1) / args.sample
    print(f"{'n':>8} {'spaced s':>9} {'unspaced s':>11} {'floor s':>8} {'loop s (scaled)':>16} "
          f"{'spaced/unsp':>12} {'spaced/floor':>13} {'loop/spaced':>12}")
    for n in args.n:
        rng = np.random.default_rng(0)
        t_syn = _best(lambda n=n: synthesize(net, n, seed=1))
        t_free = _best(lambda n=n: synthesize(net, n, seed=1, min_spacing_m=0))
        t_floor = _best(lambda n=n, rng=rng: shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)))
        t_loop = loop_t * n
        print(f"{n:>8} {t_syn:>9.3f} {t_free:>11.3f} {t_floor:>8.4f} {t_loop:>16.2f} "
              f"{t_syn / t_free:>12.1f} {t_syn / t_floor:>13.0f} {t_loop / t_syn:>12.1f}")
    print(f"\nspacing pass alone ({MIN_SPACING_M:g} m), on 2 n candidates")
    print(f"{'candidates':>10} {'kept':>7} {'pass s':>8} {'loop s':>8} {'loop/pass':>10}")
    for n in args.n:
        cx, cy = candidates(net, n, 3)
        t_pass = _best(lambda cx=cx, cy=cy: _greedy_spaced(cx, cy, None, MIN_SPACING_M))
        t = time.perf_counter()
        slow = loop_greedy(cx, cy, MIN_SPACING_M)
        t_slow = time.perf_counter() - t
        fast = _greedy_spaced(cx, cy, None, MIN_SPACING_M)
        if not np.array_equal(fast, slow):
            raise SystemExit("the spacing pass and the loop kept different candidates")
        print(f"{len(cx):>10} {int(fast.sum()):>7} {t_pass:>8.3f} {t_slow:>8.2f} {t_slow / t_pass:>10.1f}")


if __name__ == "__main__":
    main()
