"""`query_folder` (what `ecomap query` runs on a folder) answers as `query` on the loaded network.

It reads only the layers a question needs and keeps the coordinates as read instead of
reprojecting them back; the text of every format must be the same, digit for digit, on
the bundled data (written at 7 decimals).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ecomap import DataError
from ecomap.network import load_network
from ecomap.query import format_result, query, query_folder

DATA = Path(__file__).resolve().parents[2] / "data" / "geo"

QUESTIONS = [
    ("bridges", {"near": (114.35, 22.70), "radius_m": 1500.0}),
    ("bridges", {"bbox": (114.33, 22.68, 114.38, 22.72)}),
    ("bridges", {"where": "status == 'built' and host in ['well', 'pool']"}),
    ("bridges", {"nearest": 5, "to": (114.38, 22.71), "where": "status == 'built'"}),
    ("bridges", {"within": "corridors:C17"}),
    ("trails", {"within": "corridors:C06"}),
    ("trails", {"intersects": "POLYGON ((114.27 22.63, 114.40 22.63, 114.40 22.67, 114.27 22.63))"}),
    ("patches", {"near": (114.36, 22.70), "radius_m": 800.0, "input_crs": "gcj02"}),
    ("corridors", {"bbox": (114.30, 22.65, 114.40, 22.75)}),
    ("subdistricts", {"where": "name_en is not null"}),
]


@pytest.fixture(scope="module")
def network():
    return load_network(DATA)


@pytest.mark.parametrize(("layer", "conditions"), QUESTIONS, ids=[f"{q[0]}-{'-'.join(q[1])}" for q in QUESTIONS])
def test_folder_answer_equals_the_network_answer(network, layer, conditions):
    want = query(network, layer, **conditions)
    got = query_folder(DATA, layer, **conditions)
    assert list(got.index) == list(want.index) and list(got.columns) == list(want.columns)
    for fmt in ("table", "geojson", "csv", "json"):
        assert format_result(got, layer, fmt=fmt) == format_result(want, layer, fmt=fmt), fmt
    if conditions.keys() != {"within"}:
        assert json.loads(format_result(got, layer, fmt="json"))["count"] == len(want)


def test_folder_reads_only_the_layers_it_needs(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    (data / "trails.geojson").write_text("not json")  # broken, but not asked about
    got = query_folder(data, "bridges", where="status == 'built'")
    assert len(got) == len(query(load_network(DATA), "bridges", where="status == 'built'"))
    with pytest.raises(DataError, match="trails.geojson"):
        query_folder(data, "trails", where="kind == 'hiking'")
    with pytest.raises(DataError, match="trails.geojson"):
        load_network(data)


def test_load_network_of_some_layers():
    full, some = load_network(DATA), load_network(DATA, layers=["bridges"])
    assert some.bridges.equals(full.bridges) and len(some.trails) == 0 and len(full.trails) > 0
    assert set(some.sources) == {"bridges", "boundary", "districts"} and list(some.layers) == list(full.layers)
