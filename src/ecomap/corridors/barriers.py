"""Barrier Mapper: where restoring a disc of habitat lowers the least-cost distance most.

Works on the cost-distance surfaces of :mod:`ecomap.corridors.cost`: the score of a link
(:func:`barrier_improvement`), and the largest score over the model's links, each source's disc
minima filtered once (:func:`_link_improvements`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from .._errors import InputError
from ._surfaces import grid_shape, reachable, window_of

__all__ = ["barrier_improvement"]

_BIG = np.finfo(float).max / 4  # stands for an unreachable cell in the disc minima


def _disk(radius_cells: float) -> np.ndarray:
    r = int(math.floor(radius_cells))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (yy * yy + xx * xx) <= radius_cells * radius_cells + 1e-9


def _footprint(radius: float, cellsize: float, shape: str) -> np.ndarray:
    """Cells whose centres lie in the disc (``|d| <= r``) or Linkage Mapper's annulus (``r - 1 < |d| <= r``).

    Linkage Mapper's annulus is ``ANNULUS r-1 r MAP`` (map units). Where no cell centre falls in
    that ring (a radius that is not a whole number of cells at some angle), the ring is widened
    to one cell: ``r - cellsize < |d| <= r``.
    """
    if shape not in ("annulus", "disc"):
        raise InputError(f"shape must be 'annulus' (Linkage Mapper) or 'disc', not {shape!r}")
    rc = radius / cellsize
    disc = _disk(rc)
    if shape == "disc":
        return disc
    k = disc.shape[0] // 2
    yy, xx = np.mgrid[-k:k + 1, -k:k + 1]
    d = np.hypot(yy, xx) * cellsize
    ring = disc & (d > radius - 1.0)
    return ring if ring.any() else disc & (d > radius - cellsize)


def _check_radius(r: float, cellsize: float) -> None:
    if r < cellsize:
        raise InputError(f"radius {r} is smaller than a cell ({cellsize})")


def barrier_improvement(
    cwd_a: np.ndarray,
    cwd_b: np.ndarray,
    *,
    radii: Sequence[float],
    cellsize: float = 1.0,
    restored: float = 1.0,
    shape: str = "annulus",
) -> np.ndarray:
    r"""Barrier Mapper's improvement score: how much restoring a disc lowers the least-cost distance.

    For a disc of radius ``r`` centred on cell x, restored to resistance ``restored``:

    .. math:: \mathrm{IS}_r(x) = \frac{\mathrm{LCD}_{ab} - \big(\min_{y \in N_r(x)}\mathrm{CWD}_a(y)
              + \min_{y \in N_r(x)}\mathrm{CWD}_b(y) + 2r\cdot\rho\big)}{2r}

    i.e. the drop in least-cost distance per metre restored, with :math:`N_r(x)` Linkage
    Mapper's annulus :math:`r - 1 < |y - x| \le r` (map units; default) or the whole disc
    :math:`|y - x| \le r` (``shape='disc'``, lower minima where the disc swallows a core).
    Negative values are set to 0 (no gain; Linkage Mapper writes NoData); the result is the
    maximum over the radii.

    Parameters
    ----------
    cwd_a, cwd_b : (rows, cols) numpy.ndarray of float
        Cost-distance from each of the two sources (:func:`~ecomap.corridors.cost_distance`,
        same cellsize), in cost units; ``inf`` where unreachable.
    radii : sequence of float
        Disc radii in the cellsize's unit (metres for a resistance surface), each at least one
        cell.
    cellsize : float, default 1.0
        Cell side (metres for a resistance surface).
    restored : float, default 1.0
        Resistance per unit distance of the restored disc.
    shape : {'annulus', 'disc'}
        Where the minima are taken: Linkage Mapper's ring (default) or the whole disc.

    Returns
    -------
    (rows, cols) numpy.ndarray of float
        Improvement score (cost units per unit distance restored); NaN where neither a nor b is
        reachable.

    Raises
    ------
    InputError
        If a radius is smaller than a cell, or ``shape`` is not one of its choices.

    References
    ----------
    McRae, B. H., Hall, S. A., Beier, P. & Theobald, D. M. (2012). Where to restore ecological
    connectivity? Detecting barriers and quantifying restoration benefits. *PLoS ONE*
    7:e52604. Linkage Mapper, Barrier Mapper tool.
    """
    a = np.asarray(cwd_a, dtype=float)
    b = np.asarray(cwd_b, dtype=float)
    lcd = _pair_lcd(a, b)
    best = np.zeros(a.shape)
    for r in radii:
        _check_radius(r, cellsize)
        foot = _footprint(r, cellsize, shape)
        best = np.maximum(best, _improvement(lcd, _disc_minimum(a, foot), _disc_minimum(b, foot), r, restored))
    best[~(np.isfinite(a) | np.isfinite(b))] = np.nan
    return best


def _pair_lcd(a: np.ndarray, b: np.ndarray) -> float:
    """min(CWD_a + CWD_b): the least-cost distance between the two sources."""
    total = a + b
    return np.min(total[np.isfinite(total)]) if np.isfinite(total).any() else np.inf


def _disc_minimum(cwd: np.ndarray, footprint: np.ndarray) -> np.ndarray:
    """Take the least cost-distance over ``footprint`` around each cell (``_BIG`` where none is reachable)."""
    filled = np.where(np.isfinite(cwd), cwd, _BIG)
    return ndimage.minimum_filter(filled, footprint=footprint, mode="constant", cval=_BIG)


def _improvement(lcd: float, ma: np.ndarray, mb: np.ndarray, r: float, restored: float) -> np.ndarray:
    """Improvement score of discs of radius ``r`` from the two sources' disc minima (0 if unreachable)."""
    score = (lcd - (ma + mb + 2.0 * r * restored)) / (2.0 * r)
    return np.where((ma < _BIG) & (mb < _BIG), score, 0.0)


