"""Real-world files in (issue 12): encodings, KML folders, heights, BD-09, multi-layer files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import PINGSHAN_SQUARE, boundary_feature, run_cli, write_layer

from ecomap._errors import DataError, InputError
from ecomap.crs import WGS84
from ecomap.importers import read_gis_file
from ecomap.io import read_layer_file
from ecomap.spreadsheet import decode_text, detect_encoding

DATA = Path(__file__).resolve().parents[1] / "data"
GBK_MAP = "NAME=name_zh,WIDTH=width_m,TYPE=kind,STATE=status"
NAMES = ["马峦山—田头山廊道", "坪山河滨水廊道"]


def _shapefile(tmp_path: Path, cpg: str | None = None) -> Path:
    folder = tmp_path / "shp"
    shutil.copytree(DATA / "gbk-shapefile-no-cpg", folder)
    if cpg is not None:
        (folder / "corridors_gbk.cpg").write_text(cpg)
    return folder / "corridors_gbk.shp"


def test_gbk_shapefile_without_cpg_is_detected(tmp_path):
    gdf = read_gis_file("corridors", _shapefile(tmp_path), mapping=GBK_MAP)
    assert gdf["name_zh"].tolist() == NAMES
    assert gdf.attrs["notes"][0] == "encoding gb18030 (detected; no .cpg)"


def test_upper_case_fields_match_by_case_and_left_out_columns_are_said(tmp_path, capsys):
    # ID, KIND from a Chinese GIS: "missing required column 'kind'" was all the user saw,
    # and NAME was dropped with no word; the path has Chinese characters and a space
    shp = DATA / "shapefile-upper-case-fields" / "步道 trails.shp"
    gdf = read_gis_file("trails", shp)
    assert gdf.index.tolist() == ["T1", "T2"] and gdf["kind"].tolist() == ["greenway", "hiking"]
    assert gdf["name_zh"].isna().all()
    assert gdf.attrs["notes"] == [
        "encoding gb18030 (detected; no .cpg)",
        "columns matched ignoring case: ID -> id, KIND -> kind",
        "columns left out (layer trails has no such column; --map OLD=NEW keeps one): NAME",
    ]
    out = tmp_path / "坪山 输出"
    assert run_cli("import", "file", "trails", shp, "--map", "NAME=name_zh", "--out", out) == 0
    out_text = capsys.readouterr().out
    assert "columns left out" not in out_text
    assert f"{out} has no boundary yet, which every other command needs: " \
           f"ecomap import file boundary FILE --out {out}" in out_text.splitlines()
    trails, problems = read_layer_file(out / "trails.geojson", "trails")
    assert problems == [] and trails["name_zh"].tolist() == ["马峦山绿道", "坪山河步道"]


def test_a_shapefile_missing_its_shx_or_dbf_says_which(tmp_path, caplog):
    # GDAL's "Set SHAPE_RESTORE_SHX config option to YES" was the message
    for part in (".shx", ".dbf"):
        folder = tmp_path / part[1:]
        shutil.copytree(DATA / "shapefile-upper-case-fields", folder)
        (folder / f"步道 trails{part}").unlink()
    with pytest.raises(InputError, match=r"步道 trails.shp: the Shapefile's 步道 trails.shx is not beside it; "
                                         r"copy all its files together \(.shp .shx .dbf .prj .cpg\)$"):
        read_gis_file("trails", tmp_path / "shx" / "步道 trails.shp")
    gdf = read_gis_file("trails", tmp_path / "dbf" / "步道 trails.shp", set_values="kind=hiking")
    assert gdf.index.tolist() == ["trails-1", "trails-2"] and gdf["kind"].tolist() == ["hiking"] * 2
    assert "no 步道 trails.dbf beside it, so no attributes" in caplog.text


@pytest.mark.parametrize("cpg", ["GBK", "936"])
def test_cpg_is_honoured(tmp_path, cpg):
    gdf = read_gis_file("corridors", _shapefile(tmp_path, cpg), mapping=GBK_MAP)
    assert gdf["name_zh"].tolist() == NAMES
    assert "from corridors_gbk.cpg" in gdf.attrs["notes"][0]


def test_encoding_option_forces_and_is_reported(tmp_path, capsys):
    shp = _shapefile(tmp_path)
    out = tmp_path / "data"
    assert run_cli("import", "file", "corridors", shp, "--map", GBK_MAP, "--encoding", "gbk", "--out", out) == 0
    assert "encoding gb18030 (given)" in capsys.readouterr().out
    features = json.loads((out / "corridors.geojson").read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["name_zh"] for f in features] == NAMES
    assert run_cli("import", "file", "corridors", shp, "--encoding", "klingon", "--out", out, "--overwrite") == 2
    assert "--encoding 'klingon': unknown encoding" in capsys.readouterr().err


@pytest.mark.parametrize("enc", ["gbk", "gb18030", "big5", "utf-8", "utf-8-sig", "utf-16"])
def test_text_encodings_detected_on_the_decoded_text(enc):
    text = "lon,lat,note\n114.35,22.69,馬巒山田頭山廊道 坪山河濱水\n" if enc == "big5" else \
        "lon,lat,note\n114.35,22.69,马峦山—田头山廊道 坪山河滨水廊道\n"
    decoded, note = decode_text(text.encode(enc))
    assert decoded == text
    assert enc.split("-sig")[0].replace("gbk", "gb18030") in note


def test_short_gbk_that_is_valid_utf8_is_still_gbk():
    assert detect_encoding("坪山".encode("gbk"))[0] == "gb18030"  # b"\xc6\xba\xc9\xbd" is UTF-8 "ƺɽ"
    assert detect_encoding("café".encode("cp1252"))[0] == "cp1252"


def test_undecodable_bytes_are_refused_naming_the_option():
    with pytest.raises(InputError, match=r"x.csv: cannot tell its text encoding; give it with --encoding"):
        detect_encoding(bytes(range(128, 256)) * 3, file="x.csv")


def test_kml_two_folders_all_placemarks_with_extended_data(capsys, tmp_path):
    gdf = read_gis_file("bridges", DATA / "kml-two-folders" / "survey_google_earth.kml")
    assert gdf.index.tolist() == ["B-site 1", "B-site 2", "B-site 3", "B-site 4"]
    assert gdf["host"].tolist() == ["ditch", "well", "pool", "culvert"]
    assert gdf["status"].tolist() == ["built", "built", "damaged", "planned"]
    assert gdf["installed"].tolist()[:3] == ["2024-05-03", "2024-05-04", "2024-05-10"]
    assert not shapely.has_z(gdf.geometry.values).any()
    assert gdf.attrs["notes"] == ["layers read: 第一周 week 1 (2), 第二周 week 2 (2)", "3-D coordinates: heights dropped"]
    lonlat = gdf.to_crs(WGS84).geometry
    np.testing.assert_allclose(lonlat.x.to_numpy(), [114.3501, 114.3552, 114.3605, 114.3655], atol=1e-9)


def test_kml_coordinates_outside_degrees_named_per_placemark_nothing_written(tmp_path, capsys):
    # a latitude of 114 once crashed the GeoJSON writer ("internal error", exit 1) in a
    # folder without a boundary, and showed bounds "inf" in one with a boundary
    kml = DATA / "kml-bad-coordinate" / "survey_lat_lon_slip.kml"
    with pytest.raises(DataError) as err:
        read_gis_file("bridges", kml)
    assert [(p.feature, p.rule) for p in err.value.problems] == [
        ("K2", "coordinates 22.6483, 114.3577 look swapped (lat, lon): longitude comes first"),
        ("K3", "coordinates 114.3577, 226.483 lie outside longitude -180..180 / latitude -90..90 "
               "(WGS-84, after the file's CRS; is --crs right?)"),
    ]
    out = tmp_path / "new folder"
    assert run_cli("import", "file", "bridges", kml, "--out", out) == 2
    assert "survey_lat_lon_slip.kml: feature K2: coordinates 22.6483, 114.3577 look swapped" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("name", ["empty.geojson", "empty.shp"])
def test_an_empty_file_says_so(name, tmp_path, capsys):
    # GDAL's "not recognized ... prefix the path with '<DRIVER>:', e.g. 'CSV:path'" was shown
    src = DATA / "empty-file" / name
    with pytest.raises(InputError, match=r"^.*empty\.(geojson|shp): empty file \(0 bytes\)$"):
        read_gis_file("bridges", src)
    folder = tmp_path / "data"
    shutil.copytree(DATA.parents[1] / "data" / "geo", folder)
    shutil.copy(DATA / "empty-file" / "empty.geojson", folder / "trails.geojson")
    assert run_cli("validate", "--data", folder) == 2
    assert capsys.readouterr().out.splitlines() == [
        f"{folder / 'trails.geojson'}: file: empty file (0 bytes): a layer is a GeoJSON FeatureCollection"]
    (folder / "trails.geojson").write_text("hello\n")
    _, problems = read_layer_file(folder / "trails.geojson", "trails")
    assert [p.rule for p in problems] == ["not readable as GeoJSON: not recognized as being in a supported file format"]


def test_kml_coordinate_typo_is_named_not_cut_short(tmp_path):
    # GDAL reads "114.35a77" as 114.35 (800 m west, still in the district) without a word
    kml = DATA / "kml-bad-coordinate" / "survey_typo.kml"
    assert pyogrio.read_dataframe(kml).geometry.iloc[1].x == 114.35  # what GDAL alone gives
    with pytest.raises(DataError) as err:
        read_gis_file("bridges", kml)
    assert [(p.feature, p.rule) for p in err.value.problems] == [
        ("K2 大水坑", "coordinate '114.35a77' is not a number (lon,lat[,alt])"),
        ("#3", "coordinate '114.3587,,22.6393' is not a number (lon,lat[,alt])"),
    ]


def test_kml_schemadata_and_one_source_layer(tmp_path):
    gdf = read_gis_file("bridges", DATA / "kml-two-folders" / "survey_schemadata.kml")
    assert gdf.index.tolist() == ["S1", "S2"] and gdf["material"].tolist() == ["stone", "net"]
    one = read_gis_file("bridges", DATA / "kml-two-folders" / "survey_google_earth.kml", source_layer="第二周 week 2")
    assert one.index.tolist() == ["B-site 3", "B-site 4"]
    with pytest.raises(InputError, match=r"--source-layer 'week 3' is not a layer of the file; its layers are: "):
        read_gis_file("bridges", DATA / "kml-two-folders" / "survey_google_earth.kml", source_layer="week 3")


def test_gpx_waypoints_and_tracks(tmp_path):
    gpx = tmp_path / "walk.gpx"
    gpx.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="2bulu" xmlns="http://www.topografix.com/GPX/1/1">
 <wpt lat="22.66" lon="114.3501"><ele>45</ele><name>W1</name></wpt>
 <wpt lat="22.658" lon="114.3552"><ele>61</ele><name>W2</name></wpt>
 <trk><name>T1</name><trkseg><trkpt lat="22.681" lon="114.341"><ele>50</ele></trkpt>
 <trkpt lat="22.689" lon="114.352"><ele>80</ele></trkpt></trkseg></trk>
</gpx>""", encoding="utf-8")
    pts = read_gis_file("bridges", gpx, set_values="host=ditch,material=stone,status=built,installed=2024-05-03")
    assert pts.index.tolist() == ["W1", "W2"]
    assert pts.attrs["notes"][0].startswith("layers read: waypoints (2)")
    lines = read_gis_file("trails", gpx, set_values="kind=hiking")
    assert lines.index.tolist() == ["T1"] and lines["kind"].tolist() == ["hiking"]
    assert lines.attrs["notes"][0] == "layers read: tracks (1)"


