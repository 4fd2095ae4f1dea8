"""Graph indices: IIC, PC, EC, the structure indices α/β/γ, the gravity model and betweenness."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._errors import InputError
from ._paths import arc_arrays, brandes
from .graph import Graph

__all__ = [
    "GRAVITY_AREA_UNITS",
    "structure_indices",
    "alpha_undefined_reason",
    "link_probability",
    "iic",
    "pc",
    "equivalent_connectivity",
    "gravity",
    "betweenness",
]

#: Area units the gravity model may take ln() of, and their size in m².
GRAVITY_AREA_UNITS = {"m2": 1.0, "ha": 1e4, "km2": 1e6}
#: Floor on L_ab in the gravity column (metres or cost units): touching patches (L = 0 with
#: ``links="distance"``) count as one 30 m land-cover cell apart, not 10^-6 m, which gave
#: G ~ 4e21 and let one touching pair dwarf every corridor.
GRAVITY_MIN_LENGTH_M = 30.0


def structure_indices(n_nodes: int, n_links: int, n_components: int = 1) -> dict[str, float]:
    r"""Network structure indices α, β, γ of a planar graph (Kansky 1963; Forman & Godron 1986).

    .. math::
        \alpha = \frac{L - V + P}{2V - 5P}, \quad \beta = \frac{L}{V}, \quad
        \gamma = \frac{L}{3(V - 2)}

    V counts nodes, L distinct linked pairs (parallel corridors count once), P connected
    components (an isolated node is one). α (closure) is the cyclomatic number
    μ = L − V + P (the independent circuits, Kansky 1963) over its planar maximum 2V − 5P
    (Σ over components of 2V_i − 5); with P = 1 it is the familiar (L − V + 1)/(2V − 5).
    Counting P keeps α in [0, 1] on a disconnected graph: a forest of several components
    has μ = 0, so α = 0, where the connected-graph form went negative (it counted the
    missing links between components as missing circuits). β is the links per node; γ the
    share of the most links any planar graph on V nodes can have, 3(V − 2), which needs no
    P. They are the indices of Chinese ecological-security-pattern studies (e.g. Kunming,
    Sustainability 2025, 17(8):3623).

    Undefined values are NaN: α when 2V − 5P ≤ 0 (no circuit is possible, e.g. below 3
    nodes or when most components are single nodes or pairs), γ below 3 nodes (3(V − 2) ≤ 0)
    and β for V = 0.

    Parameters
    ----------
    n_nodes : int
        V, the number of nodes (patches).
    n_links : int
        L, the number of distinct linked node pairs.
    n_components : int, default 1
        P, the number of connected components (isolated nodes included).

    Returns
    -------
    dict of str to float
        ``alpha``, ``beta``, ``gamma`` (NaN where undefined, see above).

    References
    ----------
    Kansky, K. J. (1963). Structure of Transportation Networks. University of Chicago,
    Department of Geography, Research Paper 84.
    Forman, R. T. T. & Godron, M. (1986). Landscape Ecology. Wiley, New York.
    """
    v, ell, p = float(n_nodes), float(n_links), float(n_components)
    alpha_max = 2 * v - 5 * p
    return {
        "alpha": (ell - v + p) / alpha_max if alpha_max > 0 else math.nan,
        "beta": ell / v if n_nodes > 0 else math.nan,
        "gamma": ell / (3 * (v - 2)) if n_nodes >= 3 else math.nan,
    }


def alpha_undefined_reason(n_nodes: int, n_components: int) -> str:
    """Why α is undefined for this graph, as `` (undefined: 2V - 5P = -28 <= 0)``, else ``""``.

    Parameters
    ----------
    n_nodes : int
        V, the number of nodes.
    n_components : int
        P, the number of connected components.

    Returns
    -------
    str
        The reason in brackets, with a leading space, or ``""`` when α is defined.
    """
    alpha_max = 2 * int(n_nodes) - 5 * int(n_components)
    return f" (undefined: 2V - 5P = {alpha_max} <= 0)" if alpha_max <= 0 else ""


def link_probability(distance_m, median_dispersal_m: float):
    r"""Direct dispersal probability along a link: :math:`p = e^{-\theta d}`, θ = ln 2 / median.

    The exponential kernel of Saura & Pascual-Hortal (2007) scaled so that p = 0.5 at the
    median dispersal distance (the Conefor convention).

    Parameters
    ----------
    distance_m : float or array_like
        Link or path distances in metres (or cost units); ``inf`` gives 0.
    median_dispersal_m : float
        Distance at which p = 0.5, same units.

    Returns
    -------
    float array
        p, same shape as ``distance_m``.

    References
    ----------
    Saura, S. & Pascual-Hortal, L. (2007). A new habitat availability index to integrate
    connectivity in landscape conservation planning. Landsc. Urban Plan. 83:91-103.
    """
    theta = math.log(2) / median_dispersal_m
    return np.exp(-theta * np.asarray(distance_m, dtype=float))


def iic(attribute, hops, landscape_area: float) -> float:
    r"""Integral Index of Connectivity (Pascual-Hortal & Saura 2006, Landsc. Ecol. 21:959).

    .. math:: IIC = \frac{1}{A_L^2} \sum_i \sum_j \frac{a_i a_j}{1 + nl_{ij}}

    ``hops`` is the matrix of links on the shortest topological path (``nl_ii = 0``;
    ``inf`` for unconnected pairs, which add 0). 0 ≤ IIC ≤ 1 when Σa ≤ A_L.

    Parameters
    ----------
    attribute : (n,) float array_like
        Node attributes a_i (km²).
    hops : (n, n) float array_like
        nl_ij, links on the shortest topological path.
    landscape_area : float
        A_L in the units of ``attribute`` (km²).

    Returns
    -------
    float
        IIC.

    References
    ----------
    Pascual-Hortal, L. & Saura, S. (2006). Comparison and development of new graph-based
    landscape connectivity indices. Landscape Ecology 21:959-967.
    """
    a = np.asarray(attribute, dtype=float)
    return float(a @ (1.0 / (1.0 + np.asarray(hops, dtype=float))) @ a) / landscape_area ** 2


def pc(attribute, distances, landscape_area: float, *, median_dispersal_m: float) -> float:
    r"""Probability of Connectivity (Saura & Pascual-Hortal 2007, Landsc. Urban Plan. 83:91).

    .. math:: PC = \frac{1}{A_L^2} \sum_i \sum_j a_i a_j p^*_{ij}

    :math:`p^*_{ij}` is the maximum-product probability over all paths. With
    :math:`p = e^{-\theta d}` on every link, the product along a path is
    :math:`e^{-\theta \sum d}`, so :math:`p^*_{ij} = e^{-\theta D_{ij}}` with
    :math:`D_{ij}` the shortest-path distance (``distances``; ``inf`` → 0).

    Parameters
    ----------
    attribute : (n,) float array_like
        Node attributes a_i (km²).
    distances : (n, n) float array_like
        D_ij, shortest-path distances in metres (or cost units).
    landscape_area : float
        A_L in the units of ``attribute`` (km²).
    median_dispersal_m : float
        Distance at which a link's probability is 0.5, units of ``distances``.

    Returns
    -------
    float
        PC.

    References
    ----------
    Saura, S. & Pascual-Hortal, L. (2007). A new habitat availability index to integrate
    connectivity in landscape conservation planning. Landsc. Urban Plan. 83:91-103.
    """
    a = np.asarray(attribute, dtype=float)
    p = link_probability(distances, median_dispersal_m)
    return float(a @ p @ a) / landscape_area ** 2


def equivalent_connectivity(index_value: float, landscape_area: float) -> float:
    """EC = √(Σ Σ a_i a_j p*_ij) = A_L √PC (Saura et al. 2011, Ecol. Indic. 11:407), in km².

    Parameters
    ----------
    index_value : float
        PC (or IIC); negative values count as 0.
    landscape_area : float
        A_L in km².

    Returns
    -------
    float
        EC in km²: the area of one patch that would give the same connectivity.

    References
    ----------
    Saura, S., Estreguil, C., Mouton, C. & Rodríguez-Freire, M. (2011). Network analysis
    to assess landscape connectivity trends. Ecological Indicators 11:407-416.
    """
    return math.sqrt(max(index_value, 0.0)) * landscape_area


def gravity(area_a_km2, area_b_km2, length, *, l_max: float, resistance_a=1.0, resistance_b=1.0,
            area_unit: str = "ha"):
    r"""Gravity-model interaction strength of a corridor (Kong et al. 2010; Tomur, Sustainability 2020).

    .. math::
        G_{ab} = \frac{N_a N_b}{D_{ab}^2}
               = \frac{L_{max}^2 \ln S_a \ln S_b}{L_{ab}^2 P_a P_b}, \quad
        N = \frac{\ln S}{P}, \quad D_{ab} = \frac{L_{ab}}{L_{max}}

    S is the patch area in ``area_unit`` (``m2``, ``ha`` or ``km2``; ln S depends on it,
    so it is recorded with the result), P the patch's mean resistance (1 without a
    resistance surface), L_ab the corridor's (cost-weighted) length and L_max the largest
    L over all corridors of the graph.

    Parameters
    ----------
    area_a_km2, area_b_km2 : float or (k,) float array_like
        Areas of the patches at either end, in km².
    length : float or (k,) float array_like
        L_ab, corridor lengths in metres (or cost units).
    l_max : float
        L_max, same units as ``length``.
    resistance_a, resistance_b : float or (k,) float array_like, default 1.0
        P, the patches' mean resistance.
    area_unit : {"m2", "ha", "km2"}, default "ha"
        The unit S is taken in.

    Returns
    -------
    float array
        G_ab, same shape as ``length``.

    Raises
    ------
    InputError
        If ``area_unit`` is not one of :data:`GRAVITY_AREA_UNITS`.

    References
    ----------
    Kong, F., Yin, H., Nakagoshi, N. & Zong, Y. (2010). Urban green space network
    development for biodiversity conservation: identification based on graph theory and
    gravity modeling. Landscape and Urban Planning 95:16-27.
    """
    if area_unit not in GRAVITY_AREA_UNITS:
        raise InputError(f"area unit must be one of {', '.join(GRAVITY_AREA_UNITS)}, not {area_unit!r}")
    f = 1e6 / GRAVITY_AREA_UNITS[area_unit]
    n_a = np.log(np.asarray(area_a_km2, dtype=float) * f) / np.asarray(resistance_a, dtype=float)
    n_b = np.log(np.asarray(area_b_km2, dtype=float) * f) / np.asarray(resistance_b, dtype=float)
    dd = np.asarray(length, dtype=float) / l_max
    return n_a * n_b / dd ** 2


def betweenness(graph: Graph, *, distances: np.ndarray | None = None) -> tuple[pd.Series, pd.Series]:
    r"""Shortest-path betweenness of nodes and links, normalized (Freeman 1977; Brandes 2001).

    .. math:: BC(k) = \frac{1}{(V-1)(V-2)/2} \sum_{i<j;\, i,j \ne k} \frac{\sigma_{ij}(k)}{\sigma_{ij}}

    over distance-weighted shortest paths, ties counted as networkx counts them (a pair
    with two shortest paths gives each half). A link's value is that of its graph edge;
    of parallel links only the shortest carries it. Brandes' algorithm runs in compiled
    code on batches of sources (:func:`~ecomap.connectivity._paths.brandes`): time grows
    as V × L, memory with one batch.

    Parameters
    ----------
    graph : Graph
        The habitat graph (edge distances as lengths).
    distances : (n, n) float array, optional
        Its all-pairs shortest-path distances, if already computed (``analyse`` passes
        those of PC): the Dijkstra runs are then not repeated.

    Returns
    -------
    nodes : pandas.Series
        Betweenness per patch id, in [0, 1].
    links : pandas.Series
        Betweenness per link id (edge betweenness normalized by V(V − 1)/2).

    References
    ----------
    Freeman, L. C. (1977). A set of measures of centrality based on betweenness.
    Sociometry 40:35-41. Brandes, U. (2001). A faster algorithm for betweenness
    centrality. Journal of Mathematical Sociology 25(2):163-177.
    """
    n, m = graph.n, len(graph.edges)
    node_raw, arc_raw = brandes(n, *arc_arrays(graph, True), d=distances)
    node_bc = node_raw / ((n - 1) * (n - 2)) if n > 2 else np.zeros(n)
    edge_bc = (arc_raw[:m] + arc_raw[m:]) / (n * (n - 1)) if n > 1 else np.zeros(m)
    nodes = pd.Series(node_bc, index=graph.nodes.index, dtype=float, name="betweenness")
    return nodes, _carried_by_links(graph, edge_bc)


def _carried_by_links(graph: Graph, edge_v: np.ndarray) -> pd.Series:
    """Edge values onto links: of parallel links, the first shortest carries its edge's value."""
    lk = graph.links
    vals = np.zeros(len(lk))
    if len(lk):
        edge_of = pd.Series(np.arange(len(graph.edges)),
                            index=pd.MultiIndex.from_frame(graph.edges[["u", "v"]]))
        e = edge_of.reindex(pd.MultiIndex.from_frame(lk[["u", "v"]])).to_numpy()
        shortest = lk.groupby(["u", "v"])["distance"].transform("min").to_numpy()
        carrier = (lk["distance"].to_numpy() == shortest) & ~lk.assign(
            s=lk["distance"].to_numpy() == shortest).duplicated(["u", "v", "s"]).to_numpy()
        vals[carrier] = edge_v[e[carrier]]
    return pd.Series(vals, index=lk.index, name="betweenness")

