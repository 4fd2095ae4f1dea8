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

With ``--cli``: ``ecomap query`` end to end (a fresh interpreter per run, bytecode cached)
against a plain geopandas script asking the same of the same folder (read the layer with
pyogrio, project to EPSG:4547 where the question is metric, filter, print the rows' lon/lat
and attributes), for near / within a bbox / where, on the bundled data and on a copy whose
register has ``--sites`` synthetic sites (``bridges synth``). The commands take turns and
the best of ``--repeat`` is kept, of the wall-clock time and (less disturbed by other
load on the machine) of the CPU time, user + system, of each run; ``--src`` adds an older
tree's ``ecomap query``. Each pair must find the same number of features. ``ecomap query``
remembers what its checks found (``ecomap._check_cache``, here in the scratch folder; the
first, untimed round fills it); a last column runs it with the cache off
(``ECOMAP_CACHE_DIR=""``), every file read and checked as on a first run.

Run: ``.venv/bin/python benchmarks/bench_query.py [--sizes 10000,100000] [--queries 1000]``
or ``.venv/bin/python benchmarks/bench_query.py --cli [--sites 20000] [--repeat 5] [--src old/src] [--skip-no-cache]``
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
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


# --- ecomap query against a plain geopandas script, end to end -----------------------------------
CLI_QUESTIONS = {
    "near": (["--near", "114.35,22.70", "--radius", "1500"], "near"),
    "bbox": (["--bbox", "114.33,22.68,114.38,22.72"], "bbox"),
    "where": (["--where", "status == 'built' and host in ['well', 'pool']"], "where"),
}
PLAIN = """import sys
import geopandas as gpd
import shapely
g = gpd.read_file(sys.argv[1])  # pyogrio, WGS-84
kind = sys.argv[2]
if kind == "near":  # metres, in EPSG:4547
    m = g.to_crs("EPSG:4547")
    pt = gpd.GeoSeries([shapely.Point(114.35, 22.70)], crs="EPSG:4326").to_crs("EPSG:4547").iloc[0]
    d = m.distance(pt)
    keep = (d <= 1500).to_numpy()
    out = g[keep].assign(distance_m=d[keep].round(2)).sort_values(["distance_m", "id"])
elif kind == "bbox":  # the lon/lat box, densified, in EPSG:4547
    m = g.to_crs("EPSG:4547")
    box = gpd.GeoSeries([shapely.box(114.33, 22.68, 114.38, 22.72)], crs="EPSG:4326").segmentize(0.001)
    out = g[m.intersects(box.to_crs("EPSG:4547").iloc[0]).to_numpy()]
else:
    out = g[((g["status"] == "built") & g["host"].isin(["well", "pool"])).to_numpy()]
out = out.assign(lon=out.geometry.x, lat=out.geometry.y)
print(out.drop(columns="geometry").to_string(index=False))
print(len(out), "bridges features")
"""
CLI = "from ecomap.cli import main; raise SystemExit(main())"


def _count(text: str) -> int:
    found = re.search(r"(\d+) bridges features?\s*$", text)
    return 0 if found is None else int(found.group(1))


def _child_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def cli_runs(repeat: int, sites: int, trees: list[str], no_cache: bool = False) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="bench_query-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pyc")
    env["ECOMAP_CACHE_DIR"] = str(scratch / "cache")  # what ecomap remembers of its checks: not in the user's home
    big = scratch / "data"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "geo", big)
    (big / "bridges.geojson").unlink()  # replaced by the synthetic register (any tree's synth refuses to overwrite)
    subprocess.run([sys.executable, "-c", CLI, "bridges", "synth", "--n", str(sites), "--out", str(big / "bridges.geojson")],
                   env={**env, "PYTHONPATH": trees[0]}, check=True, capture_output=True)
    folders = {"bundled": Path(__file__).resolve().parents[1] / "data" / "geo", f"{sites:,} sites": big}
    plain = scratch / "plain.py"
    plain.write_text(PLAIN)
    print(f"best of {repeat}, taking turns; ratio = ecomap query / plain geopandas script (same run)")
    for label, folder in folders.items():
        for q, (argv, kind) in CLI_QUESTIONS.items():
            query = [sys.executable, "-c", CLI, "query", "bridges", "--data", str(folder), *argv]
            cmds = [([sys.executable, str(plain), str(folder / "bridges.geojson"), kind], trees[0], {}, "")]
            cmds += [(query, t, {}, Path(t).parent.name or t) for t in trees]
            if not no_cache:  # the same, remembering nothing between runs: every file read and checked
                cmds.append((query, trees[0], {"ECOMAP_CACHE_DIR": ""}, "no cache"))
            best = [float("inf")] * len(cmds)
            cpu = [float("inf")] * len(cmds)
            counts = [0] * len(cmds)
            for r in range(repeat + 1):  # the first round writes the bytecode and the check cache
                for i, (cmd, tree, extra, _) in enumerate(cmds):
                    c0, t0 = _child_cpu(), time.perf_counter()
                    out = subprocess.run(cmd, env={**env, "PYTHONPATH": tree, **extra}, capture_output=True, text=True,
                                         check=True)
                    if r:
                        best[i] = min(best[i], time.perf_counter() - t0)
                        cpu[i] = min(cpu[i], _child_cpu() - c0)
                    counts[i] = _count(out.stdout)
            assert len(set(counts)) == 1, (label, q, counts)
            rest = "  ".join(f"{t:.3f} s = {t / best[0]:.2f}x, cpu {c / cpu[0]:.2f}x ({name})"
                             for t, c, (*_, name) in zip(best[1:], cpu[1:], cmds[1:], strict=True))
            print(f"{label:>14} {q:>5}: {counts[0]:>5} hits  plain {best[0]:.3f} s (cpu {cpu[0]:.3f} s)  ecomap {rest}")
    shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--cli", action="store_true", help="ecomap query against a plain geopandas script")
    ap.add_argument("--sites", type=int, default=20000, help="with --cli: sites in the larger register")
    ap.add_argument("--repeat", type=int, default=5, help="with --cli: runs of each command")
    ap.add_argument("--src", action="append", default=[], help="with --cli: an older source tree to time too")
    ap.add_argument("--skip-no-cache", action="store_true",
                    help="with --cli: do not also time ecomap query with its check cache off")
    args = ap.parse_args()
    if args.cli:
        cli_runs(args.repeat, args.sites, [str(Path(__file__).resolve().parents[1] / "src"), *args.src],
                 args.skip_no_cache)
        return
    print("ratio = brute-force time / indexed time, same run, same questions (higher is faster)")
    for n in (int(s) for s in args.sizes.split(",")):
        run(n, args.queries)


if __name__ == "__main__":
    main()
