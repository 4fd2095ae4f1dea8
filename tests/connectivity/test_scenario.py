"""Scenarios: removing and adding corridors and patches, the --add file and its checks."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import run_cli
from connectivity._network import hline, square, three_patches

from ecomap import connectivity as cn
from ecomap._errors import EcomapWarning, InputError
from ecomap.connectivity.scenario import DEFAULT_ADDED_WIDTH_M
from ecomap.crs import lonlat_to_internal
from ecomap.layers import spec
from ecomap.network import corridor_footprints


def test_scenario_remove_and_add(tmp_path):
    net = three_patches()
    sc = cn.scenario(net, remove=["C23"], landscape_area_km2=10)
    t = sc.table
    assert t.loc["iic", "before"] == pytest.approx(0.24)
    assert t.loc["iic", "after"] == pytest.approx((14 + 2) / 100)
    assert t.loc["n_links", "change"] == -1
    # add the 2-3 corridor back from a GeoJSON file (WGS-84)
    line = gpd.GeoSeries([hline(4414, 7000)], crs="EPSG:4547").to_crs("EPSG:4326").iloc[0]
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "NEW1", "from_id": "P2", "to_id": "P3"},
        "geometry": shapely.geometry.mapping(line)}]}))
    sc = cn.scenario(net.replace(corridors=net.corridors.drop(index="C23")), add=path,
                     landscape_area_km2=10)
    assert sc.table.loc["iic", "after"] == pytest.approx(0.24)
    assert sc.added == ["NEW1"]


def test_scenario_infers_ends_of_an_added_corridor(tmp_path):
    """A planned corridor without from_id/to_id gets its ends from the patches it touches."""
    net = three_patches()
    line = gpd.GeoSeries([hline(1000, 7000, y=200)], crs="EPSG:4547").to_crs("EPSG:4326").iloc[0]
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(line)}]}))
    sc = cn.scenario(net, add=path, landscape_area_km2=10)
    assert sc.table.loc["n_links", "after"] == 3
    assert sc.after.corridors.loc["ADD1", "from_id"] == "P1"
    assert sc.after.corridors.loc["ADD1", "to_id"] == "P3"


def test_bad_input_is_one_clear_error(tmp_path):
    net = three_patches()
    with pytest.raises(InputError, match="unknown id 'C99'"):
        cn.scenario(net, remove=["C99"], landscape_area_km2=10)
    with pytest.raises(InputError, match="median dispersal"):
        cn.analyse(net, median_dispersal=-5, landscape_area_km2=10)
    with pytest.raises(InputError, match="threshold"):
        cn.analyse(net, links="distance", threshold=-1, landscape_area_km2=10)
    with pytest.raises(InputError, match="landscape area"):
        cn.analyse(net)  # no boundary, no --landscape-area
    p = tmp_path / "point.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "X1"},
        "geometry": {"type": "Point", "coordinates": [114.35, 22.69]}}]}))
    with pytest.raises(InputError, match=r"point.geojson: feature X1: geometry type Point"):
        cn.scenario(net, add=p, landscape_area_km2=10)


def test_added_file_with_a_repeated_id_or_empty_is_one_line_exit_2(tmp_path, capsys):
    # two features X1 ended in "internal error: ValueError: cannot reindex on an axis with
    # duplicate labels", exit 1
    data = Path(__file__).resolve().parents[1] / "data"
    dup = data / "duplicate-ids" / "plan_x1_twice.geojson"
    with pytest.raises(InputError, match=r"plan_x1_twice.geojson: feature X1: duplicate id 'X1' \(also feature 1\)"):
        cn.scenario(three_patches(), add=dup, landscape_area_km2=10)
    assert run_cli("connectivity", "--add", dup) == 2
    assert "feature X1: duplicate id 'X1'" in capsys.readouterr().err
    empty = data / "empty-file" / "empty.geojson"
    with pytest.raises(InputError, match=r"empty.geojson: empty file \(0 bytes\)$"):
        cn.scenario(three_patches(), add=empty, landscape_area_km2=10)


# ---------------------------------------------------------------------------------------------
# the --add file: the one footprint rule, coordinates, catalogue columns
def plan(tmp_path, *features) -> str:
    """A WGS-84 GeoJSON of ``(properties, EPSG:4547 geometry)`` features."""
    geoms = gpd.GeoSeries([g for _, g in features], crs="EPSG:4547").to_crs("EPSG:4326")
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(g)}
        for (props, _), g in zip(features, geoms, strict=True)]}))
    return path


def test_added_corridor_without_width_takes_the_documented_default_and_warns(tmp_path):
    """100 m (DEFAULT_ADDED_WIDTH_M), and its footprint is the one rule's: area L w + pi (w/2)^2."""
    path = plan(tmp_path, ({"id": "NEW1"}, hline(4414, 7000)))
    with pytest.warns(EcomapWarning, match="planned corridors NEW1 have no width_m; taken as 100 m"):
        corr, pat = cn.read_addition(path)
    assert DEFAULT_ADDED_WIDTH_M == 100.0 and corr.loc["NEW1", "width_m"] == 100.0 and pat.empty
    area = float(corridor_footprints(corr).area.iloc[0])
    assert area == pytest.approx(2586 * 100 + math.pi * 50 ** 2, rel=2e-3)  # round ends, 8 segments
    # a width given in the file is kept, and no warning is raised
    path = plan(tmp_path, ({"id": "NEW1", "width_m": 30}, hline(4414, 7000)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", EcomapWarning)
        corr, _ = cn.read_addition(path)
    assert corr.loc["NEW1", "width_m"] == 30.0


def test_added_corridor_ends_are_found_within_half_the_width(tmp_path):
    """Ends 40 m short of P2 and P3: attached with the 100 m default (50 m > 40 m), not with 60 m."""
    net = three_patches()
    net = net.replace(corridors=net.corridors.drop(index="C23"))
    edge_p2 = math.sqrt(2) * 1000 + 3000          # P2's right edge, P3's left edge at 7000
    line = hline(edge_p2 + 40, 7000 - 40)
    with pytest.warns(EcomapWarning, match="no width_m"):
        sc = cn.scenario(net, add=plan(tmp_path, ({"id": "NEW1"}, line)), landscape_area_km2=10)
    assert sc.after.corridors.loc["NEW1", ["from_id", "to_id"]].tolist() == ["P2", "P3"]
    assert sc.table.loc["iic", "after"] == pytest.approx(0.24)
    sc = cn.scenario(net, add=plan(tmp_path, ({"id": "NEW1", "width_m": 60}, line)), landscape_area_km2=10)
    assert not sc.after.corridors.loc["NEW1", "in_graph"]
    assert sc.table.loc["iic", "after"] == pytest.approx(0.16)


@pytest.mark.parametrize(("width", "message"), [
    ("wide", "plan.geojson: feature NEW1: width_m 'wide' is not a number of metres"),
    (0, "plan.geojson: corridors NEW1: width_m must be a positive number of metres"),
    (-5, "plan.geojson: corridors NEW1: width_m must be a positive number of metres"),
])
def test_added_width_must_be_a_positive_number(tmp_path, width, message):
    path = plan(tmp_path, ({"id": "NEW1", "width_m": width}, hline(4414, 7000)))
    with pytest.raises(InputError, match=message):
        cn.read_addition(path)


def test_added_coordinates_are_the_one_lonlat_conversion(tmp_path):
    """read_addition's EPSG:4547 coordinates equal crs.lonlat_to_internal of the file's lon/lat."""
    lonlat = np.array([[114.33, 22.70], [114.35, 22.715], [114.36, 22.71]])
    ring = [[114.30, 22.68], [114.31, 22.68], [114.31, 22.69], [114.30, 22.68]]
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "L", "width_m": 40},
         "geometry": {"type": "LineString", "coordinates": lonlat.tolist()}},
        {"type": "Feature", "properties": {"id": "A"}, "geometry": {"type": "Polygon", "coordinates": [ring]}},
    ]}))
    corr, pat = cn.read_addition(path)
    assert corr.crs.to_epsg() == 4547 and pat.crs.to_epsg() == 4547
    want = np.column_stack(lonlat_to_internal(lonlat[:, 0], lonlat[:, 1]))
    assert np.allclose(shapely.get_coordinates(corr.geometry.values), want, rtol=0, atol=1e-6)
    r = np.array(ring)
    want = np.column_stack(lonlat_to_internal(r[:, 0], r[:, 1]))
    assert np.allclose(shapely.get_coordinates(pat.geometry.values), want, rtol=0, atol=1e-6)


