"""Listing and counting register sites: by status, host, material, subdistrict or corridor."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..layers import spec
from ..network import Network, corridor_footprints
from ..store._url import is_database_url

__all__ = ["SUBDISTRICT_CENTRES", "STATS_BY", "list_sites", "site_stats", "subdistrict_of", "corridor_of"]

#: Approximate centres (WGS-84 lon, lat) of Pingshan's six subdistricts (坪山 碧岭 马峦 坑梓
#: 石井 龙田): the fallback of :func:`subdistrict_of` for a data folder without a
#: ``subdistricts`` layer (the bundled data has the OSM polygons).
SUBDISTRICT_CENTRES: Mapping[str, tuple[float, float]] = {
    "Pingshan 坪山": (114.345, 22.695),
    "Kengzi 坑梓": (114.385, 22.745),
    "Longtian 龙田": (114.365, 22.750),
    "Shijing 石井": (114.405, 22.690),
    "Biling 碧岭": (114.300, 22.665),
    "Maluan 马峦": (114.345, 22.650),
}
#: What :func:`site_stats` can count by.
STATS_BY = ("status", "host", "material", "subdistrict", "corridor")


def list_sites(network: Network | str, *, status: list[str] | tuple[str, ...] | None = None,
               within: str | None = None) -> gpd.GeoDataFrame:
    """List register sites, optionally only some statuses and only inside one feature.

    Parameters
    ----------
    network : ecomap.network.Network or str
        The network whose ``bridges`` layer is the register, or a ``postgresql://`` URL
        (then PostGIS picks the sites with its GiST index, see :func:`ecomap.query.query`).
    status : list of str, optional
        Keep only these statuses (``planned``, ``built``, ``damaged``, ``removed``).
    within : str, optional
        ``LAYER:ID`` of a polygon or a corridor (its footprint, see
        :func:`ecomap.network.corridor_footprints`), e.g. ``corridors:C07``.

    Returns
    -------
    geopandas.GeoDataFrame
        The sites kept, in EPSG:4547, indexed by ``id``.

    Raises
    ------
    InputError
        If a status is not one of the allowed ones, or ``within`` names no feature (see
        :func:`ecomap.query.query`).
    """
    from ..query import query

    where = None
    if status:
        allowed = spec("bridges").column("status").allowed
        bad = [s for s in status if s not in allowed]
        if bad:
            raise InputError(f"status {bad[0]!r} is not one of {', '.join(allowed)}")
        where = "status in [" + ", ".join(f"'{s}'" for s in status) + "]"
    return query(network, "bridges", within=within, where=where)


def subdistrict_of(sites: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame | None = None) -> pd.Series:
    """Name each site's subdistrict: the polygon that holds it, else the nearest one.

    With a ``subdistricts`` layer (Pingshan's six 街道 from OpenStreetMap in the bundled
    data), a site takes the subdistrict whose polygon covers it; a site outside every
    polygon (the outlines leave slivers along the district edge) takes the nearest
    polygon, so every site is counted once. Without one, the nearest of the approximate
    centres in :data:`SUBDISTRICT_CENTRES` is taken (indicative).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Point sites in EPSG:4547 metres.
    subdistricts : geopandas.GeoDataFrame, optional
        Polygons in EPSG:4547 with ``name_en`` and ``name_zh``; empty or None falls back
        to the centres.

    Returns
    -------
    pandas.Series
        Subdistrict name (``"Pingshan 坪山街道"``, ...) per site, same index, named
        ``subdistrict``.
    """
    if len(sites) == 0:
        return pd.Series([], index=sites.index, dtype=object, name="subdistrict")
    if subdistricts is None or len(subdistricts) == 0:
        return _nearest_centre(sites)
    names = (subdistricts["name_en"].fillna("").astype(str) + " "
             + subdistricts["name_zh"].fillna("").astype(str)).str.strip()
    names = names.where(names != "", pd.Series(subdistricts.index.astype(str), index=subdistricts.index))
    polys = subdistricts.geometry.values
    tree = gpd.GeoSeries(polys).sindex
    site_i, poly_i = tree.query(sites.geometry.values, predicate="covered_by")
    label = np.full(len(sites), None, dtype=object)
    first = np.unique(site_i, return_index=True)[1]  # a point on a shared edge: the first polygon
    label[site_i[first]] = np.asarray(names, dtype=object)[poly_i[first]]
    missing = np.flatnonzero(label == None)  # noqa: E711  (object array)
    if len(missing):
        _, nearest = tree.nearest(sites.geometry.values[missing], return_all=False)
        label[missing] = np.asarray(names, dtype=object)[nearest]
    return pd.Series(label, index=sites.index, name="subdistrict")


def _nearest_centre(sites: gpd.GeoDataFrame) -> pd.Series:
    names = list(SUBDISTRICT_CENTRES)
    lon, lat = np.array(list(SUBDISTRICT_CENTRES.values())).T
    cx, cy = _crs.lonlat_to_internal(lon, lat)
    xy = shapely.get_coordinates(sites.geometry.values)
    d2 = (xy[:, :1] - cx[None, :]) ** 2 + (xy[:, 1:2] - cy[None, :]) ** 2
    return pd.Series(np.asarray(names, dtype=object)[d2.argmin(axis=1)], index=sites.index, name="subdistrict")


def corridor_of(network: Network, sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """Pair every site with each corridor whose footprint holds it: (site id, corridor id).

    The footprint is the one rule, :func:`ecomap.network.corridor_footprints` (centre
    line buffered by ``width_m / 2``); a site on its edge counts.

    Parameters
    ----------
    network : ecomap.network.Network
        The network whose ``corridors`` layer is used.
    sites : geopandas.GeoDataFrame
        Point sites in EPSG:4547, indexed by id.

    Returns
    -------
    pandas.DataFrame
        Columns ``id`` and ``corridor``, sorted by corridor then site; a site in two
        corridors appears twice, a site in none not at all.

    Raises
    ------
    InputError
        If a corridor has no usable ``width_m`` (missing, not a number or not positive).
    """
    cor = network.corridors
    if len(cor) == 0 or len(sites) == 0:
        return pd.DataFrame({"id": pd.Series([], dtype=object), "corridor": pd.Series([], dtype=object)})
    feet = corridor_footprints(cor).values
    fi, si = sites.sindex.query(np.asarray(feet), predicate="intersects")
    out = pd.DataFrame({"id": np.asarray(sites.index)[si], "corridor": np.asarray(cor.index)[fi]})
    return out.sort_values(["corridor", "id"], kind="stable").reset_index(drop=True)


def _group_keys(network: Network, sites: gpd.GeoDataFrame, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Return the group of each counted site and its status.

    For corridors there is one row per (site, corridor) and ``(none)`` for a site in none.
    """
    if by == "corridor":
        pairs = corridor_of(network, sites)
        none = sites.index.difference(pairs["id"])
        groups = pd.concat([pairs, pd.DataFrame({"id": none, "corridor": "(none)"})], ignore_index=True)
        key = groups["corridor"]
        status = sites["status"].reindex(groups["id"]).to_numpy()
    else:
        key = subdistrict_of(sites, network.subdistricts) if by == "subdistrict" else sites[by].astype(object)
        status = sites["status"].to_numpy()
    return np.asarray(key, dtype=object), np.asarray(status, dtype=object)


