"""OSM ways cut at the extract's edge (issue 12): no geometry invented, counts reported."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from conftest import run_cli

DATA = Path(__file__).resolve().parents[1] / "data" / "osm-ways-cut-at-extract-edge"
GEOD = pyproj.Geod(ellps="WGS84")


def _longest_segment_m(geoms) -> float:
    longest = 0.0
    for g in geoms:
        for part in shapely.get_parts(g):
            xy = shapely.get_coordinates(part)
            d = GEOD.inv(xy[:-1, 0], xy[1:, 0], xy[:-1, 1], xy[1:, 1])[2]
            longest = max(longest, float(np.max(d)))
    return longest


def test_cut_way_split_cut_areas_dropped_and_counted(tmp_path, capsys):
    out = tmp_path / "osm"
    osm = DATA / "cut_extract.osm"
    assert run_cli("import", "osm", osm, "--bbox", "114.26,22.62,114.44,22.78", "--out", out) == 0
    said = capsys.readouterr().out
    assert "1 way(s) cut by the extract split where nodes are missing" in said
    assert "2 area(s) dropped: a ring misses nodes or ways outside the extract" in said
    river = gpd.read_file(out / "river.geojson").set_index("id")
    assert river.index.tolist() == ["w100", "w100-2"]
    # the way's own longest segment between present neighbours (101-102-103, 107-108-109)
    own = max(GEOD.inv(114.30, 22.70, 114.32, 22.70)[2], GEOD.inv(114.32, 22.70, 114.34, 22.69)[2],
              GEOD.inv(114.38, 22.69, 114.40, 22.70)[2], GEOD.inv(114.40, 22.70, 114.42, 22.70)[2])
    assert _longest_segment_m(river.geometry) <= own + 1e-6  # no 4 km chord 103 -> 107
    assert not (out / "reservoirs.geojson").exists()  # the cut ring and the half relation: no sliver
