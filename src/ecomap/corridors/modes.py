"""Circuitscape's one-to-all and all-to-one modes on a resistance raster.

Both short-circuit every focal region (and every short-circuit region) in every solve, as
Circuitscape does in these modes (its point map is merged into the polygon map). With ``G`` the
grounded Green's function of each component (one solve per focal node, one factorization,
:func:`ecomap.corridors.circuit._component_potentials`), every solve of either mode is a small
dense system on the focal nodes:

* **one-to-all**, focal node ``i``: ``s_i`` A (1, or its source strength) enters at ``i``; every
  other focal node of ``i``'s component is held at 0 V (a direct ground). The result is
  ``R_i = V_i / s_i``, the resistance between ``i`` and all the others together; -1 where the
  component holds no other focal node (Circuitscape solves nothing there).
* **all-to-one**, focal node ``i``: ``i`` is the ground and each other focal id of its
  component injects 1 A, or its source strength (Circuitscape's ``strength_map``; a region
  too). The result is 0 where something was solved, else -1.

Both give the cumulative current map over the solves (Circuitscape's node current, the larger of
the current flowing into and out of each node).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._errors import InputError
from ._regions import _on_raster, _through_shorts
from ._solver import _check_memory
from .circuit import _checked_resistance, _circuit, _component_potentials, _focal_masks

__all__ = ["one_to_all", "all_to_one"]


def _node_currents(circ, v: np.ndarray) -> np.ndarray:
    """Half the absolute branch currents plus the net current leaving each node (Kirchhoff)."""
    i = circ.g * (v[circ.u] - v[circ.v])
    acc = np.bincount(circ.u, np.abs(i), minlength=circ.n) + np.bincount(circ.v, np.abs(i), minlength=circ.n)
    net = np.bincount(circ.u, i, minlength=circ.n) - np.bincount(circ.v, i, minlength=circ.n)
    return 0.5 * (acc + np.abs(net))


def _setup(resistance, nodes, *, short_circuit, neighbours, average, solver, tol, max_memory, progress):
    r = _checked_resistance(resistance, neighbours, average)
    masks = _focal_masks(nodes, r.shape)
    shorts = _focal_masks(short_circuit, r.shape)
    _check_memory(int(r.size), len(nodes), neighbours, max_memory)
    masks = _through_shorts(masks, shorts, np.isfinite(r))
    circ = _circuit(r, masks + shorts, neighbours=neighbours, average=average)
    every = circ.focal
    circ.focal = every[:len(masks)]
    comp, cols = _component_potentials(circ, solver=solver, tol=tol, progress=progress)
    return r, masks, shorts, circ, every, comp, cols


def _finish(r, circ, every, masks, shorts, total):
    extra = np.array([total[f] if f >= 0 else np.nan for f in every])
    return _on_raster(r.shape, circ.node_of_cell, total, masks + shorts, extra, len(masks))


def _strengths(strengths, k: int) -> np.ndarray:
    if strengths is None:
        return np.ones(k)
    s = np.asarray(strengths, dtype=float)
    if s.shape != (k,) or not np.isfinite(s).all() or (s < 0).any():
        raise InputError(f"strengths must be {k} finite values >= 0, one per focal node")
    return s


def one_to_all(resistance, nodes: Sequence, *, strengths=None, short_circuit: Sequence = (), pairs=None,
               neighbours: int = 8, average: str = "conductance", solver: str = "auto", tol: float = 1e-10,
               max_memory: int | None = None, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Circuitscape's one-to-all mode: each focal node in turn the source, all the others grounded.

    Parameters
    ----------
    resistance : (rows, cols) array_like of float
        As :func:`ecomap.corridors.effective_resistance`.
    nodes : sequence of N items
        Focal nodes: ``(row, col)`` cells or bool masks (regions, shorted in every solve).
    strengths : sequence of N float, optional
        Current each node injects when it is the source (Circuitscape's variable source
        strengths; default 1 A). A strength of 0 solves nothing for that node (-1).
    pairs : iterable of (int, int), optional
        Circuitscape's included pairs: in node i's solve only the nodes paired with i are
        grounded (default: all the others).
    short_circuit, neighbours, average, solver, tol, max_memory
        As :func:`ecomap.corridors.effective_resistance`.
    progress : bool, default False
        Show a progress bar on stderr.

    Returns
    -------
    resistances : (N,) numpy.ndarray
        ``R_i`` between node i and all the other focal nodes of its component at 0 V; -1 where
        nothing was solved (no other focal node connected, or node i on a dropped cell).
    current : (rows, cols) numpy.ndarray
        Cumulative node current over the N solves; NaN on dropped cells (a dropped cell of a
        region carries the region's current).

    Raises
    ------
    InputError
        As :func:`ecomap.corridors.effective_resistance`, or bad ``strengths``.

    References
    ----------
    Circuitscape (Anantharaman et al. 2020), ``onetoall_kernel``, policy ``rmvgnd``: a focal
    node that shares the source's node is not grounded.
    """
    r, masks, shorts, circ, every, comp, cols = _setup(
        resistance, nodes, short_circuit=short_circuit, neighbours=neighbours, average=average,
        solver=solver, tol=tol, max_memory=max_memory, progress=progress)
    s = _strengths(strengths, len(masks))
    f = circ.focal
    out = np.full(len(masks), -1.0)
    total = np.zeros(circ.n)
    for i in range(len(masks)):
        if f[i] < 0 or s[i] == 0:
            continue
        rep = _representatives(f, comp, i, _partners(pairs, i))
        ground = [k for k in rep if f[k] != f[i]]
        if not ground:
            continue
        ids = [i] + ground
        g = np.array([[cols[a][f[b]] for a in ids] for b in ids])
        m = len(ground)
        a = np.zeros((m + 1, m + 1))
        a[:m, :m] = -g[1:, 1:]
        a[:m, m] = 1.0
        a[m, :m] = 1.0
        rhs = np.concatenate([-s[i] * g[1:, 0], [s[i]]])
        x = np.linalg.solve(a, rhs)
        c, theta = x[:m], x[m]
        v = s[i] * cols[i] - sum(cj * cols[k] for cj, k in zip(c, ground, strict=True)) + theta
        v[comp != comp[f[i]]] = 0.0
        out[i] = v[f[i]] / s[i]
        total += _node_currents(circ, v)
    return out, _finish(r, circ, every, masks, shorts, total)


