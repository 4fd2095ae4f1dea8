"""Connectivity of the habitat network: graph indices, patch and corridor importance, gaps, scenarios.

The graph has one node per habitat patch (attribute ``a`` = area in km² times ``quality``
where given) and one link per corridor between two patches (distance = corridor length in
metres, or a cost-weighted length), or, with ``links="distance"``, one link per pair of
patches within a threshold distance edge to edge.

Removal importance (dIIC, dPC) is exact. Recomputing all shortest paths after each removal
would cost one all-pairs run per patch and per link; instead, for each removal only the
sources whose shortest paths can change are re-run, and of those only one side of the cut
(see :func:`_removal_losses`), with scipy's compiled Dijkstra.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from .. import crs as _crs
from .._errors import InputError
from ..network import Network

__all__ = [
    "DEFAULT_MEDIAN_DISPERSAL_M",
    "GRAVITY_AREA_UNITS",
    "Graph",
    "ConnectivityResult",
    "Scenario",
    "build_graph",
    "structure_indices",
    "link_probability",
    "iic",
    "pc",
    "equivalent_connectivity",
    "removal_importance",
    "gravity",
    "betweenness",
    "analyse",
    "read_addition",
    "scenario",
]

log = logging.getLogger(__name__)

#: Median dispersal distance (m) used when none is given: p = 0.5 at 2 km, a distance
#: small and medium mammals of the Pingshan hills (leopard cat, civets) cover routinely.
DEFAULT_MEDIAN_DISPERSAL_M = 2000.0
#: Area units the gravity model may take ln() of, and their size in m².
GRAVITY_AREA_UNITS = {"m2": 1.0, "ha": 1e4, "km2": 1e6}
#: Zero-length links (touching patches) get this length so that they stay links in a sparse graph.
_MIN_LENGTH_M = 1e-6


# --------------------------------------------------------------------------------------------
# the graph
@dataclass(frozen=True)
class Graph:
    """A habitat graph: nodes (patches) and undirected simple links with a length.

    ``links`` maps every input link (corridor) id to its node pair and length; several
    links between the same pair collapse into one graph edge of the shortest length.
    """

    nodes: pd.DataFrame          # index: patch id; columns area_km2, quality, attribute
    links: pd.DataFrame          # index: link id; columns u, v (node positions), length_m, distance
    edges: pd.DataFrame          # one row per node pair u < v: u, v, distance (min over links)

    @classmethod
    def from_links(cls, attribute, links, *, ids=None) -> Graph:
        """A graph from node attributes and ``(id, u, v, distance)`` link tuples.

        ``attribute`` is a sequence (nodes ``0..n-1``) or a mapping id → attribute;
        ``u``/``v`` are node ids. Areas are taken equal to the attributes.
        """
        attr = pd.Series(attribute, dtype=float)
        if ids is not None:
            attr.index = list(ids)
        attr.index = attr.index.astype(str)
        nodes = pd.DataFrame({"area_km2": attr, "quality": np.nan, "attribute": attr})
        pos = pd.Series(np.arange(len(attr)), index=attr.index)
        rows = list(links)
        lk = pd.DataFrame({
            "u": [int(pos[str(r[1])]) for r in rows], "v": [int(pos[str(r[2])]) for r in rows],
            "length_m": [float(r[3]) for r in rows],
        }, index=pd.Index([str(r[0]) for r in rows], name="id"), dtype=float)
        if (lk["u"] == lk["v"]).any():
            raise ValueError("a link must join two different nodes")
        lk["distance"] = np.maximum(lk["length_m"].to_numpy(), _MIN_LENGTH_M)
        lk[["u", "v"]] = np.sort(lk[["u", "v"]].to_numpy(dtype=int), axis=1)
        lk = lk.astype({"u": int, "v": int})
        return cls(nodes, lk, _edges_of(lk))

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def attribute(self) -> np.ndarray:
        return self.nodes["attribute"].to_numpy(dtype=float)

    def matrix(self, *, weighted: bool = True, drop_node: int | None = None,
               edge_distance: tuple[int, float] | None = None) -> csr_matrix:
        """The symmetric sparse adjacency (distances, or 1 for topology).

        ``drop_node`` removes a node's edges; ``edge_distance=(e, d)`` gives edge ``e`` the
        distance ``d`` (``inf`` removes it).
        """
        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        w = self.edges["distance"].to_numpy(dtype=float) if weighted else np.ones(len(u))
        keep = np.ones(len(u), dtype=bool)
        if drop_node is not None:
            keep &= (u != drop_node) & (v != drop_node)
        if edge_distance is not None:
            e, d = edge_distance
            if not np.isfinite(d):
                keep[e] = False
            elif weighted:
                w = w.copy()
                w[e] = max(d, _MIN_LENGTH_M)
        u, v, w = u[keep], v[keep], w[keep]
        return csr_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(self.n, self.n))


def _patch_nodes(patches: gpd.GeoDataFrame) -> pd.DataFrame:
    area = shapely.area(patches.geometry.values) / 1e6
    q = pd.to_numeric(patches["quality"], errors="coerce").to_numpy(dtype=float) \
        if "quality" in patches else np.full(len(patches), np.nan)
    return pd.DataFrame({
        "area_km2": area,
        "quality": q,
        "attribute": area * np.where(np.isfinite(q), q, 1.0),
    }, index=patches.index.astype(str))


def _check_positive(value: float | None, what: str, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, not {value!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(f"{what} must be {'0 or more' if allow_zero else 'more than 0'}, not {v:g}")
    return v


def build_graph(
    network: Network,
    *,
    links: str = "corridors",
    threshold: float | None = None,
    cost_lengths: pd.Series | dict | None = None,
    exclude_status: tuple[str, ...] = ("broken",),
) -> Graph:
    """The habitat graph of a network.

    Parameters
    ----------
    links
        ``"corridors"``: one link per corridor whose two ends name (or touch) two different
        patches and whose status is not in ``exclude_status``; distance = corridor length
        in metres, or ``cost_lengths[id]`` where given. ``"distance"``: one link per pair of
        patches at most ``threshold`` metres apart edge to edge (distance = that gap).
    threshold
        Link distance in metres; required with ``links="distance"``.
    cost_lengths
        Cost-weighted length per corridor id (from a resistance surface).
    """
    from ..joins import corridor_ends

    nodes = _patch_nodes(network.patches)
    pos = pd.Series(np.arange(len(nodes)), index=nodes.index)
    if links == "corridors":
        c = network.corridors
        ends = corridor_ends(network)
        length = shapely.length(c.geometry.values)
        dist = length.copy()
        if cost_lengths is not None:
            cl = pd.Series(cost_lengths, dtype=float).reindex(c.index)
            bad = cl[cl.notna() & ~(cl >= 0)]
            if len(bad):
                raise InputError(f"cost length of corridor {bad.index[0]} must be 0 or more, not {bad.iloc[0]:g}")
            dist = np.where(cl.notna(), cl.to_numpy(), dist)
        f = ends["from_id"].astype(object).map(lambda x: None if x is None else str(x))
        t = ends["to_id"].astype(object).map(lambda x: None if x is None else str(x))
        ok = (f.isin(pos.index) & t.isin(pos.index) & (f != t)
              & ~c["status"].isin(exclude_status)).to_numpy()
        lk = pd.DataFrame({
            "u": pos.reindex(f[ok]).to_numpy(),
            "v": pos.reindex(t[ok]).to_numpy(),
            "length_m": length[ok],
            "distance": dist[ok],
        }, index=c.index[ok].astype(str))
    elif links == "distance":
        if threshold is None:
            raise InputError("--links distance needs --threshold M (metres)")
        threshold = _check_positive(threshold, "threshold", allow_zero=True)
        g = network.patches.geometry.values
        left, right = network.patches.sindex.query(g, predicate="dwithin", distance=threshold)
        keep = left < right
        left, right = left[keep], right[keep]
        d = shapely.distance(g[left], g[right])
        ids = nodes.index.to_numpy()
        lk = pd.DataFrame({"u": left, "v": right, "length_m": d, "distance": d},
                          index=pd.Index([f"{ids[a]}~{ids[b]}" for a, b in zip(left, right, strict=True)]))
    else:
        raise InputError(f"links must be 'corridors' or 'distance', not {links!r}")
    lk["distance"] = np.maximum(lk["distance"].to_numpy(dtype=float), _MIN_LENGTH_M)
    lk[["u", "v"]] = np.sort(lk[["u", "v"]].to_numpy(dtype=int), axis=1)
    lk.index.name = "id"
    return Graph(nodes, lk, _edges_of(lk))


def _edges_of(lk: pd.DataFrame) -> pd.DataFrame:
    """One graph edge per linked node pair (u < v), at the shortest of its links' distances."""
    if not len(lk):
        return pd.DataFrame({"u": pd.Series(dtype=int), "v": pd.Series(dtype=int),
                             "distance": pd.Series(dtype=float)})
    return lk.groupby(["u", "v"], sort=True)["distance"].min().reset_index()


