"""Every export format re-read with pyogrio/geopandas and compared with its source."""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from ecomap import crs
from ecomap._errors import InputError
from ecomap.export import (
    FORMATS,
    export_layers,
    export_network,
    layer_style_qml,
    layer_style_sld,
    shapefile_fields,
)
from ecomap.layers import CATALOGUE
from ecomap.network import Network, load_network
from tests.conftest import boundary_feature, common, feature, run_cli, write_layer

X0, Y0 = crs.transform_point(114.35, 22.69)


def _frame(name: str, geoms, ids, **cols) -> gpd.GeoDataFrame:
    n = len(geoms)
    base = {"name_zh": [None] * n, "name_en": [None] * n, "source": ["test"] * n, "confidence": ["synthetic"] * n}
    base.update(cols)
    return gpd.GeoDataFrame(base, geometry=list(geoms), crs=crs.INTERNAL, index=pd.Index(ids, name="id"))


@pytest.fixture
def layers() -> dict[str, gpd.GeoDataFrame]:
    rng = np.random.default_rng(5)
    n = 25
    pts = shapely.points(X0 + rng.uniform(-3000, 3000, n), Y0 + rng.uniform(-3000, 3000, n))
    bridges = _frame(
        "bridges", pts, [f"B{i:03d}" for i in range(n)],
        host=[CATALOGUE["bridges"].column("host").allowed[i % 5] for i in range(n)],
        material=["stone", "wood", "net", "rope", "ramp"] * 5,
        status=["built", "planned", "damaged", "removed", "built"] * 5,
        installed=[None if i % 4 == 0 else f"2024-0{1 + i % 9}-1{i % 10}" for i in range(n)],
        note=[None if i % 3 else "坎边 ditch, \"steep\"" for i in range(n)],
    )
    bridges.loc["B001", "name_zh"] = "马峦山 1号"
    bridges.loc["B001", "name_en"] = "Maluan No. 1"
    line = shapely.LineString([(X0, Y0), (X0 + 1500, Y0 + 800), (X0 + 3000, Y0 + 900)])
    corridors = _frame("corridors", [line, shapely.MultiLineString([[(X0, Y0 - 500), (X0 + 900, Y0 - 1500)]])],
                       ["C01", "C02"], width_m=[120.0, 80.5], kind=["mountain", "water"], from_id=["P1", None],
                       to_id=["P2", None], status=["existing", "planned"])
    barriers = _frame("barriers", [shapely.LineString([(X0 - 900, Y0), (X0 + 900, Y0 + 10)])], ["X1"],
                      kind=["expressway"], permeability=[0.15], structure=["tunnel"])
    # clockwise exterior on purpose, and a hole
    shell = [(X0, Y0), (X0, Y0 + 600), (X0 + 700, Y0 + 600), (X0 + 700, Y0), (X0, Y0)]
    hole = [(X0 + 100, Y0 + 100), (X0 + 200, Y0 + 100), (X0 + 200, Y0 + 200), (X0 + 100, Y0 + 100)]
    reservoirs = _frame("reservoirs", [shapely.Polygon(shell, [hole]), shapely.box(X0 - 900, Y0 - 900, X0 - 500, Y0 - 400)],
                        ["R1", "R2"], capacity=[np.nan, 1.25e6])
    reservoirs.loc["R1", "name_zh"] = "赤坳水库"
    return {"bridges": bridges, "corridors": corridors, "barriers": barriers, "reservoirs": reservoirs}


def _read(path, layer=None) -> gpd.GeoDataFrame:
    if str(path).endswith(".parquet"):
        return gpd.read_parquet(path)
    return pyogrio.read_dataframe(path, layer=layer)


def _text(v) -> str | None:
    """A value as text; a date some readers turn into a timestamp becomes YYYY-MM-DD again."""
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)) or v == "":
        return None
    if isinstance(v, pd.Timestamp | np.datetime64):
        return pd.Timestamp(v).strftime("%Y-%m-%d")
    return str(v)


