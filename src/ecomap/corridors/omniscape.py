"""Omniscape moving windows: wall-to-wall current from circuit solves in a circle around every target.

The algorithm of Omniscape.jl (McRae et al. 2016; Landau et al. 2021): a target block of
``block_size`` x ``block_size`` cells is grounded at its centre, every source cell within
``radius`` cells (outside the block) injects current in proportion to its strength, the total
being the block's strength, and the node currents of that one Circuitscape "advanced" solve on
the circular window (``radius + buffer`` cells) are added to the cumulative map. Flow potential is
the same solve on uniform resistance; normalized current is their ratio.

Every convention of Omniscape.jl 0.6 is kept so that its verified outputs are reproduced
(``tests/corridors/test_omniscape.py``): average *conductance* between neighbours (diagonals
divided by 2 sqrt 2), node current = max(inflow, outflow) with branch currents below 1e-8 of
the largest set to 0, an even ``block_size`` raised by one, sources at the ground removed, the
block-artifact correction of ``calc_correction``, and one quirk: the block whose sources are set
to 0 sits at the window's nominal centre, ``radius + buffer`` cells from its top-left corner,
which for a window clipped by the raster's top or left edge is not the target's own block.

The targets are grouped into tiles (:mod:`._tiles`), run here or as ``dask.distributed`` tasks
(:mod:`.scaleout`: ``workers``, ``scheduler`` or ``client``), and added in an order fixed by the
tile grid, so every executor gives the same bits; :mod:`.omniscape_files` does the same on raster
files, read and written tile by tile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from ._common import check_neighbours
from ._tiles import ArrayChunk, Grid, Params, held_parts, run_tiles, worker_memory
from ._window import _correction, _Setup, source_from_resistance, window_current
from .scaleout import check_worker_memory, executor

__all__ = ["TILE_SIZE", "Condition", "OmniscapeResult", "omniscape", "omniscape_targets", "run_tiled",
           "source_from_resistance", "window_current"]
#: Default side of a tile in cells (a multiple of 16, so it is also the GeoTIFF's block).
TILE_SIZE = 256


@dataclass(frozen=True)
class OmniscapeResult:
    """The three maps of a moving-window run, on the input raster's grid (NaN on NoData if masked)."""

    cumulative: np.ndarray
    flow_potential: np.ndarray | None
    normalized: np.ndarray | None
    n_targets: int
    block_size: int


@dataclass(frozen=True)
class Condition:
    """A conditional-connectivity layer: a source only counts if it is like the target on it.

    ``present`` is the layer now and ``future`` (default: ``present``) the layer the target block is
    read from, both of shape (rows, cols), NaN for NoData. ``comparison='within'``: a source
    counts when ``lower <= present - median(future over the target block) <= upper`` (units of the
    layer); ``'equal'``: when ``present`` equals the block's mode (on ties, the value that first
    reaches the top count in column order, as StatsBase's ``mode``).
    """

    present: np.ndarray
    future: np.ndarray | None = None
    comparison: str = "within"
    lower: float = 0.0
    upper: float = 0.0

    def keep(self, y: int, x: int, br: int, rs: slice, cs: slice) -> np.ndarray:
        """Sources kept in the window ``rs, cs`` for the target block centred on ``(y, x)``."""
        fut = self.present if self.future is None else self.future
        block = fut[y - br:y + br + 1, x - br:x + br + 1].ravel(order="F")
        block = block[np.isfinite(block)]
        p = self.present[rs, cs]
        if block.size == 0:
            return np.ones(p.shape, dtype=bool)
        if self.comparison == "equal":
            value = _mode(block)
            return ~(np.isfinite(p) & (p != value))
        d = p - np.median(block)
        return ~((d > self.upper) | (d < self.lower))


def _mode(values: np.ndarray) -> float:
    counts: dict[float, int] = {}
    best, top = values[0], 0
    for v in values.tolist():
        counts[v] = counts.get(v, 0) + 1
        if counts[v] > top:
            best, top = v, counts[v]
    return best


def omniscape_targets(source: np.ndarray, block_size: int) -> np.ndarray:
    """Target centres and strengths: every ``block_size``-th cell, strength = its block's source sum.

    Parameters
    ----------
    source : numpy.ndarray of float, shape (rows, cols)
        Source strength per cell (unitless, >= 0, no NaN).
    block_size : int
        Odd side of a target block in cells.

    Returns
    -------
    numpy.ndarray of float, shape (n, 3)
        Row, column (0-based cells) and strength of each target with a strength > 0, in
        Omniscape.jl's order (columns outer, rows inner).
    """
    br = (block_size - 1) // 2
    rows, cols = source.shape
    out = []
    for x in range(br, cols - br, block_size):
        for y in range(br, rows - br, block_size):
            out.append((y, x, source[y - br:y + br + 1, x - br:x + br + 1].sum()))
    t = np.array(out, dtype=float).reshape(-1, 3)
    return t[t[:, 2] > 0]


