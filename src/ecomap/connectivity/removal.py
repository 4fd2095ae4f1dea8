"""Removal importance (dIIC, dPC) of every patch and link, exactly, re-running few Dijkstra sources.

Recomputing all shortest paths after each removal would cost one all-pairs run per patch
and per link; instead, for each removal only the sources whose shortest paths can change
are re-run, and of those only one side of the cut (see :func:`_removal_losses`), with
scipy's compiled Dijkstra: per connected component, and inside the removed element's
biconnected block where that block is smaller than its component (``_blocks.Blocks``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from ._blocks import Blocks
from ._common import DEFAULT_MEDIAN_DISPERSAL_M, pair_values
from ._paths import count_into, on_path, path_counts, reverse_arc
from .graph import Graph

__all__ = ["removal_importance"]


@dataclass(frozen=True)
class _Index:
    value: float               # the index (IIC or PC)
    num: float                 # Σ Σ a_i a_j v_ij
    nodes: pd.DataFrame        # d, intra, flux, connector (percent)
    links: pd.Series           # removal importance per link (percent)
    # PC only: the all-pairs shortest-path distances the index was computed from, so that
    # betweenness need not run the same Dijkstra again
    distances: np.ndarray | None = field(default=None, repr=False, compare=False)


def removal_importance(graph: Graph, *, kind: str, landscape_area: float,
                       median_dispersal_m: float = DEFAULT_MEDIAN_DISPERSAL_M) -> _Index:
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
    against a brute force over all simple paths); only the sources whose shortest paths
    can change are re-run.

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

    Returns
    -------
    _Index
        ``value`` (IIC or PC), ``num`` (I_num, km⁴), ``nodes`` (DataFrame by patch id:
        ``d``, ``intra``, ``flux``, ``connector`` in percent), ``links`` (Series by link
        id, percent) and ``distances`` (PC: the all-pairs path distances used; IIC:
        ``None``). All 0 when I_num is 0.

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
    d = dijkstra(graph.matrix(weighted=weighted), directed=False) if graph.n else np.zeros((0, 0))
    pv = pair_values(d, kind=kind, theta=theta)
    num = float(a @ pv @ a) if graph.n else 0.0
    value = num / landscape_area ** 2
    if num <= 0:
        nodes = pd.DataFrame(0.0, index=graph.nodes.index, columns=["d", "intra", "flux", "connector"])
        return _Index(value, num, nodes, pd.Series(0.0, index=graph.links.index), d if weighted else None)
    intra = a ** 2
    flux = 2.0 * a * (pv @ a - np.diagonal(pv) * a)   # Σ_{i≠k} v_ik a_i, no n × n copy
    connector, edge_loss = _removal_losses(graph, kind=kind, theta=theta, d=d, pvals=pv)
    nodes = pd.DataFrame({
        "intra": 100 * intra / num, "flux": 100 * flux / num, "connector": 100 * connector / num,
    }, index=graph.nodes.index)
    nodes.insert(0, "d", nodes.sum(axis=1))
    links = _link_importance(graph, kind=kind, theta=theta, d=d, pv=pv, num=num,
                             edge_loss=edge_loss, weighted=weighted)
    return _Index(value, num, nodes, links, d if weighted else None)


def _link_importance(graph: Graph, *, kind: str, theta: float, d: np.ndarray, pv: np.ndarray,
                     num: float, edge_loss: np.ndarray, weighted: bool) -> pd.Series:
    lk = graph.links
    if lk.empty:
        return pd.Series(dtype=float, index=lk.index)
    edge_of = pd.Series(np.arange(len(graph.edges)),
                        index=pd.MultiIndex.from_frame(graph.edges[["u", "v"]]))
    e = edge_of.reindex(pd.MultiIndex.from_frame(lk[["u", "v"]])).to_numpy()
    out = np.zeros(len(lk))
    count = np.bincount(e, minlength=len(graph.edges))
    single = count[e] == 1
    out[single] = edge_loss[e[single]]
    a = graph.attribute
    for edge in np.flatnonzero(count > 1):
        # parallel links: only the shortest matters, and only down to the next shortest (PC);
        # topology (IIC) does not change while another link remains
        rows = lk[e == edge]
        order = rows.sort_values("distance")
        first, second = order.index[0], order["distance"].iloc[1]
        if not weighted or second <= order["distance"].iloc[0]:
            continue
        mat = graph.matrix(weighted=True, edge_distance=(int(edge), float(second)))
        new = pair_values(dijkstra(mat, directed=False), kind=kind, theta=theta)
        out[lk.index.get_loc(first)] = float(a @ (pv - new) @ a)
    return pd.Series(100 * out / num, index=lk.index)


def _removal_losses(graph: Graph, *, kind: str, theta: float, d: np.ndarray, pvals: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Connector loss of each node and loss of each edge, exactly, re-running few sources.

    A removal changes only pairs inside its own connected component, so each component
    is worked on alone (its distance block, its arcs, its Dijkstra re-runs).

    A pair (i, j) loses only if *every* shortest path i → j runs through the removed node
    or edge. For node k, such a path enters k from some neighbour n_a and leaves to
    another n_b; then i is "behind" n_a (D[i, n_a] + w = D[i, k]) and j behind n_b. Two
    sources both behind the same neighbour n* never need k between them (D[i, j] ≤
    D[i, n*] + D[n*, j] < D[i, k] + D[k, j]), so taking n* with the most sources behind
    it, only sources not behind n* are re-run, and of those only sources for which k is
    an interior node of the shortest-path DAG (in the hop metric: a DAG child of k whose
    only DAG parent is k). For an edge u–v, a losing pair has one end i whose only DAG
    parent of v is u and the other end j whose only DAG parent of u is v; the smaller of
    the two sets is re-run. Pair values are symmetric, so rows suffice.

    Returns (connector loss per node, loss per graph edge when removed), as Σ a_i a_j Δv_ij.
    """
    weighted = kind == "pc"
    a = graph.attribute
    n = graph.n
    m = len(graph.edges)
    connector = np.zeros(n)
    edge_loss = np.zeros(m)
    if m == 0:
        return connector, edge_loss
    eu = graph.edges["u"].to_numpy(dtype=int)
    ev = graph.edges["v"].to_numpy(dtype=int)
    ew = graph.edges["distance"].to_numpy(dtype=float) if weighted else np.ones(m)
    # one tolerance for the whole graph (as if the components were worked on together)
    tol = 1e-9 * max(float(np.max(d, where=np.isfinite(d), initial=1.0)), 1.0)
    _, label = connected_components(
        csr_matrix((np.ones(m), (eu, ev)), shape=(n, n)), directed=False)
    edge_label = label[eu]
    order = np.argsort(label, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(label))]
    edge_order = np.argsort(edge_label, kind="stable")
    edge_bounds = np.r_[0, np.cumsum(np.bincount(edge_label, minlength=len(bounds) - 1))]
    local = np.empty(n, dtype=int)
    for c in range(len(bounds) - 1):
        nodes = order[bounds[c]:bounds[c + 1]]
        edges = edge_order[edge_bounds[c]:edge_bounds[c + 1]]
        if len(edges) == 0:
            continue  # an isolated patch: no connector role, no links
        local[nodes] = np.arange(len(nodes))
        whole = len(nodes) == n     # one component: its blocks are the matrices, no n × n copies
        dc, pc = (d, pvals) if whole else (d[np.ix_(nodes, nodes)], pvals[np.ix_(nodes, nodes)])
        conn_c, loss_c = _component_losses(
            a[nodes], local[eu[edges]], local[ev[edges]], ew[edges], dc, pc,
            kind=kind, theta=theta, tol=tol)
        connector[nodes] = conn_c
        edge_loss[edges] = loss_c
    return connector, edge_loss


