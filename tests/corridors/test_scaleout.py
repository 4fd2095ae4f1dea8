"""Omniscape's tiles on dask.distributed (2 and 3 workers): the serial run's bits, tile edges invisible.

The serial run and every Dask run add the tiles' currents in one order fixed by the tile grid,
so their outputs are compared byte for byte; the tiled sum is compared with the untiled one
(a single tile) exactly where each cell has at most two windows (a + b == b + a in floating
point) and to 1e-12 relative elsewhere (a different order of the same additions).
"""

import hashlib

import numpy as np
import pytest

from ecomap import InputError
from ecomap.corridors import omniscape
from ecomap.corridors._tiles import Grid, _steps
from ecomap.corridors.scaleout import executor

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")


def _surface(shape=(40, 44), seed=3):
    rng = np.random.default_rng(seed)
    r = rng.lognormal(0.0, 1.0, shape)
    r[5:9, 20:23] = np.nan  # NoData inside
    r[rng.random(shape) < 0.02] = 50.0
    return r


OPTS = {"radius": 6, "block_size": 3, "buffer": 1}


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=3, threads_per_worker=1, processes=True, dashboard_address=":0") as lc:
        with Client(lc) as client:
            yield lc, client


def test_target_centres_per_tile_partition_omniscapes():
    for n, br, bs, size in [(40, 1, 3, 16), (23, 0, 1, 5), (31, 2, 5, 7), (12, 3, 7, 4)]:
        want = list(range(br, n - br, bs))
        got = [v for a in range(0, n, size) for v in _steps(a, min(a + size, n), br, bs, n)]
        assert got == want


def test_tiles_match_the_untiled_sum():
    r = _surface()
    one = omniscape(r, **OPTS, tile_size=1000)
    for size in (16, 5):  # halo 7: one ring of neighbours, then three
        tiled = omniscape(r, **OPTS, tile_size=size)
        assert tiled.n_targets == one.n_targets
        for a, b in [(tiled.cumulative, one.cumulative), (tiled.flow_potential, one.flow_potential),
                     (tiled.normalized, one.normalized)]:
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_a_window_across_a_tile_edge_gets_the_untiled_current():
    r = _surface((30, 30))
    src = np.zeros(r.shape)
    src[14, 13] = src[14, 18] = 1.0  # targets on either side of the edge at column 16
    one = omniscape(r, radius=8, source_strength=src, tile_size=1000)
    tiled = omniscape(r, radius=8, source_strength=src, tile_size=16)
    assert one.n_targets == tiled.n_targets == 2
    cur = np.nan_to_num(tiled.cumulative)
    assert cur[:, :16].sum() > 0 and cur[:, 16:].sum() > 0 and cur[16:, :].sum() > 0
    np.testing.assert_array_equal(tiled.cumulative, one.cumulative)
    np.testing.assert_array_equal(tiled.flow_potential, one.flow_potential)


def test_three_workers_by_client_or_address_give_the_serial_bits(cluster):
    lc, client = cluster
    r = _surface((30, 34))
    serial = omniscape(r, **OPTS, tile_size=16)
    by_client = omniscape(r, **OPTS, tile_size=16, client=client)
    by_address = omniscape(r, **OPTS, tile_size=6, scheduler=lc.scheduler_address)  # halo 7 > tile
    serial5 = omniscape(r, **OPTS, tile_size=6)
    for got, want in [(by_client, serial), (by_address, serial5)]:
        assert got.n_targets == want.n_targets
        for name in ("cumulative", "flow_potential", "normalized"):
            assert getattr(got, name).tobytes() == getattr(want, name).tobytes()


def _write_tif(path, a):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", height=a.shape[0], width=a.shape[1], count=1, dtype="float64",
                       crs="EPSG:4547", transform=from_origin(500000, 2520000, 30, 30), nodata=-9999.0) as d:
        d.write(np.where(np.isnan(a), -9999.0, a), 1)


def _data(path):
    import rasterio

    with rasterio.open(path) as d:
        return d.read(1)