def _check(resistance, source, radius: int, block_size: int, buffer: int, neighbours: int):
    check_neighbours(neighbours)
    r = np.asarray(resistance, dtype=float)
    if r.ndim != 2:
        raise InputError("resistance must be a 2-D array")
    ok = np.isfinite(r)
    if not ok.any() or (r[ok] <= 0).any():
        raise InputError("resistance must be > 0 on at least one cell; use NaN for NoData")
    if int(radius) < 1 or int(block_size) < 1 or int(buffer) < 0:
        raise InputError("radius and block_size must be >= 1 cell, buffer >= 0 cells")
    if source is not None:
        source = np.asarray(source, dtype=float)
        if source.shape != r.shape:
            raise InputError(f"source strength is {source.shape[0]} x {source.shape[1]} cells, "
                             f"resistance {r.shape[0]} x {r.shape[1]}: they must be on one grid")
    return r, source


def omniscape(
    resistance,
    *,
    radius: int,
    block_size: int = 1,
    buffer: int = 0,
    source_strength=None,
    source_threshold: float = 0.0,
    r_cutoff: float = math.inf,
    resistance_is_conductance: bool = False,
    reclass: dict[float, float] | None = None,
    neighbours: int = 8,
    correct_artifacts: bool = True,
    flow_potential: bool = True,
    mask_nodata: bool = True,
    conditions: tuple[Condition, ...] = (),
    tile_size: int = TILE_SIZE,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    max_memory: int | None = None,
) -> OmniscapeResult:
    """Moving-window current flow (Omniscape.jl's algorithm) on a resistance raster.

    Parameters
    ----------
    resistance : array_like of float, shape (rows, cols)
        Resistance per cell (cost units), NaN for NoData; conductance if
        ``resistance_is_conductance``.
    radius : int
        Radius of the moving window in cells (a source farther than this from the target does not
        inject current).
    block_size : int, default 1
        Side of a target block in cells; an even value is raised by one, as Omniscape.jl does.
    buffer : int, default 0
        Cells added to the radius for the circuit (but not for the sources).
    source_strength : array_like of float, shape (rows, cols), optional
        Source strength per cell (relative, unitless), NaN or 0 for none. Default: from the
        resistance (:func:`source_from_resistance` with ``r_cutoff``).
    source_threshold : float, default 0
        Strengths below this (same units as ``source_strength``) become 0; only for a given
        ``source_strength``.
    r_cutoff : float, default inf
        Cost units above which a cell is no source, for strengths taken from the resistance.
    resistance_is_conductance : bool, default False
        ``resistance`` holds conductances (1 / cost units).
    reclass : dict of float to float, optional
        Old resistance value -> new value (NaN for NoData), applied before anything else.
    neighbours : {8, 4}
        Neighbourhood of the circuit.
    correct_artifacts : bool, default True
        Apply Omniscape.jl's block-artifact correction (when ``block_size`` > 1).
    flow_potential : bool, default True
        Also compute flow potential (the same solves on uniform resistance) and normalized current.
    mask_nodata : bool, default True
        NaN in every output where the resistance is NoData.
    conditions : tuple of Condition, optional
        Conditional connectivity (at most two layers in Omniscape.jl): a source only injects
        current towards targets it is like on every layer.
    tile_size : int, default 256
        Side of a tile in cells: the windows whose targets lie in one tile are one task. The
        tiles fix the order in which currents are added, so any number of workers gives the
        same bits as the serial run with the same ``tile_size``; a single tile (a raster no larger)
        is the plain sum over targets.
    workers : int, optional
        Run the tiles on a ``dask.distributed`` ``LocalCluster`` of this many processes.
    scheduler : str, optional
        Run them on a running Dask cluster, by its scheduler's address (``tcp://host:8786``).
    client : distributed.Client, optional
        Run them through this client.
    max_memory : int, optional
        Bytes the workers of this machine may take in all (default 80 % of the available memory);
        the run is refused up front if its estimate does not fit.

    Returns
    -------
    OmniscapeResult
        ``cumulative`` current (amperes, summed over windows), ``flow_potential`` (amperes) and
        ``normalized`` (cumulative / flow potential, 0 where both are 0), each of shape
        (rows, cols); the two last None unless ``flow_potential``.

    Raises
    ------
    InputError
        A resistance that is not 2-D or not > 0, a radius or block size < 1, a negative buffer, a
        neighbourhood other than 4 or 8, a source or condition raster on another grid, or a run
        whose memory estimate does not fit (:func:`ecomap.corridors.scaleout.check_worker_memory`).

    References
    ----------
    McRae, B. H., Popper, K., Jones, A., et al. (2016). Conserving nature's stage: mapping
    omnidirectional connectivity for resilient terrestrial landscapes in the Pacific Northwest.
    The Nature Conservancy.
    Landau, V. A., Shah, V. B., Anantharaman, R., Hall, K. R. (2021). Omniscape.jl: Software to
    compute omnidirectional landscape connectivity. Journal of Open Source Software, 6(57), 2829.
    """
    r, src = _check(resistance, source_strength, radius, block_size, buffer, neighbours)
    _check_conditions(conditions, r.shape)
    params = _params(r.shape, radius=radius, block_size=block_size, buffer=buffer, neighbours=neighbours,
                     correct_artifacts=correct_artifacts, flow_potential=flow_potential, mask_nodata=mask_nodata,
                     reclass=reclass, r_cutoff=r_cutoff, resistance_is_conductance=resistance_is_conductance,
                     source_threshold=source_threshold)
    grid = _grid(r.shape, tile_size, params.setup)
    maps = [np.empty(r.shape), np.empty(r.shape) if flow_potential else None,
            np.empty(r.shape) if flow_potential else None]

    def write(core, *tiles):
        for whole, tile in zip(maps, tiles, strict=True):
            if whole is not None:
                whole[core[0]:core[1], core[2]:core[3]] = tile

    n = run_tiled(grid, lambda e: ArrayChunk.cut(e, r, src, conditions), params, write,
                  layers=2 + 2 * len(conditions), workers=workers, scheduler=scheduler, client=client,
                  max_memory=max_memory)
    return OmniscapeResult(*maps, n, params.setup.block_size)


