"""Speed of ``joins.bridge_sites`` against the join it replaced, in the same run.

The bridge sites are random points inside the bundled Pingshan boundary
(``bench_webmap.bridges_in``); corridors and patches are the bundled ones. For each
``--sizes`` it times, best of ``--repeat``:

* ``ecomap.joins.bridge_sites`` (one STRtree over the sites, queried with the few
  footprints and patches, ``dwithin``; ``shapely.distance`` on the candidate pairs only);
* the former join, kept below: every site queries the footprints' and then the patches'
  STRtree (``dwithin``), then ``shapely.distance`` on its candidates.

Both answers are checked to be equal. Printed: seconds, old / new ratios and the fitted
exponents. With ``--profile N`` it also profiles (cProfile) the thematic bridge map build of
``bench_webmap.py --thematic`` at ``N`` sites and prints the top functions by cumulative
and by own time.

Run: ``.venv/bin/python benchmarks/bench_join.py [--sizes 10000 100000 1000000] [--profile 1000000]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_webmap import bridges_in  # noqa: E402

from ecomap import joins  # noqa: E402
from ecomap.crs import INTERNAL  # noqa: E402
from ecomap.network import load_network  # noqa: E402


def _old_nearest(points, frame, distance):
    """The former ``joins._nearest_within`` as ``bridge_sites`` used it."""
    label = np.full(len(points), None, dtype=object)
    dist = np.full(len(points), np.nan)
    ok = ~shapely.is_missing(points)
    if not ok.any() or frame.empty:
        return label, dist
    pos = np.flatnonzero(ok)
    left, right = frame.sindex.query(points[pos], predicate="dwithin", distance=distance[pos])
    if len(left) == 0:
        return label, dist
    d = shapely.distance(points[pos][left], frame.geometry.values[right])
    order = np.lexsort((d, left))
    left, right, d = left[order], right[order], d[order]
    firsts = np.unique(left, return_index=True)[1]
    label[pos[left[firsts]]] = frame.index.to_numpy()[right[firsts]]
    dist[pos[left[firsts]]] = d[firsts]
    return label, dist


def old_bridge_sites(network, max_distance_m: float = 100.0) -> pd.DataFrame:
    """The former ``joins.bridge_sites``."""
    b = network.bridges
    pts = b.geometry.values
    dist = np.full(len(b), float(max_distance_m))
    fp = gpd.GeoDataFrame(geometry=joins.corridor_footprints(network), crs=INTERNAL)
    c_lab, c_d = _old_nearest(pts, fp, dist)
    p_lab, p_d = _old_nearest(pts, network.patches, dist)
    out = pd.DataFrame({"status": b["status"].to_numpy(), "corridor_id": c_lab, "corridor_m": c_d,
                        "patch_id": p_lab, "patch_m": p_d}, index=b.index)
    serves = np.where(c_lab != None, "corridor", np.where(p_lab != None, "patch", None))  # noqa: E711
    out["serves"] = pd.Series(serves, index=b.index, dtype=object)
    return out


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def profile_thematic(base, n: int, top: int = 25) -> None:
    """cProfile of the thematic bridge map build (``bench_webmap.py --thematic``) at ``n`` sites."""
    from ecomap import webmap
    from ecomap.webmap._maps import _bridges_map

    net = base.replace(bridges=bridges_in(base.district, n))
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    webmap.render_html(_bridges_map(net, basemap="none"))
    prof.disable()
    print(f"\nthematic bridge map, {n:,} sites: built in {time.perf_counter() - t:.2f} s (under cProfile)")
    for key in ("cumulative", "tottime"):
        s = io.StringIO()
        pstats.Stats(prof, stream=s).strip_dirs().sort_stats(key).print_stats(top)
        print(f"--- top {top} by {key} ---")
        print("\n".join(s.getvalue().splitlines()[6:]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, help="also profile the thematic map build at this many sites")
    args = ap.parse_args()
    base = load_network()
    print(f"{len(base.corridors)} corridors, {len(base.patches)} patches; max distance 100 m")
    rows = []
    for n in args.sizes:
        net = base.replace(bridges=bridges_in(base.district, n))
        t_new, new = best_of(lambda net=net: joins.bridge_sites(net), args.repeat)
        t_old, old = best_of(lambda net=net: old_bridge_sites(net), args.repeat)
        pd.testing.assert_frame_equal(new, old)
        served = new["serves"].value_counts().to_dict()
        rows.append((n, t_old, t_new))
        print(f"{n:>9,} sites: former {t_old:.3f} s, new {t_new:.3f} s, former / new x{t_old / t_new:.2f}"
              f"  (answers equal; serves {served})")
    if len(rows) > 1:
        n, t_old, t_new = (np.array(c, dtype=float) for c in zip(*rows, strict=False))
        for name, t in (("former", t_old), ("new", t_new)):
            print(f"{name}: grows as n^{np.polyfit(np.log(n), np.log(t), 1)[0]:.2f}")
    if args.profile:
        profile_thematic(base, args.profile)


if __name__ == "__main__":
    main()
