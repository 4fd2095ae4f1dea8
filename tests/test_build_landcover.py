"""``ecomap build --landcover``: the chain sources -> resistance -> corridors -> pinch points -> barriers -> report."""

import hashlib
import json
import tomllib

import numpy as np
import pytest

pytest.importorskip("pyguidos")

from ecomap.cli import main  # noqa: E402
from ecomap.network import load_network  # noqa: E402

CELL = 100.0


def _landcover(path, network):
    """A synthetic WorldCover-coded GeoTIFF over the district at 100 m: forest blobs in built-up,
    a grassland belt and cropland, so the resistance surface has four values."""
    import rasterio
    from rasterio.transform import from_origin

    x0, y0, x1, y1 = network.district.bounds
    w, h = int((x1 - x0) // CELL) + 2, int((y1 - y0) // CELL) + 2
    yy, xx = np.mgrid[:h, :w]
    rng = np.random.default_rng(7)
    lc = np.full((h, w), 50, dtype=np.uint8)
    lc[:, : w // 4] = 40
    lc[(xx + yy) % 37 < 3] = 30
    for _ in range(14):
        cy, cx, r = rng.integers(0, h), rng.integers(0, w), rng.integers(3, 9)
        lc[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 10
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype="uint8", crs="EPSG:4547",
                       transform=from_origin(x0 - CELL, y1 + CELL, CELL, CELL)) as d:
        d.write(lc, 1)
    return path


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    from ecomap.build import build

    tmp = tmp_path_factory.mktemp("chain")
    lc = _landcover(tmp / "lc.tif", load_network())
    options = {"landcover": lc, "corridors_resolution": CELL, "min_core_area_ha": 20.0}
    ctx = build(None, tmp / "out", options=options)
    return tmp, lc, ctx


def test_sources_are_those_of_ecomap_sources(chain, capsys):
    tmp, lc, ctx = chain
    out = tmp / "sources_cmd"
    assert main(["sources", "--landcover", str(lc), "--resolution", str(CELL), "--min-core-ha", "20",
                 "--out", str(out)]) == 0
    capsys.readouterr()
    ours, theirs = load_network(ctx.out / "sources" / "data").patches, load_network(out / "data").patches
    assert len(ours) >= 3 and ours["source"].str.startswith("mspa:core/").all()
    assert list(ours.index) == list(theirs.index) and list(ours["source"]) == list(theirs["source"])
    assert ours.geometry.geom_equals(theirs.geometry).all()
    np.testing.assert_allclose(ours["dpc"], theirs["dpc"], rtol=1e-12)
    import rasterio

    with rasterio.open(ctx.out / "sources" / "mspa.tif") as a, rasterio.open(out / "mspa.tif") as b:
        assert np.array_equal(a.read(1), b.read(1))


def test_corridor_model_runs_on_the_sources_and_the_land_cover(chain):
    tmp, lc, ctx = chain
    model = ctx.results["corridors"]["model"]
    patches = ctx.network.patches
    assert set(model.sources.index) == set(patches.index)
    assert ctx.network.corridors.empty  # the drawn corridors name the drawn patches: left out
    assert len(model.paths) >= len(patches) - 1 and not model.paths["planned"].any()
    assert model.current is not None and model.barriers is not None
    for f in ("corridors/current.tif", "corridors/barriers.tif", "corridors/least_cost_paths.geojson", "corridors/pinch_points.geojson"):
        assert (ctx.out / f).exists(), f
    # The base surface is the reclass table read on the land cover, cell by cell (recomputed here by
    # sampling the GeoTIFF at each cell centre); barriers from the layers change only a few cells.
    import rasterio

    from ecomap.build import _worldcover_reclass

    table = {int(k): float(v) for k, v in tomllib.loads(_worldcover_reclass().read_text())["classes"].items()}
    g = model.grid
    rows, cols = np.nonzero(np.isfinite(model.resistance))
    xs, ys = rasterio.transform.xy(g.transform, rows, cols)
    with rasterio.open(lc) as src:
        codes = src.read(1)[rasterio.transform.rowcol(src.transform, xs, ys)]
    expected = np.array([table[int(c)] for c in codes])
    same = np.isclose(model.resistance[rows, cols], expected)
    assert same.mean() > 0.9, same.mean()
    assert len(np.unique(model.resistance[rows, cols][same])) == 4


def test_report_ranks_the_sources_as_their_dpc(chain):
    tmp, lc, ctx = chain
    report = json.loads((ctx.out / "report" / "connectivity.json").read_text())
    assert report["links_mode"] == "distance" and report["n_links"] == len(ctx.network.patches) * (len(ctx.network.patches) - 1) // 2
    patches = ctx.results["connectivity"].patches
    sources = ctx.network.patches
    # Two routes to dPC: select_sources on the MSPA cores' cells, the report's graph on their polygons
    # (every core of at least 20 ha is a source, so both rank the same set). They differ by the
    # polygons' round trip through WGS-84 GeoJSON (about 1 cm): measured 6e-6 relative.
    np.testing.assert_allclose(patches.loc[sources.index, "dPC"], sources["dpc"], rtol=1e-4)
    assert list(patches.loc[sources.index, "dPC"].rank(ascending=False)) == list(sources["rank"])
    assert (ctx.out / "report" / "index.html").exists() and (ctx.out / "index.html").exists()


def test_provenance_records_the_land_cover_and_the_options(chain):
    tmp, lc, ctx = chain
    prov = json.loads((ctx.out / "provenance.json").read_text())
    assert prov["inputs"]["landcover"] == {"file": str(lc), "sha256": hashlib.sha256(lc.read_bytes()).hexdigest()}
    from ecomap.build import _worldcover_reclass

    assert prov["inputs"]["reclass"]["sha256"] == hashlib.sha256(_worldcover_reclass().read_bytes()).hexdigest()
    assert prov["options"]["landcover"] == str(lc)
    assert prov["options"]["min_core_area_ha"] == 20.0 and prov["options"]["corridors_resolution"] == CELL
    assert "patches" in prov["inputs"] and "sources/mspa.tif" in prov["outputs"]
    assert not prov["inputs"]["patches"]["file"].startswith(str(ctx.out))  # the input folder, not sources/


def test_cli_build_with_landcover_options(tmp_path, capsys):
    assert main(["build", "--reclass", "x.toml", "--out", str(tmp_path / "o")]) == 2
    assert "--reclass needs --landcover" in capsys.readouterr().err
    assert main(["build", "--landcover", str(tmp_path / "missing.tif"), "--out", str(tmp_path / "o")]) == 2
    assert "missing.tif" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cores_touching_at_a_corner_make_a_valid_source(tmp_path):
    """Forest squares A (rows 0-9, cols 0-9) and B (rows 8-17, cols 8-17) overlap in 2 x 2 cells:
    their cores (rows 1-8, cols 1-8 and rows 9-16, cols 9-16; 64 cells each) touch only at the
    corner of cells (8, 8) and (9, 9), one 8-connected core of 128 ha at 100 m."""
    import rasterio
    import shapely

    from ecomap.corridors.grid import make_grid
    from ecomap.corridors.sources import sources_from_landcover

    net = load_network()
    grid = make_grid(net.district, CELL)
    lc = np.full(grid.shape, 50, dtype=np.uint8)
    p = net.district.representative_point()
    r0, c0 = (int(v) - 9 for v in rasterio.transform.rowcol(grid.transform, p.x, p.y))
    block = shapely.box(*rasterio.transform.array_bounds(18, 18, grid.transform @ rasterio.Affine.translation(c0, r0)))
    assert net.district.contains(block.buffer(2 * CELL))
    lc[r0:r0 + 10, c0:c0 + 10] = 10
    lc[r0 + 8:r0 + 18, c0 + 8:c0 + 18] = 10
    with rasterio.open(tmp_path / "lc.tif", "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
                       dtype="uint8", crs=grid.crs, transform=grid.transform) as d:
        d.write(lc, 1)
    run = sources_from_landcover(net, tmp_path / "lc.tif", tmp_path / "out", resolution=CELL)
    assert len(run.sources) == 1 and run.sources.geometry.is_valid.all()
    assert run.sources["area_ha"].iloc[0] == pytest.approx(128.0)
    assert run.sources.geometry.area.iloc[0] == pytest.approx(128 * CELL * CELL)
    assert load_network(tmp_path / "out" / "data").patches.geometry.area.iloc[0] == pytest.approx(128 * CELL * CELL,
                                                                                                   rel=1e-5)


def test_cli_build_landcover_passes_its_options(chain, tmp_path, capsys):
    _, lc, _ = chain
    out = tmp_path / "o"
    assert main(["build", "--landcover", str(lc), "--resolution", "200", "--min-core-ha", "20", "--top", "2",
                 "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["options"] == {"corridors_resolution": 200.0, "landcover": str(lc), "min_core_area_ha": 20.0,
                               "n_sources": 2, "reclass": None, "screenshots": False, "connectivity": 8,
                               "edge_width": 1, "transition": True, "intext": True,
                               "foreground": [10, 20, 30, 90, 95]}
    patches = load_network(out / "sources" / "data").patches
    assert len(patches) == 2 and list(patches["rank"]) == [1, 2]
    assert json.loads((out / "corridors" / "summary.json").read_text())["grid"]["resolution_m"] == 200.0


def _dem(path, network):
    """A hill over the district at 100 m (EPSG:4547), past its edges by three cells."""
    import rasterio
    from rasterio.transform import from_origin

    x0, y0, x1, y1 = network.district.bounds
    w, h = int((x1 - x0) // CELL) + 6, int((y1 - y0) // CELL) + 6
    yy, xx = np.mgrid[:h, :w]
    z = 50 + 400 * np.exp(-((xx - w / 2) ** 2 + (yy - h / 3) ** 2) / (2 * 20.0 ** 2))
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype="float64", crs="EPSG:4547",
                       transform=from_origin(x0 - 3 * CELL, y1 + 3 * CELL, CELL, CELL)) as d:
        d.write(z, 1)
    return path


def test_build_mspa_options_change_the_sources(chain, tmp_path, capsys):
    """``build --edge-width 2 --connectivity 4 --no-transition --no-intext --foreground 10``: the sources
    are those of ``sources_from_landcover`` with the same options, and not those of the defaults. With
    ``--dem`` and ``--roads network`` the corridor model weighs the land cover, slope and roads."""
    from ecomap.corridors.sources import sources_from_landcover

    _, lc, _ = chain
    out = tmp_path / "o"
    dem = _dem(tmp_path / "dem.tif", load_network())
    args = ["--edge-width", "2", "--connectivity", "4", "--no-transition", "--no-intext", "--foreground", "10",
            "--dem", str(dem), "--roads", "network"]
    assert main(["build", "--landcover", str(lc), "--resolution", "200", *args, "--out", str(out)]) == 0
    capsys.readouterr()
    built = load_network(out / "sources" / "data").patches
    net = load_network()
    same = sources_from_landcover(net, lc, tmp_path / "same", resolution=200.0, edge_width=2, connectivity=4,
                                  transition=False, intext=False, foreground=(10,)).sources
    default = sources_from_landcover(net, lc, tmp_path / "default", resolution=200.0).sources
    assert list(built.index) == list(same.index)
    np.testing.assert_allclose(built.geometry.area, same.geometry.area, rtol=1e-4)  # 6-decimal WGS-84 GeoJSON
    assert same["area_ha"].sum() < default["area_ha"].sum()  # a 2-cell edge leaves less core
    prov = json.loads((out / "provenance.json").read_text())["options"]
    assert (prov["edge_width"], prov["connectivity"], prov["transition"], prov["intext"], prov["foreground"]) == \
        (2, 4, False, False, [10])
    summary = json.loads((out / "sources" / "summary.json").read_text())
    assert summary["mspa"] == {"connectivity": 4, "edge_width_cells": 2, "edge_width_m": 400.0, "transition": False,
                               "intext": False, "engine": "pyguidos (JRC miallib)"}
    assert summary["foreground"] == [10] and summary["sources"] == len(built)
    import rasterio

    with rasterio.open(out / "sources" / "mspa.tif") as src:
        assert src.tags()["edge_width_cells"] == "2" and src.tags()["connectivity"] == "4"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["inputs"]["dem"] == {"file": str(dem), "sha256": hashlib.sha256(dem.read_bytes()).hexdigest()}
    assert prov["options"]["roads"] == "network" and "roads" not in prov["inputs"]
    factors = json.loads((out / "corridors" / "summary.json").read_text())["resistance_factors"]
    assert [(f["factor"], f["source"]) for f in factors["factors"][:2]] == [("landcover", str(lc)), ("slope", str(dem))]
    assert factors["formula"] == "0.6 x landcover + 0.2 x slope + 0.2 x roads, then barriers (max)"
    assert main(["build", "--landcover", str(lc), "--top", "0", "--out", str(tmp_path / "x")]) == 2
    assert "--top 0" in capsys.readouterr().err
