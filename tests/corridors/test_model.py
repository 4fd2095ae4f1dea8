"""The corridor model on small networks: least-cost distance and resistance by hand, links, pinch points."""

from __future__ import annotations

import math

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
from shapely.geometry import LineString

from ecomap.corridors import model_corridors
from ecomap.network import Network

S2 = math.sqrt(2.0)


def _uniform_strip_resistance(h, k, edge=0.505, inner=0.01):
    """R between two full-height regions across k matrix columns (8 neighbours), by hand.

    Every row has the same voltage profile, so each column boundary is h orthogonal and
    2(h - 1) diagonal conductances in parallel; boundaries are in series.
    """
    def boundary(g):
        return 1.0 / (h * g + 2 * (h - 1) * g / S2)
    return 2 * boundary(edge) + (k - 1) * boundary(inner)


def test_least_cost_distance_and_resistance_by_hand(tmp_path):
    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    table = tmp_path / "flat.toml"  # a planned corridor no better than the matrix
    table.write_text(_table_text("planned = 60", "planned = 100"))
    m = model_corridors(net, resolution=30, width=1.0, table=table)
    path = m.paths.loc["A--B"]
    # two patch-matrix steps of 30 * (1 + 100) / 2 and 39 matrix steps of 30 * 100
    assert path["cwd"] == pytest.approx(2 * 30 * 101 / 2 + 39 * 30 * 100)
    assert path["euclid_m"] == pytest.approx(1200.0)
    assert path["ratio"] == pytest.approx(path["cwd"] / 1200.0)
    assert path["lcp_len_m"] == pytest.approx(41 * 30.0)
    assert bool(path["planned"]) and path["corridor_ids"] == "C01"
    # the matrix between the patches is uniform: every cell is on some least-cost path
    between = m.corridors[:, 5:45]
    np.testing.assert_allclose(between, 0.0, atol=1e-6)
    # circuit theory between the two short-circuited patches, 20 rows, 40 matrix columns
    assert path["eff_resistance"] == pytest.approx(_uniform_strip_resistance(20, 40), rel=1e-6)
    # the drawn line runs 1200 m through matrix cells of 100 per metre
    row = m.comparison.loc["C01"]
    assert row["drawn_line_cost"] == pytest.approx(120000.0)
    assert row["cost_ratio"] == pytest.approx(120000.0 / path["cwd"])
    assert row["overlap"] == pytest.approx(1.0)


def test_links_the_plan_lacks_and_links_through_a_third_patch():
    net = _strip_network((0, 0, 150, 600), (600, 0, 750, 600), (1200, 0, 1350, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (600, 315)]))
    m = model_corridors(net, resolution=30, max_cost=1e9, circuit=False)
    assert set(m.paths.index) == {"A--B", "B--C"}  # A--C runs through B: dropped
    assert m.missing_links.index.tolist() == ["B--C"]
    assert not bool(m.paths.loc["B--C", "planned"])
    # A--B follows its planned corridor (60 per metre): 2 * 30 * (1 + 60) / 2 + 14 * 30 * 60;
    # B--C crosses plain matrix: 2 * 30 * (1 + 100) / 2 + 14 * 30 * 100
    ab, bc = 1830.0 + 25200.0, 3030.0 + 42000.0
    assert m.paths.loc["A--B", "cwd"] == pytest.approx(ab)
    assert m.paths.loc["B--C", "cwd"] == pytest.approx(bc)
    # by default only links as cheap as the costliest drawn one are listed
    m2 = model_corridors(net, resolution=30, circuit=False)
    assert m2.notes["max_cost"] == pytest.approx(ab)
    assert m2.missing_links.empty
    assert "B--C" in model_corridors(net, resolution=30, circuit=False, max_cost=bc + 1).paths.index
    assert "B--C" not in model_corridors(net, resolution=30, circuit=False, max_cost=bc - 1).paths.index


