"""The spatial core: positions into a layer, found through its STRtree.

Every question is answered in EPSG:4547 metres through the layer's STRtree
(``GeoDataFrame.sindex``): the index proposes candidates, a vectorized shapely
predicate decides. The answers are the same as a brute-force shapely check over every
feature; ``tests/query/test_spatial.py`` holds them to that.

Each function returns sorted positions (``iloc`` rows) and, where there is one, a
measure per position; :mod:`ecomap.query.spatial` turns them into frames.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def _geoms(gdf: gpd.GeoDataFrame, pos: np.ndarray | None = None) -> np.ndarray:
    arr = gdf.geometry.values
    return np.asarray(arr if pos is None else arr[pos])


def _near_pos(gdf: gpd.GeoDataFrame, pt: shapely.Point, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Return positions with ``distance(feature, pt) <= radius`` (sorted), and those distances."""
    if len(gdf) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0)
    pad = radius * 1e-9 + 1e-6  # the index may round; the exact test below decides
    cand = np.sort(gdf.sindex.query(pt, predicate="dwithin", distance=radius + pad))
    d = shapely.distance(_geoms(gdf, cand), pt)
    keep = d <= radius
    return cand[keep], d[keep]


def _point_xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Return x and y of a layer made only of points; None for any other layer.

    They are kept beside the layer's spatial index (and dropped with it when the
    geometries change).
    """
    tree = gdf.sindex
    cached = getattr(tree, "_ecomap_xy", False)
    if cached is False:
        geoms = _geoms(gdf)
        cached = None
        if len(geoms) and (shapely.get_type_id(geoms) == 0).all():
            cached = (shapely.get_x(geoms), shapely.get_y(geoms))
        try:
            tree._ecomap_xy = cached
        except AttributeError:  # an index class that takes no attributes: compute each time
            pass
    return cached


def _cells_for(n: int) -> int:
    """Count the grid cells for :func:`_candidates` on a layer of ``n`` features.

    None below 20,000 features (the envelope alone is cheaper there, as measured in
    ``benchmarks/bench_query.py``), then more for bigger layers (testing a cell costs
    about what testing a few features does): ``n ** (2/3) / 8``, at most 1024.
    """
    return 0 if n < 20_000 else int(np.clip(n ** (2.0 / 3.0) / 8.0, 16, 1024))


def _candidates(gdf: gpd.GeoDataFrame, area: shapely.Geometry, *, cells: int | None = None) -> np.ndarray:
    """Return sorted positions of the features whose envelope meets ``area``'s, a superset of every hit.

    A long, thin shape (a diagonal corridor) has an envelope far larger than itself, so
    its envelope is cut into about ``cells`` square cells; only the cells that touch the
    shape ask the index. Cells are closed and padded by a micrometre, so a feature that
    touches the shape always lies in some cell that is asked.
    """
    cells = _cells_for(len(gdf)) if cells is None else cells
    x0, y0, x1, y1 = shapely.bounds(area)
    w, h = x1 - x0, y1 - y0
    eps = 1e-6 + 1e-12 * max(abs(x0), abs(y0), abs(x1), abs(y1))
    tree = gdf.sindex
    if cells < 1 or w * h <= 0 or shapely.area(area) >= 0.5 * w * h:
        return np.sort(tree.query(shapely.box(x0 - eps, y0 - eps, x1 + eps, y1 + eps)))
    size = float(np.sqrt(w * h / cells))
    nx, ny = max(1, int(np.ceil(w / size))), max(1, int(np.ceil(h / size)))
    gx, gy = np.meshgrid(x0 + size * np.arange(nx), y0 + size * np.arange(ny))
    gx, gy = gx.ravel(), gy.ravel()
    boxes = shapely.box(gx - eps, gy - eps, np.minimum(gx + size, x1) + eps, np.minimum(gy + size, y1) + eps)
    shapely.prepare(area)
    boxes = boxes[shapely.intersects(area, boxes)]
    if len(boxes) == 0:
        return np.empty(0, dtype=np.intp)
    return np.unique(tree.query(boxes)[1])


def _pos_intersecting(gdf: gpd.GeoDataFrame, geom: shapely.Geometry) -> np.ndarray:
    if len(gdf) == 0:
        return np.empty(0, dtype=np.intp)
    cand = _candidates(gdf, geom)
    shapely.prepare(geom)
    xy = _point_xy(gdf)
    if xy is not None:  # a point intersects where it lies: test coordinates, no objects
        return cand[shapely.intersects_xy(geom, xy[0][cand], xy[1][cand])]
    return cand[shapely.intersects(geom, _geoms(gdf, cand))]


def _within_pos(gdf: gpd.GeoDataFrame, area: shapely.Geometry):
    """Find the features inside ``area``, clipped, with their measures.

    Inside means: points it covers, lines/polygons with a part of positive length/area
    inside. Returns positions, clipped geometries and the measures.
    """
    if len(gdf) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=object), {}
    cand = _candidates(gdf, area)
    xy = _point_xy(gdf)
    if xy is not None:  # a point layer: covered = intersects for a point, tested on coordinates
        shapely.prepare(area)
        pos = cand[shapely.intersects_xy(area, xy[0][cand], xy[1][cand])]
        return pos, _geoms(gdf, pos), {}
    geoms = _geoms(gdf, cand)
    dims = shapely.get_dimensions(geoms)
    pts = dims == 0
    # for a point, "intersects" is "covers" (its closure is itself), and GEOS's prepared
    # intersects is the faster point-in-polygon test
    if pts.all():
        keep = shapely.intersects(area, geoms)
        return cand[keep], geoms[keep], {}
    keep = np.zeros(len(cand), dtype=bool)
    clipped = geoms.copy()
    keep[pts] = shapely.intersects(area, geoms[pts])
    other = ~pts
    if other.any():
        clipped[other] = shapely.intersection(geoms[other], area)
    length = np.full(len(cand), np.nan)
    clipped_length = np.full(len(cand), np.nan)
    area_m2 = np.full(len(cand), np.nan)
    clipped_area = np.full(len(cand), np.nan)
    lines = dims == 1
    if lines.any():
        length[lines] = shapely.length(geoms[lines])
        clipped_length[lines] = shapely.length(clipped[lines])
        keep[lines] = clipped_length[lines] > 0
    polys = dims == 2
    if polys.any():
        area_m2[polys] = shapely.area(geoms[polys])
        clipped_area[polys] = shapely.area(clipped[polys])
        keep[polys] = clipped_area[polys] > 0
    measures = {}
    if lines.any():
        measures["length_m"] = length[keep]
        measures["clipped_length_m"] = clipped_length[keep]
    if polys.any():
        measures["area_m2"] = area_m2[keep]
        measures["clipped_area_m2"] = clipped_area[keep]
    return cand[keep], clipped[keep], measures


def _nearest_pos(gdf: gpd.GeoDataFrame, pt: shapely.Point, n: int, allowed: np.ndarray | None):
    """Find the ``n`` features closest to ``pt`` among ``allowed`` positions (all if None).

    Ties are broken by id. The search asks the index for everything within a radius
    that starts at the nearest feature's distance and doubles until ``n`` allowed
    features lie inside it; those are then the ``n`` nearest of all.
    """
    total = len(gdf) if allowed is None else len(allowed)
    k = min(int(n), total)
    if k <= 0:
        return np.empty(0, dtype=np.intp), np.empty(0)
    _, d0 = gdf.sindex.nearest(pt, return_all=False, return_distance=True)
    r = max(float(d0[0]), 1.0)
    while True:
        cand = gdf.sindex.query(pt, predicate="dwithin", distance=r * (1 + 1e-9) + 1e-6)
        if allowed is not None:
            cand = cand[np.isin(cand, allowed, assume_unique=True)]
        d = shapely.distance(_geoms(gdf, cand), pt)
        inside = d <= r
        if inside.sum() >= k or len(cand) >= total:
            break
        r *= 2.0
    if inside.sum() >= k:
        cand, d = cand[inside], d[inside]
    order = np.lexsort((np.asarray(gdf.index[cand].astype(str), dtype=object), d))[:k]
    return cand[order], d[order]

