"""The model's sources and links, each with its least-cost path and normalized corridor.

The source patches on the grid, their cost-distances, which pairs to link (Linkage Mapper's
rules), and the least-cost path and normalized corridor of each link.

Steps of :func:`ecomap.corridors.model_corridors`; private to the package.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np

from .cost import _trace, cost_distances
from .grid import Grid

log = logging.getLogger(__name__)

_PATH_COLUMNS = ("id", "from_id", "to_id", "cwd", "planned", "corridor_ids", "via")


def _source_labels(sources, grid: Grid, resistance: np.ndarray) -> np.ndarray:
    """Label raster: index of the source patch per cell, -1 elsewhere (small patches all-touched)."""
    lab = grid.burn(zip(sources.geometry.values, np.arange(len(sources)), strict=True), fill=-1)
    lab = lab.astype(np.int64)
    have = np.bincount(lab[lab >= 0], minlength=len(sources))
    for i in np.flatnonzero(have == 0):
        m = grid.mask([sources.geometry.values[i]], all_touched=True) & (lab < 0)
        lab[m] = i
    lab[~np.isfinite(resistance)] = -1
    return lab


def _sources(patches, ext, grid: Grid, r: np.ndarray):
    """Find the patches inside the extent that hold a passable cell, with ``cells`` and ``area_m2``.

    Returns the sources (GeoDataFrame, index id) and their label raster (source index per cell,
    -1 elsewhere).
    """
    inside = patches[patches.intersects(ext)] if len(patches) else patches
    lab = _source_labels(inside, grid, r) if len(inside) else np.full(grid.shape, -1)
    ncell = np.bincount(lab[lab >= 0], minlength=len(inside))
    sources = inside[ncell > 0].copy()
    keep = np.flatnonzero(ncell > 0)
    remap = np.full(len(inside) + 1, -1)
    remap[keep] = np.arange(len(keep))
    lab = np.where(lab >= 0, remap[lab], -1)
    sources["cells"] = ncell[keep]
    sources["area_m2"] = sources.geometry.area
    return sources, lab


def _source_cost_distances(r: np.ndarray, lab: np.ndarray, n: int, *, cellsize: float, neighbours: int,
                           progress: bool, workers: int | None = None, scheduler: str | None = None, client=None):
    """Least-cost distances between the sources and the nearest-source surface; no surface is kept.

    Returns ``lcd`` (``(n, n)``, symmetric, 0 on the diagonal, ``inf`` where unconnected), the
    nearest-source surface (the minimum over the sources), ``raw`` (row a: the least
    cost-distance from a to each source's cells, before the symmetric minimum) and each source's
    least cost-distance per row and per column of the grid (``(n, rows)``, ``(n, cols)``: the
    bounding box of a capped search, known before it runs). The surfaces
    the links need are searched again once the links are chosen (:mod:`._surfaces`), so memory
    does not grow with the sources. With ``workers``, ``scheduler`` or ``client`` the searches
    are dask.distributed tasks (:func:`.cost_distances`).
    """
    from tqdm import tqdm

    raw = np.full((n, n), np.inf)
    nearest = np.full(r.shape, np.inf)
    rowmin, colmin = np.empty((n, r.shape[0])), np.empty((n, r.shape[1]))
    # the source cells grouped by source, so each source's minimum is one reduceat (every source
    # has at least one cell), not a pass over the whole raster
    in_source, bounds = _cells_of_sources(lab, n)
    first = bounds[:n]
    each = cost_distances(r, (lab == a for a in range(n)), cellsize=cellsize, neighbours=neighbours,
                          workers=workers, scheduler=scheduler, client=client)
    for a, d in enumerate(tqdm(each, total=n, desc="cost-distance", unit="source", disable=not progress,
                               leave=False)):
        np.minimum(nearest, d, out=nearest)
        d.min(axis=1, out=rowmin[a])
        d.min(axis=0, out=colmin[a])
        if n:
            raw[a] = np.minimum.reduceat(d.ravel()[in_source], first)
        del d
    lcd = np.minimum(raw, raw.T)
    np.fill_diagonal(lcd, 0.0)
    return lcd, nearest, raw, (rowmin, colmin)


def _drawn_links(corridors, pos: dict[str, int]) -> dict[tuple[int, int], list[str]]:
    """List the source pairs the drawn corridors join (``from_id``/``to_id``), with their corridors."""
    drawn: dict[tuple[int, int], list[str]] = {}
    for cid, row in corridors.iterrows():
        a, b = pos.get(str(row["from_id"])), pos.get(str(row["to_id"]))
        if a is not None and b is not None and a != b:
            drawn.setdefault((min(a, b), max(a, b)), []).append(str(cid))
    return drawn


def _lcd_floor(euclid: np.ndarray, r: np.ndarray, cellsize: float) -> np.ndarray:
    """A lower bound of every least-cost distance from geometry alone: gap x the least resistance.

    A step costs its length times the mean of the resistances it touches, so a path costs at
    least ``r_min`` times its length, and its length is at least the straight distance between
    its end cells' centres. A source cell's centre lies within half a diagonal of its patch
    (cells are burned by centre, or all-touched for small patches), so the centres are at least
    ``euclid - sqrt(2) * cellsize`` apart. Shaved by 1e-9 against rounding.
    """
    finite = r[np.isfinite(r)]
    r_min = max(float(finite.min()), 0.0) if finite.size else 0.0
    return r_min * np.maximum(euclid - math.sqrt(2.0) * cellsize, 0.0) * (1.0 - 1e-9)


def _candidate_links(lcd: np.ndarray, drawn, max_cost: float | None, *, euclid: np.ndarray | None = None,
                     max_euclid: float | None = None, nearest: int | None = None, nearest_by: str = "cwd",
                     floor: np.ndarray | None = None, stats: dict | None = None):
    """Choose the pairs to trace: the drawn links, and the others Linkage Mapper's rules keep.

    A pair the plan lacks is kept when its least-cost distance is at most the threshold
    (``max_cost``, by default the costliest drawn link), its edge-to-edge distance at most
    ``max_euclid`` metres (if given), and, with ``nearest``, when it is among the ``nearest``
    nearest neighbours of either end (by ``nearest_by``: ``'cwd'`` or ``'euclid'``), as Linkage
    Mapper's network pruning. Without drawn links (and no ``max_cost``) each source is linked to
    its nearest by cost. Returns the pairs to trace (sorted) and the threshold used.

    Cheap rejections first: with ``floor`` (:func:`_lcd_floor`, a lower bound of ``lcd`` from
    geometry) a pair whose bound exceeds the threshold is dropped before its least-cost distance
    is read, and with ``euclid`` a pair of touching patches the plan lacks is never traced
    (:func:`_trace_links` would drop it). ``stats`` (a dict) receives the counts: ``pairs``
    considered, ``after_floor``, ``after_rules`` and ``traced``.
    """
    n = len(lcd)
    drawn_costs = [lcd[p] for p in drawn if np.isfinite(lcd[p])]
    threshold = max_cost if max_cost is not None else (max(drawn_costs) if drawn_costs else None)
    pairs: list[tuple[int, int]] = list(drawn)
    if threshold is None and n > 1:  # no drawn links: each source to its nearest by cost
        off = lcd + np.diag(np.full(n, np.inf))
        pairs = sorted({(min(a, int(np.argmin(off[a]))), max(a, int(np.argmin(off[a])))) for a in range(n)
                        if np.isfinite(off[a]).any()})
        threshold = math.inf
    limit = math.inf if threshold is None else threshold
    a, b = np.triu_indices(n, 1)
    after_floor = len(a)
    if floor is not None:  # geometry alone: no raster, no lcd read
        keep = floor[a, b] <= limit
        a, b = a[keep], b[keep]
        after_floor = len(a)
    if max_euclid is not None:
        keep = euclid[a, b] <= max_euclid
        a, b = a[keep], b[keep]
    cost = lcd[a, b]  # each source's cost surface read at the other's cells, once (_source_cost_distances)
    keep = np.isfinite(cost) & (cost <= limit)
    a, b = a[keep], b[keep]
    if nearest is not None:
        keep = _nearest_mask(lcd if nearest_by == "cwd" else euclid, nearest)[a, b]
        a, b = a[keep], b[keep]
    candidates = {(int(x), int(y)) for x, y in zip(a, b, strict=True)} - set(drawn)
    chosen = set(pairs) | candidates
    if euclid is not None:  # touching patches are one habitat: not a link unless drawn
        chosen = {p for p in chosen if p in drawn or euclid[p] > 0}
    if stats is not None:
        stats.update(pairs=n * (n - 1) // 2, after_floor=after_floor, after_rules=len(candidates),
                     traced=len(chosen))
    return sorted(chosen), threshold


def _nearest_mask(dist: np.ndarray, k: int) -> np.ndarray:
    """Pairs among the ``k`` nearest neighbours of either end (ties at the k-th distance kept)."""
    d = np.where(np.eye(len(dist), dtype=bool), np.inf, dist)
    kth = np.sort(d, axis=1)[:, min(k, len(d)) - 1] if len(d) > 1 else np.full(len(d), -np.inf)
    mine = d <= kth[:, None]
    return (mine | mine.T) & np.isfinite(d)


@dataclass
class _Traced:
    """The traced links: their rows, the corridor mosaic and which link holds each cell."""

    rows: list[dict] = field(default_factory=list)
    links: list[tuple[int, int]] = field(default_factory=list)
    mosaic: np.ndarray | None = None  # min over links of CWD_a + CWD_b - LCD_ab
    which: np.ndarray | None = None  # the link of the mosaic's minimum per cell, -1 elsewhere


def _path_line(grid: Grid, cells: np.ndarray):
    import shapely

    xs, ys = grid.xy(cells[:, 0], cells[:, 1])
    return shapely.linestrings(xs, ys) if len(cells) > 1 else shapely.points(xs[0], ys[0]).buffer(0.01).boundary


def _cells_of_sources(lab: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each source's cells as flat indices, ascending, grouped by source: ``cells[first[i]:first[i + 1]]``."""
    flat = np.flatnonzero(lab.ravel() >= 0)
    cells = flat[np.argsort(lab.ravel()[flat], kind="stable")]
    first = np.searchsorted(lab.ravel()[cells], np.arange(n + 1))
    return cells, first


def _end_cell(cwd_a: np.ndarray, cells: np.ndarray, shape) -> tuple[int, int]:
    """The cell of ``cells`` (flat, ascending) where ``cwd_a`` is least, the first of ties (as argmin)."""
    return np.unravel_index(int(cells[int(np.argmin(cwd_a.ravel()[cells]))]), shape)


def _add_to_mosaic(out: _Traced, nl: np.ndarray, link: int) -> None:
    """Keep, per cell, the least normalized corridor so far and which link it is (full-raster work)."""
    better = nl < out.mosaic
    out.mosaic[better] = nl[better]
    out.which[better] = link


def _trace_links(pairs, *, r, lab, cwd, lcd, drawn, sources, ids, grid: Grid, neighbours: int,
                 progress: bool) -> _Traced:
    """Trace the least-cost path of each pair, kept unless Linkage Mapper's rules drop it.

    A link the plan lacks is dropped when its two patches touch (one habitat, not a link), or
    when its path runs through a third source. Each kept link adds its normalized corridor
    ``CWD_a + CWD_b - LCD_ab`` to the mosaic (the minimum over links). A pair is rejected
    before any full-raster work: the touching test is geometry, the path's end is found among
    the target's cells only and the trace walks the path; only a kept link reads whole rasters.
    """
    import shapely
    from tqdm import tqdm

    out = _Traced(mosaic=np.full(grid.shape, np.inf), which=np.full(grid.shape, -1, dtype=np.int64))
    cells_of, first = _cells_of_sources(lab, len(ids))
    shapes = np.asarray(sources.geometry.values)  # once: a frame lookup per pair cost ~1 ms
    for a, b in tqdm(pairs, desc="least-cost paths", unit="link", disable=not progress, leave=False):
        if not np.isfinite(lcd[a, b]):
            continue
        planned = (a, b) in drawn
        if not planned and shapely.distance(shapes[a], shapes[b]) == 0:
            continue  # patches that touch are one habitat, not a link
        end = _end_cell(cwd[a], cells_of[first[b]:first[b + 1]], grid.shape)
        cells = np.array(_trace(cwd[a], r, end, cellsize=grid.cellsize, neighbours=neighbours))
        crossed = sorted({int(x) for x in lab[cells[:, 0], cells[:, 1]]} - {-1, a, b})
        if crossed and not planned:
            continue  # Linkage Mapper drops links that run through a third core
        link = len(out.links)
        out.links.append((a, b))
        _add_to_mosaic(out, cwd[a] + cwd[b] - lcd[a, b], link)
        out.rows.append({
            "id": f"{ids[a]}--{ids[b]}", "from_id": ids[a], "to_id": ids[b], "cwd": float(lcd[a, b]),
            "planned": planned, "corridor_ids": ",".join(drawn.get((a, b), [])) or None,
            "via": ",".join(ids[x] for x in crossed) or None, "geometry": _path_line(grid, cells),
        })
    return out


def _paths_frame(rows: list[dict], sources):
    """Make the paths a GeoDataFrame (index id) with ``euclid_m``, ``lcp_len_m`` and ``ratio``.

    ``euclid_m`` is the edge-to-edge distance of the two patches and ``ratio`` = cwd / euclid_m
    (Linkage Mapper's cost-weighted to Euclidean ratio), NaN for patches that touch.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    from ..crs import INTERNAL

    paths = gpd.GeoDataFrame(rows, geometry="geometry", crs=INTERNAL) if rows else gpd.GeoDataFrame(
        {c: [] for c in _PATH_COLUMNS}, geometry=gpd.GeoSeries([], crs=INTERNAL), crs=INTERNAL)
    paths = paths.set_index("id")
    if len(paths):
        ga = sources.geometry.loc[paths["from_id"]].values
        gb = sources.geometry.loc[paths["to_id"]].values
        paths["euclid_m"] = shapely.distance(ga, gb)
        paths["lcp_len_m"] = paths.geometry.length
        with np.errstate(divide="ignore", invalid="ignore"):
            paths["ratio"] = np.where(paths["euclid_m"] > 0, paths["cwd"] / paths["euclid_m"], np.nan)
    else:
        for c in ("euclid_m", "lcp_len_m", "ratio"):
            paths[c] = pd.Series(dtype=float)
    return paths
