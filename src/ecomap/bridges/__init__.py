"""The bridge-site register: synthetic registers made by a seeded generator.

The "Ten Thousand Bridge Plan" (万桥计划) puts small escape structures (stone or wooden
ramps, nets, ropes) into drainage ditches, water-collection wells, interception ditches
beside reservoir roads, pools and culverts, so that frogs, snakes, newts and small mammals
that fall in can climb out. No public register of these sites exists, so ecomap ships a
seed register made by :func:`synthesize`: a documented, seeded, re-runnable generator that
puts each site where such structures go and records the feature it put it on.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..layers import spec
from ..network import Network

__all__ = [
    "HOST_SHARES",
    "MATERIALS",
    "STATUS_SHARES",
    "MAX_OFFSET_M",
    "MIN_SPACING_M",
    "synthesize",
    "DUPLICATE_DISTANCE_M",
    "REGISTER_MARGIN_M",
    "SUBDISTRICT_CENTRES",
    "ImportReport",
    "RowIssue",
    "import_sites",
    "list_sites",
    "site_stats",
    "subdistrict_of",
    "corridor_of",
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
#: Default least distance (metres) between two sites: twice the register's duplicate distance
#: (5 m, :data:`DUPLICATE_DISTANCE_M`), so no two synthetic sites read as the same site.
MIN_SPACING_M = 10.0


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


def _greedy_spaced(x: np.ndarray, y: np.ndarray, taken: shapely.STRtree | None,
                   spacing: float) -> np.ndarray:
    """Which candidates (in their order) a greedy pass keeps so that no two are ``spacing`` or less apart.

    Only the first candidate of each square cell of side ``spacing / sqrt(2)`` goes on (two
    in one cell are too close anyway). Candidates within ``spacing`` (inclusive) of a point
    of ``taken`` are dropped next. Then candidate ``j`` is kept when no earlier kept candidate lies within ``spacing`` of it: the
    lexicographically first maximal independent set of the "closer than ``spacing``" graph.
    The close pairs come from one STRtree ``dwithin`` query; the set is found in rounds, each
    deciding at once every candidate whose earlier neighbours are all decided (a candidate
    with an earlier kept neighbour is dropped, one whose earlier neighbours are all dropped
    is kept), which gives the same set as visiting the candidates one by one.
    """
    state = np.zeros(len(x), dtype=np.int8)  # 0 undecided, 1 kept, 2 dropped
    # Two candidates in one square cell of side spacing / sqrt(2) are always too close: only
    # the first of each cell goes on, which bounds the close pairs per candidate (a dozen)
    # however densely a short host is sampled.
    cell = spacing / np.sqrt(2.0)
    cx, cy = np.floor(x / cell).astype(np.int64), np.floor(y / cell).astype(np.int64)
    first = np.unique((cx - cx.min()) * (int(cy.max() - cy.min()) + 1) + (cy - cy.min()),
                      return_index=True)[1] if len(x) else np.array([], dtype=np.int64)
    first = np.sort(first)
    state[:] = 2
    state[first] = 0
    pts = shapely.points(x[first], y[first])
    if taken is not None:
        hit = taken.query(pts, predicate="dwithin", distance=spacing)[0]
        state[first[hit]] = 2
        live = state[first] == 0
        first, pts = first[live], pts[live]
    i, j = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=spacing)
    i, j = first[i], first[j]
    earlier = i < j
    lo, hi = i[earlier], j[earlier]
    live = (state[lo] != 2) & (state[hi] != 2)
    lo, hi = lo[live], hi[live]
    while (state == 0).any():
        n = len(state)
        waits = np.bincount(hi, weights=state[lo] == 0, minlength=n) > 0
        beaten = np.bincount(hi, weights=state[lo] == 1, minlength=n) > 0
        undecided = state == 0
        state[undecided & beaten] = 2
        state[undecided & ~beaten & ~waits] = 1
        live = state[hi] == 0
        lo, hi = lo[live], hi[live]
    return state == 1


def _spaced(rng: np.random.Generator, draw, kinds: list[str], counts: np.ndarray, share: np.ndarray,
            spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sites of each kind, no two closer than ``spacing`` metres (see :func:`synthesize`).

    Each round draws, for every kind still short of its count, twice the shortfall plus 256
    candidates by its placement rule; shuffles all of them; and keeps a greedy spaced set
    against the sites already kept (:func:`_greedy_spaced`), up to each kind's count. A kind
    of which a round keeps under 2 % of its candidates is full: what it still lacks goes to
    the kinds that are not full, in proportion to their shares. When every kind is full
    before ``n`` sites are placed, :class:`InputError` says how many fit.
    """
    n = int(counts.sum())
    want = counts.astype(np.int64).copy()
    full = np.zeros(len(kinds), dtype=bool)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    labs: list[np.ndarray] = []
    kind_of: list[np.ndarray] = []
    got = np.zeros(len(kinds), dtype=np.int64)
    taken: shapely.STRtree | None = None
    kept_pts: list[np.ndarray] = []
    for _round in range(64):
        short = np.flatnonzero((got < want) & ~full)
        if len(short) == 0:
            break
        cx, cy, cl, ck = [], [], [], []
        for k in short:
            m = int(2 * (want[k] - got[k]) + 256)
            x, y, lab = draw(kinds[k], m)
            cx.append(x)
            cy.append(y)
            cl.append(lab)
            ck.append(np.full(m, k))
        cx, cy = np.concatenate(cx), np.concatenate(cy)
        cl, ck = np.concatenate(cl), np.concatenate(ck)
        order = rng.permutation(len(cx))
        cx, cy, cl, ck = cx[order], cy[order], cl[order], ck[order]
        kept = _greedy_spaced(cx, cy, taken, spacing)
        # Keep each kind's first kept candidates, up to what it still wants.
        rank = np.zeros(len(ck), dtype=np.int64)
        for k in short:
            sel = kept & (ck == k)
            rank[sel] = np.arange(int(sel.sum()))
            n_kept = int(sel.sum())
            if n_kept < 0.02 * int((ck == k).sum()):
                full[k] = True
        use = kept & (rank < (want - got)[ck])
        got += np.bincount(ck[use], minlength=len(kinds))
        xs.append(cx[use])
        ys.append(cy[use])
        labs.append(cl[use])
        kind_of.append(ck[use])
        kept_pts.append(shapely.points(cx[use], cy[use]))
        taken = shapely.STRtree(np.concatenate(kept_pts))
        # A full kind hands what it lacks to the kinds with room, in proportion to their shares.
        lack = int(np.where(full, want - got, 0).clip(0).sum())
        if lack:
            want[full] = got[full]
            room = np.flatnonzero(~full)
            if len(room) == 0:
                break
            want[room] += rng.multinomial(lack, share[room] / share[room].sum())
    placed = int(got.sum())
    if placed < n:
        raise InputError(f"the district holds only about {placed} bridge sites {spacing:g} m apart on its "
                         f"ditches, reservoir roads, culverts, wells and pools, not {n}: ask for fewer "
                         f"sites or a smaller minimum spacing")
    k = np.concatenate(kind_of)
    return (np.concatenate(xs), np.concatenate(ys), np.concatenate(labs),
            np.asarray(kinds, dtype=object)[k])


