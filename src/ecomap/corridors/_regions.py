"""Circuitscape's focal-region rule, exactly, with one factorization per connected component.

In a pairwise solve Circuitscape short-circuits only the pair's two focal regions (its
``docs/src/options.md``, "Focal Nodes"); every other region is ordinary cells. Solving each pair
from scratch needs one factorization per pair. Here the cell Laplacian (no focal region shorted)
is factored once per component (CHOLMOD's supernodal Cholesky), with the **ring** cells last:
the cells of a region that touch a cell outside it. Only ring cells matter when a region is shorted (its inner cells are then at the
ring's potential). The trailing block of that factorization is the Schur complement on the ring
cells, whose inverse ``G`` is the grounded Green's function on them. A pair (A, B) is then a small
dense system on the rings of A and B (the currents ``i`` the shorted node sends into its ring
cells, the two region potentials and one potential offset per component)::

    G i + P theta - 1_A V_A = 0      (ring potentials; V_B = 0)
    P^T i = 0                         (no net current into any component)
    1_A^T i = 1                       (1 A enters A)

and ``R_AB = V_A``. Each ring is one block of ``G``; a pair eliminates ``i`` by a 2x2 block
Cholesky that reuses the factor of the larger ring's block. The pair's potentials on every cell,
for its current map, are one more solve with the same factor.

Private to :mod:`ecomap.corridors.circuit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy.linalg import lapack
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu

from .._errors import InputError
from ._solver import RING_MATRICES, _available_memory, import_cholmod

cholmod = import_cholmod()


@dataclass
class _Block:
    """One component: the factor of its grounded Laplacian (rings last) and ``G`` on its rings."""

    nodes: np.ndarray  # node ids in factor order (ground left out; rings last)
    ground: int
    fac: object | None  # CHOLMOD factor of the grounded Laplacian in ``nodes`` order (None: rings only)
    dense: np.ndarray | None  # the grounded Laplacian itself when it is rings only
    rings: np.ndarray  # ring node ids, in the order of ``G``
    g: np.ndarray  # grounded Green's function on ``rings`` (lower triangle; full when rings only)

    def solve(self, b: np.ndarray) -> np.ndarray:
        if self.fac is None:
            return sla.solve(self.dense, b, assume_a="pos")
        return self.fac.solve_A(b)


def nd_order(rows: np.ndarray, cols: np.ndarray, *, leaf: int = 64) -> np.ndarray:
    """A geometric nested dissection of grid nodes: positions into ``rows``, halves before separators.

    On an 8- or 4-neighbour grid a line of cells separates the two sides, so this fill-reducing
    order costs a few array passes, where SuperLU's minimum degree costs a factorization.
    """
    out: list[np.ndarray] = []
    todo: list[tuple[np.ndarray, bool]] = [(np.arange(len(rows)), False)]
    while todo:  # an explicit stack: (block, its halves already placed)
        idx, done = todo.pop()
        if done or len(idx) <= leaf:
            out.append(idx)
            continue
        a, b = rows[idx], cols[idx]
        co = a if np.ptp(a) >= np.ptp(b) else b
        mid = (int(co.min()) + int(co.max())) // 2
        lo, hi = idx[co < mid], idx[co > mid]
        if not len(lo) or not len(hi):
            out.append(idx)
            continue
        todo += [(idx[co == mid], True), (hi, False), (lo, False)]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def _order_inner(lap: sp.csr_matrix, inner: np.ndarray, coords) -> np.ndarray:
    """Inner nodes in a fill-reducing order: nested dissection on ``coords``, else minimum degree."""
    if coords is not None:
        return inner[nd_order(coords[0][inner], coords[1][inner])]
    lu0 = splu(lap[inner][:, inner].tocsc(), permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
    return inner[np.argsort(lu0.perm_c)]


def _lower(edges, nodes: np.ndarray, n: int) -> sp.csc_matrix:
    """The lower triangle of the Laplacian on ``nodes``, in their order (CHOLMOD reads only it).

    ``edges`` is ``(u, v, g, degree)``; an edge to a node not in ``nodes`` (the ground) only adds
    to the diagonal.
    """
    u, v, g, degree = edges
    inv = np.full(n, -1, dtype=np.int64)
    inv[nodes] = np.arange(len(nodes))
    i, j = inv[u], inv[v]
    keep = (i >= 0) & (j >= 0)
    i, j = i[keep], j[keep]
    k = len(nodes)
    rows = np.concatenate([np.maximum(i, j), np.arange(k)])
    cols = np.concatenate([np.minimum(i, j), np.arange(k)])
    data = np.concatenate([-g[keep], degree[nodes]])
    return sp.csc_matrix((data, (rows, cols)), shape=(k, k))


def _factor_block(lap: sp.csr_matrix, edges, members: np.ndarray, ring_of: np.ndarray, coords=None) -> _Block:
    """Factor one component's grounded Laplacian with its ring nodes last; ``G`` on the rings.

    CHOLMOD's supernodal Cholesky ``A = L L^T`` in the given order (dense BLAS-3 on the ring
    block, where SuperLU works column by column). The trailing factor is that of the Schur
    complement on the rings, ``S = L22 L22^T``, so ``G = S^{-1} = L22^{-T} L22^{-1}``: one
    triangular inverse and one triangular product (LAPACK ``trtri``, ``lauum``). Only the lower
    triangle of ``G`` is filled (the pair solves read only that). ``ring_of`` is the first region
    whose ring holds a node (-1: no ring); the rings are ordered region by region, so a region's
    ring is one contiguous block of ``G``. ``edges``: see :func:`_lower`.
    """
    is_ring = ring_of >= 0
    inner = members[~is_ring[members]]
    ground = int(inner[0]) if len(inner) else int(members[0])
    inner = inner[inner != ground]
    rings = members[is_ring[members] & (members != ground)]
    rings = rings[np.argsort(ring_of[rings], kind="stable")]
    if len(inner):
        inner = _order_inner(lap, inner, coords)
    nodes = np.concatenate([inner, rings])
    a = _lower(edges, nodes, lap.shape[0])
    m, ni = len(rings), len(inner)
    if not ni:
        dense = a.toarray()
        dense = dense + np.tril(dense, -1).T
        g = np.tril(np.linalg.inv(dense)) if m else np.zeros((0, 0))
        return _Block(nodes, ground, None, dense, rings, g)
    fac = cholmod.cholesky(a, mode="supernodal", ordering_method="natural")
    if not np.array_equal(fac.P(), np.arange(len(nodes))):  # pragma: no cover
        raise RuntimeError("CHOLMOD reordered a factorization asked in natural order")
    if not m:
        return _Block(nodes, ground, fac, None, rings, np.zeros((0, 0)))
    l22 = _trailing(fac.L(), ni, m)
    linv, info = lapack.dtrtri(l22, lower=1, overwrite_c=1)
    if info:  # pragma: no cover
        raise RuntimeError(f"LAPACK trtri failed ({info})")
    g, info = lapack.dlauum(linv, lower=1, overwrite_c=1)  # lower triangle of L^T L
    if info:  # pragma: no cover
        raise RuntimeError(f"LAPACK lauum failed ({info})")
    return _Block(nodes, ground, fac, None, rings, g)


def _trailing(f: sp.csc_matrix, start: int, m: int) -> np.ndarray:
    """The dense trailing ``m x m`` block of a lower-triangular CSC factor, in Fortran order."""
    out = np.zeros((m, m), order="F")
    ptr, rows, data = f.indptr, f.indices, f.data
    for j in range(m):  # column by column: in the dense ring block each is one contiguous run
        lo, hi = ptr[start + j], ptr[start + j + 1]
        r = rows[lo:hi] - start
        if hi - lo == m - j and r[0] == j and r[-1] == m - 1:
            out[j:, j] = data[lo:hi]
        else:
            out[r, j] = data[lo:hi]
    return out


class RegionCircuit:
    """Cells as nodes, with focal regions shorted only pair by pair (Circuitscape's rule).

    Parameters
    ----------
    n : int
        Nodes of the base circuit (short-circuit regions, if any, already one node each).
    u, v, g : numpy.ndarray
        Its edges and their conductances.
    regions : list of numpy.ndarray
        The nodes of each focal region (empty where it has no valid cell).
    max_memory : int, optional
        Bytes the dense ring matrices may take (default 80 % of the available memory).
    coords : (rows, cols) of numpy.ndarray, optional
        Grid position of each node, for a nested-dissection order (else SuperLU's minimum degree).
    """

    def __init__(self, n: int, u: np.ndarray, v: np.ndarray, g: np.ndarray, regions: list[np.ndarray], *,
                 max_memory: int | None = None, coords=None):
        self.n, self.u, self.v, self.g, self.regions = n, u, v, g, regions
        rows = np.concatenate([u, v, u, v])
        cols = np.concatenate([v, u, u, v])
        lap = sp.coo_matrix((np.concatenate([-g, -g, g, g]), (rows, cols)), shape=(n, n)).tocsr()
        _, self.comp = csgraph.connected_components(lap, directed=False)
        self.rings = [self._ring(nodes) for nodes in regions]
        self._overlaps = _overlaps(n, regions)
        ring_of = np.full(n, -1, dtype=np.int64)
        for k in range(len(regions) - 1, -1, -1):
            ring_of[self.rings[k]] = k
        is_ring = ring_of >= 0
        _check_ring_memory(int(is_ring.sum()), max_memory)
        self.blocks: dict[int, _Block] = {}
        self._spans: dict[int, slice | None] = {}
        self._chols: dict[int, np.ndarray] = {}
        self.where = np.full(n, -1, dtype=np.int64)  # position of a ring node in its block's G
        edges = (u, v, g, np.bincount(u, g, minlength=n) + np.bincount(v, g, minlength=n))
        for c in np.unique(self.comp[is_ring]):
            blk = _factor_block(lap, edges, np.flatnonzero(self.comp == c), ring_of, coords)
            self.blocks[int(c)] = blk
            self.where[blk.rings] = np.arange(len(blk.rings))

    def _ring(self, nodes: np.ndarray) -> np.ndarray:
        """The region's nodes joined by an edge to a node outside it."""
        if not len(nodes):
            return nodes
        inside = np.zeros(self.n, dtype=bool)
        inside[nodes] = True
        cross = inside[self.u] != inside[self.v]
        ends = np.concatenate([self.u[cross], self.v[cross]])
        return np.unique(ends[inside[ends]])

    def overlap(self, a: int, b: int) -> bool:
        """Whether two regions share a node (Circuitscape: 0 ohm between them)."""
        return (a, b) in self._overlaps or (b, a) in self._overlaps

    def connected(self, a: int, b: int) -> bool:
        """Whether current can flow from region a to region b with only those two shorted."""
        ca, cb = self.comp[self.rings[a]], self.comp[self.rings[b]]
        return bool(len(np.intersect1d(ca, cb)))

    def _span(self, k: int):
        """Region k's ring as a slice of its block's ``G`` (one component, ground not on it), else None."""
        if k not in self._spans:
            ring, out = self.rings[k], None
            if len(ring) and np.all(self.comp[ring] == self.comp[ring[0]]):
                pos = np.sort(self.where[ring])
                if pos[0] >= 0 and pos[-1] - pos[0] + 1 == len(pos):
                    out = slice(int(pos[0]), int(pos[-1]) + 1)
            self._spans[k] = out
        return self._spans[k]

    def _chol(self, k: int) -> np.ndarray:
        """Lower Cholesky factor of ``G`` on region k's ring (kept: every pair with k reuses it)."""
        if k not in self._chols:
            sl = self._span(k)
            low = np.tril(self.blocks[int(self.comp[self.rings[k][0]])].g[sl, sl])
            self._chols[k] = lapack.dpotrf(low + np.tril(low, -1).T, lower=1, clean=1)[0]
        return self._chols[k]

    def _block_solve(self, big: int, small: int, rhs: np.ndarray) -> np.ndarray:
        """``G_tt^{-1} rhs`` on ``t = ring(big) + ring(small)`` by a 2x2 block Cholesky.

        The factor of the larger ring's diagonal block is shared by all its pairs, so a pair
        costs ``|big|^2 |small|`` (one triangular solve), not ``(|big| + |small|)^3 / 3``.
        """
        g = self.blocks[int(self.comp[self.rings[big][0]])].g
        sa, sb = self._span(big), self._span(small)
        gba = g[sb, sa] if sb.start > sa.start else g[sa, sb].T  # only the lower triangle is filled
        la = self._chol(big)
        w = sla.solve_triangular(la, gba.T, lower=True, check_finite=False)
        low = np.tril(g[sb, sb])
        sc = low + np.tril(low, -1).T - w.T @ w
        ls = lapack.dpotrf(sc, lower=1, clean=1, overwrite_a=1)[0]
        na = la.shape[0]
        ya = sla.solve_triangular(la, rhs[:na], lower=True, check_finite=False)
        yb = sla.solve_triangular(ls, rhs[na:] - w.T @ ya, lower=True, check_finite=False)
        xb = sla.solve_triangular(ls, yb, lower=True, trans="T", check_finite=False)
        xa = sla.solve_triangular(la, ya - w @ xb, lower=True, trans="T", check_finite=False)
        return np.concatenate([xa, xb])

    def solve_pair(self, a: int, b: int) -> tuple[float, np.ndarray, np.ndarray]:
        """Effective resistance and the ring currents ``(nodes, i)`` for 1 A from a to b (connected)."""
        sa, sb = self._span(a), self._span(b)
        if sa is not None and sb is not None and self.comp[self.rings[a][0]] == self.comp[self.rings[b][0]]:
            big, small = (a, b) if sa.stop - sa.start >= sb.stop - sb.start else (b, a)
            ring_g = self.blocks[int(self.comp[self.rings[a][0]])].rings  # ring nodes in G's order
            t = np.concatenate([ring_g[self._span(big)], ring_g[self._span(small)]])
            into_a = np.zeros(len(t))
            if big == a:
                into_a[:sa.stop - sa.start] = 1.0
            else:
                into_a[sb.stop - sb.start:] = 1.0
            c = np.stack([np.ones(len(t)), -into_a], axis=1)  # (component, 1 A into a) as below
            mc = self._block_solve(big, small, c)
            d = np.abs(c)
            y = np.linalg.solve(-(d.T @ mc), np.array([0.0, 1.0]))
            return float(y[1]), t, -(mc @ y)
        return self._solve_pair_dense(a, b)

    def _solve_pair_dense(self, a: int, b: int) -> tuple[float, np.ndarray, np.ndarray]:
        """:meth:`solve_pair` in general: rings over several components, or holding a ground node."""
        shared = np.intersect1d(self.comp[self.rings[a]], self.comp[self.rings[b]])
        ta = self.rings[a][np.isin(self.comp[self.rings[a]], shared)]
        tb = self.rings[b][np.isin(self.comp[self.rings[b]], shared)]
        t = np.concatenate([ta, tb])
        ct = self.comp[t]
        m, k = len(t), len(shared)
        big = np.zeros((m, m))
        for c in shared:
            sel = np.flatnonzero(ct == c)
            pos = self.where[t[sel]]
            low = self.blocks[int(c)].g[np.ix_(np.maximum(pos, 0), np.maximum(pos, 0))]
            sub = low + low.T  # G is stored as its lower triangle (zeros above)
            sub[np.diag_indices_from(sub)] -= np.diagonal(low)
            sub[pos < 0, :] = 0.0  # the ground node: potential 0 whatever the currents
            sub[:, pos < 0] = 0.0
            big[np.ix_(sel, sel)] = sub
        # constraints: no net current into a component (P^T i = 0), 1 A into A
        d = np.zeros((m, k + 1))
        d[:, :k] = ct[:, None] == shared[None, :]
        d[:len(ta), k] = 1.0
        c = d.copy()
        c[:, k] = -c[:, k]  # G i + P theta - 1_A V = 0
        rhs = np.zeros(k + 1)
        rhs[k] = 1.0
        if np.all(self.where[t] >= 0):  # G on t is positive definite: eliminate i by Cholesky
            fac = sla.cho_factor(big, lower=True, check_finite=False)
            mc = sla.cho_solve(fac, c, check_finite=False)
            y = np.linalg.solve(-(d.T @ mc), rhs)
            return float(y[k]), t, -(mc @ y)
        kkt = np.zeros((m + k + 1, m + k + 1))
        kkt[:m, :m], kkt[:m, m:], kkt[m:, :m] = big, c, d.T
        x = sla.solve(kkt, np.concatenate([np.zeros(m), rhs]))
        return float(x[-1]), t, x[:m]

    def potentials(self, t: np.ndarray, i: np.ndarray) -> np.ndarray:
        """Node potentials (each component up to its own constant, 0 outside) for currents ``i`` at ``t``."""
        v = np.zeros(self.n)
        ct = self.comp[t]
        for c in np.unique(ct):
            blk = self.blocks[int(c)]
            pos = np.full(self.n, -1, dtype=np.int64)
            pos[blk.nodes] = np.arange(len(blk.nodes))
            b = np.zeros(len(blk.nodes))
            sel = (ct == c) & (t != blk.ground)
            np.add.at(b, pos[t[sel]], i[sel])
            v[blk.nodes] = blk.solve(b)
        return v

    def node_current(self, a: int, b: int, v: np.ndarray) -> np.ndarray:
        """Circuitscape's node current for the pair: each shorted region is one node carrying 1 A."""
        cur = np.abs(self.g * (v[self.u] - v[self.v]))
        acc = np.bincount(self.u, cur, minlength=self.n) + np.bincount(self.v, cur, minlength=self.n)
        out = 0.5 * acc
        for k in (a, b):
            nodes = self.regions[k]
            out[nodes] = 0.5 * (acc[nodes].sum() + 1.0)
        return out


def _overlaps(n: int, regions: list[np.ndarray]) -> set[tuple[int, int]]:
    """Pairs ``(a, b)``, ``a < b``, of regions that share a node."""
    rows = np.concatenate([np.full(len(x), k) for k, x in enumerate(regions)]) if regions else []
    cols = np.concatenate(regions) if regions else []
    inc = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(regions), n))
    both = sp.triu(inc @ inc.T, k=1).tocoo()
    return {(int(a), int(b)) for a, b in zip(both.row, both.col, strict=True)}