def test_cli_workers_and_scheduler_write_the_serial_bytes(tmp_path, cluster):
    from ecomap.cli import main

    lc, _ = cluster
    src = tmp_path / "r.tif"
    _write_tif(src, _surface((30, 34)))
    base = ["omniscape", str(src), "--radius", "6", "--block-size", "3", "--buffer", "1", "--tile-size", "16"]
    runs = {"serial": [], "workers": ["--workers", "2"], "scheduler": ["--scheduler", lc.scheduler_address]}
    for name, extra in runs.items():
        assert main([*base, *extra, "--out", str(tmp_path / name)]) == 0
    want = omniscape(_surface((30, 34)), **OPTS, tile_size=16)
    for f, attr in [("cum_currmap.tif", "cumulative"), ("flow_potential.tif", "flow_potential"),
                    ("normalized_cum_currmap.tif", "normalized")]:
        arrays = [_data(tmp_path / name / f) for name in runs]
        assert all(np.array_equal(a, arrays[0], equal_nan=True) for a in arrays)
        assert len({hashlib.sha256(a.tobytes()).hexdigest() for a in arrays}) == 1
        assert len({hashlib.sha256((tmp_path / name / f).read_bytes()).hexdigest() for name in runs}) == 1
        assert np.array_equal(arrays[0], getattr(want, attr).astype("float32"), equal_nan=True)


def test_memory_is_bounded_up_front_and_options_are_checked(tmp_path):
    r = _surface()
    with pytest.raises(InputError, match="--tile-size.*--workers"):
        omniscape(r, **OPTS, workers=2, max_memory=100 << 20)
    with pytest.raises(InputError, match="MiB a worker"):
        omniscape(r, **OPTS, max_memory=1 << 20)
    with pytest.raises(InputError, match="tile-size"):
        omniscape(r, **OPTS, tile_size=0)
    with pytest.raises(InputError, match="not several"):
        omniscape(r, **OPTS, workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="workers"):
        with executor(workers=0):
            pass


def test_grid_neighbours_cover_every_halo_that_reaches_a_tile():
    g = Grid((50, 37), 8, 11)
    for i in range(g.tiles[0]):
        for j in range(g.tiles[1]):
            y0, y1, x0, x1 = g.core(i, j)
            touching = [(a, b) for a in range(g.tiles[0]) for b in range(g.tiles[1])
                        if (e := g.extent(a, b))[0] < y1 and e[1] > y0 and e[2] < x1 and e[3] > x0]
            assert set(touching) <= set(g.neighbours(i, j))
            assert g.neighbours(i, j) == sorted(g.neighbours(i, j))


def test_cost_distances_on_dask_are_the_serial_surfaces(cluster):
    from ecomap.corridors import cost_distances

    _, client = cluster
    r = np.nan_to_num(_surface(), nan=np.inf)
    r[10, :30] = np.nan  # a wall (no passage)
    sources = [[(1, 1)], [(30, 40), (31, 40)], [(20, 5)], [(39, 0)], [(0, 43)]]
    serial = list(cost_distances(r, sources, cellsize=30.0))
    on_dask = list(cost_distances(r, sources, cellsize=30.0, client=client))
    assert len(on_dask) == len(serial)
    for a, b in zip(on_dask, serial, strict=True):
        assert a.tobytes() == b.tobytes()
    with pytest.raises(InputError, match="MiB a worker"):
        list(cost_distances(r, sources, workers=2, max_memory=1 << 20))


def test_corridor_model_cost_distances_on_a_scheduler_match_serial(cluster):
    from corridors._network import _strip_network

    from ecomap.corridors import model_corridors

    lc, _ = cluster
    net = _strip_network((0, 0, 150, 600), (600, 0, 750, 600), (1200, 0, 1350, 600))
    serial = model_corridors(net, resolution=30, max_cost=1e9, circuit=False)
    on_dask = model_corridors(net, resolution=30, max_cost=1e9, circuit=False, scheduler=lc.scheduler_address)
    assert on_dask.paths.index.tolist() == serial.paths.index.tolist()
    assert on_dask.paths["cwd"].tolist() == serial.paths["cwd"].tolist()
    assert on_dask.corridors.tobytes() == serial.corridors.tobytes()
