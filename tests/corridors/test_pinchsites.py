"""Pinch points from Pinchpoint Mapper's per-link currents: polygons against rasters worked by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from corridors._network import X0, Y0, _tunnel_network
from shapely.geometry import box

from ecomap.corridors import model_corridors, pinchpoint_mapper, write_corridor_outputs
from ecomap.corridors._pinchsites import (
    PINCHPOINT_MAPPER,
    WHOLE_RASTER,
    _pinch_polygons,
    cell_clusters,
)
from ecomap.corridors.grid import Grid

#: 3 x 7 cells of 100 m, north-west corner (0, 300)
GRID = Grid(west=0.0, north=300.0, cellsize=100.0, width=7, height=3)


def _two_strips(top: float, bottom: float):
    """Cores in columns 0 and 6; rows 0 and 2 are one-cell strips between them, row 1 a barrier."""
    r = np.full((3, 7), np.nan)
    r[0], r[2] = top, bottom
    r[1, [0, 6]] = 1.0
    a, b = np.zeros(r.shape, dtype=bool), np.zeros(r.shape, dtype=bool)
    a[:, 0], b[:, 6] = True, True
    return r, [a, b]


def _cells(r0, c0, r1, c1):
    """The box of cells rows r0..r1, cols c0..c1 (inclusive) on GRID."""
    return box(c0 * 100.0, 300.0 - (r1 + 1) * 100.0, (c1 + 1) * 100.0, 300.0 - r0 * 100.0)


def test_the_cheaper_strip_is_the_pinch_point():
    # 4 neighbours: the strips are two resistors in parallel, 6 edges of r = 1 and 6 of r = 3
    # (the cores shorted): 18 / 24 = 0.75 A along the top, 0.25 A along the bottom; every
    # free cell carries its strip's current. The median of five 0.75 and five 0.25 is 0.5.
    r, cores = _two_strips(1.0, 3.0)
    pp = pinchpoint_mapper(r, cores, [(0, 1)], cutoff=1e9, cellsize=100.0, neighbours=4, quantile=0.5)
    flat, cur, thr = pp.hot[0]
    assert thr == pytest.approx(0.5, rel=1e-9)
    np.testing.assert_array_equal(np.sort(flat), np.ravel_multi_index((np.zeros(5, int), np.arange(1, 6)), (3, 7)))
    np.testing.assert_allclose(cur, 0.75, rtol=1e-9)
    got = _pinch_polygons(pp, [(0, 1)], ["A", "B"], GRID)
    assert len(got) == 1 and list(got.index) == ["P001"]
    row = got.iloc[0]
    assert row["link"] == "A--B" and row["method"] == PINCHPOINT_MAPPER
    assert row["cells"] == 5 and row["area_m2"] == pytest.approx(5e4) and row["current"] == pytest.approx(0.75)
    assert row.geometry.equals(_cells(0, 1, 0, 5))  # x 100..600, y 200..300
    assert got.crs == "EPSG:4547"


def test_a_narrow_cutoff_leaves_one_strip_and_equal_strips_give_two_polygons():
    # cutoff 50 cost units: the bottom strip costs more than that above the least cost, so only
    # the top is left and carries the whole 1 A; quantile 0 keeps every cell
    r, cores = _two_strips(1.0, 3.0)
    pp = pinchpoint_mapper(r, cores, [(0, 1)], cutoff=50.0, cellsize=100.0, neighbours=4, quantile=0.0)
    got = _pinch_polygons(pp, [(0, 1)], ["A", "B"], GRID)
    assert len(got) == 1 and got.iloc[0].geometry.equals(_cells(0, 1, 0, 5))
    assert got.iloc[0]["current"] == pytest.approx(1.0, rel=1e-9)
    # equal strips: 0.5 A each, two clusters (row 1 between them), two polygons of one link
    r, cores = _two_strips(2.0, 2.0)
    pp = pinchpoint_mapper(r, cores, [(0, 1)], cutoff=1e9, cellsize=100.0, neighbours=4, quantile=0.0)
    got = _pinch_polygons(pp, [(0, 1)], ["A", "B"], GRID)
    assert len(got) == 2 and (got["link"] == "A--B").all()
    np.testing.assert_allclose(got["current"], 0.5, rtol=1e-9)
    assert sorted(g.bounds for g in got.geometry) == sorted([_cells(0, 1, 0, 5).bounds, _cells(2, 1, 2, 5).bounds])


def test_cells_meeting_at_a_corner_are_one_cluster():
    flat = np.ravel_multi_index(([0, 1, 0], [0, 1, 4]), GRID.shape)
    got = cell_clusters(flat, np.array([1.0, 3.0, 2.0]), GRID)
    assert len(got) == 2
    (diag, peak, n), (single, peak2, n2) = sorted(got, key=lambda t: t[2], reverse=True)
    assert n == 2 and peak == 3.0 and diag.geom_type == "MultiPolygon" and diag.is_valid
    assert diag.equals(shapely.union_all([_cells(0, 0, 0, 0), _cells(1, 1, 1, 1)]))
    assert n2 == 1 and peak2 == 2.0 and single.equals(_cells(0, 4, 0, 4))
    assert cell_clusters(np.zeros(0, dtype=int), np.zeros(0), GRID) == []


def test_the_model_takes_pinch_points_from_pinchpoint_mapper_when_it_runs(tmp_path):
    net = _tunnel_network()
    m = model_corridors(net, resolution=30, width=20000.0, pinchpoint_cutoff=3000.0)
    assert (m.pinch_points["method"] == PINCHPOINT_MAPPER).all()
    assert set(m.pinch_points.geom_type) <= {"Polygon", "MultiPolygon"}
    # the same cells as the public function's, cluster by cluster
    pp = pinchpoint_mapper(m.resistance, [m.source_labels == i for i in range(2)], [(0, 1)], cutoff=3000.0,
                           cellsize=30.0, quantile=0.9)
    assert m.pinch_points["cells"].sum() == len(pp.hot[0][0])
    assert m.pinch_points["threshold"].iloc[0] == pytest.approx(pp.hot[0][2], rel=1e-9)
    # the hottest polygon holds the gap in the road
    gap = box(X0 + 720, Y0 + 90, X0 + 750, Y0 + 150)
    assert m.pinch_points.geometry.iloc[0].intersection(gap).area > 0
    # the file says which rule made it
    write_corridor_outputs(m, tmp_path)
    got = gpd.read_file(tmp_path / "pinch_points.geojson")
    assert (got["method"] == PINCHPOINT_MAPPER).all() and len(got) == len(m.pinch_points)
    import json

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["pinch_points_method"].startswith(PINCHPOINT_MAPPER)
    # without Pinchpoint Mapper: today's points from the whole-raster current, labelled
    plain = model_corridors(net, resolution=30, width=20000.0)
    assert (plain.pinch_points["method"] == WHOLE_RASTER).all() and (plain.pinch_points.geom_type == "Point").all()


def test_square_resistance_goes_with_the_cutoff():
    from ecomap._errors import InputError

    with pytest.raises(InputError, match=r"squared_resistance \(--square-resistance\).*pinchpoint_cutoff"):
        model_corridors(_tunnel_network(), squared_resistance=True)
    m = model_corridors(_tunnel_network(), resolution=30, pinchpoint_cutoff=3000.0, squared_resistance=True)
    pp = pinchpoint_mapper(m.resistance, [m.source_labels == i for i in range(2)], [(0, 1)], cutoff=3000.0,
                           cellsize=30.0, squared_resistance=True)
    np.testing.assert_allclose(m.pinchpoints, pp.current, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(m.paths["pp_eff_resistance"], pp.eff_resistance, rtol=1e-9)
    assert m.paths["cwd_to_eff_resistance"].isna().all() and m.notes["pinchpoint_squared_resistance"]