def test_multilayer_geopackage_reads_the_layers_of_the_geometry(tmp_path):
    gpkg = tmp_path / "survey.gpkg"
    props = {"host": "ditch", "material": "stone", "status": "built", "installed": "2024-05-03"}
    for name, pts in {"week1": [(114.35, 22.69)], "week2": [(114.351, 22.691), (114.352, 22.692)]}.items():
        gpd.GeoDataFrame([props] * len(pts), geometry=[shapely.Point(p) for p in pts], crs=4326).to_file(
            gpkg, layer=name, driver="GPKG")
    gpd.GeoDataFrame({"x": [1]}, geometry=[shapely.box(114.3, 22.6, 114.4, 22.7)], crs=4326).to_file(
        gpkg, layer="areas", driver="GPKG")
    gdf = read_gis_file("bridges", gpkg)
    assert len(gdf) == 3 and gdf.attrs["notes"] == ["layers read: week1 (1), week2 (2)"]
    with pytest.raises(InputError, match="no layer holds lines; its layers are: week1, week2, areas"):
        read_gis_file("trails", gpkg)


def test_an_ecomap_geopackage_comes_back_layer_by_layer(tmp_path, capsys):
    # `ecomap export --format gpkg` (and QGIS saving styles) adds a `layer_styles` table
    # without geometry: the import stopped at it ("has no geometry column")
    gpkg = tmp_path / "ecomap.gpkg"
    assert run_cli("export", "--layers", "bridges", "trails", "--format", "gpkg", "--out", gpkg) == 0
    assert "layer_styles" in [n for n, _ in pyogrio.list_layers(gpkg)]
    bridges = read_gis_file("bridges", gpkg)
    register, _ = read_layer_file(DATA.parents[1] / "data" / "geo" / "bridges.geojson", "bridges")
    assert bridges.index.tolist() == register["id"].tolist()
    assert bridges.attrs["notes"] == ["layer read: bridges (named as the ecomap layer; --source-layer picks another)"]
    assert len(read_gis_file("trails", gpkg)) == 7
    survey = tmp_path / "survey.gpkg"
    props = {"host": "ditch", "material": "stone", "status": "built", "installed": "2024-05-03"}
    for name, pts in {"week1": [(114.35, 22.69)], "week2": [(114.351, 22.691), (114.352, 22.692)]}.items():
        gpd.GeoDataFrame([props] * len(pts), geometry=[shapely.Point(p) for p in pts], crs=4326).to_file(
            survey, layer=name, driver="GPKG")
    pyogrio.write_dataframe(pd.DataFrame({"styleName": ["x"]}), survey, layer="layer_styles", driver="GPKG")
    gdf = read_gis_file("bridges", survey)
    assert len(gdf) == 3 and gdf.attrs["notes"] == ["layers read: week1 (1), week2 (2)"]


