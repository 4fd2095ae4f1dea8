"""Speed of restore_dPC (PC gained by restoring each left-out corridor alone), old against new in one run.

On the generated network of ``bench_connectivity`` (n patches, 3n corridors between near
neighbours), a share ``--planned`` of the corridors (drawn at random) is marked planned and
left out of the graph, as ``analyse(exclude_status=...)`` does; then:

* new: :func:`ecomap.connectivity._restore.restore_gains`, one Dijkstra per source and,
  per corridor, only the nodes whose distance falls (on 1 thread, and on every core);
* old: one scipy all-pairs Dijkstra per corridor (:func:`restore_gains_full`, the former
  ``_restore_gain``). At these sizes that takes many minutes, so it is timed on
  ``--sample`` corridors and scaled to all of them (less the one base PC_num it also
  runs); its values on that sample are checked against the new ones.

Printed per size: the times, the same-run ratio old / new, and the fitted exponents
(time ∝ n^k, least squares over the sizes).

Run: ``.venv/bin/python benchmarks/bench_restore.py [--scale 1000,2000,5000] [--planned 0.1] [--sample 4]``
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_connectivity import generated_network, timed  # noqa: E402

from ecomap import connectivity as cn  # noqa: E402
from ecomap.connectivity._restore import pc_num, restore_gains, restore_gains_full  # noqa: E402
from ecomap.connectivity.graph import build_graph  # noqa: E402
from ecomap.connectivity.removal import available_cores  # noqa: E402


def _case(n: int, share: float, seed: int = 0):
    """The graph without the planned corridors and the planned ones as (u, v, w) node positions."""
    net = generated_network(n, 3 * n, seed=seed)
    c = net.corridors.copy()
    rng = np.random.default_rng(seed + 1)
    planned = rng.random(len(c)) < share
    c.loc[planned, "status"] = "planned"
    net = net.replace(corridors=c)
    g = build_graph(net, exclude_status=("planned",))
    pos = pd.Series(np.arange(g.n), index=g.nodes.index)
    u = pos.reindex(c["from_id"][planned].astype(str)).to_numpy(dtype=np.int64)
    v = pos.reindex(c["to_id"][planned].astype(str)).to_numpy(dtype=np.int64)
    w = c.geometry[planned].length.to_numpy()
    return g, u, v, w


def _one(n: int, share: float, sample: int, theta: float) -> dict:
    g, u, v, w = _case(n, share)
    k = len(u)
    t1, c1, new = timed(restore_gains, g, u, v, w, theta=theta, threads=1, repeat=2)
    tp, _, newp = timed(restore_gains, g, u, v, w, theta=theta, repeat=2)
    assert np.array_equal(new, newp)
    pick = np.random.default_rng(2).choice(k, size=min(sample, k), replace=False)
    tb, cb, num = timed(pc_num, g, theta, repeat=1)
    ts, cs, old = timed(restore_gains_full, g, u[pick], v[pick], w[pick], theta=theta, repeat=1)
    err = float(np.max(np.abs(old - new[pick])) / num)
    return {"n": g.n, "m": len(g.edges), "k": k, "new1": t1, "new1_cpu": c1, "newp": tp,
            "old": max(ts - tb, 0.0) / len(pick) * k, "old_cpu": max(cs - cb, 0.0) / len(pick) * k,
            "err": err, "gain_pos": int((new > 0).sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="1000,2000,5000", help="comma-separated patch counts")
    ap.add_argument("--planned", type=float, default=0.1, help="share of the corridors marked planned")
    ap.add_argument("--sample", type=int, default=4, help="corridors timed with the old recomputation")
    ap.add_argument("--median", type=float, default=cn.DEFAULT_MEDIAN_DISPERSAL_M)
    args = ap.parse_args()
    theta = math.log(2) / args.median
    restore_gains(*_case(50, 0.2)[:1], [0], [1], [100.0], theta=theta)     # compile / load the kernel
    cores = available_cores()
    print(f"restore_dPC, {args.planned:.0%} of the corridors planned; old timed on {args.sample} of them "
          f"and scaled; {cores} cores")
    print("wall / CPU seconds; ratios old / new on 1 thread")
    print(f"{'patches':>8} {'edges':>7} {'planned':>8} {'new 1 thr':>14} {f'new {cores} thr':>10} "
          f"{'old (est.)':>16} {'wall ratio':>10} {'CPU ratio':>9} {'max |Δ|/PC_num':>15} {'gain > 0':>9}")
    rows = []
    for n in (int(x) for x in args.scale.split(",")):
        r = _one(n, args.planned, args.sample, theta)
        rows.append(r)
        print(f"{r['n']:>8} {r['m']:>7} {r['k']:>8} {r['new1']:>6.2f}/{r['new1_cpu']:>6.2f}s {r['newp']:>9.2f}s "
              f"{r['old']:>7.0f}/{r['old_cpu']:>7.0f}s {r['old'] / r['new1']:>9.0f}× "
              f"{r['old_cpu'] / r['new1_cpu']:>8.0f}× {r['err']:>15.1e} {r['gain_pos']:>9}", flush=True)
    if len(rows) > 1:
        ns = [r["n"] for r in rows]
        for key, label in (("new1", "new, 1 thread, wall"), ("new1_cpu", "new, 1 thread, CPU"),
                           ("newp", f"new, {cores} threads, wall"), ("old", "old (est.), wall"),
                           ("old_cpu", "old (est.), CPU")):
            k = float(np.polyfit(np.log(ns), np.log([r[key] for r in rows]), 1)[0])
            print(f"exponent {label}: t ∝ n^{k:.2f}")


if __name__ == "__main__":
    main()
