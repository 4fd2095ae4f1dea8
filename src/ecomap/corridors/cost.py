"""Cost-distance (GRASS ``r.cost``'s rule), from one source or many, and least-cost path tracing.

Cost values are in **cost units**: resistance per metre times metres (or cell units when the
cell size is 1), never metres.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from .._errors import InputError
from ._common import SQRT2, STEPS8, check_neighbours

__all__ = ["cost_distance", "cost_distances", "estimate_cost_memory"]

#: Bytes a cell of one search above the cost raster: its result (8), a settled flag and the
#: passable cells (1 each); the heap of the search front is a thin band (measured: 10.3 bytes a
#: cell on 2.25 M cells, 8 and 16 neighbours).
SEARCH_BYTES = 10


def estimate_cost_memory(n_cells: int, *, kept: int = 0, mask: bool = False) -> int:
    """Bytes a cost-distance search needs above the cost raster, its result included.

    Parameters
    ----------
    n_cells : int
        Cells of the raster (rows x cols).
    kept : int, default 0
        Earlier results the caller still holds while the search runs (8 bytes a cell each;
        a loop over :func:`cost_distances` holds the previous one: ``kept=1``).
    mask : bool, default False
        The sources are given as a boolean mask (the caller's and a copy: 2 bytes a cell).

    Returns
    -------
    int
        Bytes.
    """
    return int(n_cells) * (SEARCH_BYTES + 8 * int(kept) + 2 * bool(mask)) + (1 << 16)


def _check_cost_memory(n_cells: int, kept: int, max_memory: int | None = None, *, mask: bool = False) -> None:
    """Refuse a search whose estimate exceeds ``max_memory`` (default 80 % of the available memory)."""
    from ._solver import _available_memory

    need = estimate_cost_memory(n_cells, kept=kept, mask=mask)
    have = max_memory if max_memory is not None else int(_available_memory() * 0.8)
    if need > have:
        raise InputError(f"cost-distance on {n_cells:,} cells needs about {need / 2**30:.1f} GiB but "
                         f"{have / 2**30:.1f} GiB is available; use a coarser resolution or a smaller extent")


def _source_mask(sources, shape: tuple[int, int]) -> np.ndarray:
    """Make a boolean mask from a mask or a list of (row, col)."""
    arr = np.asarray(sources)
    if arr.dtype == bool and arr.shape == shape:
        return arr.copy()
    mask = np.zeros(shape, dtype=bool)
    cells = np.asarray(list(sources), dtype=int).reshape(-1, 2)
    if len(cells):
        r, c = cells[:, 0], cells[:, 1]
        if (r < 0).any() or (c < 0).any() or (r >= shape[0]).any() or (c >= shape[1]).any():
            raise InputError(f"a source cell lies outside the {shape[0]} x {shape[1]} grid")
        mask[r, c] = True
    return mask


def _refuse_null_start(sources, mask: np.ndarray, passable: np.ndarray) -> None:
    """Refuse start cells on NULL: a listed cell by its (row, col), a mask with no passable cell."""
    if not (np.asarray(sources).dtype == bool and mask.shape == passable.shape and np.asarray(sources).ndim == 2):
        bad = np.argwhere(mask & ~passable)
        if len(bad):
            raise InputError(f"start cell (row {bad[0][0]}, col {bad[0][1]}) is NULL (NaN/inf cost): "
                             "no path can start there (GRASS r.cost writes 0 there and NULL elsewhere)")
    elif mask.any() and not (mask & passable).any():
        raise InputError(f"every one of the source's {int(mask.sum())} cells is NULL (NaN/inf cost)")


def _checked_cost(cost, neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the cost as a 2-D float array and its passable cells; refuse what the rule cannot take."""
    check_neighbours(neighbours, (4, 8, 16))
    c = np.asarray(cost, dtype=float)
    if c.ndim != 2:
        raise InputError("cost must be a 2-D array")
    passable = np.isfinite(c)
    if (c[passable] < 0).any():
        raise InputError("cost has negative values; use NaN or inf for impassable cells")
    return c, passable


def cost_distance(cost, sources, *, cellsize: float = 1.0, neighbours: int = 8,
                  max_cost: float | None = None) -> np.ndarray:
    r"""Cumulative cost from the nearest source cell to every cell (GRASS ``r.cost``'s rule).

    A step between two cells costs the mean of their costs times the step length:

    .. math:: c_{ij} = d_{ij}\,\frac{r_i + r_j}{2},\qquad
              d_{ij} = s \text{ (orthogonal)},\; \sqrt{2}\,s \text{ (diagonal)}

    with ``s`` the cell size, and the cumulative cost is the least sum over all paths
    (Dijkstra over the implicit grid, compiled; the values of scikit-image's ``MCP_Geometric``
    bit for bit). This is what ``r.cost`` computes without
    ``-k``.

    Parameters
    ----------
    cost : (rows, cols) array_like of float
        Cost per unit distance (resistance per metre for a resistance surface); NaN or inf
        marks impassable cells; negative values are refused.
    sources : (rows, cols) bool array or sequence of (row, col)
        The source cells, as a mask of the cost's shape or a list of cells.
    cellsize : float, default 1.0
        Length of a cell side (metres for a resistance surface; 1 gives ``r.cost``'s cell units).
    neighbours : {8, 4, 16}
        8 (default, diagonal steps allowed), 4, or 16 (``r.cost -k``: knight's moves too, of
        length :math:`\sqrt5\,s` and cost the mean of the two end cells and the two cells passed
        between, not taken when one of those is impassable).
    max_cost : float, optional
        ``r.cost max_cost``: cells costlier than this are ``inf`` (the rest are exact; GRASS also
        writes the unfinished costs of the cells just past the cap).

    Returns
    -------
    (rows, cols) numpy.ndarray of float
        Cumulative cost in cost units: 0 on the sources, ``inf`` where no path exists.

    Raises
    ------
    InputError
        If ``cost`` is not 2-D or has negative values, ``neighbours`` is not 4, 8 or 16, a
        source cell lies outside the grid (also a :class:`ValueError`), or a listed start cell
        is impassable (a mask: all of its cells), or the search would not fit in 80 % of the
        available memory (:func:`estimate_cost_memory`).

    References
    ----------
    GRASS GIS manual, ``r.cost``. Neteler, M. & Mitasova, H. (2008). *Open Source GIS: A GRASS
    GIS Approach*, 3rd ed. Springer.
    """
    graph = _CostGraph(cost, cellsize=cellsize, neighbours=neighbours)
    _check_cost_memory(graph.cost.size, 0)
    return graph.distance(sources, max_cost=max_cost)


class _CostGraph:
    """The grid searched as an implicit graph from many sources (compiled Dijkstra, no stored graph).

    A cell's steps are made from the cost raster as the search settles it
    (:mod:`ecomap.corridors._dijkstra`), with the arithmetic of the sparse graph this replaced,
    so the values are bit for bit the same. Memory above the cost raster and the result: an
    settled flag a cell and the heap of the search front (a few bytes a cell; the float64 CSR
    graph scipy's Dijkstra needed took 124).
    """

    def __init__(self, cost, *, cellsize: float, neighbours: int):
        from ._dijkstra import step_table

        c, self.passable = _checked_cost(cost, neighbours)
        self.cost = np.ascontiguousarray(c, dtype=np.float64)
        self.shape = c.shape
        self.table, self.length = step_table(neighbours, cellsize)

    def distance(self, sources, *, max_cost: float | None = None) -> np.ndarray:
        from ._dijkstra import grid_dijkstra

        mask = _source_mask(sources, self.shape)
        _refuse_null_start(sources, mask, self.passable)
        start = np.flatnonzero((mask & self.passable).ravel())
        dist = np.full(self.cost.size, np.inf)
        if len(start):
            grid_dijkstra(self.cost, start.astype(np.int64), self.table, self.length,
                          np.inf if max_cost is None else float(max_cost), dist)
        return dist.reshape(self.shape)


def cost_distances(cost, sources: Iterable, *, cellsize: float = 1.0,
                   neighbours: int = 8) -> Iterator[np.ndarray]:
    """Cost-distance from each of many sources (a compiled Dijkstra over the implicit grid).

    Same rule and values as :func:`cost_distance`, and faster than repeated calls from the
    second source on.

    Parameters
    ----------
    cost : (rows, cols) array_like of float
        Cost per unit distance, as for :func:`cost_distance`.
    sources : iterable
        One item per search, each a ``(rows, cols)`` bool mask or a list of ``(row, col)``.
    cellsize : float, default 1.0
        Length of a cell side (metres for a resistance surface).
    neighbours : {8, 4, 16}
        8 (default), 4 or 16 (``r.cost -k``), as for :func:`cost_distance`.

    Yields
    ------
    (rows, cols) numpy.ndarray of float
        Cumulative cost from that item's cells (cost units), ``inf`` where unreachable.

    Raises
    ------
    InputError
        As :func:`cost_distance`, on the first item (the memory check counts the previous
        result as still held and the sources as masks: ``estimate_cost_memory(cells, kept=1,
        mask=True)``).

    References
    ----------
    GRASS GIS manual, ``r.cost``. Dijkstra, E. W. (1959). A note on two problems in connexion
    with graphs. *Numerische Mathematik* 1:269-271.
    """
    graph = _CostGraph(cost, cellsize=cellsize, neighbours=neighbours)
    _check_cost_memory(graph.cost.size, 1, mask=True)
    for src in sources:
        yield graph.distance(src)


def _trace(cwd: np.ndarray, cost: np.ndarray, end: tuple[int, int], *, cellsize: float,
           neighbours: int) -> list[tuple[int, int]]:
    """Trace a least-cost path from a source to ``end``, walking back down the cost-distance surface.

    At each cell the predecessor is the neighbour n with ``cwd[n] + step(n, cell) == cwd[cell]``
    (the one closest to it), which rebuilds a path of exactly the least cost.
    """
    steps = STEPS8 if neighbours == 8 else STEPS8[:4]
    h, w = cwd.shape
    path = [end]
    r, c = end
    for _ in range(cwd.size):
        here = cwd[r, c]
        if here <= 0:
            break
        best, gap = None, math.inf
        for dr, dc in steps:
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and cwd[rr, cc] < here:
                step = cellsize * (SQRT2 if dr and dc else 1.0) * (cost[r, c] + cost[rr, cc]) / 2.0
                g = abs(cwd[rr, cc] + step - here)
                if g < gap:
                    best, gap = (rr, cc), g
        if best is None:
            break
        r, c = best
        path.append(best)
    return path[::-1]
