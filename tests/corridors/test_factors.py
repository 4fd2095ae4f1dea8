"""Resistance from several factors: Horn slope (by hand, numpy.gradient, gdaldem, GRASS), distance to
roads (brute force), grades, the weighted sum with barriers, table errors, the CLI."""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
from corridors._network import X0, Y0, _frame, _strip_network, _table_text
from shapely.geometry import LineString

from ecomap._errors import InputError
from ecomap.corridors import load_resistance_table, make_grid, model_corridors, resistance_surface
from ecomap.corridors.factors import apply_factors, grade, road_distance, slope_degrees
from ecomap.network import Network

CS = 30.0


def _write_tif(path, arr, bounds, crs="EPSG:4547", nodata=None):
    import rasterio
    from rasterio.transform import from_bounds

    h, w = arr.shape
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype=arr.dtype, crs=crs,
                       transform=from_bounds(*bounds, w, h), nodata=nodata) as dst:
        dst.write(arr, 1)
    return path


def _dem(seed=1, shape=(9, 11)):
    rng = np.random.default_rng(seed)
    return np.cumsum(np.cumsum(rng.normal(0, 3, shape), 0), 1) + 100.0


# --- slope --------------------------------------------------------------------------------
def test_slope_by_hand_on_a_3x3():
    z = np.array([[1.0, 2, 3], [4, 5, 6], [7, 8, 10]])
    s = slope_degrees(z, 1.0)
    # centre: dz/dx = ((3 + 12 + 10) - (1 + 8 + 7)) / 8 = 9/8, dz/dy = ((7 + 16 + 10) - (1 + 4 + 3)) / 8 = 25/8
    assert s[1, 1] == pytest.approx(math.degrees(math.atan(math.hypot(9 / 8, 25 / 8))), rel=1e-14)
    # corner (0, 0): the five neighbours outside count as the centre (1): dz/dx = 6/8, dz/dy = 10/8
    assert s[0, 0] == pytest.approx(math.degrees(math.atan(math.hypot(6 / 8, 10 / 8))), rel=1e-14)
    z[2, 2] = np.nan  # no data: no slope there; as a neighbour it counts as the centre (5)
    s = slope_degrees(z, 1.0)
    assert np.isnan(s[2, 2]) and np.isfinite(s).sum() == 8
    assert s[1, 1] == pytest.approx(math.degrees(math.atan(math.hypot((20 - 16) / 8, (28 - 8) / 8))), rel=1e-14)


def test_slope_of_a_plane_and_numpy_gradient_of_the_smoothed_dem():
    rows, cols = np.mgrid[:7, :9]
    plane = 0.3 * cols * CS - 0.4 * rows * CS  # rises 0.3 east, 0.4 north: tan(slope) = 0.5
    np.testing.assert_allclose(slope_degrees(plane, CS)[1:-1, 1:-1], math.degrees(math.atan(0.5)), rtol=1e-13)
    z = _dem()
    sy = (z[:-2] + 2 * z[1:-1] + z[2:]) / 4  # [1, 2, 1] / 4 down the columns
    sx = (z[:, :-2] + 2 * z[:, 1:-1] + z[:, 2:]) / 4
    gx = np.gradient(sy, CS, axis=1)[:, 1:-1]
    gy = np.gradient(sx, CS, axis=0)[1:-1]
    want = np.degrees(np.arctan(np.hypot(gx, gy)))
    np.testing.assert_allclose(slope_degrees(z, CS)[1:-1, 1:-1], want, rtol=1e-12)


@pytest.mark.skipif(shutil.which("gdaldem") is None, reason="gdaldem is not installed")
def test_slope_equals_gdaldem(tmp_path):
    import rasterio

    z = _dem(2)
    z[4, 5] = np.nan
    src = _write_tif(tmp_path / "dem.tif", z, (0, 0, 11 * CS, 9 * CS), nodata=np.nan)
    subprocess.run(["gdaldem", "slope", str(src), str(tmp_path / "s.tif"), "-compute_edges", "-q"], check=True,
                   timeout=60)
    with rasterio.open(tmp_path / "s.tif") as out:
        theirs = out.read(1, masked=True).filled(np.nan).astype(float)
    ours = slope_degrees(z, CS)
    # gdaldem extrapolates beyond the raster's own edge; inside, and around the no-data cell, the same
    inner = (slice(1, -1), slice(1, -1))
    assert np.array_equal(np.isnan(ours[inner]), np.isnan(theirs[inner]))
    np.testing.assert_allclose(ours[inner], theirs[inner], rtol=2e-6, atol=1e-5)  # gdaldem writes float32


