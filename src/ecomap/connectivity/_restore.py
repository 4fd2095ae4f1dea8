"""PC gained by restoring each left-out corridor alone, exactly, one source at a time.

Adding an edge u–v of length w to a graph changes no distance from a source s when
|d(s, u) − d(s, v)| ≤ w (triangle inequality: the new edge is no shortcut from s).
Otherwise the far end x gets d'(s, x) = d(s, near) + w < d(s, x), and only the nodes
whose distance strictly decreases change: a small Dijkstra from x that settles only those
(incremental single-source shortest paths after an edge insertion). So each source is run
once (a full Dijkstra), and for each candidate corridor only the pairs it improves are
visited; their gain a_s Σ_t a_t (p'_st − p_st) is added, then the touched entries reset.
A pair {s, t} brought nearer runs through the edge u -> v seen from one end and v -> u
from the other, so only the sources with d(s, u) + w < d(s, v) are run, counted twice.

The sources are cut into fixed batches (their number depends on n only) run on threads
(the kernel releases the GIL); the batches' sums are added in batch order, so the bits are
the same whatever the number of threads. :func:`restore_gains_full` is the former way
(one all-pairs Dijkstra per corridor), kept as the check of the tests and the benchmark.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from numba import njit
from scipy.sparse.csgraph import dijkstra

from ._common import MIN_LENGTH_M, pair_values
from ._dominators import _dijkstra, _pop, _push
from .graph import Graph
from .removal import BATCH_COUNT, BATCH_MIN, _csr, available_cores

__all__ = ["restore_gains", "restore_gains_full"]


@njit(cache=True)
def _insert(x, dx, dist, nd, touched, indptr, nbr, wt, hk, hv):
    """Distances once x is reached at ``dx`` < dist[x]: only nodes that strictly improve.

    ``nd`` equals ``dist`` outside the nodes listed in ``touched`` (returned count); it
    holds the new distances of those.
    """
    nd[x] = dx
    touched[0] = x
    cnt = 1
    size = _push(hk, hv, 0, dx, x)
    while size > 0:
        dz, z, size = _pop(hk, hv, size)
        if dz > nd[z]:
            continue
        for b in range(indptr[z], indptr[z + 1]):
            y = nbr[b]
            c = dz + wt[b]
            if c < nd[y]:
                if nd[y] == dist[y]:      # first improvement of y
                    touched[cnt] = y
                    cnt += 1
                nd[y] = c
                size = _push(hk, hv, size, c, y)
    return cnt


@njit(cache=True, nogil=True)
def restore_sums(sources, indptr, nbr, wt, a, cu, cv, cw, theta):
    """Σ over the given sources of a_s Σ_t a_t (p'_st − p_st) for each added edge alone.

    Parameters
    ----------
    sources : (b,) int64 array
        The source nodes of this batch.
    indptr, nbr, wt : arrays
        The undirected graph as CSR (lengths > 0).
    a : (n,) float array
        Node attributes.
    cu, cv : (k,) int64 arrays
        Ends of each candidate edge (different nodes).
    cw : (k,) float array
        Its length (> 0).
    theta : float
        θ of PC: p = exp(−θ d).

    Returns
    -------
    (k,) float array
        The gain of each candidate, summed over the sources (ordered pairs s, t).
    """
    n = len(indptr) - 1
    cap = 2 * len(nbr) + n + 1
    hk, hv = np.empty(cap), np.empty(cap, dtype=np.int64)
    dist, nd, vs = np.full(n, np.inf), np.full(n, np.inf), np.zeros(n)
    order, touched = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    gain = np.zeros(len(cu))
    for s in sources:
        cnt = _dijkstra(s, indptr, nbr, wt, dist, order, hk, hv)
        for r in range(cnt):
            x = order[r]
            nd[x] = dist[x]
            vs[x] = np.exp(-theta * dist[x])
        for c in range(len(cu)):
            # a pair {s, t} the edge brings nearer runs u -> v from one end and v -> u from
            # the other: counted twice from the end whose path runs u -> v (d_u + w < d_v)
            du, w = dist[cu[c]], cw[c]
            if du == np.inf or dist[cv[c]] - du <= w:
                continue
            k = _insert(cv[c], du + w, dist, nd, touched, indptr, nbr, wt, hk, hv)
            g = 0.0
            for i in range(k):
                t = touched[i]
                g += a[t] * (np.exp(-theta * nd[t]) - vs[t])
                nd[t] = dist[t]
            gain[c] += 2.0 * a[s] * g
        for r in range(cnt):
            x = order[r]
            dist[x] = np.inf
            nd[x] = np.inf
            vs[x] = 0.0
    return gain


def restore_gains(graph: Graph, u, v, w, *, theta: float, threads: int | None = None) -> np.ndarray:
    """PC_num with edge u–v of length w added, less PC_num without it, for each (u, v, w) alone.

    Parameters
    ----------
    graph : Graph
        The habitat graph without the candidates.
    u, v : (k,) int arrays
        Node positions of each candidate's ends (u ≠ v).
    w : (k,) float array
        Each candidate's distance (raised to ``MIN_LENGTH_M``). Where the pair already
        has a shorter edge the gain is 0; a longer one is superseded (the minimum counts).
    theta : float
        θ = ln 2 / median dispersal distance.
    threads : int, optional
        Threads running the source batches (default: the cores this process may use).
        The result has the same bits for any number.

    Returns
    -------
    (k,) float array
        Σ_s Σ_t a_s a_t (p'_st − p_st), each ordered pair (s, t) once; at least 0.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.maximum(np.asarray(w, dtype=float), MIN_LENGTH_M)
    n = graph.n
    if n == 0 or len(u) == 0:
        return np.zeros(len(u))
    perm, new, indptr, nbr, wt, _ = _csr(graph, weighted=True)
    args = (indptr, nbr, wt, graph.attribute[perm], new[u], new[v], w, float(theta))
    step = max(BATCH_MIN, -(-n // BATCH_COUNT))   # depends on n only: the same sums for any thread count
    batches = [np.arange(lo, min(lo + step, n), dtype=np.int64) for lo in range(0, n, step)]
    threads = max(1, min(threads or available_cores(), len(batches)))
    total = np.zeros(len(u))
    with ThreadPoolExecutor(threads) as pool:
        for part in pool.map(lambda b: restore_sums(b, *args), batches):   # results in batch order
            total = total + part
    return total


def restore_gains_full(graph: Graph, u, v, w, *, theta: float) -> np.ndarray:
    """:func:`restore_gains` by recomputing PC_num with each candidate added (one all-pairs run each).

    Parameters
    ----------
    graph : Graph
        The habitat graph without the candidates.
    u, v : (k,) int arrays
        Node positions of each candidate's ends.
    w : (k,) float array
        Each candidate's distance.
    theta : float
        θ = ln 2 / median dispersal distance.

    Returns
    -------
    (k,) float array
        PC_num with the candidate less PC_num without it (both recomputed).
    """
    num = pc_num(graph, theta)
    out = np.empty(len(u))
    for i, (a, b, d) in enumerate(zip(u, v, w, strict=True)):
        a, b = sorted((int(a), int(b)))
        edges = pd.concat([graph.edges, pd.DataFrame({"u": [a], "v": [b], "distance": [max(d, MIN_LENGTH_M)]})],
                          ignore_index=True).groupby(["u", "v"], as_index=False)["distance"].min()
        out[i] = pc_num(Graph(graph.nodes, graph.links, edges), theta) - num
    return out


def pc_num(graph: Graph, theta: float, cells: int = 2_000_000) -> float:
    """Σ Σ a_i a_j p*_ij by scipy's Dijkstra, a few sources at a time (about ``cells`` pair values).

    Parameters
    ----------
    graph : Graph
        The habitat graph.
    theta : float
        θ = ln 2 / median dispersal distance.
    cells : int, default 2_000_000
        Pair values held at once.

    Returns
    -------
    float
        PC_num (km⁴).
    """
    a, n = graph.attribute, graph.n
    mat = graph.matrix()
    step = max(1, cells // max(n, 1))
    total = 0.0
    for start in range(0, n, step):
        rows = np.arange(start, min(n, start + step))
        total += float(a[rows] @ pair_values(dijkstra(mat, directed=False, indices=rows), kind="pc", theta=theta) @ a)
    return total
