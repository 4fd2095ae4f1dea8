"""ecomap import file: foreign GIS files into one layer (ecomap.importers.files)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import PINGSHAN_SQUARE, boundary_feature, run_cli, write_layer

import ecomap
from ecomap._errors import DataError, InputError
from ecomap.crs import wgs84_to_gcj02
from ecomap.importers import (
    import_file,
    parse_mapping,
    read_gis_file,
)

GEOD = pyproj.Geod(ellps="WGS84")


def _layer(folder: Path, name: str) -> gpd.GeoDataFrame:
    """A layer file as written: values exactly as in the JSON (null stays None); as in test_osm.py."""
    features = json.loads((folder / f"{name}.geojson").read_text(encoding="utf-8"))["features"]
    gdf = gpd.GeoDataFrame.from_features(features, crs=4326).set_index("id")
    for c in gdf.columns.drop("geometry"):
        # pandas would turn null into NaN
        gdf[c] = pd.Series([f["properties"][c] for f in features], index=gdf.index, dtype=object)
    return gdf


TRUTH = [(114.345, 22.685), (114.351, 22.6912), (114.3587, 22.6973)]  # WGS-84 lon, lat
DRIVERS = {"ESRI Shapefile": "sites.shp", "GPKG": "sites.gpkg", "GeoJSON": "sites.geojson"}


def _sites(crs: str, **over) -> gpd.GeoDataFrame:
    lon, lat = np.array(TRUTH).T
    if crs == "gcj02":
        x, y = wgs84_to_gcj02(lon, lat)
        label = 4326
    else:
        x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(lon, lat)
        label = crs
    cols = {
        "site_no": ["PS-001", "PS-002", "PS-003"],
        "host_type": ["ditch", "well", "culvert"],
        "mat": ["stone", "wood", "net"],
        "state": ["built", "planned", "built"],
        "inst": ["2023-05-01", None, "2024-02-29"],
        "name_zh": ["一号", "二号", "三号"],
        "remark": ["x", "y", "z"],
    }
    cols.update(over)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(x, y), crs=label)


MAP = "site_no=id,host_type=host,mat=material,state=status,inst=installed"


@pytest.mark.parametrize("crs", ["EPSG:4547", "gcj02"])
@pytest.mark.parametrize("driver", list(DRIVERS))
def test_file_import_each_format_and_crs(driver, crs, tmp_path, minimal_data):
    src = tmp_path / DRIVERS[driver]
    _sites(crs).to_file(src, driver=driver)
    args = ["import", "file", "bridges", src, "--map", MAP, "--out", minimal_data, "--confidence", "surveyed"]
    if crs == "gcj02":
        args += ["--crs", "gcj02"]
    assert run_cli(*args) == 0
    assert ecomap.validate_data(minimal_data) == []
    got = _layer(minimal_data, "bridges")
    assert list(got.index) == ["PS-001", "PS-002", "PS-003"]
    np.testing.assert_allclose(shapely.get_coordinates(got.geometry.values), np.array(TRUTH), atol=2e-7)
    assert list(got["host"]) == ["ditch", "well", "culvert"]
    assert list(got["installed"]) == ["2023-05-01", None, "2024-02-29"]
    assert set(got["confidence"]) == {"surveyed"}
    assert set(got["source"]) == {f"file:{src.name}"}
    assert "remark" not in got.columns
    net = ecomap.load_network(minimal_data)
    assert len(net.bridges) == 3
    sources = json.loads((minimal_data / "sources.json").read_text(encoding="utf-8"))
    assert sources["layers"]["bridges"]["features"] == 3


def test_file_import_reports_every_problem(tmp_path, capsys):
    src = tmp_path / "sites.gpkg"
    _sites("EPSG:4547", host_type=["ditch", "bucket", "culvert"], state=["built", None, "built"],
           inst=["2023-05-01", None, "2024-13-01"]).to_file(src, driver="GPKG")
    out = tmp_path / "data"
    assert run_cli("import", "file", "bridges", src, "--map", MAP, "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"ecomap: {src}: feature PS-002: host 'bucket' is not one of ditch, well, pool, culvert, interception_ditch",
        f"ecomap: {src}: feature PS-002: status is missing",
        f"ecomap: {src}: feature PS-003: installed '2024-13-01' is not a date (YYYY-MM-DD)",
    ]
    assert not out.exists()


def test_file_import_unknown_mapping(tmp_path, capsys, minimal_data):
    src = tmp_path / "sites.geojson"
    _sites("EPSG:4547").to_file(src, driver="GeoJSON")
    assert run_cli("import", "file", "bridges", src, "--map", "nosuch=host", "--out", minimal_data) == 2
    err = capsys.readouterr().err
    assert "'nosuch'" in err and "site_no" in err
    assert run_cli("import", "file", "bridges", src, "--map", "host_type=hosting", "--out", minimal_data) == 2
    assert "'hosting' is not a column of layer 'bridges'" in capsys.readouterr().err
    assert run_cli("import", "file", "bridges", src, "--map", "host_type", "--out", minimal_data) == 2
    assert sorted(p.name for p in minimal_data.iterdir()) == ["boundary.geojson"]


def test_file_import_crs_rules(tmp_path, minimal_data):
    src = tmp_path / "sites.shp"
    _sites("EPSG:4547").to_file(src)
    with pytest.raises(InputError, match="gcj02 needs longitude/latitude"):
        read_gis_file("bridges", src, crs="gcj02", mapping=MAP)
    src.with_suffix(".prj").unlink()
    with pytest.raises(InputError, match="has no CRS"):
        read_gis_file("bridges", src, mapping=MAP)
    gdf = read_gis_file("bridges", src, crs="EPSG:4547", mapping=MAP)
    assert gdf.crs.to_epsg() == 4547 and gdf.index.name == "id"
    lon, lat = np.array(TRUTH).T
    x, y = pyproj.Transformer.from_crs(4326, 4547, always_xy=True).transform(lon, lat)
    np.testing.assert_allclose(shapely.get_coordinates(gdf.geometry.values), np.column_stack([x, y]), atol=1e-3)


def test_file_import_extent_and_overwrite(tmp_path, minimal_data, capsys):
    src = tmp_path / "sites.geojson"
    far = _sites("EPSG:4547")
    far["geometry"] = gpd.points_from_xy([113.0, 114.35, 114.35], [22.69, 22.69, 22.69], crs=4326).to_crs(4547)
    far.to_file(src, driver="GeoJSON")
    assert run_cli("import", "file", "bridges", src, "--map", MAP, "--out", minimal_data) == 2
    err = capsys.readouterr().err
    assert f"{src}: feature PS-001: lies outside the study area" in err
    good = tmp_path / "good.geojson"
    _sites("EPSG:4547").to_file(good, driver="GeoJSON")
    assert run_cli("import", "file", "bridges", good, "--map", MAP, "--out", minimal_data) == 0
    before = (minimal_data / "bridges.geojson").read_bytes()
    assert run_cli("import", "file", "bridges", good, "--map", MAP, "--out", minimal_data) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (minimal_data / "bridges.geojson").read_bytes() == before
    assert run_cli("import", "file", "bridges", good, "--map", MAP, "--out", minimal_data, "--overwrite") == 0


def test_file_import_boundary_and_generated_ids(tmp_path):
    """A folder built from files alone: a boundary, then a layer without ids."""
    bsrc = tmp_path / "district.geojson"
    write_layer(tmp_path, "district", [boundary_feature()])
    out = tmp_path / "data"
    assert run_cli("import", "file", "boundary", bsrc, "--out", out) == 0
    psrc = tmp_path / "patches.shp"
    sq = shapely.Polygon(PINGSHAN_SQUARE).buffer(-0.005)
    gpd.GeoDataFrame({"habitat": ["forest"], "q": [0.8]}, geometry=[sq], crs=4326).to_file(psrc)
    gdf = read_gis_file("patches", psrc, mapping="habitat=kind,q=quality")
    assert list(gdf.index) == ["patches-1"] and gdf["quality"].iloc[0] == pytest.approx(0.8)
    import_file("patches", psrc, out, mapping={"habitat": "kind", "q": "quality"})
    assert ecomap.validate_data(out) == []
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "patches" in readme and "ODbL" not in readme


def test_file_import_unreadable_and_empty(tmp_path, minimal_data, capsys):
    bad = tmp_path / "junk.gpkg"
    bad.write_bytes(b"not a geopackage")
    assert run_cli("import", "file", "bridges", bad, "--out", minimal_data) == 2
    assert f"{bad}: not readable as a GIS file" in capsys.readouterr().err
    empty = tmp_path / "empty.gpkg"
    _sites("EPSG:4547").iloc[:0].to_file(empty, driver="GPKG")
    assert run_cli("import", "file", "bridges", empty, "--map", MAP, "--out", minimal_data) == 2
    assert f"{empty}: holds no features" in capsys.readouterr().err
    assert run_cli("import", "file", "nosuchlayer", empty, "--out", minimal_data) == 2
    assert "unknown layer 'nosuchlayer'" in capsys.readouterr().err
    assert sorted(p.name for p in minimal_data.iterdir()) == ["boundary.geojson"]


def test_parse_mapping():
    assert parse_mapping("a=b, c = d") == {"a": "b", "c": "d"}
    assert parse_mapping(None) == {}
    for bad in ("a", "a=", "=b", "a=b=c", "a=b,a=c"):
        with pytest.raises(InputError):
            parse_mapping(bad)


def test_read_gis_file_raises_data_error_with_all_problems(tmp_path):
    src = tmp_path / "sites.geojson"
    _sites("EPSG:4547", mat=["steel", "plastic", "net"]).to_file(src, driver="GeoJSON")
    with pytest.raises(DataError) as info:
        read_gis_file("bridges", src, mapping=MAP)
    assert [p.feature for p in info.value.problems] == ["PS-001", "PS-002"]


def test_file_import_corridors_without_patch_columns(tmp_path, minimal_data):
    """from_id/to_id may be empty: a plan without them imports, with them empty."""
    src = tmp_path / "plan.shp"
    line = shapely.LineString([(114.345, 22.685), (114.355, 22.695)])
    gpd.GeoDataFrame({"WIDTH": [50.0], "TYPE": ["green"], "STATE": ["planned"], "NAME": ["绿廊"]},
                     geometry=[line], crs=4326).to_crs(4547).to_file(src)
    mapping = "WIDTH=width_m,TYPE=kind,STATE=status,NAME=name_zh"
    assert run_cli("import", "file", "corridors", src, "--map", mapping, "--out", minimal_data) == 0
    assert ecomap.validate_data(minimal_data) == []
    got = _layer(minimal_data, "corridors")
    assert got.loc["corridors-1", "from_id"] is None and got.loc["corridors-1", "name_zh"] == "绿廊"
    assert got.loc["corridors-1", "width_m"] == 50.0
    length = gpd.GeoSeries([got.geometry.iloc[0]], crs=4326).to_crs(4547).length.iloc[0]
    assert length == pytest.approx(GEOD.line_length([114.345, 114.355], [22.685, 22.695]), rel=2e-4)


def test_read_gis_file_columns_follow_the_catalogue(tmp_path):
    """One coercion rule (ecomap.layers.coerce_columns): every catalogue column present,
    numbers float64 (an integer width too), absent optional columns empty."""
    from ecomap.layers import coerce_columns, spec

    src = tmp_path / "plan.gpkg"
    line = shapely.LineString([(114.345, 22.685), (114.355, 22.695)])
    gpd.GeoDataFrame({"WIDTH": np.array([50], dtype="int64"), "TYPE": ["green"], "STATE": ["planned"]},
                     geometry=[line], crs=4326).to_file(src, driver="GPKG")
    got = read_gis_file("corridors", src, mapping="WIDTH=width_m,TYPE=kind,STATE=status")
    s = spec("corridors")
    assert set(s.column_names) <= set(got.columns)
    numeric = [c.name for c in s.columns if c.dtype in {"float", "int"}]
    assert numeric == ["width_m"]
    assert got["width_m"].dtype == np.float64 and got["width_m"].iloc[0] == 50.0
    assert got["name_en"].iloc[0] is None and got["from_id"].iloc[0] is None
    pd.testing.assert_frame_equal(got, coerce_columns(got, "corridors"))  # nothing left to coerce
    patches = tmp_path / "patches.geojson"
    sq = shapely.Polygon(PINGSHAN_SQUARE).buffer(-0.005)
    gpd.GeoDataFrame({"kind": ["forest"]}, geometry=[sq], crs=4326).to_file(patches, driver="GeoJSON")
    got = read_gis_file("patches", patches)
    assert got["quality"].dtype == np.float64 and np.isnan(got["quality"].iloc[0])


def test_read_gis_file_gcj02_lands_where_lonlat_to_internal_puts_it(tmp_path):
    """GCJ-02 file -> EPSG:4547 metres: the same points as the one lon/lat conversion."""
    from ecomap.crs import lonlat_to_internal

    src = tmp_path / "sites.gpkg"
    _sites("gcj02").to_file(src, driver="GPKG")
    got = read_gis_file("bridges", src, crs="gcj02", mapping=MAP)
    gx, gy = wgs84_to_gcj02(*np.array(TRUTH).T)
    x, y = lonlat_to_internal(gx, gy, source="gcj02")
    np.testing.assert_allclose(shapely.get_coordinates(got.geometry.values), np.column_stack([x, y]), atol=1e-6)
