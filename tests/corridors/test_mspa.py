"""MSPA sources: hand-worked class maps, pyguidos run directly, dPC against brute force, the CLI."""

import itertools
import warnings

import numpy as np
import pytest

pytest.importorskip("pyguidos")

from affine import Affine  # noqa: E402

from ecomap import InputError  # noqa: E402
from ecomap.connectivity import pc  # noqa: E402
from ecomap.corridors import mspa, mspa_class_table, select_sources  # noqa: E402

CORE, EDGE, PERF, ISLET, BRIDGE, BRIDGE_IN_EDGE = 17, 3, 5, 9, 33, 35


def _square(h, w, r0, c0, side):
    a = np.zeros((h, w))
    a[r0:r0 + side, c0:c0 + side] = 1
    return a


def _core_and_edge(h, w, r0, c0, side, edge=1):
    """Hand-worked: a square's outer ``edge`` rings are edge, the rest core."""
    want = np.zeros((h, w), dtype=np.uint8)
    want[r0:r0 + side, c0:c0 + side] = EDGE
    want[r0 + edge:r0 + side - edge, c0 + edge:c0 + side - edge] = CORE
    return want


@pytest.mark.parametrize("edge", [1, 2])
def test_square_is_core_inside_its_edge(edge):
    h = _square(14, 14, 2, 3, 9)
    np.testing.assert_array_equal(mspa(h, edge_width=edge), _core_and_edge(14, 14, 2, 3, 9, edge))


def test_bridge_between_two_cores():
    h = _square(10, 24, 1, 1, 8) + _square(10, 24, 1, 15, 8)
    h[4, 9:15] = 1
    want = _core_and_edge(10, 24, 1, 1, 8) + _core_and_edge(10, 24, 1, 15, 8)
    want[4, 9:15] = BRIDGE
    want[4, [8, 15]] = BRIDGE_IN_EDGE  # where the bridge crosses the edges (transition)
    np.testing.assert_array_equal(mspa(h), want)


@pytest.mark.parametrize("intext", [True, False])
def test_perforation_around_a_hole(intext):
    h = _square(12, 12, 1, 1, 10)
    h[5:7, 5:7] = 0
    want = _core_and_edge(12, 12, 1, 1, 10)
    want[4:8, 4:8] = PERF + (100 if intext else 0)
    want[5:7, 5:7] = 100 if intext else 0  # the hole: internal background
    np.testing.assert_array_equal(mspa(h, intext=intext), want)


def test_hole_in_a_ring_without_core_is_a_border_opening_not_habitat():
    h = _square(12, 12, 1, 1, 10)
    h[3:9, 3:9] = 0  # a ring two cells wide: no core, so an islet, around a 6 x 6 hole
    codes = mspa(h)
    assert (codes[3:9, 3:9] == 220).all() and (codes[h == 1] == ISLET).all()
    assert (mspa(h, intext=False)[3:9, 3:9] == 0).all()  # without intext the hole is plain background
    t = mspa_class_table(codes, 10.0)
    assert t.loc["border-opening", "cells"] == 36 and np.isnan(t.loc["border-opening", "share_of_habitat"])
    assert t.loc["background", "cells"] == 144 - 100
    assert t.loc["islet", "share_of_habitat"] == pytest.approx(100.0)
    assert t.loc["border-opening", "share_of_area"] == pytest.approx(100 * 36 / 144)


def test_small_patch_is_an_islet_and_classes_add_up():
    h = _square(8, 8, 1, 1, 2)
    h[7, 7] = np.nan
    codes = mspa(h)
    assert (codes[1:3, 1:3] == ISLET).all() and codes[7, 7] == 129
    t = mspa_class_table(codes, 10.0)
    assert t.loc["islet", "cells"] == 4 and t.loc["islet", "area_ha"] == pytest.approx(0.04)
    assert t.loc["islet", "share_of_habitat"] == pytest.approx(100.0)
    assert t["cells"].sum() == 63