@pytest.mark.skipif(shutil.which("grass") is None, reason="GRASS GIS is not installed")
def test_slope_equals_grass_r_slope_aspect(tmp_path):
    import rasterio

    z = _dem(3)
    z[3, 7] = np.nan
    _write_tif(tmp_path / "dem.tif", z, (500_000, 2_500_000, 500_000 + 11 * CS, 2_500_000 + 9 * CS), nodata=np.nan)
    (tmp_path / "run.sh").write_text(
        f"r.in.gdal input={tmp_path}/dem.tif output=dem --q --o\ng.region raster=dem\n"
        "r.slope.aspect elevation=dem slope=s format=degrees precision=DCELL --q --o\n"
        f"r.out.gdal input=s output={tmp_path}/s.tif type=Float64 --q --o\n")
    subprocess.run(["grass", "--tmp-location", "EPSG:4547", "--exec", "bash", str(tmp_path / "run.sh")],
                   check=True, capture_output=True, timeout=120)
    with rasterio.open(tmp_path / "s.tif") as out:
        theirs = out.read(1, masked=True).filled(np.nan)
    ok = np.isfinite(theirs)  # GRASS leaves the edges and the no-data cell's neighbours NULL
    assert ok.sum() == 7 * 9 - 9
    np.testing.assert_allclose(slope_degrees(z, CS)[ok], theirs[ok], rtol=1e-12)


# --- roads --------------------------------------------------------------------------------
def test_road_distance_equals_brute_force():
    grid = make_grid(_strip_network((0, 0, 150, 600)).district, CS)  # 20 x 50 cells
    rng = np.random.default_rng(4)
    lines = [LineString(rng.uniform([X0, Y0], [X0 + 1500, Y0 + 600], (3, 2))) for _ in range(3)]
    d = road_distance(lines, grid)
    road = grid.mask(lines, all_touched=True)
    rr, cc = np.nonzero(road)
    r, c = np.mgrid[:grid.height, :grid.width]
    brute = np.sqrt(((r[..., None] - rr) * CS) ** 2 + ((c[..., None] - cc) * CS) ** 2).min(axis=-1)
    np.testing.assert_allclose(d, brute, rtol=1e-12, atol=1e-9)
    assert (d[road] == 0).all()
    # each cell centre within half a cell diagonal of its distance to the lines themselves
    xs, ys = grid.xy(r.ravel(), c.ravel())
    import shapely

    exact = shapely.distance(shapely.points(xs, ys)[:, None], np.array(lines)[None, :]).min(axis=1)
    assert np.abs(d.ravel() - exact).max() <= CS * math.sqrt(2) / 2 + 1e-9


def test_road_just_outside_the_grid_counts_within_the_margin():
    grid = make_grid(_strip_network((0, 0, 150, 600)).district, CS)
    line = [LineString([(X0 - 25, Y0 - 100), (X0 - 25, Y0 + 700)])]  # the centre line of column -1
    assert np.isinf(road_distance(line, grid)).all()
    d = road_distance(line, grid, margin_m=100)
    np.testing.assert_allclose(d[:, 0], 30.0)  # column 0's centre is 30 m east of column -1's
    np.testing.assert_allclose(d[:, 7], 240.0)


def test_grade_classes_hold_their_lower_break():
    v = [0, 7.99, 8, 14, 15, 40, np.nan, np.inf]
    got = grade(v, [8, 15, 25, 35], [1, 10, 30, 60, 100])
    np.testing.assert_array_equal(got, [1, 1, 10, 10, 30, 100, np.nan, 100])


