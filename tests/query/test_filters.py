"""The where grammar: results against pandas, and everything outside it refused."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from query._layers import HOSTS, LAT, LON, STATUS, bridges, reservoirs

from ecomap._errors import InputError
from ecomap.query import parse_where, user_point, where


def _frame_for_where():
    p = user_point((LON, LAT))
    n = 40
    rng = np.random.default_rng(3)
    hosts = list(rng.choice(HOSTS, n))
    status = list(rng.choice(STATUS, n))
    installed = [None if i % 7 == 0 else f"202{i % 5}-0{1 + i % 9}-15" for i in range(n)]
    return bridges(np.column_stack([p.x + np.arange(n), np.full(n, p.y)]), hosts=hosts, status=status,
                   installed=installed)


@pytest.mark.parametrize("expr, expected", [
    ("status == 'built' and host == 'well'", lambda f: (f.status == "built") & (f.host == "well")),
    ("status = \"built\" or not host != 'pool'", lambda f: (f.status == "built") | (f.host == "pool")),
    ("host in ['well', 'pool'] and not (status in ('removed'))",
     lambda f: f.host.isin(["well", "pool"]) & (f.status != "removed")),
    ("host not in ['well']", lambda f: f.host != "well"),
    ("installed >= '2022-01-01'", lambda f: f.installed.notna() & (f.installed.fillna("") >= "2022-01-01")),
    ("installed is null", lambda f: f.installed.isna()),
    ("installed is not null and '2023-01-01' > installed",
     lambda f: f.installed.notna() & (f.installed.fillna("9") < "2023-01-01")),
    ("id in ['B0001', 'B0003'] or id == 'B0039'", lambda f: pd.Series(f.index.isin(["B0001", "B0003", "B0039"]), index=f.index)),
    ("STATUS == 'built' AND host == 'ditch'", None),  # keywords are case-insensitive, columns not
])
def test_where_matches_pandas(expr, expected):
    f = _frame_for_where()
    if expected is None:
        with pytest.raises(InputError, match="unknown column 'STATUS'"):
            parse_where(expr, layer="bridges")
        return
    got = where({"bridges": f}, "bridges", expr)
    assert list(got.index) == list(f.index[expected(f).to_numpy(dtype=bool)])


def test_where_on_numbers_and_nulls():
    gdf = reservoirs([shapely.box(0, 0, 1, 1)] * 4)
    gdf["capacity"] = [1e5, np.nan, 3e6, 2e5]
    got = where({"reservoirs": gdf}, "reservoirs", "capacity >= 2e5 or capacity is null")
    assert list(got.index) == ["R01", "R02", "R03"]
    # a comparison on an empty value is false, also for !=
    assert list(where({"reservoirs": gdf}, "reservoirs", "capacity != 1e5").index) == ["R02", "R03"]


HOSTILE = [
    "__import__('os').system('echo hacked')",
    "@var",
    "`status` == 'built'",
    "status == 'built'; import os",
    "status.str.len() > 0",
    "host == 'well' " + "or host == 'well' " * 200,
    "(" * 100 + "status == 'built'" + ")" * 100,
    "status == built",
    "status == 'built' and",
    "lambda: 1",
    "status == 'built' or 1",
    "{}",
    "status == 'planned' | host == 'well'",
    "quality == 'x'",
    "status in []",
    "status == null",
    "host == 'wel'",
]


@pytest.mark.parametrize("expr", HOSTILE)
def test_where_rejects_anything_outside_its_grammar(expr, tmp_path):
    with pytest.raises(InputError) as exc:
        parse_where(expr, layer="bridges")
    msg = str(exc.value)
    assert msg.startswith("where: ") and "\n" not in msg and len(msg) < 400


def test_where_error_messages_say_what_to_fix():
    with pytest.raises(InputError, match=r"unknown column '__import__' of layer bridges; columns are: id, host, material, status"):
        parse_where("__import__('os')", layer="bridges")
    with pytest.raises(InputError, match="unexpected character '@' at position 1"):
        parse_where("@var", layer="bridges")
    with pytest.raises(InputError, match="unexpected character '`'"):
        parse_where("`status` == 'built'", layer="bridges")
    with pytest.raises(InputError, match="at most 1000"):
        parse_where("status == 'built' or " * 100 + "status == 'built'", layer="bridges")
    with pytest.raises(InputError, match="host 'wel' is not one of ditch, well, pool"):
        parse_where("host == 'wel'", layer="bridges")
    with pytest.raises(InputError, match="installed is a date"):
        parse_where("installed > '2024'", layer="bridges")
    with pytest.raises(InputError, match="capacity is a number"):
        parse_where("capacity > 'big'", layer="reservoirs")


def test_query_source_never_evals():
    import ecomap.query as q

    src = "\n".join(p.read_text(encoding="utf-8") for p in sorted(Path(q.__file__).parent.glob("*.py")))
    assert "eval(" not in src and "exec(" not in src
    assert set(re.findall(r"(\w+)\.query\(", src)) <= {"sindex", "tree"}  # spatial index only, never DataFrame.query


@pytest.mark.parametrize("expr", ["installed >= '2022-01-01'", "installed < '2023-03-15' or installed is null",
                                  "installed in ['2021-02-15', '2024-05-15']", "installed != '2021-02-15'"])
def test_where_on_dates_read_as_datetimes_matches_text_dates(expr):
    text = _frame_for_where()
    dated = text.copy()
    dated["installed"] = pd.to_datetime(dated["installed"])  # how GDAL hands ISO dates back
    got = where({"bridges": dated}, "bridges", expr)
    assert list(got.index) == list(where({"bridges": text}, "bridges", expr).index)


@pytest.mark.parametrize("expr", [
    "status == “built” and host in [‘well’, ”pool“]",       # a Chinese keyboard's quotes, either way round
    "status == 'built' and host in ['well', \"pool\"]",      # the same with straight quotes
])
def test_where_takes_curly_quotes_as_quotes(expr):
    f = _frame_for_where()
    got = where({"bridges": f}, "bridges", expr)
    expected = (f.status == "built") & f.host.isin(["well", "pool"])
    assert list(got.index) == list(f.index[expected.to_numpy(dtype=bool)])
    assert len(got) > 0


def test_curly_quotes_inside_a_quoted_text_are_characters():
    f = _frame_for_where()
    f["name"] = ["“小桥”"] + ["‘x’"] + ["plain"] * (len(f) - 2)
    frame = f[["name", "status", "geometry"]]
    assert list(where(frame, "names", "name == '“小桥”'").index) == [f.index[0]]
    assert list(where(frame, "names", "name == \"‘x’\"").index) == [f.index[1]]
    assert list(where(frame, "names", "name == “‘x’”").index) == [f.index[1]]   # the other pair inside
    # a curly quote never closes a straight one, nor starts anything outside a value
    with pytest.raises(InputError, match="unexpected character"):
        parse_where("name == 'built”", frame=frame)
    with pytest.raises(InputError, match="unexpected character '”'"):
        parse_where("name” == 'built'", frame=frame)