def synthesize(network: Network, n: int, *, seed: int = 0,
               min_spacing_m: float = MIN_SPACING_M) -> gpd.GeoDataFrame:
    """A synthetic register of ``n`` escape-bridge sites, placed where such structures go.

    Each site gets a host kind drawn with the shares of :data:`HOST_SHARES` (kinds that the
    network cannot host are left out and the shares renormalised) and is placed:

    * ``ditch``: beside a trail, 2–8 m to one side of a point uniform along the trails;
    * ``interception_ditch``: beside the road round a reservoir, 15 ± 5 m from its shore;
    * ``culvert``: on a stream (river axis or tributary) within 20 m of where it crosses
      a surface road or railway (``barriers`` other than tunnel sections) or a trail;
    * ``well``: uniform inside the parks (``ridge`` cores and ``patches`` of kind forest);
    * ``pool``: on a stream inside the parks, up to 10 m from its centre line.

    No two sites are ``min_spacing_m`` or less apart (default 10 m, twice the 5 m within
    which ``ecomap bridges import`` takes two sites for one). Each host kind draws candidates
    by its rule, twice as many as it lacks and 256 more; a greedy pass in a seeded random order keeps
    those farther than the spacing from every site kept before them (close pairs from one
    STRtree ``dwithin`` query), up to the kind's count, and draws again while a kind is
    short. A kind whose hosts are full (a round keeps under 2 % of its candidates: the four
    stream crossings of the bundled data hold about 20 culverts 10 m apart) hands the sites
    it lacks to the kinds with room, in proportion to their shares; so the shares hold as
    long as every kind has room, and large registers lean to wells inside the parks.

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
    min_spacing_m
        Least distance (metres) between two sites; ``0`` places every site independently
        (sites may then coincide).

    Returns
    -------
    geopandas.GeoDataFrame
        The ``bridges`` layer in EPSG:4547, indexed by ``id`` (``B00001``, ...), with
        ``confidence = "synthetic"``.

    Raises
    ------
    InputError
        If ``n`` or ``min_spacing_m`` is negative, the network has no district or nothing
        to place sites on, or its hosts cannot hold ``n`` sites ``min_spacing_m`` apart (the
        message says about how many they hold).
    """
    if n < 0:
        raise InputError(f"number of sites must be 0 or more, not {n}")
    if not np.isfinite(min_spacing_m) or min_spacing_m < 0:
        raise InputError(f"minimum spacing must be 0 m or more, not {min_spacing_m}")
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

    def draw(kind: str, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``m`` candidate sites of one host kind, by its placement rule."""
        if kind == "ditch":
            return _along(rng, trails, trail_lab, m, (2.0, 8.0))
        if kind == "interception_ditch":
            return _along(rng, res_lines, res_lab, m, (0.0, 5.0))
        if kind == "pool":
            return _along(rng, pool_lines, pool_lab, m, (0.0, 10.0))
        if kind == "well":
            return _inside(rng, parks, park_lab, m)
        pick = rng.integers(0, len(cross_line), size=m)  # culvert
        li = cross_line[pick]
        lengths = shapely.length(river[li])
        s = np.clip(cross_at[pick] + rng.uniform(-_CULVERT_SPREAD_M, _CULVERT_SPREAD_M, m), 0, lengths)
        xy = shapely.get_coordinates(shapely.line_interpolate_point(river[li], s))
        return xy[:, 0], xy[:, 1], river_lab[li]

    if min_spacing_m > 0 and n:
        # Disks of radius spacing / 2 round the sites do not overlap and lie within
        # spacing / 2 of the places the rules allow: their area bounds the count.
        half = float(min_spacing_m) / 2
        zones = {"ditch": (trails, 8.0), "interception_ditch": (res_lines, 5.0), "culvert": (river, 0.0),
                 "well": (parks, 0.0), "pool": (pool_lines, 10.0)}
        area = sum(float(shapely.area(shapely.buffer(zones[k][0], zones[k][1] + half)).sum()) for k in kinds)
        most = int(area / (np.pi * half * half))
        if n > most:
            raise InputError(f"the district holds at most about {most} bridge sites {min_spacing_m:g} m apart "
                             f"on its ditches, reservoir roads, culverts, wells and pools, not {n}: ask for "
                             f"fewer sites or a smaller minimum spacing")
        x, y, host_feature, host = _spaced(rng, draw, kinds, counts, share, float(min_spacing_m))
    else:
        xs, ys, hosts, host_kind = [], [], [], []
        for kind, m in zip(kinds, counts, strict=True):
            if m == 0:
                continue
            x, y, lab = draw(kind, int(m))
            xs.append(x)
            ys.append(y)
            hosts.append(lab)
            host_kind.append(np.full(m, kind, dtype=object))
        if n:
            x, y = np.concatenate(xs), np.concatenate(ys)
            host_feature = np.concatenate(hosts)
            host = np.concatenate(host_kind)

    if n:
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
            "source": f"synthetic: ecomap.bridges.synthesize(n={n}, seed={seed}, "
                      f"min_spacing_m={min_spacing_m:g}); not a survey",
            "confidence": "synthetic",
        },
        geometry=gpd.GeoSeries(shapely.points(x, y), index=ids, crs=_crs.INTERNAL),
        crs=_crs.INTERNAL,
    )
    columns = [c for c in spec("bridges").column_names if c in frame.columns]
    extra = [c for c in frame.columns if c not in columns and c != "geometry"]
    return frame[[*columns, *extra, "geometry"]]


# --- the register: field surveys in, lists and counts out ----------------------------------
#: Two sites closer than this (metres) are the same site.
DUPLICATE_DISTANCE_M = 5.0
#: How far (metres) outside the district boundary a surveyed site may lie.
REGISTER_MARGIN_M = 500.0
#: Approximate centres (WGS-84 lon, lat) of Pingshan's six subdistricts (坪山 碧岭 马峦 坑梓
#: 石井 龙田). No subdistrict polygons are published in open data, so a site is counted in
#: the subdistrict whose centre is nearest: an indicative split, not an official one.
SUBDISTRICT_CENTRES: Mapping[str, tuple[float, float]] = {
    "Pingshan 坪山": (114.345, 22.695),
    "Kengzi 坑梓": (114.385, 22.745),
    "Longtian 龙田": (114.365, 22.750),
    "Shijing 石井": (114.405, 22.690),
    "Biling 碧岭": (114.300, 22.665),
    "Maluan 马峦": (114.345, 22.650),
}
#: Header names (lower case) read as longitude and latitude, in order of preference.
LON_HEADERS = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_HEADERS = ("lat", "latitude", "y", "纬度")
STATS_BY = ("status", "host", "material", "subdistrict", "corridor")

_DATE_FORMS = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")


@dataclass(frozen=True)
class RowIssue:
    """One row of a survey file that was not added: its line, why, and (for a duplicate) of what."""

    line: int
    reason: str
    duplicate_of: str | None = None

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What :func:`import_sites` did (or, with ``dry_run``, would do)."""

    source: Path
    register: Path
    rows: int
    added: gpd.GeoDataFrame
    rejected: list[RowIssue] = field(default_factory=list)
    duplicates: list[RowIssue] = field(default_factory=list)
    rejects_file: Path | None = None
    dry_run: bool = False
    ignored_columns: tuple[str, ...] = ()  # kept in ``note`` as "column: value"

    def lines(self) -> list[str]:
        """The report as text lines, one per row not added, then a summary."""
        name = self.source.name
        out = [f"{name} line {i.line}: rejected: {i.reason}" for i in self.rejected]
        out += [f"{name} line {i.line}: duplicate: {i.reason}" for i in self.duplicates]
        if self.ignored_columns:
            out.append(f"{name}: columns the register has no place for, kept in note: {', '.join(self.ignored_columns)}")
        ids = list(self.added.index)
        span = f" ({ids[0]}..{ids[-1]})" if len(ids) > 1 else f" ({ids[0]})" if ids else ""
        verb = "would add" if self.dry_run else "added"
        out.append(f"{name}: {self.rows} rows: {verb} {len(ids)}{span}, {len(self.duplicates)} duplicate(s), "
                   f"{len(self.rejected)} rejected")
        if self.rejects_file is not None:
            out.append(f"rows not added, with line and reason: {self.rejects_file}")
        if self.dry_run:
            out.append(f"dry run: {self.register} and the rejects file were not written")
        else:
            out.append(f"register: {self.register}")
        return out


def _read_survey_csv(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):  # Excel in China often saves GB18030
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(f"{path}: not UTF-8 or GB18030 text")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: empty file") from None
    except csv.Error as exc:
        raise InputError(f"{path} line 1: not CSV: {exc}") from None
    rows, lines = [], []
    try:
        start = reader.line_num + 1
        for row in reader:
            if any(c.strip() for c in row):
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path} line {reader.line_num}: not CSV: {exc}") from None
    return [h.strip() for h in header], rows, lines


