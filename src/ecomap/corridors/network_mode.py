"""Circuitscape's network (graph) mode: pairwise and advanced circuits on an edge list.

The graph is given as ``from, to, value`` rows (node ids any integers; the value a resistance,
or a conductance with ``conductances=True``). Repeated edges add up as parallel resistors, as in
Circuitscape's sparse assembly; an edge from a node to itself carries no current and is dropped.

* :func:`network_pairwise`: effective resistance between every pair of focal nodes (-1 where the
  graph does not connect them, 0 on the diagonal) and, per solved pair, 1 A entering at the
  second node with the first at 0 V: voltages, node currents (the larger of the current into and
  out of each node) and branch currents; their sums over the pairs are the cumulative currents.
  One factorization per connected component, one solve per focal node
  (:func:`ecomap.corridors.circuit._component_potentials`).
* :func:`network_advanced`: current sources and grounds at nodes, as
  :func:`ecomap.corridors.advanced`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .._errors import InputError
from .advanced import _node_currents, _resolve, _solve
from .circuit import _Circuit, _component_potentials

__all__ = ["NetworkFlow", "network_pairwise", "network_advanced"]


@dataclass
class NetworkFlow:
    """Voltages and currents on a graph, indexed by ``ids`` (nodes) and ``edges`` (from, to).

    ``resistances`` is the focal nodes' matrix in :func:`network_pairwise` (empty in
    :func:`network_advanced`); ``pairs`` maps each solved pair of focal ids to its own
    :class:`NetworkFlow` when asked for.
    """

    ids: np.ndarray
    voltage: np.ndarray
    node_current: np.ndarray
    edges: np.ndarray
    branch_current: np.ndarray
    resistances: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    pairs: dict = field(default_factory=dict)


def _graph(edges, conductances: bool) -> tuple[np.ndarray, _Circuit, np.ndarray]:
    """Node ids, the circuit on node indices, and the (from, to) ids of its edges."""
    arr = np.asarray(edges, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 3 or not len(arr):
        raise InputError("edges must be rows of from, to, value")
    for k, (a, b, x) in enumerate(arr):
        if not (np.isfinite(x) and x > 0 and a == int(a) and b == int(b)):
            what = "conductance" if conductances else "resistance"
            raise InputError(f"edge row {k + 1} ({a:g}, {b:g}, {x:g}): ids must be integers and the "
                             f"{what} finite and > 0")
    arr = arr[arr[:, 0] != arr[:, 1]]
    ids, idx = np.unique(arr[:, :2].astype(np.int64), return_inverse=True)
    idx = idx.reshape(-1, 2)
    g = arr[:, 2] if conductances else 1.0 / arr[:, 2]
    n = len(ids)
    circ = _Circuit((1, n), np.arange(n), n, idx[:, 0], idx[:, 1], g, np.zeros(0, dtype=np.int64))
    return ids, circ, ids[idx]


def _index(ids: np.ndarray, wanted: Iterable, what: str) -> np.ndarray:
    wanted = np.asarray(list(wanted), dtype=np.int64)
    pos = np.searchsorted(ids, wanted)
    bad = (pos >= len(ids)) | (ids[np.minimum(pos, len(ids) - 1)] != wanted)
    if bad.any():
        raise InputError(f"{what} {wanted[bad][0]} is not a node of the graph")
    return pos


def _branches(circ: _Circuit, v: np.ndarray) -> np.ndarray:
    return np.abs(circ.g * (v[circ.u] - v[circ.v]))


def network_pairwise(edges, focal: Sequence[int], *, conductances: bool = False, pairs=None,
                     keep_pairs: bool = False, solver: str = "auto", tol: float = 1e-10) -> NetworkFlow:
    """Circuitscape's pairwise network mode: resistances and currents between focal nodes of a graph.

    Parameters
    ----------
    edges : (m, 3) array_like
        ``from, to, value`` rows; node ids are integers.
    focal : sequence of int
        Focal node ids (each a node of the graph); the matrix follows this order.
    conductances : bool, default False
        The edge values are conductances (Circuitscape's ``habitat_map_is_resistances = False``).
    pairs : iterable of (int, int), optional
        Indices into ``focal`` of the pairs to solve (default: all); the others are -1.
    keep_pairs : bool, default False
        Keep each pair's own voltages and currents in ``pairs`` of the result.
    solver, tol
        As :func:`ecomap.corridors.effective_resistance`.

    Returns
    -------
    NetworkFlow
        ``resistances`` (k x k), the cumulative node and branch currents over the solved pairs,
        voltage 0 (a sum of pair voltages has no meaning), and the pairs if asked.

    Raises
    ------
    InputError
        A bad edge row (named) or a focal id that is not a node of the graph.
    """
    ids, circ, edge_ids = _graph(edges, conductances)
    circ.focal = _index(ids, focal, "focal node")
    comp, cols = _component_potentials(circ, solver=solver, tol=tol)
    k = len(circ.focal)
    todo = [(a, b) for a in range(k) for b in range(a + 1, k)] if pairs is None else sorted(
        {(min(a, b), max(a, b)) for a, b in pairs if a != b})
    out = np.full((k, k), -1.0)
    np.fill_diagonal(out, 0.0)
    node_cum, branch_cum = np.zeros(circ.n), np.zeros(len(circ.g))
    kept = {}
    for a, b in todo:
        fa, fb = circ.focal[a], circ.focal[b]
        if comp[fa] != comp[fb]:
            continue
        v = cols[b] - cols[a]
        v = np.where(comp == comp[fa], v - v[fa], 0.0)
        out[a, b] = out[b, a] = v[fb]
        cur, br = _node_currents(circ, v, np.zeros(circ.n)), _branches(circ, v)
        node_cum += cur
        branch_cum += br
        if keep_pairs:
            kept[(int(ids[fa]), int(ids[fb]))] = NetworkFlow(ids, v, cur, edge_ids, br)
    return NetworkFlow(ids, np.zeros(circ.n), node_cum, edge_ids, branch_cum, out, kept)


def _at_nodes(ids: np.ndarray, values: Mapping[int, float] | None, what: str) -> np.ndarray:
    out = np.zeros(len(ids))
    if values:
        keys = list(values)
        vals = np.array([values[i] for i in keys], dtype=float)
        if np.isnan(vals).any():
            raise InputError(f"{what}: every value must be a number")
        out[_index(ids, keys, f"{what} node")] = vals
    return out


def network_advanced(edges, sources: Mapping[int, float], grounds: Mapping[int, float], *,
                     conductances: bool = False, grounds_are_resistances: bool = False,
                     direct_grounds: bool = False, unit_currents: bool = False, conflicts: str = "keepall",
                     solver: str = "auto", tol: float = 1e-10) -> NetworkFlow:
    """Circuitscape's advanced network mode: current sources and grounds at nodes of a graph.

    Parameters
    ----------
    edges : (m, 3) array_like
        ``from, to, value`` rows, as :func:`network_pairwise`.
    sources : mapping of node id to float
        Current injected at each node, in A.
    grounds : mapping of node id to float
        Each node's connection to ground: a conductance, or a resistance (0: direct ground).
    conductances : bool, default False
        The edge values are conductances.
    grounds_are_resistances, direct_grounds, unit_currents, conflicts
        As :func:`ecomap.corridors.advanced`.
    solver, tol
        As :func:`ecomap.corridors.effective_resistance`.

    Returns
    -------
    NetworkFlow
        Voltage and node current of every node, current of every edge (0 in components that
        hold no source or no ground).

    Raises
    ------
    InputError
        A bad edge row, a source or ground on an id that is not a node, a negative ground.
    """
    ids, circ, edge_ids = _graph(edges, conductances)
    src = _at_nodes(ids, sources, "sources")
    if not np.isfinite(src).all():
        raise InputError("sources must be finite")
    if unit_currents:
        src = (src != 0).astype(float)
    if any(float(x) < 0 for x in grounds.values()):
        raise InputError("grounds must be >= 0")
    if grounds_are_resistances:  # 0 ohm: a direct ground (inf siemens); inf ohm: none
        grounds = {i: np.inf if float(x) == 0 else 1.0 / float(x) for i, x in grounds.items()}
    gnd = _at_nodes(ids, grounds, "grounds")
    if direct_grounds:
        gnd = np.where(gnd != 0, np.inf, 0.0)
    src, gnd = _resolve(src, gnd, conflicts)
    v = _solve(circ, src, gnd, solver=solver, tol=tol)
    cur = _node_currents(circ, v, np.where(np.isinf(gnd), 0.0, gnd))
    return NetworkFlow(ids, v, cur, edge_ids, _branches(circ, v))
