"""The corridor model's circuit step, serial against 2 dask.distributed workers, on the district.

On the bundled district at 60 m and 30 m with the bundled sources topped up to ``--sources``
(as ``bench_regions.py``), the pairwise loop the corridor model runs (``circuit._pairwise``:
effective resistance between every pair of sources, and the cumulative current over every pair,
1 A each) runs twice in the same run for each region rule: serially in this process, and
through a ``client`` of a ``LocalCluster`` of 2 worker processes with one thread each (started
before, its start-up timed apart). Measured: wall time, CPU time (this process plus the
workers', from ``psutil``), whether the matrices and current maps are the same bits (they
must), and how many circuit states (factorisations) the workers built (``_workercache``; "?"
for a tree without it). The machine may be shared: quote the ratios of one run.

Run: ``.venv/bin/python benchmarks/bench_dask_circuit.py [--resolutions 60,30] [--sources 20]``;
an older tree with ``PYTHONPATH=old/src`` (this script and ``bench_corridors.py`` work on both).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _worker_cpu() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def _timed(fn, client=None):
    """``fn()``'s result, wall seconds and CPU seconds (this process and the workers)."""
    before = sum(client.run(_worker_cpu).values()) if client is not None else 0.0
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    if client is not None:
        cpu += sum(client.run(_worker_cpu).values()) - before
    return out, wall, cpu


def _factorisations(client) -> int | None:
    """Circuit states built on the workers so far (None for a tree without ``_workercache``)."""
    try:
        from ecomap.corridors import _workercache
    except ImportError:
        return None
    return sum(client.run(_workercache.builds).values())


def run(resolution: float, n_sources: int, client) -> None:
    from bench_corridors import _sources  # run from benchmarks/

    from ecomap.corridors import make_grid, resistance_surface
    from ecomap.corridors.circuit import _pairwise
    from ecomap.network import load_network

    network = load_network()
    grid = make_grid(network.district, resolution)
    r, grid = resistance_surface(network, resolution=resolution, grid=grid)
    lab, _ = _sources(network, grid, r, n_sources)
    k = int(lab.max()) + 1
    masks = [lab == i for i in range(k)]
    pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    print(f"\n== {resolution:g} m: {int(np.isfinite(r).sum()):,} cells, {k} sources, {len(pairs)} pairs")
    print(f"{'regions':8} {'serial wall':>11} {'cpu':>7} {'2 workers wall':>14} {'cpu':>7} {'speed-up':>8} "
          f"{'cpu ratio':>9}  same bits  factors on workers")
    for regions in ("pair", "all"):
        kw = {"pairs": pairs, "resistances": True, "neighbours": 8, "average": "conductance", "solver": "auto",
              "tol": 1e-8, "max_memory": None, "progress": False, "regions": regions}
        (r1, c1), ws, cs = _timed(lambda kw=kw: _pairwise(r, masks, **kw))
        f0 = _factorisations(client)
        (r2, c2), wd, cd = _timed(lambda kw=kw: _pairwise(r, masks, client=client, **kw), client)
        f1 = _factorisations(client)
        same = np.array_equal(r1, r2) and np.array_equal(c1, c2, equal_nan=True)
        built = "?" if f0 is None else f1 - f0
        print(f"{regions:8} {ws:10.1f}s {cs:6.1f}s {wd:13.1f}s {cd:6.1f}s {ws / wd:7.2f}x {cs / cd:8.2f}x  "
              f"{same!s:9}  {built}")


def _cpu_with_children() -> float:
    """CPU seconds of this process and its ended children (a ``LocalCluster``'s workers, once closed)."""
    import resource

    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + c.ru_utime + c.ru_stime


def run_model(resolution: float) -> None:
    """``model_corridors`` serially and with ``workers=2`` (its own cluster, start-up included)."""
    from ecomap.corridors import model_corridors
    from ecomap.network import load_network

    net = load_network()
    model_corridors(net, resolution=4 * resolution)  # warm-up: lazy imports, compiled kernels
    print(f"\n== model_corridors at {resolution:g} m (regions='pair'), cluster start-up included")
    out = {}
    for name, kw in (("serial", {}), ("workers=2", {"workers": 2})):
        c0, w0 = _cpu_with_children(), time.perf_counter()
        out[name] = model_corridors(net, resolution=resolution, **kw)
        print(f"{name:10} wall {time.perf_counter() - w0:6.1f}s  cpu (with the workers) {_cpu_with_children() - c0:6.1f}s")
    a, b = out["serial"], out["workers=2"]
    print("same bits:", np.array_equal(a.current, b.current, equal_nan=True)
          and np.array_equal(a.effective_resistance.to_numpy(), b.effective_resistance.to_numpy()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--resolutions", default="60,30")
    p.add_argument("--sources", type=int, default=20)
    p.add_argument("--model", type=float, default=None, metavar="RES",
                   help="only time model_corridors at RES m, serial against workers=2")
    a = p.parse_args()
    if a.model is not None:
        run_model(a.model)
        return
    import logging

    from distributed import Client, LocalCluster

    t = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as lc, Client(lc) as client:
        print(f"LocalCluster of 2 workers started in {time.perf_counter() - t:.1f} s (not in the figures below)")
        for res in (float(x) for x in a.resolutions.split(",")):
            run(res, a.sources, client)


if __name__ == "__main__":
    main()
