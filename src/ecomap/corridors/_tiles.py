"""Omniscape's targets grouped into tiles: the tile grid, the two tasks, their memory.

Private to :mod:`ecomap.corridors.omniscape`. A **tile** is a block of the output grid; its task
(:func:`tile_current`) solves every window whose target centre lies in the tile and adds their
currents into an array of the tile grown by the **halo** (the window's reach), so it reads only
that part of the inputs. The second task (:func:`assemble`) builds one output tile from the
halo arrays that overlap it, **added in row-major tile order starting from zeros**. That order
depends only on the tile grid, never on which worker ran what, so 1, 2 or N workers and the
serial run give the same bits; a single tile is the untiled sum.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ._solver import _lu_bytes
from ._window import _reclassify, _Setup, _solve_target, prepare
from .scaleout import WORKER_BASE_BYTES


@dataclass(frozen=True)
class Params:
    """Everything a task needs besides its part of the rasters (sent once to every worker)."""

    setup: _Setup
    correction: np.ndarray | None
    flow_potential: bool
    mask_nodata: bool
    reclass: dict | None = None
    r_cutoff: float = math.inf
    resistance_is_conductance: bool = False
    source_threshold: float = 0.0


@dataclass(frozen=True)
class Grid:
    """Tiles of ``size`` x ``size`` cells over a raster of ``shape``, each read with a ``halo``."""

    shape: tuple[int, int]
    size: int
    halo: int

    @property
    def tiles(self) -> tuple[int, int]:
        """Tile rows and columns."""
        return (-(-self.shape[0] // self.size), -(-self.shape[1] // self.size))

    @property
    def reach(self) -> int:
        """Tiles on each side whose halo can reach into a tile."""
        return -(-self.halo // self.size)

    def core(self, i: int, j: int) -> tuple[int, int, int, int]:
        """Rows ``y0:y1`` and columns ``x0:x1`` of tile ``(i, j)``."""
        s, (rows, cols) = self.size, self.shape
        return (i * s, min((i + 1) * s, rows), j * s, min((j + 1) * s, cols))

    def extent(self, i: int, j: int) -> tuple[int, int, int, int]:
        """The tile grown by the halo, clipped to the raster."""
        y0, y1, x0, x1 = self.core(i, j)
        rows, cols = self.shape
        h = self.halo
        return (max(y0 - h, 0), min(y1 + h, rows), max(x0 - h, 0), min(x1 + h, cols))

    def neighbours(self, i: int, j: int) -> list[tuple[int, int]]:
        """Tiles whose halo may overlap tile ``(i, j)``, in row-major order (the summation order)."""
        k, (n, m) = self.reach, self.tiles
        return [(a, b) for a in range(max(i - k, 0), min(i + k + 1, n))
                for b in range(max(j - k, 0), min(j + k + 1, m))]


@dataclass(frozen=True)
class ArrayChunk:
    """A part of in-memory rasters: contiguous copies, so every path sums the same memory layout."""

    origin: tuple[int, int]
    resistance: np.ndarray
    source: np.ndarray | None
    conditions: tuple = ()

    @classmethod
    def cut(cls, extent, resistance, source=None, conditions=()) -> ArrayChunk:
        """The part ``extent`` = (y0, y1, x0, x1) of the rasters (and of each condition's layers)."""
        y0, y1, x0, x1 = extent

        def part(a):
            return None if a is None else np.array(a[y0:y1, x0:x1], dtype=float, order="C")

        conds = tuple(dataclasses.replace(c, present=part(c.present), future=part(c.future)) for c in conditions)
        return cls((y0, x0), part(resistance), part(source), conds)

    def load(self) -> ArrayChunk:
        """Itself (already in memory)."""
        return self


@dataclass(frozen=True)
class FileChunk:
    """A part of raster files, read by the task itself (workers must see the same paths)."""

    origin: tuple[int, int]
    shape: tuple[int, int]
    resistance: str
    source: str | None = None

    def load(self) -> ArrayChunk:
        """Read the window of each file (NoData -> NaN) as an :class:`ArrayChunk`."""
        return ArrayChunk(self.origin, read_window(self.resistance, self.origin, self.shape),
                          None if self.source is None else read_window(self.source, self.origin, self.shape))


def read_window(path, origin: tuple[int, int], shape: tuple[int, int]) -> np.ndarray:
    """Rows and columns ``origin`` + ``shape`` of band 1 of a raster, as float, NoData as NaN.

    Parameters
    ----------
    path : str or os.PathLike
        A raster GDAL reads.
    origin : tuple of int
        Top-left (row, column) of the window in cells.
    shape : tuple of int
        Rows and columns of the window.

    Returns
    -------
    numpy.ndarray of float, shape ``shape``
        The cells, NaN where the raster's NoData value is.
    """
    import rasterio
    from rasterio.windows import Window

    try:
        with rasterio.open(path) as d:
            a = d.read(1, window=Window(origin[1], origin[0], shape[1], shape[0])).astype(float)
            nodata = d.nodata
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{path}: not a readable raster ({exc})") from exc
    if nodata is not None:
        a[a == nodata] = np.nan
    return np.ascontiguousarray(a)


def _steps(a0: int, a1: int, br: int, bs: int, n: int) -> range:
    """Target centres ``br, br + bs, ...`` (below ``n - br``) that fall in ``[a0, a1)``."""
    first = br + max(0, -(-(a0 - br) // bs)) * bs
    return range(first, min(a1, n - br), bs)


def tile_current(chunk, params: Params, core: tuple[int, int, int, int]):
    """Task 1: the windows whose target centre lies in ``core``, added into the chunk's extent.

    Parameters
    ----------
    chunk : ArrayChunk or FileChunk
        The inputs on the tile grown by the halo.
    params : Params
        The run's settings.
    core : tuple of int
        Rows ``y0:y1`` and columns ``x0:x1`` of the tile.

    Returns
    -------
    tuple
        Cumulative current and flow potential (None unless asked) on the chunk (amperes), and the
        number of targets solved.
    """
    data = chunk.load()
    cond, src = prepare(data.resistance, data.source, reclass=params.reclass, r_cutoff=params.r_cutoff,
                        resistance_is_conductance=params.resistance_is_conductance,
                        source_threshold=params.source_threshold)
    st, (oy, ox) = params.setup, data.origin
    br, bs = st.block_radius, st.block_size
    cum = np.zeros(cond.shape)
    fp = np.zeros(cond.shape) if params.flow_potential else None
    n = 0
    y0, y1, x0, x1 = core
    for x in _steps(x0, x1, br, bs, st.shape[1]):  # Omniscape.jl's order: columns outer
        for y in _steps(y0, y1, br, bs, st.shape[0]):
            amps = src[y - oy - br:y - oy + br + 1, x - ox - br:x - ox + br + 1].sum()
            if amps > 0:
                _solve_target(y, x, amps, cond, src, st, params.correction, cum, fp, data.conditions, (oy, ox))
                n += 1
    return cum, fp, n


def assemble(core, parts, own: int, valid_chunk, params: Params):
    """Task 2: one output tile, the overlapping halo arrays added in the order given.

    Parameters
    ----------
    core : tuple of int
        Rows ``y0:y1`` and columns ``x0:x1`` of the tile.
    parts : list of tuple
        ``(origin, result of tile_current)`` for each neighbouring tile, in row-major tile order.
    own : int
        Index in ``parts`` of the tile's own task (its target count is returned).
    valid_chunk : ArrayChunk or FileChunk
        The resistance on the tile (NoData masks the outputs).
    params : Params
        The run's settings.

    Returns
    -------
    tuple
        Cumulative current, flow potential and normalized current on the tile (the two last None
        unless asked), and the number of targets of the tile.
    """
    y0, y1, x0, x1 = core
    cum = np.zeros((y1 - y0, x1 - x0))
    fp = np.zeros(cum.shape) if params.flow_potential else None
    for (oy, ox), (pc, pf, _) in parts:
        a0, a1 = max(y0, oy), min(y1, oy + pc.shape[0])
        b0, b1 = max(x0, ox), min(x1, ox + pc.shape[1])
        if a0 >= a1 or b0 >= b1:
            continue
        cum[a0 - y0:a1 - y0, b0 - x0:b1 - x0] += pc[a0 - oy:a1 - oy, b0 - ox:b1 - ox]
        if fp is not None:
            fp[a0 - y0:a1 - y0, b0 - x0:b1 - x0] += pf[a0 - oy:a1 - oy, b0 - ox:b1 - ox]
    valid = np.isfinite(_reclassify(valid_chunk.load().resistance, params.reclass))
    cum, fp, norm = finish(cum, fp, valid, params.mask_nodata)
    return cum, fp, norm, parts[own][1][2]


def finish(cum, fp, valid, mask_nodata: bool):
    """Normalized current (0 where both maps are 0) and NaN on NoData, cell by cell.

    Parameters
    ----------
    cum, fp : numpy.ndarray of float
        Cumulative current and flow potential (amperes); ``fp`` may be None.
    valid : numpy.ndarray of bool
        Cells that are not NoData.
    mask_nodata : bool
        Set NoData cells to NaN.

    Returns
    -------
    tuple of numpy.ndarray
        ``cum``, ``fp`` and normalized current (None without ``fp``), masked in place.
    """
    norm = None
    if fp is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = cum / fp
        norm[np.isnan(norm)] = 0.0
    if mask_nodata:
        for a in (cum, fp, norm):
            if a is not None:
                a[~valid] = np.nan
    return cum, fp, norm


def worker_memory(grid: Grid, reach: int, *, flow_potential: bool, layers: int = 2, held: int = 0) -> dict[str, int]:
    """Bytes a worker needs, by part: one tile's task, the window solve, and halo arrays it keeps.

    ``layers`` counts the input rasters a task reads (resistance, source, condition layers);
    ``held`` the halo arrays a worker may keep for the assembling of neighbouring tiles.
    """
    chunk = (grid.size + 2 * grid.halo) ** 2
    outs = 2 if flow_potential else 1
    m = (2 * reach + 1) ** 2  # cells of one window
    k = 2 * grid.reach + 1
    return {
        "worker process": WORKER_BASE_BYTES,
        f"one tile's inputs and sums ({grid.size}+2x{grid.halo} cells a side)": 8 * chunk * (layers + 2 + outs),
        f"one window's circuit ({m:,} cells, sparse LU)": 600 * m + _lu_bytes(m),
        f"halo arrays kept for assembling ({held + k * k} at most)": 8 * chunk * outs * (held + k * k),
        "one output tile": 8 * 3 * grid.size ** 2,
    }


def held_parts(grid: Grid, workers: int) -> int:
    """Halo arrays a worker may keep while the run slides down the tile rows (see :func:`run_tiles`)."""
    rows = 2 * grid.reach + 1 + _lookahead(grid, workers)
    return -(-rows * grid.tiles[1] // workers)


def _lookahead(grid: Grid, workers: int) -> int:
    return 0 if workers <= 1 else -(-2 * workers // grid.tiles[1])


def run_tiles(grid: Grid, chunk_of, params: Params, ex, write) -> int:
    """Run every tile's task and write each output tile, sliding down the tile rows.

    Parameters
    ----------
    grid : Grid
        The tiles.
    chunk_of : callable
        ``(y0, y1, x0, x1) -> ArrayChunk or FileChunk``: the inputs on that extent.
    params : Params
        The run's settings.
    ex : SerialExecutor or DaskExecutor
        Where the tasks run (:func:`ecomap.corridors.scaleout.executor`).
    write : callable
        ``(core, cum, fp, norm)``: takes one finished output tile, called in row-major order.

    Returns
    -------
    int
        Targets solved.

    Notes
    -----
    Halo arrays are kept only for the tile rows the next output row needs, plus enough rows
    ahead to keep every worker busy: memory does not grow with the raster's height.
    """
    (nty, ntx), k = grid.tiles, grid.reach
    look = _lookahead(grid, ex.workers)
    p = ex.put(params, broadcast=True)

    def chunks(extents):  # in-memory parts go to the cluster in one call a row
        cs = [chunk_of(e) for e in extents]
        mem = [k for k, c in enumerate(cs) if isinstance(c, ArrayChunk)]
        for k, h in zip(mem, ex.put_many([cs[k] for k in mem]), strict=True):
            cs[k] = h
        return cs

    parts, nxt, n = {}, 0, 0
    for i in range(nty):
        while nxt < min(nty, i + k + 1 + look):
            for j, c in enumerate(chunks([grid.extent(nxt, j) for j in range(ntx)])):
                parts[nxt, j] = ex.submit(tile_current, c, p, grid.core(nxt, j))
            nxt += 1
        outs = []
        for j, c in enumerate(chunks([grid.core(i, j) for j in range(ntx)])):
            nb = grid.neighbours(i, j)
            ps = [((grid.extent(a, b)[0], grid.extent(a, b)[2]), parts[a, b]) for a, b in nb]
            outs.append(ex.submit(assemble, grid.core(i, j), ps, nb.index((i, j)), c, p))
        for j, h in enumerate(outs):
            cum, fp, norm, cnt = ex.result(h)
            write(grid.core(i, j), cum, fp, norm)
            n += cnt
        for key in [key for key in parts if key[0] <= i - k]:
            del parts[key]
    return n
