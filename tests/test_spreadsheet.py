"""Spreadsheet-safe CSV (issue 12): neutralised cells out, strict rows in, any encoding."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from ecomap.export import export_network
from ecomap.query.output import format_result
from ecomap.spreadsheet import neutralise_cell, neutralise_frame, read_csv_strict, write_csv_text

DATA = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize(("cell", "safe"), [
    ('=HYPERLINK("http://example.invalid/x","查看照片")', '\'=HYPERLINK("http://example.invalid/x","查看照片")'),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(1+1)", "'@SUM(1+1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-2.5", "-2.5"), ("+86", "+86"), ("site 2", "site 2"), ("", ""), (None, None), (-3.0, -3.0),
])
def test_neutralise_cell(cell, safe):
    assert neutralise_cell(cell) == safe


def test_formula_cells_from_the_survey_are_neutralised_in_every_csv():
    table = read_csv_strict(DATA / "survey-formula-cells" / "week12.csv")
    assert table.header[-1] == "记录人" and len(table.rows) == 3 and table.rejected == []
    text = write_csv_text(table.header, table.rows)
    back = list(csv.reader(io.StringIO(text)))
    assert [r[6] for r in back[1:]] == ['\'=HYPERLINK("http://example.invalid/x","查看照片")', "'+1+1", "'-2+3"]
    assert [r[7] for r in back[1:]] == ["巡查员甲", "'@SUM(1+1)", "'=1+1"]
    frame = neutralise_frame(pd.DataFrame({"note": ["=1+1", "ok"], "n": [-1, 2]}, index=pd.Index(["=A1", "B"], name="id")))
    assert frame["note"].tolist() == ["'=1+1", "ok"] and frame["n"].tolist() == [-1, 2]
    assert frame.index.tolist() == ["'=A1", "B"] and frame.index.name == "id"


def test_exports_neutralise_csv_and_keep_geojson_as_typed(tmp_path):
    from ecomap.network import load_network

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "geo", data)
    net = load_network(data)
    sites = net.bridges.copy()
    sites.iloc[0, sites.columns.get_loc("note")] = "=1+1"
    out = format_result(sites.iloc[:1], "bridges", fmt="csv")
    assert "'=1+1" in out
    geo = format_result(sites.iloc[:1], "bridges", fmt="geojson")
    assert '"=1+1"' in geo
    gpd.GeoDataFrame(sites.reset_index()).to_crs(4326).to_file(data / "bridges.geojson", driver="GeoJSON")
    written = export_network(load_network(data), tmp_path / "out", fmt="csv", layers=["bridges"])
    text = Path(written[0]).read_text(encoding="utf-8-sig")
    assert "'=1+1" in text and ",=1+1" not in text


def test_strict_csv_rejects_with_line_numbers(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(b'lon,lat,note\n'
                     b'114.36,22.72,"culvert by the ""old"" bridge\n'
                     b'114.35,22.67,site 2\n'
                     b'114.38,22.69,"two\nlines"\n'
                     b'114.35,22.64,before\x00after\n'
                     b'114.35,22.64,a,b\n'
                     b'114.35,22.65,site 7\n')
    t = read_csv_strict(path)
    assert [(line, rule) for line, rule, _ in t.rejected] == [
        (2, "unclosed quote"), (6, "NUL byte in the row"), (7, "4 fields but the header has 3")]
    assert t.lines == [3, 4, 8] and [r[2] for r in t.rows] == ["site 2", "two\nlines", "site 7"]


def test_survey_import_rejects_unclosed_quote_and_nul_by_line(tmp_path):
    from conftest import run_cli

    data = tmp_path / "data"
    shutil.copytree(Path(__file__).resolve().parents[1] / "data" / "geo", data)
    survey = tmp_path / "survey.csv"
    survey.write_bytes("lon,lat,host,material,status,installed,note\n"
                       '114.3649439,22.7287529,ditch,stone,built,2024-05-03,"culvert by the ""old"" bridge\n'
                       "114.3589508,22.6702518,ditch,stone,built,2024-05-03,site 2\n"
                       "114.3574211,22.6431649,pool,net,built,2024-04-01,before\x00after\n"
                       "114.3867611,22.6983608,well,wood,planned,,=1+1 记录\n".encode("gbk"))
    assert run_cli("bridges", "import", survey, "--data", data, "--encoding", "gbk") == 2
    rejects = (tmp_path / "survey.rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rejects[1].startswith("2,unclosed quote,") and rejects[2].startswith("4,NUL byte in the row,")
    reg = gpd.read_file(data / "bridges.geojson")
    assert reg["note"].tolist()[-2:] == ["site 2", "=1+1 记录"]  # the data file keeps the value as typed
    assert not any("\x00" in str(v) for v in reg["note"])
    assert shapely.get_num_coordinates(reg.geometry.values).sum() == len(reg)
