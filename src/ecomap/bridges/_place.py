"""Placing candidate sites on host features: along lines, inside polygons, at crossings.

The placement rules of :func:`ecomap.bridges.synthesize`, each vectorized over the sites
it draws. Every function takes the seeded generator it draws from, so the caller fixes
the order of the draws (and with it the register a seed gives).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely


def _parts(frame: gpd.GeoDataFrame, layer: str, geoms, keep) -> tuple[np.ndarray, np.ndarray]:
    """Clip host lines or polygons to ``keep``, with labels ``layer:id``; empties dropped."""
    if len(frame) == 0:
        return np.array([], dtype=object), np.array([], dtype=object)
    clipped = shapely.intersection(np.asarray(geoms, dtype=object), keep)
    labels = np.array([f"{layer}:{i}" for i in frame.index], dtype=object)
    ok = ~shapely.is_empty(clipped)
    return clipped[ok], labels[ok]


def _along(rng: np.random.Generator, lines: np.ndarray, labels: np.ndarray, n: int,
           offset: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` points on ``lines`` (chosen in proportion to length) shifted sideways.

    The distance along the chosen line is uniform; the point is moved perpendicular to the
    line, to a random side, by a distance uniform in ``offset`` (metres).
    """
    lengths = shapely.length(lines)
    pick = rng.choice(len(lines), size=n, p=lengths / lengths.sum())
    s = rng.random(n) * lengths[pick]
    ln = lines[pick]
    p0 = shapely.line_interpolate_point(ln, s)
    ahead = np.where(s + 1.0 <= lengths[pick], s + 1.0, s - 1.0)
    p1 = shapely.line_interpolate_point(ln, ahead)
    c0, c1 = shapely.get_coordinates(p0), shapely.get_coordinates(p1)
    t = (c1 - c0) * np.where(ahead > s, 1.0, -1.0)[:, None]
    t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
    normal = np.c_[-t[:, 1], t[:, 0]]
    d = rng.uniform(*offset, size=n) * rng.choice((-1.0, 1.0), size=n)
    xy = c0 + normal * d[:, None]
    return xy[:, 0], xy[:, 1], labels[pick]


def _inside(rng: np.random.Generator, polys: np.ndarray, labels: np.ndarray,
            n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` points uniform over the union of ``polys``, labelled with the polygon that holds them."""
    areas = shapely.area(polys)
    pick = rng.choice(len(polys), size=n, p=areas / areas.sum())
    x = np.empty(n)
    y = np.empty(n)
    for k in np.unique(pick):  # one rejection sampler per polygon (a handful of parks)
        want = np.flatnonzero(pick == k)
        poly = polys[k]
        shapely.prepare(poly)
        x0, y0, x1, y1 = shapely.bounds(poly)
        got = 0
        while got < len(want):
            m = max(16, int((len(want) - got) * (x1 - x0) * (y1 - y0) / areas[k] * 1.3))
            cx, cy = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
            ok = shapely.contains_xy(poly, cx, cy)
            take = min(int(ok.sum()), len(want) - got)
            idx = want[got:got + take]
            x[idx], y[idx] = cx[ok][:take], cy[ok][:take]
            got += take
    return x, y, labels[pick]


def _crossings(river: np.ndarray, cutters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Find where streams cross roads, railways or trails: (river line index, distance along it)."""
    if len(river) == 0 or len(cutters) == 0:
        return np.array([], dtype=int), np.array([])
    tree = shapely.STRtree(cutters)
    ri, ci = tree.query(river, predicate="intersects")
    pts = shapely.intersection(river[ri], cutters[ci])
    parts, owner = shapely.get_parts(pts, return_index=True)
    is_pt = shapely.get_type_id(parts) == 0
    line_idx = ri[owner[is_pt]]
    along = shapely.line_locate_point(river[line_idx], parts[is_pt])
    return line_idx, along


def _near_crossings(rng: np.random.Generator, river: np.ndarray, labels: np.ndarray,
                    cross_line: np.ndarray, cross_at: np.ndarray, n: int,
                    spread: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n`` points on the streams within ``spread`` metres (along the stream) of a crossing.

    A crossing is picked uniformly, then a distance along its stream uniform within
    ``spread`` of it, clipped to the stream's ends.
    """
    pick = rng.integers(0, len(cross_line), size=n)
    li = cross_line[pick]
    lengths = shapely.length(river[li])
    s = np.clip(cross_at[pick] + rng.uniform(-spread, spread, n), 0, lengths)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(river[li], s))
    return xy[:, 0], xy[:, 1], labels[li]
