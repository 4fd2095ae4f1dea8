"""Every validation rule, each with a small bad file made here: exit 2, naming file, feature and rule."""

from __future__ import annotations

import json

import pytest

from ecomap import DataError, load_network, validate_data
from tests.conftest import boundary_feature, common, feature, run_cli, write_layer

PT = {"type": "Point", "coordinates": [114.35, 22.69]}


def bridge(id_, geometry=PT, **over):
    props = common(id=id_, host="ditch", material="stone", status="built", installed="2024-05-01")
    props.update(over)
    return feature(geometry, **props)


def corridor(id_, coords, **over):
    props = common(id=id_, width_m=100, kind="mountain", from_id="P1", to_id="P2", status="existing")
    props.update(over)
    return feature({"type": "LineString", "coordinates": coords}, **props)


def patch(id_, x0, y0, d=0.004):
    ring = [[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]
    return feature({"type": "Polygon", "coordinates": [ring]}, **common(id=id_, kind="core", quality=0.9))


def check(folder, capsys, *expected):
    """The CLI exits 2 and prints each expected (file, feature, rule) fragment on one line."""
    code = run_cli("validate", "--data", folder)
    out = capsys.readouterr().out
    assert code == 2, out
    lines = out.splitlines()
    for file, feat, rule in expected:
        assert any(file in ln and feat in ln and rule in ln for ln in lines), (file, feat, rule, out)
    return lines


def test_clean_folder_passes(minimal_data, capsys):
    write_layer(minimal_data, "bridges", [bridge("B1")])
    assert run_cli("validate", "--data", minimal_data) == 0
    assert "every layer passes" in capsys.readouterr().out


def test_missing_boundary(tmp_path, capsys):
    write_layer(tmp_path, "bridges", [bridge("B1")])
    check(tmp_path, capsys, ("boundary.geojson", "file", "needs a boundary layer"))


def test_missing_folder(tmp_path, capsys):
    assert run_cli("validate", "--data", tmp_path / "nope") == 2
    assert "data folder does not exist" in capsys.readouterr().err


def test_a_layer_file_given_as_data_folder_names_the_folder(minimal_data, capsys):
    assert run_cli("validate", "--data", minimal_data / "boundary.geojson") == 2
    assert capsys.readouterr().err == (f"ecomap: {minimal_data / 'boundary.geojson'}: file: a file, not a data "
                                       f"folder (--data takes the folder: {minimal_data})\n")


def test_unreadable_file(minimal_data, capsys):
    (minimal_data / "bridges.geojson").write_text("{ this is not json", encoding="utf-8")
    check(minimal_data, capsys, ("bridges.geojson", "file", "not readable as GeoJSON"))


def test_not_geojson(minimal_data, capsys):
    (minimal_data / "bridges.geojson").write_text("id,lon,lat\nB1,114.35,22.69\n", encoding="utf-8")
    check(minimal_data, capsys, ("bridges.geojson", "file", "GeoJSON"))


def test_wrong_crs(minimal_data, capsys):
    crs_member = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}}
    write_layer(minimal_data, "bridges", [bridge("B1", {"type": "Point", "coordinates": [535964, 2510249]})],
                crs=crs_member)
    check(minimal_data, capsys, ("bridges.geojson", "file", "wrong CRS EPSG:4547"))


def test_wrong_geometry_type(minimal_data, capsys):
    write_layer(minimal_data, "bridges", [bridge("B1"), bridge("B2", {"type": "LineString", "coordinates": [[114.35, 22.69], [114.351, 22.69]]})])
    lines = check(minimal_data, capsys, ("bridges.geojson", "feature B2", "geometry type LineString is not one of Point"))
    assert not any("B1" in ln for ln in lines)


def test_self_intersection_with_reason(minimal_data, capsys):
    bowtie = [[114.341, 22.681], [114.349, 22.689], [114.349, 22.681], [114.341, 22.689], [114.341, 22.681]]
    write_layer(minimal_data, "patches", [feature({"type": "Polygon", "coordinates": [bowtie]}, **common(id="P9", kind="core"))])
    check(minimal_data, capsys, ("patches.geojson", "feature P9", "invalid geometry: Self-intersection"))


def test_unclosed_ring(minimal_data, capsys):
    ring = [[114.341, 22.681], [114.349, 22.681], [114.349, 22.689], [114.341, 22.689]]
    write_layer(minimal_data, "patches", [feature({"type": "Polygon", "coordinates": [ring]}, **common(id="P8", kind="core"))])
    check(minimal_data, capsys, ("patches.geojson", "feature P8", "closed linestring"))


def test_empty_and_missing_geometry(minimal_data, capsys):
    write_layer(minimal_data, "bridges", [bridge("B1", {"type": "Point", "coordinates": []}), bridge("B2", None)])
    check(minimal_data, capsys,
          ("bridges.geojson", "feature B1", "empty geometry"),
          ("bridges.geojson", "feature B2", "missing geometry"))


