"""Shortest-path DAG helpers shared by betweenness (``indices``) and removal importance (``removal``).

Arcs are numbered as the graph's edges both ways: arc ``e`` is ``u -> v`` and arc ``e + m``
is ``v -> u`` for edge ``e`` of ``m``.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from .graph import Graph

__all__ = ["arc_arrays", "on_path", "path_counts", "reverse_arc"]


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


def on_path(d: np.ndarray, src: np.ndarray, dst: np.ndarray, w: np.ndarray, *,
            tol: float | None = None) -> np.ndarray:
    """``M[i, arc]``: the arc src→dst lies on a shortest path from i to dst (V × arcs).

    Parameters
    ----------
    d : (n, n) float array
        All-pairs shortest-path lengths (``inf`` = unreachable).
    src, dst : (k,) int arrays
        Arc tails and heads.
    w : (k,) float array
        Arc lengths.
    tol : float, optional
        How near two path lengths count as equal; by default 1e-9 of the longest.

    Returns
    -------
    (n, k) bool array
        True where ``D[i, src] + w == D[i, dst]`` within ``tol``.
    """
    if len(src) == 0:
        return np.zeros((d.shape[0], 0), dtype=bool)
    if tol is None:
        finite = np.isfinite(d)
        scale = float(d[finite].max()) if finite.any() else 1.0
        tol = 1e-9 * max(scale, 1.0)
    # |D[i, src] + w - D[i, dst]| <= tol; an unreachable dst gives inf - inf = nan -> False
    # (and a reachable src makes dst reachable)
    diff = d[:, src]
    diff += w
    with np.errstate(invalid="ignore"):
        diff -= d[:, dst]
        np.abs(diff, out=diff)
        return diff <= tol


def reverse_arc(arc: np.ndarray, m: int) -> np.ndarray:
    """Reverse arcs: the arc in the opposite direction (arc e is u->v, e + m is v->u).

    Parameters
    ----------
    arc : int array
        Arc numbers in ``0..2m-1``.
    m : int
        The number of edges.

    Returns
    -------
    int array
        The reversed arcs, same shape.
    """
    return np.where(arc < m, arc + m, arc - m)


def path_counts(d: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Count the shortest paths between every pair of a unit-length graph (hop distances ``d``).

    Level by level from each source: σ_ij = Σ over DAG parents p of j of σ_ip. Counts are
    floats; beyond 2^53 they are approximate, which the caller allows for.

    Parameters
    ----------
    d : (n, n) float array
        Hop distances (``inf`` = unreachable).
    src, dst : (2m,) int arrays
        Arc tails and heads.

    Returns
    -------
    (n, n) float array
        σ_ij, the number of shortest paths from i to j (1 on the diagonal, 0 if unreachable).

    References
    ----------
    Brandes, U. (2001). A faster algorithm for betweenness centrality. Journal of
    Mathematical Sociology 25(2):163-177.
    """
    n = d.shape[0]
    adj = csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    sigma = np.eye(n)
    finite = np.isfinite(d)
    top = int(d[finite].max()) if finite.any() else 0
    for level in range(1, top + 1):
        prev = np.where(d == level - 1, sigma, 0.0)
        sigma = np.where(d == level, np.asarray(prev @ adj), sigma)
    return sigma