def _partners(pairs, i: int) -> set[int] | None:
    """The nodes paired with i (None: every node)."""
    if pairs is None:
        return None
    return {b for a, b in pairs if a == i} | {a for a, b in pairs if b == i}


def _representatives(f: np.ndarray, comp: np.ndarray, i: int, among: set[int] | None = None) -> list[int]:
    """One focal index per distinct node in node i's component (the first id of each node)."""
    seen: dict[int, int] = {}
    for k in range(len(f)):
        if f[k] >= 0 and comp[f[k]] == comp[f[i]] and (among is None or k in among or k == i):
            seen.setdefault(int(f[k]), k)
    return list(seen.values())


def all_to_one(resistance, nodes: Sequence, *, strengths=None, short_circuit: Sequence = (), pairs=None,
               neighbours: int = 8,
               average: str = "conductance", solver: str = "auto", tol: float = 1e-10,
               max_memory: int | None = None, progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Circuitscape's all-to-one mode: each focal node in turn the ground, all the others sources.

    Every other focal id of the ground's component injects 1 A, or its strength (two ids on one
    node inject both); an id that shares the ground's node injects nothing (policy ``rmvsrc``).

    Parameters
    ----------
    resistance : (rows, cols) array_like of float
        As :func:`ecomap.corridors.effective_resistance`.
    nodes : sequence of N items
        Focal nodes: ``(row, col)`` cells or bool masks (regions, shorted in every solve).
    strengths : sequence of N float, optional
        Current each node injects when it is a source (Circuitscape's variable source
        strengths, which its all-to-one mode uses too; default 1 A).
    pairs : iterable of (int, int), optional
        Included pairs: in node i's solve only the nodes paired with i are sources (default:
        all the others). Circuitscape differs: see docs/corridors.md.
    short_circuit, neighbours, average, solver, tol, max_memory
        As :func:`ecomap.corridors.effective_resistance`.
    progress : bool, default False
        Show a progress bar on stderr.

    Returns
    -------
    resistances : (N,) numpy.ndarray
        0 where node i's solve ran, -1 where it did not (no source in its component, all its
        sources of strength 0, or node i on a dropped cell), as Circuitscape's output.
    current : (rows, cols) numpy.ndarray
        Cumulative node current over the N solves; NaN on dropped cells.

    Raises
    ------
    InputError
        As :func:`ecomap.corridors.effective_resistance`.

    References
    ----------
    Circuitscape (Anantharaman et al. 2020), ``onetoall_kernel`` with ``is_alltoone``.
    """
    r, masks, shorts, circ, every, comp, cols = _setup(
        resistance, nodes, short_circuit=short_circuit, neighbours=neighbours, average=average,
        solver=solver, tol=tol, max_memory=max_memory, progress=progress)
    s = _strengths(strengths, len(masks))
    f = circ.focal
    out = np.full(len(masks), -1.0)
    total = np.zeros(circ.n)
    for i in range(len(masks)):
        if f[i] < 0:
            continue
        among = _partners(pairs, i)
        src = [k for k in range(len(f)) if f[k] >= 0 and f[k] != f[i] and comp[f[k]] == comp[f[i]]
               and (among is None or k in among)]
        if not src or not s[src].sum():
            continue
        v = sum(s[k] * cols[k] for k in src) - s[src].sum() * cols[i]
        v = v - v[f[i]]
        v[comp != comp[f[i]]] = 0.0
        out[i] = 0.0
        total += _node_currents(circ, v)
    return out, _finish(r, circ, every, masks, shorts, total)