def test_duplicate_and_missing_id(minimal_data, capsys):
    b3 = bridge("B3")
    del b3["properties"]["id"]
    write_layer(minimal_data, "bridges", [bridge("B1"), bridge("B1"), b3])
    check(minimal_data, capsys,
          ("bridges.geojson", "feature B1", "duplicate id 'B1'"),
          ("bridges.geojson", "feature #3", "missing id"))


def test_missing_required_column(minimal_data, capsys):
    features = [bridge("B1")]
    del features[0]["properties"]["host"]
    write_layer(minimal_data, "bridges", features)
    check(minimal_data, capsys, ("bridges.geojson", "file", "missing required column 'host'"))


def test_value_outside_allowed_set_range_and_date(minimal_data, capsys):
    write_layer(minimal_data, "bridges", [bridge("B1", host="lake"), bridge("B2", installed="2024-13-45"),
                                          bridge("B3", status=None)])
    write_layer(minimal_data, "barriers", [feature(
        {"type": "LineString", "coordinates": [[114.341, 22.69], [114.359, 22.69]]},
        **common(id="R1", kind="expressway", permeability=1.7))])
    check(minimal_data, capsys,
          ("bridges.geojson", "feature B1", "host 'lake' is not one of ditch, well"),
          ("bridges.geojson", "feature B2", "installed '2024-13-45' is not a date"),
          ("bridges.geojson", "feature B3", "status is missing"),
          ("barriers.geojson", "feature R1", "permeability 1.7 is above 1"))


def test_swapped_coordinates(minimal_data, capsys):
    write_layer(minimal_data, "bridges", [bridge("B1", {"type": "Point", "coordinates": [22.69, 114.35]})])
    check(minimal_data, capsys, ("bridges.geojson", "feature B1", "swapped (lat, lon)"))


def test_outside_extent(minimal_data, capsys):
    write_layer(minimal_data, "bridges", [bridge("B1", {"type": "Point", "coordinates": [113.5, 22.69]})])
    check(minimal_data, capsys, ("bridges.geojson", "feature B1", "outside the study area"))


def test_corridor_names_no_patch(minimal_data, capsys):
    write_layer(minimal_data, "patches", [patch("P1", 114.341, 22.681), patch("P2", 114.352, 22.691)])
    write_layer(minimal_data, "corridors", [corridor("C01", [[114.343, 22.683], [114.354, 22.693]], to_id="P7")])
    lines = check(minimal_data, capsys, ("corridors.geojson", "feature C01", "to_id 'P7' names no patch"))
    assert not any("from_id" in ln for ln in lines)


def test_every_problem_is_reported_not_just_the_first(minimal_data, capsys):
    write_layer(minimal_data, "bridges", [bridge(f"B{i}", host="bogus") for i in range(5)])
    lines = check(minimal_data, capsys, ("bridges.geojson", "feature B4", "host 'bogus'"))
    assert sum("host 'bogus'" in ln for ln in lines) == 5


def test_load_network_raises_with_all_problems_and_loads_clean_data(minimal_data):
    write_layer(minimal_data, "bridges", [bridge("B1", host="x"), bridge("B2", material="y")])
    with pytest.raises(DataError) as err:
        load_network(minimal_data)
    assert len(err.value.problems) == 2
    write_layer(minimal_data, "bridges", [bridge("B1"), bridge("B2")])
    net = load_network(minimal_data)
    assert net.crs == "EPSG:4547" and net.bridges.crs.to_epsg() == 4547
    assert list(net.bridges.index) == ["B1", "B2"] and net.bridges.index.name == "id"
    assert len(net.corridors) == 0 and "width_m" in net.corridors.columns  # missing layer: empty, right schema
    assert validate_data(minimal_data) == []


def test_layers_command_reports_metric_totals(minimal_data, capsys):
    write_layer(minimal_data, "barriers", [feature(
        {"type": "LineString", "coordinates": [[114.34, 22.69], [114.35, 22.69]]},
        **common(id="R1", kind="expressway", permeability=0.1))])
    assert run_cli("layers", "--data", minimal_data) == 0
    out = capsys.readouterr().out
    # 0.01 deg of longitude at 22.69 N is 1.0284 km (geodesic); the square is about 2.06 x 2.21 km
    line = next(ln for ln in out.splitlines() if ln.startswith("barriers"))
    assert "1.03 km" in line
    line = next(ln for ln in out.splitlines() if ln.startswith("boundary"))
    assert "4.5" in line and "km2" in line


def test_feature_collection_json_is_untouched_by_validation(minimal_data):
    before = (minimal_data / "boundary.geojson").read_bytes()
    validate_data(minimal_data)
    assert (minimal_data / "boundary.geojson").read_bytes() == before
    assert json.loads(before)["features"][0]["properties"]["adcode"] == "440310"
    assert boundary_feature()["properties"]["id"] == "440310"
