"""The synthetic register: a seeded generator that puts each site where such structures go.

No public register of escape-bridge sites exists, so ecomap ships a seed register made by
:func:`synthesize`. Its steps: find the host features (``_find_hosts``), split ``n``
among the host kinds the network has (``_host_counts``), place the sites by each kind's
rule (spaced apart, ``_spacing._spaced``, or independently), then draw their attributes
(``_attributes``) and lay them out as the ``bridges`` layer (``_register_frame``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..layers import spec
from ..network import Network
from ._place import _along, _crossings, _inside, _near_crossings, _parts
from ._spacing import _spaced

__all__ = ["HOST_SHARES", "MATERIALS", "STATUS_SHARES", "MAX_OFFSET_M", "MIN_SPACING_M", "synthesize"]

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

#: Each kind's sideways offset (metres) from its host line: uniform in this range.
_OFFSETS_M = {"ditch": (2.0, 8.0), "interception_ditch": (0.0, 5.0), "pool": (0.0, 10.0)}


@dataclass(frozen=True)
class _Hosts:
    """The host features of every kind, clipped to the inset district, with ``layer:id`` labels."""

    trails: np.ndarray
    trail_lab: np.ndarray
    res_lines: np.ndarray   # the roads round the reservoirs
    res_lab: np.ndarray
    river: np.ndarray
    river_lab: np.ndarray
    cross_line: np.ndarray  # stream crossings: index into ``river`` ...
    cross_at: np.ndarray    # ... and distance along it (metres)
    parks: np.ndarray
    park_lab: np.ndarray
    pool_lines: np.ndarray  # the streams inside the parks
    pool_lab: np.ndarray

    def available(self) -> dict[str, bool]:
        """Return which host kinds the network has something to place on."""
        return {
            "ditch": len(self.trails) > 0,
            "interception_ditch": len(self.res_lines) > 0,
            "culvert": len(self.cross_line) > 0,
            "well": len(self.parks) > 0 and float(shapely.area(self.parks).sum()) > 0,
            "pool": len(self.pool_lines) > 0,
        }

    def zones(self) -> dict[str, tuple[np.ndarray, float]]:
        """Return each kind's hosts and how far (metres) from them its rule may place a site."""
        return {"ditch": (self.trails, 8.0), "interception_ditch": (self.res_lines, 5.0),
                "culvert": (self.river, 0.0), "well": (self.parks, 0.0), "pool": (self.pool_lines, 10.0)}

    def draw(self, rng: np.random.Generator, kind: str, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Draw ``m`` candidate sites of one host kind, by its placement rule: (x, y, host label)."""
        if kind == "ditch":
            return _along(rng, self.trails, self.trail_lab, m, _OFFSETS_M[kind])
        if kind == "interception_ditch":
            return _along(rng, self.res_lines, self.res_lab, m, _OFFSETS_M[kind])
        if kind == "pool":
            return _along(rng, self.pool_lines, self.pool_lab, m, _OFFSETS_M[kind])
        if kind == "well":
            return _inside(rng, self.parks, self.park_lab, m)
        return _near_crossings(rng, self.river, self.river_lab, self.cross_line, self.cross_at, m,
                               _CULVERT_SPREAD_M)


def _check_request(n: int, min_spacing_m: float) -> None:
    """Refuse a negative count or spacing."""
    if n < 0:
        raise InputError(f"number of sites must be 0 or more, not {n}")
    if not np.isfinite(min_spacing_m) or min_spacing_m < 0:
        raise InputError(f"minimum spacing must be 0 m or more, not {min_spacing_m}")


def _inset_district(network: Network):
    """Return the district shrunk by ``_INSET_M``: every host is clipped to it."""
    district = network.district
    if district is None or shapely.is_empty(district):
        raise InputError("the network has no district boundary to place bridge sites in")
    return shapely.buffer(district, -_INSET_M)


def _find_hosts(network: Network, keep) -> _Hosts:
    """Find the trails, reservoir roads, streams and their crossings, parks and the streams in them."""
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
    return _Hosts(trails, trail_lab, res_lines, res_lab, river, river_lab, cross_line, cross_at,
                  parks, park_lab, pool_lines, pool_lab)


def _host_counts(rng: np.random.Generator, hosts: _Hosts,
                 n: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the kinds the network can host, their renormalised shares and a split of ``n``."""
    available = hosts.available()
    kinds = [k for k in HOST_SHARES if available[k]]
    if n and not kinds:
        raise InputError("the network has nothing to place bridge sites on inside the district "
                         "(needs trails, reservoirs, river, or park polygons)")
    share = np.array([HOST_SHARES[k] for k in kinds], dtype=float)
    counts = rng.multinomial(n, share / share.sum()) if kinds else np.array([], dtype=int)
    return kinds, share, counts


def _check_room(hosts: _Hosts, kinds: list[str], n: int, min_spacing_m: float) -> None:
    """Refuse before drawing when ``n`` sites ``min_spacing_m`` apart cannot fit.

    Disks of radius spacing / 2 round the sites do not overlap and lie within spacing / 2
    of the places the rules allow: their area bounds the count.
    """
    half = float(min_spacing_m) / 2
    zones = hosts.zones()
    area = sum(float(shapely.area(shapely.buffer(zones[k][0], zones[k][1] + half)).sum()) for k in kinds)
    most = int(area / (np.pi * half * half))
    if n > most:
        raise InputError(f"the district holds at most about {most} bridge sites {min_spacing_m:g} m apart "
                         f"on its ditches, reservoir roads, culverts, wells and pools, not {n}: ask for "
                         f"fewer sites or a smaller minimum spacing")


def _unspaced(draw, kinds: list[str], counts: np.ndarray) -> tuple[np.ndarray, ...]:
    """Draw each kind's count of sites independently: (x, y, host label, host kind)."""
    xs, ys, hosts, host_kind = [], [], [], []
    for kind, m in zip(kinds, counts, strict=True):
        if m == 0:
            continue
        x, y, lab = draw(kind, int(m))
        xs.append(x)
        ys.append(y)
        hosts.append(lab)
        host_kind.append(np.full(m, kind, dtype=object))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(hosts), np.concatenate(host_kind)


def _place(rng: np.random.Generator, hosts: _Hosts, kinds: list[str], share: np.ndarray,
           counts: np.ndarray, min_spacing_m: float) -> tuple[np.ndarray, ...]:
    """Place all ``counts.sum()`` sites, spaced or not, in a seeded random order: (x, y, label, kind)."""
    n = int(counts.sum())
    if n == 0:
        return np.array([]), np.array([]), np.array([], dtype=object), np.array([], dtype=object)
    draw = partial(hosts.draw, rng)
    if min_spacing_m > 0:
        _check_room(hosts, kinds, n, min_spacing_m)
        x, y, host_feature, host = _spaced(rng, draw, kinds, counts, share, float(min_spacing_m))
    else:
        x, y, host_feature, host = _unspaced(draw, kinds, counts)
    order = rng.permutation(n)
    return x[order], y[order], host_feature[order], host[order]


def _attributes(rng: np.random.Generator, host: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``material`` (by host), ``status`` and ``installed`` (ISO date, ``None`` when planned)."""
    n = len(host)
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
    return material, status, installed


def _register_frame(x, y, columns: dict[str, np.ndarray], source: str) -> gpd.GeoDataFrame:
    """Lay the sites out as the ``bridges`` layer: ids ``B00001``..., catalogue columns first."""
    n = len(x)
    width = max(5, len(str(n)))
    ids = pd.Index([f"B{i:0{width}d}" for i in range(1, n + 1)], name="id", dtype="object")
    empty = [None] * n
    data = {name: pd.Series(columns.get(name, empty), index=ids, dtype="object")
            for name in ("host", "material", "status", "installed", "host_feature", "note", "name_zh", "name_en")}
    frame = gpd.GeoDataFrame(
        {**data, "source": source, "confidence": "synthetic"},
        geometry=gpd.GeoSeries(shapely.points(x, y), index=ids, crs=_crs.INTERNAL),
        crs=_crs.INTERNAL,
    )
    order = [c for c in spec("bridges").column_names if c in frame.columns]
    extra = [c for c in frame.columns if c not in order and c != "geometry"]
    return frame[[*order, *extra, "geometry"]]


def synthesize(network: Network, n: int, *, seed: int = 0,
               min_spacing_m: float = MIN_SPACING_M) -> gpd.GeoDataFrame:
    """Make a synthetic register of ``n`` escape-bridge sites, placed where such structures go.

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
    network : ecomap.network.Network
        The layers to place sites on (``boundary``, and any of ``trails``, ``river``,
        ``reservoirs``, ``barriers``, ``ridge``, ``patches``), in EPSG:4547 metres.
    n : int
        Number of sites (0 or more).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`: the same network, ``n`` and ``seed``
        always give the same register.
    min_spacing_m : float, default :data:`MIN_SPACING_M` (10 m)
        Least distance (metres) between two sites; ``0`` places every site independently
        (sites may then coincide).

    Returns
    -------
    geopandas.GeoDataFrame
        The ``bridges`` layer in EPSG:4547, ``n`` Point rows indexed by ``id``
        (``B00001``, ...), with ``confidence = "synthetic"``.

    Raises
    ------
    InputError
        If ``n`` or ``min_spacing_m`` is negative, the network has no district or nothing
        to place sites on, or its hosts cannot hold ``n`` sites ``min_spacing_m`` apart (the
        message says about how many they hold).
    """
    _check_request(n, min_spacing_m)
    keep = _inset_district(network)
    rng = np.random.default_rng(seed)
    hosts = _find_hosts(network, keep)
    kinds, share, counts = _host_counts(rng, hosts, n)
    x, y, host_feature, host = _place(rng, hosts, kinds, share, counts, min_spacing_m)
    material, status, installed = _attributes(rng, host)
    columns = {"host": host, "material": material, "status": status, "installed": installed,
               "host_feature": host_feature}
    source = (f"synthetic: ecomap.bridges.synthesize(n={n}, seed={seed}, "
              f"min_spacing_m={min_spacing_m:g}); not a survey")
    return _register_frame(x, y, columns, source)
