"""What the user gives a question: points, boxes, geometries, footprints."""

from __future__ import annotations

import json

import pytest
from query._layers import LAT, LON, bridges

from ecomap import crs
from ecomap._errors import InputError
from ecomap.network import Network
from ecomap.query import intersecting, near, user_point


def test_gcj02_input_is_converted_before_measuring():
    p = user_point((LON, LAT))
    net = Network({"bridges": bridges([(p.x + 10, p.y)])})
    glon, glat = crs.wgs84_to_gcj02(LON, LAT)
    assert len(near(net, "bridges", (glon, glat), radius_m=50, input_crs="gcj02")) == 1
    # read as WGS-84, the same numbers land ~590 m away
    assert len(near(net, "bridges", (glon, glat), radius_m=50)) == 0
    assert near(net, "bridges", (glon, glat), radius_m=2000)["distance_m"].iloc[0] > 500


def test_intersects_reads_a_geojson_file(tmp_path):
    p = user_point((LON, LAT))
    net = Network({"bridges": bridges([(p.x, p.y), (p.x + 5000, p.y)])})
    ring = [[LON - 0.01, LAT - 0.01], [LON + 0.01, LAT - 0.01], [LON + 0.01, LAT + 0.01], [LON - 0.01, LAT - 0.01]]
    path = tmp_path / "area.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    assert list(intersecting(net, "bridges", str(path)).index) == ["B0000"]
    with pytest.raises(InputError, match="neither a WKT geometry nor an existing GeoJSON file"):
        intersecting(net, "bridges", str(tmp_path / "missing.geojson"))
    with pytest.raises(InputError, match="not valid WKT"):
        intersecting(net, "bridges", "POLYGON ((1 2, 3")
