"""Omniscape's window: one grounded circuit solve, the window's sources, the block-artifact correction.

Private to :mod:`ecomap.corridors.omniscape`; it holds the numerics (Circuitscape's and Omniscape.jl's
conventions, listed in that module's docstring) so that file reads as the method.
"""

from __future__ import annotations

import math
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


def _window_sources(src: np.ndarray, st: _Setup, y: int, x: int, amps: float,
                    origin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Omniscape.jl's ``get_source``: sources within ``radius``, the block zeroed, scaled to ``amps``.

    ``src`` may be a part of the raster whose top-left cell is ``origin`` (``y, x`` stay the
    raster's own cells, so the edge rules see the whole raster).
    """
    rs, cs, _ = st.window(y, x)
    rows, cols = st.shape
    r = st.radius
    sy, sx = max(y - r, 0), max(x - r, 0)
    oy, ox = origin
    clip = src[sy - oy:min(y + r, rows - 1) + 1 - oy, sx - ox:min(x + r, cols - 1) + 1 - ox]
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


def _solve_target(y: int, x: int, amps: float, cond, src, st: _Setup, corr, cum, fp, conditions=(),
                  origin: tuple[int, int] = (0, 0)) -> None:
    """One window (Omniscape.jl's ``solve_target!``): solve, correct, add to the running sums.

    ``cond``, ``src``, ``cum``, ``fp`` and the conditions' layers are one part of the raster whose
    top-left cell is ``origin`` (the whole raster by default); ``y, x`` are the raster's cells.
    """
    rs, cs, at = st.window(y, x)
    oy, ox = origin
    rs, cs = slice(rs.start - oy, rs.stop - oy), slice(cs.start - ox, cs.stop - ox)
    shape = (rs.stop - rs.start, cs.stop - cs.start)
    sources = _window_sources(src, st, y, x, amps, origin)
    for c in conditions:  # after the scaling, as in Omniscape.jl
        sources[~c.keep(y - oy, x - ox, st.block_radius, rs, cs)] = 0.0
    c = np.where(_circle(shape, at, st.reach), cond[rs, cs], np.nan)
    cur = window_current(c, sources, at, neighbours=st.neighbours)
    pot = window_current(np.ones(shape), sources, at, neighbours=st.neighbours) if fp is not None else None
    if corr is not None:
        k = _cut(corr, st, y, x, shape)
        cur = cur * k
        pot = pot * k if pot is not None else None
    cum[rs, cs] += cur
    if fp is not None:
        fp[rs, cs] += pot


def source_from_resistance(resistance, *, r_cutoff: float = math.inf,
                           resistance_is_conductance: bool = False) -> np.ndarray:
    """Source strength as Omniscape.jl derives it: 1 / resistance, 0 where resistance > ``r_cutoff``.

    Parameters
    ----------
    resistance : array_like of float, shape (rows, cols)
        Resistance per cell (dimensionless cost units); NaN for NoData.
    r_cutoff : float, default inf
        Cells with a resistance above this (cost units) are no source.
    resistance_is_conductance : bool, default False
        ``resistance`` holds conductances (1 / cost units); the strength is then the value itself.

    Returns
    -------
    numpy.ndarray of float, shape (rows, cols)
        Source strength (relative, unitless); 0 on NoData and above the cutoff.
    """
    r = np.asarray(resistance, dtype=float)
    with np.errstate(divide="ignore"):
        s = r.copy() if resistance_is_conductance else 1.0 / r
    cut = 1.0 / r_cutoff if r_cutoff else math.inf
    return np.where(np.isfinite(s) & (s >= cut), s, 0.0)


def _reclassify(r: np.ndarray, reclass: dict[float, float] | None) -> np.ndarray:
    """Replace each old value by its new one (NaN: NoData), all read from the unchanged raster."""
    if not reclass:
        return r
    out = r.copy()
    for old, new in reclass.items():
        out[r == old] = new
    return out


def prepare(r: np.ndarray, source, *, reclass=None, r_cutoff: float = math.inf,
            resistance_is_conductance: bool = False, source_threshold: float = 0.0):
    """Conductance and source strength of (a part of) the raster, cell by cell as Omniscape.jl does.

    Parameters
    ----------
    r : numpy.ndarray of float, shape (h, w)
        Resistance (cost units) or conductance, NaN for NoData.
    source : numpy.ndarray of float, shape (h, w), or None
        Given source strength (unitless), or None to take it from the resistance.
    reclass : dict of float to float, optional
        Old resistance value -> new value, applied first.
    r_cutoff : float, default inf
        Cost units above which a cell is no source (strengths from the resistance).
    resistance_is_conductance : bool, default False
        ``r`` holds conductances (1 / cost units).
    source_threshold : float, default 0
        Given strengths below this become 0.

    Returns
    -------
    tuple of numpy.ndarray
        Conductance (1 / cost units, NaN on NoData) and source strength (unitless, no NaN).
    """
    if source is None:
        src = source_from_resistance(_reclassify(r, reclass), r_cutoff=r_cutoff,
                                     resistance_is_conductance=resistance_is_conductance)
    else:
        src = np.where(np.isfinite(source) & (source >= source_threshold), source, 0.0)
    r = _reclassify(r, reclass)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = r if resistance_is_conductance else 1.0 / r
    return np.where(np.isfinite(r), cond, np.nan), src
