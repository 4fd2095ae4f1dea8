"""Building the habitat graph: patches as nodes, corridors (or short gaps) as links with a distance.

The graph has one node per habitat patch (attribute ``a`` = area in km² times ``quality``
where given) and one link per corridor between two patches (distance = corridor length in
metres, or a cost-weighted length), or, with ``links="distance"``, one link per pair of
patches within a threshold distance edge to edge.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix

from .._errors import EcomapWarning, InputError
from ..joins import corridor_ends
from ..network import Network
from ._common import MIN_LENGTH_M, check_positive

__all__ = ["Graph", "all_pairs_graph", "build_graph", "corridor_distances"]


@dataclass(frozen=True)
class Graph:
    """A habitat graph: nodes (patches) and undirected simple links with a length.

    ``links`` maps every input link (corridor) id to its node pair and length; several
    links between the same pair collapse into one graph edge of the shortest length.

    Attributes
    ----------
    nodes : pandas.DataFrame
        Indexed by patch id; columns ``area_km2`` (km²), ``quality`` (0-1 or NaN) and
        ``attribute`` (km², area times quality where given).
    links : pandas.DataFrame
        Indexed by link id; columns ``u``, ``v`` (node positions, ``u < v``), ``length_m``
        (metres) and ``distance`` (metres or cost units, at least 1e-6).
    edges : pandas.DataFrame
        One row per linked node pair ``u < v``: ``u``, ``v``, ``distance`` (the shortest
        of the pair's links).
    """

    nodes: pd.DataFrame          # index: patch id; columns area_km2, quality, attribute
    links: pd.DataFrame          # index: link id; columns u, v (node positions), length_m, distance
    edges: pd.DataFrame          # one row per node pair u < v: u, v, distance (min over links)

    @classmethod
    def from_links(cls, attribute, links, *, ids=None) -> Graph:
        """Build a graph from node attributes and ``(id, u, v, distance)`` link tuples.

        Parameters
        ----------
        attribute : sequence of float or mapping
            Node attributes (km²): a sequence (nodes ``0..n-1``) or a mapping id → attribute.
            Areas are taken equal to the attributes.
        links : iterable of tuple
            ``(link id, u, v, distance)`` with ``u``/``v`` node ids and the distance in
            metres (or cost units).
        ids : sequence, optional
            Node ids replacing the index of ``attribute``.

        Returns
        -------
        Graph
            The graph, links in the given order.

        Raises
        ------
        ValueError
            If a link joins a node to itself.
        """
        attr = pd.Series(attribute, dtype=float)
        if ids is not None:
            attr.index = list(ids)
        attr.index = attr.index.astype(str)
        nodes = pd.DataFrame({"area_km2": attr, "quality": np.nan, "attribute": attr})
        pos = pd.Series(np.arange(len(attr)), index=attr.index)
        rows = list(links)
        lk = pd.DataFrame({
            "u": [int(pos[str(r[1])]) for r in rows], "v": [int(pos[str(r[2])]) for r in rows],
            "length_m": [float(r[3]) for r in rows],
        }, index=pd.Index([str(r[0]) for r in rows], name="id"), dtype=float)
        if (lk["u"] == lk["v"]).any():
            raise ValueError("a link must join two different nodes")
        lk["distance"] = np.maximum(lk["length_m"].to_numpy(), MIN_LENGTH_M)
        lk[["u", "v"]] = np.sort(lk[["u", "v"]].to_numpy(dtype=int), axis=1)
        lk = lk.astype({"u": int, "v": int})
        return cls(nodes, lk, _edges_of(lk))

    @property
    def n(self) -> int:
        """The number of nodes (patches)."""
        return len(self.nodes)

    @property
    def attribute(self) -> np.ndarray:
        """``(n,) float`` node attributes ``a`` (km²), in node order."""
        return self.nodes["attribute"].to_numpy(dtype=float)

    def matrix(self, *, weighted: bool = True, drop_node: int | None = None,
               edge_distance: tuple[int, float] | None = None) -> csr_matrix:
        """Return the symmetric sparse adjacency (distances, or 1 for topology).

        Parameters
        ----------
        weighted : bool, default True
            Edge distances as weights; ``False`` gives 1 per edge (links, for IIC).
        drop_node : int, optional
            A node position whose edges are removed.
        edge_distance : tuple of (int, float), optional
            ``(e, d)`` gives edge ``e`` (a row of :attr:`edges`) the distance ``d``;
            ``inf`` removes it.

        Returns
        -------
        scipy.sparse.csr_matrix of shape (n, n)
            Symmetric; absent entries are no edge.
        """
        u = self.edges["u"].to_numpy()
        v = self.edges["v"].to_numpy()
        w = self.edges["distance"].to_numpy(dtype=float) if weighted else np.ones(len(u))
        keep = np.ones(len(u), dtype=bool)
        if drop_node is not None:
            keep &= (u != drop_node) & (v != drop_node)
        if edge_distance is not None:
            e, d = edge_distance
            if not np.isfinite(d):
                keep[e] = False
            elif weighted:
                w = w.copy()
                w[e] = max(d, MIN_LENGTH_M)
        u, v, w = u[keep], v[keep], w[keep]
        return csr_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(self.n, self.n))


def _patch_nodes(patches: gpd.GeoDataFrame) -> pd.DataFrame:
    area = shapely.area(patches.geometry.values) / 1e6
    q = pd.to_numeric(patches["quality"], errors="coerce").to_numpy(dtype=float) \
        if "quality" in patches else np.full(len(patches), np.nan)
    return pd.DataFrame({
        "area_km2": area,
        "quality": q,
        "attribute": area * np.where(np.isfinite(q), q, 1.0),
    }, index=patches.index.astype(str))


def build_graph(
    network: Network,
    *,
    links: str = "corridors",
    threshold: float | None = None,
    cost_lengths: pd.Series | dict | None = None,
    exclude_status: tuple[str, ...] = ("broken",),
) -> Graph:
    """Build the habitat graph of a network.

    Parameters
    ----------
    network : Network
        Its ``patches`` become the nodes, its ``corridors`` the links (EPSG:4547 metres).
    links : {"corridors", "distance"}, default "corridors"
        ``"corridors"``: one link per corridor whose two ends name (or touch) two different
        patches and whose status is not in ``exclude_status``; distance = corridor length
        in metres, or ``cost_lengths[id]`` where given. ``"distance"``: one link per pair of
        patches at most ``threshold`` metres apart edge to edge (distance = that gap).
    threshold : float, optional
        Link distance in metres; required with ``links="distance"``.
    cost_lengths : pandas.Series or dict, optional
        Cost-weighted length per corridor id (from a resistance surface), in cost units.
    exclude_status : tuple of str, default ("broken",)
        Corridor statuses left out of the graph.

    Returns
    -------
    Graph
        Nodes in the order of ``network.patches``.

    Raises
    ------
    InputError
        If ``links`` is unknown, ``threshold`` is missing or negative with
        ``links="distance"``, a cost length is negative, or a corridor has no positive
        ``width_m`` (its ends are found within half its width).

    Warns
    -----
    EcomapWarning
        If ``cost_lengths`` is given but misses corridors that link two patches: their
        length in metres is their distance (see :func:`corridor_distances`).

    References
    ----------
    Urban, D. & Keitt, T. (2001). Landscape connectivity: a graph-theoretic perspective.
    Ecology 82(5):1205-1218.
    """
    nodes = _patch_nodes(network.patches)
    pos = pd.Series(np.arange(len(nodes)), index=nodes.index)
    if links == "corridors":
        lk = _corridor_links(network, pos, cost_lengths, exclude_status)
    elif links == "distance":
        lk = _distance_links(network, nodes, threshold)
    else:
        raise InputError(f"links must be 'corridors' or 'distance', not {links!r}")
    lk["distance"] = np.maximum(lk["distance"].to_numpy(dtype=float), MIN_LENGTH_M)
    lk[["u", "v"]] = np.sort(lk[["u", "v"]].to_numpy(dtype=int), axis=1)
    lk.index.name = "id"
    return Graph(nodes, lk, _edges_of(lk))


def _corridor_links(network: Network, pos: pd.Series, cost_lengths, exclude_status) -> pd.DataFrame:
    """One link per corridor joining two different patches, its status not excluded."""
    c = network.corridors
    ends = corridor_ends(network)
    length = shapely.length(c.geometry.values)
    f = ends["from_id"].astype(object).map(lambda x: None if x is None else str(x))
    t = ends["to_id"].astype(object).map(lambda x: None if x is None else str(x))
    linked = (f.isin(pos.index) & t.isin(pos.index) & (f != t)).to_numpy()
    dist = corridor_distances(c, cost_lengths, length=length, warn_for=linked)
    ok = linked & ~c["status"].isin(exclude_status).to_numpy()
    return pd.DataFrame({
        "u": pos.reindex(f[ok]).to_numpy(),
        "v": pos.reindex(t[ok]).to_numpy(),
        "length_m": length[ok],
        "distance": dist[ok],
    }, index=c.index[ok].astype(str))


def _distance_links(network: Network, nodes: pd.DataFrame, threshold: float | None) -> pd.DataFrame:
    """One link per pair of patches at most ``threshold`` metres apart edge to edge."""
    if threshold is None:
        raise InputError("--links distance needs --threshold M (metres)")
    threshold = check_positive(threshold, "threshold", allow_zero=True)
    g = network.patches.geometry.values
    left, right = network.patches.sindex.query(g, predicate="dwithin", distance=threshold)
    keep = left < right
    return _pair_links(network, nodes, left[keep], right[keep])


def all_pairs_graph(network: Network) -> Graph:
    """Link every pair of patches, at its gap edge to edge: the graph PC takes with distance links.

    Conefor and Makurhini give every pair of patches a direct probability
    ``p_ij = exp(-θ d_ij)`` from the distance between them, however far apart; this is that
    graph (n (n − 1) / 2 links, so its cost grows as n²).

    Parameters
    ----------
    network : Network
        Its ``patches`` become the nodes (EPSG:4547 metres).

    Returns
    -------
    Graph
        Nodes in the order of ``network.patches``; link ids ``"<id>~<id>"`` as with
        ``build_graph(links="distance")``.
    """
    nodes = _patch_nodes(network.patches)
    left, right = np.triu_indices(len(nodes), 1)
    lk = _pair_links(network, nodes, left, right)
    lk["distance"] = np.maximum(lk["distance"].to_numpy(dtype=float), MIN_LENGTH_M)
    lk.index.name = "id"
    return Graph(nodes, lk, _edges_of(lk))


def _pair_links(network: Network, nodes: pd.DataFrame, left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
    """Links between the patch positions ``left[k] < right[k]``, distance = gap edge to edge."""
    g = network.patches.geometry.values
    d = shapely.distance(g[left], g[right])
    ids = nodes.index.to_numpy()
    return pd.DataFrame({"u": left, "v": right, "length_m": d, "distance": d},
                        index=pd.Index([f"{ids[a]}~{ids[b]}" for a, b in zip(left, right, strict=True)]))


def corridor_distances(corridors: gpd.GeoDataFrame, cost_lengths: pd.Series | dict | None, *,
                       length: np.ndarray | None = None, warn_for: np.ndarray | None = None) -> np.ndarray:
    """Each corridor's link distance: its cost length where given, else its length in metres.

    The one rule for a corridor's distance in the graph, used both for the links of
    :func:`build_graph` and for corridors scored as restorations.

    Parameters
    ----------
    corridors : geopandas.GeoDataFrame
        Centre lines in EPSG:4547, indexed by corridor id.
    cost_lengths : pandas.Series or dict, optional
        Cost-weighted length per corridor id (cost units); missing ids and NaN take the
        geometric length.
    length : (n,) float array, optional
        The corridors' lengths in metres, if already measured.
    warn_for : (n,) bool array, optional
        Corridors for which a missing cost length deserves a warning (those that link
        two patches); ``None`` warns for none.

    Returns
    -------
    (n,) float array
        Link distances, in the order of ``corridors``.

    Raises
    ------
    InputError
        If a cost length is negative or not a number.

    Warns
    -----
    EcomapWarning
        If ``cost_lengths`` is given and misses a corridor of ``warn_for``: metres and
        cost units are then mixed in one graph.
    """
    if length is None:
        length = shapely.length(corridors.geometry.values)
    if cost_lengths is None:
        return length.copy()
    cl = pd.Series(cost_lengths, dtype=float).reindex(corridors.index)
    bad = cl[cl.notna() & ~(cl >= 0)]
    if len(bad):
        raise InputError(f"cost length of corridor {bad.index[0]} must be 0 or more, not {bad.iloc[0]:g}")
    missing = cl.isna().to_numpy()
    if warn_for is not None and (missing & warn_for).any():
        ids = corridors.index[missing & warn_for]
        more = " ..." if len(ids) > 10 else ""
        warnings.warn(f"no cost length for corridors {', '.join(map(str, ids[:10]))}{more}: "
                      "their length in metres is taken as their link distance", EcomapWarning, stacklevel=4)
    return np.where(cl.notna(), cl.to_numpy(), length)


def _edges_of(lk: pd.DataFrame) -> pd.DataFrame:
    """One graph edge per linked node pair (u < v), at the shortest of its links' distances."""
    if not len(lk):
        return pd.DataFrame({"u": pd.Series(dtype=int), "v": pd.Series(dtype=int),
                             "distance": pd.Series(dtype=float)})
    return lk.groupby(["u", "v"], sort=True)["distance"].min().reset_index()