def test_same_as_pyguidos_run_directly(tmp_path):
    import pyguidos
    import rasterio

    rng = np.random.default_rng(7)
    h = (rng.random((60, 70)) < 0.62).astype(float)
    h[rng.random(h.shape) < 0.01] = np.nan
    data = np.where(np.isnan(h), 0, np.where(h == 1, 2, 1)).astype(np.uint8)
    src = tmp_path / "in.tif"
    with rasterio.open(src, "w", driver="GTiff", height=60, width=70, count=1, dtype="uint8") as d:
        d.write(data, 1)
    for conn, edge, trans, intext in [(8, 1, True, True), (4, 2, False, True), (8, 3, True, False)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stats = pyguidos.mspa(src, connectivity=conn, edge_width=edge, transition=trans, intext=intext,
                                  outdir=tmp_path, stat_files=False)
        with rasterio.open(tmp_path / f"in_{conn}_{edge}_{int(trans)}_{int(intext)}.tif") as d:
            direct = d.read(1)
        got = mspa(h, connectivity=conn, edge_width=edge, transition=trans, intext=intext)
        np.testing.assert_array_equal(got, direct)
        table = mspa_class_table(got, 1.0)
        for cls, n in stats["output stats"]["class freq aggr"].items():
            assert table.loc[cls.lower(), "cells"] == n
        background = stats["output stats"]["class freq"]["Background"]
        assert table.loc["background", "cells"] == background["Background (0)"]
        assert table.loc["core-opening", "cells"] == background["Core-Opening (100)"]
        assert table.loc["border-opening", "cells"] == background["Border-Opening (220)"]


def test_options_are_checked():
    with pytest.raises(InputError, match="8 or 4"):
        mspa(np.ones((5, 5)), connectivity=6)
    with pytest.raises(InputError, match="edge width"):
        mspa(np.ones((5, 5)), edge_width=0)
    with pytest.raises(InputError, match="1 \\(habitat\\)"):
        mspa(np.full((5, 5), 2.0))
    with pytest.raises(InputError, match="habitat: no cell has habitat cells"):
        mspa(np.where(np.eye(5) == 1, np.nan, 0.0))
    with pytest.raises(InputError, match="every cell with data has habitat cells"):
        mspa(np.where(np.eye(5) == 1, np.nan, 1.0))


def _brute_dpc(area, d, theta_m):
    """dPC by recomputing PC without each core (Floyd-Warshall shortest paths)."""
    def pc_of(keep):
        sub = d[np.ix_(keep, keep)].copy()
        for k in range(len(keep)):
            sub = np.minimum(sub, sub[:, [k]] + sub[[k], :])
        return pc(area[keep], sub, 1.0, median_dispersal_m=theta_m)

    n = len(area)
    full = pc_of(list(range(n)))
    return np.array([100 * (full - pc_of([j for j in range(n) if j != k])) / full for k in range(n)])


def test_sources_ranked_by_dpc_as_brute_force():
    h = np.zeros((40, 60))
    for r0, c0, side in [(2, 2, 9), (2, 16, 5), (20, 3, 12), (25, 30, 7), (5, 45, 10), (30, 50, 4)]:
        h[r0:r0 + side, c0:c0 + side] = 1
    codes = mspa(h)
    cell = 30.0
    tr = Affine(cell, 0, 500_000, 0, -cell, 2_500_000)
    src = select_sources(codes, transform=tr, cellsize=cell, min_core_area_ha=0.5, median_dispersal=600)
    assert len(src) == 5  # the 4 x 4 square's core (2 x 2 cells, 0.36 ha) is below the minimum
    assert all(s.startswith("mspa:core/") for s in src["source"])
    assert list(src["rank"]) == [1, 2, 3, 4, 5]
    g = src.geometry.to_numpy()
    d = np.array([[a.distance(b) for b in g] for a in g])
    want = _brute_dpc(src["area_ha"].to_numpy() / 100, d, 600)
    np.testing.assert_allclose(src["dpc"], want, rtol=1e-9)
    assert (np.diff(src["dpc"]) <= 0).all()
    assert src.geometry.area.round(6).tolist() == (src["area_ha"] * 1e4).round(6).tolist()
    top = select_sources(codes, transform=tr, cellsize=cell, min_core_area_ha=0.5, n_sources=2,
                         median_dispersal=600)
    assert list(top.index) == list(src.index[:2])


def test_cost_distance_sources_use_the_resistance():
    h = _square(20, 40, 2, 2, 8) + _square(20, 40, 2, 25, 8)
    codes = mspa(h)
    tr = Affine(10, 0, 0, 0, -10, 0)
    res = np.ones(h.shape)
    cheap = select_sources(codes, transform=tr, cellsize=10, distance="cost", resistance=res, median_dispersal=100)
    dear = select_sources(codes, transform=tr, cellsize=10, distance="cost", resistance=res * 50, median_dispersal=100)
    assert len(cheap) == 2 and (cheap["dpc"] > dear["dpc"]).all()  # further apart in cost: less flux
    with pytest.raises(InputError, match="resistance"):
        select_sources(codes, transform=tr, cellsize=10, distance="cost")


def test_every_pair_of_options_runs():
    h = _square(16, 16, 2, 2, 11)
    for conn, intext in itertools.product((4, 8), (True, False)):
        assert (mspa(h, connectivity=conn, intext=intext) == CORE).sum() == 81


def _landcover(path, network, cell=60.0, fill=None):
    """A synthetic WorldCover-coded GeoTIFF over the district: tree blobs (10) in built-up (50), or all ``fill``."""
    import rasterio
    from rasterio.transform import from_origin

    x0, y0, x1, y1 = network.district.bounds
    w, h = int((x1 - x0) // cell) + 1, int((y1 - y0) // cell) + 1
    yy, xx = np.mgrid[:h, :w]
    rng = np.random.default_rng(3)
    lc = np.full((h, w), 50, dtype=np.uint8)
    for _ in range(12):
        cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(4, 14)
        lc[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 10
    if fill is not None:
        lc[:] = fill
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype="uint8",
                       crs="EPSG:4547", transform=from_origin(x0, y1, cell, cell)) as d:
        d.write(lc, 1)
    return path


def test_cli_sources_feed_the_connectivity_command(tmp_path, capsys):
    from ecomap.cli import main
    from ecomap.network import load_network

    lc = _landcover(tmp_path / "lc.tif", load_network())
    out = tmp_path / "src"
    assert main(["sources", "--landcover", str(lc), "--resolution", "60", "--min-core-ha", "5",
                 "--top", "6", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "core" in text and "mspa:core/" in text
    classes = (out / "mspa_classes.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in classes] == ["class", "core", "islet", "perforation", "edge", "loop", "bridge",
                                                   "branch", "background", "core-opening", "border-opening"]
    for f in ("mspa.tif", "mspa_classes.csv", "mspa_classes.png", "data/patches.geojson", "data/boundary.geojson"):
        assert (out / f).exists(), f
    net = load_network(out / "data")
    assert 1 <= len(net.patches) <= 6 and net.patches["source"].str.startswith("mspa:core/").all()
    assert main(["connectivity", "--data", str(out / "data")]) == 0


@pytest.mark.parametrize(("fill", "rule"), [(50, "no cell has a habitat code (--foreground 10,20,30,90,95); "),
                                             (10, "every cell with data has a habitat code (--foreground 10,20,")])
def test_landcover_without_habitat_or_background_is_refused_before_mspa(tmp_path, capsys, fill, rule):
    from ecomap.cli import main
    from ecomap.network import load_network

    lc = _landcover(tmp_path / "dem.tif", load_network(), fill=fill)
    for argv in (["sources", "--landcover", str(lc), "--resolution", "60", "--out", str(tmp_path / "s")],
                 ["build", "--landcover", str(lc), "--resolution", "60", "--out", str(tmp_path / "b")]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"ecomap: {lc}: {rule}"), err
        assert "pyguidos" not in err.lower() and "Missing" not in err
    assert not (tmp_path / "b").exists()


def _cells_of(geom, shape, tr):
    """The cells whose centres a geometry covers (rasterio's rasterize, another route than the tracing)."""
    from rasterio.features import rasterize

    return rasterize([(geom, 1)], out_shape=shape, transform=tr, fill=0).astype(bool)


@pytest.mark.parametrize("connectivity", [8, 4])
def test_cores_touching_only_at_corners_are_one_valid_feature_per_label(connectivity):
    """A checkerboard of core cells (every cell touching the others only at corners), a pinched core
    and a square: one valid feature per core of the labelling, covering exactly its cells."""
    from ecomap.corridors.mspa import mspa_cores

    codes = np.zeros((12, 14), dtype=np.uint8)
    board = (np.add.outer(np.arange(4), np.arange(4)) % 2 == 0)
    codes[1:5, 1:5][board] = CORE  # 8 cells on a 4 x 4 checkerboard
    codes[7:10, 1:4] = CORE  # a 3 x 3 ring around a hole, pinched: the hole meets the outside at a corner
    codes[8, 2] = 0
    codes[7, 1] = 0
    codes[2:6, 8:12] = CORE  # a plain square
    cell = 10.0
    tr = Affine(cell, 0, 1000.0, 0, -cell, 5000.0)
    src = select_sources(codes, transform=tr, cellsize=cell, connectivity=connectivity, median_dispersal=50)
    labels, n = mspa_cores(codes, connectivity=connectivity)
    assert n == (3 if connectivity == 8 else 10) and len(src) == n
    assert src.geometry.is_valid.all()
    assert sorted(src["source"]) == sorted(f"mspa:core/{k}" for k in range(1, n + 1))
    for _, row in src.iterrows():
        k = int(row["source"].split("/")[1])
        cells = labels == k
        np.testing.assert_allclose(row.geometry.area, cells.sum() * cell * cell)
        assert np.array_equal(_cells_of(row.geometry, codes.shape, tr), cells)
    if connectivity == 8:
        board_core = src.geometry[np.isclose(src["area_ha"], 8 * cell * cell / 1e4)].iloc[0]
        assert board_core.geom_type == "MultiPolygon" and len(board_core.geoms) == 8
