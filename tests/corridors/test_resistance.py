"""Resistance tables and surfaces: every class painted, table errors, land cover, the city extent."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from corridors._network import (
    X0,
    Y0,
    _boundary,
    _corridor,
    _frame,
    _patches,
    _strip_network,
    _table_text,
)
from shapely.geometry import LineString, Point, Polygon, box

from ecomap._errors import InputError
from ecomap.corridors import (
    load_resistance_table,
    make_grid,
    model_corridors,
    resistance_from_landcover,
    resistance_surface,
)
from ecomap.network import Network


def test_resistance_surface_paints_every_class():
    notch = Polygon([(X0, Y0), (X0 + 3000, Y0), (X0 + 3000, Y0 + 1800), (X0 + 2700, Y0 + 1800),
                     (X0 + 2700, Y0 + 2100), (X0, Y0 + 2100)])
    bars = _frame(
        [{"id": "E1", "kind": "expressway", "permeability": 0.0, "structure": "surface"},
         {"id": "E2", "kind": "expressway", "permeability": 0.0, "structure": "tunnel"},
         {"id": "E3", "kind": "expressway", "permeability": 0.5, "structure": "surface"},
         {"id": "R1", "kind": "railway", "permeability": 0.0, "structure": "bridge"}],
        [LineString([(X0 + 1515, Y0), (X0 + 1515, Y0 + 600)]),
         LineString([(X0 + 1515, Y0 + 600), (X0 + 1515, Y0 + 900)]),
         LineString([(X0 + 1515, Y0 + 900), (X0 + 1515, Y0 + 2100)]),
         LineString([(X0 + 2000, Y0 + 300), (X0 + 2600, Y0 + 300)])])
    sites = _frame(
        [{"id": "K1", "host": "ditch", "material": "ramp", "status": "built", "installed": None},
         {"id": "K2", "host": "ditch", "material": "ramp", "status": "planned", "installed": None}],
        [Point(X0 + 1515, Y0 + 1815), Point(X0 + 1515, Y0 + 1515)])
    net = Network({
        "boundary": _frame([{"id": "b", "adcode": "440310"}], [notch]),
        "patches": _patches((150, 900, 450, 1200)),
        "ridge": _frame([{"id": "r", "kind": "forest"}], [box(X0 + 150, Y0 + 1500, X0 + 450, Y0 + 1800)]),
        "reservoirs": _frame([{"id": "w"}], [box(X0 + 600, Y0 + 150, X0 + 900, Y0 + 450)]),
        "barriers": bars,
        "bridges": sites,
    })
    r, grid = resistance_surface(net, resolution=30)
    assert grid.west == X0 and grid.north == Y0 + 2100 and grid.shape == (70, 100)

    def at(x, y):
        row, col = grid.rowcol(X0 + x, Y0 + y)
        return r[row, col]

    assert at(15, 15) == 100  # matrix
    assert at(300, 1000) == 1  # patch
    assert at(300, 1600) == 2  # ridge forest
    assert at(750, 300) == 50  # reservoir
    assert at(1515, 300) == 2000  # expressway at grade, permeability 0
    assert at(1515, 750) == 100  # tunnel section: no barrier
    assert at(1515, 1215) == 2000 * 0.5  # permeability 0.5
    assert at(2300, 315) == 1000 * 0.2  # railway on a viaduct keeps 20 %
    assert at(1515, 1815) == 20  # built escape-bridge site
    assert at(1515, 1515) == 1000  # a planned site changes nothing
    assert np.isnan(at(2850, 1950))  # outside the notched boundary



def test_resistance_table_errors_name_the_class(tmp_path):
    bad = tmp_path / "neg.toml"
    bad.write_text(_table_text("railway = 1000", "railway = -5"))
    with pytest.raises(InputError, match=r"neg.toml: class barriers.railway: resistance -5 must be > 0"):
        load_resistance_table(bad)
    missing = tmp_path / "missing.toml"
    missing.write_text(_table_text("forest = 2\n", ""))
    with pytest.raises(InputError, match=r"missing.toml: class ridge.forest has no value"):
        load_resistance_table(missing)
    word = tmp_path / "word.toml"
    word.write_text(_table_text("dam = 600", 'dam = "high"'))
    with pytest.raises(InputError, match="class barriers.dam"):
        load_resistance_table(word)
    ok = tmp_path / "ok.toml"
    ok.write_text(_table_text("dam = 600", 'dam = "impassable"'))
    assert load_resistance_table(ok).value("barriers", "dam") == math.inf



def _write_tif(path, data, crs, bounds, nodata=None):
    import rasterio
    from affine import Affine

    h, w = data.shape
    x0, y0, x1, y1 = bounds
    transform = Affine((x1 - x0) / w, 0.0, x0, 0.0, -(y1 - y0) / h, y1)
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype=data.dtype,
                       crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(data, 1)
    return path


def test_landcover_in_another_crs_is_reprojected(tmp_path):
    from pyproj import Transformer

    net = _strip_network((0, 0, 150, 600))
    grid = make_grid(net.district, 30)
    to_ll = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)
    lon0, lat0 = to_ll.transform(X0 - 300, Y0 - 300)
    lon1, lat1 = to_ll.transform(X0 + 1800, Y0 + 900)
    lonm, _ = to_ll.transform(X0 + 750, Y0 + 300)
    data = np.full((200, 400), 10, dtype="uint8")
    cols = np.linspace(lon0, lon1, 401)[:-1] + (lon1 - lon0) / 800
    data[:, cols > lonm] = 50
    tif = _write_tif(tmp_path / "lc.tif", data, "EPSG:4326", (lon0, lat0, lon1, lat1), nodata=0)
    r = resistance_from_landcover(tif, {10: 1.0, 50: 100.0}, grid)
    assert np.isfinite(r).all()
    assert (r[:, :20] == 1.0).all() and (r[:, 30:] == 100.0).all()
    # a class the table lacks, no overlap, nothing but NaN
    with pytest.raises(InputError, match="land-cover class 50 has no resistance"):
        resistance_from_landcover(tif, {10: 1.0}, grid)
    far = _write_tif(tmp_path / "far.tif", data, "EPSG:4326", (10.0, 40.0, 11.0, 41.0), nodata=0)
    with pytest.raises(InputError, match="does not overlap the study area"):
        resistance_from_landcover(far, {10: 1.0, 50: 100.0}, grid)
    nan = _write_tif(tmp_path / "nan.tif", np.full((20, 20), np.nan, dtype="float32"), "EPSG:4326",
                     (lon0, lat0, lon1, lat1))
    with pytest.raises(InputError, match="no valid land-cover cell"):
        resistance_from_landcover(nan, {10: 1.0}, grid)
    # the shipped WorldCover table through the model: tree cover 1, built-up 100
    from importlib import resources

    shipped = Path(str(resources.files("ecomap") / "landcover_worldcover.toml"))
    m = model_corridors(net, landcover=tif, reclass=shipped, circuit=False)
    assert (m.resistance[:, :20] == 1.0).all() and (m.resistance[:, 30:] == 100.0).all()
    # through the model: the reclass table from a file, negative value refused by class
    table = tmp_path / "reclass.toml"
    table.write_text("[classes]\n10 = 1\n50 = -2\n")
    with pytest.raises(InputError, match="class 50: resistance -2 must be > 0"):
        model_corridors(net, landcover=tif, reclass=table)



def test_city_extent_is_the_districts_and_the_boundary():
    net = Network({
        "boundary": _boundary(600, 600),
        "districts": _frame([{"id": "440307", "adcode": "440307"}],
                            [box(X0 + 600, Y0, X0 + 1500, Y0 + 300)]),
    })
    r, grid = resistance_surface(net, resolution=30, extent="city")
    assert grid.shape == (20, 50)
    assert np.isfinite(r[:, :20]).all()  # the district itself
    assert np.isfinite(r[10:, 20:]).all() and np.isnan(r[:10, 20:]).all()  # the neighbour, and outside
    with pytest.raises(InputError, match="extent 'town'"):
        resistance_surface(net, extent="town")


def test_city_extent_without_districts_warns_and_falls_back_to_the_boundary():
    from ecomap import EcomapWarning

    net = Network({"boundary": _boundary(600, 600)})
    with pytest.warns(EcomapWarning, match="falls back to the district boundary"):
        r, grid = resistance_surface(net, resolution=30, extent="city")
    r0, g0 = resistance_surface(net, resolution=30)
    assert grid == g0
    np.testing.assert_array_equal(r, r0)


# --- the corridor footprint: the one rule of ecomap.network ------------------------------------------
def test_corridors_are_painted_on_the_one_footprint_and_need_a_width():
    import shapely

    from ecomap.joins import corridor_footprints

    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)], width=95.0))
    r, grid = resistance_surface(net, resolution=30)
    # computed another way: the cells whose centre lies in joins' footprint (line buffered by 47.5 m)
    rows, cols = np.mgrid[:grid.height, :grid.width]
    x, y = grid.xy(rows, cols)
    inside = shapely.contains_xy(corridor_footprints(net).loc["C01"], x, y)
    patch = shapely.contains_xy(shapely.union_all(net["patches"].geometry.values), x, y)
    planned = load_resistance_table().value("corridors", "planned")
    assert (inside & ~patch).sum() == 40 * 3  # 1200 m long, rows at 0, +-30 m of the line
    assert (r[inside & ~patch] == planned).all()
    assert not (r[~inside] == planned).any()
    # a corridor without a width has no footprint: refused, not painted 30 m wide
    for bad in (np.nan, 0.0):
        nowidth = net.replace(corridors=net["corridors"].assign(width_m=bad))
        with pytest.raises(InputError, match="corridors C01: width_m must be a positive number"):
            resistance_surface(nowidth, resolution=30)


def test_partial_land_cover_is_refused_unless_allowed(tmp_path):
    """Land cover over the west 900 m of a 1500 m district: patch C (1200-1350 m) has no data."""
    net = _strip_network((0, 0, 150, 600), (600, 0, 750, 600), (1200, 0, 1350, 600),
                         corridors=_corridor("C01", "B", "C", [(750, 315), (1200, 315)]))
    data = np.full((20, 30), 10, dtype="uint8")
    tif = _write_tif(tmp_path / "west.tif", data, "EPSG:4547", (X0, Y0, X0 + 900, Y0 + 600), nodata=0)
    with pytest.raises(InputError, match=r"leaves 40\.0 % of the study area \(400 of 1,000 cells\) without data, "
                                         r"and 1 source patches \(C\)") as err:
        model_corridors(net, landcover=tif, reclass={10: 1.0}, circuit=False)
    assert "--allow-partial" in str(err.value)
    m = model_corridors(net, landcover=tif, reclass={10: 1.0}, circuit=False, allow_partial=True)
    assert list(m.sources.index) == ["A", "B"]
    assert m.notes["missing"] == {"area_share_without_data": 0.4, "patches_without_data": ["C"],
                                  "patches_partly_without_data": [], "links_without_data": ["C01"]}
    assert np.isnan(m.resistance[:, 30:]).all() and np.isfinite(m.resistance[:, :30]).all()
    full = _write_tif(tmp_path / "full.tif", np.full((20, 50), 10, dtype="uint8"), "EPSG:4547",
                      (X0, Y0, X0 + 1500, Y0 + 600), nodata=0)
    assert model_corridors(net, landcover=full, reclass={10: 1.0}, circuit=False).notes["missing"] is None
