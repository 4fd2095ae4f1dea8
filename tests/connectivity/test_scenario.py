"""Scenarios: removing and adding corridors and patches, the --add file and its checks."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from connectivity._network import hline, three_patches

from ecomap import connectivity as cn
from ecomap._errors import InputError


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