# --------------------------------------------------------------------------------------------
# indices
def structure_indices(n_nodes: int, n_links: int) -> dict[str, float]:
    """Network structure indices α, β, γ of a planar graph (Forman & Godron 1986).

    .. math::
        \\alpha = \\frac{L - V + 1}{2V - 5}, \\quad \\beta = \\frac{L}{V}, \\quad
        \\gamma = \\frac{L}{3(V - 2)}

    α (closure) is the share of the possible independent circuits that exist, β the links
    per node, γ the share of the maximum number of links of a planar graph. They are the
    indices of Chinese ecological-security-pattern studies (e.g. Kunming, Sustainability
    2025, 17(8):3623).

    They break down on tiny graphs: with V < 3 the planar maxima (2V − 5 circuits,
    3(V − 2) links) are 0 or negative, so α and γ are returned as NaN; β is NaN for V = 0.
    V counts nodes; L counts distinct linked pairs (parallel corridors count once). α is
    negative when the graph is a forest of several components (L < V − 1): it counts
    circuits as if the graph were connected.
    """
    v, ell = float(n_nodes), float(n_links)
    return {
        "alpha": (ell - v + 1) / (2 * v - 5) if n_nodes >= 3 else math.nan,
        "beta": ell / v if n_nodes > 0 else math.nan,
        "gamma": ell / (3 * (v - 2)) if n_nodes >= 3 else math.nan,
    }


def link_probability(distance_m, median_dispersal_m: float):
    """Direct dispersal probability along a link: :math:`p = e^{-\\theta d}`, θ = ln 2 / median.

    The exponential kernel of Saura & Pascual-Hortal (2007) scaled so that p = 0.5 at the
    median dispersal distance (the Conefor convention).
    """
    theta = math.log(2) / median_dispersal_m
    return np.exp(-theta * np.asarray(distance_m, dtype=float))


def _values(d: np.ndarray, *, kind: str, theta: float) -> np.ndarray:
    """Pair values from path lengths: 1 / (1 + nl) for IIC, exp(-θ d) for PC (0 when unreachable)."""
    if kind == "iic":
        return 1.0 / (1.0 + d)
    return np.exp(-theta * d)


def iic(attribute, hops, landscape_area: float) -> float:
    """Integral Index of Connectivity (Pascual-Hortal & Saura 2006, Landsc. Ecol. 21:959).

    .. math:: IIC = \\frac{1}{A_L^2} \\sum_i \\sum_j \\frac{a_i a_j}{1 + nl_{ij}}

    ``hops`` is the matrix of links on the shortest topological path (``nl_ii = 0``;
    ``inf`` for unconnected pairs, which add 0). 0 ≤ IIC ≤ 1 when Σa ≤ A_L.
    """
    a = np.asarray(attribute, dtype=float)
    return float(a @ (1.0 / (1.0 + np.asarray(hops, dtype=float))) @ a) / landscape_area ** 2


def pc(attribute, distances, landscape_area: float, *, median_dispersal_m: float) -> float:
    """Probability of Connectivity (Saura & Pascual-Hortal 2007, Landsc. Urban Plan. 83:91).

    .. math:: PC = \\frac{1}{A_L^2} \\sum_i \\sum_j a_i a_j p^*_{ij}

    :math:`p^*_{ij}` is the maximum-product probability over all paths. With
    :math:`p = e^{-\\theta d}` on every link, the product along a path is
    :math:`e^{-\\theta \\sum d}`, so :math:`p^*_{ij} = e^{-\\theta D_{ij}}` with
    :math:`D_{ij}` the shortest-path distance (``distances``; ``inf`` → 0).
    """
    a = np.asarray(attribute, dtype=float)
    p = link_probability(distances, median_dispersal_m)
    return float(a @ p @ a) / landscape_area ** 2


def equivalent_connectivity(index_value: float, landscape_area: float) -> float:
    """EC = √(Σ Σ a_i a_j p*_ij) = A_L √PC (Saura et al. 2011, Ecol. Indic. 11:407), in km²."""
    return math.sqrt(max(index_value, 0.0)) * landscape_area