def _assert_same(src: gpd.GeoDataFrame, back: gpd.GeoDataFrame, name: str, *, target: str, tol: float,
                 rename: dict[str, str] | None = None) -> None:
    """Same ids, same attributes, geometries within ``tol`` (FlatGeobuf's index reorders features)."""
    rename = rename or {}
    back = back.rename(columns={v: k for k, v in rename.items()})
    assert sorted(back["id"]) == sorted(src.index) and back["id"].is_unique
    back = back.set_index("id").loc[list(src.index)].reset_index()
    for c in CATALOGUE[name].columns:
        a = src[c.name].to_numpy(dtype=object) if c.name in src.columns else np.full(len(src), None)
        b = back[c.name].to_numpy(dtype=object)
        if c.dtype in {"float", "int"}:
            np.testing.assert_allclose(pd.to_numeric(pd.Series(b)).to_numpy(float), a.astype(float), rtol=1e-12,
                                       err_msg=f"{name}.{c.name}")
        else:
            assert [_text(v) for v in b] == [_text(v) for v in a], f"{name}.{c.name}"
    expected = src.to_crs(target).geometry.values
    got = shapely.force_2d(np.asarray(back.geometry.values))
    dist = shapely.hausdorff_distance(np.asarray(expected), got)
    assert np.all(dist <= tol), (name, dist.max())
    assert np.array_equal(shapely.get_dimensions(got), shapely.get_dimensions(np.asarray(expected)))


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "fgb", "parquet", "shp", "kml"])
@pytest.mark.parametrize("target", ["EPSG:4326", "EPSG:4547"])
def test_every_format_round_trips(layers, tmp_path, fmt, target):
    if fmt == "kml" and target == "EPSG:4547":
        with pytest.raises(InputError, match="KML is always longitude/latitude"):
            export_layers(layers, tmp_path, fmt=fmt, crs=target)
        return
    written = export_layers(layers, tmp_path / fmt, fmt=fmt, crs=target)
    tol = 1e-7 if target == "EPSG:4326" else 1e-3  # 7 decimals of degrees, 3 of metres
    for name, src in layers.items():
        if fmt == "gpkg":
            (path,) = written
            assert path.name == "ecomap.gpkg"
            back = _read(path, layer=name)
        else:
            path = tmp_path / fmt / f"{name}{FORMATS[fmt].suffix}"
            assert path in written
            back = _read(path)
        rename = None
        if fmt == "shp":
            table = pd.read_csv(tmp_path / fmt / f"{name}.fields.csv")
            rename = dict(zip(table["column"], table["shapefile_field"], strict=True))
        assert back.crs is not None and back.crs.equals(target)
        _assert_same(src, back, name, target=target, tol=tol, rename=rename)


def test_geojson_is_rfc7946(layers, tmp_path):
    export_layers(layers, tmp_path, fmt="geojson")
    text = (tmp_path / "reservoirs.geojson").read_text()
    doc = json.loads(text)
    assert "crs" not in doc and doc["ecomap:coordinates"] == "WGS-84"
    for f in doc["features"]:
        rings = f["geometry"]["coordinates"]
        assert shapely.is_ccw(shapely.LinearRing(rings[0]))  # exterior counter-clockwise
        assert all(not shapely.is_ccw(shapely.LinearRing(r)) for r in rings[1:])  # holes clockwise
    decimals = [len(m) for m in re.findall(r"-?\d+\.(\d+)", json.dumps([f["geometry"] for f in doc["features"]]))]
    assert max(decimals) <= 7
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 114 < lon < 115 and 22 < lat < 23  # lon first


