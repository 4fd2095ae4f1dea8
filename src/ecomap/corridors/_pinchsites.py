"""The model's pinch points: from Pinchpoint Mapper's per-link currents, or from the whole-raster current.

A step of :func:`ecomap.corridors.model_corridors`, kept apart from it; private to the package.
Each frame has a ``method`` column naming the rule that made it (:data:`PINCHPOINT_MAPPER` or
:data:`WHOLE_RASTER`).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .grid import Grid

#: Polygons: per link, the cells of its truncated corridor above a quantile of its own current.
PINCHPOINT_MAPPER = "pinchpoint_mapper"
#: Points: clusters above a quantile of the whole-raster current inside the corridors, at their peaks.
WHOLE_RASTER = "whole_raster_current"

_COLUMNS = ("link", "current", "cells", "area_m2", "threshold", "method")


def _frame(rows: dict, geometry):
    """The pinch points as a GeoDataFrame (EPSG:4547), highest current first, ids P001, P002, ..."""
    import geopandas as gpd
    import pandas as pd

    from ..crs import INTERNAL

    gdf = gpd.GeoDataFrame({c: rows.get(c, []) for c in _COLUMNS}, geometry=gpd.GeoSeries(geometry, crs=INTERNAL),
                           crs=INTERNAL)
    gdf = gdf.sort_values("current", ascending=False, kind="stable")
    gdf.index = pd.Index([f"P{i + 1:03d}" for i in range(len(gdf))], name="id")
    return gdf


def _pinch_points(current, corridor, lab, which, links, ids, grid: Grid, quantile: float):
    """Clusters of high whole-raster current inside the corridors, as points at each cluster's peak."""
    import geopandas as gpd

    if current is None:
        return _frame({}, [])
    inside = np.isfinite(corridor) & (lab < 0) & np.isfinite(current)
    if not inside.any():
        return _frame({}, [])
    thr = float(np.quantile(current[inside], quantile))
    hot = inside & (current >= thr)
    labels, k = ndimage.label(hot, structure=np.ones((3, 3)))
    if not k:
        return _frame({}, [])
    idx = np.arange(1, k + 1)
    peak = ndimage.maximum_position(np.where(hot, current, -np.inf), labels, idx)
    size = ndimage.sum(hot, labels, idx)
    pr = np.array([p[0] for p in peak])
    pc = np.array([p[1] for p in peak])
    xs, ys = grid.xy(pr, pc)
    link_of = which[pr, pc]
    rows = {"link": [f"{ids[links[i][0]]}--{ids[links[i][1]]}" if i >= 0 else None for i in link_of],
            "current": current[pr, pc], "cells": size.astype(int), "area_m2": size * grid.cellsize ** 2,
            "threshold": thr, "method": WHOLE_RASTER}
    return _frame(rows, gpd.points_from_xy(xs, ys))


def cell_clusters(flat: np.ndarray, values: np.ndarray, grid: Grid) -> list[tuple]:
    """Polygonise cells: one (Multi)Polygon per cluster of cells joined by a side or a corner.

    Parameters
    ----------
    flat : numpy.ndarray of int
        Flat indices of the cells into ``grid.shape``.
    values : numpy.ndarray of float
        A value per cell (the current).
    grid : Grid
        The cells' grid.

    Returns
    -------
    list of (shapely.Geometry, float, int)
        Per cluster: the union of its cell squares (a MultiPolygon where cells meet only at a
        corner), its largest value and its cell count.
    """
    import shapely
    from affine import Affine
    from rasterio.features import shapes

    if not len(flat):
        return []
    rows, cols = np.unravel_index(np.asarray(flat), grid.shape)
    r0, c0 = rows.min(), cols.min()
    h, w = rows.max() - r0 + 1, cols.max() - c0 + 1
    mask = np.zeros((h, w), dtype=bool)
    val = np.full((h, w), -np.inf)
    mask[rows - r0, cols - c0] = True
    val[rows - r0, cols - c0] = values
    labels, k = ndimage.label(mask, structure=np.ones((3, 3)))
    transform = grid.transform @ Affine.translation(float(c0), float(r0))
    parts: dict[int, list] = {}
    for geom, v in shapes(labels.astype(np.int32), mask=mask, connectivity=4, transform=transform):
        parts.setdefault(int(v), []).append(shapely.geometry.shape(geom))
    idx = np.arange(1, k + 1)
    peak = ndimage.maximum(val, labels, idx)
    size = ndimage.sum(mask, labels, idx)
    return [(shapely.union_all(parts[i]), float(peak[i - 1]), int(size[i - 1])) for i in idx]


def _pinch_polygons(pp, links, ids, grid: Grid):
    """Pinchpoint Mapper's pinch points: per link, its hot cells (``pp.hot``) as polygons."""
    rows: dict[str, list] = {c: [] for c in _COLUMNS}
    geometry = []
    for (a, b), (flat, cur, thr) in zip(links, pp.hot, strict=True):
        for geom, peak, n in cell_clusters(flat, cur, grid):
            geometry.append(geom)
            for c, v in zip(_COLUMNS, (f"{ids[a]}--{ids[b]}", peak, n, n * grid.cellsize ** 2, thr,
                                       PINCHPOINT_MAPPER), strict=True):
                rows[c].append(v)
    return _frame(rows, geometry)