def test_added_rows_carry_the_catalogue_columns_coerced(tmp_path):
    """Every catalogue column, numbers as float64, defaults where a value is missing."""
    path = plan(tmp_path,
                ({"id": "NEW1", "width_m": "80", "status": None}, hline(4414, 7000)),
                ({"id": "NEWP", "quality": "0.5"}, square(10000, 1)))
    corr, pat = cn.read_addition(path)
    assert {c.name for c in spec("corridors").columns} <= set(corr.columns)
    assert {c.name for c in spec("patches").columns} <= set(pat.columns)
    assert corr["width_m"].dtype == np.float64 and corr.loc["NEW1", "width_m"] == 80.0
    assert pat["quality"].dtype == np.float64 and pat.loc["NEWP", "quality"] == 0.5
    assert corr.loc["NEW1", ["kind", "status", "confidence"]].tolist() == ["green", "planned", "indicative"]
    assert pat.loc["NEWP", "kind"] == "planned" and corr.loc["NEW1", "source"] == str(path)


def test_scenario_coerces_added_frames(tmp_path):
    """A pair of frames with only some columns (an int width) joins the network as a layer would."""
    net = three_patches()
    net = net.replace(corridors=net.corridors.drop(index="C23"))
    new_c = gpd.GeoDataFrame({"width_m": [50], "from_id": ["P2"], "to_id": ["P3"]},
                             geometry=[hline(4414, 7000)], crs="EPSG:4547", index=pd.Index(["NEW1"], name="id"))
    new_p = gpd.GeoDataFrame(geometry=[], crs="EPSG:4547", index=pd.Index([], name="id"))
    sc = cn.scenario(net, add=(new_c, new_p), landscape_area_km2=10)
    assert sc.table.loc["iic", "after"] == pytest.approx(0.24)
    assert sc.after.corridors.loc["NEW1", "length_m"] == pytest.approx(2586)


