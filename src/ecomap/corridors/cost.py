"""Cost-distance (GRASS ``r.cost``'s rule), from one source or many, and least-cost path tracing.

Cost values are in **cost units**: resistance per metre times metres (or cell units when the
cell size is 1), never metres.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from .._errors import InputError
from ._common import KNIGHT, SQRT2, STEPS8, check_neighbours, knight_between

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


def cost_distances(cost, sources: Iterable, *, cellsize: float = 1.0, neighbours: int = 8,
                   workers: int | None = None, scheduler: str | None = None, client=None,
                   max_memory: int | None = None) -> Iterator[np.ndarray]:
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
    workers : int, optional
        Run the searches as dask.distributed tasks on a ``LocalCluster`` of this many processes:
        the sources split into groups, one task a group.
    scheduler : str, optional
        The same on a running Dask cluster (``tcp://host:8786``).
    client : distributed.Client, optional
        The same through this client.
    max_memory : int, optional
        Bytes the local workers may take in all (default 80 % of the available memory).

    Yields
    ------
    (rows, cols) numpy.ndarray of float
        Cumulative cost from that item's cells (cost units), ``inf`` where unreachable, in the
        order of ``sources`` and the same bits wherever the searches ran.

    Raises
    ------
    InputError
        As :func:`cost_distance`, on the first item (the memory check counts the previous
        result as still held and the sources as masks: ``estimate_cost_memory(cells, kept=1,
        mask=True)``); or a Dask run whose memory estimate does not fit (:func:`ecomap.corridors.scaleout.check_worker_memory`).

    References
    ----------
    GRASS GIS manual, ``r.cost``. Dijkstra, E. W. (1959). A note on two problems in connexion
    with graphs. *Numerische Mathematik* 1:269-271.
    """
    if workers is not None or scheduler is not None or client is not None:
        yield from _cost_distances_on_dask(cost, list(sources), cellsize=cellsize, neighbours=neighbours,
                                           workers=workers, scheduler=scheduler, client=client,
                                           max_memory=max_memory)
        return
    graph = _CostGraph(cost, cellsize=cellsize, neighbours=neighbours)
    _check_cost_memory(graph.cost.size, 1, mask=True)
    for src in sources:
        yield graph.distance(src)


def _step_cost(cost: np.ndarray, r: int, c: int, dr: int, dc: int, cellsize: float) -> float:
    """Cost of the step from (r, c) to (r + dr, c + dc) by :class:`_CostGraph`'s rule (inf if not allowed).

    Orthogonal and diagonal steps cost the mean of the two cells times the step length; a
    knight's move (``r.cost -k``) the mean of the two end cells and the two cells it passes
    between, and is not taken when one of those is impassable (or off the grid).
    """
    h, w = cost.shape
    if abs(dr) + abs(dc) == 3:
        (a1, b1), (a2, b2) = knight_between(dr, dc)
        mid = [cost[r + a, c + b] if 0 <= r + a < h and 0 <= c + b < w else np.nan for a, b in ((a1, b1), (a2, b2))]
        total = cost[r, c] + cost[r + dr, c + dc] + mid[0] + mid[1]
        return cellsize * math.hypot(dr, dc) * total / 4.0 if np.isfinite(total) else math.inf
    length = SQRT2 if dr and dc else 1.0
    return cellsize * length * (cost[r, c] + cost[r + dr, c + dc]) / 2.0


def _distances_task(cost, group: list, cellsize: float, neighbours: int) -> list[np.ndarray]:
    """A task: the graph built once, then a search from each source of the group."""
    graph = _CostGraph(cost, cellsize=cellsize, neighbours=neighbours)
    return [graph.distance(s) for s in group]


def cost_worker_parts(cells: int, n_sources: int, workers: int) -> dict[str, int]:
    """Bytes a worker of :func:`cost_distances` on Dask needs, by part (sources in two groups a worker).

    Parameters
    ----------
    cells : int
        Cells of the cost raster.
    n_sources : int
        Sources searched.
    workers : int
        Workers the sources are shared among.

    Returns
    -------
    dict of str to int
        Bytes by part: the process, one search, the cost raster and a task's surfaces.
    """
    from .scaleout import WORKER_BASE_BYTES

    per = max(1, -(-n_sources // (2 * max(workers, 1))))  # two groups a worker
    return {"worker process": WORKER_BASE_BYTES, "the search": estimate_cost_memory(cells, mask=True),
            "the cost raster": 16 * cells, f"{per} cost-distance surfaces a task": 8 * per * cells}


def _cost_distances_on_dask(cost, sources: list, *, cellsize, neighbours, workers, scheduler, client,
                            max_memory) -> Iterator[np.ndarray]:
    """:func:`cost_distances` as Dask tasks: groups of sources, results yielded in order."""
    from .scaleout import check_worker_memory, executor

    c = np.asarray(cost, dtype=float)
    _checked_cost(c, neighbours)  # refused here, before any cluster starts
    w = 1 if workers is None else max(int(workers), 1)
    parts = cost_worker_parts(c.size, len(sources), w)
    need = check_worker_memory(parts, workers=1 if workers is None else w, what="cost-distance on Dask",
                               options="fewer --workers, a coarser --resolution, or a cluster with more memory "
                                       "a worker (--scheduler)", max_memory=max_memory)
    with executor(workers=workers, scheduler=scheduler, client=client,
                  memory_limit=need if workers is not None else None) as ex:
        if workers is None and ex.worker_limit is not None:
            parts = cost_worker_parts(c.size, len(sources), ex.workers)  # the groups its workers get
            check_worker_memory(parts, workers=1, what="cost-distance on Dask", options="a cluster with more "
                                "memory a worker, or a coarser --resolution", limit=ex.worker_limit)
        h = ex.put(c, broadcast=True)
        per = max(1, -(-len(sources) // (2 * ex.workers)))
        futures = [ex.submit(_distances_task, h, sources[i:i + per], cellsize, neighbours)
                   for i in range(0, len(sources), per)]
        for f in futures:
            yield from ex.result(f)


def _trace(cwd: np.ndarray, cost: np.ndarray, end: tuple[int, int], *, cellsize: float,
           neighbours: int) -> list[tuple[int, int]]:
    """Trace a least-cost path from a source to ``end``, walking back down the cost-distance surface.

    At each cell the predecessor is the neighbour n with ``cwd[n] + step(n, cell) == cwd[cell]``
    (the one closest to it), which rebuilds a path of exactly the least cost. With 16 neighbours
    the knight's moves are followed too, by the rule that made ``cwd`` (``r.cost -k``, as
    ``r.drain`` follows its direction raster): the path lists the cells stepped on, not the two
    a knight's move passes between.
    """
    steps = STEPS8[:4] if neighbours == 4 else STEPS8
    if neighbours == 16:
        steps = steps + KNIGHT + tuple((-dr, -dc) for dr, dc in KNIGHT)
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
                g = abs(cwd[rr, cc] + _step_cost(cost, rr, cc, -dr, -dc, cellsize) - here)
                if g < gap:
                    best, gap = (rr, cc), g
        if best is None:
            break
        r, c = best
        path.append(best)
    return path[::-1]
