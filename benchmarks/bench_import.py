"""Speed of `ecomap bridges import` on a 10,000-row field-survey CSV.

The survey is made by ``ecomap.bridges.synthesize`` on the bundled data (seeded), written
as CSV without ids (so every row gets a new one), with a few hundred rows copied 1-3 m
away (duplicates; the generator itself also puts many sites within 5 m of each other,
which the import reports as duplicates too) and a few hundred broken (bad host, swapped coordinates), and imported
into a copy of the bundled data folder.

Baselines, measured in the same run on the same file:

* floor: what any import must do at least, without checks: ``pandas.read_csv``, a
  GeoDataFrame, and the register rewritten as GeoJSON with pyogrio;
* brute-force duplicates: the same 5 m duplicate search as the import, done with all
  pairwise distances (numpy, in blocks) instead of the STRtree.

Run: ``.venv/bin/python benchmarks/bench_import.py [--rows 10000]``
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from ecomap import crs  # noqa: E402
from ecomap.bridges import DUPLICATE_DISTANCE_M, import_sites, synthesize  # noqa: E402
from ecomap.export import export_layers  # noqa: E402
from ecomap.io import default_data_dir  # noqa: E402
from ecomap.network import load_network  # noqa: E402


def make_survey(net, rows: int, folder: Path) -> Path:
    sites = synthesize(net, rows, seed=7)
    rng = np.random.default_rng(8)
    dup = rng.choice(rows, rows // 50, replace=False)
    xy = shapely.get_coordinates(sites.geometry.values)
    ang = rng.uniform(0, 2 * np.pi, len(dup))
    r = rng.uniform(1, 3, len(dup))
    moved = sites.iloc[dup].copy()
    moved = moved.set_geometry(shapely.points(xy[dup, 0] + r * np.cos(ang), xy[dup, 1] + r * np.sin(ang)))
    moved.index = pd.Index([f"D{i}" for i in range(len(dup))], name="id")
    survey = pd.concat([sites, moved])
    (path,) = export_layers({"bridges": survey}, folder, fmt="csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig").drop(
        columns=["id", "host_feature", "source", "confidence"])
    bad = rng.choice(len(table), rows // 50, replace=False)
    table.loc[bad[: len(bad) // 2], "host"] = "bucket"
    swap = bad[len(bad) // 2:]
    table.loc[swap, ["lon", "lat"]] = table.loc[swap, ["lat", "lon"]].to_numpy()
    out = folder / "survey.csv"
    table.to_csv(out, index=False)
    return out


def brute_duplicates(new_xy: np.ndarray, old_xy: np.ndarray, block: int = 1000) -> int:
    hits = 0
    for s in range(0, len(new_xy), block):
        a = new_xy[s:s + block]
        d_old = np.hypot(a[:, None, 0] - old_xy[None, :, 0], a[:, None, 1] - old_xy[None, :, 1])
        d_new = np.hypot(a[:, None, 0] - new_xy[None, :, 0], a[:, None, 1] - new_xy[None, :, 1])
        idx = np.arange(s, s + len(a))
        d_new = np.where(np.arange(len(new_xy))[None, :] < idx[:, None], d_new, np.inf)  # earlier rows only
        hits += int(((d_old <= DUPLICATE_DISTANCE_M).any(axis=1) | (d_new <= DUPLICATE_DISTANCE_M).any(axis=1)).sum())
    return hits


def indexed_duplicates(new_xy: np.ndarray, old: gpd.GeoDataFrame) -> int:
    pts = shapely.points(new_xy)
    qi, _ = old.sindex.query(pts, predicate="dwithin", distance=DUPLICATE_DISTANCE_M)
    a, b = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=DUPLICATE_DISTANCE_M)
    return len(np.union1d(qi, a[a > b]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    args = ap.parse_args()
    src = default_data_dir()
    net = load_network(src)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        survey = make_survey(net, args.rows, tmp)
        data = tmp / "data"
        shutil.copytree(src, data)

        t0 = time.perf_counter()
        report = import_sites(survey, data_dir=data, network=net)
        t_import = time.perf_counter() - t0
        print(f"import of {report.rows:,} rows: {t_import:.2f} s  ({len(report.added):,} added, "
              f"{len(report.duplicates)} duplicates, {len(report.rejected)} rejected)")

        floor_dir = tmp / "floor"
        shutil.copytree(src, floor_dir)
        t0 = time.perf_counter()
        table = pd.read_csv(survey, dtype=str, keep_default_na=False)
        pts = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(pd.to_numeric(table["lon"], errors="coerce"),
                                                                  pd.to_numeric(table["lat"], errors="coerce")),
                               crs=crs.WGS84)
        old = pyogrio.read_dataframe(floor_dir / "bridges.geojson")
        both = pd.concat([old, pts], ignore_index=True)
        pyogrio.write_dataframe(gpd.GeoDataFrame(both, geometry="geometry", crs=crs.WGS84),
                                floor_dir / "bridges.tmp.geojson", driver="GeoJSON")
        t_floor = time.perf_counter() - t0
        print(f"floor (read CSV + rewrite register, no checks): {t_floor:.2f} s  "
              f"-> import costs {t_import / t_floor:.1f}x the floor")

        ok = np.isfinite(pd.to_numeric(table["lon"], errors="coerce"))
        lon = pd.to_numeric(table["lon"], errors="coerce").to_numpy()[ok]
        lat = pd.to_numeric(table["lat"], errors="coerce").to_numpy()[ok]
        x, y = crs._transformer(crs.WGS84, crs.INTERNAL).transform(lon, lat)
        new_xy = np.column_stack([x, y])
        new_xy = new_xy[np.isfinite(new_xy).all(axis=1)]  # swapped rows project to nowhere
        old_int = net.bridges
        _ = old_int.sindex
        t0 = time.perf_counter()
        n_idx = indexed_duplicates(new_xy, old_int)
        t_idx = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_brute = brute_duplicates(new_xy, shapely.get_coordinates(old_int.geometry.values))
        t_brute = time.perf_counter() - t0
        assert n_idx == n_brute, (n_idx, n_brute)
        print(f"duplicate search ({n_idx} within {DUPLICATE_DISTANCE_M:g} m): STRtree {t_idx * 1e3:.1f} ms, "
              f"brute force {t_brute * 1e3:.0f} ms  -> ratio {t_brute / t_idx:.0f}x")


if __name__ == "__main__":
    main()
