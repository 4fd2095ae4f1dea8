"""Omniscape's window: one grounded circuit solve, the window's sources, the block-artifact correction.

Private to :mod:`ecomap.corridors.omniscape`; it holds the numerics (Circuitscape's and Omniscape.jl's
conventions, listed in that module's docstring) so that file reads as the method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu

from ._common import OFFSETS4, OFFSETS8, SQRT2

#: Branch currents smaller than this fraction of the largest are set to 0 (Circuitscape's rule).
_TRUNCATE = 1e-8


def _edges(valid: np.ndarray, cond: np.ndarray, neighbours: int):
    """Edges between valid neighbours, nodes numbered in column-major order (Circuitscape's)."""
    h, w = valid.shape
    flat = np.full(h * w, -1, dtype=np.int64)
    colmajor = valid.ravel(order="F")
    flat[colmajor] = np.arange(int(colmajor.sum()))
    node = flat.reshape((h, w), order="F")
    lo, hi, gs = [], [], []
    for dr, dc in OFFSETS8 if neighbours == 8 else OFFSETS4:
        a = (slice(0, h - dr), slice(max(0, -dc), w - max(0, dc)))
        b = (slice(dr, h), slice(max(0, dc), w - max(0, -dc)))
        ok = valid[a] & valid[b]
        g = (cond[a][ok] + cond[b][ok]) / (2.0 * (SQRT2 if dr and dc else 1.0))
        u, v = node[a][ok], node[b][ok]
        lo.append(np.minimum(u, v))
        hi.append(np.maximum(u, v))
        gs.append(g)
    return node, np.concatenate(lo), np.concatenate(hi), np.concatenate(gs)


def _truncated(b: np.ndarray) -> np.ndarray:
    m = b.max() if b.size else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        small = np.abs(b / m) < _TRUNCATE
    return np.where(small, 0.0, b)


def window_current(cond: np.ndarray, source: np.ndarray, ground: tuple[int, int], *,
                   neighbours: int = 8) -> np.ndarray:
    """Node currents of one grounded solve (Circuitscape's ``compute_omniscape_current``).

    Parameters
    ----------
    cond : numpy.ndarray of float, shape (h, w)
        Conductance per cell (1 / cost units); cells with NaN or a value <= 0 are no nodes.
    source : numpy.ndarray of float, shape (h, w)
        Current injected per cell (amperes); a source at the ground is dropped.
    ground : tuple of int
        (row, col) of the ground cell, held at 0 V.
    neighbours : {8, 4}
        Neighbourhood of the circuit.

    Returns
    -------
    numpy.ndarray of float, shape (h, w)
        Node current (amperes): the larger of the current flowing into and out of each cell; 0
        on cells that are no nodes or lie outside the ground's connected component.
    """
    valid = np.nan_to_num(cond, nan=0.0) > 0
    out = np.zeros(cond.shape)
    if not valid[ground]:
        return out
    node, lo, hi, g = _edges(valid, cond, neighbours)
    n = int(valid.sum())
    adj = sp.coo_matrix((np.ones(lo.size), (lo, hi)), shape=(n, n))
    _, comp = csgraph.connected_components(adj, directed=False)
    gn = node[ground]
    s = np.bincount(node[valid & (source != 0)], source[valid & (source != 0)], minlength=n)
    s[gn] = 0.0
    inside = comp == comp[gn]
    if not s[inside].any():
        return out
    keep = inside[lo]
    lo, hi, g = lo[keep], hi[keep], g[keep]
    lap = sp.coo_matrix((np.concatenate([-g, -g, g, g]), (np.concatenate([lo, hi, lo, hi]),
                        np.concatenate([hi, lo, lo, hi]))), shape=(n, n)).tocsc()
    free = np.flatnonzero(inside & (np.arange(n) != gn))
    v = np.zeros(n)
    if free.size:
        v[free] = splu(lap[free][:, free].tocsc()).solve(s[free])
    b = g * (v[lo] - v[hi])  # current from lo to hi
    bp, bn = _truncated(b), _truncated(-b)
    inflow = np.bincount(hi, np.maximum(bp, 0), minlength=n) + np.bincount(lo, np.maximum(-bp, 0), minlength=n)
    outflow = np.bincount(hi, np.maximum(bn, 0), minlength=n) + np.bincount(lo, np.maximum(-bn, 0), minlength=n)
    out[valid] = np.maximum(inflow, outflow)[node[valid]]
    return out


def _circle(shape: tuple[int, int], centre: tuple[int, int], radius: int) -> np.ndarray:
    yy, xx = np.ogrid[:shape[0], :shape[1]]
    return np.hypot(yy - centre[0], xx - centre[1]) <= radius


@dataclass(frozen=True)
class _Setup:
    radius: int
    buffer: int
    block_size: int
    shape: tuple[int, int]
    neighbours: int

    @property
    def reach(self) -> int:
        return self.radius + self.buffer

    @property
    def block_radius(self) -> int:
        return (self.block_size - 1) // 2

    def window(self, y: int, x: int) -> tuple[slice, slice, tuple[int, int]]:
        """The window's rows and columns on the raster and the target's cell inside it."""
        rows, cols = self.shape
        y0, x0 = max(y - self.reach, 0), max(x - self.reach, 0)
        return (slice(y0, min(y + self.reach, rows - 1) + 1), slice(x0, min(x + self.reach, cols - 1) + 1),
                (y - y0, x - x0))


def _window_sources(src: np.ndarray, st: _Setup, y: int, x: int, amps: float) -> np.ndarray:
    """Omniscape.jl's ``get_source``: sources within ``radius``, the block zeroed, scaled to ``amps``."""
    rs, cs, _ = st.window(y, x)
    rows, cols = st.shape
    r = st.radius
    sy, sx = max(y - r, 0), max(x - r, 0)
    clip = src[sy:min(y + r, rows - 1) + 1, sx:min(x + r, cols - 1) + 1]
    out = np.zeros((rs.stop - rs.start, cs.stop - cs.start))
    part = np.where(_circle(clip.shape, (y - sy, x - sx), r), clip, 0.0)
    out[sy - rs.start:sy - rs.start + clip.shape[0], sx - cs.start:sx - cs.start + clip.shape[1]] = part
    c, br = st.reach, st.block_radius  # the nominal centre (see the module's docstring)
    out[c - br:min(c + br + 1, rows), c - br:min(c + br + 1, cols)] = 0.0
    total = out[out > 0].sum()
    if total > 0:
        out = np.where(out > 0, out * amps / total, out)
    return out


def _correction(st: _Setup) -> np.ndarray:
    """Omniscape.jl's ``calc_correction``: block-summed point solves over the block solve, on ones."""
    w, c, r, bs = 2 * st.reach + 1, st.reach, st.radius, st.block_size
    cond = np.where(_circle((w, w), (c, c), st.reach), 1.0, np.nan)
    null = _circle((w, w), (c, c), r).astype(float)
    null[c, c] = 0.0
    null[null != 0] = 1.0 / (null.sum())  # n_sources - 1, the centre excluded
    big = _Setup(r, st.buffer, bs, (max(w, st.shape[0]), max(w, st.shape[1])), st.neighbours)
    blocked = _window_sources(np.ones((w, w)), big, c, c, float(bs * bs))
    block_cur = window_current(cond, blocked, (c, c), neighbours=st.neighbours)
    null_cur = window_current(cond, null, (c, c), neighbours=st.neighbours)
    total = np.zeros((w + bs - 1, w + bs - 1))
    for i in range(bs):
        for j in range(bs):
            total[i:i + w, j:j + w] += null_cur
    br = st.block_radius
    total = total[br:br + w, br:br + w]
    total[block_cur == 0] = 0.0
    total[total == 0] = 1.0
    block_cur[block_cur == 0] = 1.0
    return total / block_cur


def _cut(corr: np.ndarray, st: _Setup, y: int, x: int, shape: tuple[int, int]) -> np.ndarray:
    """The part of the correction that lies on a window clipped by the raster's edges."""
    rows, cols = st.shape
    lo_y, hi_y, lo_x, hi_x = 0, corr.shape[0], 0, corr.shape[1]
    if y + 1 > rows - st.reach:
        hi_y = shape[0]
    if y < st.reach:
        lo_y = hi_y - shape[0]
    if x + 1 > cols - st.reach:
        hi_x = shape[1]
    if x < st.reach:
        lo_x = hi_x - shape[1]
    return corr[lo_y:hi_y, lo_x:hi_x]
