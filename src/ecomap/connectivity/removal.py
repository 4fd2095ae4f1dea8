"""Removal importance (dIIC, dPC) of every patch and link, exactly, one source at a time.

Recomputing all shortest paths after each removal would cost one all-pairs run per patch
and per link. Instead every source is run once, in compiled code
(:func:`~ecomap.connectivity._dominators.removal_sums`): its shortest-path DAG gives the
dominator tree, whose subtree under node k (under arc p -> x) is exactly the set of
targets whose distance changes when k (that link) is removed; only those are re-run, by a
Dijkstra inside the subtree. Memory grows with the links (a few arrays of n and of the
arcs), not with n²; nothing of size n × n is kept.

The sources are cut into fixed batches (their number depends on n only) run on threads
(the kernel releases the GIL); the batches' partial sums are added in batch order, so the
bits are the same whatever the number of threads.
"""

from __future__ import annotations

import math
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import reverse_cuthill_mckee

from ._common import DEFAULT_MEDIAN_DISPERSAL_M
from ._dominators import dominator_stats, removal_sums
from .graph import Graph

__all__ = ["available_cores", "removal_importance", "removal_work"]

#: Sources are run in at most BATCH_COUNT batches of at least BATCH_MIN sources each.
BATCH_COUNT = 128
BATCH_MIN = 8


@dataclass(frozen=True)
class _Index:
    value: float               # the index (IIC or PC)
    num: float                 # Σ Σ a_i a_j v_ij
    nodes: pd.DataFrame        # d, intra, flux, connector (percent)
    links: pd.Series           # removal importance per link (percent)
    # no all-pairs distance matrix is kept any more (memory grows with the links): always
    # None, kept so that ``betweenness(graph, distances=res.distances)`` still reads
    distances: np.ndarray | None = field(default=None, repr=False, compare=False)


def removal_importance(graph: Graph, *, kind: str, landscape_area: float,
                       median_dispersal_m: float = DEFAULT_MEDIAN_DISPERSAL_M,
                       threads: int | None = None) -> _Index:
    r"""Compute the index and the importance of every node and link by removal.

    For node k (Saura & Rubio 2010, Ecography 33:523), with I_num = Σ Σ a_i a_j v_ij:

    .. math::
        dI_k = 100 \frac{I - I_{-k}}{I} = dI^{intra}_k + dI^{flux}_k + dI^{connector}_k

        dI^{intra}_k = 100 \frac{a_k^2}{I_{num}}, \quad
        dI^{flux}_k = 100 \frac{2 \sum_{i \ne k} a_i a_k v_{ik}}{I_{num}}

    and the connector fraction is the loss among pairs i, j ≠ k whose best path ran
    through k. ``I_{-k}`` removes k's attribute and links; A_L is unchanged. For a link,
    ``dI = 100 (I - I_{-link}) / I`` (Conefor's link-removal mode). Links in parallel
    with another link of the same or shorter length have importance 0; of a parallel set,
    the shortest is scored against the next shortest.

    The values are exact (checked against recomputing every pair after each removal and
    against a brute force over all simple paths): for each source, only the targets all
    of whose shortest paths run through the removed element are re-run. Path lengths
    within 1e-9 of the source's longest distance count as tied.

    Parameters
    ----------
    graph : Graph
        The habitat graph.
    kind : {"iic", "pc"}
        ``"iic"`` (v = 1 / (1 + nl), hops) or ``"pc"`` (v = p*, distances).
    landscape_area : float
        A_L in km² (the units of the node attributes).
    median_dispersal_m : float, default 2000
        Distance (metres, or the cost units of the links) at which p = 0.5 (PC only).
    threads : int, optional
        Threads running the sources (default: the cores this process may use). The
        result has the same bits for any number.

    Returns
    -------
    _Index
        ``value`` (IIC or PC), ``num`` (I_num, km⁴), ``nodes`` (DataFrame by patch id:
        ``d``, ``intra``, ``flux``, ``connector`` in percent) and ``links`` (Series by
        link id, percent); ``distances`` is ``None`` (no n × n matrix is kept). All 0
        when I_num is 0.

    Raises
    ------
    ValueError
        If ``kind`` is neither ``"iic"`` nor ``"pc"``.

    References
    ----------
    Saura, S. & Rubio, L. (2010). A common currency for the different ways in which
    patches and links can contribute to habitat availability and connectivity in the
    landscape. Ecography 33:523-537. Saura, S. & Torné, J. (2009). Conefor Sensinode 2.2.
    Environmental Modelling & Software 24:135-139.
    """
    if kind not in {"iic", "pc"}:
        raise ValueError(f"kind must be 'iic' or 'pc', not {kind!r}")
    theta = math.log(2) / median_dispersal_m
    a = graph.attribute
    weighted = kind == "pc"
    first, alt = _parallel_links(graph, weighted=weighted)
    num, toward, connector, edge_loss = _sums(graph, a, alt, weighted=weighted, theta=theta, threads=threads)
    value = num / landscape_area ** 2
    if num <= 0:
        nodes = pd.DataFrame(0.0, index=graph.nodes.index, columns=["d", "intra", "flux", "connector"])
        return _Index(value, num, nodes, pd.Series(0.0, index=graph.links.index))
    nodes = pd.DataFrame({
        "intra": 100 * a ** 2 / num, "flux": 100 * 2.0 * a * toward / num, "connector": 100 * connector / num,
    }, index=graph.nodes.index)
    nodes.insert(0, "d", nodes.sum(axis=1))
    links = np.zeros(len(graph.links))
    e = first[first >= 0]
    links[first >= 0] = edge_loss[e]
    return _Index(value, num, nodes, pd.Series(100 * links / num, index=graph.links.index))