def _arc_arrays(graph: Graph, weighted: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u = graph.edges["u"].to_numpy(dtype=int)
    v = graph.edges["v"].to_numpy(dtype=int)
    w = graph.edges["distance"].to_numpy(dtype=float) if weighted else np.ones(len(u))
    # arc e: u->v, arc e + m: v->u
    return np.r_[u, v], np.r_[v, u], np.r_[w, w]


def _on_path(d: np.ndarray, src: np.ndarray, dst: np.ndarray, w: np.ndarray, *,
             tol: float | None = None) -> np.ndarray:
    """``M[i, arc]``: the arc src→dst lies on a shortest path from i to dst (V × arcs).

    ``tol``: how near two path lengths count as equal; by default 1e-9 of the longest.
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


def _loss_from_rows(a: np.ndarray, old_rows: np.ndarray, new_rows: np.ndarray,
                    cover: np.ndarray) -> float:
    """Σ over ordered pairs of a_i a_j (P_ij − P'_ij), knowing only the rows of ``cover``.

    Every changed pair has at least one end in ``cover``; P is symmetric.
    """
    # a pair with both ends in the cover is counted by both rows, any other pair by one
    weight = 2.0 * a
    weight[cover] = a[cover]
    return float(a[cover] @ ((old_rows - new_rows) @ weight))


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
    finite = np.isfinite(d)
    # one tolerance for the whole graph (as if the components were worked on together)
    tol = 1e-9 * max(float(d[finite].max()) if finite.any() else 1.0, 1.0)
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
        block = np.ix_(nodes, nodes)
        conn_c, loss_c = _component_losses(
            a[nodes], local[eu[edges]], local[ev[edges]], ew[edges], d[block], pvals[block],
            kind=kind, theta=theta, tol=tol)
        connector[nodes] = conn_c
        edge_loss[edges] = loss_c
    return connector, edge_loss


def _component_losses(a: np.ndarray, eu: np.ndarray, ev: np.ndarray, ew: np.ndarray, d: np.ndarray,
                      pvals: np.ndarray, *, kind: str, theta: float, tol: float
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_removal_losses` on one connected component (local node numbers ``0..n-1``)."""
    weighted = kind == "pc"
    n = len(a)
    m = len(eu)
    # arc e: u->v, arc e + m: v->u
    src, dst, w = np.r_[eu, ev], np.r_[ev, eu], np.r_[ew, ew]
    arcs = np.arange(2 * m)
    on = _on_path(d, src, dst, w, tol=tol)
    # indeg[i, x]: number of DAG parents of x in the shortest-path DAG from i
    inc = csr_matrix((np.ones(2 * m), (arcs, dst)), shape=(2 * m, n))
    indeg = np.asarray(on.astype(np.float64) @ inc)
    only_parent = on & (indeg[:, dst] == 1)   # [i, arc]: src is the only DAG parent of dst
    # hop metric (many ties): sigma[i, j] = number of shortest paths, so that a pair whose
    # paths do not all run through the removed element is not counted as losing
    sigma = _path_counts(d, src, dst) if not weighted else None

    def all_through(rows_via: np.ndarray, via_cols: np.ndarray, direct: np.ndarray) -> np.ndarray:
        # σ_ik σ_kj = σ_ij (up to rounding, on the safe side) <=> every path runs through k
        return rows_via[:, None] * via_cols[None, :] >= direct * (1 - 1e-9)
    connector = np.zeros(n)
    edge_loss = np.zeros(m)

    # one CSR layout for every re-run; a removed arc gets an infinite length
    csr_order = np.lexsort((dst, src))
    indptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))]
    indices, data0 = dst[csr_order], w[csr_order]
    slot = np.empty_like(csr_order)
    slot[csr_order] = arcs
    mat = csr_matrix((data0.copy(), indices, indptr), shape=(n, n))
    last = np.empty(0, dtype=int)

    blocks = _Blocks(n, src, dst, w, d, kind=kind, theta=theta)

    def rerun(removed_slots: np.ndarray, cover: np.ndarray, block: int, old: np.ndarray) -> np.ndarray:
        """Pair values of the ``cover`` rows once the arcs in ``removed_slots`` are cut."""
        nonlocal last
        if block >= 0 and blocks.size(block) < n:
            return blocks.rerun(block, csr_order[removed_slots], cover, old)
        mat.data[last] = data0[last]
        mat.data[removed_slots] = np.inf
        last = removed_slots
        return _values(dijkstra(mat, directed=True, indices=cover), kind=kind, theta=theta)

    # nodes, all at once: needs[i, k] = k is an interior node of i's shortest-path DAG
    # (weighted: ties are rare, any DAG child; hop metric: a child with k its only parent)
    out_inc = csr_matrix((np.ones(2 * m), (arcs, src)), shape=(2 * m, n))
    needs = np.asarray((only_parent if not weighted else on).astype(np.float64) @ out_inc) > 0
    # for each k, the neighbour (arc into k) with the most sources behind it that need k;
    # of equal counts the first arc
    behind = (on & needs[:, dst]).sum(axis=0)
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
        if sigma is not None:
            via &= all_through(sigma[cover, k], sigma[k], sigma[cover])
        via[:, k] = False
        via[np.arange(len(cover)), cover] = False
        cover = _thin_cover(cover, all_nodes, via)
        if len(cover) == 0:
            continue
        out_slots = np.arange(indptr[k], indptr[k + 1])
        old = pvals[cover]
        new = rerun(np.r_[out_slots, slot[_reverse(csr_order[out_slots], m)]], cover, blocks.of_node[k], old)
        old[:, k] = 0.0
        new[:, k] = 0.0
        connector[k] = _loss_from_rows(a, old, new, cover)
    # edges
    # sources whose only DAG parent of an arc's head is its tail, listed arc by arc
    arc_of, who = np.nonzero(only_parent.T)
    start = np.searchsorted(arc_of, np.arange(2 * m + 1))
    has = np.diff(start) > 0
    for e in np.flatnonzero(has[:m] & has[m:]):
        ru = who[start[e]:start[e + 1]]            # i reaches v only through u -> v
        rv = who[start[e + m]:start[e + m + 1]]    # i reaches u only through v -> u
        u, v, we = src[e], dst[e], w[e]
        block = ru[:, None], rv[None, :]
        with np.errstate(invalid="ignore"):
            via = np.abs(d[ru, u][:, None] + we + d[v, rv][None, :] - d[block]) <= tol
        if sigma is not None:
            via &= all_through(sigma[ru, u], sigma[v, rv], sigma[block])
        if len(ru) == 1 or len(rv) == 1:   # a single source on one side covers every pair
            cover = (ru if len(ru) == 1 else rv) if via.any() else ru[:0]
        else:
            cover = _thin_cover(ru, rv, via)
        if len(cover) == 0:
            continue
        old = pvals[cover]
        new = rerun(slot[[e, e + m]], cover, blocks.of_edge[e], old)
        edge_loss[e] = _loss_from_rows(a, old, new, cover)
    return connector, edge_loss


