"""Shortest-path DAG helpers of betweenness (``indices``): arc arrays and Brandes in compiled code.

Arcs are numbered as the graph's edges both ways: arc ``e`` is ``u -> v`` and arc ``e + m``
is ``v -> u`` for edge ``e`` of ``m``.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from .graph import Graph

__all__ = ["arc_arrays", "brandes"]


def arc_arrays(graph: Graph, weighted: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tails, heads and lengths of the ``2 m`` arcs of a graph.

    Parameters
    ----------
    graph : Graph
        The graph.
    weighted : bool
        Edge distances as lengths; ``False`` gives 1 per arc.

    Returns
    -------
    src, dst : (2m,) int arrays
        Node positions.
    w : (2m,) float array
        Arc lengths.
    """
    u = graph.edges["u"].to_numpy(dtype=int)
    v = graph.edges["v"].to_numpy(dtype=int)
    w = graph.edges["distance"].to_numpy(dtype=float) if weighted else np.ones(len(u))
    # arc e: u->v, arc e + m: v->u
    return np.r_[u, v], np.r_[v, u], np.r_[w, w]


def brandes(n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, *, d: np.ndarray | None = None,
            batch_cells: int = 4_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Raw node and arc betweenness by Brandes' algorithm, ties counted, in compiled code.

    Sources are taken in batches. For each batch, scipy's Dijkstra gives the distances
    (or rows of ``d``); the shortest-path DAG of each source is the set of arcs with
    ``D[s, src] + w == D[s, dst]`` exactly, the comparison networkx makes, so ties are
    the same. Numbering every (source, node) by the node's rank in its source's distance
    order makes each DAG triangular, so the path counts σ (forward) and the dependencies
    δ (backward) of the whole batch are two sparse triangular solves (SuperLU), not a
    loop over paths. Memory is that of one batch, about ``batch_cells`` cells of
    sources × (nodes + arcs), plus ``d`` if given.

    Parameters
    ----------
    n : int
        The number of nodes.
    src, dst : (k,) int arrays
        Arc tails and heads (both directions of every undirected edge).
    w : (k,) float array
        Arc lengths, all above 0.
    d : (n, n) float array, optional
        All-pairs shortest-path lengths, if already computed (saves the Dijkstra runs).
    batch_cells : int, default 4,000,000
        Sources per batch × (n + k) at most (one source at least).

    Returns
    -------
    node : (n,) float array
        Σ over ordered source-target pairs of the share of shortest paths through each
        node (not normalized; an undirected pair counts twice).
    arc : (k,) float array
        The same per arc.

    References
    ----------
    Brandes, U. (2001). A faster algorithm for betweenness centrality. Journal of
    Mathematical Sociology 25(2):163-177.
    """
    from scipy.sparse.csgraph import dijkstra

    k = len(src)
    node_bc, arc_bc = np.zeros(n), np.zeros(k)
    if n == 0 or k == 0:
        return node_bc, arc_bc
    mat = csr_matrix((w, (src, dst)), shape=(n, n)) if d is None else None
    step = max(1, min(n, batch_cells // (n + k)))
    for start in range(0, n, step):
        sources = np.arange(start, min(n, start + step))
        rows = d[sources] if d is not None else dijkstra(mat, directed=True, indices=sources)
        nb, ab = _brandes_batch(rows, src, dst, w)
        node_bc += nb
        arc_bc += ab
    return node_bc, arc_bc


def _brandes_batch(d: np.ndarray, src: np.ndarray, dst: np.ndarray, w: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """One batch of :func:`brandes`: node and arc dependencies summed over the rows of ``d``."""
    from scipy.sparse.linalg import spsolve_triangular

    b, n = d.shape
    size = b * n
    dt = np.ascontiguousarray(d.T)            # (n, b): an arc's rows are gathered whole
    ds = dt[src]
    ds += w[:, None]
    on = ds == dt[dst]                        # unreachable: inf == inf, dropped below
    del ds
    arc, row = np.nonzero(on)
    del on
    near = np.isfinite(dt[src[arc], row])
    arc, row = arc[near], row[near]
    # key of (source row, node): row * n + the node's rank by distance from that source;
    # a DAG arc runs from a strictly nearer node (w > 0), so from a smaller key
    order = np.argsort(d, axis=1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n)[None, :], axis=1)
    tail = row * n + rank[row, src[arc]]
    head = row * n + rank[row, dst[arc]]
    diag = np.arange(size)
    # σ: σ[head] - Σ σ[tail] = [head is the source]  (lower triangular in key order)
    low = csr_matrix((np.r_[np.ones(size), -np.ones(len(arc))], (np.r_[diag, head], np.r_[diag, tail])),
                     shape=(size, size))
    rhs = np.zeros(size)
    rhs[np.arange(b) * n] = 1.0               # rank 0 is the source itself
    sigma = spsolve_triangular(low, rhs, lower=True, unit_diagonal=True, overwrite_A=True,
                               overwrite_b=True)
    del low
    # δ: δ[v] - Σ_{v->x} σ_v/σ_x δ[x] = Σ_{v->x} σ_v/σ_x   (upper triangular)
    ratio = sigma[tail] / sigma[head]
    up = csr_matrix((np.r_[np.ones(size), -ratio], (np.r_[diag, tail], np.r_[diag, head])),
                    shape=(size, size))
    delta = spsolve_triangular(up, np.bincount(tail, weights=ratio, minlength=size), lower=False,
                               unit_diagonal=True, overwrite_A=True, overwrite_b=True)
    arc_dep = np.bincount(arc, weights=ratio * (1.0 + delta[head]), minlength=len(src))
    delta[np.arange(b) * n] = 0.0             # a source is no interior node of its own paths
    # key row * n + r holds node order[row, r]; unreachable nodes have σ = δ = 0
    node_dep = np.bincount(order.ravel(), weights=delta, minlength=n)
    return node_dep, arc_dep
