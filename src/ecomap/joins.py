"""Joins between layers: corridor ends and patches, bridge sites, barrier crossings and gaps, trails.

Every join is vectorized: candidate pairs come from the STRtree (``sindex.query``) or
``geopandas.sjoin_nearest``, geometry work runs on whole shapely arrays, and results are
grouped with pandas. All distances and lengths are in metres (EPSG:4547).

References
----------
.. [1] S. T. Leutenegger, M. A. Lopez and J. Edgington, "STR: a simple and efficient
   algorithm for R-tree packing", *Proc. 13th International Conference on Data
   Engineering* (1997), 497-506: the Sort-Tile-Recursive tree behind GEOS's STRtree.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import InputError
from .crs import INTERNAL
from .network import Network
from .network import corridor_footprints as _footprints
from .network import corridor_widths_m as _widths_m

__all__ = [
    "COVERING_BRIDGE_STATUS",
    "CROSSING_STRUCTURES",
    "corridor_footprints",
    "corridor_ends",
    "resolve_corridor_ends",
    "bridge_sites",
    "bridge_counts",
    "barrier_crossings",
    "gaps",
    "trail_lengths",
    "trail_crossings",
]

#: Bridge sites with these statuses count as crossing structures (planned and removed do not).
COVERING_BRIDGE_STATUS = ("built", "damaged")
#: Barrier sections with these ``structure`` values let animals pass (they cover, never cut).
CROSSING_STRUCTURES = ("tunnel", "bridge")


def _check_distance(value: float, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise InputError(f"{name} must be a distance of 0 m or more, not {value:g}")
    return value


def corridor_footprints(network: Network) -> gpd.GeoSeries:
    """Each corridor's footprint, by the one rule in :func:`ecomap.network.corridor_footprints`.

    Parameters
    ----------
    network : Network
        Its ``corridors`` layer (EPSG:4547, ``width_m`` in metres) is used.

    Returns
    -------
    geopandas.GeoSeries
        One polygon per corridor in EPSG:4547, indexed by corridor id.

    Raises
    ------
    InputError
        If a corridor has no positive ``width_m``.
    """
    return _footprints(network.corridors)


def _end_points(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last vertex of each (Multi)LineString (first part's start, last part's end)."""
    n = len(lines)
    start = np.full(n, None, dtype=object)
    end = np.full(n, None, dtype=object)
    if n == 0:
        return start, end
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    if len(idx) == 0:
        return start, end
    first = np.unique(idx, return_index=True)[1]
    last = len(idx) - 1 - np.unique(idx[::-1], return_index=True)[1]
    have = np.unique(idx)
    start[have] = shapely.points(coords[first])
    end[have] = shapely.points(coords[last])
    return start, end


