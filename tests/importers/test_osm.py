"""ecomap import osm: OpenStreetMap extracts into a data folder (ecomap.importers.osm)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import run_cli

import ecomap
from ecomap._errors import InputError
from ecomap.crs import wgs84_to_gcj02
from ecomap.importers import (
    OSM_LICENCE,
    import_osm,
    parse_bbox,
)

GEOD = pyproj.Geod(ellps="WGS84")
BBOX = "114.30,22.65,114.42,22.75"

# node id -> (lon, lat)
NODES = {
    # Pingshan River, drawn downstream in two ways: 102 (1-2-3) upstream of 101 (3-4-5)
    1: (114.31, 22.70), 2: (114.33, 22.705), 3: (114.35, 22.70), 4: (114.37, 22.695), 5: (114.39, 22.70),
    # an unnamed stream flowing into the river at node 4
    6: (114.36, 22.72), 7: (114.365, 22.71),
    # a river far outside the boundary
    8: (113.50, 23.50), 9: (113.51, 23.51),
    # reservoir: outer ring in two ways (20-21-22, 22-23-20), an island (24..27)
    20: (114.32, 22.66), 21: (114.34, 22.66), 22: (114.34, 22.68), 23: (114.32, 22.68),
    24: (114.325, 22.665), 25: (114.335, 22.665), 26: (114.335, 22.675), 27: (114.325, 22.675),
    # landuse=reservoir closed way
    28: (114.40, 22.72), 29: (114.41, 22.72), 30: (114.41, 22.73), 31: (114.40, 22.73),
    # motorway 40-41 (starts outside the boundary), tunnel 41-42, 42-43
    40: (114.28, 22.73), 41: (114.33, 22.73), 42: (114.36, 22.73), 43: (114.40, 22.73),
    # railway bridge, primary road, residential road
    44: (114.31, 22.745), 45: (114.33, 22.745), 46: (114.31, 22.69), 47: (114.39, 22.69),
    48: (114.36, 22.66), 49: (114.365, 22.662),
    # hiking route 131 (50-51), 132 (51-52); a track; a sidewalk; a footway
    50: (114.37, 22.66), 51: (114.38, 22.665), 52: (114.39, 22.67), 53: (114.41, 22.66), 54: (114.415, 22.67),
    55: (114.30, 22.71), 56: (114.305, 22.712), 57: (114.31, 22.72), 58: (114.32, 22.725),
    # nature reserve, forest
    60: (114.38, 22.735), 61: (114.39, 22.735), 62: (114.39, 22.745), 63: (114.38, 22.745),
    64: (114.345, 22.715), 65: (114.355, 22.715), 66: (114.355, 22.725), 67: (114.345, 22.725),
    # a dam
    70: (114.32, 22.6805), 71: (114.34, 22.6805),
    # roads with nodes missing from the extract, and one whose two nodes coincide
    80: (114.40, 22.665), 81: (114.41, 22.668), 82: (114.40, 22.70), 83: (114.35, 22.665), 84: (114.35, 22.665),
    # a single straight segment across the district, both ends more than 0.05 degrees outside
    90: (114.20, 22.655), 91: (114.50, 22.655),
}

MOTORWAY = {"highway": "motorway", "name": "深汕高速", "name:en": "Shenshan Expressway"}
RIVER = {"waterway": "river", "name": "坪山河", "name:en": "Pingshan River"}
WAYS = {
    101: ([3, 4, 5], RIVER),
    102: ([1, 2, 3], RIVER),
    103: ([6, 7, 4], {"waterway": "stream"}),
    104: ([8, 9], {"waterway": "river", "name": "Far River"}),
    111: ([20, 21, 22], {}),
    112: ([22, 23, 20], {}),
    113: ([24, 25, 26, 27, 24], {}),
    114: ([28, 29, 30, 31, 28], {"landuse": "reservoir", "name": "松子坑水库"}),
    121: ([40, 41], MOTORWAY),
    122: ([41, 42], {**MOTORWAY, "tunnel": "yes", "layer": "-1"}),
    123: ([42, 43], MOTORWAY),
    124: ([44, 45], {"railway": "rail", "bridge": "yes", "name": "厦深铁路", "name:en": "Xiamen-Shenzhen Railway"}),
    125: ([46, 47], {"highway": "primary", "name": "坪山大道"}),
    126: ([48, 49], {"highway": "residential"}),
    127: ([82, 996], {"highway": "primary"}),  # one node left: no line
    128: ([83, 84], {"highway": "primary"}),  # zero length: left out
    129: ([80, 999, 81], {"highway": "primary"}),  # node 999 missing: no line (80 and 81 were never neighbours)
    190: ([90, 91], {"highway": "motorway"}),  # read only with a wider --margin
    131: ([50, 51], {"highway": "path"}),
    132: ([51, 52], {"highway": "path", "surface": "dirt"}),
    133: ([53, 54], {"highway": "track", "name": "Tiantou Track"}),
    134: ([55, 56], {"highway": "footway", "footway": "sidewalk"}),
    135: ([57, 58], {"highway": "footway", "name": "坪山绿道", "name:en": "Pingshan Greenway"}),
    141: ([60, 61, 62, 63, 60], {"leisure": "nature_reserve", "name": "田头山自然保护区",
                                 "name:en": "Tiantoushan Nature Reserve"}),
    142: ([64, 65, 66, 67, 64], {"landuse": "forest"}),
    151: ([70, 71], {"waterway": "dam", "name": "赤坳水库大坝"}),
}
RELATIONS = {
    201: ([(111, "outer"), (112, "outer"), (113, "inner")],
          {"type": "multipolygon", "natural": "water", "water": "reservoir",
           "name": "赤坳水库", "name:en": "Chi'ao Reservoir"}),
    301: ([(131, ""), (132, "")],
          {"type": "route", "route": "hiking", "name": "马峦山郊野径", "name:en": "Maluan Trail"}),
}


def _tags(tags: dict) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def osm_xml(path: Path) -> Path:
    """Write the test extract as OSM XML."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="ecomap tests">']
    for nid, (lon, lat) in NODES.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, (refs, tags) in WAYS.items():
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        lines.append(f'<way id="{wid}" version="1">{nds}{_tags(tags)}</way>')
    for rid, (members, tags) in RELATIONS.items():
        mem = "".join(f'<member type="way" ref="{w}" role="{role}"/>' for w, role in members)
        lines.append(f'<relation id="{rid}" version="1">{mem}{_tags(tags)}</relation>')
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def osm_pbf(xml: Path, path: Path) -> Path:
    """Convert an .osm file to .osm.pbf with pyosmium."""
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(xml)):
            writer.add(obj)
    return path


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("osm")
    xml = osm_xml(d / "test.osm")
    return {"xml": xml, "pbf": osm_pbf(xml, d / "test.osm.pbf")}