def _component_losses(a: np.ndarray, eu: np.ndarray, ev: np.ndarray, ew: np.ndarray, d: np.ndarray,
                      pvals: np.ndarray, *, kind: str, theta: float, tol: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_removal_losses` on one connected component (local node numbers ``0..n-1``).

    Steps: the shortest-path DAGs of every source -> one re-run machine (a CSR layout
    where a removed arc gets an infinite length, and the biconnected blocks) -> the
    connector loss of every node -> the loss of every edge.
    """
    dag = _shortest_path_dags(eu, ev, ew, d, weighted=kind == "pc", tol=tol)
    rerun = _Rerun(dag, d, kind=kind, theta=theta)
    connector = _connector_losses(a, dag, d, pvals, rerun, tol=tol)
    edge_loss = _edge_losses(a, dag, d, pvals, rerun, tol=tol)
    return connector, edge_loss


@dataclass(frozen=True)
class _Dag:
    """The shortest-path DAGs of one component from every source (arc e: u->v, e + m: v->u)."""

    n: int
    m: int
    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray
    on: np.ndarray             # [i, arc]: the arc lies on a shortest path from i
    only_parent: np.ndarray    # [i, arc]: src is the only DAG parent of dst
    sigma: np.ndarray | None   # hop metric: number of shortest paths between every pair
    weighted: bool


def _shortest_path_dags(eu: np.ndarray, ev: np.ndarray, ew: np.ndarray, d: np.ndarray, *,
                        weighted: bool, tol: float) -> _Dag:
    n = d.shape[0]
    m = len(eu)
    # arc e: u->v, arc e + m: v->u
    src, dst, w = np.r_[eu, ev], np.r_[ev, eu], np.r_[ew, ew]
    on = on_path(d, src, dst, w, tol=tol)
    # indeg[i, x]: number of DAG parents of x in the shortest-path DAG from i; only_parent
    # [i, arc]: src is the only DAG parent of dst (row by row: no V x arcs float matrix)
    only_parent = np.empty_like(on)
    for rows in _row_chunks(n, 2 * m):
        indeg = count_into(on[rows], dst, n)
        only_parent[rows] = on[rows] & (indeg[:, dst] == 1)
    # hop metric (many ties): sigma[i, j] = number of shortest paths, so that a pair whose
    # paths do not all run through the removed element is not counted as losing
    sigma = path_counts(d, src, dst) if not weighted else None
    return _Dag(n, m, src, dst, w, on, only_parent, sigma, weighted)


def _row_chunks(n: int, width: int, cells: int = 4_000_000):
    """Slices of ``n`` rows, each about ``cells`` cells of ``width`` columns."""
    step = max(1, cells // max(width, 1))
    return [slice(i, min(n, i + step)) for i in range(0, n, step)]


def _all_through(rows_via: np.ndarray, via_cols: np.ndarray, direct: np.ndarray) -> np.ndarray:
    """σ_ik σ_kj = σ_ij (up to rounding, on the safe side) <=> every path runs through k."""
    return rows_via[:, None] * via_cols[None, :] >= direct * (1 - 1e-9)


class _Rerun:
    """Pair values of some sources once some arcs are cut: in the arcs' block, or the whole component.

    One CSR layout serves every re-run; a removed arc gets an infinite length, restored
    at the next call.
    """

    def __init__(self, dag: _Dag, d: np.ndarray, *, kind: str, theta: float):
        n, src, dst, w = dag.n, dag.src, dag.dst, dag.w
        self.n, self.kind, self.theta = n, kind, theta
        self.csr_order = np.lexsort((dst, src))
        self.indptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))]
        indices, self.data0 = dst[self.csr_order], w[self.csr_order]
        self.slot = np.empty_like(self.csr_order)
        self.slot[self.csr_order] = np.arange(2 * dag.m)
        self.mat = csr_matrix((self.data0.copy(), indices, self.indptr), shape=(n, n))
        self.last = np.empty(0, dtype=int)
        self.blocks = Blocks(n, src, dst, w, d, kind=kind, theta=theta)

    def __call__(self, removed_slots: np.ndarray, cover: np.ndarray, block: int, old: np.ndarray) -> np.ndarray:
        """Pair values of the ``cover`` rows once the arcs in ``removed_slots`` are cut."""
        if block >= 0 and self.blocks.size(block) < self.n:
            return self.blocks.rerun(block, self.csr_order[removed_slots], cover, old)
        self.mat.data[self.last] = self.data0[self.last]
        self.mat.data[removed_slots] = np.inf
        self.last = removed_slots
        return pair_values(dijkstra(self.mat, directed=True, indices=cover), kind=self.kind, theta=self.theta)


def _connector_losses(a: np.ndarray, dag: _Dag, d: np.ndarray, pvals: np.ndarray, rerun: _Rerun, *,
                      tol: float) -> np.ndarray:
    """Σ a_i a_j Δv_ij over pairs i, j ≠ k when node k is removed, for every node k."""
    n, m, src, dst, on = dag.n, dag.m, dag.src, dag.dst, dag.on
    arcs = np.arange(2 * m)
    connector = np.zeros(n)
    # nodes, all at once: needs[i, k] = k is an interior node of i's shortest-path DAG
    # (weighted: ties are rare, any DAG child; hop metric: a child with k its only parent)
    child = dag.only_parent if not dag.weighted else on
    needs = np.empty((n, n), dtype=bool)
    for rows in _row_chunks(n, 2 * m):
        needs[rows] = count_into(child[rows], src, n) > 0
    # for each k, the neighbour (arc into k) with the most sources behind it that need k;
    # of equal counts the first arc
    behind = np.zeros(2 * m, dtype=np.int64)
    for rows in _row_chunks(n, 2 * m):
        behind += (on[rows] & needs[rows][:, dst]).sum(axis=0)
    first = np.lexsort((arcs, -behind, dst))
    head = np.r_[True, dst[first][1:] != dst[first][:-1]]
    best_arc = np.full(n, -1)
    best_arc[dst[first[head]]] = first[head]
    in_deg = np.bincount(dst, minlength=n)
    cand = np.flatnonzero(in_deg >= 2)  # an end node (degree <= 1) is never a connector
    cover_masks = needs[:, cand].T & ~on[:, best_arc[cand]].T
    cover_masks[np.arange(len(cand)), cand] = False
    needs_t = np.ascontiguousarray(needs.T)
    all_nodes = np.arange(n)
    for k, cover_mask in zip(cand, cover_masks, strict=True):
        cover = np.flatnonzero(cover_mask)
        if len(cover) == 0:
            continue
        with np.errstate(invalid="ignore"):
            via = np.abs(d[cover, k][:, None] + d[k][None, :] - d[cover]) <= tol
        via &= needs_t[k][None, :]
        if dag.sigma is not None:
            via &= _all_through(dag.sigma[cover, k], dag.sigma[k], dag.sigma[cover])
        via[:, k] = False
        via[np.arange(len(cover)), cover] = False
        cover = _thin_cover(cover, all_nodes, via)
        if len(cover) == 0:
            continue
        out_slots = np.arange(rerun.indptr[k], rerun.indptr[k + 1])
        removed = np.r_[out_slots, rerun.slot[reverse_arc(rerun.csr_order[out_slots], m)]]
        old = pvals[cover]
        new = rerun(removed, cover, rerun.blocks.of_node[k], old)
        old[:, k] = 0.0
        new[:, k] = 0.0
        connector[k] = _loss_from_rows(a, old, new, cover)
    return connector


def _edge_losses(a: np.ndarray, dag: _Dag, d: np.ndarray, pvals: np.ndarray, rerun: _Rerun, *,
                 tol: float) -> np.ndarray:
    """Σ a_i a_j Δv_ij over all pairs when edge e is removed, for every edge e."""
    m = dag.m
    edge_loss = np.zeros(m)
    # sources whose only DAG parent of an arc's head is its tail, arc by arc, a chunk of
    # edges at a time (one list of all of them would be n² indices)
    has = dag.only_parent.any(axis=0)
    todo = np.flatnonzero(has[:m] & has[m:])
    step = max(1, 2_000_000 // max(dag.n, 1))
    for c0 in range(0, len(todo), step):
        chunk = todo[c0:c0 + step]
        sub = np.ascontiguousarray(dag.only_parent[:, np.r_[chunk, chunk + m]].T)
        for r, e in enumerate(chunk):
            edge_loss[e] = _edge_loss(e, np.flatnonzero(sub[r]), np.flatnonzero(sub[r + len(chunk)]),
                                      a, dag, d, pvals, rerun, tol=tol)
    return edge_loss


def _edge_loss(e: int, ru: np.ndarray, rv: np.ndarray, a: np.ndarray, dag: _Dag, d: np.ndarray,
               pvals: np.ndarray, rerun: _Rerun, *, tol: float) -> float:
    """Loss of edge e; ``ru``: sources reaching v only through u -> v, ``rv``: u only through v -> u."""
    m, src, dst, w = dag.m, dag.src, dag.dst, dag.w
    u, v, we = src[e], dst[e], w[e]
    block = ru[:, None], rv[None, :]
    with np.errstate(invalid="ignore"):
        via = np.abs(d[ru, u][:, None] + we + d[v, rv][None, :] - d[block]) <= tol
    if dag.sigma is not None:
        via &= _all_through(dag.sigma[ru, u], dag.sigma[v, rv], dag.sigma[block])
    if len(ru) == 1 or len(rv) == 1:   # a single source on one side covers every pair
        cover = (ru if len(ru) == 1 else rv) if via.any() else ru[:0]
    else:
        cover = _thin_cover(ru, rv, via)
    if len(cover) == 0:
        return 0.0
    old = pvals[cover]
    new = rerun(rerun.slot[[e, e + m]], cover, rerun.blocks.of_edge[e], old)
    return _loss_from_rows(a, old, new, cover)


def _loss_from_rows(a: np.ndarray, old_rows: np.ndarray, new_rows: np.ndarray,
                    cover: np.ndarray) -> float:
    """Σ over ordered pairs of a_i a_j (P_ij − P'_ij), knowing only the rows of ``cover``.

    Every changed pair has at least one end in ``cover``; P is symmetric.
    """
    # a pair with both ends in the cover is counted by both rows, any other pair by one
    weight = 2.0 * a
    weight[cover] = a[cover]
    return float(a[cover] @ ((old_rows - new_rows) @ weight))


def _thin_cover(rows: np.ndarray, cols: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Pick a small set of nodes touching every pair ``(rows[r], cols[c])`` with ``pairs[r, c]``.

    ``rows`` and ``cols`` are sorted node numbers without repeats; ``rows`` must already
    touch every pair (each pair of nodes that can lose appears with at least one end
    among the rows). Of each pair the end with more pairs is kept (ties:
    the lower index), which is itself a cover and, where the pairs through a patch fan
    out from the nodes near it, a much smaller one; the row ends alone and the column
    ends alone are covers too, and the smallest of the three is returned.
    """
    row_deg = np.count_nonzero(pairs, axis=1)
    if not row_deg.any():
        return np.empty(0, dtype=int)
    col_deg = np.count_nonzero(pairs, axis=0)
    deg = np.zeros(int(max(rows[-1], cols[-1])) + 1)
    deg[cols] = col_deg
    deg[rows] = row_deg
    dr, dc = deg[rows][:, None], deg[cols][None, :]
    pick_row = (dr > dc) | ((dr == dc) & (rows[:, None] < cols[None, :]))
    keep = np.zeros(len(deg), dtype=bool)
    keep[rows[(pairs & pick_row).any(axis=1)]] = True
    keep[cols[(pairs & ~pick_row).any(axis=0)]] = True
    # every pair also has a row end and a column end: take whichever set is smallest
    options = [np.flatnonzero(keep), rows[row_deg > 0], cols[col_deg > 0]]
    return min(options, key=len)