def test_geojson_with_altitude_accepted_by_import_and_by_the_data_folder(tmp_path):
    src = DATA / "geojson-with-altitude"
    gdf = read_gis_file("bridges", src / "phone_survey_z.geojson")
    assert len(gdf) == 3  # [lon, lat, null] and [lon, lat, alt, time] included
    assert gdf.attrs["notes"] == ["3-D coordinates: heights dropped"]
    assert not shapely.has_z(gdf.geometry.values).any()
    folder = tmp_path / "data"
    write_layer(folder, "boundary", [boundary_feature()])
    shutil.copy(src / "trails_with_z.geojson", folder / "trails.geojson")
    trails, problems = read_layer_file(folder / "trails.geojson", "trails")
    assert problems == [] and len(trails) == 5 and not shapely.has_z(trails.geometry.values).any()
    assert run_cli("validate", "--data", folder) == 0


def test_bd09_points_from_baidu(tmp_path):
    csv = DATA / "baidu-bd09-points" / "sites_from_baidu.csv"
    gdf = read_gis_file("bridges", csv, crs="bd09").to_crs(WGS84)
    np.testing.assert_allclose([gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]], [114.35, 22.69], atol=2e-6)
    gcj = read_gis_file("bridges", csv, crs="gcj02").to_crs(4547)
    assert gcj.geometry.distance(gdf.to_crs(4547).geometry).iloc[0] > 900  # the 963 m the case reports


