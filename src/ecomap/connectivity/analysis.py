"""The whole analysis: graph -> indices -> removal importance -> joins -> tables and summary.

:func:`analyse` runs every step on a :class:`~ecomap.network.Network` and returns a
:class:`ConnectivityResult` (the figures the CLI, the report and the web maps show).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import connected_components

from .. import crs as _crs
from .._errors import InputError
from ..joins import barrier_crossings, bridge_counts, corridor_ends, trail_lengths
from ..network import Network
from ._common import DEFAULT_MEDIAN_DISPERSAL_M, check_positive, plain
from ._restore import restore_gains
from .graph import Graph, all_pairs_graph, build_graph, corridor_distances
from .indices import GRAVITY_MIN_LENGTH_M, betweenness, gravity, structure_indices
from .removal import _Index, removal_importance

__all__ = ["ConnectivityResult", "analyse"]


@dataclass
class ConnectivityResult:
    """The outcome of :func:`analyse`.

    Attributes
    ----------
    summary : dict
        Network-level figures: ``iic``, ``pc``, ``ec_pc``, ``ec_iic``, ``alpha``, ``beta``,
        ``gamma``, ``components``, counts, the options used (``pc_pairs``: which pairs PC
        counted) and ``unattached_corridors``.
    patches : pandas.DataFrame
        Indexed by patch id: area, quality, attribute, dIIC, dPC and its fractions,
        betweenness, trail length.
    corridors : pandas.DataFrame
        Indexed by corridor (or link) id: rank, ends, lengths, dIIC, dPC, betweenness,
        restore_dPC, gravity, bridges, crossings, gaps, trail length.
    gaps : geopandas.GeoDataFrame
        Uncovered barrier crossings in EPSG:4547.
    graph : Graph, optional
        The habitat graph the figures come from.
    """

    summary: dict
    patches: pd.DataFrame
    corridors: pd.DataFrame
    gaps: gpd.GeoDataFrame
    graph: Graph | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """Return the JSON shape: the summary's keys, then ``patches``, ``corridors``, ``gaps`` lists.

        Returns
        -------
        dict
            JSON-ready (NaN as ``None``, counts and ranks as integers, gap points as
            WGS-84 ``lon``/``lat`` rounded to 6 decimals).
        """
        return {**{k: plain(v) for k, v in self.summary.items()},
                "patches": _rows(self.patches), "corridors": _rows(self.corridors),
                "gaps": _gap_rows(self.gaps)}

    def to_json(self, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON text (NaN written as null).

        Parameters
        ----------
        indent : int or None, default 2
            As :func:`json.dumps`.

        Returns
        -------
        str
            The JSON text, non-ASCII characters kept.
        """
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


def _rows(df: pd.DataFrame) -> list[dict]:
    out = df.reset_index().rename(columns={df.index.name or "index": "id"})
    recs = [{k: plain(v) for k, v in r.items()} for r in out.to_dict(orient="records")]
    for r in recs:  # counts and ranks as integers
        for k in ("rank", "bridges", "crossings", "gaps"):
            if isinstance(r.get(k), float):
                r[k] = int(r[k])
    return recs


def _gap_rows(gaps: gpd.GeoDataFrame) -> list[dict]:
    if not len(gaps):
        return []
    ll = gaps.to_crs(_crs.WGS84).geometry
    g = pd.DataFrame({
        "corridor_id": gaps["corridor_id"].to_numpy(),
        "barrier_id": gaps["barrier_id"].to_numpy(),
        "lon": np.round(ll.x.to_numpy(), 6),
        "lat": np.round(ll.y.to_numpy(), 6),
        "kind": gaps["kind"].to_numpy(),
        "permeability": gaps["permeability"].to_numpy(),
    })
    return [{k: plain(v) for k, v in r.items()} for r in g.to_dict(orient="records")]


