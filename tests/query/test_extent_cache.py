"""The remembered study extent (``ecomap._extent_cache``) that lets ``ecomap query`` skip two files.

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
from ecomap import DataError, _extent_cache
from ecomap.network import load_network
from ecomap.query import format_result, query, query_folder
from tests.conftest import PINGSHAN_SQUARE, common, feature, write_layer

DATA = Path(__file__).resolve().parents[2] / "data" / "geo"
NEAR = {"near": (114.35, 22.70), "radius_m": 1500.0}


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ECOMAP_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "extent-v1.json"


@pytest.fixture
def data(tmp_path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    return folder


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The layers read through ``read_layer_file`` by ``ecomap.network``."""
    seen: list[str] = []
    real = ecomap.network.read_layer_file

    def counting(path, name):
        seen.append(name)
        return real(path, name)

    monkeypatch.setattr(ecomap.network, "read_layer_file", counting)
    return seen


def _text(data: Path) -> str:
    return format_result(query_folder(data, "bridges", **NEAR), "bridges")


def test_a_remembered_extent_skips_the_two_files_and_answers_the_same(cache, data, reads):
    want = format_result(query(load_network(DATA), "bridges", **NEAR), "bridges")
    reads.clear()
    assert _text(data) == want and set(reads) == {"bridges", "boundary", "districts"}
    (entry,) = json.loads(cache.read_text())["entries"].values()
    b = pd.concat([gpd.read_file(data / f"{n}.geojson") for n in ("boundary", "districts")]).total_bounds
    assert entry == pytest.approx([*(b[:2] - 0.1), *(b[2:] + 0.1)], abs=1e-12)  # read another way
    reads.clear()
    assert _text(data) == want and reads == ["bridges"]
    reads.clear()  # asking about an extent layer itself reads it as ever
    query_folder(data, "districts", where="name_en is not null")
    assert "districts" in reads


def test_a_changed_file_is_read_and_checked_again_even_at_the_same_size_and_time(cache, data):
    _text(data)
    path = data / "boundary.geojson"
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert text.count('"confidence": "digitized"') == 1
    path.write_text(text.replace('"confidence": "digitized"', '"confidence": "digitizeX"'), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    with pytest.raises(DataError, match=r"boundary\.geojson.*digitizeX"):
        _text(data)


def test_a_moved_boundary_is_a_new_extent(cache, data):
    _text(data)
    far = [[x + 1.0, y] for x, y in PINGSHAN_SQUARE]  # one degree east: every bridge outside
    write_layer(data, "boundary", [feature({"type": "Polygon", "coordinates": [far]}, id="440310",
                                           adcode="440310", **common())])
    (data / "districts.geojson").unlink()
    with pytest.raises(DataError, match=r"bridges\.geojson.*outside the study area"):
        _text(data)
    assert len(json.loads(cache.read_text())["entries"]) == 2  # the clean new pair is remembered too


def test_problems_in_the_extent_layers_are_never_remembered(cache, data):
    path = data / "districts.geojson"
    path.write_text(path.read_text(encoding="utf-8").replace('"confidence": "', '"confidence": "not ', 1),
                    encoding="utf-8")
    for _ in range(2):
        with pytest.raises(DataError, match=r"districts\.geojson"):
            _text(data)
    assert not cache.exists()


@pytest.mark.parametrize("content", [b"\x00\xffnot json", b"[1, 2]", b'{"entries": []}', b"{" * 100_000, None])
def test_an_untrustworthy_cache_file_is_ignored_and_replaced(cache, data, reads, content):
    want = _text(data)
    if content is None:  # the right key, a value that is no extent
        doc = json.loads(cache.read_text())
        doc["entries"] = {k: [v[2], v[1], v[0], "x"] for k, v in doc["entries"].items()}
        content = json.dumps(doc).encode()
    cache.write_bytes(content)
    reads.clear()
    assert _text(data) == want and "boundary" in reads
    (entry,) = json.loads(cache.read_text())["entries"].values()
    assert _extent_cache._extent(entry) is not None
    reads.clear()
    assert _text(data) == want and reads == ["bridges"]


def test_caching_can_be_turned_off_and_a_read_only_folder_is_no_error(tmp_path, data, monkeypatch):
    monkeypatch.setenv("ECOMAP_CACHE_DIR", "")
    want = _text(data)
    assert _extent_cache.cache_file() is None
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ECOMAP_CACHE_DIR", str(blocker / "cache"))  # under a file: cannot be made
    assert _text(data) == want


def test_the_cache_lives_in_the_user_cache_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("ECOMAP_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _extent_cache.cache_file() == tmp_path / "ecomap" / "extent-v1.json"