def _read_survey(path: Path) -> tuple[pd.DataFrame, list[int], str | None, dict]:
    """A survey file as a text table (lon, lat, attributes), its line numbers, its stated datum,
    and the raw records for the rejects file."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix in {".geojson", ".json"}:
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: not readable as GeoJSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
            raise InputError(f"{path}: not a GeoJSON FeatureCollection")
        feats = [f for f in doc.get("features", []) if isinstance(f, dict)]
        records = []
        for f in feats:
            props = dict(f.get("properties") or {})
            geom = f.get("geometry") or {}
            coords = geom.get("coordinates") if isinstance(geom, dict) else None
            ok = isinstance(geom, dict) and geom.get("type") == "Point" and isinstance(coords, list) and len(coords) >= 2
            props["lon"] = coords[0] if ok else ""
            props["lat"] = coords[1] if ok else ""
            if not ok:
                props["_row_problem"] = f"geometry is {geom.get('type') if isinstance(geom, dict) else None}, not a Point"
            if "id" not in props and f.get("id") is not None:
                props["id"] = f.get("id")
            records.append(props)
        table = pd.DataFrame.from_records(records) if records else pd.DataFrame(columns=["lon", "lat"])
        table = table.astype(object).where(table.notna(), "")
        table = table.map(lambda v: "" if v is None else str(v))
        stated = doc.get("ecomap:coordinates")
        return table, list(range(1, len(feats) + 1)), stated, {"kind": "geojson", "doc": doc, "features": feats}
    if suffix in {".csv", ".txt"}:
        header, rows, lines = _read_survey_csv(path)
        lowered = [h.lower() for h in header]
        lon_col = next((h for h in LON_HEADERS if h in lowered), None)
        lat_col = next((h for h in LAT_HEADERS if h in lowered), None)
        if lon_col is None or lat_col is None:
            raise InputError(f"{path} line 1: no longitude/latitude columns; name them lon,lat "
                             "(or longitude,latitude / x,y / 经度,纬度)")
        width = len(header)
        too_long = [f"{len(row)} fields but the header has {width}" if len(row) > width else "" for row in rows]
        padded = [(row + [""] * (width - len(row)))[:width] for row in rows]
        table = pd.DataFrame(padded, columns=lowered, dtype=object) if rows else pd.DataFrame(columns=lowered)
        table = table.rename(columns={lon_col: "lon", lat_col: "lat"})
        table = table.loc[:, ~table.columns.duplicated()]
        table["_row_problem"] = pd.Series(too_long, index=table.index, dtype=object)
        stated = None
        if "coordinates" in table.columns:
            vals = {v.strip().upper() for v in table["coordinates"] if v.strip()}
            stated = vals.pop() if len(vals) == 1 else None
        return table, lines, stated, {"kind": "csv", "header": header, "rows": rows}
    raise InputError(f"{path}: survey files are .csv or .geojson, not {suffix or 'no suffix'}")


def _normalise_choice(values: pd.Series) -> np.ndarray:
    return values.str.strip().str.lower().str.replace(" ", "_").str.replace("-", "_").to_numpy(dtype=object)


def _parse_dates(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ISO dates (YYYY-MM-DD) from YYYY-MM-DD, YYYY/M/D or YYYY.M.D; (values, bad, future)."""
    text = values.str.strip()
    parts = text.str.extract(_DATE_FORMS)
    iso = parts[0] + "-" + parts[1].str.zfill(2) + "-" + parts[2].str.zfill(2)
    parsed = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    empty = (text == "").to_numpy()
    bad = ~empty & parsed.isna().to_numpy()
    future = ~empty & ~bad & (parsed > pd.Timestamp.today().normalize()).to_numpy()
    out = np.where(empty | bad, None, iso.to_numpy(dtype=object))
    return out, bad, future


