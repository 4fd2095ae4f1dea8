"""PostGIS beside the data folder: concurrent import throughput and query latency, same run.

1. ``bridges import``: 1,600 surveyed sites imported by 1 writer (one file) and by 8
   writers at once (8 files of 200, 8 processes), into a data folder (``flock``-serialised
   rename) and into PostGIS (one transaction each, under an advisory lock). Sites/s =
   rows processed / wall time of the whole batch. Every site lands once (checked).
2. ``near`` (500 m) and ``within`` (a corridor's footprint) on registers of N synthetic
   sites: in memory (the Network's STRtree, what a folder gives) vs PostGIS (the GiST
   index picks candidates, :mod:`ecomap.store.spatial`), same questions; the answers'
   ids are checked equal. Loading time is reported apart (a folder loads the whole
   register once per command; PostGIS reads only candidates).

Needs Debian's ``postgresql`` and ``postgis`` (a throw-away cluster is made in /tmp, as
the tests do). Run: ``.venv/bin/python benchmarks/bench_store.py [--sizes 100000,1000000]
[--queries 200]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests" / "store"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from bench_query import BBOX, corridors, register  # noqa: E402
from conftest import Cluster, _postgres_bin  # noqa: E402

from ecomap import crs  # noqa: E402
from ecomap.bridges import synthesize  # noqa: E402
from ecomap.io import default_data_dir  # noqa: E402
from ecomap.network import Network, load_network, read_layers  # noqa: E402
from ecomap.query import near, query, within  # noqa: E402
from ecomap.store import init_schema, write_layers  # noqa: E402


def _surveys(folder: Path, writers: int, per: int, seed: int) -> list[Path]:
    """``writers`` CSV files of ``per`` sites each, no two within 10 m (as tests/store/test_register.py)."""
    sites = synthesize(load_network(default_data_dir()), writers * per, seed=seed, min_spacing_m=12)
    lonlat = sites.to_crs("EPSG:4326").geometry
    table = pd.DataFrame({"lon": lonlat.x.round(7), "lat": lonlat.y.round(7), "host": sites["host"].values,
                          "material": sites["material"].values, "status": sites["status"].values})
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(writers):
        p = folder / f"volunteer{k}.csv"
        table.iloc[k * per:(k + 1) * per].to_csv(p, index=False)
        paths.append(p)
    return paths


def _concurrent_imports(target: str, paths: list[Path]) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = "import sys; from ecomap.cli import main; sys.exit(main(sys.argv[1:]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, "bridges", "import", str(p), "--data", target],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in paths]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=1200), *p.communicate()) for p in procs]


def start_cluster() -> Cluster:
    import pwd

    import psycopg

    root = Path(tempfile.mkdtemp(prefix="ecomap-bench-pg-"))
    run_as = None
    if os.geteuid() == 0:
        run_as = "postgres"
        pw = pwd.getpwnam(run_as)
        os.chown(root, pw.pw_uid, pw.pw_gid)
    c = Cluster(_postgres_bin(), root, run_as)
    c.start()
    from conftest import PORT

    with psycopg.connect(dbname="postgres", user="ecomap", host=str(root), port=PORT, autocommit=True) as conn:
        conn.execute("CREATE DATABASE ecomap")
    with psycopg.connect(dbname="ecomap", user="ecomap", host=str(root), port=PORT, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    return c


def bench_imports(c: Cluster, tmp: Path) -> None:
    per_total = 1600
    for writers in (1, 8):
        paths = _surveys(tmp / f"s{writers}", writers=writers, per=per_total // writers, seed=7)
        folder = tmp / f"data{writers}"
        shutil.copytree(default_data_dir(), folder)
        url = c.url(schema=f"imp{writers}_{uuid.uuid4().hex[:6]}")
        init_schema(url)
        write_layers(url, read_layers(default_data_dir()))
        for name, target in (("folder", str(folder)), ("PostGIS", url)):
            t0 = time.perf_counter()
            runs = _concurrent_imports(target, paths)
            dt = time.perf_counter() - t0
            assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs if r.returncode]
            reg = load_network(target).bridges
            assert reg.index.is_unique
            added = sum(int(r.stdout.split("added ")[1].split(",")[0].split()[0]) for r in runs)
            assert len(reg) == 400 + added
            print(f"import  {writers} writer(s) x {per_total // writers} sites  {name:8s}: {dt:6.2f} s  "
                  f"{per_total / dt:7.0f} sites/s  ({added} added, {len(reg)} in register)")


def bench_queries(c: Cluster, n: int, q: int) -> None:
    sites, cor = register(n), corridors()
    boundary = load_network(default_data_dir()).boundary
    url = c.url(schema=f"q{n}_{uuid.uuid4().hex[:6]}")
    init_schema(url)
    t0 = time.perf_counter()
    write_layers(url, {name: gdf.to_crs(crs.WGS84).reset_index() for name, gdf in
                       (("boundary", boundary), ("corridors", cor), ("bridges", sites))})
    t_write = time.perf_counter() - t0
    net = Network({"boundary": boundary, "bridges": sites, "corridors": cor})
    _ = net.bridges.sindex
    rng = np.random.default_rng(3)
    pts = list(zip(rng.uniform(BBOX[0], BBOX[2], q), rng.uniform(BBOX[1], BBOX[3], q), strict=True))
    refs = [f"corridors:C{i % 20 + 1:02d}" for i in range(q)]
    t0 = time.perf_counter()
    load_network(url)
    t_load = time.perf_counter() - t0
    print(f"{n:>9,} sites: written to PostGIS in {t_write:.1f} s; load_network(url) (what the in-memory "
          f"path pays per command) {t_load:.1f} s")
    for label, mem, sql in (
        ("near 500 m", lambda p: near(net, "bridges", p, radius_m=500.0),
         lambda p: query(url, "bridges", near=p, radius_m=500.0)),
        ("within C..", lambda r: within(net, "bridges", r), lambda r: query(url, "bridges", within=r)),
    ):
        items = pts if label.startswith("near") else refs
        t0 = time.perf_counter()
        a = [mem(it) for it in items]
        t_mem = time.perf_counter() - t0
        t0 = time.perf_counter()
        b = [sql(it) for it in items]
        t_sql = time.perf_counter() - t0
        assert all(list(x.index) == list(y.index) for x, y in zip(a, b, strict=True))
        hits = np.mean([len(x) for x in a])
        print(f"{n:>9,} sites  {label} x{q}: STRtree {t_mem * 1e3 / q:8.2f} ms/q  PostGIS GiST "
              f"{t_sql * 1e3 / q:8.2f} ms/q  ratio {t_sql / t_mem:5.1f}x  (mean {hits:.0f} hits)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--skip-imports", action="store_true")
    args = ap.parse_args()
    c = start_cluster()
    tmp = Path(tempfile.mkdtemp(prefix="ecomap-bench-store-"))
    try:
        if not args.skip_imports:
            bench_imports(c, tmp)
        for n in (int(s) for s in args.sizes.split(",")):
            bench_queries(c, n, args.queries)
    finally:
        c.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