# --- the weighted sum ---------------------------------------------------------------------
def _network_with_barrier():
    net = _strip_network((0, 0, 150, 600))
    bars = _frame([{"id": "E1", "kind": "expressway", "permeability": 0.05, "structure": "surface"}],
                  [LineString([(X0 + 1005, Y0 - 50), (X0 + 1005, Y0 + 650)])])
    return Network({**net.layers, "barriers": bars})


def _plane_dem(tmp_path, margin=3):
    """A plane rising 0.3 east and 0.4 north (slope atan 0.5 = 26.57 deg: grade 60) past the district."""
    h, w = 20 + 2 * margin, 50 + 2 * margin
    rows, cols = np.mgrid[:h, :w]
    z = (0.3 * cols * CS - 0.4 * rows * CS + 500).astype("float64")
    b = (X0 - margin * CS, Y0 - margin * CS, X0 + 1500 + margin * CS, Y0 + 600 + margin * CS)
    return _write_tif(tmp_path / "dem.tif", z, b)


def _roads_file(tmp_path):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"highway": ["primary", "footway"]},
                           geometry=[LineString([(X0 - 100, Y0 + 315), (X0 + 1600, Y0 + 315)]),
                                     LineString([(X0 + 45, Y0 - 100), (X0 + 45, Y0 + 700)])], crs="EPSG:4547")
    path = tmp_path / "roads.geojson"
    gdf.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    return path


def test_weighted_sum_by_hand(tmp_path):
    """0.6 x base + 0.2 x slope grade (60 everywhere) + 0.2 x road grade (the primary road in row 9;
    the footway is not a road of the table), then the expressway strip raised to 2000 x 0.95."""
    net = _network_with_barrier()
    table = load_resistance_table()
    base, grid = resistance_surface(net, table=table, resolution=CS, barriers=False)
    r, summary = apply_factors(base, net, grid, table, dem=_plane_dem(tmp_path), roads=_roads_file(tmp_path))
    rows = np.abs(np.arange(20) - 9)[:, None] * CS * np.ones((1, 50))
    road_grade = np.select([rows < 100, rows < 300, rows < 600], [100, 60, 30], 10)
    want = 0.6 * base + 0.2 * 60 + 0.2 * road_grade
    strip = np.zeros((20, 50), dtype=bool)
    strip[:, 33] = True  # x 990-1020 m holds the 40 m strip at 1005 m (985-1025: columns 32-34 touched)
    strip[:, 32] = strip[:, 34] = True
    np.testing.assert_allclose(r[~strip], want[~strip], rtol=1e-12)
    np.testing.assert_allclose(r[strip], 1900.0)
    assert [f["factor"] for f in summary["factors"]] == ["landcover", "slope", "roads", "barriers"]
    w = {f["factor"]: f["weight"] for f in summary["factors"]}
    assert w == {"landcover": pytest.approx(0.6), "slope": pytest.approx(0.2), "roads": pytest.approx(0.2),
                 "barriers": None}
    assert summary["factors"][1]["range"] == [pytest.approx(26.565051177, rel=1e-9)] * 2
    assert summary["factors"][2]["features"] == 1 and "highway" in summary["factors"][2]["source"]
    assert summary["formula"] == "0.6 x landcover + 0.2 x slope + 0.2 x roads, then barriers (max)"


def test_missing_factor_rescales_and_barriers_add_or_close(tmp_path):
    net = _network_with_barrier()
    text = _table_text('barriers = "max"', 'barriers = "add"').replace("expressway = 2000", 'expressway = "impassable"', 1)
    (tmp_path / "t.toml").write_text(text, encoding="utf-8")
    table = load_resistance_table(tmp_path / "t.toml")
    base, grid = resistance_surface(net, table=table, resolution=CS, barriers=False)
    r, summary = apply_factors(base, net, grid, table, dem=_plane_dem(tmp_path))
    assert summary["formula"] == "0.75 x landcover + 0.25 x slope, then barriers (add)"
    free = np.isfinite(r)
    np.testing.assert_allclose(r[free], 0.75 * base[free] + 0.25 * 60, rtol=1e-12)
    assert np.isposinf(r[:, 33]).all() and free[:, :32].all()
    (tmp_path / "a.toml").write_text(_table_text('barriers = "max"', 'barriers = "add"'), encoding="utf-8")
    table = load_resistance_table(tmp_path / "a.toml")
    r, _ = apply_factors(base, net, grid, table, dem=_plane_dem(tmp_path))
    np.testing.assert_allclose(r[:, 33], 0.75 * 100 + 0.25 * 60 + 1900.0)