def _params(shape, *, radius, block_size=1, buffer=0, neighbours=8, correct_artifacts=True, flow_potential=True,
            mask_nodata=True, reclass=None, r_cutoff=math.inf, resistance_is_conductance=False,
            source_threshold=0.0) -> Params:
    bs = int(round(block_size)) + (1 - int(round(block_size)) % 2)
    st = _Setup(int(round(radius)), int(round(buffer)), bs, tuple(shape), neighbours)
    corr = _correction(st) if correct_artifacts and bs > 1 else None
    return Params(st, corr, flow_potential, mask_nodata, reclass, r_cutoff, resistance_is_conductance,
                  source_threshold)


def _grid(shape, tile_size: int, st: _Setup) -> Grid:
    if int(tile_size) < 1:
        raise InputError(f"--tile-size must be >= 1 cell, got {tile_size}")
    return Grid(tuple(shape), int(tile_size), max(st.reach, st.block_radius))


def run_tiled(grid: Grid, chunk_of, params: Params, write, *, layers: int = 2, workers: int | None = None,
              scheduler: str | None = None, client=None, max_memory: int | None = None) -> int:
    """Check the memory up front, then run the tiles here or on Dask and hand each output tile to ``write``.

    Parameters
    ----------
    grid : Grid
        The tiles.
    chunk_of : callable
        ``(y0, y1, x0, x1) -> ArrayChunk or FileChunk``.
    params : Params
        The run's settings.
    write : callable
        ``(core, cum, fp, norm)``, called once per tile in row-major order.
    layers : int, default 2
        Input rasters a task reads (for the estimate).
    workers, scheduler, client, max_memory
        As for :func:`omniscape`.

    Returns
    -------
    int
        Targets solved.

    Raises
    ------
    InputError
        The estimate does not fit, or the executor refuses (:func:`ecomap.corridors.scaleout.executor`).
    """
    def parts(w):
        return worker_memory(grid, params.setup.reach, flow_potential=params.flow_potential, layers=layers,
                             held=held_parts(grid, w))

    what = f"omniscape on {grid.tiles[0]} x {grid.tiles[1]} tiles of {grid.size} cells"
    if scheduler is not None or client is not None:
        with executor(workers=workers, scheduler=scheduler, client=client) as ex:
            check_worker_memory(parts(ex.workers), workers=1, what=what, options=_LOWER, limit=ex.worker_limit)
            return run_tiles(grid, chunk_of, params, ex, write)
    w = 1 if workers is None else max(int(workers), 1)
    need = check_worker_memory(parts(w), workers=w, what=what, options=_LOWER, max_memory=max_memory)
    with executor(workers=workers, memory_limit=need if workers is not None else None) as ex:
        return run_tiles(grid, chunk_of, params, ex, write)


_LOWER = ("a smaller --tile-size (tile_size), fewer --workers, a smaller --radius or --buffer, "
          "or a cluster with more memory a worker (--scheduler)")


def _check_conditions(conditions, shape) -> None:
    for k, c in enumerate(conditions):
        if c.comparison not in ("within", "equal"):
            raise InputError(f"condition {k + 1}: comparison must be 'within' or 'equal'")
        for name in ("present", "future"):
            a = getattr(c, name)
            if a is not None and np.shape(a) != shape:
                raise InputError(f"condition {k + 1}: the {name} layer is not on the resistance's grid")
