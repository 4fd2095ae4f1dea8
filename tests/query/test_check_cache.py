"""What ``ecomap query`` remembers of its checks (``ecomap._check_cache``): the study extent, clean layers.

It must never answer for files that changed (same size and time included), must ignore a
cache file it cannot trust, and must give the answers and problems of a full read.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

import ecomap.network
from ecomap import DataError, _check_cache
from ecomap.network import load_network
from ecomap.query import format_result, query, query_folder
from tests.conftest import PINGSHAN_SQUARE, common, feature, write_layer

DATA = Path(__file__).resolve().parents[2] / "data" / "geo"
NEAR = {"near": (114.35, 22.70), "radius_m": 1500.0}


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ECOMAP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "checked-v1.json"


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    return folder


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The layers read (``read:NAME``) and checked (``check:NAME``) by ``ecomap.network``."""
    seen: list[str] = []
    read, check = ecomap.network.read_layer_file, ecomap.network.check_layer

    def reading(path, name):
        seen.append(f"read:{name}")
        return read(path, name)

    def checking(gdf, name, *, file):
        seen.append(f"check:{name}")
        return check(gdf, name, file=file)

    monkeypatch.setattr(ecomap.network, "read_layer_file", reading)
    monkeypatch.setattr(ecomap.network, "check_layer", checking)
    return seen


def _text(data: Path) -> str:
    return format_result(query_folder(data, "bridges", **NEAR), "bridges")


ALL = ["read:bridges", "check:bridges", "read:boundary", "check:boundary", "read:districts", "check:districts"]


def test_a_second_run_reads_one_file_checks_none_and_answers_the_same(cache, data, reads):
    want = format_result(query(load_network(DATA), "bridges", **NEAR), "bridges")
    reads.clear()
    assert _text(data) == want and sorted(reads) == sorted(ALL)
    tables = json.loads(cache.read_text())
    assert len(tables["clean"]) == 3
    (extent,) = tables["extent"].values()
    b = pd.concat([gpd.read_file(data / f"{n}.geojson") for n in ("boundary", "districts")]).total_bounds
    assert extent == pytest.approx([*(b[:2] - 0.1), *(b[2:] + 0.1)], abs=1e-12)  # read another way
    reads.clear()
    assert _text(data) == want and reads == ["read:bridges"]
    reads.clear()  # asking about an extent layer reads it, checked as remembered
    got = query_folder(data, "districts", where="name_en is not null")
    assert reads == ["read:districts"] and len(got) == len(load_network(DATA).districts.dropna(subset="name_en"))


def _same_size_and_time(path: Path, old: str, new: str) -> None:
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert len(old) == len(new) and text.count(old) >= 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize(("layer", "old", "new", "rule"), [
    ("boundary", '"confidence": "digitized"', '"confidence": "digitizeX"', "digitizeX"),
    ("bridges", '"status": "built"', '"status": "builX"', "builX"),
    ("bridges", '"coordinates": [ 114.', '"coordinates": [ 124.', "outside the study area"),
])
def test_a_changed_file_is_read_and_checked_again_even_at_the_same_size_and_time(cache, data, layer, old, new, rule):
    _text(data)
    _text(data)
    _same_size_and_time(data / f"{layer}.geojson", old, new)
    with pytest.raises(DataError, match=rf"{layer}\.geojson.*{rule}"):
        _text(data)


def test_a_moved_boundary_is_a_new_extent_and_the_layer_is_checked_in_it(cache, data, reads):
    _text(data)
    far = [[x + 1.0, y] for x, y in PINGSHAN_SQUARE]  # one degree east: every bridge outside
    write_layer(data, "boundary", [feature({"type": "Polygon", "coordinates": [far]}, id="440310",
                                           adcode="440310", **common())])
    (data / "districts.geojson").unlink()
    reads.clear()
    with pytest.raises(DataError, match=r"bridges\.geojson.*outside the study area"):
        _text(data)
    assert sorted(reads) == ["check:boundary", "check:bridges", "read:boundary", "read:bridges"]
    assert len(json.loads(cache.read_text())["extent"]) == 2  # the clean new boundary is remembered too
    reads.clear()
    with pytest.raises(DataError, match=r"bridges\.geojson.*outside the study area"):
        _text(data)
    assert reads == ["read:bridges", "check:bridges"]


def test_problems_are_never_remembered(cache, data):
    path = data / "districts.geojson"
    path.write_text(path.read_text(encoding="utf-8").replace('"confidence": "', '"confidence": "not ', 1),
                    encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DataError, match=r"districts\.geojson"):
            _text(data)
    tables = json.loads(cache.read_text())
    assert tables["extent"] == {} and len(tables["clean"]) == 2  # boundary and bridges only


@pytest.mark.parametrize("content", [b"\x00\xffnot json", b"[1, 2]", b'{"extent": [], "clean": 3}', b"{" * 100_000,
                                     "bad extent", "clean not true"])
def test_an_untrustworthy_cache_file_is_ignored_and_replaced(cache, data, reads, content):
    want = _text(data)
    if isinstance(content, str):  # the right keys, values that are not what they must be
        doc = json.loads(cache.read_text())
        if content == "bad extent":
            doc["extent"] = {k: [v[2], v[1], v[0], "x"] for k, v in doc["extent"].items()}
        else:
            doc["clean"] = {k: 1 for k in doc["clean"]}
        content = json.dumps(doc).encode()
    cache.write_bytes(content)
    reads.clear()
    assert _text(data) == want and "check:bridges" in reads
    tables = json.loads(cache.read_text())
    (extent,) = tables["extent"].values()
    assert _check_cache._extent(extent) is not None and set(tables["clean"].values()) == {True}
    reads.clear()
    assert _text(data) == want and reads == ["read:bridges"]


def test_caching_can_be_turned_off_and_a_read_only_folder_is_no_error(tmp_path, data, monkeypatch, reads):
    monkeypatch.setenv("ECOMAP_CACHE_DIR", "")
    want = _text(data)
    assert _check_cache.cache_file() is None
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ECOMAP_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot be made
    reads.clear()
    assert _text(data) == want and sorted(reads) == sorted(ALL)


def test_the_cache_lives_in_the_user_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("ECOMAP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _check_cache.cache_file() == tmp_path / "ecomap" / "checked-v1.json"