def test_factor_table_errors_name_the_file_and_key(tmp_path):
    cases = [
        ("slope = 0.2\nroads = 0.2", "slope = 0.2\nroads = 0.1", r"factors\.weights sum to 0\.9, not 1"),
        ("grades = [1, 10, 30, 60, 100]", "grades = [1, 10, 30, 60]", r"factors\.slope has 4 breaks, so needs 5 grades"),
        ("breaks = [8, 15, 25, 35]", "breaks = [8, 25, 15, 35]", r"factors\.slope\.breaks must increase"),
        ('barriers = "max"', 'barriers = "min"', r"factors\.barriers 'min' must be 'max' or 'add'"),
        ("landcover = 0.6", "landcover = 0.5\nndvi = 0.1", r"factors\.weights\.ndvi: not a factor"),
    ]
    for old, new, msg in cases:
        p = tmp_path / "t.toml"
        p.write_text(_table_text(old, new), encoding="utf-8")
        with pytest.raises(InputError, match=msg) as err:
            load_resistance_table(p)
        assert str(p) in str(err.value)
    p.write_text(_table_text("[factors]", "[unused]").replace("[factors.", "[unused."), encoding="utf-8")
    net = _network_with_barrier()
    with pytest.raises(InputError, match=r"need a \[factors\] section"):
        model_corridors(net, table=p, roads="network", resolution=CS, circuit=False)


def test_dem_with_a_gap_is_refused_unless_allowed(tmp_path):
    import rasterio

    net = _network_with_barrier()
    dem = _plane_dem(tmp_path)
    with rasterio.open(dem, "r+") as d:
        z = d.read(1)
        z[3:13, 3:13] = np.nan  # rows 0-9, cols 0-9 of the district
        d.nodata = np.nan
        d.write(z, 1)
    with pytest.raises(InputError, match=r"dem\.tif: the DEM leaves 10\.0 % of the study area \(100 of 1,000 cells\)"):
        model_corridors(net, dem=dem, resolution=CS, circuit=False)
    m = model_corridors(net, dem=dem, resolution=CS, circuit=False, allow_partial=True)
    assert np.isnan(m.resistance[:10, :10]).all() and m.notes["factors"]["factors"][1]["cells_without_data"] == 100


def test_cli_corridors_dem_and_network_roads_put_every_factor_in_the_summary(tmp_path, capsys):
    from ecomap.cli import main
    from ecomap.network import load_network

    net = load_network()
    x0, y0, x1, y1 = net.district.bounds
    cell = 200.0
    w, h = int((x1 - x0) // cell) + 6, int((y1 - y0) // cell) + 6
    yy, xx = np.mgrid[:h, :w]
    z = 50 + 400 * np.exp(-((xx - w / 2) ** 2 + (yy - h / 3) ** 2) / (2 * 8.0 ** 2))
    dem = _write_tif(tmp_path / "dem.tif", z, (x0 - 3 * cell, y1 + 3 * cell - h * cell, x0 - 3 * cell + w * cell,
                                               y1 + 3 * cell))
    out = tmp_path / "out"
    assert main(["corridors", "--resolution", "200", "--dem", str(dem), "--roads", "network", "--no-circuit",
                 "--out", str(out)]) == 0
    assert "0.6 x landcover + 0.2 x slope + 0.2 x roads, then barriers (max)" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())["resistance_factors"]
    weights = {f["factor"]: f["weight"] for f in summary["factors"]}
    assert weights == {"landcover": pytest.approx(0.6), "slope": pytest.approx(0.2), "roads": pytest.approx(0.2),
                       "barriers": None}
    assert summary["factors"][2]["source"].startswith("barriers layer (expressway, arterial")
    assert summary["factors"][3]["rule"] == "max"
    assert main(["corridors", "--resolution", "200", "--roads", str(tmp_path / "none.geojson"), "--no-circuit",
                 "--out", str(out)]) == 2
    assert "none.geojson" in capsys.readouterr().err