def test_geopackage_holds_every_layer_with_its_style(layers, tmp_path):
    (path,) = export_layers(layers, tmp_path / "all.gpkg", fmt="gpkg")
    names = {row[0] for row in pyogrio.list_layers(path)}
    assert names == set(layers) | {"layer_styles"}
    con = sqlite3.connect(path)
    rows = con.execute("select f_table_name, f_geometry_column, styleQML, styleSLD, useAsDefault from layer_styles").fetchall()
    # QGIS picks the newest default style by update_time; GeoPackage 1.2, dates typed DATE
    times = [r[0] for r in con.execute("select update_time from layer_styles")]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", t) for t in times), times
    assert con.execute("pragma user_version").fetchone()[0] == 10200
    if "bridges" in layers:
        sql = con.execute("select sql from sqlite_master where name = 'bridges'").fetchone()[0]
        assert '"installed" DATE' in sql
    desc = dict(con.execute("select table_name, description from gpkg_contents").fetchall())
    geom_cols = dict(con.execute("select table_name, column_name from gpkg_geometry_columns").fetchall())
    con.close()
    assert {r[0] for r in rows} == set(layers)
    ns = {"sld": "http://www.opengis.net/sld"}
    for table, geom_col, qml, sld, default in rows:
        style = CATALOGUE[table].style
        assert geom_col == geom_cols[table] and default == 1
        params = {p.get("name"): p.text for p in ET.fromstring(sld).iter("{http://www.opengis.net/sld}CssParameter")}
        assert params.get("stroke", params.get("fill")) in {style["color"], style.get("fill")}
        if style.get("fill") not in (None, "none"):
            assert params["fill"] == style["fill"]
        assert ET.fromstring(sld).find("sld:NamedLayer/sld:Name", ns).text == table
        q = ET.fromstring(qml.split("\n", 1)[1])  # the atlas's style; tests/test_export_qgis.py opens it in QGIS
        assert q.find("renderer-v2") is not None and qml == layer_style_qml(table, layers[table])
    assert "水库" in desc["reservoirs"] and "WGS-84" in desc["reservoirs"]
    assert layer_style_qml("not-a-layer") is None and layer_style_sld("not-a-layer") is None


def test_shapefile_rename_table():
    fields = shapefile_fields(["id", "permeability", "permeability_m", "elev_max_m", "clipped_length_m", "length_m"])
    assert fields == {"id": "id", "permeability": "permeabili", "permeability_m": "permeabil1",
                      "elev_max_m": "elev_max_m", "clipped_length_m": "clipped_le", "length_m": "length_m"}
    assert all(len(v) <= 10 for v in fields.values())
    assert len({v.lower() for v in fields.values()}) == len(fields)


def test_shapefile_of_a_result_with_long_columns(tmp_path):
    result = gpd.GeoDataFrame(
        {"corridor_id": ["C01", "C02"], "barrier_id": ["X1", "长" * 100], "clipped_length_m": [12.5, 30.25],
         "clipped_length_mid": [1.0, 2.0]},
        geometry=[shapely.Point(X0, Y0), shapely.Point(X0 + 10, Y0)], crs=crs.INTERNAL,
        index=pd.Index(["G1", "G2"], name="id"))
    written = export_layers({"gaps": result}, tmp_path, fmt="shp")
    assert tmp_path / "gaps.fields.csv" in written
    table = pd.read_csv(tmp_path / "gaps.fields.csv")
    rename = dict(zip(table["column"], table["shapefile_field"], strict=True))
    assert rename["clipped_length_m"] == "clipped_le" and rename["clipped_length_mid"] == "clipped_l1"
    back = pyogrio.read_dataframe(tmp_path / "gaps.shp").rename(columns={v: k for k, v in rename.items()})
    assert list(back["id"]) == ["G1", "G2"]
    assert list(table.loc[table["column"] == "barrier_id", "values_cut_to_254_bytes"]) == [1]
    assert back.loc[1, "barrier_id"] == "长" * 84  # 254 bytes hold 84 three-byte characters, none split
    np.testing.assert_allclose(back["clipped_length_m"], [12.5, 30.25])
    np.testing.assert_allclose(back["clipped_length_mid"], [1.0, 2.0])


