"""Speed of `ecomap.query` on bridge-site registers of 10,000 and 100,000 sites.

For each register size: 1,000 radius queries (``near``, 500 m) and 1,000 ``within``
queries (a corridor's footprint, cycling over 20 corridors 100-400 m wide), through the
public API that ``ecomap query`` calls. The register is synthetic: sites spread uniformly
over Pingshan's bounding box with numpy (seeded), in EPSG:4547.

Baseline, measured in the same run on the same register and the same questions: brute
force with vectorized shapely over every site (``shapely.distance(all, p) <= r``,
``shapely.covers(footprint, all)``), building the same answer frame. Every indexed answer
is checked against the brute-force one. A second pair of columns times the core alone
(index query + exact test vs. the brute mask), without building result frames.

Run: ``.venv/bin/python benchmarks/bench_query.py [--sizes 10000,100000] [--queries 1000]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ecomap import crs  # noqa: E402
from ecomap.network import Network  # noqa: E402
from ecomap.query import footprint, near, user_point, within  # noqa: E402
from ecomap.query._index import _near_pos, _within_pos  # noqa: E402

BBOX = (114.262176, 22.624881, 114.440442, 22.783948)  # Pingshan, WGS-84
HOSTS = ("ditch", "well", "pool", "culvert", "interception_ditch")
STATUS = ("planned", "built", "damaged", "removed")


def register(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(BBOX[0], BBOX[2], n)
    lat = rng.uniform(BBOX[1], BBOX[3], n)
    gdf = gpd.GeoDataFrame(
        {"host": rng.choice(HOSTS, n), "material": rng.choice(["stone", "wood", "net", "rope", "ramp"], n),
         "status": rng.choice(STATUS, n), "installed": "2024-01-01", "note": None, "name_zh": None,
         "name_en": None, "source": "benchmark", "confidence": "synthetic"},
        geometry=gpd.points_from_xy(lon, lat), crs=crs.WGS84,
        index=pd.Index([f"BR{i:06d}" for i in range(n)], name="id"),
    )
    return gdf.to_crs(crs.INTERNAL)


def corridors(k: int = 20, seed: int = 2) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x0, y0 = crs.transform_point(BBOX[0], BBOX[1])
    x1, y1 = crs.transform_point(BBOX[2], BBOX[3])
    lines = []
    for _ in range(k):
        xs = np.sort(rng.uniform(x0, x1, 4))
        ys = rng.uniform(y0, y1, 4)
        lines.append(shapely.LineString(np.column_stack([xs, ys])))
    return gpd.GeoDataFrame(
        {"width_m": rng.uniform(100, 400, k), "kind": "mountain", "from_id": None, "to_id": None,
         "status": "existing", "name_zh": None, "name_en": None, "source": "benchmark", "confidence": "synthetic"},
        geometry=lines, crs=crs.INTERNAL, index=pd.Index([f"C{i + 1:02d}" for i in range(k)], name="id"))


def timed(fn, items) -> tuple[float, list]:
    t0 = time.perf_counter()
    out = [fn(it) for it in items]
    return time.perf_counter() - t0, out


def run(n: int, q: int) -> None:
    net = Network({"bridges": register(n), "corridors": corridors()})
    sites = net.bridges
    _ = sites.sindex  # build the index once, as a loaded register has it (timed separately)
    t0 = time.perf_counter()
    sites.copy().sindex  # noqa: B018
    t_index = time.perf_counter() - t0
    rng = np.random.default_rng(3)
    pts = list(zip(rng.uniform(BBOX[0], BBOX[2], q), rng.uniform(BBOX[1], BBOX[3], q), strict=True))
    refs = [f"corridors:C{i % 20 + 1:02d}" for i in range(q)]
    geoms = np.asarray(sites.geometry.values)
    radius = 500.0

    # --- radius queries
    t_api, got = timed(lambda p: near(net, "bridges", p, radius_m=radius), pts)

    def brute_near(p):
        pt = user_point(p)
        d = shapely.distance(geoms, pt)
        m = d <= radius
        out = sites[m].copy()
        out["distance_m"] = d[m]
        return out

    t_brute, want = timed(brute_near, pts)
    assert all(set(a.index) == set(b.index) for a, b in zip(got, want, strict=True))
    ipts = [user_point(p) for p in pts]
    t_core, _ = timed(lambda pt: _near_pos(sites, pt, radius), ipts)
    t_core_b, _ = timed(lambda pt: np.flatnonzero(shapely.distance(geoms, pt) <= radius), ipts)
    hits = np.mean([len(g) for g in got])
    print(f"{n:>7,} sites  near 500 m   x{q}: api {t_api * 1e3 / q:7.3f} ms/q  brute {t_brute * 1e3 / q:7.3f} ms/q  "
          f"ratio {t_brute / t_api:6.1f}x | core {t_core * 1e3 / q:6.3f} vs {t_core_b * 1e3 / q:6.3f} ms/q  "
          f"ratio {t_core_b / t_core:6.1f}x  (mean {hits:.0f} hits)")

    # --- within a corridor's footprint
    t_api, got = timed(lambda r: within(net, "bridges", r), refs)

    def brute_within(r):
        area = footprint(net, r)
        return sites[shapely.covers(area, geoms)]

    t_brute, want = timed(brute_within, refs)
    assert all(set(a.index) == set(b.index) for a, b in zip(got, want, strict=True))
    areas = {r: footprint(net, r) for r in set(refs)}
    t_core, _ = timed(lambda r: _within_pos(sites, areas[r])[0], refs)
    t_core_b, _ = timed(lambda r: np.flatnonzero(shapely.covers(areas[r], geoms)), refs)
    hits = np.mean([len(g) for g in got])
    print(f"{n:>7,} sites  within C..   x{q}: api {t_api * 1e3 / q:7.3f} ms/q  brute {t_brute * 1e3 / q:7.3f} ms/q  "
          f"ratio {t_brute / t_api:6.1f}x | core {t_core * 1e3 / q:6.3f} vs {t_core_b * 1e3 / q:6.3f} ms/q  "
          f"ratio {t_core_b / t_core:6.1f}x  (mean {hits:.0f} hits)")
    print(f"{n:>7,} sites  building the STRtree once: {t_index * 1e3:.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=1000)
    args = ap.parse_args()
    print("ratio = brute-force time / indexed time, same run, same questions (higher is faster)")
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, args.queries)


if __name__ == "__main__":
    main()
