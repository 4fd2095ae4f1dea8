"""Nothing lost, under load: concurrent imports into one folder, and kill -9 at random points."""

from __future__ import annotations

import collections
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "geo"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
CLI = [sys.executable, "-c", "from ecomap.cli import main; raise SystemExit(main())"]

pytestmark = pytest.mark.slow


def _surveys(folder: Path, data: Path, n: int, per: int = 200) -> list[Path]:
    """``n`` survey files of ``per`` new sites each, on a 30 m grid, >= 20 m from register sites."""
    t = pyproj.Transformer.from_crs(4326, 4547, always_xy=True)
    ti = pyproj.Transformer.from_crs(4547, 4326, always_xy=True)
    feats = json.loads((data / "boundary.geojson").read_text())["features"]
    b = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in feats])
    poly = shapely.transform(b, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))).buffer(-100)
    reg = np.array([f["geometry"]["coordinates"] for f in json.loads((data / "bridges.geojson").read_text())["features"]])
    tree = shapely.STRtree(shapely.points(*t.transform(reg[:, 0], reg[:, 1])))
    x0, y0, x1, y1 = poly.bounds
    gx, gy = np.meshgrid(np.arange(x0, x1, 30.0), np.arange(y0, y1, 30.0))
    gx, gy = gx.ravel(), gy.ravel()
    ok = shapely.contains_xy(poly, gx, gy)
    ok[np.unique(tree.query(shapely.points(gx, gy), predicate="dwithin", distance=20.0)[0])] = False
    idx = np.random.default_rng(1).permutation(np.flatnonzero(ok))[: per * n]
    lon, lat = ti.transform(gx[idx], gy[idx])
    paths = []
    for k in range(n):
        p = folder / f"survey{k}.csv"
        rows = [f"{lon[j]:.7f},{lat[j]:.7f},ditch,stone,built,2024-05-03,proc{k}" for j in range(per * k, per * (k + 1))]
        p.write_text("lon,lat,host,material,status,installed,note\n" + "\n".join(rows) + "\n")
        paths.append(p)
    return paths


