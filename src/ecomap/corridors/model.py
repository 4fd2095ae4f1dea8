"""The corridor model of a network: surface -> sources -> cost-distance -> links -> circuit -> plan.

:func:`model_corridors` runs the steps in that order and returns a :class:`CorridorModel`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import InputError
from ._budget import check_model_memory, model_memory, ring_cells
from ._linktools import _link_tools
from ._pinchsites import _pinch_points, _pinch_polygons
from ._regions import check_regions
from ._surfaces import kept_surfaces, reach, window_bytes
from .barriers import _link_improvements
from .circuit import _pairwise, circuit_worker_parts
from .cost import cost_worker_parts
from .grid import Grid, _extent_geometry, make_grid
from .links import (
    _candidate_links,
    _drawn_links,
    _lcd_floor,
    _paths_frame,
    _source_cost_distances,
    _source_labels,
    _sources,
    _trace_links,
)
from .plan import _compare_plan
from .resistance import _burn_barriers, resistance_from_landcover, resistance_surface
from .scaleout import check_dask_options, check_worker_memory, executor
from .tables import ResistanceTable, load_resistance_table

__all__ = ["CorridorModel", "model_corridors"]

log = logging.getLogger(__name__)


@dataclass
class CorridorModel:
    """Everything :func:`model_corridors` computes. Cost values are in cost units, not metres.

    Rasters are ``(rows, cols)`` float arrays on ``grid``; tables are indexed by id.
    """

    grid: Grid
    resistance: np.ndarray
    table: ResistanceTable
    sources: Any  # GeoDataFrame of the source patches (index id), with cells and area
    cost_distance: np.ndarray  # to the nearest source
    corridors: np.ndarray  # normalized least-cost corridor, truncated at width (NaN beyond)
    width: float
    current: np.ndarray | None
    barriers: np.ndarray | None
    paths: Any  # GeoDataFrame of least-cost paths
    pinch_points: Any  # GeoDataFrame
    comparison: Any  # DataFrame: one row per drawn corridor
    lcd: Any  # DataFrame: least-cost distance between every pair of sources
    effective_resistance: Any  # DataFrame or None
    landcover: str | None = None
    notes: dict = field(default_factory=dict)
    source_labels: np.ndarray | None = field(default=None, repr=False)  # source index per cell, -1 elsewhere
    pinchpoints: np.ndarray | None = None  # Pinchpoint Mapper's mosaic (max of per-link currents), if asked

    @property
    def missing_links(self):
        """Modelled links that no drawn corridor joins."""
        return self.paths[~self.paths["planned"]]


def _surface(network, ext, table: ResistanceTable, *, resolution: float, extent: str, landcover, reclass,
             allow_partial: bool = False, factors: dict | None = None):
    """Build the resistance surface: from the layers, or from land cover with the layers' barriers.

    With ``factors`` holding a ``dem`` or ``roads``, :func:`~ecomap.corridors.factors.factor_surface`
    weights that base with slope and road distance (its summary in ``factors["summary"]``).
    Returns the surface, the grid and what the land cover leaves without data (``{}`` if nothing).
    """
    grid = make_grid(ext, resolution)
    if factors and (factors.get("dem") is not None or factors.get("roads") is not None):
        from .factors import factor_surface

        return factor_surface(network, ext, grid, table, extent=extent, landcover=landcover, reclass=reclass,
                              factors=factors, allow_partial=allow_partial, coverage=_coverage)
    if landcover is not None:
        r = resistance_from_landcover(landcover, reclass, grid)
        inside = grid.mask([ext])
        missing = _coverage(network, grid, inside & np.isnan(r), inside, landcover, allow_partial)
        _burn_barriers(r, network, grid, table)
        r[~inside | (inside & missing.pop("_cells"))] = np.nan
        return r, grid, missing
    r, grid = resistance_surface(network, table=table, grid=grid, extent=extent)
    return r, grid, {}


def _coverage(network, grid: Grid, hole: np.ndarray, inside: np.ndarray, landcover, allow_partial: bool) -> dict:
    """Refuse land cover that leaves part of the study area or a source patch without data.

    With ``allow_partial`` the gaps are reported instead: the share of the area and the patches
    with cells without data (``patches_without_data``: all of them; ``patches_partly_without_data``).
    """
    patches = network["patches"]
    labels = _source_labels(patches, grid, np.ones(grid.shape)) if len(patches) else np.full(grid.shape, -1)
    ids = [str(i) for i in patches.index]
    cells = np.bincount(labels[labels >= 0], minlength=len(ids))
    gaps = np.bincount(labels[(labels >= 0) & hole], minlength=len(ids))
    none = [ids[i] for i in np.flatnonzero((cells > 0) & (gaps == cells))]
    part = [ids[i] for i in np.flatnonzero((gaps > 0) & (gaps < cells))]
    n_hole, n_in = int(hole.sum()), int(inside.sum())
    if n_hole and not allow_partial:
        named = ", ".join((none + part)[:10]) + (" ..." if len(none) + len(part) > 10 else "")
        raise InputError(
            f"{landcover}: the land cover leaves {100 * n_hole / max(n_in, 1):.1f} % of the study area "
            f"({n_hole:,} of {n_in:,} cells) without data"
            + (f", and {len(none) + len(part)} source patches ({named}) with cells without data" if none or part
               else "")
            + "; give --allow-partial (allow_partial=True) to model where there is data")
    return {"_cells": hole, "area_share_without_data": n_hole / max(n_in, 1),
            "patches_without_data": none, "patches_partly_without_data": part} if n_hole else {"_cells": hole}


def _circuit_step(r, lab, n: int, links, cwd, table: ResistanceTable, *, cellsize: float, neighbours: int,
                  solver: str, max_memory: int | None, progress: bool, regions: str = "pair",
                  mode: str = "pairwise", barrier: tuple[str, str] = ("annulus", "max"), rasters=None,
                  dask: dict | None = None):
    """Effective resistance between the sources, cumulative current, Barrier Mapper; mode's resistances.

    The sources are focal regions, each short-circuited in the solves of its own pairs
    (``regions='pair'``, Circuitscape) or in every solve (``'all'``); 1 A per link. In
    ``one-to-all`` / ``all-to-one`` mode the current map is that mode's (every source shorted,
    as Circuitscape), and the mode's per-source resistances are returned too (else None).
    ``dask`` (``{"client": ...}``, or empty) runs the pairwise solves on Dask (the same bits).
    """
    masks = [lab == i for i in range(n)]
    kw = {"neighbours": neighbours, "average": "conductance", "solver": solver, "tol": 1e-8,
          "max_memory": max_memory, "progress": progress}
    reff, current = _pairwise(r, masks, pairs=links if mode == "pairwise" else None, resistances=True,
                              regions=regions, **kw, **(dask or {}))
    per_source = None
    if mode == "advanced":
        from .advanced import advanced

        _, current = advanced(r, *rasters, **{k: v for k, v in kw.items() if k != "progress"})
    elif mode != "pairwise":
        from .modes import all_to_one, one_to_all

        per_source, current = (one_to_all if mode == "one-to-all" else all_to_one)(r, masks, **kw)
    rad = [x for x in table.restoration["radii_m"] if x >= cellsize] or [cellsize]
    barriers = _link_improvements(cwd, links, radii=rad, cellsize=cellsize, restored=table.restoration["resistance"],
                                  shape=barrier[0], combine=barrier[1])
    barriers[~np.isfinite(r)] = np.nan
    return reff, current, barriers, per_source


def _check_options(landcover, reclass, width: float, resolution: float = 30.0, max_cost: float | None = None,
                   cutoff: float | None = None) -> None:
    if (landcover is None) != (reclass is None):
        raise InputError("a land-cover raster needs its reclass table (--landcover with --reclass)")
    for name, value in (("corridor width (--width)", width), ("resolution (--resolution)", resolution),
                        ("max_cost (--max-cost)", max_cost), ("pinchpoint_cutoff (--pinchpoint-cutoff)", cutoff)):
        if value is not None and not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise InputError(f"{name} {value!r} must be a finite number > 0")


def _check_link_rules(max_euclid, nearest, nearest_by: str) -> None:
    if max_euclid is not None and not (math.isfinite(max_euclid) and max_euclid > 0):
        raise InputError(f"max_euclid (--max-euclid) {max_euclid!r} must be a finite number > 0")
    if nearest is not None and not (isinstance(nearest, int) and nearest >= 1):
        raise InputError(f"nearest (--nearest) {nearest!r} must be a whole number >= 1")
    if nearest_by not in ("cwd", "euclid"):
        raise InputError(f"nearest_by must be 'cwd' or 'euclid', not {nearest_by!r}")


def _edge_distances(sources) -> np.ndarray:
    """Edge-to-edge distance between the source patches (metres, 0 where they touch)."""
    import shapely

    g = np.asarray(sources.geometry.values)
    return shapely.distance(g[:, None], g[None, :]) if len(g) else np.zeros((0, 0))


def model_corridors(
    network,
    *,
    resolution: float = 30.0,
    extent: str = "district",
    table: ResistanceTable | str | os.PathLike | None = None,
    landcover: str | os.PathLike | None = None,
    reclass: str | os.PathLike | None = None,
    width: float = 20000.0,
    max_cost: float | None = None,
    neighbours: int = 8,
    circuit: bool = True,
    pinch_quantile: float = 0.9,
    solver: str = "auto",
    max_memory: int | None = None,
    progress: bool = False,
    regions: str = "pair",
    mode: str = "pairwise",
    barrier_shape: str = "annulus",
    barrier_combine: str = "max",
    allow_partial: bool = False,
    max_euclid: float | None = None,
    nearest: int | None = None,
    nearest_by: str = "cwd",
    sources_raster: str | os.PathLike | None = None,
    grounds_raster: str | os.PathLike | None = None,
    grounds_are_resistances: bool = False,
    dem: str | os.PathLike | None = None,
    roads: str | os.PathLike | None = None,
    centrality: bool = False,
    pinchpoint_cutoff: float | None = None,
    squared_resistance: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
) -> CorridorModel:
    r"""Least-cost corridors, circuit-theory current and pinch points for a network.

    Sources are the habitat patches inside the extent. Links are the drawn corridors' end
    patches (``from_id``/``to_id``) plus every other pair whose least-cost distance is at most
    ``max_cost`` (default: the costliest drawn link) and whose path crosses no third patch
    (Linkage Mapper's rule). For each link: the least-cost path, its cost-weighted distance
    (``cwd``, cost units), the edge-to-edge Euclidean distance of the patches and their ratio,
    and the normalized corridor :math:`\mathrm{CWD}_a + \mathrm{CWD}_b - \mathrm{LCD}_{ab}`;
    the corridor surface is the minimum over links, truncated at ``width`` cost units.
    Circuit theory (patches as focal regions, each short-circuited in its own pairs' solves as
    Circuitscape; 1 A per link) gives the
    cumulative current. Pinch points: with ``pinchpoint_cutoff``, per link the cells of its
    truncated corridor (off the patches) above the ``pinch_quantile`` of its Pinchpoint Mapper
    current, as polygons; otherwise the clusters of cells above the ``pinch_quantile`` of the
    whole-raster current inside the corridors and outside the patches, as points at their peaks
    (the ``method`` column says which). Barrier Mapper scores the cells
    by the improvement of restoring discs of the table's radii.

    Parameters
    ----------
    network : ecomap.network.Network
        The layers, in EPSG:4547.
    resolution : float, default 30.0
        Cell size in metres (10 for detail).
    extent : {'district', 'city'}
        The boundary, or the districts layer and the boundary.
    table : ResistanceTable or path, optional
        The resistance table; default: the shipped one.
    landcover, reclass : path, optional
        A land-cover GeoTIFF and its reclassification table, used instead of the layers for the
        base surface (barriers and bridge sites from the layers and ``table`` still apply).
    width : float, default 20000.0
        Corridor truncation width in cost units (not metres).
    max_cost : float, optional
        Cost threshold (cost units) for links the plan lacks.
    neighbours : {8, 4, 16}
        Neighbourhood of cost-distance and circuits; 16 (GRASS ``r.cost -k``, knight's moves)
        for cost-distance and least-cost paths, with 8 for the circuits (Circuitscape has no
        knight's moves).
    circuit : bool, default True
        Run circuit theory (current, effective resistance, pinch points, Barrier Mapper).
    pinch_quantile : float, default 0.9
        Quantile of the current inside the corridors above which cells are pinch points.
    solver : {'auto', 'direct', 'amg'}
        As :func:`~ecomap.corridors.effective_resistance`.
    max_memory : int, optional
        Bytes the model may take, checked from an estimate of its peak before it starts (the
        rasters, one cost-distance search at a time, the circuit's factor, the region rule's
        dense ring matrices, the source masks) and again once the links are chosen, when the
        windows of the surfaces they need are known (kept only where a link can use them, so
        memory grows with the links, not the sources); default 80 % of the available memory.
    progress : bool, default False
        Show progress bars on stderr.
    workers : int, optional
        Run the per-source cost-distance searches and the pairwise circuit solves as
        dask.distributed tasks on a ``LocalCluster`` of this many processes (the same surfaces,
        resistances and current, bit for bit). One cluster serves the whole run; its workers'
        memory limit is the larger of the two steps' estimates (each refused up front if it
        does not fit this many times), and each worker factors the circuit once.
    scheduler : str, optional
        The same on a running Dask cluster (``tcp://host:8786``).
    client : distributed.Client, optional
        The same through this client (left open); one of ``workers``, ``scheduler`` and
        ``client`` at most.
    regions : {'pair', 'all'}
        Circuitscape's rule (default: a source is short-circuited only in its own pairs' solves)
        or every source in every solve (a different model); see
        :func:`~ecomap.corridors.effective_resistance`.
    mode : {'pairwise', 'one-to-all', 'all-to-one', 'advanced'}
        Circuitscape's mode of the current map: 1 A per link (default), or each source in turn
        against all the others (:func:`~ecomap.corridors.one_to_all`,
        :func:`~ecomap.corridors.all_to_one`); the latter two put the per-source resistances in
        ``notes['mode_resistance']`` (None where Circuitscape writes -1). ``advanced``: the
        current of ``sources_raster`` flowing to ``grounds_raster``
        (:func:`~ecomap.corridors.advanced`); the link table keeps the pairwise resistances.
    sources_raster, grounds_raster : path, optional
        Advanced mode's rasters (any CRS): current sources in A and grounds as conductances
        (or resistances, ``grounds_are_resistances``), summed onto the grid's cells weighted by
        overlap, so totals keep whatever the cell sizes.
    grounds_are_resistances : bool, default False
        ``grounds_raster`` holds resistances to ground (0: a direct ground).
    barrier_shape : {'annulus', 'disc'}
        Barrier Mapper's minima over Linkage Mapper's ring (default) or the whole disc
        (:func:`~ecomap.corridors.barrier_improvement`).
    barrier_combine : {'max', 'sum'}
        The barriers raster: the largest score over the links (default) or their sum.
    max_euclid : float, optional
        Linkage Mapper's maximum Euclidean corridor distance: links the plan lacks whose patches
        are farther apart (edge to edge, metres) are not made.
    nearest, nearest_by : int and {'cwd', 'euclid'}, optional
        Linkage Mapper's nearest-neighbour rule: a link the plan lacks is made only between
        sources among each other's ``nearest`` nearest (either end), by least-cost or Euclidean
        distance.
    centrality : bool, default False
        Linkage Mapper's Centrality Mapper (:func:`~ecomap.corridors.current_flow_centrality`):
        ``cf_current`` per link in ``paths`` and ``cf_central`` per source in ``sources``, on the
        graph of the links with their ``cwd`` as resistance.
    pinchpoint_cutoff : float, optional
        Linkage Mapper's Pinchpoint Mapper (:func:`~ecomap.corridors.pinchpoint_mapper`) with this
        ``CWDCutoff`` (cost units): the mosaic of per-link currents in ``pinchpoints``, and
        ``pp_eff_resistance`` and ``cwd_to_eff_resistance`` per link in ``paths``, and the pinch
        points from its per-link currents (not with ``circuit=False``).
    squared_resistance : bool, default False
        Pinchpoint Mapper's "Square resistance values": its circuits run on the squared
        resistances (the truncated corridors and the other steps keep them as given); needs
        ``pinchpoint_cutoff``.
    allow_partial : bool, default False
        Model land cover that leaves part of the study area or a source patch without data
        (refused otherwise); the gaps, the patches without data and the drawn links that lose an
        end are listed in ``notes['missing']``.
    dem, roads : path, optional
        Resistance from several factors (:func:`~ecomap.corridors.factors.apply_factors`): the
        base surface weighted with the slope of ``dem`` and the distance to ``roads`` (a line
        layer, or ``"network"``: the barriers of the table's road kinds) by the table's
        ``[factors]``; every factor and its weight in ``notes['factors']``.

    Returns
    -------
    CorridorModel
        Rasters on its grid, least-cost paths, pinch points, the comparison with the plan, the
        least-cost distance and effective resistance tables.

    Raises
    ------
    InputError
        If an option is out of range, a table or the land cover is not valid, a corridor has no
        usable ``width_m``, or the circuit would not fit in memory.

    Warns
    -----
    EcomapWarning
        If the city extent falls back to the boundary, or AMG-CG stops above its tolerance.

    References
    ----------
    McRae, B. H. & Kavanagh, D. M. (2011). *Linkage Mapper Connectivity Analysis Software*.
    The Nature Conservancy. McRae, B. H. et al. (2008). *Ecology* 89:2712-2724 (circuit
    theory). McRae, B. H. et al. (2012). *PLoS ONE* 7:e52604 (Barrier Mapper).
    """
    _check_options(landcover, reclass, width, resolution, max_cost, pinchpoint_cutoff)
    if squared_resistance and pinchpoint_cutoff is None:
        raise InputError("squared_resistance (--square-resistance) is Pinchpoint Mapper's: give pinchpoint_cutoff "
                         "(--pinchpoint-cutoff) too")
    _check_link_rules(max_euclid, nearest, nearest_by)
    check_regions(regions)
    check_dask_options(workers, scheduler, client)
    if mode not in ("pairwise", "one-to-all", "all-to-one", "advanced"):
        raise InputError(f"mode must be 'pairwise', 'one-to-all', 'all-to-one' or 'advanced', not {mode!r}")
    if (mode == "advanced") != (sources_raster is not None and grounds_raster is not None):
        raise InputError("mode 'advanced' takes a sources raster and a grounds raster, and only it does")
    table = table if isinstance(table, ResistanceTable) else load_resistance_table(table)
    ext = _extent_geometry(network, extent)
    factors = {"dem": dem, "roads": roads}
    r, grid, missing = _surface(network, ext, table, resolution=resolution, extent=extent, landcover=landcover,
                                reclass=reclass, allow_partial=allow_partial, factors=factors)
    cs = grid.cellsize
    sources, lab = _sources(network["patches"], ext, grid, r)
    ids = [str(i) for i in sources.index]
    n = len(ids)
    log.info("%d source patches on a %d x %d grid of %g m", n, grid.height, grid.width, cs)
    rings = ring_cells(lab)
    parts = model_memory(int(r.size), n, rings, circuit=circuit, regions=regions, neighbours=neighbours,
                         radii=len(table.restoration["radii_m"]), valid=int(np.isfinite(r).sum()))
    check_model_memory(parts, max_memory, resolution=resolution)  # before the searches: no window yet
    with _model_executor(workers, scheduler, client, r=r, n=n, rings=rings, neighbours=neighbours, regions=regions,
                         solver=solver, circuit=circuit, max_memory=max_memory) as dask:
        lcd, to_nearest, lcd_raw, extents = _source_cost_distances(r, lab, n, cellsize=cs, neighbours=neighbours,
                                                                   progress=progress, **dask)

        pos = {pid: i for i, pid in enumerate(ids)}
        drawn = _drawn_links(network["corridors"], pos)
        _note_links_without_data(missing, network["corridors"])
        euclid = _edge_distances(sources)
        pairs, threshold = _candidate_links(lcd, drawn, max_cost, euclid=euclid, max_euclid=max_euclid, nearest=nearest,
                                            nearest_by=nearest_by, floor=_lcd_floor(euclid, r, cs))
        cap = reach(lcd_raw, pairs, width)
        parts["kept cost-distance windows"] = window_bytes(extents, cap)  # now known: check again
        budget = check_model_memory(parts, max_memory, resolution=resolution)
        cwd = kept_surfaces(r, lab, cap, cellsize=cs, neighbours=neighbours, progress=progress)
        traced = _trace_links(pairs, r=r, lab=lab, cwd=cwd, lcd=lcd, drawn=drawn, sources=sources, ids=ids,
                              grid=grid, neighbours=neighbours, progress=progress)
        paths = _paths_frame(traced.rows, sources)
        corridor = np.where((traced.mosaic <= width) & (lab < 0), traced.mosaic, np.nan)  # sources are not corridor

        reff = current = barriers = per_source = pinchpoints = None
        ring = 8 if neighbours == 16 else neighbours  # the circuits' neighbourhood
        if circuit and n > 1 and traced.links:
            reff, current, barriers, per_source = _circuit_step(
                r, lab, n, traced.links, cwd, table, cellsize=cs, neighbours=ring, solver=solver,
                max_memory=max_memory, progress=progress, regions=regions, mode=mode,
                barrier=(barrier_shape, barrier_combine),
                rasters=_advanced_rasters(sources_raster, grounds_raster, grounds_are_resistances, grid),
                dask=dask)
            paths["eff_resistance"] = [reff[a, b] for a, b in traced.links]
        elif len(paths):
            paths["eff_resistance"] = np.nan
        if traced.links:  # Centrality Mapper on the link graph; Pinchpoint Mapper with the circuits
            pinchpoints = _link_tools(paths, sources, traced.links, ids, r=r, lab=lab, cwd=cwd, lcd=lcd, cellsize=cs,
                                      neighbours=ring, centrality=centrality, solver=solver, max_memory=max_memory,
                                      cutoff=pinchpoint_cutoff if circuit else None, progress=progress,
                                      squared=squared_resistance, quantile=pinch_quantile)
        pinch = (_pinch_polygons(pinchpoints, traced.links, ids, grid) if pinchpoints is not None else
                 _pinch_points(current, corridor, lab, traced.which, traced.links, ids, grid, pinch_quantile))
        comparison = _compare_plan(network, corridor, r, grid, lcd, pos, lab, ext)
        return CorridorModel(
            grid=grid, resistance=r, table=table, sources=sources, cost_distance=to_nearest,
            corridors=corridor, width=float(width), current=current, barriers=barriers, paths=paths,
            pinch_points=pinch, comparison=comparison, lcd=_by_id(lcd, ids),
            effective_resistance=None if reff is None else _by_id(reff, ids),
            landcover=None if landcover is None else str(landcover),
            notes={"max_cost": threshold, "extent": extent, "neighbours": neighbours, "regions": regions,
                   "missing": missing or None, "factors": factors.get("summary"), "memory_estimate_bytes": budget, "mode": mode, "barriers": f"{barrier_shape}, {barrier_combine}", "pinchpoint_cutoff": pinchpoint_cutoff, "pinchpoint_squared_resistance": bool(squared_resistance), "pinch_quantile": pinch_quantile,
                   "pinch_points_method": pinch["method"].iloc[0] if len(pinch) else None, "mode_resistance": None if per_source is None else
                   {i: (float(x) if x >= 0 else None) for i, x in zip(ids, per_source, strict=True)}},
            source_labels=lab, pinchpoints=None if pinchpoints is None else pinchpoints.current,
        )



def _note_links_without_data(missing: dict | None, corridors) -> None:
    """Add to ``missing`` the drawn corridors that end at a patch without land-cover data."""
    if missing:
        gone = set(missing["patches_without_data"])
        missing["links_without_data"] = [str(c) for c, row in corridors.iterrows()
                                         if str(row["from_id"]) in gone or str(row["to_id"]) in gone]

@contextlib.contextmanager
def _model_executor(workers, scheduler, client, *, r: np.ndarray, n: int, rings: int, neighbours: int,
                    regions: str, solver: str, circuit: bool, max_memory: int | None):
    """One Dask cluster (or client) for the whole run, as ``{"client": ...}``; ``{}`` for the serial run.

    A ``LocalCluster``'s workers get the larger of the cost-distance and the circuit estimates
    per worker (each refused first if ``workers`` of it do not fit ``max_memory``); the steps
    check their own estimates again against that limit, as on any running cluster.
    """
    check_dask_options(workers, scheduler, client)
    if workers is None and scheduler is None:
        yield {} if client is None else {"client": client}
        return
    need = None
    if workers is not None:
        w = int(workers)
        lower = "fewer --workers, a coarser --resolution or fewer sources"
        parts = [cost_worker_parts(int(r.size), n, w)]
        if circuit:
            ring = 8 if neighbours == 16 else neighbours
            parts.append(circuit_worker_parts(int(r.size), int(np.isfinite(r).sum()), n, rings, neighbours=ring,
                                              regions=regions, solver=solver, workers=w))
        need = max(check_worker_memory(p, workers=w, what="the corridor model on Dask", options=lower,
                                       max_memory=max_memory) for p in parts)
    with executor(workers=workers, scheduler=scheduler, memory_limit=need) as ex:
        yield {"client": ex.client}


def _advanced_rasters(sources, grounds, are_resistances: bool, grid: Grid):
    """Advanced mode's sources (A) and ground conductances on the grid, or None outside that mode."""
    if sources is None:
        return None
    from .resistance import _read_onto_grid

    return (_read_onto_grid(sources, grid, amounts=True),
            _read_onto_grid(grounds, grid, amounts=True, invert=are_resistances))


def _by_id(matrix: np.ndarray, ids: list[str]):
    """Label a square matrix between the sources with their ids (rows and columns)."""
    import pandas as pd

    return pd.DataFrame(matrix, index=pd.Index(ids, name="id"), columns=ids)
