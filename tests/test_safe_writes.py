"""Nothing lost: every write all or nothing (issue 13, the folder half).

A symlink planted under a temporary name cannot redirect a write; a full or read-only
disk is exit 2 naming the file with the old file unchanged (GeoJSON, GeoTIFF, KML, CSV,
on a real small tmpfs when run as root); the register keeps its mode and its symlink;
the rejects file is written before the register; folders are swapped whole; a killed
run's temporaries are cleaned by the next one; build's provenance hashes what it read.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import rasterio
from conftest import run_cli
from rasterio.transform import from_origin

from ecomap._errors import InputError
from ecomap.io import WriteError, atomic_folder, atomic_write, write_text

DATA = Path(__file__).resolve().parents[1] / "data" / "geo"


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_tif(path: Path, n: int = 64) -> None:
    with atomic_write(path) as tmp, rasterio.open(
        tmp, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32",
        crs="EPSG:4547", transform=from_origin(0, n, 1, 1),
    ) as dst:
        dst.write(np.random.default_rng(0).random((n, n), dtype="float32"), 1)


# --- the symlink race ---------------------------------------------------------------------------
def test_planted_symlinks_never_redirect_a_gdal_write(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("outside the folder; must not change")
    stop = threading.Event()

    def attacker():  # plants a symlink under every temporary-looking name it can
        while not stop.is_set():
            for name in os.listdir(out):
                if name.startswith(".resistance.tif."):
                    try:  # (inside the private folder only its owner, or root, could write)
                        os.symlink(victim, out / name)
                    except OSError:
                        pass

    t = threading.Thread(target=attacker)
    t.start()
    try:
        for _ in range(20):
            _write_tif(out / "resistance.tif")
    finally:
        stop.set()
        t.join()
    assert victim.read_text() == "outside the folder; must not change"
    assert (out / "resistance.tif").is_file() and not (out / "resistance.tif").is_symlink()


def test_the_temporary_lives_in_a_fresh_private_folder(tmp_path):
    with atomic_write(tmp_path / "a.txt") as tmp:
        assert tmp.parent != tmp_path and tmp.parent.parent == tmp_path
        assert (tmp.parent.stat().st_mode & 0o777) == 0o700
        assert not tmp.exists() and list(tmp.parent.iterdir()) == []
        tmp.write_bytes(b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_text_writes_refuse_a_symlink_at_the_temporary_name(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    import ecomap._atomic as atomic

    real_open = os.open

    def planted_then_open(p, flags, *a):  # the worst case: the name is taken just before the open
        if str(p).endswith("/out.csv") and flags & os.O_CREAT:
            os.symlink(victim, p)
        return real_open(p, flags, *a)

    monkeypatch.setattr(atomic.os, "open", planted_then_open)
    with pytest.raises(WriteError, match="out.csv: not written"):
        write_text(tmp_path / "out.csv", "new")
    monkeypatch.undo()
    assert victim.read_text() == "keep" and not (tmp_path / "out.csv").exists()


# --- write errors -------------------------------------------------------------------------------
def test_enospc_from_the_writer_is_exit_2_and_nothing_replaced(tmp_path, monkeypatch):
    target = tmp_path / "table.csv"
    target.write_text("old")
    import ecomap._atomic as atomic

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "write", full)
    with pytest.raises(WriteError, match=r"table.csv: not written \(No space left on device\)") as err:
        write_text(target, "new content")
    assert err.value.exit_code == 2 and isinstance(err.value, InputError)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_a_folder_on_a_pseudo_file_system_is_not_called_a_full_disk(capsys):
    # /proc has no blocks (statvfs f_blocks == 0): the reason is the missing folder, not the disk.
    assert run_cli("export", "--layers", "boundary", "--format", "gpkg", "--out", "/proc/ecomap-x/") == 2
    err = capsys.readouterr().err.strip()
    assert "No such file or directory" in err and "disk is full" not in err
    assert len(err.splitlines()) == 1


def test_an_output_folder_that_is_a_file_is_refused_and_the_file_kept(tmp_path, capsys):
    notes = tmp_path / "notes.txt"  # not a format's suffix, so --out names a folder
    notes.write_text("precious")
    assert run_cli("export", "--layers", "bridges", "--format", "csv", "--out", notes) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"ecomap: {notes}: a file, not a folder; nothing written (give a folder, or remove the file)"
    assert notes.read_text() == "precious" and sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with pytest.raises(WriteError, match="a file, not a folder"), atomic_folder(notes):
        pass
    assert notes.read_text() == "precious"


def test_a_truncated_gdal_file_is_caught_before_the_rename(tmp_path):
    good = tmp_path / "resistance.tif"
    _write_tif(good)
    before = good.read_bytes()
    with pytest.raises(WriteError, match="resistance.tif: not written .*incomplete"):
        with atomic_write(good) as tmp:  # what GDAL leaves on a full disk without raising
            tmp.write_bytes(before[: len(before) // 3])
    assert good.read_bytes() == before
    for suffix, text in [(".kml", "<kml><Document><Placemark>"), (".geojson", '{"type": "FeatureCollection", "fea')]:
        p = tmp_path / f"x{suffix}"
        p.write_text("old")
        with pytest.raises(WriteError, match="incomplete"), atomic_write(p) as tmp:
            tmp.write_text(text)
        assert p.read_text() == "old"


@pytest.fixture
def small_disk(tmp_path):
    """A real 2 MB tmpfs (root only): (mount point, fill(leave_kb))."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")

    def fill(leave_kb: int = 16) -> None:
        st = os.statvfs(mnt)
        free = st.f_bavail * st.f_frsize - leave_kb * 1024
        with open(mnt / "filler", "wb") as fh:
            fh.write(b"\0" * max(free, 0))

    yield mnt, fill
    subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