class _Blocks:
    """Shortest paths after a removal, worked out inside the removed element's block.

    A block is a biconnected component of the graph (Hopcroft & Tarjan 1973). Every path
    from a node j into block B passes through j's entry point e_j (the articulation point
    of B on j's side; j itself when j is in B), and a shortest path between two nodes of B
    stays in B. So after removing an edge of B, or a node of B that is not an articulation
    point, ``D'[i, j] = D[i, e_i] + D'_B[e_i, e_j] + D[e_j, j]`` when ``e_i != e_j``, and
    ``D'[i, j] = D[i, j]`` when ``e_i == e_j``: Dijkstra runs on B only, and once per
    entry point rather than once per source.
    """

    def __init__(self, n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, d: np.ndarray, *,
                 kind: str, theta: float):
        m = len(src) // 2
        self.n, self.src, self.dst, self.w, self.d = n, src, dst, w, d
        self.kind, self.theta = kind, theta
        g = nx.Graph()
        g.add_nodes_from(range(n))
        g.add_edges_from(zip(src[:m].tolist(), dst[:m].tolist(), strict=True))
        edge_id = {(int(x), int(y)): e for e, (x, y) in enumerate(zip(src[:m], dst[:m], strict=True))}
        self.of_edge = np.empty(m, dtype=int)
        for b, pairs in enumerate(nx.biconnected_component_edges(g)):
            self.of_edge[[edge_id.get((x, y), edge_id.get((y, x))) for x, y in pairs]] = b
        arc_block = np.r_[self.of_edge, self.of_edge]
        lo = np.full(n, np.iinfo(int).max)
        hi = np.full(n, -1)
        np.minimum.at(lo, src, arc_block)
        np.maximum.at(hi, src, arc_block)
        # a node in one block only; articulation points (in several) get -1
        self.of_node = np.where(lo == hi, hi, -1)
        # nodes per block (an articulation point counts in every block it belongs to)
        self._sizes = np.bincount(np.unique(np.c_[arc_block, src], axis=0)[:, 0])
        self._cache: dict[int, tuple] = {}

    def size(self, b: int) -> int:
        return int(self._sizes[b])

    def _block(self, b: int) -> tuple:
        if b in self._cache:
            return self._cache[b]
        m = len(self.src) // 2
        be = np.flatnonzero(self.of_edge == b)
        barcs = np.r_[be, be + m]
        nodes = np.unique(self.src[barcs])
        loc = np.full(self.n, -1)
        loc[nodes] = np.arange(len(nodes))
        entry = nodes[np.argmin(self.d[:, nodes], axis=1)]  # the nearest node of B is the entry
        ia = loc[entry]
        dep = self.d[np.arange(self.n), entry]
        bs, bd = loc[self.src[barcs]], loc[self.dst[barcs]]
        order = np.lexsort((bd, bs))
        indptr = np.r_[0, np.cumsum(np.bincount(bs, minlength=len(nodes)))]
        data0 = self.w[barcs][order]
        mat = csr_matrix((data0.copy(), bd[order], indptr), shape=(len(nodes), len(nodes)))
        slot = np.full(2 * m, -1)
        slot[barcs[order]] = np.arange(len(barcs))
        pdep = np.exp(-self.theta * dep) if self.kind == "pc" else None
        out = self._cache[b] = (mat, data0, slot, ia, dep, pdep)
        return out

    def rerun(self, b: int, removed_arcs: np.ndarray, cover: np.ndarray, old: np.ndarray) -> np.ndarray:
        """Pair values from ``cover`` to every node once ``removed_arcs`` (all in block b) are cut.

        ``old`` holds the values before the cut (rows ``cover``): pairs behind the same
        entry point keep them. For PC the value factors, p = e^{-θ D[i, e_i]} p_B e^{-θ D[e_j, j]}.
        """
        mat, data0, slot, ia, dep, pdep = self._block(b)
        cut = slot[removed_arcs]
        mat.data[cut] = np.inf
        ent = ia[cover]
        used = np.zeros(mat.shape[0], dtype=bool)
        used[ent] = True
        rank = np.cumsum(used) - 1        # entry point -> its row among the sources
        db = dijkstra(mat, directed=True, indices=np.flatnonzero(used))
        mat.data[cut] = data0[cut]
        rows = rank[ent][:, None]
        if pdep is not None:
            new = _values(db, kind="pc", theta=self.theta)[rows, ia]
            new *= pdep[cover][:, None]
            new *= pdep
        else:
            new = db[rows, ia]
            new += dep[cover][:, None]
            new += dep
            new = _values(new, kind=self.kind, theta=self.theta)
        same = ent[:, None] == ia[None, :]
        new[same] = old[same]
        return new


def _reverse(arc: np.ndarray, m: int) -> np.ndarray:
    """The arc in the opposite direction (arc e is u->v, e + m is v->u)."""
    return np.where(arc < m, arc + m, arc - m)