def _parallel_links(graph: Graph, *, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
    """Which link carries each edge's loss, and the length an edge takes when "removed".

    Of parallel links only the shortest matters, and only down to the next shortest (PC);
    topology (IIC) does not change while another link remains. Returns (per link: its
    graph edge if it carries that edge's loss, else -1; per edge: ``inf``, or the next
    shortest parallel length).
    """
    lk, m = graph.links, len(graph.edges)
    alt = np.full(m, np.inf)
    if lk.empty:
        return np.zeros(0, dtype=np.int64), alt
    edge_of = pd.Series(np.arange(m), index=pd.MultiIndex.from_frame(graph.edges[["u", "v"]]))
    e = edge_of.reindex(pd.MultiIndex.from_frame(lk[["u", "v"]])).to_numpy()
    dist = lk["distance"].to_numpy(dtype=float)
    count = np.bincount(e, minlength=m)
    carrier = np.where(count[e] == 1, e, -1)
    # parallel: sort each edge's links by distance (stable: the first listed of equal ones)
    order = np.lexsort((np.arange(len(lk)), dist, e))
    head = np.r_[True, e[order][1:] != e[order][:-1]]
    multi = head & (count[e[order]] > 1)
    firsts, seconds = order[multi], order[np.flatnonzero(multi) + 1]
    alt[e[firsts]] = dist[seconds] if weighted else 1.0
    longer = (dist[seconds] > dist[firsts]) & weighted
    carrier[firsts[longer]] = e[firsts[longer]]
    return carrier, alt


def _sums(graph: Graph, a: np.ndarray, alt: np.ndarray, *, weighted: bool, theta: float,
          threads: int | None = None) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Run every source through the compiled kernel: I_num, Σ a_s v_sx, connector and edge losses."""
    n, m = graph.n, len(graph.edges)
    if n == 0:
        return 0.0, np.zeros(0), np.zeros(0), np.zeros(m)
    perm, new, indptr, nbr, wt, edge = _csr(graph, weighted=weighted)
    args = (indptr, nbr, wt, edge, alt, np.asarray(a, dtype=float)[perm], weighted, theta, 0.0)
    num, toward, connector, edge_loss = _batched(n, args, threads)
    return num, toward[new], connector[new], edge_loss


def _csr(graph: Graph, *, weighted: bool) -> tuple[np.ndarray, ...]:
    """The graph as CSR for the kernel: (perm, its inverse, indptr, neighbours, lengths, edge of each slot)."""
    n, m = graph.n, len(graph.edges)
    u = graph.edges["u"].to_numpy(dtype=np.int64)
    v = graph.edges["v"].to_numpy(dtype=np.int64)
    w = graph.edges["distance"].to_numpy(dtype=float) if weighted else np.ones(m)
    # renumber the nodes so that neighbours have near numbers (reverse Cuthill-McKee): the
    # kernel's per-node arrays are then read in nearby places (about 15 % faster)
    perm = reverse_cuthill_mckee(csr_matrix((np.ones(2 * m), (np.r_[u, v], np.r_[v, u])), shape=(n, n)),
                                 symmetric_mode=True).astype(np.int64)
    new = np.empty(n, dtype=np.int64)
    new[perm] = np.arange(n)
    src, dst = new[np.r_[u, v]], new[np.r_[v, u]]
    order = np.lexsort((dst, src))
    indptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))].astype(np.int64)
    edge = np.r_[np.arange(m), np.arange(m)][order].astype(np.int64)
    return perm, new, indptr, dst[order], np.r_[w, w][order], edge


def removal_work(graph: Graph, *, kind: str) -> dict:
    """How much the removal step re-runs on this graph (a diagnostic for the benchmarks).

    Parameters
    ----------
    graph : Graph
        The habitat graph.
    kind : {"iic", "pc"}
        Hops or lengths.

    Returns
    -------
    dict
        ``pairs`` (reached pairs s, x ≠ s), ``mean_depth`` (mean depth of x in s's
        dominator tree), ``subtree_sum`` (Σ over s and k ≠ s of the subtree size of k: the
        targets whose distance changes, summed over every removal), ``rerun_nodes`` (Σ of
        the nodes re-run) and ``reruns`` (their number).
    """
    if graph.n == 0:
        return {"pairs": 0, "mean_depth": 0.0, "subtree_sum": 0, "rerun_nodes": 0, "reruns": 0}
    _, _, indptr, nbr, wt, edge = _csr(graph, weighted=kind == "pc")
    pairs, depth, rerun_nodes, reruns = (int(x) for x in dominator_stats(
        np.arange(graph.n, dtype=np.int64), indptr, nbr, wt, edge, kind == "pc"))
    return {"pairs": pairs, "mean_depth": depth / max(pairs, 1), "subtree_sum": depth,
            "rerun_nodes": rerun_nodes, "reruns": reruns}


def _batched(n: int, args: tuple, threads: int | None) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`removal_sums` over all n sources in fixed batches on threads, summed in batch order."""
    step = max(BATCH_MIN, -(-n // BATCH_COUNT))   # depends on n only: the same sums for any thread count
    batches = [np.arange(lo, min(lo + step, n), dtype=np.int64) for lo in range(0, n, step)]
    threads = max(1, min(threads or available_cores(), len(batches)))
    total = None
    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        for b in batches:   # at most 2 × threads partial results wait to be added
            pending.append(pool.submit(removal_sums, b, *args))
            if len(pending) >= 2 * threads:
                total = _add(total, pending.popleft().result())
        while pending:
            total = _add(total, pending.popleft().result())
    return total


def _add(total: tuple | None, part: tuple) -> tuple:
    """Partial sums of one batch added to those of the batches before it (in batch order)."""
    if total is None:
        return (0.0 + part[0], *(np.zeros_like(x) + x for x in part[1:]))
    return tuple(t + p for t, p in zip(total, part, strict=True))


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1.

    Returns
    -------
    int
        ``len(os.sched_getaffinity(0))`` where the platform has it, else ``os.cpu_count()``.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # macOS, Windows
        return max(1, os.cpu_count() or 1)