def test_export_on_a_full_disk_is_exit_2_and_keeps_the_old_files(small_disk, tmp_path, fmt, capsys):
    mnt, fill = small_disk
    layers = ["bridges", "corridors"] if fmt != "csv" else ["bridges"]
    args = ["export", "--data", DATA, "--format", fmt, "--layers", *layers]
    assert run_cli(*args, "--out", tmp_path / "good") == 0
    shutil.copytree(tmp_path / "good", mnt / "out")
    old = _tree(mnt / "out")
    fill(16)
    capsys.readouterr()
    assert run_cli(*args, "--out", mnt / "out") == 2
    err = capsys.readouterr().err
    assert f"{mnt}/out/" in err and "not written" in err and ".tmp" not in err
    assert _tree(mnt / "out") == old
    assert sorted(p.name for p in mnt.iterdir()) == ["filler", "out"]


def test_geotiff_on_a_full_disk_is_exit_2_and_keeps_the_old_file(small_disk):
    mnt, fill = small_disk
    _write_tif(mnt / "resistance.tif", 128)
    before = (mnt / "resistance.tif").read_bytes()
    fill(20)
    with pytest.raises(WriteError, match="resistance.tif: not written"):
        _write_tif(mnt / "resistance.tif", 256)
    assert (mnt / "resistance.tif").read_bytes() == before
    with rasterio.open(mnt / "resistance.tif") as src:
        assert src.read(1).shape == (128, 128)


# --- the register -------------------------------------------------------------------------------
SURVEY = "lon,lat,host,material,status,installed,note\n114.3649439,22.7287529,ditch,stone,built,2024-05-03,ok\n"