@pytest.mark.parametrize("round_", [1, 2])
def test_eight_concurrent_imports_all_land_once(tmp_path, round_):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    surveys = _surveys(tmp_path, data, 8)
    procs = [subprocess.Popen([*CLI, "bridges", "import", str(s), "--data", str(data)], env=ENV,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for s in surveys]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert all("added 200 " in o for o in outs), outs
    feats = json.loads((data / "bridges.geojson").read_text())["features"]
    notes = collections.Counter(f["properties"]["note"] for f in feats if (f["properties"]["note"] or "").startswith("proc"))
    assert notes == {f"proc{k}": 200 for k in range(8)}
    ids = collections.Counter(f["properties"]["id"] for f in feats)
    assert len(feats) == 400 + 1600 and max(ids.values()) == 1
    assert subprocess.run([*CLI, "validate", "--data", str(data)], env=ENV, capture_output=True).returncode == 0


def _snapshot(folder: Path) -> dict[str, bytes] | None:
    if not folder.exists():
        return None
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _kill_trials(tmp_path: Path, name: str, cmd: list[str], old: dict, new: dict, trials: int, seed: int) -> dict:
    """Run ``cmd`` into ``tmp_path/name`` (holding ``old``), SIGKILL after a random delay, check old-or-new."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=ENV, check=True, capture_output=True)  # how long a whole run takes
    full = time.perf_counter() - t0
    seen = collections.Counter()
    for _ in range(trials):
        dest = tmp_path / name
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir()
        for rel, content in old.items():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            (dest / rel).write_bytes(content)
        p = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3 * full, 1.1 * full))
        p.send_signal(signal.SIGKILL)
        p.wait()
        now = _snapshot(dest)
        state = "old" if now == old else "new" if now == new else None
        assert state is not None, f"{name}: neither old nor new after a kill: {sorted(now or {})}"
        seen[state] += 1
    return seen


def test_kill_9_during_export_leaves_the_old_or_the_new_folder(tmp_path):
    """Shapefile parts and GeoJSON files of one export folder: never a mix."""
    old_data = tmp_path / "old"
    shutil.copytree(DATA, old_data)
    reg = json.loads((old_data / "bridges.geojson").read_text())
    reg["features"] = reg["features"][:200]
    (old_data / "bridges.geojson").write_text(json.dumps(reg))
    results = {}
    for fmt in ("shp", "geojson"):
        for label, data in (("old", old_data), ("new", DATA)):
            out = tmp_path / f"{fmt}-{label}"
            subprocess.run([*CLI, "export", "--data", str(data), "--format", fmt, "--layers", "bridges", "corridors",
                            "--out", str(out)], env=ENV, check=True, capture_output=True)
            results[fmt, label] = _snapshot(out)
    seen = collections.Counter()
    for i, fmt in enumerate(("shp", "geojson")):
        cmd = [*CLI, "export", "--data", str(DATA), "--format", fmt, "--layers", "bridges", "corridors",
               "--out", str(tmp_path / "out")]
        seen += _kill_trials(tmp_path, "out", cmd, results[fmt, "old"], results[fmt, "new"], 20, seed=i)
    assert seen["old"] and seen["new"]
    # the next run cleans what the killed ones left behind
    subprocess.run([*CLI, "export", "--data", str(DATA), "--format", "geojson", "--layers", "bridges",
                    "--out", str(tmp_path / "out")], env=ENV, check=True, capture_output=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


KILL_FOLDER = """
import sys, time
from pathlib import Path
from ecomap.importers._folder import _new_folder
from ecomap.io import write_text
with _new_folder(Path(sys.argv[1]), overwrite=True) as tmp:
    for i in range(6):
        write_text(tmp / f"layer{i}.geojson", "new %d\\n" % i * 2000)
        time.sleep(0.02)
"""


def test_kill_9_during_import_overwrite_leaves_the_old_or_the_new_folder(tmp_path):
    old = {f"layer{i}.geojson": b"old\n" * 100 for i in range(4)}
    new = {f"layer{i}.geojson": (f"new {i}\n" * 2000).encode() for i in range(6)}
    cmd = [sys.executable, "-c", KILL_FOLDER, str(tmp_path / "osmdata")]
    seen = _kill_trials(tmp_path, "osmdata", cmd, old, new, 30, seed=7)
    assert sum(seen.values()) == 30


KILL_SHP = """
import os, sys, time
from pathlib import Path
from ecomap.export import export_layers
from ecomap.network import load_network
bridges = load_network().bridges
out = Path(sys.argv[1])
real = os.replace
def slow(src, dst, *a, **k):  # widen the window between two renames, so kills land there too
    if Path(dst).parent == out:
        time.sleep(0.03)
    return real(src, dst, *a, **k)
os.replace = slow
print("go", flush=True)
export_layers({"bridges": bridges}, out / "bridges.shp", fmt="shp")
"""


def test_kill_9_during_a_single_shapefile_export_leaves_the_old_or_the_new_set(tmp_path):
    """``export --out x.shp``: after the next run's cleanup the parts are all old or all new."""
    import pyogrio

    from ecomap.export import export_layers
    from ecomap.io import recover_file_sets
    from ecomap.network import load_network

    bridges = load_network().bridges
    versions = {}
    for label, frame in (("old", bridges.iloc[:150]), ("new", bridges)):
        export_layers({"bridges": frame}, tmp_path / label / "bridges.shp", fmt="shp")
        versions[label] = {p.name: p.read_bytes() for p in sorted((tmp_path / label).iterdir())}
        versions[label, "ids"] = sorted(pyogrio.read_dataframe(tmp_path / label / "bridges.shp")["id"])
    out = tmp_path / "out"

    def run(delay: float | None) -> float:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for name, content in versions["old"].items():
            (out / name).write_bytes(content)
        p = subprocess.Popen([sys.executable, "-c", KILL_SHP, str(out)], env=ENV, stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "go"
        t0 = time.perf_counter()
        if delay is None:
            assert p.wait() == 0
        else:
            time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait()
        p.stdout.close()
        return time.perf_counter() - t0

    full = run(None)  # how long the write and the swap take
    rng = random.Random(13)
    seen = collections.Counter()
    for _ in range(60):
        run(rng.uniform(0.0, 1.1 * full))
        journals = [p for p in out.iterdir() if p.name.endswith(".set")]
        if any((j / "manifest.json").exists() for j in journals):
            seen["cut after the commit point"] += 1
        recover_file_sets(out)  # what the next run does first
        now = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
        state = "old" if now == versions["old"] else "new" if now == versions["new"] else None
        assert state is not None, f"neither the old nor the new set after a kill: {sorted(now)}"
        ids = sorted(pyogrio.read_dataframe(out / "bridges.shp")["id"])  # the parts read together
        assert ids == versions[state, "ids"]
        seen[state] += 1
    print(dict(seen))
    assert seen["old"] and seen["new"] and seen["cut after the commit point"], seen