def test_results_export_like_layers(tmp_path):
    ranking = gpd.GeoDataFrame({"rank": [1, 2], "dPC": [0.31, 0.02]},
                               geometry=[shapely.LineString([(X0, Y0), (X0 + 5, Y0 + 5)])] * 2,
                               crs=crs.INTERNAL, index=pd.Index(["C07", "C01"], name="id"))
    for fmt in ("geojson", "gpkg", "fgb", "parquet"):
        (path,) = export_layers({"corridor_ranking": ranking}, tmp_path / fmt, fmt=fmt)
        back = _read(path, layer="corridor_ranking" if fmt == "gpkg" else None)
        assert list(back["id"]) == ["C07", "C01"] and list(back["rank"]) == [1, 2]
        np.testing.assert_allclose(back["dPC"], [0.31, 0.02])


def test_csv_has_lon_lat_for_points_only(layers, tmp_path):
    (path,) = export_layers({"bridges": layers["bridges"]}, tmp_path, fmt="csv")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"installed": str})
    assert list(table.columns[:3]) == ["id", "lon", "lat"]
    src = layers["bridges"].to_crs(crs.WGS84)
    np.testing.assert_allclose(table["lon"], src.geometry.x, atol=5e-8)
    np.testing.assert_allclose(table["lat"], src.geometry.y, atol=5e-8)
    assert table.loc[1, "name_zh"] == "马峦山 1号" and table.loc[0, "note"] == "坎边 ditch, \"steep\""
    with pytest.raises(InputError, match="CSV holds points only"):
        export_layers({"corridors": layers["corridors"]}, tmp_path, fmt="csv")


def test_gcj02_export_says_so_and_converts_back(layers, tmp_path):
    written = export_layers(layers, tmp_path, fmt="geojson", crs="gcj02")
    assert {p.name for p in written} == {f"{n}_gcj02.geojson" for n in layers}
    doc = json.loads((tmp_path / "bridges_gcj02.geojson").read_text())
    assert doc["ecomap:coordinates"] == "GCJ-02" and "GCJ-02" in doc["description"]
    back = pyogrio.read_dataframe(tmp_path / "bridges_gcj02.geojson")
    lon, lat = crs.gcj02_to_wgs84(back.geometry.x.to_numpy(), back.geometry.y.to_numpy())
    src = layers["bridges"].to_crs(crs.WGS84)
    assert np.abs(lon - src.geometry.x.to_numpy()).max() < 1e-6
    assert np.abs(lat - src.geometry.y.to_numpy()).max() < 1e-6
    # the offset is real: ~590 m
    assert np.abs(back.geometry.x.to_numpy() - src.geometry.x.to_numpy()).min() > 0.004
    (gpkg,) = export_layers(layers, tmp_path, fmt="gpkg", crs="gcj02")
    assert gpkg.name == "ecomap_gcj02.gpkg"
    assert "GCJ-02" in pyogrio.read_info(gpkg, layer="bridges")["layer_metadata"].get("DESCRIPTION", "") or \
        "GCJ-02" in sqlite3.connect(gpkg).execute("select description from gpkg_contents where table_name='bridges'").fetchone()[0]
    (csv,) = export_layers({"bridges": layers["bridges"]}, tmp_path, fmt="csv", crs="gcj02")
    assert set(pd.read_csv(csv, encoding="utf-8-sig")["coordinates"]) == {"GCJ-02"}
    (pq,) = export_layers({"bridges": layers["bridges"]}, tmp_path, fmt="parquet", crs="gcj02")
    import pyarrow.parquet as papq

    assert json.loads(papq.read_schema(pq).metadata[b"ecomap"])["coordinates"] == "GCJ-02"


def test_a_failed_export_leaves_the_old_file(layers, tmp_path, monkeypatch):
    path = tmp_path / "bridges.geojson"
    path.write_text("the previous export")

    def crash(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr("ecomap.io.os.replace", crash)
    with pytest.raises(InputError, match="bridges.geojson: not written .disk full"):
        export_layers({"bridges": layers["bridges"]}, tmp_path, fmt="geojson")
    assert path.read_text() == "the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bridges.geojson"]