def _register_path(data_dir: str | os.PathLike | None) -> Path:
    from ..io import default_data_dir, layer_path

    return layer_path(Path(data_dir) if data_dir is not None else default_data_dir(), "bridges")


def _next_ids(taken: set[str], n: int) -> list[str]:
    """``n`` new ids ``B#####`` after the highest number in use; never one that is taken."""
    nums = [int(m.group(1)) for t in taken if (m := re.fullmatch(r"B(\d+)", t))]
    width = max([5, *(len(t) - 1 for t in taken if re.fullmatch(r"B\d+", t))])
    k = max(nums, default=0)
    out = []
    while len(out) < n:
        k += 1
        cand = f"B{k:0{width}d}"
        if cand not in taken:
            out.append(cand)
    return out


def import_sites(
    path: str | os.PathLike,
    *,
    data_dir: str | os.PathLike | None = None,
    crs: str = "wgs84",
    dry_run: bool = False,
    network: Network | None = None,
) -> ImportReport:
    """Add the sites of a field-survey file (CSV or GeoJSON) to the register, all or nothing.

    Every row is checked: coordinates parse, are longitude/latitude in range, not swapped,
    and lie inside the district plus :data:`REGISTER_MARGIN_M`; ``host``, ``material`` and
    ``status`` are in their allowed sets (case and spaces forgiven); ``installed`` is a date
    (``YYYY-MM-DD``, ``YYYY/M/D``), not in the future; ``confidence`` (default
    ``surveyed``) is allowed. A row with the id of a register site, or within
    :data:`DUPLICATE_DISTANCE_M` of a register site or of an earlier row, is a duplicate
    and is not added. Rows without an id get new ones after the highest ``B`` number in
    the register.

    The register (``<data>/bridges.geojson``) is rewritten through a temporary file and a
    rename, with its existing features kept as they were: either every valid row is added
    or, on any failure, the file is unchanged. Rows not added are written, with their line
    and reason, to ``<input>.rejects.csv`` (or ``.rejects.geojson``) beside the input.
    ``dry_run`` writes nothing and reports what would happen.

    Parameters
    ----------
    path
        The survey file: CSV with lon/lat columns (``lon,lat``, ``longitude,latitude``,
        ``x,y``, ``经度,纬度``; any case) or a GeoJSON FeatureCollection of Points.
    data_dir
        The data folder holding the register and the district boundary.
    crs
        ``wgs84`` (phone GPS) or ``gcj02`` (copied from a Chinese map app); never guessed.
        A file that states its datum (a ``coordinates`` column, an ``ecomap:coordinates``
        member) must agree.
    network
        An already loaded network of ``data_dir`` (else it is loaded).
    """
    from ..io import write_text
    from ..layers import check_layer
    from ..network import load_network

    path = Path(path)
    code = _crs.parse_crs(crs)
    if code not in {_crs.WGS84, _crs.GCJ02}:
        raise InputError(f"--crs {crs!r}: survey coordinates are wgs84 or gcj02")
    register = _register_path(data_dir if data_dir is not None else getattr(network, "data_dir", None))
    table, lines, stated, raw = _read_survey(path)
    datum = "GCJ-02" if code == _crs.GCJ02 else "WGS-84"
    if stated is not None and stated.replace("GCJ02", "GCJ-02").replace("WGS84", "WGS-84") != datum:
        raise InputError(f"{path}: the file says its coordinates are {stated}, but the import was asked "
                         f"to read {datum}; pass --crs {'gcj02' if 'GCJ' in stated.upper() else 'wgs84'}")
    net = network if network is not None else load_network(register.parent)
    bspec = spec("bridges")
    n = len(table)
    reasons: list[str | None] = [None] * n

    def reject(mask: np.ndarray, message) -> None:
        for i in np.flatnonzero(mask):
            if reasons[i] is None:
                reasons[i] = message(i) if callable(message) else message

    for col in ("lon", "lat"):
        if col not in table.columns:
            table[col] = ""
    if "_row_problem" in table.columns:
        gp = table["_row_problem"].to_numpy(dtype=object)
        reject(gp != "", lambda i: gp[i])
    lon_txt, lat_txt = table["lon"].str.strip(), table["lat"].str.strip()
    lon = pd.to_numeric(lon_txt, errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(lat_txt, errors="coerce").to_numpy(dtype=float)
    reject(lon_txt.eq("").to_numpy() | lat_txt.eq("").to_numpy(), "missing longitude or latitude")
    reject(~np.isfinite(lon), lambda i: f"longitude {lon_txt.iloc[i]!r} is not a number")
    reject(~np.isfinite(lat), lambda i: f"latitude {lat_txt.iloc[i]!r} is not a number")
    with np.errstate(invalid="ignore"):
        in_range = (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    district = net.district
    if district is None or shapely.is_empty(district):
        raise InputError(f"{register.parent}: no district boundary to check the sites against")
    area = shapely.buffer(district, REGISTER_MARGIN_M)
    shapely.prepare(area)
    tr = _crs._transformer(_crs.WGS84, _crs.INTERNAL)

    def to_internal(lo, la):
        lo, la = np.where(np.isfinite(lo), lo, 0.0), np.where(np.isfinite(la), la, 0.0)
        if code == _crs.GCJ02:
            lo, la = _crs.gcj02_to_wgs84(lo, la)
        x, y = tr.transform(lo, la)
        return np.asarray(lo), np.asarray(la), np.asarray(x), np.asarray(y)

    wlon, wlat, x, y = to_internal(lon, lat)
    _, _, sx, sy = to_internal(lat, lon)
    ok_xy = np.isfinite(x) & np.isfinite(y) & in_range
    inside = np.zeros(n, dtype=bool)
    inside[ok_xy] = shapely.intersects_xy(area, x[ok_xy], y[ok_xy])
    swapped = np.zeros(n, dtype=bool)
    sw = np.isfinite(sx) & np.isfinite(sy) & ~inside
    swapped[sw] = shapely.intersects_xy(area, sx[sw], sy[sw])
    reject(swapped, lambda i: f"coordinates look swapped: {lon_txt.iloc[i]},{lat_txt.iloc[i]} is (lat, lon); "
                              "longitude comes first")
    reject(~in_range, lambda i: f"{lon_txt.iloc[i]},{lat_txt.iloc[i]} is not a longitude/latitude in degrees")
    dist_out = np.zeros(n)
    far = ok_xy & ~inside
    if far.any():
        dist_out[far] = shapely.distance(district, shapely.points(x[far], y[far]))
    reject(far, lambda i: f"lies {dist_out[i] / 1000:.1f} km outside the district "
                          f"(allowed margin {REGISTER_MARGIN_M:g} m); wrong datum? (--crs {'wgs84' if code == _crs.GCJ02 else 'gcj02'})"
           if dist_out[i] < 3000 else f"lies {dist_out[i] / 1000:.1f} km outside the district "
                                      f"(allowed margin {REGISTER_MARGIN_M:g} m)")

    values: dict[str, np.ndarray] = {}
    for name in ("host", "material", "status"):
        allowed = bspec.column(name).allowed
        if name not in table.columns:
            raise InputError(f"{path} line 1: missing column {name!r} (one of {', '.join(allowed)})")
        v = _normalise_choice(table[name])
        raw_v = table[name].to_numpy(dtype=object)
        reject(v == "", f"{name} is missing")
        reject(~np.isin(v, allowed), lambda i, nm=name, al=allowed, rv=raw_v: f"{nm} {rv[i]!r} is not one of {', '.join(al)}")
        values[name] = v
    if "confidence" in table.columns:
        conf = _normalise_choice(table["confidence"])
        conf = np.where(conf == "", "surveyed", conf)
    else:
        conf = np.full(n, "surveyed", dtype=object)
    reject(~np.isin(conf, bspec.column("confidence").allowed),
           lambda i: f"confidence {conf[i]!r} is not one of {', '.join(bspec.column('confidence').allowed)}")
    values["confidence"] = conf
    if "installed" in table.columns:
        dates, bad, future = _parse_dates(table["installed"])
        inst_raw = table["installed"].to_numpy(dtype=object)
        reject(bad, lambda i: f"installed {inst_raw[i]!r} is not a date (YYYY-MM-DD)")
        reject(future, lambda i: f"installed {dates[i]} is in the future")
        values["installed"] = dates
    else:
        values["installed"] = np.full(n, None, dtype=object)
    extra_cols = sorted(c for c in table.columns
                        if c not in {"lon", "lat", "id", "coordinates", "_row_problem", *bspec.column_names})
    for name in ("note", "name_zh", "name_en"):
        col = table[name].str.strip().to_numpy(dtype=object) if name in table.columns else np.full(n, "", dtype=object)
        if name == "note" and extra_cols:  # columns the register has no place for are kept in the note
            kept = [[f"{c}: {v.strip()}" for c, v in zip(extra_cols, row, strict=True) if str(v).strip()]
                    for row in table[extra_cols].astype(str).itertuples(index=False)]
            col = np.array(["; ".join(p for p in (str(a), *b) if p) for a, b in zip(col, kept, strict=True)],
                           dtype=object)
        values[name] = np.where(col == "", None, col)
    src = table["source"].str.strip().to_numpy(dtype=object) if "source" in table.columns else np.full(n, "", dtype=object)
    values["source"] = np.where(src == "", f"field survey: {path.name}", src)
    given_id = table["id"].str.strip().to_numpy(dtype=object) if "id" in table.columns else np.full(n, "", dtype=object)

    # duplicates: same id, or within DUPLICATE_DISTANCE_M of a register site or an earlier row
    existing = net.bridges
    existing_ids = set(map(str, existing.index))
    valid = np.array([r is None for r in reasons], dtype=bool)
    dup_of: list[str | None] = [None] * n
    dup_reason: list[str | None] = [None] * n
    for i in np.flatnonzero(valid & (given_id != "")):
        if given_id[i] in existing_ids:
            dup_of[i], dup_reason[i] = given_id[i], f"id {given_id[i]} is already in the register"
    pts = shapely.points(x, y)
    if len(existing) and valid.any():
        vi = np.flatnonzero(valid)
        qi, ti = existing.sindex.query(pts[vi], predicate="dwithin", distance=DUPLICATE_DISTANCE_M)
        d = shapely.distance(pts[vi][qi], np.asarray(existing.geometry.values)[ti])
        order = np.lexsort((d, qi))
        for q, t, dd in zip(qi[order], ti[order], d[order], strict=True):
            i = vi[q]
            if dup_of[i] is None and dd <= DUPLICATE_DISTANCE_M:
                dup_of[i] = str(existing.index[t])
                dup_reason[i] = f"{dd:.1f} m from register site {existing.index[t]} (same site within {DUPLICATE_DISTANCE_M:g} m)"
    fresh = np.flatnonzero(valid & np.array([d is None for d in dup_of], dtype=bool))
    if len(fresh) > 1:
        tree = shapely.STRtree(pts[fresh])
        a, b = tree.query(pts[fresh], predicate="dwithin", distance=DUPLICATE_DISTANCE_M)
        earlier = a > b  # row fresh[a] comes after fresh[b]
        a, b = a[earlier], b[earlier]
        dd = shapely.distance(pts[fresh][a], pts[fresh][b])
        for q, t, d_ in sorted(zip(a, b, dd, strict=True)):
            i, j = fresh[q], fresh[t]
            if dup_of[i] is None and dup_of[j] is None and d_ <= DUPLICATE_DISTANCE_M:
                dup_of[i] = f"line {lines[j]}"
                dup_reason[i] = f"{d_:.1f} m from line {lines[j]} of this file (same site within {DUPLICATE_DISTANCE_M:g} m)"
    seen: dict[str, int] = {}
    for i in np.flatnonzero(valid):
        gid = given_id[i]
        if gid and dup_of[i] is None:
            if gid in seen:
                dup_of[i], dup_reason[i] = f"line {lines[seen[gid]]}", f"id {gid} repeats line {lines[seen[gid]]}"
            else:
                seen[gid] = i

    add = np.flatnonzero(valid & np.array([d is None for d in dup_of], dtype=bool))
    taken = existing_ids | {given_id[i] for i in add if given_id[i]}
    new_ids = iter(_next_ids(taken, int(sum(1 for i in add if not given_id[i]))))
    ids = [given_id[i] if given_id[i] else next(new_ids) for i in add]
    coords = np.column_stack([np.round(wlon[add], 7), np.round(wlat[add], 7)]) if len(add) else np.empty((0, 2))
    frame = pd.DataFrame({"id": ids}, dtype=object)
    for c in bspec.columns:
        if c.name in values:
            frame[c.name] = values[c.name][add]
        else:
            frame[c.name] = None
    added_wgs = gpd.GeoDataFrame(frame, geometry=shapely.points(coords), crs=_crs.WGS84)
    problems = check_layer(added_wgs, "bridges", file=str(path))
    if problems:  # the catalogue's own rules, as a last check: nothing reaches the register unchecked
        raise InputError(str(problems[0]))

    rejected = [RowIssue(lines[i], reasons[i]) for i in range(n) if reasons[i] is not None]
    duplicates = [RowIssue(lines[i], dup_reason[i], dup_of[i]) for i in range(n) if dup_of[i] is not None]
    report = ImportReport(
        source=path, register=register, rows=n,
        added=_crs.to_internal(added_wgs.set_index("id")),
        rejected=rejected, duplicates=duplicates, dry_run=dry_run,
        ignored_columns=tuple(extra_cols),
    )
    not_added = {i.line: i.reason for i in [*rejected, *duplicates]}
    if not_added:
        report.rejects_file = _rejects_path(path, raw["kind"])
    if dry_run:
        return report

    if len(add):
        if register.exists():
            doc = json.loads(register.read_text(encoding="utf-8"))
        else:
            doc = {"type": "FeatureCollection", "name": "bridges", "features": []}
        doc.setdefault("features", [])
        for rec, (lo, la) in zip(frame.to_dict("records"), coords, strict=True):
            props = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
            doc["features"].append({"type": "Feature", "properties": props,
                                    "geometry": {"type": "Point", "coordinates": [float(lo), float(la)]}})
        write_text(register, _dump_register(doc))
    if not_added:
        _write_rejects(report.rejects_file, raw, lines, not_added)
    return report


def _dump_register(doc: dict) -> str:
    """The register as GeoJSON text: one feature per line, so a diff shows the sites added."""
    head = {k: v for k, v in doc.items() if k != "features"}
    body = ",\n".join(json.dumps(f, ensure_ascii=False) for f in doc["features"])
    text = json.dumps(head, ensure_ascii=False)
    return text[:-1] + (", " if head else "") + '"features": [\n' + body + "\n]}\n"


def _rejects_path(path: Path, kind: str) -> Path:
    return path.with_name(f"{path.stem}.rejects.{'geojson' if kind == 'geojson' else 'csv'}")


def _write_rejects(dest: Path, raw: dict, lines: list[int], not_added: dict[int, str]) -> None:
    """The rows not added, exactly as the volunteer entered them, with line and reason first."""
    from ..io import write_text

    if raw["kind"] == "geojson":
        feats = []
        for line, f in zip(lines, raw["features"], strict=True):
            if line in not_added:
                g = json.loads(json.dumps(f))
                g["properties"] = {"reject_line": line, "reject_reason": not_added[line], **(g.get("properties") or {})}
                feats.append(g)
        write_text(dest, json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False, indent=1) + "\n")
        return
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["line", "reason", *raw["header"]])
    for line, row in zip(lines, raw["rows"], strict=True):
        if line in not_added:
            w.writerow([line, not_added[line], *row])
    write_text(dest, "\ufeff" + buf.getvalue())