def _landscape_area(network: Network, landscape_area_km2: float | None) -> float:
    if landscape_area_km2 is not None:
        return check_positive(landscape_area_km2, "landscape area (km²)")
    # The landscape is the study area the patches lie in: the district, the city's districts
    # where the data carries them (the framework spans the city), and any patch reaching
    # beyond both. Taking the district alone would let city-wide patches push IIC/PC past 1.
    parts = [network[name].geometry.values for name in ("boundary", "districts", "patches")]
    geoms = np.concatenate(parts) if parts else np.array([])
    area = float(shapely.area(shapely.union_all(geoms))) / 1e6 if len(network.boundary) else 0.0
    if area <= 0:
        raise InputError("no boundary to take the landscape area from; give --landscape-area KM2")
    return area


def analyse(
    network: Network,
    *,
    median_dispersal: float = DEFAULT_MEDIAN_DISPERSAL_M,
    links: str = "corridors",
    threshold: float | None = None,
    landscape_area_km2: float | None = None,
    cost_lengths: pd.Series | dict | None = None,
    patch_resistance: pd.Series | dict | None = None,
    gravity_area_unit: str = "ha",
    cover_distance_m: float = 100.0,
    exclude_status: tuple[str, ...] = ("broken",),
    pc_pairs: str = "all",
) -> ConnectivityResult:
    """Every connectivity figure of a network: indices, patch and corridor importance, gaps.

    Steps: graph -> IIC, PC, removal importance -> betweenness -> joins -> tables, summary.

    Parameters
    ----------
    network : Network
        The layers in EPSG:4547 (patches, corridors; bridges, barriers, trails, boundary
        and districts where present).
    median_dispersal : float, default 2000
        Distance (m) at which the direct dispersal probability is 0.5 (θ = ln 2 / median).
    links : {"corridors", "distance"}, default "corridors"
        The corridors, or all patch pairs within ``threshold`` m edge to edge.
    threshold : float, optional
        Link distance in metres for ``links="distance"``.
    landscape_area_km2 : float, optional
        A_L of IIC and PC; by default the area of the union of boundary, districts and patches.
    cost_lengths : pandas.Series or dict, optional
        Cost-weighted corridor lengths replacing the geometric ones as link distances.
    patch_resistance : pandas.Series or dict, optional
        Mean resistance P of each patch for the gravity model (1 where not given).
    gravity_area_unit : {"m2", "ha", "km2"}, default "ha"
        The unit patch areas take in the gravity model's ln S.
    cover_distance_m : float, default 100
        How near (m) a bridge site or tunnel must be to a barrier crossing to cover it.
    exclude_status : tuple of str, default ("broken",)
        Corridor statuses left out of the graph. Their ``restore_dPC`` says by how much PC
        would rise if each were restored alone (100 ΔPC_num / PC_num, exact: one Dijkstra
        per source, then for each corridor only the patches it brings nearer; NaN for a
        corridor that does not join two different patches).
    pc_pairs : {"all", "links"}, default "all"
        With ``links="distance"``, which pairs PC (and dPC) count: ``"all"``, every pair
        of patches with p_ij = exp(−θ × gap), as Conefor and Makurhini do (the graph has
        n (n − 1) / 2 links, its cost grows as n²); ``"links"``, only pairs joined by a
        path of links within ``threshold``. IIC, betweenness and the link table always
        use the threshold links. No effect with ``links="corridors"``.

    Returns
    -------
    ConnectivityResult
        Summary, patches, corridors (ranked by dPC, dIIC, then gravity), gaps, graph.

    Raises
    ------
    InputError
        If a distance or area is not positive, an option's value is unknown, there is no
        boundary and no ``landscape_area_km2``, or a corridor has no positive ``width_m``.

    Warns
    -----
    EcomapWarning
        If ``cost_lengths`` misses corridors that link two patches.

    References
    ----------
    Pascual-Hortal & Saura (2006): IIC; Saura & Pascual-Hortal (2007): PC; Saura & Rubio
    (2010): dPC fractions; Kong et al. (2010): gravity model.
    """
    median_dispersal = check_positive(median_dispersal, "median dispersal distance (m)")
    area = _landscape_area(network, landscape_area_km2)
    if pc_pairs not in {"all", "links"}:
        raise InputError(f"pc_pairs must be 'all' or 'links', not {pc_pairs!r}")
    graph = build_graph(network, links=links, threshold=threshold, cost_lengths=cost_lengths,
                        exclude_status=exclude_status)
    pc_graph = all_pairs_graph(network) if links == "distance" and pc_pairs == "all" else graph
    res_iic = removal_importance(graph, kind="iic", landscape_area=area)
    res_pc = removal_importance(pc_graph, kind="pc", landscape_area=area, median_dispersal_m=median_dispersal)
    nb, lb = betweenness(graph)
    patches = _patch_table(network, graph, res_iic, res_pc, nb)
    corridor_trails, patch_trails = trail_lengths(network)
    crossings = barrier_crossings(network, cover_distance_m=cover_distance_m)
    gaps = crossings[~crossings["covered"].astype(bool)]
    corr, unattached = _corridor_rows(
        network, graph, res_iic, res_pc, lb, links=links, median_dispersal=median_dispersal,
        cost_lengths=cost_lengths, patch_resistance=patch_resistance, gravity_area_unit=gravity_area_unit,
        joins=(crossings, gaps, corridor_trails))
    patches["trail_m"] = patch_trails.reindex(patches.index.astype(object)).to_numpy() if len(patches) else []
    summary = _summary(graph, res_iic, res_pc, links=links, threshold=threshold,
                       median_dispersal=median_dispersal, area=area, gravity_area_unit=gravity_area_unit,
                       pc_pairs=pc_pairs if links == "distance" else "links",
                       crossings=crossings, gaps=gaps, cover_distance_m=cover_distance_m, unattached=unattached)
    return ConnectivityResult(summary, patches, corr, _gap_table(gaps), graph)