def test_paths_use_the_tunnel_and_pinch_points_sit_in_the_gap():
    bars = _frame(
        [{"id": "E1", "kind": "expressway", "permeability": 0.0, "structure": "surface"},
         {"id": "E2", "kind": "expressway", "permeability": 0.0, "structure": "tunnel"},
         {"id": "E3", "kind": "expressway", "permeability": 0.0, "structure": "surface"}],
        [LineString([(X0 + 735, Y0), (X0 + 735, Y0 + 90)]),
         LineString([(X0 + 735, Y0 + 90), (X0 + 735, Y0 + 150)]),
         LineString([(X0 + 735, Y0 + 150), (X0 + 735, Y0 + 600)])])
    net = Network({"boundary": _boundary(1500, 600), "patches": _patches((0, 0, 150, 600), (1350, 0, 1500, 600)),
                   "barriers": bars})
    m = model_corridors(net, resolution=30, width=20000.0)
    line = m.paths.loc["A--B"].geometry
    crossing = line.intersection(LineString([(X0 + 735, Y0), (X0 + 735, Y0 + 600)]))
    assert Y0 + 90 <= crossing.bounds[1] <= crossing.bounds[3] <= Y0 + 150
    top = m.pinch_points.iloc[0]
    assert Y0 + 90 <= top.geometry.y <= Y0 + 150 and abs(top.geometry.x - (X0 + 735)) <= 30
    # with the tunnel filled in, restoring the road is what helps most (Barrier Mapper)
    shut = bars.assign(structure="surface")
    m = model_corridors(net.replace(barriers=shut), resolution=30, width=20000.0)
    row, col = np.unravel_index(np.nanargmax(m.barriers), m.barriers.shape)
    x, _ = m.grid.xy(row, col)
    assert abs(x - (X0 + 735)) <= 30
    assert np.nanmax(m.barriers) > 5 * np.nanmax(m.barriers[:, :15])


def test_model_circuit_is_the_public_pairwise_circuit():
    """Effective resistance and current of the model equal the public functions on its raster."""
    from ecomap.corridors import current_density, effective_resistance

    net = _strip_network((0, 0, 150, 600), (600, 0, 750, 600), (1200, 0, 1350, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (600, 315)]))
    m = model_corridors(net, resolution=30, max_cost=1e9)
    ids = list(m.sources.index)
    masks = [m.source_labels == i for i in range(len(ids))]
    links = [(ids.index(a), ids.index(b)) for a, b in zip(m.paths["from_id"], m.paths["to_id"], strict=True)]
    assert links == [(0, 1), (1, 2)]
    reff = effective_resistance(m.resistance, masks, tol=1e-8)
    np.testing.assert_allclose(m.effective_resistance.to_numpy(), reff, rtol=1e-12)
    np.testing.assert_allclose(m.paths["eff_resistance"], [reff[a, b] for a, b in links], rtol=1e-12)
    np.testing.assert_allclose(m.current, current_density(m.resistance, masks, pairs=links, tol=1e-8),
                               rtol=1e-12, equal_nan=True)


def test_plan_overlap_counts_the_cells_of_the_one_footprint():
    import shapely

    from ecomap._errors import InputError
    from ecomap.joins import corridor_footprints

    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)], width=95.0))
    m = model_corridors(net, resolution=30, width=1.0, circuit=False)
    # computed another way: the cells joins' footprint overlaps (all touched), outside the patches
    g = m.grid
    rows, cols = np.mgrid[:g.height, :g.width]
    x, y = g.xy(rows, cols)
    half = g.cellsize / 2
    squares = shapely.box(x - half, y - half, x + half, y + half)
    touched = shapely.area(shapely.intersection(corridor_footprints(net).loc["C01"], squares)) > 0
    want = touched & (m.source_labels < 0) & np.isfinite(m.resistance)
    assert want.sum() == 40 * 5  # 267.5 to 362.5 m: five rows of cells
    assert m.comparison.loc["C01", "footprint_cells"] == want.sum()
    # the three rows of corridor cells (60 per metre) are least-cost paths, the two matrix rows not
    assert m.comparison.loc["C01", "overlap"] == pytest.approx(3 / 5)
    # without a width there is no footprint: refused, naming the corridor (it used to be 15 m here)
    nowidth = net.replace(corridors=net["corridors"].assign(width_m=np.nan))
    with pytest.raises(InputError, match="corridors C01: width_m"):
        model_corridors(nowidth, resolution=30, circuit=False)


