"""The study area of an import (ecomap.importers.boundary): one bbox rule, ecomap.crs.parse_bbox."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from conftest import run_cli

import ecomap.crs
import ecomap.importers
from ecomap._errors import InputError
from ecomap.importers import read_boundary

BBOX = "114.30,22.65,114.42,22.75"


def test_importers_parse_bbox_is_the_one_in_crs():
    assert ecomap.importers.parse_bbox is ecomap.crs.parse_bbox


def test_boundary_from_bbox_text_or_numbers():
    """The box's corners, read another way (split and float), whether given as text or numbers."""
    expected = tuple(float(v) for v in BBOX.split(","))
    for given in (BBOX, expected, list(expected)):
        b = read_boundary(bbox=given)
        assert b.crs.to_epsg() == 4326 and len(b) == 1
        np.testing.assert_array_equal(shapely.bounds(b.geometry.iloc[0]), expected)
        assert b["source"].iloc[0] == "bbox 114.3,22.65,114.42,22.75"
        assert (b["id"].iloc[0], b["confidence"].iloc[0], b["adcode"].iloc[0]) == ("boundary", "indicative", "unknown")


@pytest.mark.parametrize(("text", "rule"), [
    ("114.30,22.65,114.42", "four numbers"),
    ("114.30,22.65,114.42,x", "must be numbers"),
    ("114.42,22.65,114.30,22.75", "MINLON must be below MAXLON"),
    ("22.65,114.30,22.75,114.42", "the order is LON,LAT"),  # latitude first: named as such
    ("114.30,22.65,114.42,nan", "finite"),
    ("214.30,22.65,214.42,22.75", "not a longitude/latitude"),
])
def test_boundary_bbox_errors_name_the_option_and_rule(text, rule):
    with pytest.raises(InputError, match=rf"^--bbox '{text}': .*{rule}"):
        read_boundary(bbox=text)


def test_cli_import_osm_bbox_swapped(tmp_path, capsys):
    """The CLI says --bbox and the LON,LAT order before it opens the extract."""
    out = tmp_path / "out"
    assert run_cli("import", "osm", tmp_path / "none.osm.pbf", "--bbox", "22.65,114.30,22.75,114.42",
                   "--out", out) == 2
    err = capsys.readouterr().err
    assert "--bbox '22.65,114.30,22.75,114.42'" in err and "LON,LAT" in err
    assert not out.exists()


def test_boundary_file_messages_name_the_option_import_osm_takes():
    # `import osm` takes --boundary-crs; the messages told the user to give --crs
    gpkg = Path(__file__).resolve().parents[1] / "data" / "geopackage-wrong-crs" / "patch_degrees_labelled_4547.gpkg"
    with pytest.raises(InputError, match=r"are longitude/latitude degrees .*; give --boundary-crs wgs84"):
        read_boundary(path=gpkg)
    b = read_boundary(path=gpkg, crs="wgs84")
    assert b.geometry.iloc[0].bounds == pytest.approx((114.33, 22.64, 114.34, 22.65))
