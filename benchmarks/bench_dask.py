"""Omniscape's moving windows, serial against 2 dask.distributed workers, on 1, 4 and 16 districts.

A synthetic resistance surface at 30 m (a smooth log-normal field with roads of resistance 100)
of 1, 4 and 16 times Pingshan District's area (168 km2: 187 000 cells) is written to a GeoTIFF,
and ``run_omniscape_files`` (the path ``ecomap omniscape`` takes) runs on it twice in the same
run: serially in a fresh process, and on a fresh ``LocalCluster`` of 2 worker processes with one
thread each. Measured: wall time, cells per second, the peak resident memory of each process
(``ru_maxrss``: the serial process, each Dask worker) against the up-front estimate, and whether
the two runs wrote the same bytes (they must). Also timed: one window's solve at radius 10, 20
and 30 cells (for the projection to other radii). The figures to quote are the ratios, measured
in the same run, on a machine that may be shared.

The defaults (radius 10 cells = 300 m, block size 15 cells, tiles of 256 cells) keep the run to
minutes on 2 cores; Omniscape.jl's guidance is a block size near a tenth of the radius, so the
block here is coarse (fewer windows, each as large as a finer run's).

Run: ``.venv/bin/python benchmarks/bench_dask.py [--scales 1,4,16] [--radius 10] [--block-size 15]
[--tile-size 256]``
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DISTRICT_CELLS_30M = 168e6 / 900  # Pingshan District, 168 km2 at 30 m


def _peak_rss() -> int:
    """Peak resident memory of this process in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _cpu() -> float:
    """CPU seconds this process has used (user + system)."""
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def _warm() -> None:
    """Import what a task needs, as a long-running cluster's workers already have."""
    import rasterio  # noqa: F401

    import ecomap.corridors._tiles  # noqa: F401


def _surface(path: Path, side: int, seed: int = 0) -> None:
    import rasterio
    from rasterio.transform import from_origin
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(rng.standard_normal((side, side)), 6)
    r = np.exp(field / field.std())
    r[::97, :] = 100.0  # roads every ~3 km
    r[:, ::131] = 100.0
    with rasterio.open(path, "w", driver="GTiff", height=side, width=side, count=1, dtype="float32",
                       crs="EPSG:4547", transform=from_origin(500000, 2530000, 30, 30), tiled=True,
                       blockxsize=256, blockysize=256, compress="deflate") as d:
        d.write(r.astype("float32"), 1)


def _serial_child(args, queue) -> None:
    from ecomap.corridors import run_omniscape_files

    t, c = time.perf_counter(), _cpu()
    run_omniscape_files(*args[:2], **args[2])
    queue.put((time.perf_counter() - t, _peak_rss(), _cpu() - c))