# --- list and stats -------------------------------------------------------------------------
def list_sites(network: Network, *, status: list[str] | tuple[str, ...] | None = None,
               within: str | None = None) -> gpd.GeoDataFrame:
    """Register sites, optionally only some statuses and only inside ``LAYER:ID`` (a polygon or
    a corridor's footprint); in register order."""
    from ..query import query

    where = None
    if status:
        allowed = spec("bridges").column("status").allowed
        bad = [s for s in status if s not in allowed]
        if bad:
            raise InputError(f"status {bad[0]!r} is not one of {', '.join(allowed)}")
        where = "status in [" + ", ".join(f"'{s}'" for s in status) + "]"
    return query(network, "bridges", within=within, where=where)


def subdistrict_of(sites: gpd.GeoDataFrame) -> pd.Series:
    """Each site's subdistrict: the one whose approximate centre is nearest (indicative)."""
    names = list(SUBDISTRICT_CENTRES)
    lon, lat = np.array(list(SUBDISTRICT_CENTRES.values())).T
    cx, cy = _crs._transformer(_crs.WGS84, _crs.INTERNAL).transform(lon, lat)
    xy = shapely.get_coordinates(sites.geometry.values)
    if len(xy) == 0:
        return pd.Series([], index=sites.index, dtype=object, name="subdistrict")
    d2 = (xy[:, :1] - np.asarray(cx)[None, :]) ** 2 + (xy[:, 1:2] - np.asarray(cy)[None, :]) ** 2
    return pd.Series(np.asarray(names, dtype=object)[d2.argmin(axis=1)], index=sites.index, name="subdistrict")