@pytest.fixture(scope="module")
def imported(extract, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("imp") / "data"
    assert run_cli("import", "osm", extract["pbf"], "--bbox", BBOX, "--out", out) == 0
    return out


def _layer(folder: Path, name: str) -> gpd.GeoDataFrame:
    """A layer file as written: values exactly as in the JSON (null stays None)."""
    features = json.loads((folder / f"{name}.geojson").read_text(encoding="utf-8"))["features"]
    gdf = gpd.GeoDataFrame.from_features(features, crs=4326).set_index("id")
    for c in gdf.columns.drop("geometry"):
        # pandas would turn null into NaN
        gdf[c] = pd.Series([f["properties"][c] for f in features], index=gdf.index, dtype=object)
    return gdf


def _geodesic_length(nodes: list[int]) -> float:
    lon, lat = zip(*(NODES[n] for n in nodes), strict=True)
    return GEOD.line_length(lon, lat)


def _geodesic_area(nodes: list[int]) -> float:
    lon, lat = zip(*(NODES[n] for n in nodes), strict=True)
    return abs(GEOD.polygon_area_perimeter(lon, lat)[0])


# --------------------------------------------------------------------------------------------
# OSM
# --------------------------------------------------------------------------------------------
def test_osm_folder_passes_validation_and_counts(imported):
    assert ecomap.validate_data(imported) == []
    assert run_cli("validate", "--data", imported) == 0
    net = ecomap.load_network(imported)
    counts = {name: len(net[name]) for name in ("boundary", "river", "reservoirs", "barriers",
                                                 "trails", "patches", "ridge")}
    assert counts == {"boundary": 1, "river": 2, "reservoirs": 2, "barriers": 6, "trails": 3,
                      "patches": 2, "ridge": 1}
    for name in ("river", "reservoirs", "barriers", "trails", "patches", "ridge"):
        assert set(net[name]["confidence"]) == {"digitized"}
    assert not (imported / "corridors.geojson").exists()


@pytest.mark.slow
def test_osm_folder_builds(imported, tmp_path):
    out = tmp_path / "outputs"
    assert run_cli("build", "--data", imported, "--out", out) == 0
    assert (out / "provenance.json").exists()


def test_osm_river_merged_in_flow_direction(imported):
    river = _layer(imported, "river")
    main = river.loc["w102"]  # named after its most upstream way, whatever the id order
    assert main["source"] == "osm:way/102;osm:way/101"
    assert main["rank"] == "axis"
    assert (main["name_zh"], main["name_en"]) == ("坪山河", "Pingshan River")
    assert main.geometry.geom_type == "LineString"
    coords = shapely.get_coordinates(main.geometry)
    np.testing.assert_allclose(coords[0], NODES[1], atol=1e-7)
    np.testing.assert_allclose(coords[-1], NODES[5], atol=1e-7)
    assert len(coords) == 5
    # length in EPSG:4547 metres against the geodesic length of the five nodes
    length = gpd.GeoSeries([main.geometry], crs=4326).to_crs(4547).length.iloc[0]
    assert length == pytest.approx(_geodesic_length([1, 2, 3, 4, 5]), rel=2e-4)
    stream = river.loc["w103"]
    assert stream["rank"] == "tributary"
    assert stream["parent_id"] == "w102"
    assert stream["source"] == "osm:way/103"
    assert "Far River" not in set(river["name_en"].dropna())


def test_osm_reservoir_multipolygon_keeps_its_hole(imported):
    res = _layer(imported, "reservoirs")
    assert set(res.index) == {"r201", "w114"}
    r = res.loc["r201"]
    assert r["source"] == "osm:relation/201"
    assert (r["name_zh"], r["name_en"]) == ("赤坳水库", "Chi'ao Reservoir")
    geom = r.geometry
    assert geom.geom_type == "Polygon"
    assert len(geom.interiors) == 1
    assert geom.contains(shapely.Point(114.33, 22.662))
    assert not geom.contains(shapely.Point(114.33, 22.67))  # on the island
    area = gpd.GeoSeries([geom], crs=4326).to_crs(4547).area.iloc[0]
    expected = _geodesic_area([20, 21, 22, 23, 20]) - _geodesic_area([24, 25, 26, 27, 24])
    assert area == pytest.approx(expected, rel=1e-3)
    w = res.loc["w114"]
    assert (w["name_zh"], w["name_en"], w["source"]) == ("松子坑水库", None, "osm:way/114")


def test_osm_barriers_mark_tunnels_and_bridges(imported):
    bar = _layer(imported, "barriers")
    assert set(bar.index) == {"w121", "w122", "w123", "w124", "w125", "w151"}  # w129: no chord over node 999
    assert bar.loc["w122", "structure"] == "tunnel"
    assert bar.loc["w122", "permeability"] == 1.0
    assert bar.loc["w121", "structure"] == "surface"
    assert bar.loc["w123", "structure"] == "surface"
    assert bar.loc["w124", "structure"] == "bridge"
    assert dict(bar["kind"]) == {"w121": "expressway", "w122": "expressway", "w123": "expressway",
                                 "w124": "railway", "w125": "arterial", "w151": "dam"}
    assert bar.loc["w121", "permeability"] < bar.loc["w125", "permeability"] < 1
    assert (bar.loc["w122", "name_zh"], bar.loc["w122", "name_en"]) == ("深汕高速", "Shenshan Expressway")
    assert bar.loc["w122", "source"] == "osm:way/122"
    # w121 starts at 114.28, outside the boundary: clipped at 114.30
    x0 = shapely.bounds(bar.loc["w121"].geometry)[0]
    assert x0 == pytest.approx(114.30, abs=1e-7)


def test_osm_trails_route_relation_and_ways(imported):
    tr = _layer(imported, "trails")
    assert set(tr.index) == {"r301", "w133", "w135"}  # sidewalk left out, route ways not repeated
    route = tr.loc["r301"]
    assert (route["kind"], route["source"]) == ("hiking", "osm:relation/301")
    assert (route["name_zh"], route["name_en"]) == ("马峦山郊野径", "Maluan Trail")
    assert route.geometry.geom_type == "LineString"
    length = gpd.GeoSeries([route.geometry], crs=4326).to_crs(4547).length.iloc[0]
    assert length == pytest.approx(_geodesic_length([50, 51, 52]), rel=2e-4)
    assert tr.loc["w133", "kind"] == "hiking"
    assert (tr.loc["w133", "name_zh"], tr.loc["w133", "name_en"]) == (None, "Tiantou Track")
    assert tr.loc["w135", "kind"] == "greenway"


def test_osm_patches_and_ridge(imported):
    patches = _layer(imported, "patches")
    assert dict(patches["kind"]) == {"w141": "nature_reserve", "w142": "forest"}
    ridge = _layer(imported, "ridge")
    assert list(ridge.index) == ["w141"]
    assert ridge.loc["w141", "kind"] == "nature_reserve"
    assert ridge.loc["w141", "name_en"] == "Tiantoushan Nature Reserve"
    area = gpd.GeoSeries([patches.loc["w141"].geometry], crs=4326).to_crs(4547).area.iloc[0]
    assert area == pytest.approx(_geodesic_area([60, 61, 62, 63, 60]), rel=1e-3)


def test_osm_licence_note(imported):
    readme = (imported / "README.md").read_text(encoding="utf-8")
    assert "ODbL" in readme and "OpenStreetMap contributors" in readme
    sources = json.loads((imported / "sources.json").read_text(encoding="utf-8"))
    for name in ("river", "reservoirs", "barriers", "trails", "patches", "ridge"):
        assert sources["layers"][name]["licence"] == OSM_LICENCE
        assert name in readme
    assert sources["layers"]["boundary"]["licence"] != OSM_LICENCE


def test_osm_xml_reads_like_pbf_and_boundary_file(extract, imported, tmp_path):
    boundary = tmp_path / "area.gpkg"
    box = shapely.box(*parse_bbox(BBOX))
    gpd.GeoDataFrame({"adcode": ["440310"], "name_zh": ["坪山区"]}, geometry=[box], crs=4326) \
        .to_crs(4547).to_file(boundary, driver="GPKG")
    out = tmp_path / "from_xml"
    assert run_cli("import", "osm", extract["xml"], "--boundary", boundary, "--out", out) == 0
    assert ecomap.validate_data(out) == []
    b = _layer(out, "boundary")
    assert b["adcode"].iloc[0] == "440310"
    for name in ("river", "reservoirs", "barriers", "trails", "patches", "ridge"):
        a, c = _layer(imported, name), _layer(out, name)
        assert sorted(a.index) == sorted(c.index)
        # the same features, up to the boundary's trip through EPSG:4547
        diff = shapely.hausdorff_distance(a.geometry.sort_index().values, c.geometry.sort_index().values)
        assert np.all(diff < 1e-6)


def test_osm_boundary_in_gcj02(extract, tmp_path):
    """A boundary drawn on AMap: converted from GCJ-02 only because --boundary-crs says so."""
    x0, y0, x1, y1 = parse_bbox(BBOX)
    ring = np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
    gx, gy = wgs84_to_gcj02(ring[:, 0], ring[:, 1])
    src = tmp_path / "amap_boundary.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Polygon(np.column_stack([gx, gy]))], crs=4326).to_file(src)
    out = tmp_path / "out"
    assert run_cli("import", "osm", extract["pbf"], "--boundary", src, "--boundary-crs", "gcj02",
                   "--adcode", "440310", "--out", out) == 0
    b = _layer(out, "boundary")
    assert b["adcode"].iloc[0] == "440310"
    np.testing.assert_allclose(shapely.bounds(b.geometry.iloc[0]), (x0, y0, x1, y1), atol=2e-7)
    assert len(shapely.get_coordinates(b.geometry.iloc[0])) == 5
    assert len(_layer(out, "river")) == 2


def test_osm_margin_reaches_long_segments(extract, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("import", "osm", extract["pbf"], "--bbox", BBOX, "--margin", "0.15", "--out", out) == 0
    bar = _layer(out, "barriers")
    assert "w190" in bar.index and len(bar) == 7  # the 6 of the default margin (no w129 chord) + w190
    np.testing.assert_allclose(shapely.bounds(bar.loc["w190"].geometry), (114.30, 22.655, 114.42, 22.655), atol=1e-7)
    assert "Far River" not in set(_layer(out, "river")["name_en"].dropna())
    assert run_cli("import", "osm", extract["pbf"], "--bbox", BBOX, "--margin", "-1", "--out", tmp_path / "x") == 2
    assert "margin -1 degrees" in capsys.readouterr().err


def test_osm_truncated_pbf_leaves_nothing(extract, tmp_path, capsys):
    data = extract["pbf"].read_bytes()
    bad = tmp_path / "cut.osm.pbf"
    bad.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    assert run_cli("import", "osm", bad, "--bbox", BBOX, "--out", out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and "not a readable OSM file" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.osm.pbf"]


def test_osm_crash_mid_write_leaves_nothing(extract, tmp_path, monkeypatch):
    """A failure while the folder is being written leaves neither it nor a temporary one."""
    import ecomap.importers.osm as importers

    real = importers.write_geojson
    calls = []

    def failing(gdf, path, **kw):
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(gdf, path, **kw)

    monkeypatch.setattr(importers, "write_geojson", failing)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        import_osm(extract["pbf"], out, bbox=BBOX)
    assert len(calls) == 3
    assert list(tmp_path.iterdir()) == []


def test_osm_boundary_outside_extract(extract, tmp_path, capsys):
    out = tmp_path / "out"
    assert run_cli("import", "osm", extract["pbf"], "--bbox", "120.0,30.0,120.1,30.1", "--out", out) == 2
    err = capsys.readouterr().err
    assert "does not overlap the extract" in err and str(extract["pbf"]) in err
    assert not out.exists()


def test_osm_does_not_replace_a_folder_without_overwrite(extract, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert run_cli("import", "osm", extract["pbf"], "--bbox", BBOX, "--out", out) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert run_cli("import", "osm", extract["pbf"], "--bbox", BBOX, "--out", out, "--overwrite") == 0
    assert not (out / "keep.txt").exists() and (out / "river.geojson").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_osm_bad_options():
    with pytest.raises(InputError, match="four numbers"):
        parse_bbox("1,2,3")
    # the one parser (ecomap.crs.parse_bbox) names the option and the rule broken
    with pytest.raises(InputError, match=r"^bbox '114.4,22.6,114.3,22.7': MINLON must be below MAXLON"):
        parse_bbox("114.4,22.6,114.3,22.7")
    with pytest.raises(InputError, match="exactly one"):
        import_osm("x.osm.pbf", "out")