def test_bad_requests_name_the_problem(layers, tmp_path):
    with pytest.raises(InputError, match="unknown format 'dxf'"):
        export_layers(layers, tmp_path, fmt="dxf")
    with pytest.raises(InputError, match="give a folder"):
        export_layers(layers, tmp_path / "one.fgb", fmt="fgb")
    with pytest.raises(InputError, match="unknown CRS"):
        export_layers(layers, tmp_path, fmt="fgb", crs="EPSG:999999")
    net = Network(layers)
    with pytest.raises(InputError, match="layer trails is empty"):
        export_network(net, tmp_path, fmt="geojson", layers=["trails"])
    with pytest.raises(InputError, match="unknown layer 'bridge'"):
        export_network(net, tmp_path, fmt="geojson", layers=["bridge"])
    (one,) = export_layers({"bridges": layers["bridges"]}, tmp_path / "sites.fgb", fmt="fgb")
    assert one.name == "sites.fgb"


@pytest.fixture
def data_folder(tmp_path):
    folder = tmp_path / "data"
    write_layer(folder, "boundary", [boundary_feature()])
    write_layer(folder, "bridges", [
        feature({"type": "Point", "coordinates": [114.350, 22.690]}, id="B1", host="well", material="stone",
                status="built", installed="2024-03-01", **common(name_zh="一号")),
        feature({"type": "Point", "coordinates": [114.351, 22.691]}, id="B2", host="ditch", material="wood",
                status="planned", installed=None, **common()),
    ])
    return folder


def test_cli_export_and_build_outputs(data_folder, tmp_path, capsys):
    out = tmp_path / "export"
    assert run_cli("export", "--data", data_folder, "--format", "gpkg", "--out", out) == 0
    assert "wrote 1 file(s)" in capsys.readouterr().out
    net = load_network(data_folder)
    back = pyogrio.read_dataframe(out / "ecomap.gpkg", layer="bridges")
    _assert_same(net.bridges, back, "bridges", target="EPSG:4326", tol=1e-7)
    assert run_cli("export", "--data", data_folder, "--format", "csv", "--out", out) == 0
    assert (out / "bridges.csv").exists() and not (out / "boundary.csv").exists()
    assert run_cli("export", "--data", data_folder, "--format", "kml", "--crs", "EPSG:4547", "--out", out) == 2
    assert "KML is always longitude/latitude" in capsys.readouterr().err
    assert run_cli("build", "--data", data_folder, "--out", tmp_path / "outputs") == 0
    built = tmp_path / "outputs"
    assert {p.name for p in (built / "layers").glob("*.geojson")} == {"boundary.geojson", "bridges.geojson"}
    assert {r[0] for r in pyogrio.list_layers(built / "ecomap.gpkg")} >= {"boundary", "bridges"}
    raw = json.loads((built / "layers" / "bridges.geojson").read_text())
    assert raw["features"][0]["properties"]["installed"] == "2024-03-01"  # a date stays YYYY-MM-DD
    back = pyogrio.read_dataframe(built / "layers" / "bridges.geojson")
    _assert_same(net.bridges, back, "bridges", target="EPSG:4326", tol=1e-7)


def test_analysis_results_export_with_the_layers(tmp_path):
    from ecomap.connectivity import analyse

    net = load_network()  # the bundled data: patches, corridors, barriers, bridges
    (path,) = export_network(net, tmp_path, fmt="gpkg", results=True)
    layers_in = {row[0] for row in pyogrio.list_layers(path)}
    assert {"gaps", "corridor_ranking", "corridors", "bridges"} <= layers_in
    ranking = pyogrio.read_dataframe(path, layer="corridor_ranking").set_index("id")
    result = analyse(net)
    assert sorted(ranking.index) == sorted(net.corridors.index)
    np.testing.assert_allclose(ranking["dPC"], result.corridors.loc[ranking.index, "dPC"])
    rank = ranking["rank"].to_numpy(dtype=float)
    ranked = rank[~np.isnan(rank)]
    assert list(ranked) == sorted(ranked) and np.isnan(rank[len(ranked):]).all()  # rank order, unranked last
    gaps = pyogrio.read_dataframe(path, layer="gaps")
    assert sorted(gaps["crossing"]) == sorted(result.gaps.index)
    dist = shapely.distance(gaps.set_index("crossing").to_crs(crs.INTERNAL).geometry.loc[result.gaps.index].values,
                            result.gaps.geometry.values)
    assert dist.max() < 0.02  # 7 decimals of a degree


