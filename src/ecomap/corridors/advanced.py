"""Circuitscape's advanced mode: current sources and grounds given as rasters, one solve.

Each cell of the source raster injects its value in amperes; each cell of the ground raster ties
its node to ground (0 V) through a resistor, given as a conductance or as a resistance (a
resistance of 0, or ``direct_grounds``, ties the node to ground directly). Cells of one
short-circuit region are one node, so their sources and ground conductances add up (a NoData
cell inside a region counts too, as in Circuitscape's node map). Every connected component that
holds both a source and a ground is solved::

    (L + diag(g_finite)) v = s,   v = 0 on the direct grounds

and the result is the voltage and the node current of every cell (0 in components that were not
solved). A node carrying both a source and a ground is resolved by ``conflicts``:

* ``"keepall"`` (default): both stay, except that a direct ground under a positive source is
  dropped (Circuitscape's ``resolve_conflicts``, in every policy);
* ``"rmvsrc"``: the source is dropped;
* ``"rmvgnd"``: the ground is dropped, its finite conductance too;
* ``"rmvall"``: both are dropped.

The last two follow Circuitscape's documentation; its code (5.x) keeps a finite ground under
``rmvgnd`` and every ground under ``rmvall``. No verified Circuitscape case uses them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.sparse import csgraph

from .._errors import InputError
from ._solver import _check_memory, _Solver
from .circuit import _checked_resistance, _circuit, _focal_masks

__all__ = ["advanced"]

CONFLICTS = ("keepall", "rmvsrc", "rmvgnd", "rmvall")


def _cell_values(name: str, arr, shape) -> np.ndarray:
    a = np.asarray(arr, dtype=float)
    if a.shape != shape:
        raise InputError(f"{name} must have the resistance raster's shape {shape}, not {a.shape}")
    return a


def _ground_conductance(grounds: np.ndarray, *, are_resistances: bool, direct: bool) -> np.ndarray:
    """Conductance to ground per cell: 0 for none, inf for a direct ground."""
    g = np.where(np.isnan(grounds), 0.0, grounds)
    if (g < 0).any():
        raise InputError("grounds must be >= 0 (NaN for cells without a ground)")
    if are_resistances:
        with np.errstate(divide="ignore"):
            g = np.where(np.isnan(grounds), 0.0, 1.0 / g)  # 0 ohm: direct; inf ohm: none
    if direct:
        g = np.where(g != 0, np.inf, 0.0)
    return g


def _per_node(cell_node: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    values = values.ravel()
    ok = (cell_node >= 0) & (values != 0)
    return np.bincount(cell_node[ok], values[ok], minlength=n)


def _resolve(src: np.ndarray, gnd: np.ndarray, conflicts: str) -> tuple[np.ndarray, np.ndarray]:
    if conflicts not in CONFLICTS:
        raise InputError(f"conflicts must be one of {', '.join(CONFLICTS)}, not {conflicts!r}")
    both = (src != 0) & (gnd != 0)
    src, gnd = src.copy(), gnd.copy()
    if conflicts in ("rmvsrc", "rmvall"):
        src[both] = 0.0
    if conflicts in ("rmvgnd", "rmvall"):
        gnd[both] = 0.0
    gnd[np.isinf(gnd) & (src > 0)] = 0.0
    return src, gnd


def _node_currents(circ, v: np.ndarray, g_finite: np.ndarray) -> np.ndarray:
    """The larger of the current into and out of each node, a finite ground being one more branch."""
    i = circ.g * (v[circ.u] - v[circ.v])
    to_ground = g_finite * v
    acc = (np.bincount(circ.u, np.abs(i), minlength=circ.n) + np.bincount(circ.v, np.abs(i), minlength=circ.n)
           + np.abs(to_ground))
    net = np.bincount(circ.u, i, minlength=circ.n) - np.bincount(circ.v, i, minlength=circ.n) + to_ground
    return 0.5 * (acc + np.abs(net))


def _solve(circ, src: np.ndarray, gnd: np.ndarray, *, solver: str, tol: float) -> np.ndarray:
    """Node voltages, component by component (0 where a component lacks a source or a ground)."""
    lap = circ.laplacian.tocsr()
    g_finite = np.where(np.isinf(gnd), 0.0, gnd)
    _, comp = csgraph.connected_components(lap, directed=False)
    order = np.argsort(comp, kind="stable")
    v = np.zeros(circ.n)
    for nodes in np.split(order, np.flatnonzero(np.diff(comp[order])) + 1):
        if src[nodes].sum() == 0 or gnd[nodes].sum() == 0:
            continue
        free = nodes[~np.isinf(gnd[nodes])]
        if not len(free):
            continue
        sub = lap[free][:, free].tolil()
        sub.setdiag(sub.diagonal() + g_finite[free])
        v[free] = _Solver(sub.tocsr(), method=solver, tol=tol).solve(src[free])
    return v


def advanced(resistance, sources, grounds, *, grounds_are_resistances: bool = False,
             direct_grounds: bool = False, unit_currents: bool = False, conflicts: str = "keepall",
             short_circuit: Sequence = (), neighbours: int = 8, average: str = "conductance",
             solver: str = "auto", tol: float = 1e-10,
             max_memory: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Circuitscape's advanced mode: voltages and currents from source and ground rasters.

    Parameters
    ----------
    resistance : (rows, cols) array_like of float
        As :func:`ecomap.corridors.effective_resistance` (NaN or inf: dropped cell).
    sources : (rows, cols) array_like of float
        Current injected at each cell, in A (0 or NaN: none; negative values draw current).
    grounds : (rows, cols) array_like of float
        Each cell's connection to ground: a conductance (default) or a resistance (0 ohm is a
        direct ground); 0 conductance, infinite resistance or NaN: no ground.
    grounds_are_resistances : bool, default False
        Read ``grounds`` as resistances (Circuitscape's ``ground_file_is_resistances``).
    direct_grounds : bool, default False
        Tie every ground cell directly to ground (Circuitscape's ``use_direct_grounds``).
    unit_currents : bool, default False
        Every source cell injects 1 A (``use_unit_currents``; a region of k source cells, k A).
    conflicts : {"keepall", "rmvsrc", "rmvgnd", "rmvall"}
        What to do with a node that holds a source and a ground (``remove_src_or_gnd``); see the
        module's notes.
    short_circuit : sequence of bool masks
        Short-circuit regions, each one node.
    neighbours, average, solver, tol, max_memory
        As :func:`ecomap.corridors.effective_resistance`.

    Returns
    -------
    voltage : (rows, cols) numpy.ndarray
        Node voltage of each cell (0 in components not solved); NaN on dropped cells outside
        the short-circuit regions.
    current : (rows, cols) numpy.ndarray
        Node current of each cell: the larger of the current flowing in and out, a finite
        ground counted as a branch, as Circuitscape's current map; NaN where ``voltage`` is.

    Raises
    ------
    InputError
        Bad resistance, a raster of another shape, a negative ground or an unknown ``conflicts``.
    """
    r = _checked_resistance(resistance, neighbours, average)
    s_cell = np.nan_to_num(_cell_values("sources", sources, r.shape), nan=0.0)
    if not np.isfinite(s_cell).all():
        raise InputError("sources must be finite (NaN for cells without a source)")
    if unit_currents:
        s_cell = (s_cell != 0).astype(float)
    g_cell = _ground_conductance(_cell_values("grounds", grounds, r.shape),
                                 are_resistances=grounds_are_resistances, direct=direct_grounds)
    _check_memory(int(r.size), 1, neighbours, max_memory)
    shorts = _focal_masks(short_circuit, r.shape)
    circ = _circuit(r, shorts, neighbours=neighbours, average=average)
    cell_node = circ.node_of_cell.copy()
    for m, node in zip(shorts, circ.focal, strict=True):  # a NoData cell inside a region is its node
        if node >= 0:
            cell_node[m.ravel() & (cell_node < 0)] = node
    src, gnd = _resolve(_per_node(cell_node, s_cell, circ.n), _per_node(cell_node, g_cell, circ.n), conflicts)
    v = _solve(circ, src, gnd, solver=solver, tol=tol)
    cur = _node_currents(circ, v, np.where(np.isinf(gnd), 0.0, gnd))
    out_v, out_c = np.full(r.size, np.nan), np.full(r.size, np.nan)
    ok = cell_node >= 0
    out_v[ok], out_c[ok] = v[cell_node[ok]], cur[cell_node[ok]]
    return out_v.reshape(r.shape), out_c.reshape(r.shape)
