"""The bridge-site register: importing field surveys (all or nothing) and `ecomap bridges`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import boundary_feature, run_cli, write_layer

from ecomap import crs
from ecomap._errors import InputError
from ecomap.bridges import import_sites
from ecomap.export import export_layers
from ecomap.layers import coerce_columns, spec
from ecomap.network import load_network


def _offset(lon, lat, east_m, north_m):
    g = pyproj.Geod(ellps="WGS84")
    lo, la, _ = g.fwd(lon, lat, 90, east_m)
    lo, la, _ = g.fwd(lo, la, 0, north_m)
    return round(lo, 7), round(lat if north_m == 0 else la, 7)


SURVEY = """Longitude,LATITUDE,Host,material,Status,Installed,Note
114.3460,22.6860,ditch,wood,built,2025-03-01,first
114.3470,22.6870,bucket,stone,built,2025-03-01,bad host
22.6880,114.3480,well,net,built,,swapped
114.5000,22.6900,well,net,built,,far away
114.3490,22.6890,pool,ramp,built,2024-13-01,bad date
abc,22.6900,pool,ramp,built,,not a number
114.3510,22.6910,Interception Ditch,Stone,PLANNED,2024/5/3,"a note
over two lines"
{dup_existing},culvert,ramp,built,2023-01-01,near B00007
{dup_row},ditch,wood,built,2025-03-01,same as line 2
114.3520,22.6920,well,rope,damaged,2099-01-01,future date
"""


def _survey(tmp_path) -> Path:
    dup_existing = "{},{}".format(*_offset(114.350, 22.690, 3.0, 0))
    dup_row = "{},{}".format(*_offset(114.3460, 22.6860, 0, 1.0))
    path = tmp_path / "week 12.csv"
    path.write_text(SURVEY.format(dup_existing=dup_existing, dup_row=dup_row), encoding="utf-8")
    return path


def test_mixed_rows_valid_ones_added_the_rest_listed_and_kept(data, tmp_path):
    path = _survey(tmp_path)
    report = import_sites(path, data_dir=data)
    assert list(report.added.index) == ["B00008", "B00009"]  # after the highest number in use
    reasons = {i.line: i.reason for i in report.rejected}
    assert set(reasons) == {3, 4, 5, 6, 7, 12}
    assert "host 'bucket' is not one of" in reasons[3]
    assert "swapped" in reasons[4]
    assert "km outside the district" in reasons[5]
    assert "installed '2024-13-01' is not a date" in reasons[6]
    assert "longitude 'abc' is not a number" in reasons[7]
    assert "in the future" in reasons[12]
    dups = {i.line: i for i in report.duplicates}
    assert set(dups) == {10, 11}  # the quoted note spans lines 8-9
    assert dups[10].duplicate_of == "B00007" and "3.0 m from register site B00007" in dups[10].reason
    assert dups[11].duplicate_of == "line 2"

    net = load_network(data)  # the register still passes every catalogue rule
    assert list(net.bridges.index) == ["B00001", "B00007", "B00003", "B00008", "B00009"]
    b9 = net.bridges.loc["B00009"]
    assert (b9.host, b9.material, b9.status, str(b9.installed)[:10]) == ("interception_ditch", "stone", "planned", "2024-05-03")
    assert b9.note == "a note\nover two lines" and b9.confidence == "surveyed"
    assert b9.source == "field survey: week 12.csv"
    lonlat = net.bridges.to_crs(crs.WGS84).geometry
    assert (lonlat.loc["B00008"].x, lonlat.loc["B00008"].y) == pytest.approx((114.346, 22.686), abs=1e-9)

    rejects = report.rejects_file
    assert rejects == tmp_path / "week 12.rejects.csv"
    table = pd.read_csv(rejects, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == ["line", "reason", "Longitude", "LATITUDE", "Host", "material", "Status",
                                   "Installed", "Note"]
    assert list(table["line"].astype(int)) == [3, 4, 5, 6, 7, 10, 11, 12]
    # every value the volunteer typed is kept as typed
    assert table.loc[table["line"] == "3", "Host"].item() == "bucket"
    assert table.loc[table["line"] == "7", "Longitude"].item() == "abc"
    assert table.loc[table["line"] == "4", "Note"].item() == "swapped"


def test_crash_mid_write_leaves_the_register_byte_for_byte(data, tmp_path, monkeypatch):
    register = data / "bridges.geojson"
    before = register.read_bytes()

    def crash(src, dst):
        raise OSError("power cut during rename")

    monkeypatch.setattr("ecomap.io.os.replace", crash)
    with pytest.raises(InputError, match="rejects.csv: not written .power cut"):
        import_sites(_survey(tmp_path), data_dir=data)
    assert register.read_bytes() == before
    assert sorted(p.name for p in data.iterdir()) == [".bridges.lock", "boundary.geojson", "bridges.geojson",
                                                      "corridors.geojson"]


def test_importing_the_same_file_twice_adds_nothing_the_second_time(data, tmp_path):
    path = _survey(tmp_path)
    first = import_sites(path, data_dir=data)
    after_first = (data / "bridges.geojson").read_bytes()
    second = import_sites(path, data_dir=data)
    assert len(first.added) == 2 and len(second.added) == 0
    assert (data / "bridges.geojson").read_bytes() == after_first
    assert {i.duplicate_of for i in second.duplicates} >= {"B00008", "B00009"}


def test_dry_run_writes_nothing(data, tmp_path):
    register = data / "bridges.geojson"
    before = register.read_bytes()
    path = _survey(tmp_path)
    report = import_sites(path, data_dir=data, dry_run=True)
    assert len(report.added) == 2 and report.dry_run
    assert register.read_bytes() == before
    assert not (tmp_path / "week 12.rejects.csv").exists()
    assert "would add 2" in "\n".join(report.lines())


def test_chinese_headers_gb18030_and_ids(data, tmp_path):
    path = tmp_path / "调查.csv"
    path.write_bytes("经度,纬度,id,host,material,status,installed,name_zh\n"
                     "114.3415,22.6815,B00003,well,net,built,2024-06-01,已有编号\n"
                     "114.3425,22.6825,W-17,well,net,built,2024-06-01,马峦 一号井\n"
                     "114.3435,22.6835,,pool,stone,built,2024-06-01,\n".encode("gb18030"))
    report = import_sites(path, data_dir=data)
    assert [i.reason for i in report.duplicates] == ["id B00003 is already in the register"]
    assert list(report.added.index) == ["W-17", "B00008"]
    assert load_network(data).bridges.loc["W-17", "name_zh"] == "马峦 一号井"


def test_geojson_survey_with_a_line_in_it(data, tmp_path):
    path = tmp_path / "phone.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"host": "ditch", "material": "wood", "status": "built"},
         "geometry": {"type": "Point", "coordinates": [114.3441, 22.6841]}},
        {"type": "Feature", "properties": {"host": "ditch", "material": "wood", "status": "built"},
         "geometry": {"type": "LineString", "coordinates": [[114.3441, 22.6841], [114.345, 22.685]]}},
    ]}), encoding="utf-8")
    report = import_sites(path, data_dir=data)
    assert len(report.added) == 1
    assert [(i.line, i.reason) for i in report.rejected] == [(2, "geometry is LineString, not a Point")]
    rej = json.loads((tmp_path / "phone.rejects.geojson").read_text())
    assert rej["features"][0]["geometry"]["type"] == "LineString"
    assert rej["features"][0]["properties"]["reject_line"] == 2


def test_gcj02_export_reimported_lands_back_within_1e6_degrees(data, tmp_path):
    net = load_network(data)
    original = net.bridges.to_crs(crs.WGS84)
    out = tmp_path / "gcj"
    (csv_path,) = export_layers({"bridges": net.bridges}, out, fmt="csv", crs="gcj02")
    (gj_path,) = export_layers({"bridges": net.bridges}, out, fmt="geojson", crs="gcj02")
    for path in (csv_path, gj_path):
        fresh = tmp_path / f"fresh-{path.suffix[1:]}"
        write_layer(fresh, "boundary", [boundary_feature()])
        with pytest.raises(InputError, match="says its coordinates are GCJ-02"):
            import_sites(path, data_dir=fresh)  # the file says GCJ-02; reading it as WGS-84 is refused
        report = import_sites(path, data_dir=fresh, crs="gcj02")
        assert sorted(report.added.index) == sorted(original.index)  # the ids come along
        back = load_network(fresh).bridges.to_crs(crs.WGS84).loc[original.index]
        assert np.abs(back.geometry.x.to_numpy() - original.geometry.x.to_numpy()).max() < 1e-6
        assert np.abs(back.geometry.y.to_numpy() - original.geometry.y.to_numpy()).max() < 1e-6
        assert list(back["status"]) == list(original["status"])


def test_bd09_points_copied_from_baidu_land_on_their_wgs84_site(tmp_path, capsys):
    # --crs took only wgs84|gcj02: Baidu points had to go in as "gcj02", ~1 km off
    src = Path(__file__).resolve().parents[1] / "data" / "baidu-bd09-points" / "sites_from_baidu.csv"
    path = tmp_path / "百度 points.csv"
    path.write_bytes(src.read_bytes())
    data = tmp_path / "fresh"  # the fixture's register has a site at 114.35, 22.69 already
    write_layer(data, "boundary", [boundary_feature()])
    assert run_cli("bridges", "import", path, "--crs", "bd09", "--data", data, "--dry-run") == 0
    assert "would add 1" in capsys.readouterr().out
    report = import_sites(path, data_dir=data, crs="bd09")
    (new,) = report.added.index
    got = load_network(data).bridges.to_crs(crs.WGS84).loc[new].geometry
    assert abs(got.x - 114.35) < 2e-6 and abs(got.y - 22.69) < 2e-6  # the site the file names
    with pytest.raises(InputError, match=r"says its coordinates are GCJ-02, .* to read BD-09; pass --crs gcj02"):
        gcj = tmp_path / "gcj.csv"
        gcj.write_text("lon,lat,coordinates,host,material,status\n114.355,22.687,GCJ-02,ditch,wood,built\n")
        import_sites(gcj, data_dir=data, crs="bd09", dry_run=True)


def test_a_geojson_survey_without_features_is_an_empty_survey_like_a_header_only_csv(data, tmp_path, capsys):
    # it said "line 1: missing column 'host'" of a file that has no lines and no columns
    src = Path(__file__).resolve().parents[1] / "data" / "empty-file" / "no_features.geojson"
    before = (data / "bridges.geojson").read_bytes()
    csv = tmp_path / "header.csv"
    csv.write_text("lon,lat,host,material,status\n")
    for path in (src, csv):
        report = import_sites(path, data_dir=data)
        assert len(report.added) == 0 and report.rejected == [] and report.duplicates == []
    assert (data / "bridges.geojson").read_bytes() == before


def test_gcj02_coordinates_read_as_wgs84_fall_outside_or_far(data, tmp_path):
    glon, glat = crs.wgs84_to_gcj02(114.3441, 22.6841)
    path = tmp_path / "amap.csv"
    path.write_text(f"lon,lat,host,material,status\n{glon},{glat},ditch,wood,built\n")
    assert len(import_sites(path, data_dir=data, crs="gcj02", dry_run=True).added) == 1
    # the square test district is 2 km wide: the ~590 m shift still lands inside here,
    # but not on the same spot
    added = import_sites(path, data_dir=data, dry_run=True).added
    d = shapely.distance(added.geometry.iloc[0], shapely.Point(*crs.transform_point(114.3441, 22.6841)))
    assert 550 < d < 620


def test_cli_import_list_stats(data, tmp_path, capsys):
    path = _survey(tmp_path)
    assert run_cli("bridges", "import", path, "--data", data, "--dry-run") == 2
    out = capsys.readouterr().out
    assert "week 12.csv line 3: rejected: host 'bucket'" in out and "would add 2" in out
    assert run_cli("bridges", "import", path, "--data", data) == 2  # rows were rejected; the valid ones are in
    assert "added 2 (B00008..B00009)" in capsys.readouterr().out
    assert run_cli("bridges", "list", "--data", data, "--status", "planned", "--format", "json") == 0
    assert [f["id"] for f in json.loads(capsys.readouterr().out)["features"]] == ["B00007", "B00009"]
    assert run_cli("bridges", "stats", "--data", data, "--by", "status", "corridor", "--json") == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["status"]["built"]["sites"] == 2 and stats["status"]["planned"]["sites"] == 2
    assert run_cli("bridges", "stats", "--data", data) == 0
    assert "by subdistrict" in capsys.readouterr().out
    good = tmp_path / "ok.csv"
    good.write_text("lon,lat,host,material,status\n114.3431,22.6831,ditch,wood,built\n")
    assert run_cli("bridges", "import", good, "--data", data) == 0
    assert run_cli("bridges", "import", tmp_path / "missing.csv", "--data", data) == 2
    assert "no such file" in capsys.readouterr().err


def test_extra_columns_kept_in_note_and_ragged_rows_rejected(data, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("lon,lat,host,material,status,note,colour,surveyor\n"
                    "114.3441,22.6841,ditch,wood,built,by the path,red,Li\n"
                    "114.3445,22.6845,ditch,wood,built,,,Wang,extra\n"
                    "114.3449,22.6849,ditch,wood,built,,,\n", encoding="utf-8")
    report = import_sites(path, data_dir=data)
    assert [(i.line, i.reason) for i in report.rejected] == [(3, "9 fields but the header has 8")]
    assert report.ignored_columns == ("colour", "surveyor")
    notes = load_network(data).bridges.loc[list(report.added.index), "note"].tolist()
    assert notes[0] == "by the path; colour: red; surveyor: Li" and pd.isna(notes[1])
    rej = (tmp_path / "ragged.rejects.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rej[1] == "3,9 fields but the header has 8,114.3445,22.6845,ditch,wood,built,,,Wang,extra"


# --- one rule: lon/lat -> EPSG:4547 (ecomap.crs.lonlat_to_internal) ---------------------------
def test_gcj02_rows_and_the_swapped_test_go_through_the_one_lonlat_rule(data, tmp_path):
    glon, glat = crs.wgs84_to_gcj02(114.3441, 22.6841)
    path = tmp_path / "amap2.csv"
    path.write_text("lon,lat,host,material,status\n"
                    f"{glon},{glat},ditch,wood,built\n"
                    f"{glat},{glon},ditch,wood,built\n")  # the same point, typed LAT,LON
    report = import_sites(path, data_dir=data, crs="gcj02", dry_run=True)
    (site,) = report.added.geometry
    x, y = crs.lonlat_to_internal(glon, glat, source="gcj02")
    assert shapely.distance(site, shapely.Point(x, y)) < 0.02  # 7-decimal rounding in the register
    # computed another way: the WGS-84 point projected by pyproj directly
    wx, wy = pyproj.Transformer.from_crs(4326, 4547, always_xy=True).transform(114.3441, 22.6841)
    assert shapely.distance(site, shapely.Point(wx, wy)) < 0.02
    assert [(i.line, i.reason[:26]) for i in report.rejected] == [(3, "coordinates look swapped: ")]


# --- one rule: column coercion against the catalogue (ecomap.layers.coerce_columns) -----------
def test_added_rows_carry_every_catalogue_column_in_its_order(data, tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("lon,lat,host,material,status\n114.3441,22.6841,ditch,wood,built\n")
    import_sites(path, data_dir=data)
    props = json.loads((data / "bridges.geojson").read_text(encoding="utf-8"))["features"][-1]["properties"]
    assert list(props) == ["id", "host", "material", "status", "installed", "note", "host_feature",
                           "name_zh", "name_en", "source", "confidence"]
    assert list(props)[1:] == list(spec("bridges").column_names)
    assert {k for k, v in props.items() if v is None} == {"installed", "note", "host_feature", "name_zh", "name_en"}
    assert set(coerce_columns(pd.DataFrame({"id": ["x"]}), "bridges").columns) == set(props)