@pytest.mark.parametrize("name", ["bridges_gcj02.csv", "sites.geojson"])
def test_a_file_that_says_gcj02_needs_crs_gcj02(name, tmp_path):
    # ecomap's own GCJ-02 exports were read as WGS-84 by `import file`, ~590 m off, silently
    src = DATA / "gcj02-export" / name
    with pytest.raises(InputError, match=r"says its coordinates are GCJ-02 .*pass --crs gcj02"):
        read_gis_file("bridges", src)
    with pytest.raises(InputError, match=r"says its coordinates are GCJ-02 .*pass --crs gcj02"):
        read_gis_file("bridges", src, crs="wgs84")
    got = read_gis_file("bridges", src, crs="gcj02").to_crs(WGS84)
    register, _ = read_layer_file(DATA.parents[1] / "data" / "geo" / "bridges.geojson", "bridges")
    want = register.set_index("id").loc[got.index].geometry
    np.testing.assert_allclose(got.geometry.x, want.x, atol=1e-6)
    np.testing.assert_allclose(got.geometry.y, want.y, atol=1e-6)


def test_a_gcj02_file_name_alone_is_enough_and_a_wgs84_file_refuses_gcj02(tmp_path):
    rows = (DATA / "gcj02-export" / "bridges_gcj02.csv").read_text(encoding="utf-8-sig").splitlines()
    plain = "\n".join(",".join(c for k, c in enumerate(r.split(",")) if k != 3) for r in rows[:1]) + "\n"
    plain += "B00001,114.3429514,22.6712593,interception_ditch,ramp,built,2025-09-11,,,,,s,synthetic\n"
    (tmp_path / "amap_gcj02.csv").write_text(plain, encoding="utf-8")
    with pytest.raises(InputError, match=r"GCJ-02 \(its name \(_gcj02\)\).*pass --crs gcj02"):
        read_gis_file("bridges", tmp_path / "amap_gcj02.csv")
    (tmp_path / "phone.csv").write_text(rows[0] + "\n" + rows[1].replace("GCJ-02", "WGS-84") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"says its coordinates are WGS-84 .*--crs gcj02 was given; leave --crs out"):
        read_gis_file("bridges", tmp_path / "phone.csv", crs="gcj02")
    assert len(read_gis_file("bridges", tmp_path / "phone.csv")) == 1