@pytest.mark.parametrize("mode", ["one-to-all", "all-to-one"])
def test_model_modes_are_the_public_mode_functions(mode):
    """--mode one-to-all / all-to-one: the current map and per-source resistances of the public functions."""
    from ecomap.corridors import all_to_one, one_to_all

    net = _strip_network((0, 0, 150, 600), (600, 0, 750, 600), (1200, 0, 1350, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (600, 315)]))
    m = model_corridors(net, resolution=30, max_cost=1e9, mode=mode)
    masks = [m.source_labels == i for i in range(len(m.sources))]
    res, cur = (one_to_all if mode == "one-to-all" else all_to_one)(m.resistance, masks, tol=1e-8)
    np.testing.assert_allclose(m.current, cur, rtol=1e-12, equal_nan=True)
    assert m.notes["mode"] == mode
    assert list(m.notes["mode_resistance"].values()) == pytest.approx(list(res))
    assert "eff_resistance" in m.paths


def test_model_mode_is_checked():
    from ecomap._errors import InputError

    with pytest.raises(InputError, match="mode must be"):
        model_corridors(_strip_network((0, 0, 150, 600), (600, 0, 750, 600)), mode="linear")
    with pytest.raises(InputError, match="takes a sources raster"):
        model_corridors(_strip_network((0, 0, 150, 600), (600, 0, 750, 600)), mode="advanced")


@pytest.mark.parametrize(("option", "value"), [
    ("width", float("nan")), ("width", float("inf")), ("width", 0.0), ("resolution", float("nan")),
    ("resolution", -30.0), ("max_cost", float("inf")), ("max_cost", 0.0), ("max_cost", float("nan")),
])
def test_width_resolution_and_max_cost_must_be_finite_and_positive(option, value):
    from ecomap._errors import InputError

    with pytest.raises(InputError, match="must be a finite number > 0"):
        model_corridors(_strip_network((0, 0, 150, 600), (600, 0, 750, 600)), **{option: value})


def _four_patches():
    # A (0,0)-(150,150), B (600,0)-(750,150), C (0,450)-(150,600), D (1200,450)-(1350,600)
    return _strip_network((0, 0, 150, 150), (600, 0, 750, 150), (0, 450, 150, 600), (1200, 450, 1350, 600))


def _links(m):
    return sorted(zip(m.paths["from_id"], m.paths["to_id"], strict=True))


def test_linkage_mapper_link_rules_on_a_hand_checked_layout():
    """Edge-to-edge: A-C 300, A-B 450, B-C = B-D = 541, A-D 1092, C-D 1050 m (uniform matrix)."""
    every = model_corridors(_four_patches(), max_cost=1e9, circuit=False)
    # A-D is a candidate but its least-cost path (east along A's and B's row) runs through B: dropped
    assert _links(every) == [("A", "B"), ("A", "C"), ("B", "C"), ("B", "D"), ("C", "D")]
    np.testing.assert_allclose(every.paths.loc["A--C", "euclid_m"], 300.0)
    near = model_corridors(_four_patches(), max_cost=1e9, max_euclid=500.0, circuit=False)
    assert _links(near) == [("A", "B"), ("A", "C")]
    # the nearest neighbour of A and C is each other, of B A, of D B: by distance and by cost
    for by in ("euclid", "cwd"):
        one = model_corridors(_four_patches(), max_cost=1e9, nearest=1, nearest_by=by, circuit=False)
        assert _links(one) == [("A", "B"), ("A", "C"), ("B", "D")]
    # B's 2 nearest: A and the tie C = D (both kept); D's: B and C; A-D is nobody's
    two = model_corridors(_four_patches(), max_cost=1e9, nearest=2, nearest_by="euclid", circuit=False)
    assert _links(two) == [("A", "B"), ("A", "C"), ("B", "C"), ("B", "D"), ("C", "D")]
    capped = model_corridors(_four_patches(), max_cost=every.paths.loc["A--B", "cwd"] + 1e-6, circuit=False)
    assert _links(capped) == [("A", "B"), ("A", "C")]


