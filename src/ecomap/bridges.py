"""The bridge-site register: synthetic registers made by a seeded generator.

The "Ten Thousand Bridge Plan" (万桥计划) puts small escape structures (stone or wooden
ramps, nets, ropes) into drainage ditches, water-collection wells, interception ditches
beside reservoir roads, pools and culverts, so that frogs, snakes, newts and small mammals
that fall in can climb out. No public register of these sites exists, so ecomap ships a
seed register made by :func:`synthesize`: a documented, seeded, re-runnable generator that
puts each site where such structures go and records the feature it put it on.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import crs as _crs
from ._errors import InputError
from .layers import spec
from .network import Network

__all__ = [
    "HOST_SHARES",
    "MATERIALS",
    "STATUS_SHARES",
    "MAX_OFFSET_M",
    "synthesize",
]

#: Share of sites on each kind of host (renormalised over the kinds the network can host).
HOST_SHARES: Mapping[str, float] = {
    "ditch": 0.35,               # drainage ditches beside trails
    "interception_ditch": 0.25,  # interception ditches beside the roads round reservoirs
    "culvert": 0.15,             # where a stream passes under a road, railway or trail
    "well": 0.15,                # water-collection wells inside the parks
    "pool": 0.10,                # pools on the streams inside the parks
}
#: Materials that suit each host, drawn with equal probability.
MATERIALS: Mapping[str, tuple[str, ...]] = {
    "ditch": ("ramp", "stone", "wood"),
    "interception_ditch": ("ramp", "stone", "wood"),
    "culvert": ("ramp", "stone"),
    "well": ("net", "rope"),
    "pool": ("ramp", "stone", "wood"),
}
#: Share of each status.
STATUS_SHARES: Mapping[str, float] = {"built": 0.70, "planned": 0.20, "damaged": 0.08, "removed": 0.02}
#: Sites with a status other than ``planned`` get an installation date in this range.
INSTALLED_RANGE = (_dt.date(2021, 1, 1), _dt.date(2025, 12, 31))

#: Largest distance (metres) between a site and the host feature it is placed on.
MAX_OFFSET_M = 25.0
#: Hosts are clipped to the district shrunk by this much, so that every site is inside it.
_INSET_M = MAX_OFFSET_M + 15.0
#: Distance of the road beside a reservoir from its shoreline (metres).
_RESERVOIR_ROAD_M = 15.0
#: Culverts lie within this distance (metres) along the stream of a crossing.
_CULVERT_SPREAD_M = 20.0


def _parts(frame: gpd.GeoDataFrame, layer: str, geoms, keep) -> tuple[np.ndarray, np.ndarray]:
    """Host lines or polygons clipped to ``keep``, with labels ``layer:id``; empties dropped."""
    if len(frame) == 0:
        return np.array([], dtype=object), np.array([], dtype=object)
    clipped = shapely.intersection(np.asarray(geoms, dtype=object), keep)
    labels = np.array([f"{layer}:{i}" for i in frame.index], dtype=object)
    ok = ~shapely.is_empty(clipped)
    return clipped[ok], labels[ok]


def _along(rng: np.random.Generator, lines: np.ndarray, labels: np.ndarray, n: int,
           offset: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points on ``lines`` (chosen in proportion to length) shifted sideways.

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
    """``n`` points uniform over the union of ``polys``, labelled with the polygon that holds them."""
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
    """Where streams cross roads, railways or trails: (river line index, distance along it)."""
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


def synthesize(network: Network, n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """A synthetic register of ``n`` escape-bridge sites, placed where such structures go.

    Each site gets a host kind drawn with the shares of :data:`HOST_SHARES` (kinds that the
    network cannot host are left out and the shares renormalised) and is placed:

    * ``ditch``: beside a trail, 2–8 m to one side of a point uniform along the trails;
    * ``interception_ditch``: beside the road round a reservoir, 15 ± 5 m from its shore;
    * ``culvert``: on a stream (river axis or tributary) within 20 m of where it crosses
      a surface road or railway (``barriers`` other than tunnel sections) or a trail;
    * ``well``: uniform inside the parks (``ridge`` cores and ``patches`` of kind forest);
    * ``pool``: on a stream inside the parks, up to 10 m from its centre line.

    Every host is first clipped to the district shrunk by 40 m, so each site lies inside
    the district and within :data:`MAX_OFFSET_M` (25 m) of the host feature it was placed
    on, which is recorded as ``host_feature`` (``"layer:id"``). ``material`` is drawn
    from :data:`MATERIALS` for the host, ``status`` with :data:`STATUS_SHARES`, and
    ``installed`` uniform over 2021–2025 for sites that are not ``planned``.

    Parameters
    ----------
    network
        The layers to place sites on (``boundary``, and any of ``trails``, ``river``,
        ``reservoirs``, ``barriers``, ``ridge``, ``patches``).
    n
        Number of sites (0 or more).
    seed
        Seed of :func:`numpy.random.default_rng`: the same network, ``n`` and ``seed``
        always give the same register.

    Returns
    -------
    geopandas.GeoDataFrame
        The ``bridges`` layer in EPSG:4547, indexed by ``id`` (``B00001``, ...), with
        ``confidence = "synthetic"``.

    Raises
    ------
    InputError
        If ``n`` is negative, or the network has no district or nothing to place sites on.
    """
    if n < 0:
        raise InputError(f"number of sites must be 0 or more, not {n}")
    district = network.district
    if district is None or shapely.is_empty(district):
        raise InputError("the network has no district boundary to place bridge sites in")
    keep = shapely.buffer(district, -_INSET_M)
    rng = np.random.default_rng(seed)

    trails, trail_lab = _parts(network.trails, "trails", network.trails.geometry.values, keep)
    res = network.reservoirs
    roads = shapely.boundary(shapely.buffer(res.geometry.values, _RESERVOIR_ROAD_M))
    res_lines, res_lab = _parts(res, "reservoirs", roads, keep)
    river, river_lab = _parts(network.river, "river", network.river.geometry.values, keep)
    bar = network.barriers
    surface = bar if "structure" not in bar.columns else bar[bar["structure"].fillna("surface") != "tunnel"]
    cutters = np.r_[surface.geometry.values, network.trails.geometry.values].astype(object)
    cross_line, cross_at = _crossings(river, cutters)
    ridge = network.ridge
    forest = network.patches
    if "kind" in forest.columns:
        forest = forest[forest["kind"] == "forest"]
    park_r, park_r_lab = _parts(ridge, "ridge", ridge.geometry.values, keep)
    park_p, park_p_lab = _parts(forest, "patches", forest.geometry.values, keep)
    parks = np.r_[park_r, park_p].astype(object)
    park_lab = np.r_[park_r_lab, park_p_lab].astype(object)
    pool_lines = np.array([], dtype=object)
    pool_lab = np.array([], dtype=object)
    if len(river) and len(parks):
        inpark = shapely.intersection(river, shapely.union_all(parks))
        ok = ~shapely.is_empty(inpark) & (shapely.length(inpark) > 0)
        pool_lines, pool_lab = inpark[ok], river_lab[ok]

    available = {
        "ditch": len(trails) > 0,
        "interception_ditch": len(res_lines) > 0,
        "culvert": len(cross_line) > 0,
        "well": len(parks) > 0 and float(shapely.area(parks).sum()) > 0,
        "pool": len(pool_lines) > 0,
    }
    kinds = [k for k in HOST_SHARES if available[k]]
    if n and not kinds:
        raise InputError("the network has nothing to place bridge sites on inside the district "
                         "(needs trails, reservoirs, river, or park polygons)")
    share = np.array([HOST_SHARES[k] for k in kinds], dtype=float)
    counts = rng.multinomial(n, share / share.sum()) if kinds else np.array([], dtype=int)

    xs, ys, hosts, host_kind = [], [], [], []
    for kind, m in zip(kinds, counts, strict=True):
        if m == 0:
            continue
        if kind == "ditch":
            x, y, lab = _along(rng, trails, trail_lab, m, (2.0, 8.0))
        elif kind == "interception_ditch":
            x, y, lab = _along(rng, res_lines, res_lab, m, (0.0, 5.0))
        elif kind == "pool":
            x, y, lab = _along(rng, pool_lines, pool_lab, m, (0.0, 10.0))
        elif kind == "well":
            x, y, lab = _inside(rng, parks, park_lab, m)
        else:  # culvert
            pick = rng.integers(0, len(cross_line), size=m)
            li = cross_line[pick]
            lengths = shapely.length(river[li])
            s = np.clip(cross_at[pick] + rng.uniform(-_CULVERT_SPREAD_M, _CULVERT_SPREAD_M, m), 0, lengths)
            xy = shapely.get_coordinates(shapely.line_interpolate_point(river[li], s))
            x, y, lab = xy[:, 0], xy[:, 1], river_lab[li]
        xs.append(x)
        ys.append(y)
        hosts.append(lab)
        host_kind.append(np.full(m, kind, dtype=object))

    if n:
        x, y = np.concatenate(xs), np.concatenate(ys)
        host_feature = np.concatenate(hosts)
        host = np.concatenate(host_kind)
        order = rng.permutation(n)
        x, y, host_feature, host = x[order], y[order], host_feature[order], host[order]
    else:
        x = y = np.array([])
        host_feature = host = np.array([], dtype=object)

    material = np.empty(n, dtype=object)
    for kind, options in MATERIALS.items():
        sel = host == kind
        material[sel] = np.asarray(options, dtype=object)[rng.integers(0, len(options), int(sel.sum()))]
    statuses = list(STATUS_SHARES)
    sp = np.array([STATUS_SHARES[s] for s in statuses])
    status = np.asarray(statuses, dtype=object)[rng.choice(len(statuses), size=n, p=sp / sp.sum())]
    d0, d1 = (np.datetime64(d) for d in INSTALLED_RANGE)
    days = rng.integers(0, int((d1 - d0).astype(int)) + 1, size=n)
    dates = (d0 + days.astype("timedelta64[D]")).astype(str).astype(object)
    installed = np.where(status == "planned", None, dates)

    width = max(5, len(str(n)))
    ids = pd.Index([f"B{i:0{width}d}" for i in range(1, n + 1)], name="id", dtype="object")
    frame = gpd.GeoDataFrame(
        {
            "host": pd.Series(host, index=ids, dtype="object"),
            "material": pd.Series(material, index=ids, dtype="object"),
            "status": pd.Series(status, index=ids, dtype="object"),
            "installed": pd.Series(installed, index=ids, dtype="object"),
            "host_feature": pd.Series(host_feature, index=ids, dtype="object"),
            "note": pd.Series([None] * n, index=ids, dtype="object"),
            "name_zh": pd.Series([None] * n, index=ids, dtype="object"),
            "name_en": pd.Series([None] * n, index=ids, dtype="object"),
            "source": f"synthetic: ecomap.bridges.synthesize(n={n}, seed={seed}); not a survey",
            "confidence": "synthetic",
        },
        geometry=gpd.GeoSeries(shapely.points(x, y), index=ids, crs=_crs.INTERNAL),
        crs=_crs.INTERNAL,
    )
    columns = [c for c in spec("bridges").column_names if c in frame.columns]
    extra = [c for c in frame.columns if c not in columns and c != "geometry"]
    return frame[[*columns, *extra, "geometry"]]