def _path_counts(d: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Number of shortest paths between every pair of a unit-length graph (hop distances ``d``).

    Level by level from each source: σ_ij = Σ over DAG parents p of j of σ_ip. Counts are
    floats; beyond 2^53 they are approximate, which the caller allows for.
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


def _thin_cover(rows: np.ndarray, cols: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """A small set of nodes touching every pair ``(rows[r], cols[c])`` with ``pairs[r, c]``.

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


@dataclass(frozen=True)
class _Index:
    value: float               # the index (IIC or PC)
    num: float                 # Σ Σ a_i a_j v_ij
    nodes: pd.DataFrame        # d, intra, flux, connector (percent)
    links: pd.Series           # removal importance per link (percent)


def removal_importance(graph: Graph, *, kind: str, landscape_area: float,
                       median_dispersal_m: float = DEFAULT_MEDIAN_DISPERSAL_M) -> _Index:
    """The index and the importance of every node and link by removal.

    For node k (Saura & Rubio 2010, Ecography 33:523), with I_num = Σ Σ a_i a_j v_ij:

    .. math::
        dI_k = 100 \\frac{I - I_{-k}}{I} = dI^{intra}_k + dI^{flux}_k + dI^{connector}_k

        dI^{intra}_k = 100 \\frac{a_k^2}{I_{num}}, \\quad
        dI^{flux}_k = 100 \\frac{2 \\sum_{i \\ne k} a_i a_k v_{ik}}{I_{num}}

    and the connector fraction is the loss among pairs i, j ≠ k whose best path ran
    through k. ``I_{-k}`` removes k's attribute and links; A_L is unchanged. For a link,
    ``dI = 100 (I - I_{-link}) / I`` (Conefor's link-removal mode). Links in parallel
    with another link of the same or shorter length have importance 0; of a parallel set,
    the shortest is scored against the next shortest.

    ``kind`` is ``"iic"`` (v = 1 / (1 + nl)) or ``"pc"`` (v = p*).
    """
    if kind not in {"iic", "pc"}:
        raise ValueError(f"kind must be 'iic' or 'pc', not {kind!r}")
    theta = math.log(2) / median_dispersal_m
    a = graph.attribute
    weighted = kind == "pc"
    d = dijkstra(graph.matrix(weighted=weighted), directed=False) if graph.n else np.zeros((0, 0))
    pv = _values(d, kind=kind, theta=theta)
    num = float(a @ pv @ a) if graph.n else 0.0
    value = num / landscape_area ** 2
    if num <= 0:
        nodes = pd.DataFrame(0.0, index=graph.nodes.index, columns=["d", "intra", "flux", "connector"])
        return _Index(value, num, nodes, pd.Series(0.0, index=graph.links.index))
    intra = a ** 2
    off = pv - np.diag(np.diag(pv))
    flux = 2.0 * a * (off @ a)
    connector, edge_loss = _removal_losses(graph, kind=kind, theta=theta, d=d, pvals=pv)
    nodes = pd.DataFrame({
        "intra": 100 * intra / num, "flux": 100 * flux / num, "connector": 100 * connector / num,
    }, index=graph.nodes.index)
    nodes.insert(0, "d", nodes.sum(axis=1))
    links = _link_importance(graph, kind=kind, theta=theta, d=d, pv=pv, num=num,
                             edge_loss=edge_loss, weighted=weighted)
    return _Index(value, num, nodes, links)


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
        new = _values(dijkstra(mat, directed=False), kind=kind, theta=theta)
        out[lk.index.get_loc(first)] = float(a @ (pv - new) @ a)
    return pd.Series(100 * out / num, index=lk.index)


def gravity(area_a_km2, area_b_km2, length, *, l_max: float, resistance_a=1.0, resistance_b=1.0,
            area_unit: str = "ha"):
    """Gravity-model interaction strength of a corridor (Kong et al. 2010; Tomur, Sustainability 2020).

    .. math::
        G_{ab} = \\frac{N_a N_b}{D_{ab}^2}
               = \\frac{L_{max}^2 \\ln S_a \\ln S_b}{L_{ab}^2 P_a P_b}, \\quad
        N = \\frac{\\ln S}{P}, \\quad D_{ab} = \\frac{L_{ab}}{L_{max}}

    S is the patch area in ``area_unit`` (``m2``, ``ha`` or ``km2``; ln S depends on it,
    so it is recorded with the result), P the patch's mean resistance (1 without a
    resistance surface), L_ab the corridor's (cost-weighted) length and L_max the largest
    L over all corridors of the graph.
    """
    if area_unit not in GRAVITY_AREA_UNITS:
        raise InputError(f"area unit must be one of {', '.join(GRAVITY_AREA_UNITS)}, not {area_unit!r}")
    f = 1e6 / GRAVITY_AREA_UNITS[area_unit]
    n_a = np.log(np.asarray(area_a_km2, dtype=float) * f) / np.asarray(resistance_a, dtype=float)
    n_b = np.log(np.asarray(area_b_km2, dtype=float) * f) / np.asarray(resistance_b, dtype=float)
    dd = np.asarray(length, dtype=float) / l_max
    return n_a * n_b / dd ** 2


def betweenness(graph: Graph) -> tuple[pd.Series, pd.Series]:
    """Shortest-path betweenness of nodes and links, normalized (Freeman 1977; Brandes 2001).

    .. math:: BC(k) = \\frac{1}{(V-1)(V-2)/2} \\sum_{i<j;\\, i,j \\ne k} \\frac{\\sigma_{ij}(k)}{\\sigma_{ij}}

    over distance-weighted shortest paths. A link's value is that of its graph edge; of
    parallel links only the shortest carries it.
    """
    fast = _betweenness_unique(graph)
    if fast is not None:
        nodes_v, edge_v = fast
        nodes = pd.Series(nodes_v, index=graph.nodes.index, dtype=float, name="betweenness")
        lk = graph.links
        vals = np.zeros(len(lk))
        if len(lk):
            edge_of = pd.Series(np.arange(len(graph.edges)),
                                index=pd.MultiIndex.from_frame(graph.edges[["u", "v"]]))
            e = edge_of.reindex(pd.MultiIndex.from_frame(lk[["u", "v"]])).to_numpy()
            shortest = lk.groupby(["u", "v"])["distance"].transform("min").to_numpy()
            carrier = (lk["distance"].to_numpy() == shortest) & ~lk.assign(
                s=lk["distance"].to_numpy() == shortest).duplicated(["u", "v", "s"]).to_numpy()
            vals[carrier] = edge_v[e[carrier]]
        return nodes, pd.Series(vals, index=lk.index, name="betweenness")
    g = nx.Graph()
    g.add_nodes_from(range(graph.n))
    g.add_weighted_edges_from(graph.edges[["u", "v", "distance"]].itertuples(index=False, name=None))
    nb = nx.betweenness_centrality(g, weight="weight", normalized=True)
    eb = nx.edge_betweenness_centrality(g, weight="weight", normalized=True)
    nodes = pd.Series([nb[i] for i in range(graph.n)], index=graph.nodes.index, dtype=float)
    lk = graph.links
    vals = np.zeros(len(lk))
    if len(lk):
        shortest = lk.groupby(["u", "v"])["distance"].transform("min").to_numpy()
        first = ~lk.assign(s=lk["distance"] == shortest).duplicated(["u", "v", "s"]).to_numpy()
        for i, (u, v, dist) in enumerate(lk[["u", "v", "distance"]].itertuples(index=False)):
            if dist == shortest[i] and first[i]:
                vals[i] = eb.get((u, v), eb.get((v, u), 0.0))
    return nodes.rename("betweenness"), pd.Series(vals, index=lk.index, name="betweenness")


def _betweenness_unique(graph: Graph) -> tuple[np.ndarray, np.ndarray] | None:
    """Normalized node and edge betweenness when every shortest path is unique, else None.

    With unique paths the shortest paths from a source form a tree; a node lies inside
    the paths to the targets below it, an edge (parent(x), x) on the paths to x and the
    targets below x. Subtree sizes of all trees are counted at once by walking every
    target up its predecessor chain (one vectorized step per tree level).
    """
    n = graph.n
    if n < 2:
        return np.zeros(n), np.zeros(len(graph.edges))
    src, dst, w = _arc_arrays(graph, True)
    mat = csr_matrix((w, (src, dst)), shape=(n, n))
    d, pred = dijkstra(mat, directed=True, return_predecessors=True)
    on = _on_path(d, src, dst, w)
    inc = csr_matrix((np.ones(len(dst)), (np.arange(len(dst)), dst)), shape=(len(dst), n))
    if len(dst) and (np.asarray(on.astype(np.float64) @ inc) > 1).any():
        return None  # tied shortest paths: leave it to Brandes' algorithm
    # cnt[i, x]: targets of i whose path runs through x (x included) = the size of x's
    # subtree in i's tree; children lie farther than their parent (lengths > 0), so taking
    # the nodes of every tree farthest first adds each subtree to its parent complete
    reach = pred >= 0
    cnt = reach.astype(np.float64)
    far_first = np.argsort(np.where(reach, d, -1.0), axis=1, kind="stable")[:, ::-1]
    rows = np.arange(n)
    for x in far_first.T:
        p = pred[rows, x]
        ok = p >= 0
        cnt[rows[ok], p[ok]] += cnt[rows[ok], x[ok]]
    node_raw = np.where(reach, cnt - 1, 0).sum(axis=0) / 2.0
    node_bc = node_raw / ((n - 1) * (n - 2) / 2.0) if n > 2 else np.zeros(n)
    eid = np.full(n * n, -1)
    u = graph.edges["u"].to_numpy(dtype=int)
    v = graph.edges["v"].to_numpy(dtype=int)
    eid[u * n + v] = eid[v * n + u] = np.arange(len(u))
    i, x = np.nonzero(reach)
    e = eid[pred[i, x] * n + x]
    edge_raw = np.bincount(e, weights=cnt[i, x], minlength=len(u)) / 2.0
    edge_bc = edge_raw / (n * (n - 1) / 2.0)
    return node_bc, edge_bc


# --------------------------------------------------------------------------------------------
# the whole analysis
@dataclass
class ConnectivityResult:
    """The outcome of :func:`analyse`.

    ``summary``: dict of network-level figures; ``patches``: DataFrame indexed by patch id;
    ``corridors``: DataFrame indexed by corridor (or link) id; ``gaps``: GeoDataFrame of
    uncovered barrier crossings in EPSG:4547.
    """

    summary: dict
    patches: pd.DataFrame
    corridors: pd.DataFrame
    gaps: gpd.GeoDataFrame
    graph: Graph | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The JSON shape: the summary's keys, then ``patches``, ``corridors``, ``gaps`` lists."""
        def rows(df: pd.DataFrame) -> list[dict]:
            out = df.reset_index().rename(columns={df.index.name or "index": "id"})
            recs = [{k: _plain(v) for k, v in r.items()} for r in out.to_dict(orient="records")]
            for r in recs:  # counts and ranks as integers
                for k in ("rank", "bridges", "crossings", "gaps"):
                    if isinstance(r.get(k), float):
                        r[k] = int(r[k])
            return recs

        gaps = self.gaps
        if len(gaps):
            ll = gaps.to_crs(_crs.WGS84).geometry
            g = pd.DataFrame({
                "corridor_id": gaps["corridor_id"].to_numpy(),
                "barrier_id": gaps["barrier_id"].to_numpy(),
                "lon": np.round(ll.x.to_numpy(), 6),
                "lat": np.round(ll.y.to_numpy(), 6),
                "kind": gaps["kind"].to_numpy(),
                "permeability": gaps["permeability"].to_numpy(),
            })
            gap_rows = [{k: _plain(v) for k, v in r.items()} for r in g.to_dict(orient="records")]
        else:
            gap_rows = []
        return {**{k: _plain(v) for k, v in self.summary.items()},
                "patches": rows(self.patches), "corridors": rows(self.corridors), "gaps": gap_rows}

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (NaN written as null)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _plain(v):
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def _landscape_area(network: Network, landscape_area_km2: float | None) -> float:
    if landscape_area_km2 is not None:
        return _check_positive(landscape_area_km2, "landscape area (km²)")
    # The landscape is the study area the patches lie in: the district, the city's districts
    # where the data carries them (the framework spans the city), and any patch reaching
    # beyond both. Taking the district alone would let city-wide patches push IIC/PC past 1.
    parts = [network[name].geometry.values for name in ("boundary", "districts", "patches")]
    geoms = np.concatenate(parts) if parts else np.array([])
    area = float(shapely.area(shapely.union_all(geoms))) / 1e6 if len(network.boundary) else 0.0
    if area <= 0:
        raise InputError("no boundary to take the landscape area from; give --landscape-area KM2")
    return area


def analyse(
    network: Network,
    *,
    median_dispersal: float = DEFAULT_MEDIAN_DISPERSAL_M,
    links: str = "corridors",
    threshold: float | None = None,
    landscape_area_km2: float | None = None,
    cost_lengths: pd.Series | dict | None = None,
    patch_resistance: pd.Series | dict | None = None,
    gravity_area_unit: str = "ha",
    cover_distance_m: float = 100.0,
    exclude_status: tuple[str, ...] = ("broken",),
) -> ConnectivityResult:
    """Every connectivity figure of a network: indices, patch and corridor importance, gaps.

    Parameters
    ----------
    median_dispersal
        Distance (m) at which the direct dispersal probability is 0.5 (θ = ln 2 / median).
    links
        ``"corridors"`` (default) or ``"distance"`` (all patch pairs within ``threshold`` m).
    landscape_area_km2
        A_L of IIC and PC; by default the area of the union of boundary, districts and patches.
    cost_lengths
        Cost-weighted corridor lengths replacing the geometric ones as link distances.
    patch_resistance
        Mean resistance P of each patch for the gravity model (1 where not given).
    cover_distance_m
        How near a bridge site or tunnel must be to a barrier crossing to cover it.
    exclude_status
        Corridor statuses left out of the graph (``broken`` by default). Their
        ``restore_dPC`` says by how much PC would rise if each were restored alone.
    """
    from ..joins import barrier_crossings, bridge_counts, corridor_ends, trail_lengths

    median_dispersal = _check_positive(median_dispersal, "median dispersal distance (m)")
    area = _landscape_area(network, landscape_area_km2)
    graph = build_graph(network, links=links, threshold=threshold, cost_lengths=cost_lengths,
                        exclude_status=exclude_status)
    res_iic = removal_importance(graph, kind="iic", landscape_area=area)
    res_pc = removal_importance(graph, kind="pc", landscape_area=area, median_dispersal_m=median_dispersal)
    nb, lb = betweenness(graph)
    ncomp = connected_components(graph.matrix(), directed=False)[0] if graph.n else 0

    patches = graph.nodes[["area_km2", "quality", "attribute"]].copy()
    patches["kind"] = network.patches["kind"].reindex(patches.index.astype(object)).to_numpy() \
        if len(patches) else []
    patches["dIIC"] = res_iic.nodes["d"]
    patches["dPC"] = res_pc.nodes["d"]
    patches["dPC_intra"] = res_pc.nodes["intra"]
    patches["dPC_flux"] = res_pc.nodes["flux"]
    patches["dPC_connector"] = res_pc.nodes["connector"]
    patches["betweenness"] = nb
    patches.index.name = "id"

    corridor_trails, patch_trails = trail_lengths(network)
    crossings = barrier_crossings(network, cover_distance_m=cover_distance_m)
    gaps = crossings[~crossings["covered"].astype(bool)]
    if links == "corridors":
        c = network.corridors
        ends = corridor_ends(network)
        corr = pd.DataFrame(index=c.index.astype(str))
        corr["from_id"] = ends["from_id"].to_numpy()
        corr["to_id"] = ends["to_id"].to_numpy()
        corr["status"] = c["status"].to_numpy()
        corr["length_m"] = shapely.length(c.geometry.values)
        corr["distance"] = graph.links["distance"].reindex(corr.index)
        corr["in_graph"] = corr.index.isin(graph.links.index)
        corr["dIIC"] = res_iic.links.reindex(corr.index)
        corr["dPC"] = res_pc.links.reindex(corr.index)
        corr["betweenness"] = lb.reindex(corr.index)
        corr["restore_dPC"] = _restore_gain(network, graph, corr, res_pc.num, median_dispersal,
                                            cost_lengths)
        corr["gravity"] = _gravity_column(graph, corr, patch_resistance, gravity_area_unit)
        corr["bridges"] = bridge_counts(network).reindex(c.index).to_numpy()
        corr["crossings"] = crossings.groupby("corridor_id").size().reindex(c.index, fill_value=0).to_numpy()
        corr["gaps"] = gaps.groupby("corridor_id").size().reindex(c.index, fill_value=0).to_numpy()
        corr["trail_m"] = corridor_trails.reindex(c.index).to_numpy()
        unattached = [str(i) for i in ends.index[~ends["touches_patch"].to_numpy()]
                      if pd.isna(ends.loc[i, "from_id"]) or pd.isna(ends.loc[i, "to_id"])]
    else:
        lk = graph.links
        corr = pd.DataFrame({
            "from_id": graph.nodes.index.to_numpy()[lk["u"].to_numpy()] if len(lk) else [],
            "to_id": graph.nodes.index.to_numpy()[lk["v"].to_numpy()] if len(lk) else [],
            "length_m": lk["length_m"].to_numpy(), "distance": lk["distance"].to_numpy(),
        }, index=lk.index)
        corr["in_graph"] = True
        corr["dIIC"] = res_iic.links
        corr["dPC"] = res_pc.links
        corr["betweenness"] = lb
        corr["gravity"] = _gravity_column(graph, corr, patch_resistance, gravity_area_unit)
        unattached = []
    corr.index.name = "id"
    key = corr[["dPC", "dIIC", "gravity"]].fillna(-np.inf)
    order = np.lexsort((-key["gravity"].to_numpy(), -key["dIIC"].to_numpy(), -key["dPC"].to_numpy()))
    rank = np.empty(len(corr), dtype=float)
    rank[order] = np.arange(1, len(corr) + 1)
    rank[~corr["in_graph"].to_numpy(dtype=bool)] = np.nan
    corr.insert(0, "rank", rank)
    patches["trail_m"] = patch_trails.reindex(patches.index.astype(object)).to_numpy() if len(patches) else []

    n_links = len(graph.edges)
    summary = {
        "iic": res_iic.value,
        "pc": res_pc.value,
        "ec_pc": math.sqrt(res_pc.num),
        "ec_iic": math.sqrt(res_iic.num),
        **structure_indices(graph.n, n_links),
        "components": int(ncomp),
        "n_patches": int(graph.n),
        "n_links": int(n_links),
        "links_mode": links,
        "threshold_m": threshold,
        "median_dispersal_m": median_dispersal,
        "theta_per_m": math.log(2) / median_dispersal,
        "landscape_area_km2": area,
        "habitat_km2": float(graph.attribute.sum()),
        "gravity_area_unit": gravity_area_unit,
        "n_crossings": int(len(crossings)),
        "n_gaps": int(len(gaps)),
        "cover_distance_m": cover_distance_m,
        "unattached_corridors": unattached,
    }
    result_gaps = gaps[["corridor_id", "barrier_id", "kind", "permeability", "geometry"]].copy()
    result_gaps.index.name = "crossing"
    return ConnectivityResult(summary, patches, corr, result_gaps, graph)


def _gravity_column(graph: Graph, corr: pd.DataFrame, resistance, unit: str) -> np.ndarray:
    nodes = graph.nodes
    ok = corr["in_graph"].to_numpy(dtype=bool)
    out = np.full(len(corr), np.nan)
    if not ok.any():
        return out
    res = pd.Series(resistance if resistance is not None else {}, dtype=float)
    rf = res.reindex(corr["from_id"][ok].astype(str)).fillna(1.0).to_numpy()
    rt = res.reindex(corr["to_id"][ok].astype(str)).fillna(1.0).to_numpy()
    dist = corr["distance"][ok].to_numpy(dtype=float)
    out[ok] = gravity(nodes["area_km2"].reindex(corr["from_id"][ok].astype(str)).to_numpy(),
                      nodes["area_km2"].reindex(corr["to_id"][ok].astype(str)).to_numpy(),
                      dist, l_max=float(dist.max()), resistance_a=rf, resistance_b=rt, area_unit=unit)
    return out


def _restore_gain(network: Network, graph: Graph, corr: pd.DataFrame, num: float,
                  median: float, cost_lengths) -> np.ndarray:
    """100 (PC_num with the corridor − PC_num) / PC_num for corridors left out by status."""
    out = np.full(len(corr), np.nan)
    if num <= 0:
        return out
    pos = pd.Series(np.arange(graph.n), index=graph.nodes.index)
    cand = ~corr["in_graph"].to_numpy(dtype=bool) & corr["from_id"].astype(str).isin(pos.index).to_numpy() \
        & corr["to_id"].astype(str).isin(pos.index).to_numpy() \
        & (corr["from_id"].astype(str) != corr["to_id"].astype(str)).to_numpy()
    theta = math.log(2) / median
    a = graph.attribute
    cl = pd.Series(cost_lengths if cost_lengths is not None else {}, dtype=float)
    for i in np.flatnonzero(cand):
        cid = corr.index[i]
        dist = cl.get(cid, corr["length_m"].iloc[i])
        u, v = sorted((int(pos[str(corr["from_id"].iloc[i])]), int(pos[str(corr["to_id"].iloc[i])])))
        edges = pd.concat([graph.edges, pd.DataFrame({"u": [u], "v": [v], "distance": [max(dist, _MIN_LENGTH_M)]})],
                          ignore_index=True).groupby(["u", "v"], as_index=False)["distance"].min()
        g2 = Graph(graph.nodes, graph.links, edges)
        pv = _values(dijkstra(g2.matrix(), directed=False), kind="pc", theta=theta)
        out[i] = 100 * (float(a @ pv @ a) - num) / num
    return out


# --------------------------------------------------------------------------------------------
# scenarios
def read_addition(path: str | os.PathLike) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """A GeoJSON file of planned corridors (LineString) and/or patches (Polygon), in EPSG:4547.

    Missing columns get defaults (corridor ``width_m`` 100, ``kind`` green, ``status``
    planned; patch ``kind`` planned); a feature without ``id`` gets ``ADD<n>``. Any other
    geometry type is an error naming the file and feature.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio's DataSourceError and friends
        raise InputError(f"{path}: not readable as GeoJSON: {str(exc).splitlines()[0]}") from None
    if gdf.crs is None:
        gdf = gdf.set_crs(_crs.WGS84)
    if "id" not in gdf.columns:
        gdf["id"] = None
    ids = [str(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v) != ""
           else f"ADD{i + 1}" for i, v in enumerate(gdf["id"].tolist())]
    gdf["id"] = ids
    types = gdf.geom_type.to_numpy(dtype=object)
    line = np.isin(types, ("LineString", "MultiLineString"))
    poly = np.isin(types, ("Polygon", "MultiPolygon"))
    bad = np.flatnonzero(~(line | poly))
    if len(bad):
        i = int(bad[0])
        raise InputError(f"{path}: feature {ids[i]}: geometry type {types[i]} is not a corridor "
                         "(LineString) or a patch (Polygon)")
    gdf = gdf.to_crs(_crs.INTERNAL).set_index("id")
    defaults = {"width_m": 100.0, "kind": "green", "status": "planned", "from_id": None, "to_id": None,
                "source": str(path), "confidence": "indicative"}
    corr = gdf[line].copy()
    for k, v in defaults.items():
        if k not in corr.columns:
            corr[k] = v
    if "width_m" in gdf.columns:
        corr["width_m"] = pd.to_numeric(corr["width_m"], errors="coerce").fillna(100.0)
    pat = gdf[poly].copy()
    for k, v in {"kind": "planned", "quality": np.nan, "source": str(path), "confidence": "indicative"}.items():
        if k not in pat.columns:
            pat[k] = v
    return corr, pat


@dataclass
class Scenario:
    """Before and after of a change to the network; ``table`` has before, after, change."""

    before: ConnectivityResult
    after: ConnectivityResult
    removed: list[str]
    added: list[str]

    @property
    def table(self) -> pd.DataFrame:
        keys = ["iic", "pc", "ec_pc", "ec_iic", "alpha", "beta", "gamma", "components",
                "n_patches", "n_links", "habitat_km2", "n_gaps"]
        b = pd.Series({k: self.before.summary[k] for k in keys}, dtype=float)
        a = pd.Series({k: self.after.summary[k] for k in keys}, dtype=float)
        pct = 100 * (a - b) / b.abs().where(b != 0)
        return pd.DataFrame({"before": b, "after": a, "change": a - b, "change_pct": pct})

    def to_dict(self) -> dict:
        t = self.table
        return {
            "removed": self.removed, "added": self.added,
            "indices": {k: {c: _plain(t.loc[k, c]) for c in t.columns} for k in t.index},
            "after": self.after.to_dict(),
        }


def scenario(
    network: Network,
    *,
    remove: list[str] | tuple[str, ...] = (),
    add: str | os.PathLike | tuple[gpd.GeoDataFrame, gpd.GeoDataFrame] | None = None,
    **options,
) -> Scenario:
    """Every index before and after removing corridors/patches and adding planned ones.

    ``remove`` names corridor or patch ids (a removed patch takes its corridors' links
    with it); ``add`` is a GeoJSON file (see :func:`read_addition`) or a pair of frames
    (corridors, patches) in EPSG:4547. ``options`` go to :func:`analyse`.
    """
    remove = [str(r).strip() for r in remove if str(r).strip()]
    corr_ids = set(network.corridors.index.astype(str))
    patch_ids = set(network.patches.index.astype(str))
    unknown = [r for r in remove if r not in corr_ids | patch_ids]
    if unknown:
        raise InputError(f"--remove: unknown id {unknown[0]!r} (not a corridor or patch id)")
    before = analyse(network, **options)
    corridors = network.corridors[~network.corridors.index.astype(str).isin(remove)]
    patches = network.patches[~network.patches.index.astype(str).isin(remove)]
    added: list[str] = []
    if add is not None:
        new_c, new_p = read_addition(add) if not isinstance(add, tuple) else add
        clash = sorted((set(new_c.index) | set(new_p.index)) & (corr_ids | patch_ids))
        if clash:
            raise InputError(f"--add: id {clash[0]!r} is already in the network")
        cols_c = list(network.corridors.columns)
        cols_p = list(network.patches.columns)
        corridors = pd.concat([corridors, new_c.reindex(columns=cols_c)])
        patches = pd.concat([patches, new_p.reindex(columns=cols_p)])
        added = [*map(str, new_c.index), *map(str, new_p.index)]
    after_net = network.replace(corridors=gpd.GeoDataFrame(corridors, crs=_crs.INTERNAL),
                                patches=gpd.GeoDataFrame(patches, crs=_crs.INTERNAL))
    after = analyse(after_net, **options)
    return Scenario(before, after, remove, added)