def test_degrees_labelled_with_a_projected_crs_name_the_option(tmp_path):
    # QGIS "Set CRS" instead of "Reproject": read as metres, the patch landed at 109.5 E, 0.0002 N
    gpkg = DATA / "geopackage-wrong-crs" / "patch_degrees_labelled_4547.gpkg"
    with pytest.raises(InputError, match=r"coordinates like 114\.33000, 22\.64000 are longitude/latitude "
                       r"degrees but the file says CGCS2000 / 3-degree Gauss-Kruger CM 114E \(metres\); "
                       r"give --crs wgs84"):
        read_gis_file("patches", gpkg)
    got = read_gis_file("patches", gpkg, crs="wgs84").to_crs(WGS84)
    assert got.geometry.iloc[0].bounds == pytest.approx((114.33, 22.64, 114.34, 22.65))


def test_gcj02_csv_in_gbk_with_a_swapped_row(tmp_path):
    # AMap points typed into Excel on Chinese Windows (GBK, 经度/纬度); line 4 is lat,lon
    src = DATA / "gcj02-csv-gbk" / "amap 点.csv"
    with pytest.raises(DataError, match=r"feature line 4: coordinates 22\.6873, 114\.3749 look swapped "
                       r"\(lat, lon\): longitude comes first"):
        read_gis_file("bridges", src, crs="gcj02")
    fixed = tmp_path / "amap 点.csv"
    fixed.write_bytes(b"\n".join(src.read_bytes().splitlines()[:3]) + b"\n")
    gdf = read_gis_file("bridges", fixed, crs="gcj02").to_crs(WGS84)
    # the GCJ-02 values were made from these WGS-84 points by ecomap.wgs84_to_gcj02
    np.testing.assert_allclose(gdf.geometry.x, [114.3577, 114.3627], atol=1e-6)
    np.testing.assert_allclose(gdf.geometry.y, [22.6383, 22.6356], atol=1e-6)
    assert gdf["installed"].tolist() == ["2024-05-03", "2024-05-04"]


