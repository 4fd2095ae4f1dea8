"""The bridge register on PostGIS: the folder's answers, one transaction, concurrent imports all land once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
from conftest import boundary_feature, common, feature, run_cli, write_layer

from ecomap.bridges import import_sites, synthesize
from ecomap.io import default_data_dir
from ecomap.network import load_network, read_layers
from ecomap.store import init_schema, write_layers

SRC = Path(__file__).resolve().parents[2] / "src"


def _offset(lon, lat, east_m, north_m):
    g = pyproj.Geod(ellps="WGS84")
    lo, la, _ = g.fwd(lon, lat, 90, east_m)
    lo, la, _ = g.fwd(lo, la, 0, north_m)
    return round(lo, 7), round(la, 7)


SURVEY = """lon,lat,host,material,status,installed,note,id
114.3460,22.6860,ditch,wood,built,2025-03-01,first,
114.3470,22.6870,bucket,stone,built,2025-03-01,bad host,
114.5000,22.6900,well,net,built,,far away,
{dup_existing},culvert,ramp,built,2023-01-01,near B00007,
{dup_row},ditch,wood,built,2025-03-01,same as line 2,
114.3530,22.6930,pool,rope,planned,,given id,B00003
114.3540,22.6940,pool,rope,planned,,given new id,B00100
114.3550,22.6950,well,stone,built,2024-05-03,no id,
"""


def _site(fid, lon, lat, status="built"):
    return feature({"type": "Point", "coordinates": [lon, lat]}, id=fid, host="ditch", material="stone",
                   status=status, installed="2024-01-02", note=None, **common())


@pytest.fixture
def folder(tmp_path) -> Path:
    d = tmp_path / "data"
    write_layer(d, "boundary", [boundary_feature()])
    write_layer(d, "bridges", [_site("B00001", 114.345, 22.685), _site("B00007", 114.350, 22.690),
                               _site("B00003", 114.355, 22.695)])
    return d


def _survey(tmp_path, name="week 12.csv") -> Path:
    path = tmp_path / "surveys" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(SURVEY.format(dup_existing="{},{}".format(*_offset(114.350, 22.690, 3.0, 0)),
                                  dup_row="{},{}".format(*_offset(114.3460, 22.6860, 0, 1.0))), encoding="utf-8")
    return path


def test_import_into_postgis_answers_as_the_folder_does(folder, pg_url, tmp_path):
    init_schema(pg_url)
    write_layers(pg_url, read_layers(folder))
    survey = _survey(tmp_path)
    a = import_sites(survey, data_dir=folder)
    rejects = survey.with_name("week 12.rejects.csv")
    from_folder = rejects.read_bytes()
    rejects.unlink()
    b = import_sites(survey, data_dir=pg_url)
    assert a.lines()[:-1] == b.lines()[:-1]
    assert list(b.added.index) == ["B00101", "B00100"]  # given id kept; a new one after the highest
    assert rejects.read_bytes() == from_folder
    x, y = load_network(folder).bridges, load_network(pg_url).bridges
    assert x.drop(columns="geometry").equals(y.drop(columns="geometry"))
    assert x.geometry.geom_equals_exact(y.geometry, tolerance=0).all()
    again = import_sites(survey, data_dir=pg_url)  # everything is now a duplicate
    assert len(again.added) == 0 and len(again.duplicates) == again.rows - len(again.rejected)


def test_dry_run_and_a_failed_import_leave_the_register_as_it_was(folder, pg_url, tmp_path, monkeypatch):
    init_schema(pg_url)
    write_layers(pg_url, read_layers(folder))
    survey = _survey(tmp_path)
    assert len(import_sites(survey, data_dir=pg_url, dry_run=True).added) == 2
    assert len(load_network(pg_url).bridges) == 3 and not survey.with_name("week 12.rejects.csv").exists()

    def disk_full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ecomap.bridges._postgis._write_rejects", disk_full)
    with pytest.raises(OSError):
        import_sites(survey, data_dir=pg_url)
    assert len(load_network(pg_url).bridges) == 3  # the rejects file failed before the commit
    monkeypatch.undo()
    assert run_cli("bridges", "import", survey, "--data", pg_url) == 2  # rows rejected -> exit 2
    assert len(load_network(pg_url).bridges) == 5


def _empty_register_url(cluster, tag: str) -> str:
    url = cluster.url(schema=f"c_{tag}_{os.getpid()}")
    init_schema(url)
    layers = read_layers(default_data_dir())
    layers.pop("bridges")
    write_layers(url, layers)
    return url


def _surveys(folder: Path, writers: int, per: int, seed: int) -> list[Path]:
    """``writers`` CSV files of ``per`` sites each, no two within 10 m, all inside the district."""
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


def _concurrent_imports(url: str, paths: list[Path]) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    code = "import sys; from ecomap.cli import main; sys.exit(main(sys.argv[1:]))"
    procs = [subprocess.Popen([sys.executable, "-c", code, "bridges", "import", str(p), "--data", url],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for p in paths]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=600), *p.communicate()) for p in procs]


def _check_all_landed_once(url: str, paths: list[Path], per: int) -> None:
    reg = load_network(url).bridges  # loads: ids unique, every catalogue rule holds
    assert reg.index.is_unique and len(reg) == len(paths) * per
    got = np.sort(np.round(reg.to_crs("EPSG:4326").get_coordinates().to_numpy(), 7), axis=0)
    want = np.sort(pd.concat([pd.read_csv(p)[["lon", "lat"]] for p in paths]).to_numpy(), axis=0)
    np.testing.assert_array_equal(got, want)
    assert sorted(reg.index) == [f"B{k:05d}" for k in range(1, len(reg) + 1)]


@pytest.mark.skipif(shutil.which("runuser") is None and os.geteuid() == 0, reason="needs runuser as root")
def test_eight_concurrent_imports_of_200_sites_all_land_once(cluster, tmp_path):
    url = _empty_register_url(cluster, "one")
    paths = _surveys(tmp_path / "surveys", writers=8, per=200, seed=1)
    runs = _concurrent_imports(url, paths)
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs if r.returncode]
    assert all("added 200 " in r.stdout for r in runs)
    _check_all_landed_once(url, paths, 200)
    again = _concurrent_imports(url, paths[:2])  # the same files again: every row a duplicate
    assert all("added 0, 200 duplicate(s)" in r.stdout for r in again), [r.stdout for r in again]
    _check_all_landed_once(url, paths, 200)


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_concurrent_imports_repeated(cluster, tmp_path, round_):
    url = _empty_register_url(cluster, f"r{round_}")
    paths = _surveys(tmp_path / "surveys", writers=8, per=200, seed=100 + round_)
    runs = _concurrent_imports(url, paths)
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs if r.returncode]
    _check_all_landed_once(url, paths, 200)