def _corridor_rows(network: Network, graph: Graph, res_iic: _Index, res_pc: _Index, lb: pd.Series, *,
                   links: str, median_dispersal: float, cost_lengths, patch_resistance, gravity_area_unit: str,
                   joins: tuple) -> tuple[pd.DataFrame, list[str]]:
    """Build the ranked corridor (or link) table; list the corridors attached to no patch."""
    if links == "corridors":
        ends = corridor_ends(network)
        corr = _corridor_table(network, ends, graph, res_iic, res_pc, lb, median_dispersal, cost_lengths)
        corr["gravity"] = _gravity_column(graph, corr, patch_resistance, gravity_area_unit)
        _add_joins(network, corr, *joins)
        unattached = _unattached(ends)
    else:
        corr = _link_table(graph, res_iic, res_pc, lb)
        corr["gravity"] = _gravity_column(graph, corr, patch_resistance, gravity_area_unit)
        unattached = []
    corr.index.name = "id"
    corr.insert(0, "rank", _rank(corr))
    return corr, unattached


def _gap_table(gaps: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Keep the columns of the uncovered crossings that the result shows, indexed by ``crossing``."""
    result_gaps = gaps[["corridor_id", "barrier_id", "kind", "permeability", "geometry"]].copy()
    result_gaps.index.name = "crossing"
    return result_gaps


def _summary(graph: Graph, res_iic: _Index, res_pc: _Index, *, links: str, threshold: float | None,
             median_dispersal: float, area: float, gravity_area_unit: str, pc_pairs: str, crossings: gpd.GeoDataFrame,
             gaps: gpd.GeoDataFrame, cover_distance_m: float, unattached: list[str]) -> dict:
    """Gather the network-level figures and the options they were computed with, in JSON order."""
    ncomp = connected_components(graph.matrix(), directed=False)[0] if graph.n else 0
    n_links = len(graph.edges)
    return {
        "iic": res_iic.value,
        "pc": res_pc.value,
        "ec_pc": math.sqrt(res_pc.num),
        "ec_iic": math.sqrt(res_iic.num),
        **structure_indices(graph.n, n_links, int(ncomp)),
        "components": int(ncomp),
        "n_patches": int(graph.n),
        "n_links": int(n_links),
        "links_mode": links,
        "threshold_m": threshold,
        "pc_pairs": pc_pairs,
        "median_dispersal_m": median_dispersal,
        "theta_per_m": math.log(2) / median_dispersal,
        "landscape_area_km2": area,
        "habitat_km2": float(graph.attribute.sum()),
        "gravity_area_unit": gravity_area_unit,
        "n_crossings": int(len(crossings)),
        "n_gaps": int(len(gaps)),
        "cover_distance_m": cover_distance_m,
        "unattached_corridors": unattached,
    }


def _patch_table(network: Network, graph: Graph, res_iic: _Index, res_pc: _Index,
                 nb: pd.Series) -> pd.DataFrame:
    """Area, quality, attribute, kind, dIIC, dPC and its fractions, betweenness per patch."""
    patches = graph.nodes[["area_km2", "quality", "attribute"]].copy()
    patches["kind"] = network.patches["kind"].reindex(patches.index.astype(object)).to_numpy() \
        if len(patches) else []
    patches["dIIC"] = res_iic.nodes["d"]
    patches["dPC"] = res_pc.nodes["d"]
    patches["dPC_intra"] = res_pc.nodes["intra"]
    patches["dPC_flux"] = res_pc.nodes["flux"]
    patches["dPC_connector"] = res_pc.nodes["connector"]
    patches["betweenness"] = nb
    patches.index.name = "id"
    return patches


def _corridor_table(network: Network, ends: pd.DataFrame, graph: Graph, res_iic: _Index, res_pc: _Index,
                    lb: pd.Series, median_dispersal: float, cost_lengths) -> pd.DataFrame:
    """One row per corridor (in the graph or not): ends, lengths, dIIC, dPC, betweenness, restore_dPC."""
    c = network.corridors
    corr = pd.DataFrame(index=c.index.astype(str))
    corr["from_id"] = ends["from_id"].to_numpy()
    corr["to_id"] = ends["to_id"].to_numpy()
    corr["status"] = c["status"].to_numpy()
    corr["length_m"] = shapely.length(c.geometry.values)
    corr["distance"] = graph.links["distance"].reindex(corr.index)
    corr["in_graph"] = corr.index.isin(graph.links.index)
    corr["dIIC"] = res_iic.links.reindex(corr.index)
    corr["dPC"] = res_pc.links.reindex(corr.index)
    corr["betweenness"] = lb.reindex(corr.index)
    corr["restore_dPC"] = _restore_gain(network, graph, corr, res_pc.num, median_dispersal, cost_lengths)
    return corr


def _add_joins(network: Network, corr: pd.DataFrame, crossings: gpd.GeoDataFrame, gaps: gpd.GeoDataFrame,
               corridor_trails: pd.Series) -> None:
    """Bridge sites, barrier crossings, gaps and trail length per corridor, added to ``corr``."""
    c = network.corridors
    corr["bridges"] = bridge_counts(network).reindex(c.index).to_numpy()
    corr["crossings"] = crossings.groupby("corridor_id").size().reindex(c.index, fill_value=0).to_numpy()
    corr["gaps"] = gaps.groupby("corridor_id").size().reindex(c.index, fill_value=0).to_numpy()
    corr["trail_m"] = corridor_trails.reindex(c.index).to_numpy()


def _unattached(ends: pd.DataFrame) -> list[str]:
    """Corridors with an end that neither names nor touches a patch (``ends``: :func:`~ecomap.joins.corridor_ends`)."""
    return [str(i) for i in ends.index[~ends["touches_patch"].to_numpy()]
            if pd.isna(ends.loc[i, "from_id"]) or pd.isna(ends.loc[i, "to_id"])]


def _link_table(graph: Graph, res_iic: _Index, res_pc: _Index, lb: pd.Series) -> pd.DataFrame:
    """One row per distance link (``links="distance"``): ends, lengths, dIIC, dPC, betweenness."""
    lk = graph.links
    corr = pd.DataFrame({
        "from_id": graph.nodes.index.to_numpy()[lk["u"].to_numpy()] if len(lk) else [],
        "to_id": graph.nodes.index.to_numpy()[lk["v"].to_numpy()] if len(lk) else [],
        "length_m": lk["length_m"].to_numpy(), "distance": lk["distance"].to_numpy(),
    }, index=lk.index)
    corr["in_graph"] = True
    corr["dIIC"] = res_iic.links
    corr["dPC"] = res_pc.links
    corr["betweenness"] = lb
    return corr


def _rank(corr: pd.DataFrame) -> np.ndarray:
    """1 = most important: by dPC, then dIIC, then gravity; NaN for corridors not in the graph."""
    key = corr[["dPC", "dIIC", "gravity"]].fillna(-np.inf)
    order = np.lexsort((-key["gravity"].to_numpy(), -key["dIIC"].to_numpy(), -key["dPC"].to_numpy()))
    rank = np.empty(len(corr), dtype=float)
    rank[order] = np.arange(1, len(corr) + 1)
    rank[~corr["in_graph"].to_numpy(dtype=bool)] = np.nan
    return rank


def _gravity_column(graph: Graph, corr: pd.DataFrame, resistance, unit: str) -> np.ndarray:
    nodes = graph.nodes
    ok = corr["in_graph"].to_numpy(dtype=bool)
    out = np.full(len(corr), np.nan)
    if not ok.any():
        return out
    res = pd.Series(resistance if resistance is not None else {}, dtype=float)
    rf = res.reindex(corr["from_id"][ok].astype(str)).fillna(1.0).to_numpy()
    rt = res.reindex(corr["to_id"][ok].astype(str)).fillna(1.0).to_numpy()
    dist = np.maximum(corr["distance"][ok].to_numpy(dtype=float), GRAVITY_MIN_LENGTH_M)
    out[ok] = gravity(nodes["area_km2"].reindex(corr["from_id"][ok].astype(str)).to_numpy(),
                      nodes["area_km2"].reindex(corr["to_id"][ok].astype(str)).to_numpy(),
                      dist, l_max=float(dist.max()), resistance_a=rf, resistance_b=rt, area_unit=unit)
    return out


def _restore_gain(network: Network, graph: Graph, corr: pd.DataFrame, num: float,
                  median: float, cost_lengths) -> np.ndarray:
    """100 (PC_num with the corridor − PC_num) / PC_num for corridors left out by status.

    Each left-out corridor joining two different patches of the graph is added alone, at
    its distance by the graph's rule (:func:`~ecomap.connectivity.graph.corridor_distances`,
    at least ``MIN_LENGTH_M``); the gain is summed over the pairs whose shortest path it
    shortens (:func:`~ecomap.connectivity._restore.restore_gains`: one Dijkstra per source,
    then only the nodes whose distance falls). NaN for the other corridors.
    """
    out = np.full(len(corr), np.nan)
    if num <= 0:
        return out
    pos = pd.Series(np.arange(graph.n), index=graph.nodes.index)
    cand = ~corr["in_graph"].to_numpy(dtype=bool) & corr["from_id"].astype(str).isin(pos.index).to_numpy() \
        & corr["to_id"].astype(str).isin(pos.index).to_numpy() \
        & (corr["from_id"].astype(str) != corr["to_id"].astype(str)).to_numpy()
    if not cand.any():
        return out
    distances = corridor_distances(network.corridors, cost_lengths, length=corr["length_m"].to_numpy())
    u = pos.reindex(corr["from_id"][cand].astype(str)).to_numpy(dtype=np.int64)
    v = pos.reindex(corr["to_id"][cand].astype(str)).to_numpy(dtype=np.int64)
    gain = restore_gains(graph, u, v, distances[cand], theta=math.log(2) / median)
    out[cand] = 100 * gain / num
    return out
