"""Centrality Mapper (Linkage Mapper): current-flow centrality of the cores and links of a network.

Linkage Mapper's Centrality Mapper writes the link graph - one edge per corridor link, its
resistance the link's cost-weighted distance - and runs Circuitscape's pairwise network mode
with every core a focal node. 1 A flows between every pair of cores in turn, and the cumulative
current through each core (``CF_Central``) and along each link (``Current``) is its current-flow
centrality. :func:`current_flow_centrality` does the same through
:func:`~ecomap.corridors.network_pairwise`, which matches Circuitscape's network mode.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from .network_mode import network_pairwise

__all__ = ["LinkCentrality", "current_flow_centrality"]


@dataclass
class LinkCentrality:
    """Current-flow centrality: ``cores`` (one value per core, in ``ids`` order) and ``links`` (per link).

    Values are amperes summed over every pair of cores, 1 A per pair (Circuitscape's cumulative
    node and branch currents).
    """

    ids: list
    cores: np.ndarray
    links: np.ndarray

    def by_core(self) -> dict:
        """Map each core id to its centrality."""
        return dict(zip(self.ids, self.cores.tolist(), strict=True))


def _checked_links(links: Sequence, resistances, ids: list | None):
    pairs = [tuple(x) for x in links]
    res = np.asarray(resistances, dtype=float).ravel()
    if len(res) != len(pairs):
        raise InputError(f"{len(pairs)} links but {len(res)} resistances")
    for k, (pair, r) in enumerate(zip(pairs, res, strict=True)):
        if len(pair) != 2 or pair[0] == pair[1]:
            raise InputError(f"link {k + 1} {pair!r}: give two different cores")
        if not (np.isfinite(r) and r > 0):
            raise InputError(f"link {k + 1} ({pair[0]}, {pair[1]}): resistance {r!r} must be finite and > 0")
    if ids is None:
        ids = list(dict.fromkeys(c for pair in pairs for c in pair))
    pos = {c: i for i, c in enumerate(ids)}
    if len(pos) != len(ids):
        raise InputError("cores: every id must be listed once")
    for pair in pairs:
        for c in pair:
            if c not in pos:
                raise InputError(f"link ({pair[0]}, {pair[1]}): core {c!r} is not among the cores")
    return pairs, res, ids, pos


def current_flow_centrality(links: Sequence[tuple[Hashable, Hashable]], resistances, *,
                            cores: Sequence[Hashable] | None = None, solver: str = "auto",
                            tol: float = 1e-10) -> LinkCentrality:
    r"""Current-flow centrality of cores and links (Linkage Mapper's Centrality Mapper).

    The links are resistors between cores. For every pair of cores :math:`s < t` joined by the
    network, 1 A enters at :math:`s` and leaves at :math:`t`; a link's centrality is
    :math:`\sum_{s<t} |I_{st}(e)|` and a core's is :math:`\sum_{s<t} \tau_{st}(v)`, with
    :math:`\tau_{st}(v)` the current through :math:`v` (half the sum of its links' absolute
    currents) and 1 at :math:`s` and :math:`t` themselves. These are Circuitscape's cumulative
    branch and node currents in pairwise network mode with every core a focal node, which is
    how Centrality Mapper runs it. In terms of networkx on a connected network of :math:`n`
    cores (weights the conductances :math:`1/R`): a link's value is twice
    ``edge_current_flow_betweenness_centrality(normalized=False)`` and a core's is
    ``current_flow_betweenness_centrality(normalized=False)`` plus :math:`n - 1` (the pairs it
    ends).

    Parameters
    ----------
    links : sequence of (core, core)
        The links, as pairs of core ids (any hashable); two links between one pair of cores are
        parallel resistors.
    resistances : sequence of float
        Each link's resistance: Linkage Mapper uses the link's cost-weighted distance (its
        ``cwd``); finite and > 0.
    cores : sequence, optional
        Every core id, in the order of the result (cores without a link get 0); default: the
        cores of the links in order of first appearance.
    solver, tol
        As :func:`~ecomap.corridors.effective_resistance`.

    Returns
    -------
    LinkCentrality
        ``ids``, ``cores`` (centrality per core) and ``links`` (centrality per link, in the
        order given).

    Raises
    ------
    InputError
        A link from a core to itself or to a core not among ``cores``, a resistance that is not
        finite and > 0, or as many resistances as links missing.

    References
    ----------
    Carroll, C., McRae, B. H. & Brookes, A. (2012). Use of linkage mapping and centrality
    analysis across habitat gradients to conserve connectivity of gray wolf populations in
    western North America. *Conservation Biology* 26:78-87. McRae, B. H. & Kavanagh, D. M.
    (2011). *Linkage Mapper Connectivity Analysis Software*. The Nature Conservancy.
    Brandes, U. & Fleischer, D. (2005). Centrality measures based on current flow. *STACS
    2005*, LNCS 3404:533-544.
    """
    pairs, res, ids, pos = _checked_links(links, resistances, None if cores is None else list(cores))
    core_current = np.zeros(len(ids))
    if not pairs:
        return LinkCentrality(ids, core_current, np.zeros(0))
    edges = np.array([[pos[a], pos[b], r] for (a, b), r in zip(pairs, res, strict=True)])
    used = np.unique(edges[:, :2].astype(np.int64))
    flow = network_pairwise(edges, used.tolist(), solver=solver, tol=tol)
    core_current[flow.ids] = flow.node_current
    return LinkCentrality(ids, core_current, np.asarray(flow.branch_current, dtype=float))