def _through_shorts(masks: list[np.ndarray], shorts: list[np.ndarray], valid: np.ndarray) -> list[np.ndarray]:
    """Focal masks grown by each short-circuit region they touch on a dropped cell.

    Circuitscape's node map gives a NoData cell inside a polygon the polygon's node, so a focal
    cell there is the polygon (on a valid cell it is the polygon's node anyway).
    """
    out = []
    for m in masks:
        for s in shorts:
            if (m & s & ~valid).any():
                m = m | s
        out.append(m)
    return out


def _on_raster(shape, node_of_cell: np.ndarray, total: np.ndarray, masks: list[np.ndarray],
               extra: np.ndarray, n_focal: int | None = None) -> np.ndarray:
    """Node totals on the raster; a dropped cell inside region k gets ``extra[k]`` (NaN elsewhere).

    Circuitscape gives every cell of a region, NoData cells included, the region's node current.
    ``masks[n_focal:]`` are short-circuit regions: a dropped cell in one is that node (its total
    only, whatever focal regions also cover it), as in Circuitscape's node map.
    """
    out = np.full(node_of_cell.size, np.nan)
    ok = node_of_cell >= 0
    out[ok] = total[node_of_cell[ok]]
    n_focal = len(masks) if n_focal is None else n_focal
    claimed = np.zeros(node_of_cell.size, dtype=bool)
    for m, x in zip(masks[n_focal:], extra[n_focal:], strict=True):
        hole = m.ravel() & ~ok & ~claimed
        if hole.any() and np.isfinite(x):
            out[hole] = x
            claimed |= hole
    for m, x in zip(masks[:n_focal], extra[:n_focal], strict=True):
        hole = m.ravel() & ~ok & ~claimed
        if hole.any() and np.isfinite(x):
            out[hole] = np.where(np.isnan(out[hole]), 0.0, out[hole]) + x
    return out.reshape(shape)


def _check_ring_memory(m: int, max_memory: int | None) -> None:
    need = int(RING_MATRICES * 8 * m * m)
    have = max_memory if max_memory is not None else int(_available_memory() * 0.8)
    if need > have:
        raise InputError(
            f"Circuitscape's region rule on {m:,} region boundary cells needs about {need / 2**30:.1f} GiB "
            f"for its dense ring matrices but {have / 2**30:.1f} GiB is available; use a coarser "
            "resolution, fewer or smaller sources, or regions='all' (every region shorted, a different model)")


def check_regions(regions: str) -> None:
    """Refuse a region rule other than 'pair' or 'all'."""
    if regions not in ("pair", "all"):
        raise InputError(f"regions must be 'pair' (Circuitscape) or 'all', not {regions!r}")