def test_cli_prints_a_warning_as_one_line(tmp_path, capsys):
    """``ecomap connectivity --add`` with a corridor lacking width_m: one ``ecomap: warning:`` line."""
    from conftest import run_cli

    from ecomap.network import load_network

    net = load_network()
    a, b = net.patches.index[:2]
    line = shapely.LineString([net.patches.geometry[a].centroid, net.patches.geometry[b].centroid])
    gdf = gpd.GeoDataFrame({"id": ["NEW1"], "from_id": [a], "to_id": [b]}, geometry=[line], crs="EPSG:4547")
    path = tmp_path / "plan.geojson"
    gdf.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    assert run_cli("connectivity", "--add", path) == 0
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    warned = [ln for ln in err if "no width_m" in ln]
    assert len(warned) == 1 and warned[0].startswith("ecomap: warning: ")
    assert not any(ln.lstrip().startswith(("new_c", "File ", "warnings.warn")) for ln in err)


def test_a_bad_added_file_is_read_before_any_analysis(tmp_path, monkeypatch, capsys):
    """The file is read and checked first: a bad one costs no analysis (counted by a spy on analyse)."""
    import sys

    scenario_module = sys.modules["ecomap.connectivity.scenario"]  # the package's name is the function
    calls = []
    real = scenario_module.analyse
    monkeypatch.setattr(scenario_module, "analyse", lambda *a, **k: calls.append(1) or real(*a, **k))
    data = Path(__file__).resolve().parents[1] / "data"
    dup = data / "duplicate-ids" / "plan_x1_twice.geojson"
    with pytest.raises(InputError, match="duplicate id 'X1'"):
        cn.scenario(three_patches(), add=dup, landscape_area_km2=10)
    assert calls == []
    # the CLI reads it even before the data folder: a missing folder is not what is reported
    assert run_cli("connectivity", "--data", tmp_path / "no-such-folder", "--add", dup) == 2
    err = capsys.readouterr().err
    assert "plan_x1_twice.geojson: feature X1: duplicate id 'X1'" in err and len(err.splitlines()) == 1, err