def test_geopackage_credits_openstreetmap_for_osm_derived_layers(layers, tmp_path):
    frames = dict(layers)
    osm = frames["bridges"].copy()
    osm["source"] = "osm:node/123"
    frames["bridges"] = osm
    (path,) = export_layers(frames, tmp_path / "osm.gpkg", fmt="gpkg")
    con = sqlite3.connect(path)
    desc = dict(con.execute("select table_name, description from gpkg_contents").fetchall())
    meta = " ".join(r[0] for r in con.execute("select metadata from gpkg_metadata"))
    con.close()
    assert "© OpenStreetMap contributors" in desc["bridges"] and "ODbL" in desc["bridges"]
    assert all("OpenStreetMap" not in d for n, d in desc.items() if n != "bridges")
    assert "© OpenStreetMap contributors" in meta and "bridges" in meta
    assert "OpenStreetMap" in pyogrio.read_info(path, layer="bridges")["dataset_metadata"]["ATTRIBUTION"]


@pytest.mark.parametrize("fmt", ["kml", "kmz"])
def test_kml_styles_by_status_and_ids_read_back(layers, tmp_path, fmt):
    import zipfile

    from ecomap.export.styles import BRIDGE_COLOURS, KIND_COLOURS

    written = export_layers(layers, tmp_path, fmt=fmt)
    assert {p.name for p in written} == {f"{n}.{fmt}" for n in layers}
    for name, frame in layers.items():
        path = tmp_path / f"{name}.{fmt}"
        back = pyogrio.read_dataframe(path)  # GDAL's LIBKML driver: ids and typed attributes
        assert back["id"].tolist() == frame.index.astype(str).tolist()
        for c in CATALOGUE[name].column_names:
            if c in frame.columns and frame[c].notna().any():
                assert c in back.columns, (name, c)
        text = zipfile.ZipFile(path).read("doc.kml") if fmt == "kmz" else path.read_bytes()
        root = ET.fromstring(text)
        ns = {"k": "http://www.opengis.net/kml/2.2"}
        styles = {s.get("id"): s for s in root.iter(f"{{{ns['k']}}}Style")}
        marks = list(root.iter(f"{{{ns['k']}}}Placemark"))
        used = [m.find("k:styleUrl", ns).text.lstrip("#") for m in marks]
        assert set(used) <= set(styles)
        if name == "bridges":  # one style per status, in the atlas's colours (KML: aabbggrr)
            by_status = dict(zip(frame["status"], used, strict=True))
            assert len(set(used)) == frame["status"].nunique() == len(by_status)
            for status, sid in by_status.items():
                colour = styles[sid].find("k:IconStyle/k:color", ns).text
                h = BRIDGE_COLOURS[status].lstrip("#")
                assert colour[2:] == (h[4:6] + h[2:4] + h[0:2])
            names = dict(zip(back["id"], [m.find("k:name", ns).text for m in marks], strict=True))
            assert names["B001"] == "马峦山 1号" and names["B000"] == "B000"  # Chinese, else English, else id
        if name == "corridors":
            assert len(set(used)) == frame[["kind", "status"]].drop_duplicates().shape[0]
            lines = {styles[s].find("k:LineStyle/k:color", ns).text[2:] for s in used}
            assert lines <= {h.lstrip("#")[4:6] + h.lstrip("#")[2:4] + h.lstrip("#")[0:2]
                             for h in [*KIND_COLOURS.values(), "#e53935"]}
