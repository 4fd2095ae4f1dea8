"""A Shapefile written as one file (``export --out x.shp``) is replaced as one set of parts.

Its parts are renamed one by one, so the swap goes through a journal
(:mod:`ecomap._atomic_set`): a run cut before the commit point leaves the old set, one
cut after it (between two renames) is completed by the next run. A failure is injected
between the renames here; ``test_safe_writes_slow.py`` kills real runs at random points.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyogrio
import pytest

from ecomap.export import export_layers
from ecomap.io import WriteError, recover_file_sets
from ecomap.network import load_network

SET = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".fields.csv")


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The old (first 150 sites) and new (every site) exports of the register, as bytes per part."""
    bridges = load_network().bridges
    root = tmp_path_factory.mktemp("versions")
    out = {}
    for label, frame in (("old", bridges.iloc[:150]), ("new", bridges)):
        export_layers({"bridges": frame}, root / label / "bridges.shp", fmt="shp")
        out[label] = _parts(root / label)
    out["frames"] = {"old": bridges.iloc[:150], "new": bridges}
    return out


def _parts(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _state(folder: Path, versions) -> str:
    now = _parts(folder)
    return "old" if now == versions["old"] else "new" if now == versions["new"] else "mixed"


def _plant_old(folder: Path, versions) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in versions["old"].items():
        (folder / name).write_bytes(data)


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so no handler of ecomap's runs."""


def test_cut_between_two_renames_is_completed_by_the_next_run(tmp_path, versions, monkeypatch):
    out = tmp_path / "out"
    _plant_old(out, versions)
    (out / "bridges.qix").write_bytes(b"an index of the old .shp")  # stale: the new set has none
    versions = {**versions, "old": {**versions["old"], "bridges.qix": b"an index of the old .shp"}}
    real, calls = os.replace, []

    def cut_after_two(src, dst, *a, **k):
        if Path(dst).parent == out and Path(dst).name.startswith("bridges."):
            calls.append(Path(dst).name)
            if len(calls) == 3:
                raise Killed
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", cut_after_two)
    with pytest.raises(Killed):
        export_layers({"bridges": versions["frames"]["new"]}, out / "bridges.shp", fmt="shp")
    monkeypatch.setattr(os, "replace", real)
    assert _state(out, versions) == "mixed"  # two parts new, the rest old: what a kill leaves
    assert calls[:2] == ["bridges.cpg", "bridges.dbf"] and "bridges.qix" not in _parts(out)
    journals = [p.name for p in out.iterdir() if p.name.endswith(".set")]
    assert len(journals) == 1
    assert recover_file_sets(out) == journals
    assert _state(out, versions) == "new"
    got = pyogrio.read_dataframe(out / "bridges.shp")
    assert len(got) == len(versions["frames"]["new"])
    assert sorted(p.name for p in out.iterdir()) == sorted(versions["new"])


def test_cut_before_the_commit_point_keeps_the_old_set(tmp_path, versions, monkeypatch):
    out = tmp_path / "out"
    _plant_old(out, versions)
    real = os.rename

    def cut_at_commit(src, dst, *a, **k):
        if Path(dst).name == "manifest.json":
            raise Killed
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "rename", cut_at_commit)
    with pytest.raises(Killed):
        export_layers({"bridges": versions["frames"]["new"]}, out / "bridges.shp", fmt="shp")
    monkeypatch.setattr(os, "rename", real)
    assert _state(out, versions) == "old"
    assert recover_file_sets(out) == []  # an uncommitted journal is discarded
    assert _state(out, versions) == "old"
    assert sorted(p.name for p in out.iterdir()) == sorted(versions["old"])


def test_a_failed_rename_is_exit_2_and_the_next_export_completes_it(tmp_path, versions, monkeypatch):
    out = tmp_path / "out"
    _plant_old(out, versions)
    real, n = os.replace, []

    def eio_once(src, dst, *a, **k):
        if Path(dst).name == "bridges.shx" and not n:
            n.append(1)
            raise OSError(5, "Input/output error")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", eio_once)
    with pytest.raises(WriteError, match="next ecomap run in this folder completes the new set"):
        export_layers({"bridges": versions["frames"]["new"]}, out / "bridges.shp", fmt="shp")
    monkeypatch.setattr(os, "replace", real)
    # the next export (here of the old version) first completes the cut one, then writes its own
    export_layers({"bridges": versions["frames"]["old"]}, out / "bridges.shp", fmt="shp")
    assert _state(out, versions) == "old"
    assert sorted(p.name for p in out.iterdir()) == sorted(versions["old"])


def test_a_live_runs_journal_is_left_alone(tmp_path, versions):
    from ecomap._atomic_set import atomic_file_set

    out = tmp_path / "out"
    _plant_old(out, versions)
    with atomic_file_set(out / "bridges.shp") as tmp:
        tmp.write_bytes(b"not yet")
        assert recover_file_sets(out) == [] and tmp.exists()
        tmp.unlink()
        pyogrio.write_dataframe(versions["frames"]["new"][["geometry"]].to_crs(4326), tmp)
    assert pyogrio.read_info(out / "bridges.shp")["features"] == len(versions["frames"]["new"])
