"""Speed of the connectivity analysis, against a naive all-pairs recomputation in the same run.

Timed:

* the full run (``ecomap.connectivity.analyse``: graph, IIC, PC, dIIC/dPC of every patch with
  its fractions, dIIC/dPC of every corridor, betweenness, gravity, joins) on a generated
  network of ``--patches`` square patches and ``--links`` straight corridors between near
  neighbours, inside a boundary; and on the bundled data when it has patches and corridors;
* the removal importance alone (IIC and PC, patches and links) as ``analyse`` computes it:
  only the sources whose shortest paths can change are re-run, one side of each cut;
* the naive baseline: one scipy all-pairs Dijkstra of the whole graph per removed patch and per
  removed link, per index. Running it for all removals would take minutes, so it is timed on
  ``--sample`` patches and ``--sample`` links drawn at random and scaled to all of them; its
  values on that sample are checked against the fast ones.

Scaling (``--scale 100,1000,5000``): the removal step (IIC + PC), the betweenness and the full
``analyse`` at each size (links = 3 × patches), each size in its own subprocess so that its peak
RSS is its own; with ``--before OLD/src`` the same in another source tree (an older commit), in
the same run; printed with same-run ratios, the ratio between sizes and the fitted exponent
(time ∝ n^k, least squares over the sizes and between each two), and betweenness against
networkx's Brandes where that finishes.

Run: ``.venv/bin/python benchmarks/bench_connectivity.py [--patches 500] [--links 1500] [--sample 40]``
or ``.venv/bin/python benchmarks/bench_connectivity.py --scale 100,1000,5000 [--before /tmp/old/src]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from ecomap import connectivity as cn
from ecomap.io import default_data_dir
from ecomap.layers import empty_layer
from ecomap.network import Network, load_network

X0, Y0 = 536000.0, 2510000.0


def _frame(name: str, data: dict, geoms) -> gpd.GeoDataFrame:
    ids = data.pop("id")
    gdf = gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4547", index=range(len(ids)))
    gdf.index = pd.Index(ids, name="id")
    for c in empty_layer(name).columns:
        if c not in gdf.columns and c != "geometry":
            gdf[c] = None
    return gdf


def generated_network(n_patches: int, n_links: int, *, seed: int = 0) -> Network:
    """Square patches scattered over a square landscape; corridors join near neighbours."""
    rng = np.random.default_rng(seed)
    side = math.sqrt(n_patches) * 1500.0
    xy = rng.uniform(0, side, (n_patches, 2))
    sizes = rng.uniform(80, 400, n_patches)
    patches = _frame("patches", {
        "id": [f"P{i:04d}" for i in range(n_patches)], "kind": "core", "quality": rng.uniform(0.5, 1, n_patches),
        "source": "generated", "confidence": "synthetic",
    }, shapely.box(X0 + xy[:, 0], Y0 + xy[:, 1], X0 + xy[:, 0] + sizes, Y0 + xy[:, 1] + sizes))
    _, idx = cKDTree(xy).query(xy, k=12)
    pairs = np.sort(np.c_[np.repeat(np.arange(n_patches), 11), idx[:, 1:].ravel()], axis=1)
    pairs = np.unique(pairs, axis=0)
    d = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
    pairs = pairs[np.argsort(d)][:n_links]
    c = xy + sizes[:, None] / 2
    lines = shapely.linestrings(np.stack([c[pairs[:, 0]], c[pairs[:, 1]]], axis=1) + [X0, Y0])
    corridors = _frame("corridors", {
        "id": [f"C{k:04d}" for k in range(len(pairs))], "width_m": 60.0, "kind": "green",
        "from_id": [f"P{i:04d}" for i in pairs[:, 0]], "to_id": [f"P{j:04d}" for j in pairs[:, 1]],
        "status": "existing", "source": "generated", "confidence": "synthetic",
    }, lines)
    boundary = _frame("boundary", {"id": ["B"], "adcode": "440310", "source": "generated",
                                   "confidence": "synthetic"},
                      [shapely.box(X0 - 500, Y0 - 500, X0 + side + 900, Y0 + side + 900)])
    return Network({"patches": patches, "corridors": corridors, "boundary": boundary})


def naive_losses(graph: cn.Graph, *, kind: str, median: float, nodes, edges) -> tuple[dict, dict]:
    """dI of the sampled nodes and edges by recomputing every pair after each removal."""
    weighted = kind == "pc"
    theta = math.log(2) / median
    a = graph.attribute

    def num(mat, drop=None) -> float:
        d = dijkstra(mat, directed=False)
        v = 1 / (1 + d) if kind == "iic" else np.exp(-theta * d)
        aa = a.copy()
        if drop is not None:
            aa[drop] = 0
        return float(aa @ v @ aa)

    base = num(graph.matrix(weighted=weighted))
    dn = {k: 100 * (base - num(graph.matrix(weighted=weighted, drop_node=k), drop=k)) / base for k in nodes}
    de = {e: 100 * (base - num(graph.matrix(weighted=weighted, edge_distance=(e, math.inf)))) / base
          for e in edges}
    return dn, de


def timed(fn, *args, repeat: int = 3, **kw):
    """Best wall time, best CPU time (process) and the result of ``repeat`` calls."""
    best, best_cpu, out = math.inf, math.inf, None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, best_cpu, out


def _one_size(n: int, networkx_too: bool) -> dict:
    """Time ``analyse`` on n patches and 3n links, and inside it the removal step and betweenness (in a child).

    ``analyse`` runs once; the removal step (``removal_importance``, IIC and PC) and
    ``betweenness`` are timed where it calls them, and the peak RSS is read right after the
    removal step (so far: the graph and that step) and at the end. Lines are printed as they
    come, so that a size stopped by its timeout still reports what finished.
    """
    import networkx as nx

    from ecomap.connectivity import analysis

    net = generated_network(n, 3 * n)
    out = {"n": n, "links": 0, "rm_cpu": 0.0, "rm_wall": 0.0, "bc_cpu": 0.0, "bc_wall": 0.0}

    def timed_step(fn, key):
        def run(*args, **kw):
            t0, c0 = time.perf_counter(), time.process_time()
            res = fn(*args, **kw)
            out[f"{key}_wall"] += time.perf_counter() - t0
            out[f"{key}_cpu"] += time.process_time() - c0
            out[f"{key}_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if key == "rm":
                out["links"] = len(args[0].edges)
                out["rm_calls"] = out.get("rm_calls", 0) + 1
                if out["rm_calls"] == 2:
                    print(json.dumps(out), flush=True)
            return res
        return run

    steps = {"removal_importance": analysis.removal_importance, "betweenness": analysis.betweenness}
    analysis.removal_importance = timed_step(steps["removal_importance"], "rm")
    analysis.betweenness = timed_step(steps["betweenness"], "bc")
    try:
        t, c, _ = timed(cn.analyse, net, repeat=1)
    finally:
        analysis.removal_importance, analysis.betweenness = steps.values()
    out["wall"], out["cpu"] = t, c
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out), flush=True)
    try:   # the work floor: Σ dominator-subtree sizes (a source tree that has the diagnostic)
        from ecomap.connectivity.removal import removal_work
    except ImportError:
        removal_work = None
    if removal_work is not None:
        graph = cn.build_graph(net)
        for kind in ("iic", "pc"):
            out[f"work_{kind}"] = removal_work(graph, kind=kind)
        print(json.dumps(out), flush=True)
    if networkx_too:   # last: its dictionaries would count in analyse's peak RSS
        graph = cn.build_graph(net)
        g = nx.Graph()
        g.add_nodes_from(range(graph.n))
        g.add_weighted_edges_from(graph.edges[["u", "v", "distance"]].itertuples(index=False, name=None))
        t0, c0 = time.perf_counter(), time.process_time()
        nx.betweenness_centrality(g, weight="weight")
        nx.edge_betweenness_centrality(g, weight="weight")
        out["nx_wall"], out["nx_cpu"] = time.perf_counter() - t0, time.process_time() - c0
    return out


def _exponent(ns, ts) -> float:
    """k of t ∝ n^k, least squares in log-log."""
    return float(np.polyfit(np.log(ns), np.log(ts), 1)[0])


def _run_size(n: int, src: str | None, networkx_too: bool, timeout: float) -> dict | None:
    """One size in a subprocess (``src``: another source tree on PYTHONPATH); None if nothing finished."""
    env = {**os.environ, "PYTHONPATH": src} if src else None
    cmd = [sys.executable, __file__, "--one", str(n), "--nx", str(int(networkx_too))]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=timeout, env=env)
        lines = res.stdout
    except subprocess.TimeoutExpired as exc:
        lines = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    except subprocess.CalledProcessError as exc:
        print(f"  {n:>6} patches: failed\n{exc.stderr[-2000:]}")
        return None
    rows = [json.loads(x) for x in lines.strip().splitlines() if x.startswith("{")]
    return rows[-1] if rows else None


def _fmt(r: dict | None, timeout: float) -> str:
    if r is None:
        return f"removal step not finished in {timeout:.0f} s"
    rm = f"removal step {r['rm_wall']:.2f} s wall / {r['rm_cpu']:.2f} s CPU, peak RSS {r['rm_peak_mb']:.0f} MB"
    if "cpu" not in r:
        return f"{rm}; analyse not finished in {timeout:.0f} s"
    for kind in ("iic", "pc"):
        if f"work_{kind}" in r:
            w = r[f"work_{kind}"]
            rm += (f"; {kind.upper()} mean dominator depth {w['mean_depth']:.1f}, Σ subtree sizes "
                   f"{w['subtree_sum'] / 1e6:.1f} M = {w['subtree_sum'] / r['n'] ** 2:.1f} n², "
                   f"{w['reruns'] / 1e6:.2f} M re-runs of {w['rerun_nodes'] / 1e6:.1f} M nodes")
    nx_part = f", networkx {r['nx_cpu']:.2f} s" if "nx_cpu" in r else ""
    return (f"{rm}; analyse {r['wall']:.2f} s wall / {r['cpu']:.2f} s CPU, peak RSS {r['peak_mb']:.0f} MB; "
            f"betweenness {r['bc_cpu']:.2f} s CPU{nx_part}")


def _exponents(label: str, rows: list[dict]) -> None:
    for key, what in (("rm_wall", "removal wall"), ("rm_cpu", "removal CPU"), ("rm_peak_mb", "removal peak RSS"), ("cpu", "analyse CPU"),
                      ("peak_mb", "analyse peak RSS"), ("bc_cpu", "betweenness CPU")):
        pts = [(r["n"], r[key]) for r in rows if r is not None and key in r]
        if len(pts) < 2:
            continue
        ns, vals = zip(*pts, strict=True)
        steps = ", ".join(f"{a}->{b}: {vb / va:.1f}x (n^{math.log(vb / va) / math.log(b / a):.2f})"
                          for a, b, va, vb in zip(ns, ns[1:], vals, vals[1:], strict=False))
        print(f"{label} {what}: fitted exponent {_exponent(ns, vals):.2f}; {steps}")


def scaling(sizes: list[int], networkx_up_to: int, timeout: float = 1800.0, before: str | None = None,
            before_timeout: float = 600.0) -> None:
    """Run every size in a subprocess (and with ``before``, the older source tree too).

    Prints times, peak RSS, same-run ratios and fitted exponents.
    """
    runs = {"after": []}
    if before:
        runs["before"] = []
    for n in sizes:
        r = _run_size(n, None, n <= networkx_up_to, timeout)
        runs["after"].append(r)
        print(f"  {n:>6} patches, after:  {_fmt(r, timeout)}", flush=True)
        if before:
            b = _run_size(n, before, False, before_timeout)
            runs["before"].append(b)
            ratio = ""
            if b is not None and r is not None:
                ratio = (f" -> removal step {b['rm_wall'] / r['rm_wall']:.1f}x wall, "
                         f"{b['rm_cpu'] / r['rm_cpu']:.1f}x CPU")
                if "cpu" in b and "cpu" in r:
                    ratio += f", analyse {b['cpu'] / r['cpu']:.1f}x CPU, {b['peak_mb'] / r['peak_mb']:.1f}x RSS"
            print(f"  {n:>6} patches, before: {_fmt(b, before_timeout)}{ratio}", flush=True)
    for label, rows in runs.items():
        _exponents(label, rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", help="comma-separated patch counts, e.g. 100,1000,5000")
    ap.add_argument("--networkx-up-to", type=int, default=1000, help="largest size also timed with networkx")
    ap.add_argument("--size-timeout", type=float, default=1800.0, help="seconds one size may take (scaling)")
    ap.add_argument("--before", help="an older source tree (its src/ directory) timed the same way, e.g. "
                    "from `git archive <commit> src | tar -x -C /tmp/old`")
    ap.add_argument("--before-timeout", type=float, default=600.0, help="seconds one size may take (before)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--nx", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--patches", type=int, default=500)
    ap.add_argument("--links", type=int, default=1500)
    ap.add_argument("--sample", type=int, default=40, help="removals per kind timed for the naive baseline")
    ap.add_argument("--median", type=float, default=cn.DEFAULT_MEDIAN_DISPERSAL_M)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(_one_size(args.one, bool(args.nx))))
        return
    if args.scale:
        scaling([int(x) for x in args.scale.split(",")], args.networkx_up_to, args.size_timeout,
                before=args.before, before_timeout=args.before_timeout)
        return

    net = generated_network(args.patches, args.links)
    graph = cn.build_graph(net)
    print(f"generated network: {graph.n} patches, {len(graph.links)} corridors, {len(graph.edges)} graph edges")
    area = float(net.boundary.area.sum()) / 1e6

    t_full, c_full, result = timed(cn.analyse, net, median_dispersal=args.median, repeat=3)
    print(f"full run (analyse, with joins and betweenness): {t_full:.3f} s wall, {c_full:.3f} s CPU "
          f"(target: under 1 s; CPU time is less disturbed by other work on a shared machine)")

    t_iic, c_iic, r_iic = timed(cn.removal_importance, graph, kind="iic", landscape_area=area)
    t_pc, c_pc, r_pc = timed(cn.removal_importance, graph, kind="pc", landscape_area=area,
                             median_dispersal_m=args.median)
    t_bc, c_bc, _ = timed(cn.betweenness, graph, repeat=1)
    print(f"  removal importance IIC {t_iic:.3f} s wall / {c_iic:.3f} s CPU, PC {t_pc:.3f} / {c_pc:.3f}; "
          f"betweenness {t_bc:.3f} / {c_bc:.3f}")

    rng = np.random.default_rng(1)
    nodes = rng.choice(graph.n, min(args.sample, graph.n), replace=False)
    edges = rng.choice(len(graph.edges), min(args.sample, len(graph.edges)), replace=False)
    t_naive, c_naive = {}, {}
    scale = (graph.n + len(graph.edges)) / (len(nodes) + len(edges))
    for kind, fast in (("iic", r_iic), ("pc", r_pc)):
        t0, c0 = time.perf_counter(), time.process_time()
        dn, de = naive_losses(graph, kind=kind, median=args.median, nodes=nodes, edges=edges)
        t, c = time.perf_counter() - t0, time.process_time() - c0
        t_naive[kind], c_naive[kind] = t * scale, c * scale
        # the same numbers, two ways
        got_n = fast.nodes["d"].to_numpy()[nodes]
        assert np.allclose(got_n, [dn[k] for k in nodes], atol=1e-8), kind
        link_of_edge = graph.links.reset_index().merge(graph.edges.reset_index(names="e"), on=["u", "v"])
        single = link_of_edge.groupby("e")["id"].transform("size") == 1
        check = link_of_edge[single & link_of_edge["e"].isin(edges)]
        assert np.allclose(fast.links[check["id"]].to_numpy(), [de[e] for e in check["e"]], atol=1e-8), kind
        print(f"  naive {kind.upper()}: {t:.2f} s wall / {c:.2f} s CPU for {len(nodes)} + {len(edges)} removals "
              f"-> {t_naive[kind]:.1f} s / {c_naive[kind]:.1f} s for all {graph.n + len(graph.edges)} "
              "(values agree)")
    naive_wall = t_naive["iic"] + t_naive["pc"]
    naive_cpu = c_naive["iic"] + c_naive["pc"]
    print("ratios against the naive removal step (IIC + PC) of this run, wall / CPU:")
    print(f"  removal importance IIC + PC: {naive_wall / (t_iic + t_pc):.1f}x / "
          f"{naive_cpu / (c_iic + c_pc):.1f}x faster")
    print(f"  full run: {naive_wall / t_full:.1f}x / {naive_cpu / c_full:.1f}x faster "
          f"(the full run takes {t_full / naive_wall:.4f} / {c_full / naive_cpu:.4f} of the naive removal step)")
    print(f"IIC {result.summary['iic']:.4g}, PC {result.summary['pc']:.4g}, "
          f"{result.summary['components']} component(s)")

    data = default_data_dir()
    try:
        bundled = load_network(data)
    except Exception as exc:  # the bundled data may be incomplete while it is being written
        print(f"bundled data: not loadable ({str(exc).splitlines()[0]})")
        return
    if bundled.patches.empty or bundled.corridors.empty:
        print(f"bundled data ({data}): no patches or corridors yet")
        return
    t_b, c_b, rb = timed(cn.analyse, bundled, repeat=3)
    g = rb.graph
    print(f"bundled data: {g.n} patches, {len(g.links)} corridor links: full run {t_b:.3f} s wall, "
          f"{c_b:.3f} s CPU")


if __name__ == "__main__":
    main()