@pytest.mark.parametrize(("kw", "message"), [
    ({"max_euclid": -1.0}, "max_euclid"), ({"nearest": 0}, "nearest"), ({"nearest_by": "time"}, "nearest_by"),
])
def test_link_rule_options_are_checked(kw, message):
    from ecomap._errors import InputError

    with pytest.raises(InputError, match=message):
        model_corridors(_four_patches(), **kw)


def test_the_whole_models_memory_is_checked_before_it_starts():
    from ecomap._errors import InputError
    from ecomap.corridors._budget import model_memory, model_peak, ring_cells

    lab = np.full((6, 7), -1)
    lab[1:4, 1:4] = 0  # 9 cells, 8 on its ring
    lab[2, 5] = 1
    assert ring_cells(lab) == 9
    before = model_memory(1_000_000, 400, 5000, circuit=True, regions="pair", neighbours=8, radii=3)
    after = model_memory(1_000_000, 400, 5000, circuit=True, regions="pair", neighbours=8, radii=3,
                         windows=3_200_000_000)  # once the links are chosen: their windows
    assert before["kept cost-distance windows"] == 0
    assert model_peak(after) - model_peak(before) == 2 * 3_200_000_000  # the windows and the minima on them
    with pytest.raises(InputError, match=r"needs about .* GiB but 0\.0 GiB is available .*coarser --resolution"):
        model_corridors(_strip_network((0, 0, 150, 600), (600, 0, 750, 600)), max_memory=1000)
    m = model_corridors(_strip_network((0, 0, 150, 600), (600, 0, 750, 600)), circuit=False)
    assert 0 < m.notes["memory_estimate_bytes"] < 10 * 2**20


def _write_tif(path, arr, transform):
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", height=arr.shape[0], width=arr.shape[1], count=1,
                       dtype="float64", crs="EPSG:4547", transform=transform, nodata=-9999.0) as dst:
        dst.write(np.where(np.isnan(arr), -9999.0, arr), 1)


@pytest.mark.parametrize("as_resistance", [False, True])
def test_model_advanced_mode_is_the_public_advanced_function(tmp_path, as_resistance):
    """--mode advanced: sources and grounds summed onto the grid (a 10 m ground raster on a 30 m grid)."""
    from rasterio.transform import Affine

    from ecomap.corridors import advanced

    net = _strip_network((0, 0, 150, 600), (600, 0, 750, 600), (1200, 0, 1350, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (600, 315)]))
    grid = model_corridors(net, resolution=30, circuit=False).grid
    src = np.full(grid.shape, np.nan)
    src[10, 2] = 2.0
    fine = np.full((grid.shape[0] * 3, grid.shape[1] * 3), np.nan)
    fine[30:33, 129:132] = 0.0 if as_resistance else 0.5 / 9  # nine 10 m cells of one 30 m cell
    t = grid.transform
    _write_tif(tmp_path / "s.tif", src, t)
    _write_tif(tmp_path / "g.tif", fine, t @ Affine.scale(1 / 3))
    m = model_corridors(net, resolution=30, max_cost=1e9, mode="advanced", sources_raster=tmp_path / "s.tif",
                        grounds_raster=tmp_path / "g.tif", grounds_are_resistances=as_resistance)
    gnd = np.full(grid.shape, np.nan)
    gnd[10, 43] = np.inf if as_resistance else 0.5
    _, cur = advanced(m.resistance, np.nan_to_num(src), gnd, tol=1e-8)
    np.testing.assert_allclose(m.current, cur, rtol=1e-9, equal_nan=True)
    assert np.nanmax(m.current) == pytest.approx(2.0)
    assert m.notes["mode"] == "advanced"
