"""Compiled per-source kernel of the removal importance: Dijkstra, dominator tree, local re-runs.

For one source s, the targets whose distance changes when node k (or the arc p -> x) is
removed are exactly those that *every* shortest path from s reaches through k (through
that arc): the nodes dominated by k in s's shortest-path DAG (Lengauer & Tarjan 1979). In
a DAG whose nodes are taken in distance order, the immediate dominator of x is the lowest
common ancestor, in the dominator tree, of x's DAG parents (Cooper, Harvey & Kennedy
2001), so the tree is built in one pass. An arc p -> x dominates exactly the subtree of x
when p is x's only DAG parent. Every other node keeps its distance (a shortest path to it
avoids the removed element), so the new distances of a dominated subtree come from a
Dijkstra run inside that subtree, seeded from the arcs that enter it from outside.

Only node removals are re-run: the loss of the arc p -> k (k's only DAG parent p) follows
from the re-run without k, because the arcs below k are untouched (see :func:`_edge_loss`).
With unit lengths (IIC) the Dijkstras are breadth-first searches: a FIFO queue, and for a
re-run the seeds sorted once and merged with that queue (Dial's buckets of width 1).

Nodes are the positions ``0..n-1`` of an undirected graph given as CSR (``indptr``,
``nbr``, ``wt``, ``edge``: the graph edge of each slot). Arc lengths are above 0.

References
----------
Lengauer, T. & Tarjan, R. E. (1979). A fast algorithm for finding dominators in a
flowgraph. ACM TOPLAS 1(1):121-141. Cooper, K. D., Harvey, T. J. & Kennedy, K. (2001).
A simple, fast dominance algorithm. Software Practice & Experience 4:1-10.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["dominator_stats", "removal_sums"]

#: Two path lengths within this share of the source's longest finite distance (at least
#: 1) count as tied, the tolerance of the all-pairs version this replaces (1e-9 of the
#: longest distance of the graph; one source's longest is at most that).
TIE_RTOL = 1e-9


@njit(cache=True)
def _push(hk, hv, size, key, val):
    i = size
    hk[i] = key
    hv[i] = val
    while i > 0:
        p = (i - 1) >> 1
        if hk[p] <= hk[i]:
            break
        hk[p], hk[i] = hk[i], hk[p]
        hv[p], hv[i] = hv[i], hv[p]
        i = p
    return size + 1


@njit(cache=True)
def _pop(hk, hv, size):
    key, val = hk[0], hv[0]
    size -= 1
    hk[0], hv[0] = hk[size], hv[size]
    _sift_down(hk, hv, 0, size)
    return key, val, size


@njit(cache=True)
def _sift_down(hk, hv, i, size):
    """Move entry ``i`` down the min-heap ``hk[:size]`` (with ``hv``) to its place."""
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hk[c + 1] < hk[c]:
            c += 1
        if hk[i] <= hk[c]:
            break
        hk[c], hk[i] = hk[i], hk[c]
        hv[c], hv[i] = hv[i], hv[c]
        i = c


@njit(cache=True)
def _heapify(hk, hv, size):
    """Make ``hk[:size]`` (with ``hv``) a binary min-heap in O(size)."""
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(hk, hv, i, size)


@njit(cache=True)
def _value(d, pc, theta):
    if d == np.inf:
        return 0.0
    if pc:
        return np.exp(-theta * d)
    return 1.0 / (1.0 + d)


@njit(cache=True)
def _dijkstra(s, indptr, nbr, wt, dist, order, hk, hv):
    """Distances from s into ``dist`` (inf beforehand); settle order into ``order``; count."""
    dist[s] = 0.0
    size = _push(hk, hv, 0, 0.0, s)
    cnt = 0
    while size > 0:
        dv, x, size = _pop(hk, hv, size)
        if dv > dist[x]:
            continue
        order[cnt] = x
        cnt += 1
        for a in range(indptr[x], indptr[x + 1]):
            y = nbr[a]
            nd = dv + wt[a]
            if nd < dist[y]:
                dist[y] = nd
                size = _push(hk, hv, size, nd, y)
    return cnt


@njit(cache=True)
def _bfs(s, indptr, nbr, dist, order):
    """:func:`_dijkstra` when every arc has length 1: a breadth-first search (the queue is ``order``)."""
    dist[s] = 0.0
    order[0] = s
    head, tail = 0, 1
    while head < tail:
        x = order[head]
        head += 1
        nd = dist[x] + 1.0
        for a in range(indptr[x], indptr[x + 1]):
            y = nbr[a]
            if dist[y] == np.inf:
                dist[y] = nd
                order[tail] = y
                tail += 1
    return tail


@njit(cache=True)
def _dominators(cnt, order, pos, dist, indptr, nbr, wt, edge, tol, idom, depth, npar, par_edge):
    """Immediate dominators (and the edge of a single DAG parent) in settle order."""
    s = order[0]
    idom[s] = -1
    depth[s] = 0
    npar[s] = 0
    for r in range(1, cnt):
        x = order[r]
        dom = -1
        k = 0
        for a in range(indptr[x], indptr[x + 1]):
            y = nbr[a]
            # a DAG arc y -> x: y settled first and the path through it is tight
            if pos[y] < 0 or pos[y] >= r or dist[y] + wt[a] - dist[x] > tol:
                continue
            k += 1
            par_edge[x] = edge[a]
            if dom < 0:
                dom = y
                continue
            b = y
            while dom != b:
                if depth[dom] > depth[b]:
                    dom = idom[dom]
                elif depth[b] > depth[dom]:
                    b = idom[b]
                else:
                    dom = idom[dom]
                    b = idom[b]
        npar[x] = k
        idom[x] = dom
        depth[x] = depth[dom] + 1


@njit(cache=True)
def _preorder(cnt, order, idom, pre, size, prelist, child_ptr, child, stack):
    """Preorder numbers and subtree sizes of the dominator tree (its nodes: ``order[:cnt]``)."""
    for r in range(cnt):
        size[order[r]] = 1
        child_ptr[r + 1] = 0
    # children, grouped by their parent's settle rank (CSR over ranks)
    for r in range(cnt - 1, 0, -1):
        x = order[r]
        size[idom[x]] += size[x]
    return _dfs(cnt, order, idom, pre, prelist, child_ptr, child, stack)


@njit(cache=True)
def _dfs(cnt, order, idom, pre, prelist, child_ptr, child, stack):
    # rank of each node via pre (reused as scratch before being overwritten)
    for r in range(cnt):
        pre[order[r]] = r
    for r in range(1, cnt):
        child_ptr[pre[idom[order[r]]] + 1] += 1
    for r in range(cnt):
        child_ptr[r + 1] += child_ptr[r]
    fill = child_ptr[:cnt].copy()
    for r in range(1, cnt):
        p = pre[idom[order[r]]]
        child[fill[p]] = order[r]
        fill[p] += 1
    top = 0
    stack[0] = order[0]
    top = 1
    t = 0
    while top > 0:
        top -= 1
        x = stack[top]
        r = pre[x]          # still x's settle rank: x is numbered below
        prelist[t] = x
        for c in range(child_ptr[r], child_ptr[r + 1]):
            stack[top] = child[c]
            top += 1
        pre[x] = -1 - t     # numbered (negative until every rank is read)
        t += 1
    for r in range(cnt):
        x = prelist[r]
        pre[x] = r
    return t


@njit(cache=True)
def _rerun(root, pre, size, prelist, dist, indptr, nbr, wt, nd, hk, hv, q, unit):
    """New distances (into ``nd``) of the subtree of ``root`` once ``root`` is removed.

    The rest keeps its distances: each node of the subtree is seeded from its neighbours
    outside, then a Dijkstra runs inside (a merge of the sorted seeds with a FIFO queue when
    every arc has length 1: ``unit``). ``nd[root]`` is left as it was.
    """
    lo = pre[root]
    hi = lo + size[root]
    k = 0
    for t in range(lo + 1, hi):
        z = prelist[t]
        best = np.inf
        for b in range(indptr[z], indptr[z + 1]):
            y = nbr[b]
            py = pre[y]
            if py >= lo and py < hi:
                continue
            c = dist[y] + wt[b]      # inf when y is not reached
            if c < best:
                best = c
        nd[z] = best
        if best < np.inf:
            hk[k] = best
            hv[k] = z
            k += 1
    if unit:
        _unit_run(k, lo + 1, hi, pre, nd, indptr, nbr, hk, hv, q)
    else:
        _heap_run(k, lo + 1, hi, pre, nd, indptr, nbr, wt, hk, hv)


@njit(cache=True)
def _heap_run(k, first, hi, pre, nd, indptr, nbr, wt, hk, hv):
    """Dijkstra inside the preorder positions ``first:hi`` from the k seeds in ``hk, hv``."""
    _heapify(hk, hv, k)
    hsize = k
    while hsize > 0:
        dv, z, hsize = _pop(hk, hv, hsize)
        if dv > nd[z]:
            continue
        for b in range(indptr[z], indptr[z + 1]):
            y = nbr[b]
            py = pre[y]
            if py < first or py >= hi:
                continue
            c = dv + wt[b]
            if c < nd[y]:
                nd[y] = c
                hsize = _push(hk, hv, hsize, c, y)


@njit(cache=True)
def _unit_run(k, first, hi, pre, nd, indptr, nbr, hk, hv, q):
    """:func:`_heap_run` with arcs of length 1: sorted seeds merged with a FIFO queue.

    Distances leave the queue in non-decreasing order, so the smaller of the next seed and
    the queue's head is always the next to settle, and a node enters the queue at most once.
    """
    if k > 24:
        idx = np.argsort(hk[:k], kind="mergesort")
        sk, sv = hk[:k][idx], hv[:k][idx]
        hk[:k], hv[:k] = sk, sv
    else:
        for i in range(1, k):            # insertion sort of a few seeds
            key, val = hk[i], hv[i]
            j = i - 1
            while j >= 0 and hk[j] > key:
                hk[j + 1], hv[j + 1] = hk[j], hv[j]
                j -= 1
            hk[j + 1], hv[j + 1] = key, val
    i, head, tail = 0, 0, 0
    while i < k or head < tail:
        if head < tail and (i >= k or nd[q[head]] <= hk[i]):
            z = q[head]
            head += 1
            dv = nd[z]
        else:
            z, dv = hv[i], hk[i]
            i += 1
            if dv > nd[z]:
                continue
        c = dv + 1.0
        for b in range(indptr[z], indptr[z + 1]):
            y = nbr[b]
            py = pre[y]
            if py < first or py >= hi:
                continue
            if c < nd[y]:
                nd[y] = c
                q[tail] = y
                tail += 1


@njit(cache=True)
def _values(lo, hi, prelist, nd, nv, pc, theta):
    """Pair values ``nv`` of the new distances ``nd`` over the preorder positions ``lo:hi``."""
    for t in range(lo, hi):
        z = prelist[t]
        nv[z] = _value(nd[z], pc, theta)


@njit(cache=True)
def _loss(lo, hi, prelist, vs, nv, a):
    """Σ a_x (v_sx − v'_sx) over the preorder positions ``lo:hi`` (``nv``: the v')."""
    loss = 0.0
    for t in range(lo, hi):
        z = prelist[t]
        loss += a[z] * (vs[z] - nv[z])
    return loss


@njit(cache=True)
def _node_counts(k, single, p, pos, child_ptr, child, npar):
    """Whether some pair through k is counted from this source (see :func:`_node_loss`)."""
    for c_i in range(child_ptr[pos[k]], child_ptr[pos[k] + 1]):
        c = child[c_i]
        if not single or npar[c] != 1 or p < c:
            return True
    return False


@njit(cache=True)
def _node_loss(k, single, p, pos, child_ptr, child, npar, pre, size, prelist, vs, nv, a):
    """Σ a_x (v_sx − v'_sx) over the targets k dominates once k is removed, each unordered pair once.

    A pair (s, x) through k is seen from s and from x. When every shortest path enters k
    from one neighbour p (from s) and leaves it to one child c (towards x), the same pair
    seen from x enters from c and leaves to p: it is counted twice from the end whose
    entry has the smaller number and not from the other; any other pair once from each end.
    ``nv``: the subtree's pair values without k (:func:`_rerun`, :func:`_values`).
    """
    r = pos[k]
    loss = 0.0
    for c_i in range(child_ptr[r], child_ptr[r + 1]):
        c = child[c_i]
        wgt = 1.0
        if single and npar[c] == 1:
            wgt = 2.0 if p < c else 0.0
        if wgt == 0.0:
            continue
        loss += wgt * _loss(pre[c], pre[c] + size[c], prelist, vs, nv, a)
    return loss


@njit(cache=True)
def _edge_loss(k, p, w_cut, pre, size, prelist, dist, vs, nd, nv, indptr, nbr, wt, a, pc, theta):
    """Σ a_x (v_sx − v'_sx) over the subtree of k once its only DAG arc p -> k is cut (or lengthened).

    From the distances without k (``nd``, :func:`_rerun`): k's new distance d'_k comes from
    its other neighbours (outside the subtree: old distance; inside: ``nd``), and a path to
    x below k either avoids k (``nd[x]``) or runs through it (d'_k + d_x − d_k: the arcs
    below k are untouched), so d'_x = min(nd[x], d'_k + d_x − d_k): in values (``nv``:
    those of ``nd``), the larger of nv[x] and, for PC, exp(−θ (d'_k − d_k)) v_sx.
    """
    lo = pre[k]
    hi = lo + size[k]
    dk_new = np.inf
    for b in range(indptr[k], indptr[k + 1]):
        y = nbr[b]
        py = pre[y]
        if py > lo and py < hi:
            c = nd[y] + wt[b]
        elif y == p:
            c = dist[y] + w_cut
        else:
            c = dist[y] + wt[b]
        if c < dk_new:
            dk_new = c
    loss = a[k] * (vs[k] - _value(dk_new, pc, theta))
    shift = dk_new - dist[k]
    f = np.exp(-theta * shift)
    for t in range(lo + 1, hi):
        z = prelist[t]
        v = f * vs[z] if pc else 1.0 / (1.0 + (dist[z] + shift))
        loss += a[z] * (vs[z] - max(nv[z], v))
    return loss


@njit(cache=True)
def _source(s, indptr, nbr, wt, edge, alt, a, pc, theta, eps, dist, nd, nv, order, pos, idom, depth, npar,
            par_edge, pre, size, prelist, child_ptr, child, stack, sub, vs, hk, hv, q, toward, connector,
            edge_loss):
    """Add one source's pair values and losses; return a_s Σ_x a_x v_sx. Scratch is reset after."""
    cnt = _bfs(s, indptr, nbr, dist, order) if not pc else _dijkstra(s, indptr, nbr, wt, dist, order, hk, hv)
    for r in range(cnt):
        pos[order[r]] = r
    tol = TIE_RTOL * max(dist[order[cnt - 1]], 1.0)
    _dominators(cnt, order, pos, dist, indptr, nbr, wt, edge, tol, idom, depth, npar, par_edge)
    child_ptr[0] = 0
    _preorder(cnt, order, idom, pre, size, prelist, child_ptr, child, stack)
    asum = 0.0
    for r in range(cnt):
        x = order[r]
        v = _value(dist[x], pc, theta)
        vs[x] = v
        sub[x] = a[x] * v
        asum += a[x] * v
        if r > 0:
            toward[x] += a[s] * v
    for r in range(cnt - 1, 0, -1):    # a dominator settles before what it dominates
        x = order[r]
        sub[idom[x]] += sub[x]
    for r in range(1, cnt):
        k = order[r]
        p = idom[k]
        single = npar[k] == 1
        node = (size[k] > 1 and a[s] * (sub[k] - a[k] * vs[k]) > eps
                and _node_counts(k, single, p, pos, child_ptr, child, npar))
        # an edge's pairs seen from both ends: once, from the end where its arc runs u -> v
        cut = single and p < k and a[s] * sub[k] > eps
        if size[k] > 1 and (node or cut):
            _rerun(k, pre, size, prelist, dist, indptr, nbr, wt, nd, hk, hv, q, not pc)
            _values(pre[k] + 1, pre[k] + size[k], prelist, nd, nv, pc, theta)
        if node:
            connector[k] += a[s] * _node_loss(k, single, p, pos, child_ptr, child, npar, pre, size, prelist,
                                              vs, nv, a)
        if cut:
            e = par_edge[k]
            edge_loss[e] += 2.0 * a[s] * _edge_loss(k, p, alt[e], pre, size, prelist, dist, vs, nd, nv, indptr,
                                                    nbr, wt, a, pc, theta)
    for r in range(cnt):
        x = order[r]
        dist[x] = np.inf
        pos[x] = -1
        pre[x] = -1
    return a[s] * asum


@njit(cache=True, nogil=True)
def removal_sums(sources, indptr, nbr, wt, edge, alt, a, pc, theta, eps):
    """Sums over the given sources of every pair value and of every removal's loss.

    Parameters
    ----------
    sources : (b,) int64 array
        The source nodes of this batch.
    indptr, nbr, wt, edge : arrays
        The undirected graph as CSR: slots of node x are ``indptr[x]:indptr[x + 1]``,
        with neighbour, length (> 0) and graph edge number.
    alt : (m,) float array
        Length of each edge when it is "removed": ``inf`` to cut it, or a longer length
        (the next of parallel links).
    a : (n,) float array
        Node attributes.
    pc : bool
        PC (v = exp(−θ d)) or IIC (v = 1 / (1 + d), ``wt`` all 1: breadth-first searches).
    theta : float
        θ of PC.
    eps : float
        A subtree whose pair values from the source, times the attributes, sum to at most
        ``eps`` is skipped (0: nothing is skipped).

    Returns
    -------
    num : float
        Σ_s a_s Σ_x a_x v_sx (x = s included).
    toward : (n,) float array
        Σ_s a_s v_sx over the sources s ≠ x.
    connector : (n,) float array
        Σ_s a_s Σ_x a_x (v_sx − v'_sx) once k is removed, over s, x ≠ k.
    edge_loss : (m,) float array
        The same once the edge is removed (or lengthened to ``alt``), over all s, x.
    """
    n = len(indptr) - 1
    cap = 2 * len(nbr) + n + 1
    hk, hv = np.empty(cap), np.empty(cap, dtype=np.int64)
    dist, nd, nv, sub, vs = np.full(n, np.inf), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    ints = np.empty((10, n), dtype=np.int64)
    order, idom, depth, npar, par_edge = ints[0], ints[1], ints[2], ints[3], ints[4]
    size, prelist, child, stack, q = ints[5], ints[6], ints[7], ints[8], ints[9]
    pos, pre = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    child_ptr = np.empty(n + 1, dtype=np.int64)
    num = 0.0
    toward, connector, edge_loss = np.zeros(n), np.zeros(n), np.zeros(len(alt))
    for s in sources:
        num += _source(s, indptr, nbr, wt, edge, alt, a, pc, theta, eps, dist, nd, nv, order, pos, idom, depth,
                       npar, par_edge, pre, size, prelist, child_ptr, child, stack, sub, vs, hk, hv, q,
                       toward, connector, edge_loss)
    return num, toward, connector, edge_loss


@njit(cache=True, nogil=True)
def dominator_stats(sources, indptr, nbr, wt, edge, pc):
    """Sizes of the work for the given sources: the dominator trees' depths and subtrees.

    Parameters
    ----------
    sources : (b,) int64 array
        The source nodes.
    indptr, nbr, wt, edge : arrays
        The graph as CSR, as for :func:`removal_sums`.
    pc : bool
        Lengths ``wt`` (PC) or hops (IIC).

    Returns
    -------
    stats : (4,) int64 array
        Σ of the reached pairs (s, x ≠ s); Σ of their depth in s's dominator tree (= Σ of
        the subtree sizes under every k ≠ s); Σ of the nodes re-run (the subtree of k less
        k, over the k that dominate something); the number of such re-runs.
    """
    n = len(indptr) - 1
    cap = 2 * len(nbr) + n + 1
    hk, hv = np.empty(cap), np.empty(cap, dtype=np.int64)
    dist = np.full(n, np.inf)
    ints = np.empty((11, n), dtype=np.int64)
    order, idom, depth, npar, par_edge = ints[0], ints[1], ints[2], ints[3], ints[4]
    size, prelist, child, stack, pos, pre = ints[5], ints[6], ints[7], ints[8], ints[9], ints[10]
    pos[:] = -1
    pre[:] = -1
    child_ptr = np.empty(n + 1, dtype=np.int64)
    out = np.zeros(4, dtype=np.int64)
    for s in sources:
        cnt = _bfs(s, indptr, nbr, dist, order) if not pc else _dijkstra(s, indptr, nbr, wt, dist, order, hk, hv)
        for r in range(cnt):
            pos[order[r]] = r
        tol = TIE_RTOL * max(dist[order[cnt - 1]], 1.0)
        _dominators(cnt, order, pos, dist, indptr, nbr, wt, edge, tol, idom, depth, npar, par_edge)
        child_ptr[0] = 0
        _preorder(cnt, order, idom, pre, size, prelist, child_ptr, child, stack)
        for r in range(1, cnt):
            x = order[r]
            out[0] += 1
            out[1] += depth[x]
            if size[x] > 1:
                out[2] += size[x] - 1
                out[3] += 1
        for r in range(cnt):
            dist[order[r]] = np.inf
            pos[order[r]] = -1
            pre[order[r]] = -1
    return out