def corridor_of(network: Network, sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """(site id, corridor id) for every site inside a corridor's footprint (centre line
    buffered by ``width_m / 2``); a site in two corridors appears twice."""
    cor = network.corridors
    if len(cor) == 0 or len(sites) == 0:
        return pd.DataFrame({"id": pd.Series([], dtype=object), "corridor": pd.Series([], dtype=object)})
    width = cor["width_m"].to_numpy(dtype=float)
    feet = cor.geometry.buffer(np.where(np.isfinite(width), width, 0.0) / 2.0).values
    fi, si = sites.sindex.query(np.asarray(feet), predicate="intersects")
    out = pd.DataFrame({"id": np.asarray(sites.index)[si], "corridor": np.asarray(cor.index)[fi]})
    return out.sort_values(["corridor", "id"], kind="stable").reset_index(drop=True)


def site_stats(network: Network, *, by: str = "status", sites: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Counts of register sites by ``status``, ``host``, ``material``, ``subdistrict`` or ``corridor``.

    Returns a table indexed by the group with columns ``sites`` and ``share`` (of all
    sites; for corridors a site may count in several, and ``(none)`` counts those in none),
    and, except for ``status``, one column per status.
    """
    if by not in STATS_BY:
        raise InputError(f"stats by {by!r}: choose one of {', '.join(STATS_BY)}")
    sites = network.bridges if sites is None else sites
    total = len(sites)
    if by == "corridor":
        pairs = corridor_of(network, sites)
        none = sites.index.difference(pairs["id"])
        groups = pd.concat([pairs, pd.DataFrame({"id": none, "corridor": "(none)"})], ignore_index=True)
        key = groups["corridor"]
        status = sites["status"].reindex(groups["id"]).to_numpy()
    else:
        key = subdistrict_of(sites) if by == "subdistrict" else sites[by].astype(object)
        status = sites["status"].to_numpy()
    frame = pd.DataFrame({by: np.asarray(key, dtype=object), "status": np.asarray(status, dtype=object)})
    table = frame.groupby(by).size().rename("sites").to_frame()
    if by != "status":
        per = frame.groupby([by, "status"]).size().unstack(fill_value=0)
        order = [s for s in spec("bridges").column("status").allowed if s in per.columns]
        table = table.join(per[order])
    table["share"] = table["sites"] / total if total else 0.0
    return table.sort_values("sites", ascending=False, kind="stable")
