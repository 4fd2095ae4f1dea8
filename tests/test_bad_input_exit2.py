"""Every bad input of writes/internal-error-instead-of-exit-2 ends in one line and exit 2 (issue 12)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import run_cli

REPO_DATA = Path(__file__).resolve().parents[1] / "data" / "geo"
PT = {"type": "Feature", "properties": {"host": "ditch", "material": "stone", "status": "built"},
      "geometry": {"type": "Point", "coordinates": [114.3649439, 22.7287529]}}


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    w = tmp_path_factory.mktemp("bad")
    shutil.copytree(REPO_DATA, w / "data")
    (w / "adir").mkdir()
    s = json.dumps({"type": "FeatureCollection", "features": [PT]})
    (w / "deep.geojson").write_text(s.replace('"host"', '"x": ' + "[" * 100000 + "]" * 100000 + ', "host"'))
    d = json.loads(s)
    d["features"][0]["properties"] = ["a", "b"]
    (w / "props_list.geojson").write_text(json.dumps(d))
    d = json.loads(s)
    d["ecomap:coordinates"] = {"datum": "WGS-84"}
    (w / "stated_obj.geojson").write_text(json.dumps(d))
    return w


CASES = [
    ("query", "bridges", "--where", "installed >= '2024-13-45'"),
    ("bridges", "import", "{W}/deep.geojson", "--dry-run"),
    ("bridges", "import", "{W}/props_list.geojson", "--dry-run"),
    ("bridges", "import", "{W}/stated_obj.geojson", "--dry-run"),
    ("query", "bridges", "--intersects", "{W}/deep.geojson"),
    ("corridors", "--resolution", "inf", "--out", "{W}/c"),
    ("corridors", "--resolution", "1e-300", "--out", "{W}/c"),
    ("corridors", "--resolution", "1e308", "--no-circuit", "--out", "{W}/c"),
    ("query", "bridges", "--format", "csv", "--out", "{W}/adir"),
    ("query", "bridges", "--format", "csv", "--out", ""),
    ("query", "bridges", "--format", "csv", "--out", "{W}/data/README.md/x.csv"),
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c)[:40] for c in CASES])
def test_bad_input_exit_2_one_line(work, args, capsys):
    argv = [a.replace("{W}", str(work)) for a in args]
    assert run_cli(*argv, "--data", work / "data") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ecomap: ") and "internal error" not in err[0]