def test_register_keeps_its_mode_and_its_symlink(tmp_path):
    a = tmp_path / "a"
    shutil.copytree(DATA, a)
    (tmp_path / "s.csv").write_text(SURVEY)
    os.chmod(a / "bridges.geojson", 0o600)
    assert run_cli("bridges", "import", tmp_path / "s.csv", "--data", a) == 0
    assert (a / "bridges.geojson").stat().st_mode & 0o777 == 0o600
    b, shared = tmp_path / "b", tmp_path / "shared"
    shutil.copytree(DATA, b)
    shared.mkdir()
    (b / "bridges.geojson").rename(shared / "register.geojson")
    (b / "bridges.geojson").symlink_to("../shared/register.geojson")
    assert run_cli("bridges", "import", tmp_path / "s.csv", "--data", b) == 0
    assert (b / "bridges.geojson").is_symlink()
    sites = json.loads((shared / "register.geojson").read_text())["features"]
    assert len(sites) == 401 and sites[-1]["properties"]["note"] == "ok"


def test_rejects_file_is_written_before_the_register(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    survey = tmp_path / "week12.csv"
    survey.write_text(SURVEY + "114.3589508,22.6702518,ditch,stone,bulit,2024-05-03,typo\n")
    (tmp_path / "week12.rejects.csv").mkdir()  # cannot be replaced by a file
    before = (data / "bridges.geojson").read_bytes()
    assert run_cli("bridges", "import", survey, "--data", data) == 2
    assert "week12.rejects.csv: not written" in capsys.readouterr().err
    assert (data / "bridges.geojson").read_bytes() == before


# --- folders ------------------------------------------------------------------------------------
def test_import_without_overwrite_never_deletes_a_folder_that_appeared(tmp_path):
    dest = tmp_path / "osmdata"
    with pytest.raises(InputError, match="appeared there"):
        with atomic_folder(dest, replace=False, keep_existing=False) as tmp:
            (tmp / "boundary.geojson").write_text("new")
            dest.mkdir()
            (dest / "bridges.geojson").write_text("someone else's")
    assert _tree(dest) == {"bridges.geojson": b"someone else's"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["osmdata"]


def test_an_export_folder_is_swapped_whole_and_keeps_other_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "bridges.geojson").write_text("old")
    with atomic_folder(out) as tmp:
        write_text(tmp / "bridges.geojson", "new")
        assert (out / "bridges.geojson").read_text() == "old"
    assert _tree(out) == {"bridges.geojson": b"new", "notes.txt": b"mine"}
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        write_text(tmp / "bridges.geojson", "newer")
        raise RuntimeError("killed")
    assert _tree(out) == {"bridges.geojson": b"new", "notes.txt": b"mine"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_temporaries_of_a_killed_run_are_cleaned_and_a_cut_swap_restored(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / f".a.csv.{dead}.abc123.tmp").mkdir()
    (tmp_path / f".a.csv.{dead}.abc123.tmp" / "a.csv").write_text("half")
    write_text(tmp_path / "a.csv", "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    old = tmp_path / f".out.{dead}.xyz789.old"  # killed between "out -> .old" and "new -> out"
    old.mkdir()
    (old / "f.txt").write_text("old")
    with atomic_folder(tmp_path / "out") as tmp:
        assert (tmp / "f.txt").read_text() == "old"  # restored first, then kept
        write_text(tmp / "g.txt", "new")
    assert _tree(tmp_path / "out") == {"f.txt": b"old", "g.txt": b"new"}


def test_build_provenance_hashes_the_register_it_read(tmp_path, monkeypatch):
    import ecomap.build as build_mod
    from ecomap.io import file_digest

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    read = file_digest(data / "bridges.geojson")
    (tmp_path / "s.csv").write_text(SURVEY)

    def import_during_build(ctx):  # a bridges import lands while the build runs
        assert run_cli("bridges", "import", tmp_path / "s.csv", "--data", data) == 0

    monkeypatch.setattr(build_mod, "STEPS", [("layers", build_mod._step_layers), ("import", import_during_build),
                                             ("provenance", build_mod._step_provenance)])
    ctx = build_mod.build(data, tmp_path / "out")
    prov = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert prov["inputs"]["bridges"]["sha256"] == read != file_digest(data / "bridges.geojson")
    assert prov["inputs"]["bridges"]["features"] == 400
    assert ctx.out == tmp_path / "out" and all(p.exists() for p in ctx.written)