def test_an_excel_workbook_is_pointed_to_csv(tmp_path, capsys):
    xlsx = DATA / "excel-register" / "register.xlsx"  # lon, lat, ..., note =HYPERLINK(...)
    with pytest.raises(InputError, match=r"register.xlsx: has no geometry column; a table of points "
                       r"\(Excel, WPS\) goes in as CSV with lon,lat"):
        read_gis_file("bridges", xlsx)
    assert run_cli("bridges", "import", xlsx, "--data", tmp_path, "--dry-run") == 2
    assert "register.xlsx: survey files are .csv or .geojson, not .xlsx" in capsys.readouterr().err


def test_an_import_that_leaves_corridors_without_their_patches_warns(tmp_path, capsys):
    # --overwrite of patches with one park: all 20 corridors lost their ends without a word
    folder = tmp_path / "field"
    shutil.copytree(DATA.parents[1] / "data" / "geo", folder)
    park = tmp_path / "park.geojson"
    park.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"id": "PX", "kind": "forest", "quality": 0.5},
        "geometry": {"type": "Polygon", "coordinates": [[[114.33, 22.64], [114.35, 22.64], [114.35, 22.66],
                                                         [114.33, 22.64]]]}}]}))
    assert run_cli("import", "file", "patches", park, "--out", folder, "--overwrite") == 0
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {folder} now has 40 problem(s) with other layers, e.g. "
                          f"{folder / 'corridors.geojson'}: feature C01: from_id 'P03' names no patch; "
                          f"see ecomap validate --data {folder}")
    assert run_cli("validate", "--data", folder) == 2
    assert "40 problem(s)" in capsys.readouterr().err


def test_csv_rows_without_ids_are_named_with_their_line(tmp_path):
    # the problem said only "feature bridges-3", an id the file does not hold
    csv = DATA / "survey-formula-cells" / "week12.csv"
    with pytest.raises(DataError) as err:
        read_gis_file("bridges", csv)
    assert [(p.feature, p.rule) for p in err.value.problems] == [
        ("bridges-3 (line 4)", "status 'bulit' is not one of planned, built, damaged, removed")]


def test_zone_glued_to_easting_names_the_epsg_code(tmp_path):
    shp = tmp_path / "zone.shp"
    x, y = 38_500_000 + 40_000.0, 2_510_000.0
    gpd.GeoDataFrame({"host": ["ditch"]}, geometry=[shapely.Point(x, y)], crs=4547).to_file(shp)
    with pytest.raises(InputError, match=r"zone number 38 .*EPSG:4526.*give --crs EPSG:4526"):
        read_gis_file("bridges", shp)


def test_make_valid_clip_and_set(tmp_path, capsys):
    folder = tmp_path / "data"
    write_layer(folder, "boundary", [boundary_feature()])
    bow = [[114.345, 22.685], [114.355, 22.695], [114.355, 22.685], [114.345, 22.695], [114.345, 22.685]]
    big = [[114.30, 22.69], [114.40, 22.69], [114.40, 22.695], [114.30, 22.695], [114.30, 22.69]]
    src = write_layer(tmp_path / "in", "patches", [
        {"type": "Feature", "properties": {"id": "P1"}, "geometry": {"type": "Polygon", "coordinates": [bow]}},
        {"type": "Feature", "properties": {"id": "P2"}, "geometry": {"type": "Polygon", "coordinates": [big]}},
        {"type": "Feature", "properties": {"id": "P3"}, "geometry": {"type": "Polygon", "coordinates": [[
            [114.5, 22.5], [114.51, 22.5], [114.51, 22.51], [114.5, 22.5]]]}},
    ])
    base = ["import", "file", "patches", src, "--out", folder, "--set", "kind=forest,name_zh=林地"]
    assert run_cli(*base) == 2
    assert "P1: invalid geometry" in capsys.readouterr().err
    assert run_cli(*base, "--make-valid", "--clip") == 0
    out = capsys.readouterr().out
    assert "repaired 1 invalid geometry: P1" in out and "clipped to the study area: 2 of 3 features kept" in out
    got = gpd.read_file(folder / "patches.geojson").set_index("id")
    assert got.index.tolist() == ["P1", "P2"] and set(got["kind"]) == {"forest"}
    xmin, _, xmax, _ = got.loc["P2"].geometry.bounds
    assert (xmin, xmax) == pytest.approx((PINGSHAN_SQUARE[0][0], PINGSHAN_SQUARE[1][0]))
