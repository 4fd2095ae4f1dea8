"""The catalogue holds every layer of the design, each with a sound schema."""

from __future__ import annotations

import pytest

from ecomap.layers import CATALOGUE, CONFIDENCE, LAYER_NAMES, empty_layer, spec

DESIGN_LAYERS = {
    "boundary": "polygon", "ridge": "polygon", "belt": "polygon", "corridors": "line",
    "river": "line", "trails": "line", "bridges": "point", "patches": "polygon",
    "barriers": "line", "reservoirs": "polygon", "subdistricts": "polygon",
}
DESIGN_COLUMNS = {
    "boundary": {"adcode"},
    "ridge": {"kind", "elev_max_m"},
    "belt": {"segment", "width_m"},
    "corridors": {"width_m", "kind", "from_id", "to_id", "status"},
    "river": {"rank", "parent_id"},
    "trails": {"kind", "surface"},
    "bridges": {"host", "material", "status", "installed"},
    "patches": {"kind", "quality"},
    "barriers": {"kind", "permeability"},
    "reservoirs": {"capacity"},
}


def test_every_design_layer_is_catalogued_with_its_geometry():
    for name, kind in DESIGN_LAYERS.items():
        assert name in CATALOGUE
        assert CATALOGUE[name].kind == kind


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_every_layer_has_common_and_own_columns(name):
    cols = set(spec(name).column_names)
    assert {"name_zh", "name_en", "source", "confidence"} <= cols
    assert DESIGN_COLUMNS.get(name, set()) <= cols
    assert spec(name).column("confidence").allowed == CONFIDENCE
    assert spec(name).title_en and spec(name).title_zh


def test_allowed_values_follow_the_design():
    assert set(spec("bridges").column("host").allowed) == {"ditch", "well", "pool", "culvert", "interception_ditch"}
    assert set(spec("bridges").column("material").allowed) == {"stone", "wood", "net", "rope", "ramp"}
    assert set(spec("bridges").column("status").allowed) == {"planned", "built", "damaged", "removed"}
    assert set(spec("corridors").column("status").allowed) == {"existing", "planned", "broken"}
    assert set(spec("barriers").column("kind").allowed) == {"expressway", "railway", "arterial", "dam"}
    assert set(spec("river").column("rank").allowed) == {"axis", "tributary"}


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_empty_layer_has_the_schema(name):
    e = empty_layer(name)
    assert len(e) == 0 and e.index.name == "id"
    assert set(spec(name).column_names) <= set(e.columns)
    assert e.crs.to_epsg() == 4547


def test_unknown_layer_lists_the_valid_ones():
    with pytest.raises(KeyError, match="layers are: boundary"):
        spec("rivers")


@pytest.mark.parametrize(("filename", "hint"), [
    ("Bridges.geojson", " (did you mean bridges.geojson?)"),
    ("bridge.geojson", " (did you mean bridges.geojson?)"),
    ("rivers.geojson", " (did you mean river.geojson?)"),
    ("notes.geojson", ""),                                      # nothing close: no guess
])
def test_a_misnamed_layer_file_gets_the_right_name_suggested(minimal_data, caplog, filename, hint):
    from conftest import feature, write_layer

    from ecomap.network import load_network

    write_layer(minimal_data, "x", [feature({"type": "Point", "coordinates": [114.35, 22.69]}, id="B1")]) \
        .rename(minimal_data / filename)
    with caplog.at_level("WARNING", logger="ecomap.network"):
        load_network(minimal_data)
    assert [r.getMessage() for r in caplog.records if "catalogue" in r.getMessage()] == \
        [f"{minimal_data / filename}: not a layer of the catalogue; ignored{hint}"]
