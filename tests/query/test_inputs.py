"""What the user gives a question: points, boxes, geometries, footprints."""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import shapely
from query._layers import LAT, LON, bridges, corridors

import ecomap.query
from ecomap import crs, joins
from ecomap._errors import InputError
from ecomap.network import Network, corridor_footprints
from ecomap.query import (
    footprint,
    intersecting,
    near,
    parse_bbox,
    parse_lonlat,
    query,
    user_geometry,
    user_point,
    within,
)


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


# --- the rules this package takes from one home -------------------------------------------
def test_parse_bbox_is_the_crs_one_with_the_messages_query_gave():
    assert ecomap.query.parse_bbox is crs.parse_bbox
    assert parse_bbox("114.34,22.68,114.36,22.70") == (114.34, 22.68, 114.36, 22.70)
    assert parse_bbox((114.34, 22.68, 114.36, 22.70)) == (114.34, 22.68, 114.36, 22.70)  # a sequence too
    cases = {
        "114.34,22.68,114.36": "bbox '114.34,22.68,114.36': give MINLON,MINLAT,MAXLON,MAXLAT (four numbers)",
        "a,22.68,114.36,22.70": "bbox 'a,22.68,114.36,22.70': the four values must be numbers",
        "22.68,114.34,22.70,114.36": "bbox '22.68,114.34,22.70,114.36': latitude 114.34 is out of range; "
                                     "the order is LON,LAT (longitude first)",
        "114.36,22.68,114.34,22.70": "bbox '114.36,22.68,114.34,22.70': MINLON must be below MAXLON "
                                     "and MINLAT below MAXLAT",
        "114.34,22.68,200,22.70": "bbox '114.34,22.68,200,22.70': not a longitude/latitude in degrees",
        "nan,22.68,114.36,22.70": "bbox 'nan,22.68,114.36,22.70': coordinates must be finite numbers",
    }
    for text, message in cases.items():
        with pytest.raises(InputError) as exc:
            parse_bbox(text)
        assert str(exc.value) == message


def test_points_are_checked_by_crs_check_lonlat():
    with pytest.raises(InputError) as exc:
        parse_lonlat("22.69,114.35", option="--near")
    assert str(exc.value) == ("--near '22.69,114.35': latitude 114.35 is out of range; "
                              "the order is LON,LAT (longitude first)")
    with pytest.raises(InputError) as exc:
        user_point((22.69, 114.35))
    assert str(exc.value) == ("point '22.69,114.35': latitude 114.35 is out of range; "
                              "the order is LON,LAT (longitude first)")


@pytest.mark.parametrize("input_crs", ["wgs84", "gcj02"])
def test_user_coordinates_go_through_crs_lonlat_to_internal(input_crs):
    """Points and geometries from the user land where WGS-84 -> EPSG:4547 (pyproj) puts the
    original WGS-84 coordinates; GCJ-02 input is computed forward from them."""
    rng = np.random.default_rng(5)
    lon = LON + rng.uniform(-0.08, 0.08, 50)
    lat = LAT + rng.uniform(-0.08, 0.08, 50)
    given_lon, given_lat = (lon, lat) if input_crs == "wgs84" else crs.wgs84_to_gcj02(lon, lat)
    ex, ey = pyproj.Transformer.from_crs(crs.WGS84, crs.INTERNAL, always_xy=True).transform(lon, lat)
    tol = 1e-6 if input_crs == "wgs84" else 1e-3  # GCJ-02 is inverted by iteration: under a millimetre
    geom = user_geometry(shapely.multipoints(np.column_stack([given_lon, given_lat])), input_crs=input_crs)
    np.testing.assert_allclose(shapely.get_coordinates(geom), np.column_stack([ex, ey]), atol=tol, rtol=0)
    for i in range(0, 50, 7):
        p = user_point((given_lon[i], given_lat[i]), input_crs=input_crs)
        assert (p.x, p.y) == tuple(map(float, crs.lonlat_to_internal(given_lon[i], given_lat[i], source=input_crs)))
        assert p.distance(shapely.Point(ex[i], ey[i])) < tol
    # one message for a CRS that is neither, from points and geometries alike
    for call in (lambda: user_point((LON, LAT), input_crs="EPSG:3857"),
                 lambda: user_geometry(shapely.Point(LON, LAT), input_crs="EPSG:3857")):
        with pytest.raises(InputError, match="coordinates must be wgs84, gcj02 or bd09, not 'EPSG:3857'"):
            call()


def _corridor_net(widths):
    p = user_point((LON, LAT))
    lines = [shapely.LineString([(p.x - 800, p.y - 300 * i), (p.x + 900, p.y + 400 - 300 * i)])
             for i in range(len(widths))]
    return Network({"bridges": bridges([(p.x, p.y)]), "corridors": corridors(lines, widths)}), lines


def test_corridor_footprint_is_the_network_rule():
    """The same footprint in queries as in joins and network: the centre line buffered by
    width_m / 2, as shapely's vectorized buffer draws it."""
    net, lines = _corridor_net([120, 35.5, 400])
    by_rule = corridor_footprints(net.corridors)
    by_joins = joins.corridor_footprints(net)
    for i, fid in enumerate(net.corridors.index):
        got = footprint(net, f"corridors:{fid}")
        expected = shapely.buffer(lines[i], net.corridors["width_m"].iloc[i] / 2.0)
        assert shapely.equals_exact(got, expected, tolerance=0)
        assert shapely.equals_exact(got, by_rule.loc[fid], tolerance=0)
        assert shapely.equals_exact(got, by_joins.loc[fid], tolerance=0)


@pytest.mark.parametrize("bad", [np.nan, 0.0, -5.0])
def test_corridor_without_a_width_has_no_footprint(bad):
    net, _ = _corridor_net([120, bad])
    with pytest.raises(InputError) as exc:
        footprint(net, "corridors:C02")
    assert str(exc.value) == "within 'corridors:C02': corridor has no width_m, so no footprint"
    assert "C02" in str(exc.value.__cause__) and "width_m" in str(exc.value.__cause__)  # the network rule's word
    with pytest.raises(InputError, match="corridors:C02"):
        within(net, "bridges", "corridors:C02")
    with pytest.raises(InputError, match="corridors:C02"):
        query(net, "bridges", within="corridors:C02")
    # another corridor's missing width does not stop this one
    assert footprint(net, "corridors:C01").area > 0
