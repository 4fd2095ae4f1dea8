"""The removal kernel's fast paths: threads (same bits for any count), breadth-first re-runs, edges from nodes."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from ecomap import connectivity as cn
from ecomap.connectivity import removal


def spatial_graph(n: int, seed: int, *, ties: bool) -> cn.Graph:
    """n patches, each linked to its 4 nearest; lengths rounded to 100 m (many ties) or not."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20_000, (n, 2))
    pairs = {(min(i, j), max(i, j)) for i in range(n)
             for j in np.argsort(np.hypot(*(xy - xy[i]).T))[1:5]}
    length = np.array([math.hypot(*(xy[u] - xy[v])) for u, v in sorted(pairs)])
    if ties:
        length = np.maximum(np.round(length, -2), 100.0)
    links = [(f"L{k}", u, v, float(d)) for k, ((u, v), d) in enumerate(zip(sorted(pairs), length, strict=True))]
    return cn.Graph.from_links(rng.uniform(0.1, 2, n), links)


@pytest.mark.parametrize("kind", ["iic", "pc"])
def test_thread_count_does_not_change_a_bit(kind):
    g = spatial_graph(300, 0, ties=True)
    runs = [removal.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1500.0, threads=t)
            for t in (1, 2, 5)]
    assert len(range(0, g.n, max(removal.BATCH_MIN, -(-g.n // removal.BATCH_COUNT)))) > 5   # several batches
    for r in runs[1:]:
        assert r.num == runs[0].num
        assert np.array_equal(r.nodes.to_numpy(), runs[0].nodes.to_numpy())
        assert np.array_equal(r.links.to_numpy(), runs[0].links.to_numpy())


@pytest.mark.parametrize("kind", ["iic", "pc"])
def test_batches_sum_to_one_sequential_run(kind, monkeypatch):
    """Fixed batches on threads against every source in one batch (one sum in source order)."""
    g = spatial_graph(200, 1, ties=False)
    r = removal.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1500.0, threads=2)
    monkeypatch.setattr(removal, "BATCH_MIN", 10 ** 9)
    one = removal.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1500.0, threads=1)
    assert r.num == pytest.approx(one.num, rel=1e-13)
    assert np.allclose(r.nodes.to_numpy(), one.nodes.to_numpy(), rtol=1e-12, atol=1e-12)
    assert np.allclose(r.links.to_numpy(), one.links.to_numpy(), rtol=1e-12, atol=1e-12)


def test_available_cores_is_the_affinity():
    assert 1 <= removal.available_cores() <= len(os.sched_getaffinity(0))


def lattice(side: int, seed: int) -> cn.Graph:
    """A side × side grid with a fifth of its links missing: deep dominator trees, many seeds per re-run."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    pairs = np.r_[np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()], np.c_[idx[:-1].ravel(), idx[1:].ravel()]]
    pairs = pairs[rng.random(len(pairs)) > 0.2]
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]   # link k is graph edge k
    length = rng.choice([300.0, 400.0, 500.0], len(pairs))   # ties in PC too
    links = [(f"L{k}", int(u), int(v), float(d)) for k, ((u, v), d) in enumerate(zip(pairs, length, strict=True))]
    return cn.Graph.from_links(rng.uniform(0.1, 2, side * side), links)


@pytest.mark.parametrize("kind", ["iic", "pc"])
def test_every_removal_on_a_lattice_matches_recomputing_everything(kind):
    """Breadth-first re-runs (IIC, dozens of seeds: sorted, merged with a queue) and link losses
    worked out from the patch re-run (PC and IIC), against scipy after each removal."""
    from scipy.sparse.csgraph import dijkstra

    g = lattice(14, 3)
    theta = math.log(2) / 1000.0
    r = removal.removal_importance(g, kind=kind, landscape_area=100.0, median_dispersal_m=1000.0, threads=2)
    weighted = kind == "pc"
    a = g.attribute

    def num(mat, drop=None):
        d = dijkstra(mat, directed=False)
        v = 1 / (1 + d) if kind == "iic" else np.exp(-theta * d)
        aa = a.copy()
        if drop is not None:
            aa[drop] = 0
        return aa @ v @ aa

    base = num(g.matrix(weighted=weighted))
    assert r.num == pytest.approx(base, rel=1e-12)
    want = [100 * (base - num(g.matrix(weighted=weighted, drop_node=k), drop=k)) / base for k in range(g.n)]
    assert np.allclose(r.nodes["d"].to_numpy(), want, rtol=0, atol=1e-9)
    want = [100 * (base - num(g.matrix(weighted=weighted, edge_distance=(e, math.inf)))) / base
            for e in range(len(g.edges))]
    assert np.allclose(r.links.to_numpy(), want, rtol=0, atol=1e-9)


def test_breadth_first_rerun_equals_the_heap_rerun():
    """The same re-run with unit lengths by the queue merge and by the binary heap, from few and many seeds."""
    from ecomap.connectivity import _dominators as dom

    g = lattice(20, 5)
    n, u, v = g.n, g.edges["u"].to_numpy(), g.edges["v"].to_numpy()
    src, dst = np.r_[u, v], np.r_[v, u]
    order = np.lexsort((dst, src))
    indptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))].astype(np.int64)
    nbr, wt = dst[order].astype(np.int64), np.ones(len(order))
    dist, settle = np.full(n, np.inf), np.empty(n, dtype=np.int64)
    cnt = dom._bfs(210, indptr, nbr, dist, settle)
    cap = 2 * len(nbr) + n + 1
    most = 0
    for h in range(1, 12):
        # the re-run part: every node at h hops or more (a root first, removed); the ball keeps its distances
        inner = settle[:cnt][dist[settle[:cnt]] >= h]
        pre = np.full(n, -1, dtype=np.int64)
        pre[inner] = np.arange(len(inner))
        size = np.zeros(n, dtype=np.int64)
        size[inner[0]] = len(inner)
        seeds = sum(any(pre[y] < 0 and np.isfinite(dist[y]) for y in nbr[indptr[z]:indptr[z + 1]]) for z in inner[1:])
        most = max(most, seeds)
        out = []
        for unit in (True, False):
            nd = np.full(n, -1.0)
            dom._rerun(inner[0], pre, size, inner.astype(np.int64), dist, indptr, nbr, wt, nd, np.empty(cap),
                       np.empty(cap, dtype=np.int64), np.empty(n, dtype=np.int64), unit)
            out.append(nd[inner[1:]])
        assert np.array_equal(out[0], out[1])
        assert np.isfinite(out[0]).any()
    assert most > 24   # the sorted (not insertion-sorted) seeds ran too


def test_removal_work_on_a_chain_counted_by_hand():
    """0-1-2-3: depths 1+2+3 from each end, 1+1+2 from each middle; subtrees re-run 2+1, 1, 1, 2+1."""
    g = cn.Graph.from_links([1.0] * 4, [("a", 0, 1, 100.0), ("b", 1, 2, 100.0), ("c", 2, 3, 100.0)])
    for kind in ("iic", "pc"):
        w = removal.removal_work(g, kind=kind)
        assert w == {"pairs": 12, "mean_depth": 20 / 12, "subtree_sum": 20, "rerun_nodes": 8, "reruns": 6}
