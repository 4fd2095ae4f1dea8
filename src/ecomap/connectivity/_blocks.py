"""Shortest paths after a removal, worked out inside the removed element's biconnected block."""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ._common import pair_values

__all__ = ["Blocks"]


class Blocks:
    """Shortest paths after a removal, worked out inside the removed element's block.

    A block is a biconnected component of the graph (Hopcroft & Tarjan 1973). Every path
    from a node j into block B passes through j's entry point e_j (the articulation point
    of B on j's side; j itself when j is in B), and a shortest path between two nodes of B
    stays in B. So after removing an edge of B, or a node of B that is not an articulation
    point, ``D'[i, j] = D[i, e_i] + D'_B[e_i, e_j] + D[e_j, j]`` when ``e_i != e_j``, and
    ``D'[i, j] = D[i, j]`` when ``e_i == e_j``: Dijkstra runs on B only, and once per
    entry point rather than once per source.

    Parameters
    ----------
    n : int
        Nodes of the (connected) graph.
    src, dst : (2m,) int arrays
        Arc tails and heads (arc e is u->v, e + m is v->u).
    w : (2m,) float array
        Arc lengths.
    d : (n, n) float array
        All-pairs shortest-path lengths before any removal.
    kind : {"iic", "pc"}
        Which pair values :meth:`rerun` returns.
    theta : float
        θ = ln 2 / median dispersal distance (PC).

    Attributes
    ----------
    of_edge : (m,) int array
        The block of each edge.
    of_node : (n,) int array
        The block of each node, -1 for articulation points (in several blocks).

    References
    ----------
    Hopcroft, J. & Tarjan, R. (1973). Algorithm 447: efficient algorithms for graph
    manipulation. Communications of the ACM 16(6):372-378.
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
        """Count the nodes of block ``b``, articulation points included.

        Parameters
        ----------
        b : int
            A block number.

        Returns
        -------
        int
            Its node count.
        """
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

        Parameters
        ----------
        b : int
            The block the removed arcs lie in.
        removed_arcs : int array
            Arc numbers to cut.
        cover : (k,) int array
            Source nodes.
        old : (k, n) float array
            Their pair values before the cut.

        Returns
        -------
        (k, n) float array
            Their pair values after the cut.
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
            new = pair_values(db, kind="pc", theta=self.theta)[rows, ia]
            new *= pdep[cover][:, None]
            new *= pdep
        else:
            new = db[rows, ia]
            new += dep[cover][:, None]
            new += dep
            new = pair_values(new, kind=self.kind, theta=self.theta)
        same = ent[:, None] == ia[None, :]
        new[same] = old[same]
        return new
