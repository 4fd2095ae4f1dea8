"""The per-pair circuit solves on dask.distributed: the serial run's bits for 1, 2 and 3 workers.

Every solve is the same computation wherever it runs, and the current is added in blocks of
pairs fixed by the pair list (``_pairloop.current_blocks``), so the matrices and current maps are
compared with ``np.array_equal``. The serial sums are checked against a plain pair-by-pair sum
(another order of the same additions) to 1e-12.
"""

import numpy as np
import pytest

from ecomap import InputError
from ecomap.corridors import current_density, effective_resistance
from ecomap.corridors._pairloop import MAX_BLOCKS, current_blocks, split

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::ResourceWarning")


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=3, threads_per_worker=1, processes=True, dashboard_address=":0") as lc:
        with Client(lc) as client:
            yield lc, client


def _case(shape=(36, 40), seed=5):
    rng = np.random.default_rng(seed)
    r = rng.lognormal(0.0, 1.0, shape)
    r[12:15, 18:22] = np.nan
    regions = []
    for y, x in [(2, 2), (3, 30), (15, 8), (28, 33), (30, 4), (20, 24), (8, 16)]:
        m = np.zeros(shape, dtype=bool)
        m[y:y + 3, x:x + 4] = True
        regions.append(m)
    pairs = [(a, b) for a in range(7) for b in range(a + 1, 7)] + [(3, 1), (2, 2)]
    return r, regions, pairs


def test_blocks_depend_on_the_pairs_only():
    pairs = list(range(100))
    blocks = current_blocks(pairs)
    assert len(blocks) <= MAX_BLOCKS and sum(blocks, []) == pairs
    for w in (1, 2, 3, 40):
        runs = split(blocks, w)
        assert sum(runs, []) == blocks and len(runs) == min(w, len(blocks))


@pytest.mark.parametrize("regions", ["pair", "all"])
def test_two_workers_and_a_client_give_the_serial_bits(cluster, regions):
    lc, client = cluster
    r, masks, pairs = _case()
    serial_r = effective_resistance(r, masks, regions=regions)
    serial_c = current_density(r, masks, pairs=pairs, regions=regions)
    assert (serial_r[np.triu_indices(7, 1)] > 0).all() and np.nansum(serial_c) > 0
    for where in ({"workers": 2}, {"client": client}, {"scheduler": lc.scheduler_address}):
        got_r = effective_resistance(r, masks, regions=regions, **where)
        got_c = current_density(r, masks, pairs=pairs, regions=regions, **where)
        assert np.array_equal(got_r, serial_r), where
        assert np.array_equal(got_c, serial_c, equal_nan=True), where


def test_point_nodes_and_included_pairs_on_dask(cluster):
    _, client = cluster
    r, _, _ = _case(seed=8)
    nodes = [(0, 0), (35, 39), (10, 30), (25, 5), (13, 19)]  # the last on NoData: -1, no current
    which = [(0, 1), (2, 3), (1, 4)]
    serial = effective_resistance(r, nodes, pairs=which)
    assert np.array_equal(effective_resistance(r, nodes, pairs=which, client=client), serial)
    cur = current_density(r, nodes)
    assert np.array_equal(current_density(r, nodes, client=client), cur, equal_nan=True)


def test_serial_blocks_are_the_pair_by_pair_sum():
    r, masks, pairs = _case()
    whole = current_density(r, masks, pairs=pairs, regions="all")
    summed = sum(np.nan_to_num(current_density(r, masks, pairs=[p], regions="all")) for p in pairs)
    np.testing.assert_allclose(np.nan_to_num(whole), summed, rtol=1e-12, atol=1e-15)


def test_memory_is_refused_up_front_and_options_checked():
    r, masks, pairs = _case()
    with pytest.raises(InputError, match="MiB a worker"):
        current_density(r, masks, pairs=pairs, workers=2, max_memory=1 << 20)
    with pytest.raises(InputError, match="not several"):
        effective_resistance(r, masks, workers=2, scheduler="tcp://127.0.0.1:1")


@pytest.mark.parametrize("regions", ["pair", "all"])
def test_corridor_model_on_two_workers_matches_serial_on_the_bundled_data(regions):
    from ecomap.corridors import model_corridors
    from ecomap.network import load_network

    net = load_network()
    serial = model_corridors(net, resolution=120.0, regions=regions)
    on_dask = model_corridors(net, resolution=120.0, regions=regions, workers=2)
    assert len(serial.paths) > 3
    assert np.array_equal(on_dask.effective_resistance.to_numpy(), serial.effective_resistance.to_numpy())
    assert np.array_equal(on_dask.current, serial.current, equal_nan=True)
    assert on_dask.paths["eff_resistance"].tolist() == serial.paths["eff_resistance"].tolist()


@pytest.mark.parametrize("regions", ["pair", "all"])
def test_each_worker_factors_once_however_many_tasks(cluster, regions):
    from ecomap.corridors import _workercache
    from ecomap.corridors.circuit import _pairwise

    _, client = cluster
    r, masks, pairs = _case()
    kw = {"pairs": pairs, "resistances": True, "regions": regions, "neighbours": 8, "average": "conductance",
          "solver": "auto", "tol": 1e-8, "max_memory": None, "progress": False}
    before = _workercache.builds()
    serial = _pairwise(r, masks, **kw)
    assert _workercache.builds() - before == 1  # the serial run: one task of each kind, one factor
    assert _workercache.drop() == 0  # and nothing kept after the run
    was = client.run(_workercache.builds)
    from distributed import get_task_stream

    with get_task_stream(client) as ts:
        got = _pairwise(r, masks, client=client, **kw)
    now = client.run(_workercache.builds)
    built = {w: now[w] - was[w] for w in now}
    ran = {t["worker"] for t in ts.data}
    tasks = sum(1 for t in ts.data if "_task" in t["key"])
    assert tasks >= 2 * len(now) > len(now)  # two tasks a worker (three workers here) ...
    assert all(built[w] == (1 if w in ran else 0) for w in now), built  # ... one factor a worker
    assert set(client.run(_workercache.drop).values()) == {0}  # the run dropped its factors
    assert np.array_equal(got[0], serial[0]) and np.array_equal(got[1], serial[1], equal_nan=True)


def test_corridor_model_runs_cost_distance_and_circuits_on_one_client(cluster):
    from distributed import get_task_stream

    from ecomap.corridors import model_corridors
    from ecomap.network import load_network

    _, client = cluster
    net = load_network()
    serial = model_corridors(net, resolution=120.0)
    with get_task_stream(client) as ts:
        on_dask = model_corridors(net, resolution=120.0, client=client)
    keys = " ".join(t["key"] for t in ts.data)
    assert "_distances_task" in keys and "_region_task" in keys  # both steps on the client's cluster
    assert np.array_equal(on_dask.effective_resistance.to_numpy(), serial.effective_resistance.to_numpy())
    assert np.array_equal(on_dask.current, serial.current, equal_nan=True)
    assert np.array_equal(on_dask.cost_distance, serial.cost_distance, equal_nan=True)
    with pytest.raises(InputError, match="not several"):
        model_corridors(net, resolution=120.0, client=client, workers=2)
