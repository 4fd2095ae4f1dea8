"""Dijkstra over the implicit grid (GRASS ``r.cost``'s steps), compiled with numba.

Private to :mod:`ecomap.corridors.cost`. No graph is stored: a cell's steps are made from the
cost raster when the cell is settled, with the same arithmetic as the sparse graph it replaces
(``step * (r_i + r_j) / 2``; a knight's move ``step * (r_i + r_j + r_a + r_b) / 4`` in the
order of :func:`~ecomap.corridors._common.knight_between`), so the values are bit for bit
those of that graph. Memory above the cost raster and the result: a settled flag a cell (one
byte) and a heap of the search front (12 bytes an entry; the front is a thin band), against
100-125 bytes a cell for scipy's Dijkstra on a float64 CSR graph.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._common import KNIGHT, OFFSETS4, OFFSETS8, SQRT2, knight_between


def step_table(neighbours: int, cellsize: float) -> tuple[np.ndarray, np.ndarray]:
    """Offsets ``(dr, dc, a1r, a1c, a2r, a2c)`` of every step and its length (cell units x cellsize).

    The ``a`` columns are the two cells a knight's move passes between (zeros otherwise).
    """
    half = OFFSETS4 if neighbours == 4 else OFFSETS8 + (KNIGHT if neighbours == 16 else ())
    offsets = sorted([(-dr, -dc) for dr, dc in half] + list(half))
    table = np.zeros((len(offsets), 6), dtype=np.int64)
    length = np.empty(len(offsets))
    for k, (dr, dc) in enumerate(offsets):
        table[k, :2] = dr, dc
        if abs(dr) + abs(dc) == 3:
            (a1, b1), (a2, b2) = knight_between(dr, dc)
            table[k, 2:] = a1, b1, a2, b2
        length[k] = float(cellsize) * (SQRT2 if abs(dr) == abs(dc) == 1 else math.hypot(dr, dc))
    return table, length


@njit(cache=True, nogil=True)
def _push(keys, nodes, size, key, node):
    """Push (key, node) on the binary heap of ``size`` entries (the arrays have room)."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= key:
            break
        keys[i] = keys[parent]
        nodes[i] = nodes[parent]
        i = parent
    keys[i] = key
    nodes[i] = node


@njit(cache=True, nogil=True)
def _pop(keys, nodes, size):
    """Remove the root of the heap of ``size`` entries (the caller has read it)."""
    size -= 1
    key = keys[size]
    node = nodes[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[child] >= key:
            break
        keys[i] = keys[child]
        nodes[i] = nodes[child]
        i = child
    keys[i] = key
    nodes[i] = node


@njit(cache=True, nogil=True)
def grid_dijkstra(cost, starts, table, length, limit, dist):
    """Fill ``dist`` (flat, ``inf`` on entry) with the least cost from ``starts`` (flat cell indices).

    ``cost`` is the 2-D cost raster (NaN or inf: impassable); cells costlier than ``limit`` stay
    ``inf`` (scipy's ``limit``). A heap without decrease-key: an entry whose cell is already
    settled is skipped when popped. Returns the number of cells settled.
    """
    h, w = cost.shape
    done = np.zeros(h * w, dtype=np.bool_)
    cap = max(4096, 2 * len(starts))
    keys = np.empty(cap)
    nodes = np.empty(cap, dtype=np.int32)
    size = 0
    for s in starts:
        dist[s] = 0.0
        _push(keys, nodes, size, 0.0, s)
        size += 1
    settled = 0
    nk = table.shape[0]
    while size > 0:
        u = nodes[0]
        du = keys[0]
        _pop(keys, nodes, size)
        size -= 1
        if done[u]:
            continue
        done[u] = True
        settled += 1
        r = u // w
        c = u - r * w
        cu = cost[r, c]
        for k in range(nk):
            rr = r + table[k, 0]
            cc = c + table[k, 1]
            if rr < 0 or rr >= h or cc < 0 or cc >= w:
                continue
            v = rr * w + cc
            if done[v]:
                continue
            cv = cost[rr, cc]
            if not math.isfinite(cv):
                continue
            if table[k, 2] != 0 or table[k, 3] != 0:  # a knight's move: both cells passed between
                ca = cost[r + table[k, 2], c + table[k, 3]]
                cb = cost[r + table[k, 4], c + table[k, 5]]
                if not (math.isfinite(ca) and math.isfinite(cb)):
                    continue
                nd = du + length[k] * (cu + cv + ca + cb) / 4.0
            else:
                nd = du + length[k] * (cu + cv) / 2.0
            if nd > limit or nd >= dist[v]:
                continue
            dist[v] = nd
            if size == len(keys):
                keys = np.concatenate((keys, np.empty(size)))
                nodes = np.concatenate((nodes, np.empty(size, dtype=np.int32)))
            _push(keys, nodes, size, nd, v)
            size += 1
    return settled