def _serial(src, out, opts) -> tuple[float, int, float]:
    """Wall time, peak memory and CPU seconds of the serial run, in a fresh process."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_serial_child, args=((src, out, opts), q))
    p.start()
    got = q.get()
    p.join()
    return got


def _dask(src, out, opts, workers: int) -> tuple[float, list[int], float, float, float]:
    """Wall time, each worker's peak memory, the workers' CPU seconds, the start-up time, and busy share.

    The start-up (processes, imports) is excluded from the wall time: a running cluster has paid it.
    The busy share is the time the workers spent inside tasks (Dask's task stream) over workers x
    wall: how well the tiles keep the workers fed, whatever share of a core each one gets.
    """
    from distributed import Client, LocalCluster, get_task_stream

    from ecomap.corridors import run_omniscape_files

    t0 = time.perf_counter()
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=40) as lc, Client(lc) as c:
        c.run(_warm)
        start = time.perf_counter() - t0
        cpu0 = sum(c.run(_cpu).values())
        t = time.perf_counter()
        with get_task_stream(c) as ts:
            run_omniscape_files(src, out, client=c, **opts)
        wall = time.perf_counter() - t
        busy = sum(s["stop"] - s["start"] for d in ts.data for s in d["startstops"] if s["action"] == "compute")
        cpu = sum(c.run(_cpu).values()) - cpu0
        peaks = list(c.run(_peak_rss).values())
    return wall, peaks, cpu, start, busy / (workers * wall)


def _digest(folder: Path) -> str:
    import rasterio

    h = hashlib.sha256()
    for f in sorted(folder.glob("*.tif")):
        with rasterio.open(f) as d:
            h.update(d.read(1).tobytes())
    return h.hexdigest()[:12]


def _estimate(side: int, opts: dict, workers: int) -> int:
    from ecomap.corridors._tiles import held_parts, worker_memory
    from ecomap.corridors.omniscape import _grid, _params

    params = _params((side, side), radius=opts["radius"], block_size=opts["block_size"])
    grid = _grid((side, side), opts["tile_size"], params.setup)
    return int(sum(worker_memory(grid, params.setup.reach, flow_potential=True,
                                 held=held_parts(grid, workers)).values()) * 1.25)


def _window_times(radii) -> dict[int, float]:
    """CPU seconds for one window (its two solves: current and flow potential) at each radius."""
    from ecomap.corridors._window import _Setup, _solve_target

    out = {}
    rng = np.random.default_rng(1)
    for rad in radii:
        side = 2 * rad + 1
        cond = 1.0 / rng.lognormal(0.0, 1.0, (side, side))
        st = _Setup(rad, 0, 1, (side, side), 8)
        best = np.inf
        for _ in range(3):
            cum, fp = np.zeros((side, side)), np.zeros((side, side))
            t = time.process_time()  # CPU time: the machine may be shared
            _solve_target(rad, rad, 1.0, cond, np.ones((side, side)), st, None, cum, fp)
            best = min(best, time.process_time() - t)
        out[rad] = best
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default="1,4,16")
    ap.add_argument("--radius", type=int, default=10)
    ap.add_argument("--block-size", type=int, default=15)
    ap.add_argument("--tile-size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    opts = {"radius": a.radius, "block_size": a.block_size, "tile_size": a.tile_size}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        for k in (int(s) for s in a.scales.split(",")):
            side = int(round(np.sqrt(k * DISTRICT_CELLS_30M)))
            src = Path(tmp) / f"r{k}.tif"
            _surface(src, side)
            ws, ps, cs = _serial(src, Path(tmp) / f"s{k}", opts)
            wd, pd, cd, start, busy = _dask(src, Path(tmp) / f"d{k}", opts, a.workers)
            same = _digest(Path(tmp) / f"s{k}") == _digest(Path(tmp) / f"d{k}")
            n = side * side
            rows.append((k, n, ws, wd, ps, max(pd), _estimate(side, opts, a.workers), start, same, cs, cd))
            print(f"{k:>3} x district: {side}x{side} = {n:,} cells\n"
                  f"    serial     {ws:7.1f} s wall, {cs:7.1f} CPU s; {n / ws:,.0f} cells/s, {n / cs:,.0f} cells/CPU s; "
                  f"peak {ps / 2**20:,.0f} MiB\n"
                  f"    {a.workers} workers  {wd:7.1f} s wall, {cd:7.1f} CPU s; {n / wd:,.0f} cells/s, "
                  f"{n / cd:,.0f} cells/CPU s; peak {max(pd) / 2**20:,.0f} MiB a worker (estimate "
                  f"{rows[-1][6] / 2**20:,.0f}); cluster start {start:.1f} s; workers busy {busy:.0%} of the wall time\n"
                  f"    speed-up {ws / wd:.2f} wall; CPU ratio (workers / serial) {cd / cs:.2f}; "
                  f"same bytes: {same}", flush=True)
    _report(rows, a, opts)


def _report(rows, a, opts) -> None:
    cells = np.array([r[1] for r in rows], float)
    for name, col in (("serial", 2), (f"{a.workers} workers", 3)):
        if len(rows) > 1:
            slope = np.polyfit(np.log(cells), np.log([r[col] for r in rows]), 1)[0]
            print(f"fitted exponent of wall time against cells, {name}: {slope:.2f}")
    print("speed-up (serial / workers) by scale: " + ", ".join(f"{r[0]}x {r[2] / r[3]:.2f}" for r in rows))
    print("peak memory a worker by scale (MiB): " + ", ".join(f"{r[0]}x {r[5] / 2**20:,.0f}" for r in rows))
    wt = _window_times((10, 20, 30, 40))
    print("one window (both solves), CPU: " + ", ".join(f"radius {k}: {v * 1e3:.1f} ms" for k, v in wt.items()))
    m = {k: (2 * k + 1) ** 2 for k in wt}
    e = np.polyfit(np.log(list(m.values())), np.log(list(wt.values())), 1)[0]
    print(f"fitted exponent of one window's time against its cells: {e:.2f}")
    big = rows[-1]
    print(f"largest run: {big[1] / big[10]:,.0f} cells per worker CPU second, {big[1] / big[9]:,.0f} serial, "
          f"at radius {opts['radius']}, block {opts['block_size']}, tiles of {opts['tile_size']}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
