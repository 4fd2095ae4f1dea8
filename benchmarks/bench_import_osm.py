"""Speed and peak memory of `ecomap import osm` as the extract grows around a fixed district.

Generates OSM extracts (PBF, written with pyosmium) of growing size: a grid of nodes joined
into tagged ways (roads, streams, paths, forests, some multipolygon reservoirs), with the
same district-sized area in one corner and ever more data around it. Each size is imported
in a fresh process, which reports its wall time and peak resident memory (``ru_maxrss``).

Baseline, measured in the same run on the same files: the one-pass way to read an extract
with pyosmium, ``FileProcessor(...).with_areas()`` (every node location cached in memory,
every area assembled) building WKB for the same tags, clipped to the same box. The printed
ratios are ecomap's import over that baseline; the memory column shows which of the two
grows with the file.

Run: ``.venv/bin/python benchmarks/bench_import_osm.py [--sizes 250000,500000,1000000,2000000]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLS = 1000  # nodes per grid row
STEP = 0.0005  # degrees between grid nodes (~50 m)
LON0, LAT0 = 114.20, 22.55
DISTRICT_ROWS = 200  # the first 200 rows x 400 columns hold the district
DISTRICT_BBOX = (LON0, LAT0, LON0 + 400 * STEP, LAT0 + DISTRICT_ROWS * STEP)
WAY_LEN = 50
TAGS = [
    {"highway": "residential"},
    {"highway": "primary", "name": "主干道"},
    {"waterway": "stream", "name": "小河"},
    {"highway": "path"},
    {"highway": "motorway", "tunnel": "yes"},
    {"building": "yes"},
    {},
]


def generate(path: Path, n_nodes: int) -> dict:
    """Write a grid extract of about ``n_nodes`` nodes; return what it holds."""
    import osmium
    from osmium.osm.mutable import Node, Relation, Way

    rows = max(DISTRICT_ROWS + 1, n_nodes // COLS)
    if path.exists():
        path.unlink()
    with osmium.SimpleWriter(str(path)) as w:
        for r in range(rows):
            lat = LAT0 + r * STEP
            base = r * COLS
            for c in range(COLS):
                w.add_node(Node(id=base + c + 1, location=(LON0 + c * STEP, lat)))
        wid = 0
        for r in range(rows):
            base = r * COLS
            for k, c0 in enumerate(range(0, COLS - WAY_LEN, WAY_LEN)):
                wid += 1
                refs = list(range(base + c0 + 1, base + c0 + WAY_LEN + 2))
                w.add_way(Way(id=wid, nodes=refs, tags=TAGS[(r + k) % len(TAGS)]))
        # closed squares every 10 rows x 20 columns: forests, and every fifth one a
        # reservoir drawn as a multipolygon relation around an untagged way
        reservoir_ways = []
        for r in range(0, rows - 10, 10):
            for c in range(0, COLS - 10, 20):
                a, b = r * COLS + c + 1, r * COLS + c + 9
                d, e = (r + 8) * COLS + c + 1, (r + 8) * COLS + c + 9
                wid += 1
                if (r // 10 + c // 20) % 5 == 0:
                    w.add_way(Way(id=wid, nodes=[a, b, e, d, a]))
                    reservoir_ways.append(wid)
                else:
                    w.add_way(Way(id=wid, nodes=[a, b, e, d, a], tags={"landuse": "forest"}))
        for rid, way in enumerate(reservoir_ways, start=1):
            w.add_relation(Relation(id=rid, members=[("w", way, "outer")],
                                    tags={"type": "multipolygon", "natural": "water", "water": "reservoir"}))
    return {"nodes": rows * COLS, "ways": wid, "relations": len(reservoir_ways), "bytes": path.stat().st_size}


_ECOMAP = """
import json, resource, sys, time, tempfile, pathlib
t = time.perf_counter()
from ecomap.importers import import_osm
out = pathlib.Path(tempfile.mkdtemp()) / "data"
res = import_osm(sys.argv[1], out, bbox=sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "features": sum(v for k, v in res.counts.items() if k != "boundary")}))
"""

_BASELINE = """
import json, resource, sys, time
t = time.perf_counter()
import osmium, shapely
from ecomap.importers._osm_tags import _area_rules, _line_rules
box = shapely.box(*map(float, sys.argv[2].split(",")))
wkb = osmium.geom.WKBFactory()
keys = osmium.filter.KeyFilter("highway", "waterway", "railway", "landuse", "natural", "leisure", "boundary")
kept, dims = [], []
for o in osmium.FileProcessor(sys.argv[1]).with_areas().with_filter(keys):
    tags = dict(o.tags)
    if o.is_way() and _line_rules(tags):
        kept.append(wkb.create_linestring(o))
        dims.append(1)
    elif o.is_area() and _area_rules(tags):
        kept.append(wkb.create_multipolygon(o))
        dims.append(2)
geoms = shapely.from_wkb(kept)  # hex WKB strings
# features whose clip keeps their dimension (a line that only touches the box is dropped)
clip = shapely.intersection(geoms, box)
n = int(((shapely.get_dimensions(clip) == dims) & ~shapely.is_empty(clip)).sum()) if kept else 0
print(json.dumps({"seconds": time.perf_counter() - t, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "features": n}))
"""

_IDLE = """
import json, resource
import ecomap.importers, osmium, shapely
print(json.dumps({"seconds": 0.0, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "features": 0}))
"""


def _run(code: str, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="250000,500000,1000000,2000000", help="node counts, comma-separated")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    bbox = ",".join(f"{v:.6f}" for v in DISTRICT_BBOX)
    idle = _run(_IDLE)
    print(f"python + ecomap + osmium imported, idle: {idle['maxrss_kb'] / 1024:.0f} MB peak RSS")
    print(f"{'nodes':>9} {'MB':>6} | {'ecomap s':>8} {'MB':>6} {'feat':>5} | {'1-pass s':>8} {'MB':>6} "
          f"{'feat':>5} | {'time x':>6} {'mem x':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"grid{n}.osm.pbf"
            t = time.perf_counter()
            info = generate(path, n)
            gen_s = time.perf_counter() - t
            ours = _run(_ECOMAP, str(path), bbox)
            base = _run(_BASELINE, str(path), bbox)
            print(f"{info['nodes']:>9,} {info['bytes'] / 1e6:>6.1f} | {ours['seconds']:>8.2f} "
                  f"{ours['maxrss_kb'] / 1024:>6.0f} {ours['features']:>5} | {base['seconds']:>8.2f} "
                  f"{base['maxrss_kb'] / 1024:>6.0f} {base['features']:>5} | "
                  f"{ours['seconds'] / base['seconds']:>6.2f} {ours['maxrss_kb'] / base['maxrss_kb']:>6.2f}"
                  f"   (generated in {gen_s:.1f} s)", flush=True)
            path.unlink()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