def site_stats(network: Network | str, *, by: str = "status", sites: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Count register sites by ``status``, ``host``, ``material``, ``subdistrict`` or ``corridor``.

    Parameters
    ----------
    network : ecomap.network.Network or str
        The network (its register, corridors), or a ``postgresql://`` URL: then the
        counting is SQL (:func:`ecomap.store.stats.site_groups`), same answers.
    by : str, default "status"
        One of :data:`STATS_BY`. ``subdistrict`` is the subdistrict polygon holding the
        site, else the nearest (:func:`subdistrict_of`); ``corridor`` the footprints a site lies in
        (:func:`corridor_of`).
    sites : geopandas.GeoDataFrame, optional
        The sites to count (EPSG:4547); default the whole register.

    Returns
    -------
    pandas.DataFrame
        Indexed by the group, most sites first, with columns ``sites`` and ``share`` (of
        all sites; for corridors a site may count in several, and ``(none)`` counts those
        in none), and, except for ``status``, one column per status.

    Raises
    ------
    InputError
        If ``by`` is not one of :data:`STATS_BY`, or (by corridor) a corridor has no usable
        ``width_m``.
    """
    if by not in STATS_BY:
        raise InputError(f"stats by {by!r}: choose one of {', '.join(STATS_BY)}")
    if is_database_url(network) and sites is None:  # PostGIS: SQL groups, the GiST index for corridors
        from ..store.stats import StatsRules, site_groups

        rules = StatsRules(subdistrict_of, lambda cor, s: corridor_of(Network({"corridors": cor}), s))
        key, status, total = site_groups(network, by, rules)
    else:
        sites = network.bridges if sites is None else sites
        total = len(sites)
        key, status = _group_keys(network, sites, by)
    return _count_table(by, key, status, total)


def _count_table(by: str, key: np.ndarray, status: np.ndarray, total: int) -> pd.DataFrame:
    """The table of :func:`site_stats` from the group and status of every counted site."""
    frame = pd.DataFrame({by: key, "status": status})
    table = frame.groupby(by).size().rename("sites").to_frame()
    if by != "status":
        per = frame.groupby([by, "status"]).size().unstack(fill_value=0)
        order = [s for s in spec("bridges").column("status").allowed if s in per.columns]
        table = table.join(per[order])
    table["share"] = table["sites"] / total if total else 0.0
    return table.sort_values("sites", ascending=False, kind="stable")