def _link_improvements(cwd, links, *, radii, cellsize: float, restored: float,
                       shape: str = "annulus", combine: str = "max") -> np.ndarray:
    """Score the cells by the largest :func:`barrier_improvement` over the links (0 where none improves).

    ``combine='sum'`` adds the links' scores instead (Linkage Mapper's "sum barrier scores across
    corridors"; each link's score is still its maximum over the radii).

    The same values as the maximum of :func:`barrier_improvement` over the links, but each
    source's disc minima are filtered once per radius, not once per link the source is in (the
    filter is the costly part: a disc of 24 cells at 10 m is 1 793 cells per output cell).
    A link adds nothing where neither of its sources reaches (Barrier Mapper's NaN there).
    ``cwd`` is a list of rasters, or the model's :class:`~ecomap.corridors._surfaces.Surfaces`:
    then every source is filtered on its window grown by the largest disc, and a link is scored
    where the two windows meet (beyond them both minima are out of reach and the score is 0).
    """
    if combine not in ("max", "sum"):
        raise InputError(f"combine must be 'max' or 'sum', not {combine!r}")
    barriers = np.zeros(grid_shape(cwd))
    feet = []
    for r in radii:
        _check_radius(r, cellsize)
        feet.append(_footprint(r, cellsize, shape))
    pad = max((f.shape[0] // 2 for f in feet), default=0)
    used = sorted({s for link in links for s in link})
    box = {s: window_of(cwd, s, pad)[0] for s in used}
    meet = [_meet(box[a], box[b]) for a, b in links]
    lcds = [_window_lcd(cwd, a, b) for a, b in links]
    per_link = [np.zeros(_size(m)) for m in meet] if combine == "sum" else None
    for r, foot in zip(radii, feet, strict=True):
        minima = {s: _disc_minimum(window_of(cwd, s, pad)[1], foot) for s in used}
        for j, ((a, b), lcd, m) in enumerate(zip(links, lcds, meet, strict=True)):
            if 0 in _size(m):
                continue
            score = _improvement(lcd, minima[a][_within(m, box[a])], minima[b][_within(m, box[b])], r, restored)
            ok = reachable(cwd, a, m) | reachable(cwd, b, m)
            if per_link is not None:
                per_link[j] = np.where(ok, np.maximum(per_link[j], score), per_link[j])
            else:
                barriers[m] = np.where(ok, np.maximum(barriers[m], score), barriers[m])
    if per_link is not None:
        for m, score in zip(meet, per_link, strict=True):
            if score.size:
                barriers[m] += score
    return barriers


def _meet(p: tuple[slice, slice], q: tuple[slice, slice]) -> tuple[slice, slice]:
    """The overlap of two boxes (possibly empty)."""
    r0, r1 = max(p[0].start, q[0].start), min(p[0].stop, q[0].stop)
    c0, c1 = max(p[1].start, q[1].start), min(p[1].stop, q[1].stop)
    return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))


def _within(inner: tuple[slice, slice], outer: tuple[slice, slice]) -> tuple[slice, slice]:
    """``inner`` (a box inside ``outer``) in ``outer``'s own coordinates."""
    return (slice(inner[0].start - outer[0].start, inner[0].stop - outer[0].start),
            slice(inner[1].start - outer[1].start, inner[1].stop - outer[1].start))


def _size(box: tuple[slice, slice]) -> tuple[int, int]:
    return box[0].stop - box[0].start, box[1].stop - box[1].start


def _window_lcd(cwd, a: int, b: int) -> float:
    """min(CWD_a + CWD_b) where the two sources' windows meet (the whole grid for plain rasters)."""
    ba, va = window_of(cwd, a)
    bb, vb = window_of(cwd, b)
    m = _meet(ba, bb)
    if 0 in _size(m):
        return np.inf
    return _pair_lcd(va[_within(m, ba)], vb[_within(m, bb)])