def _nearest_within(points: np.ndarray, tree_frame: gpd.GeoDataFrame, distance: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the nearest feature of ``tree_frame`` within its own ``distance``.

    Returns (label or None, distance in metres or NaN) arrays.
    """
    n = len(points)
    label = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    ok = ~shapely.is_missing(points)
    if not ok.any() or tree_frame.empty:
        return label, dist
    pos = np.flatnonzero(ok)
    left, right = tree_frame.sindex.query(points[pos], predicate="dwithin", distance=distance[pos])
    if len(left) == 0:
        return label, dist
    d = shapely.distance(points[pos][left], tree_frame.geometry.values[right])
    order = np.lexsort((d, left))
    left, right, d = left[order], right[order], d[order]
    firsts = np.unique(left, return_index=True)[1]
    label[pos[left[firsts]]] = tree_frame.index.to_numpy()[right[firsts]]
    dist[pos[left[firsts]]] = d[firsts]
    return label, dist


def _tree_order(tree_frame: gpd.GeoDataFrame) -> np.ndarray:
    """Each feature's place in its STRtree's traversal order (features not in the tree last).

    A query returns each input's matches in this order, so it is the order in which
    :func:`_nearest_within` breaks ties between features at the same distance.
    """
    rank = np.full(len(tree_frame), len(tree_frame))
    bounds = shapely.bounds(tree_frame.geometry.values)
    if np.isnan(bounds).all():
        return rank
    every = shapely.box(*np.nanmin(bounds[:, :2], axis=0), *np.nanmax(bounds[:, 2:], axis=0))
    order = tree_frame.sindex.query(every)
    rank[order] = np.arange(len(order))
    return rank


def _tiles(geoms: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Each geometry cut by a square grid of ``cell`` metres: the non-empty pieces and their owners.

    A point within some distance of a geometry is within it of the piece holding the
    geometry's nearest point, so the pieces find the same pairs with far smaller boxes
    (a long, thin footprint's box holds mostly points far from it).
    """
    b = shapely.bounds(geoms)
    idx = np.flatnonzero(~np.isnan(b[:, 0]))
    x0, y0, x1, y1 = b[idx].T
    nx = np.maximum(np.ceil((x1 - x0) / cell), 1).astype(int)
    ny = np.maximum(np.ceil((y1 - y0) / cell), 1).astype(int)
    k = nx * ny
    owner = np.repeat(idx, k)
    j = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    cx = np.repeat(x0, k) + j % np.repeat(nx, k) * cell
    cy = np.repeat(y0, k) + j // np.repeat(nx, k) * cell
    boxes = shapely.box(cx, cy, cx + cell, cy + cell)
    hit = shapely.intersects(geoms[owner], boxes)
    pieces = shapely.intersection(geoms[owner[hit]], boxes[hit])
    keep = ~shapely.is_empty(pieces)
    return pieces[keep], owner[hit][keep]


def _pairs_within(sites: shapely.STRtree, feats: np.ndarray, distance: float, tile_m: float | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Candidate (feature, site) pairs: ``dwithin`` on the features, or on their tiles."""
    if tile_m is None:
        return sites.query(feats, predicate="dwithin", distance=distance)
    pieces, owner = _tiles(feats, tile_m)
    pi, si = sites.query(pieces, predicate="dwithin", distance=distance + 1e-3)  # tiles' cut vertices round
    key = np.unique(owner[pi].astype(np.int64) * len(sites.geometries) + si)
    return key // len(sites.geometries), key % len(sites.geometries)


def _nearest_within_reach(sites: shapely.STRtree, tree_frame: gpd.GeoDataFrame, distance: float,
                          tile_m: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_nearest_within` for the points in the STRtree ``sites`` and one distance.

    The tree over the points is queried with the few features (``dwithin``; with
    ``tile_m``, with their pieces, :func:`_tiles`), so the cost is the candidate pairs
    only; a pair whose point lies in the feature (prepared ``intersects``) is 0 m without
    ``shapely.distance``, and a pair counts when its distance is ``distance`` or less, as
    ``dwithin`` has it. Ties are broken as in :func:`_nearest_within`: the feature first
    in the features' own STRtree order (:func:`_tree_order`). Returns (label or None,
    distance in metres or NaN) arrays, one per point of the tree.
    """
    n = len(sites.geometries)
    label = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    if n == 0 or tree_frame.empty:
        return label, dist
    feats = np.array(tree_frame.geometry.values, dtype=object)
    fi, si = _pairs_within(sites, feats, distance, tile_m)
    pts = sites.geometries[si]
    shapely.prepare(feats)
    d = np.zeros(len(si))
    out = ~shapely.intersects(feats[fi], pts)
    d[out] = shapely.distance(pts[out], feats[fi[out]])
    shapely.destroy_prepared(feats)
    near = d <= distance
    fi, si, d = fi[near], si[near], d[near]
    if len(si) == 0:
        return label, dist
    order = np.lexsort((_tree_order(tree_frame)[fi], d, si))
    si, fi, d = si[order], fi[order], d[order]
    first = np.flatnonzero(np.r_[True, si[1:] != si[:-1]])
    label[si[first]] = tree_frame.index.to_numpy()[fi[first]]
    dist[si[first]] = d[first]
    return label, dist


def corridor_ends(network: Network) -> pd.DataFrame:
    """The patch at each end of each corridor, given or inferred.

    A corridor end touches a patch when the patch lies within the corridor's half width
    (``width_m / 2``) of the centre line's first or last vertex; the nearest such patch is
    taken. ``from_id``/``to_id`` given in the data are kept; missing ones are filled from
    the touched patch.

    Parameters
    ----------
    network : Network
        Its ``corridors`` (centre lines, ``width_m`` in metres, ``from_id``/``to_id``)
        and ``patches`` layers, EPSG:4547.

    Returns
    -------
    pandas.DataFrame
        Indexed by corridor id with ``from_id``, ``to_id`` (after filling),
        ``from_inferred``, ``to_inferred`` (bool: filled here), ``from_touch``,
        ``to_touch`` (the patch each end touches, or None), ``from_touch_m``,
        ``to_touch_m`` (distance in metres, NaN without a touch) and ``touches_patch``
        (False for a corridor neither of whose ends touches a patch).

    Raises
    ------
    InputError
        If a corridor has no positive ``width_m``
        (:func:`ecomap.network.corridor_widths_m`).
    """
    c = network.corridors
    start, end = _end_points(c.geometry.values)
    half = _widths_m(c) / 2.0
    patches = network.patches
    s_lab, s_d = _nearest_within(start, patches, half)
    e_lab, e_d = _nearest_within(end, patches, half)
    out = pd.DataFrame(index=c.index)

    def given(col: str) -> pd.Series:
        v = c[col].astype(object)
        return v.where(v.notna() & (v.astype(str).str.strip() != ""), None)

    gf, gt = given("from_id"), given("to_id")
    out["from_id"] = gf.where(gf.notna(), pd.Series(s_lab, index=c.index))
    out["to_id"] = gt.where(gt.notna(), pd.Series(e_lab, index=c.index))
    for col in ("from_id", "to_id"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    out["from_inferred"] = gf.isna().to_numpy() & (s_lab != None)  # noqa: E711  (object array)
    out["to_inferred"] = gt.isna().to_numpy() & (e_lab != None)  # noqa: E711
    out["from_touch"], out["to_touch"] = s_lab, e_lab
    out["from_touch_m"], out["to_touch_m"] = s_d, e_d
    out["touches_patch"] = (s_lab != None) | (e_lab != None)  # noqa: E711
    out = out.astype({"from_inferred": bool, "to_inferred": bool, "touches_patch": bool})
    return out


def resolve_corridor_ends(network: Network) -> gpd.GeoDataFrame:
    """The corridors layer with ``from_id``/``to_id`` filled where the data left them empty.

    Parameters
    ----------
    network : Network
        Its ``corridors`` and ``patches`` layers, EPSG:4547.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``network.corridors`` whose ``from_id``/``to_id`` are those of
        :func:`corridor_ends` (None where no patch is touched either).

    Raises
    ------
    InputError
        If a corridor has no positive ``width_m``.
    """
    ends = corridor_ends(network)
    out = network.corridors.copy()
    out["from_id"] = ends["from_id"]
    out["to_id"] = ends["to_id"]
    return out


def bridge_sites(network: Network, *, max_distance_m: float = 100.0) -> pd.DataFrame:
    """The corridor or patch each bridge site serves, with distances.

    A site serves the nearest corridor whose footprint (centre line buffered by
    ``width_m / 2``) lies within ``max_distance_m`` (0 m when the site is inside it);
    failing that, the nearest patch within ``max_distance_m``; failing both, nothing.

    Parameters
    ----------
    network : Network
        Its ``bridges`` (points), ``corridors`` and ``patches`` layers, EPSG:4547.
    max_distance_m : float, default 100.0
        How far a site may lie from the footprint or patch it serves, in metres.

    Returns
    -------
    pandas.DataFrame
        Indexed by bridge id: ``status``, ``corridor_id``, ``corridor_m``, ``patch_id``,
        ``patch_m`` (distances in metres, NaN where none is near), ``serves``
        (``corridor``, ``patch`` or None). ``corridor_id`` and ``patch_id`` are both
        filled when both lie within reach.

    Raises
    ------
    InputError
        If ``max_distance_m`` is negative or not finite, or a corridor has no positive
        ``width_m``.
    """
    max_distance_m = _check_distance(max_distance_m, "max distance")
    b = network.bridges
    pts = np.asarray(b.geometry.values)
    fp = gpd.GeoDataFrame(geometry=corridor_footprints(network), crs=INTERNAL)
    sites = shapely.STRtree(pts)  # None and empty points are left out of it
    c_lab, c_d = _nearest_within_reach(sites, fp, max_distance_m, tile_m=500.0)  # thin: in tiles
    p_lab, p_d = _nearest_within_reach(sites, network.patches, max_distance_m)
    out = pd.DataFrame({
        "status": b["status"].to_numpy(),
        "corridor_id": c_lab, "corridor_m": c_d,
        "patch_id": p_lab, "patch_m": p_d,
    }, index=b.index)
    serves = np.where(c_lab != None, "corridor", np.where(p_lab != None, "patch", None))  # noqa: E711
    out["serves"] = pd.Series(serves, index=b.index, dtype=object)
    return out


def bridge_counts(network: Network, *, max_distance_m: float = 100.0,
                  exclude_status: tuple[str, ...] = ("removed",)) -> pd.Series:
    """Number of bridge sites serving each corridor (sites with an excluded status not counted).

    Parameters
    ----------
    network : Network
        Its ``bridges``, ``corridors`` and ``patches`` layers, EPSG:4547.
    max_distance_m : float, default 100.0
        How far a site may lie from a corridor's footprint, in metres
        (:func:`bridge_sites`).
    exclude_status : tuple of str, default ("removed",)
        Statuses of sites that are not counted.

    Returns
    -------
    pandas.Series
        ``bridges`` (int) per corridor id, 0 for a corridor no site serves, in the
        corridors layer's order.

    Raises
    ------
    InputError
        If ``max_distance_m`` is negative or not finite, or a corridor has no positive
        ``width_m``.
    """
    sites = bridge_sites(network, max_distance_m=max_distance_m)
    sites = sites[(sites["serves"] == "corridor") & ~sites["status"].isin(exclude_status)]
    counts = sites.groupby("corridor_id").size()
    return counts.reindex(network.corridors.index, fill_value=0).astype(int).rename("bridges")


def _crossing_points(lines_a: np.ndarray, lines_b: np.ndarray, ia: np.ndarray, ib: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Crossing points of line pairs (ia[k], ib[k]); an overlap counts once, at its midpoint."""
    inter = shapely.intersection(lines_a[ia], lines_b[ib])
    parts, which = shapely.get_parts(inter, return_index=True)
    if len(parts) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=int)
    kind = shapely.get_type_id(parts)
    pts = parts.copy()
    lines = kind == 1  # LineString: the two lines run together for a while
    if lines.any():
        pts[lines] = shapely.line_interpolate_point(parts[lines], 0.5, normalized=True)
    other = ~np.isin(kind, (0, 1))
    if other.any():
        pts[other] = shapely.point_on_surface(parts[other])
    keep = ~shapely.is_empty(pts)
    return pts[keep], which[keep]


def barrier_crossings(network: Network, *, cover_distance_m: float = 100.0) -> gpd.GeoDataFrame:
    """Every point where a barrier crosses a corridor's centre line, and whether it is covered.

    A crossing is covered when the barrier section itself is a tunnel or bridge
    (``structure``), or when a crossing structure lies within ``cover_distance_m`` of the
    crossing point: a bridge site with status ``built`` or ``damaged``, or a tunnel or
    bridge section of any barrier. Uncovered crossings are the network's *gaps*.

    Where a barrier and a centre line run together for a while, the overlap counts as
    one crossing, at its midpoint.

    Parameters
    ----------
    network : Network
        Its ``corridors`` (centre lines), ``barriers`` (with ``kind``, ``permeability``
        and optionally ``structure``) and ``bridges`` layers, EPSG:4547.
    cover_distance_m : float, default 100.0
        How far a crossing structure may lie from the crossing point, in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4547, indexed by ``crossing`` (``<corridor>/<barrier>/<n>``, sorted) with
        ``corridor_id``, ``barrier_id``, ``kind``, ``permeability``, ``structure``,
        ``covered`` (bool), ``covered_by`` (id of the structure or None), ``cover_m``
        (metres; 0 for a tunnel or bridge section itself, NaN when uncovered) and the
        crossing point as geometry. Empty, with these columns, when there are no
        corridors or no barriers.

    Raises
    ------
    InputError
        If ``cover_distance_m`` is negative or not finite.
    """
    cover_distance_m = _check_distance(cover_distance_m, "cover distance")
    c, b = network.corridors, network.barriers
    cols = ["corridor_id", "barrier_id", "kind", "permeability", "structure", "covered",
            "covered_by", "cover_m"]
    if c.empty or b.empty:
        empty = gpd.GeoDataFrame({k: pd.Series(dtype=object) for k in cols},
                                 geometry=gpd.GeoSeries([], crs=INTERNAL), crs=INTERNAL)
        empty.index.name = "crossing"
        return empty
    ci, bi = b.sindex.query(c.geometry.values, predicate="intersects")
    pts, which = _crossing_points(c.geometry.values, b.geometry.values, ci, bi)
    ci, bi = ci[which], bi[which]
    structure = b["structure"].astype(object).to_numpy() if "structure" in b else np.full(len(b), None)
    out = gpd.GeoDataFrame({
        "corridor_id": c.index.to_numpy()[ci],
        "barrier_id": b.index.to_numpy()[bi],
        "kind": b["kind"].to_numpy()[bi],
        "permeability": b["permeability"].to_numpy(dtype=float)[bi],
        "structure": structure[bi],
    }, geometry=gpd.GeoSeries(pts, crs=INTERNAL), crs=INTERNAL)
    self_cover = np.isin(out["structure"].astype(str), CROSSING_STRUCTURES)
    # crossing structures: built/damaged bridge sites and tunnel/bridge barrier sections
    br = network.bridges
    br = br[br["status"].isin(COVERING_BRIDGE_STATUS)]
    tun = b[np.isin(structure.astype(str), CROSSING_STRUCTURES)]
    structures = gpd.GeoDataFrame(
        {"structure_id": np.r_[br.index.to_numpy(), tun.index.to_numpy()].astype(object)},
        geometry=gpd.GeoSeries(np.r_[br.geometry.values, tun.geometry.values], crs=INTERNAL),
        crs=INTERNAL,
    )
    covered_by = np.where(self_cover, out["barrier_id"].to_numpy(), None).astype(object)
    cover_m = np.where(self_cover, 0.0, np.nan)
    label, d = _nearest_within(out.geometry.values, structures.set_index("structure_id"),
                               np.full(len(out), cover_distance_m))
    use = ~self_cover & (label != None)  # noqa: E711
    covered_by[use] = label[use]
    cover_m[use] = d[use]
    out["covered"] = covered_by != None  # noqa: E711
    out["covered_by"] = covered_by
    out["cover_m"] = cover_m
    n = out.groupby(["corridor_id", "barrier_id"]).cumcount() + 1
    out.index = pd.Index(out["corridor_id"].astype(str) + "/" + out["barrier_id"].astype(str)
                         + "/" + n.astype(str), name="crossing")
    return out[[*cols, "geometry"]].sort_index()


def gaps(network: Network, *, cover_distance_m: float = 100.0) -> gpd.GeoDataFrame:
    """Barrier crossings with no crossing structure within ``cover_distance_m``.

    Parameters
    ----------
    network : Network
        Its ``corridors``, ``barriers`` and ``bridges`` layers, EPSG:4547.
    cover_distance_m : float, default 100.0
        How far a crossing structure may lie from the crossing point, in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows of :func:`barrier_crossings` whose ``covered`` is False.

    Raises
    ------
    InputError
        If ``cover_distance_m`` is negative or not finite.
    """
    x = barrier_crossings(network, cover_distance_m=cover_distance_m)
    return x[~x["covered"].astype(bool)]


def _length_inside(lines: np.ndarray, polys: gpd.GeoSeries) -> pd.Series:
    if len(lines) == 0 or polys.empty:
        return pd.Series(0.0, index=polys.index)
    tree = shapely.STRtree(polys.values)
    li, pi = tree.query(lines, predicate="intersects")
    lengths = shapely.length(shapely.intersection(lines[li], polys.values[pi]))
    s = pd.Series(lengths).groupby(pi).sum()
    out = np.zeros(len(polys))
    out[s.index.to_numpy()] = s.to_numpy()
    return pd.Series(out, index=polys.index)


def trail_lengths(network: Network) -> tuple[pd.Series, pd.Series]:
    """Metres of trail inside each corridor footprint and inside each patch (disturbance).

    A trail crossing two overlapping footprints counts in both.

    Parameters
    ----------
    network : Network
        Its ``trails``, ``corridors`` (footprints by
        :func:`ecomap.network.corridor_footprints`) and ``patches`` layers, EPSG:4547.

    Returns
    -------
    corridors, patches : pandas.Series
        Two Series named ``trail_m`` (metres, 0.0 where no trail enters) indexed by
        corridor id and patch id.

    Raises
    ------
    InputError
        If a corridor has no positive ``width_m``.
    """
    lines = network.trails.geometry.values
    corr = _length_inside(lines, corridor_footprints(network)).rename("trail_m")
    pat = _length_inside(lines, network.patches.geometry).rename("trail_m")
    return corr, pat


def trail_crossings(network: Network) -> gpd.GeoDataFrame:
    """Points where a trail crosses a corridor's centre line (``trail_id``, ``corridor_id``).

    Parameters
    ----------
    network : Network
        Its ``trails`` and ``corridors`` layers (lines), EPSG:4547.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per crossing point, EPSG:4547, default index, columns ``trail_id`` and
        ``corridor_id``; a stretch where a trail runs along a centre line counts once,
        at its midpoint.
    """
    t, c = network.trails, network.corridors
    if t.empty or c.empty:
        return gpd.GeoDataFrame({"trail_id": [], "corridor_id": []},
                                geometry=gpd.GeoSeries([], crs=INTERNAL), crs=INTERNAL)
    ti, ci = c.sindex.query(t.geometry.values, predicate="intersects")
    pts, which = _crossing_points(t.geometry.values, c.geometry.values, ti, ci)
    return gpd.GeoDataFrame({
        "trail_id": t.index.to_numpy()[ti[which]],
        "corridor_id": c.index.to_numpy()[ci[which]],
    }, geometry=gpd.GeoSeries(pts, crs=INTERNAL), crs=INTERNAL)
