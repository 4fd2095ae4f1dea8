"""Modelled corridors: resistance surface, cost-distance, least-cost corridors and circuit theory.

The chain is the "source - resistance - corridor - node" workflow of ecological-security-pattern
studies, as Linkage Mapper and Circuitscape do it:

1. a **resistance surface** (cost of moving one metre through each cell) from the layers and an
   editable TOML table (:func:`resistance_surface`), or from a land-cover GeoTIFF and a
   reclassification table (:func:`resistance_from_landcover`);
2. **cost-distance** from each source patch (:func:`cost_distance`, GRASS ``r.cost``'s rule),
   **least-cost paths** between linked sources and the **normalized least-cost corridor**
   ``CWD_a + CWD_b - LCD_ab`` (the minimum cumulative resistance, MCR, model);
3. **circuit theory** (:func:`effective_resistance`, :func:`current_density`, Circuitscape's
   conventions) for pinch points, and Barrier Mapper's **improvement score**
   (:func:`barrier_improvement`);
4. a comparison of the modelled links with the drawn corridors (:func:`model_corridors`).

The raster core works on plain numpy arrays; :func:`model_corridors` wires it to a
:class:`~ecomap.network.Network`. Cost values are in **cost units** (resistance per metre times
metres), never metres.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy import ndimage
from scipy.sparse import csgraph
from scipy.sparse.linalg import splu

from ._errors import InputError

__all__ = [
    "cost_distance",
    "cost_distances",
    "effective_resistance",
    "current_density",
    "voltage",
    "barrier_improvement",
    "estimate_memory",
    "ResistanceTable",
    "load_resistance_table",
    "load_reclass_table",
    "default_table_path",
    "Grid",
    "make_grid",
    "resistance_surface",
    "resistance_from_landcover",
    "CorridorModel",
    "model_corridors",
    "write_corridor_outputs",
    "render_overlays",
]

log = logging.getLogger(__name__)

SQRT2 = math.sqrt(2.0)

# ------------------------------------------------------------------------------------------------
# Raster core: cost-distance
# ------------------------------------------------------------------------------------------------


def _source_mask(sources, shape: tuple[int, int]) -> np.ndarray:
    """A boolean mask from a mask or a list of (row, col)."""
    arr = np.asarray(sources)
    if arr.dtype == bool and arr.shape == shape:
        return arr.copy()
    mask = np.zeros(shape, dtype=bool)
    cells = np.asarray(list(sources), dtype=int).reshape(-1, 2)
    if len(cells):
        r, c = cells[:, 0], cells[:, 1]
        if (r < 0).any() or (c < 0).any() or (r >= shape[0]).any() or (c >= shape[1]).any():
            raise ValueError(f"a source cell lies outside the {shape[0]} x {shape[1]} grid")
        mask[r, c] = True
    return mask


def _mcp(cost: np.ndarray, sources, *, cellsize: float, neighbours: int):
    from skimage.graph import MCP_Geometric

    if neighbours not in (4, 8):
        raise ValueError("neighbours must be 4 or 8")
    cost = np.asarray(cost, dtype=float)
    if cost.ndim != 2:
        raise ValueError("cost must be a 2-D array")
    passable = np.isfinite(cost)
    if (cost[passable] < 0).any():
        raise ValueError("cost has negative values; use NaN or inf for impassable cells")
    mask = _source_mask(sources, cost.shape) & passable
    # MCP treats negative costs as impassable
    mcp = MCP_Geometric(np.where(passable, cost, -1.0), fully_connected=neighbours == 8,
                        sampling=(float(cellsize), float(cellsize)))
    starts = np.argwhere(mask)
    if not len(starts):
        return np.full(cost.shape, np.inf), None
    cum, _ = mcp.find_costs([tuple(s) for s in starts])
    cum = np.asarray(cum, dtype=float)
    cum[~passable] = np.inf
    return cum, mcp


def cost_distance(cost, sources, *, cellsize: float = 1.0, neighbours: int = 8) -> np.ndarray:
    """Cumulative cost from the nearest source cell to every cell (GRASS ``r.cost``'s rule).

    A step between two cells costs the mean of their costs times the step length:

    .. math:: c_{ij} = d_{ij}\\,\\frac{r_i + r_j}{2},\\qquad
              d_{ij} = s \\text{ (orthogonal)},\\; \\sqrt{2}\\,s \\text{ (diagonal)}

    with ``s`` the cell size, and the cumulative cost is the least sum over all paths
    (Dijkstra, via scikit-image's ``MCP_Geometric``). This is what ``r.cost`` computes without
    ``-k`` (GRASS GIS manual, r.cost; Neteler & Mitasova 2008, *Open Source GIS*).

    Parameters
    ----------
    cost
        2-D array of cost per unit distance; NaN or inf marks impassable cells; negative
        values are refused.
    sources
        Boolean mask of the cost's shape, or a list of ``(row, col)``.
    cellsize
        Length of a cell side (metres for a resistance surface; 1 gives ``r.cost``'s cell units).
    neighbours
        8 (default, diagonal steps allowed) or 4.

    Returns
    -------
    numpy.ndarray
        Float array of the cost's shape: 0 on the sources, ``inf`` where no path exists.
    """
    cum, _ = _mcp(cost, sources, cellsize=cellsize, neighbours=neighbours)
    return cum


class _CostGraph:
    """The grid as a sparse graph of step costs, built once and searched from many sources.

    Node i is raster cell i (impassable cells are nodes without edges, so a search's result is
    the raster without a copy), and every step is stored in both directions, so a search needs
    no transposed graph. The rows are filled straight from the raster (no COO sort): one column
    per neighbour offset, in increasing node order, so the CSR indices come out sorted.
    """

    def __init__(self, cost, *, cellsize: float, neighbours: int):
        if neighbours not in (4, 8):
            raise ValueError("neighbours must be 4 or 8")
        c = np.asarray(cost, dtype=float)
        if c.ndim != 2:
            raise ValueError("cost must be a 2-D array")
        self.passable = np.isfinite(c)
        if (c[self.passable] < 0).any():
            raise ValueError("cost has negative values; use NaN or inf for impassable cells")
        self.shape = c.shape
        h, w = c.shape
        n = h * w
        index = np.int32 if 8 * n < np.iinfo(np.int32).max else np.int64
        node = np.full((h + 2, w + 2), -1, dtype=index)  # node of each passable cell, -1 elsewhere
        node[1:-1, 1:-1] = np.where(self.passable, np.arange(n, dtype=index).reshape(h, w), -1)
        padded = np.full((h + 2, w + 2), np.nan)
        padded[1:-1, 1:-1][self.passable] = c[self.passable]
        rows, cols = np.nonzero(self.passable)
        rows += 1
        cols += 1
        mine = c[self.passable]
        half = _OFFSETS8 if neighbours == 8 else _OFFSETS4
        offsets = sorted([(-dr, -dc) for dr, dc in half] + list(half))  # increasing node order
        nb = np.empty((len(mine), len(offsets)), dtype=index)
        weight = np.empty((len(mine), len(offsets)))
        for j, (dr, dc) in enumerate(offsets):
            step = float(cellsize) * (SQRT2 if dr and dc else 1.0)
            nb[:, j] = node[rows + dr, cols + dc]
            weight[:, j] = step * (mine + padded[rows + dr, cols + dc]) / 2.0
        ok = nb >= 0
        count = np.zeros(n, dtype=index)
        count[self.passable.ravel()] = ok.sum(axis=1)
        indptr = np.zeros(n + 1, dtype=index)
        np.cumsum(count, out=indptr[1:])
        # a zero step (between two zero-cost cells) stays an explicit zero entry, which csgraph
        # takes for an edge of weight 0 (scipy.sparse.csgraph, "zero-weight edges")
        self.graph = sp.csr_matrix((weight[ok], nb[ok], indptr), shape=(n, n))
        self.graph.has_sorted_indices = True

    def distance(self, sources) -> np.ndarray:
        start = np.flatnonzero((_source_mask(sources, self.shape) & self.passable).ravel())
        if not len(start):
            return np.full(self.shape, np.inf)
        d = csgraph.dijkstra(self.graph, directed=True, indices=start, min_only=True)
        return np.asarray(d, dtype=float).reshape(self.shape)


def cost_distances(cost, sources: Iterable, *, cellsize: float = 1.0, neighbours: int = 8):
    """Cost-distance from each of many sources, the grid's graph built once (scipy Dijkstra).

    Same rule and values as :func:`cost_distance`; yields one array per item of ``sources``
    (each a mask or a list of cells). Faster than repeated :func:`cost_distance` calls from the
    second source on.
    """
    graph = _CostGraph(cost, cellsize=cellsize, neighbours=neighbours)
    for src in sources:
        yield graph.distance(src)


# ------------------------------------------------------------------------------------------------
# Raster core: circuit theory
# ------------------------------------------------------------------------------------------------

_OFFSETS4 = ((0, 1), (1, 0))
_OFFSETS8 = ((0, 1), (1, 0), (1, 1), (1, -1))


@dataclass
class _Circuit:
    """A raster as a resistor network; focal regions collapsed into single nodes."""

    shape: tuple[int, int]
    node_of_cell: np.ndarray  # flat, -1 for dropped cells
    n: int
    u: np.ndarray
    v: np.ndarray
    g: np.ndarray
    focal: np.ndarray  # node index per focal node, -1 where the focal node has no valid cell

    @property
    def laplacian(self) -> sp.csr_matrix:
        n = self.n
        rows = np.concatenate([self.u, self.v, self.u, self.v])
        cols = np.concatenate([self.v, self.u, self.u, self.v])
        vals = np.concatenate([-self.g, -self.g, self.g, self.g])
        return sp.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()


def _focal_masks(nodes, shape) -> list[np.ndarray]:
    masks = []
    for k, node in enumerate(nodes):
        arr = np.asarray(node)
        if arr.dtype == bool and arr.shape == shape:
            masks.append(arr)
            continue
        if arr.shape != (2,):
            raise ValueError(f"focal node {k}: give (row, col) or a boolean mask of the grid's shape")
        r, c = int(arr[0]), int(arr[1])
        if not (0 <= r < shape[0] and 0 <= c < shape[1]):
            raise ValueError(f"focal node {k} ({r}, {c}) lies outside the {shape[0]} x {shape[1]} grid")
        m = np.zeros(shape, dtype=bool)
        m[r, c] = True
        masks.append(m)
    return masks


def _circuit(resistance, nodes, *, neighbours: int, average: str) -> _Circuit:
    if neighbours not in (4, 8):
        raise ValueError("neighbours must be 4 or 8")
    if average not in ("conductance", "resistance"):
        raise ValueError("average must be 'conductance' or 'resistance'")
    r = np.asarray(resistance, dtype=float)
    if r.ndim != 2:
        raise ValueError("resistance must be a 2-D array")
    valid = np.isfinite(r)
    if (r[valid] <= 0).any():
        raise ValueError("resistance must be > 0; use NaN or inf for cells to drop")
    shape = r.shape
    ncell = r.size
    flat_valid = valid.ravel()
    cell_id = np.full(ncell, -1, dtype=np.int64)
    cell_id[flat_valid] = np.arange(int(flat_valid.sum()))
    # collapse each focal region into one node (Circuitscape's focal regions)
    rep = np.arange(int(flat_valid.sum()), dtype=np.int64)
    masks = _focal_masks(nodes, shape)
    taken = np.zeros(ncell, dtype=bool)
    focal_rep = np.full(len(masks), -1, dtype=np.int64)
    for k, m in enumerate(masks):
        cells = np.flatnonzero(m.ravel() & flat_valid)
        if taken[cells].any():
            raise ValueError(f"focal node {k} overlaps another focal node")
        taken[cells] = True
        if len(cells):
            ids = cell_id[cells]
            rep[ids] = ids[0]
            focal_rep[k] = ids[0]
    uniq, compact = np.unique(rep, return_inverse=True)
    node_of_cell = np.full(ncell, -1, dtype=np.int64)
    node_of_cell[flat_valid] = compact
    focal = np.where(focal_rep >= 0, compact[np.maximum(focal_rep, 0)], -1)
    offsets = _OFFSETS8 if neighbours == 8 else _OFFSETS4
    us, vs, gs = [], [], []
    idx = np.arange(ncell).reshape(shape)
    for dr, dc in offsets:
        h, w = shape
        a = (slice(0, h - dr), slice(max(0, -dc), w - max(0, dc)))
        b = (slice(dr, h), slice(max(0, dc), w - max(0, -dc)))
        ra, rb = r[a].ravel(), r[b].ravel()
        ia, ib = idx[a].ravel(), idx[b].ravel()
        ok = np.isfinite(ra) & np.isfinite(rb)
        ra, rb, ia, ib = ra[ok], rb[ok], ia[ok], ib[ok]
        d = SQRT2 if dr and dc else 1.0
        if average == "conductance":
            g = (1.0 / ra + 1.0 / rb) / (2.0 * d)
        else:
            g = 1.0 / (d * (ra + rb) / 2.0)
        nu, nv = node_of_cell[ia], node_of_cell[ib]
        keep = nu != nv  # edges inside a focal region are short-circuited
        us.append(nu[keep])
        vs.append(nv[keep])
        gs.append(g[keep])
    return _Circuit(shape, node_of_cell, len(uniq), np.concatenate(us), np.concatenate(vs),
                    np.concatenate(gs), focal)


#: The most memory a sparse LU factorization may take before ``solver='auto'`` turns to AMG.
DIRECT_MAX_BYTES = 6 << 30


def _lu_bytes(n: int) -> int:
    """Memory of a SuperLU factorization of a 2-D grid Laplacian with minimum-degree ordering.

    Fill grows as :math:`n \\log_2 n`; measured here: 10.6 M entries of L+U for 127 000 nodes and
    140 M for 1.14 M nodes (at most 6.1 n log2 n); 12 bytes an entry, with 50 % headroom.
    """
    return int(150 * n * max(math.log2(max(n, 2)), 1.0))


class _Solver:
    """Solves ``L_red x = b`` on one connected component, the ground node removed.

    ``direct``: one SuperLU factorization (minimum-degree ordering on A + A^T, symmetric mode),
    reused by every right-hand side. ``amg``: one smoothed-aggregation hierarchy (pyamg), reused
    by every right-hand side as the preconditioner of conjugate gradients. ``auto`` factorizes
    while the factor fits in ``DIRECT_MAX_BYTES`` and half the available memory (on this kind of
    grid the reused factor is faster per solve, see ``benchmarks/bench_corridors.py``), else AMG.
    """

    def __init__(self, a: sp.csr_matrix, *, method: str, tol: float):
        self.n = a.shape[0]
        self.tol = tol
        if method == "auto":
            budget = min(DIRECT_MAX_BYTES, _available_memory() // 2)
            method = "direct" if _lu_bytes(self.n) <= budget else "amg"
        self.method = method
        if method == "direct":
            lu = splu(a.tocsc(), permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
            self._solve = lu.solve
        elif method == "amg":
            import pyamg

            a = a.tocsr()
            a.sum_duplicates()
            a.sort_indices()
            if a.nnz < 2**31 - 1:  # pyamg's kernels are much faster on 32-bit indices
                a.indices = a.indices.astype(np.int32)
                a.indptr = a.indptr.astype(np.int32)
            self._ml = pyamg.smoothed_aggregation_solver(
                a, symmetry="symmetric", smooth=("energy", {"krylov": "cg"}))
        else:
            raise ValueError("solver must be 'auto', 'direct' or 'amg'")

    def solve(self, b: np.ndarray) -> np.ndarray:
        if self.method == "direct":
            return self._solve(b)
        res: list[float] = []
        x = self._ml.solve(b, tol=self.tol, accel="cg", maxiter=500, residuals=res)
        if res and res[-1] > self.tol * max(res[0], 1e-300) * 10:
            log.warning("AMG-CG stopped at relative residual %.2e", res[-1] / res[0])
        return x


def _component_potentials(circ: _Circuit, *, solver: str, tol: float, progress: bool = False):
    """For every component holding focal nodes: the grounded Green's columns of its focal nodes.

    Returns ``comp`` (component label per node) and ``cols``: for each focal node k with a
    valid cell, the potential vector (over all nodes, 0 outside its component) when 1 A enters
    at k and leaves at the component's ground (its first focal node).
    """
    from tqdm import tqdm

    lap = circ.laplacian
    ncomp, comp = csgraph.connected_components(lap, directed=False)
    cols: dict[int, np.ndarray] = {}
    focal = circ.focal
    todo = [k for k in range(len(focal)) if focal[k] >= 0]
    bar = tqdm(total=len(todo), desc="circuit solves", unit="node", disable=not progress, leave=False)
    for c in np.unique(comp[focal[focal >= 0]]) if len(todo) else []:
        ks = [k for k in todo if comp[focal[k]] == c]
        ground = focal[ks[0]]
        cols[ks[0]] = np.zeros(circ.n)
        bar.update(1)
        if len(ks) == 1:
            continue
        members = np.flatnonzero(comp == c)
        members = members[members != ground]
        pos = np.full(circ.n, -1, dtype=np.int64)
        pos[members] = np.arange(len(members))
        sub = lap[members][:, members]
        slv = _Solver(sub, method=solver, tol=tol)
        for k in ks[1:]:
            b = np.zeros(len(members))
            b[pos[focal[k]]] = 1.0
            x = np.zeros(circ.n)
            x[members] = slv.solve(b)
            cols[k] = x
            bar.update(1)
    bar.close()
    return comp, cols


def estimate_memory(n_cells: int, n_nodes: int, *, neighbours: int = 8) -> int:
    """Bytes a circuit solve needs, roughly: the graph, the AMG hierarchy and one potential per node.

    .. math:: M \\approx n\\,[\\,(k+1)\\cdot 12 \\cdot 3 + 8\\,(N + 8)\\,]

    for ``n`` cells, ``k`` neighbours and ``N`` focal nodes (sparse entries of 12 bytes; the
    hierarchy and the matrix copies about three times the Laplacian; eight work vectors).
    """
    return int(n_cells * ((neighbours + 1) * 12 * 3 + 8 * (n_nodes + 8)))


def _available_memory() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 << 30


def _check_memory(n_cells: int, n_nodes: int, neighbours: int, max_memory: int | None) -> None:
    need = estimate_memory(n_cells, n_nodes, neighbours=neighbours)
    have = max_memory if max_memory is not None else int(_available_memory() * 0.8)
    if need > have:
        raise InputError(
            f"circuit solve on {n_cells:,} cells and {n_nodes} focal nodes needs about "
            f"{need / 2**30:.1f} GiB but {have / 2**30:.1f} GiB is available; "
            "use a coarser resolution or fewer sources"
        )


def effective_resistance(
    resistance,
    nodes: Sequence,
    *,
    neighbours: int = 8,
    average: str = "conductance",
    solver: str = "auto",
    tol: float = 1e-10,
    max_memory: int | None = None,
) -> np.ndarray:
    """Pairwise effective resistance between focal nodes of a resistance raster (Circuitscape).

    Cells are nodes; neighbours are joined by a conductance. With the default
    ``average='conductance'``:

    .. math:: g_{ij} = \\frac{1/r_i + 1/r_j}{2\\,d_{ij}}

    and with ``average='resistance'``: :math:`g_{ij} = 1 / (d_{ij}(r_i + r_j)/2)`, where
    :math:`d_{ij}` is 1 for orthogonal and :math:`\\sqrt{2}` for diagonal neighbours
    (Circuitscape options ``connect_using_avg_resistances`` and ``connect_four_neighbors_only``;
    McRae et al. 2008, *Ecology* 89:2712). With ``L`` the Laplacian grounded at one node and
    :math:`G = L^{-1}`, :math:`R_{ab} = G_{aa} + G_{bb} - 2G_{ab}`: one solve per focal node.

    Parameters
    ----------
    resistance
        2-D array; NaN or inf cells are dropped; values must be > 0.
    nodes
        List of ``(row, col)`` cells, or of boolean masks (a focal region, short-circuited
        into one node).
    neighbours
        8 (default) or 4.
    average
        ``'conductance'`` (default) or ``'resistance'``.
    solver
        ``'auto'`` (a reused sparse LU factorization while it fits in memory, else
        AMG-preconditioned CG with one hierarchy reused by every solve), ``'direct'``, ``'amg'``.
    tol
        Relative residual for the AMG-CG solves.
    max_memory
        Bytes allowed; default 80 % of the available memory. Larger problems raise InputError.

    Returns
    -------
    numpy.ndarray
        Symmetric ``(N, N)`` matrix, 0 on the diagonal, -1 for pairs that are not connected
        (or a node on a dropped cell).
    """
    circ = _circuit(resistance, nodes, neighbours=neighbours, average=average)
    _check_memory(int(np.asarray(resistance).size), len(nodes), neighbours, max_memory)
    comp, cols = _component_potentials(circ, solver=solver, tol=tol)
    k = len(nodes)
    out = np.full((k, k), -1.0)
    f = circ.focal
    for a in range(k):
        if f[a] < 0:
            continue
        out[a, a] = 0.0
        for b in range(a + 1, k):
            if f[b] < 0 or comp[f[a]] != comp[f[b]]:
                continue
            xa, xb = cols[a], cols[b]
            r_ab = xa[f[a]] + xb[f[b]] - 2.0 * xa[f[b]]
            out[a, b] = out[b, a] = r_ab
    return out


def _pair_voltage(cols, circ: _Circuit, a: int, b: int) -> np.ndarray:
    return cols[a] - cols[b]


def _node_current(circ: _Circuit, v: np.ndarray, a: int, b: int) -> np.ndarray:
    """Circuitscape's node current for 1 A from a to b: half the sum of |branch| and |injected| currents."""
    i = circ.g * (v[circ.u] - v[circ.v])
    ai = np.abs(i)
    acc = np.bincount(circ.u, ai, minlength=circ.n) + np.bincount(circ.v, ai, minlength=circ.n)
    acc[circ.focal[a]] += 1.0
    acc[circ.focal[b]] += 1.0
    return 0.5 * acc


def voltage(
    resistance,
    source,
    ground,
    *,
    neighbours: int = 8,
    average: str = "conductance",
    solver: str = "auto",
    tol: float = 1e-10,
) -> np.ndarray:
    """Node voltages when 1 A enters at ``source`` and leaves at ``ground`` (held at 0 V).

    ``source`` and ``ground`` are ``(row, col)`` or boolean masks; the source's voltage is the
    effective resistance between them. Dropped or unconnected cells are NaN.
    """
    circ = _circuit(resistance, [source, ground], neighbours=neighbours, average=average)
    comp, cols = _component_potentials(circ, solver=solver, tol=tol)
    out = np.full(circ.shape[0] * circ.shape[1], np.nan)
    f = circ.focal
    if f[0] < 0 or f[1] < 0 or comp[f[0]] != comp[f[1]]:
        return out.reshape(circ.shape)
    v = _pair_voltage(cols, circ, 0, 1)
    v = v - v[f[1]]
    ok = circ.node_of_cell >= 0
    ok[ok] = comp[circ.node_of_cell[ok]] == comp[f[0]]
    out[ok] = v[circ.node_of_cell[ok]]
    return out.reshape(circ.shape)


def current_density(
    resistance,
    nodes: Sequence,
    *,
    pairs: Iterable[tuple[int, int]] | None = None,
    neighbours: int = 8,
    average: str = "conductance",
    solver: str = "auto",
    tol: float = 1e-10,
    max_memory: int | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Cumulative current through each cell, summed over pairwise solves (Circuitscape's cum. map).

    For each pair (a, b), 1 A enters at a and leaves at b; the branch current is
    :math:`I_{ij} = g_{ij}(v_i - v_j)` and a node carries

    .. math:: c_i = \\tfrac12\\Big(\\sum_j |I_{ij}| + |s_i|\\Big)

    (the larger of what flows in and what flows out, ``s_i`` the injected current; Circuitscape
    ``get_node_currents``). Cells of a focal region carry their region's node current.

    Parameters
    ----------
    resistance, nodes, neighbours, average, solver, tol, max_memory
        As :func:`effective_resistance`.
    pairs
        Index pairs into ``nodes`` (default: every pair). Unconnected pairs add nothing.

    Returns
    -------
    numpy.ndarray
        Float array of the raster's shape; NaN on dropped cells.
    """
    from tqdm import tqdm

    circ = _circuit(resistance, nodes, neighbours=neighbours, average=average)
    _check_memory(int(np.asarray(resistance).size), len(nodes), neighbours, max_memory)
    comp, cols = _component_potentials(circ, solver=solver, tol=tol, progress=progress)
    k = len(nodes)
    if pairs is None:
        pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
    total = np.zeros(circ.n)
    f = circ.focal
    for a, b in tqdm(list(pairs), desc="current", unit="pair", disable=not progress, leave=False):
        if a == b or f[a] < 0 or f[b] < 0 or comp[f[a]] != comp[f[b]]:
            continue
        total += _node_current(circ, _pair_voltage(cols, circ, a, b), a, b)
    out = np.full(circ.shape[0] * circ.shape[1], np.nan)
    ok = circ.node_of_cell >= 0
    out[ok] = total[circ.node_of_cell[ok]]
    return out.reshape(circ.shape)


# ------------------------------------------------------------------------------------------------
# Raster core: Barrier Mapper
# ------------------------------------------------------------------------------------------------


def _disk(radius_cells: float) -> np.ndarray:
    r = int(math.floor(radius_cells))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return (yy * yy + xx * xx) <= radius_cells * radius_cells + 1e-9


def barrier_improvement(
    cwd_a: np.ndarray,
    cwd_b: np.ndarray,
    *,
    radii: Sequence[float],
    cellsize: float = 1.0,
    restored: float = 1.0,
) -> np.ndarray:
    """Barrier Mapper's improvement score: how much restoring a disc lowers the least-cost distance.

    For a disc of radius ``r`` centred on cell x, restored to resistance ``restored``:

    .. math:: \\mathrm{IS}_r(x) = \\frac{\\mathrm{LCD}_{ab} - \\big(\\min_{|y-x|\\le r}\\mathrm{CWD}_a(y)
              + \\min_{|y-x|\\le r}\\mathrm{CWD}_b(y) + 2r\\cdot\\rho\\big)}{2r}

    i.e. the drop in least-cost distance per metre restored (McRae et al. 2012, *PLoS ONE*
    7:e52604). Negative values are set to 0; the result is the maximum over the radii.

    Parameters
    ----------
    cwd_a, cwd_b
        Cost-distance from each of the two sources (:func:`cost_distance`, same cellsize).
    radii
        Disc radii in the cellsize's unit (metres for a resistance surface).
    cellsize
        Cell side.
    restored
        Resistance per unit distance of the restored disc.

    Returns
    -------
    numpy.ndarray
        Improvement score (cost units per unit distance restored); NaN where a or b is unreachable.
    """
    a = np.asarray(cwd_a, dtype=float)
    b = np.asarray(cwd_b, dtype=float)
    lcd = _pair_lcd(a, b)
    best = np.zeros(a.shape)
    for r in radii:
        if r < cellsize:
            raise ValueError(f"radius {r} is smaller than a cell ({cellsize})")
        best = np.maximum(best, _improvement(lcd, _disc_minimum(a, r / cellsize), _disc_minimum(b, r / cellsize),
                                             r, restored))
    best[~(np.isfinite(a) | np.isfinite(b))] = np.nan
    return best


_BIG = np.finfo(float).max / 4  # stands for an unreachable cell in the disc minima


def _pair_lcd(a: np.ndarray, b: np.ndarray) -> float:
    """min(CWD_a + CWD_b): the least-cost distance between the two sources."""
    total = a + b
    return np.min(total[np.isfinite(total)]) if np.isfinite(total).any() else np.inf


def _disc_minimum(cwd: np.ndarray, radius_cells: float) -> np.ndarray:
    """The least cost-distance within a disc around each cell (``_BIG`` where none is reachable)."""
    filled = np.where(np.isfinite(cwd), cwd, _BIG)
    return ndimage.minimum_filter(filled, footprint=_disk(radius_cells), mode="constant", cval=_BIG)


def _improvement(lcd: float, ma: np.ndarray, mb: np.ndarray, r: float, restored: float) -> np.ndarray:
    """Improvement score of discs of radius ``r`` from the two sources' disc minima (0 if unreachable)."""
    score = (lcd - (ma + mb + 2.0 * r * restored)) / (2.0 * r)
    return np.where((ma < _BIG) & (mb < _BIG), score, 0.0)


# ------------------------------------------------------------------------------------------------
# Resistance tables
# ------------------------------------------------------------------------------------------------

#: Sections of a resistance table and the classes each must give (``*`` = any extra keys allowed).
_RESISTANCE_SECTIONS: dict[str, tuple[str, ...]] = {
    "matrix": ("default",),
    "reservoirs": ("default",),
    "river": ("axis", "tributary"),
    "belt": ("default",),
    "corridors": ("existing", "planned", "broken"),
    "ridge": ("country_park", "nature_reserve", "forest"),
    "patches": ("default",),
    "barriers": ("expressway", "railway", "arterial", "dam"),
}
_WIDTH_SECTIONS = {
    "barrier_width_m": ("expressway", "railway", "arterial", "dam"),
    "river_width_m": ("axis", "tributary"),
}


def default_table_path() -> Path:
    """The resistance table shipped with ecomap (``ecomap/resistance.toml``)."""
    return Path(str(resources.files("ecomap") / "resistance.toml"))


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None


def _resistance_value(file: str, name: str, value: Any) -> float:
    if isinstance(value, str) and value.strip().lower() in {"inf", "impassable"}:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{file}: class {name}: resistance {value!r} is not a number (or 'impassable')")
    if not value > 0:  # also NaN
        raise InputError(f"{file}: class {name}: resistance {value!r} must be > 0")
    return float(value)


def _number(file: str, name: str, value: Any, *, lo: float, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise InputError(f"{file}: {name}: {value!r} must be a number from {lo:g} to {hi:g}")
    return float(value)


@dataclass(frozen=True)
class ResistanceTable:
    """A checked resistance table: resistance per metre by layer and class, plus strip widths.

    ``resistance[section][class]`` is in cost units per metre (``inf`` = impassable).
    """

    resistance: dict[str, dict[str, float]]
    widths: dict[str, dict[str, float]]
    structure: dict[str, float]
    bridge_sites: dict[str, Any]
    restoration: dict[str, Any]
    path: str
    raw: dict = field(repr=False, default_factory=dict)

    def value(self, section: str, cls: str | None) -> float:
        """Resistance of a class, falling back to the section's ``default``."""
        sec = self.resistance[section]
        if cls is not None and str(cls) in sec:
            return sec[str(cls)]
        if "default" in sec:
            return sec["default"]
        raise InputError(f"{self.path}: class {section}.{cls} has no value (and {section} has no default)")

    @property
    def minimum(self) -> float:
        return min(v for sec in self.resistance.values() for v in sec.values())


def load_resistance_table(path: str | os.PathLike | None = None) -> ResistanceTable:
    """Read and check a resistance table (TOML); ``None`` reads the shipped default.

    Every class listed in the default table must have a value > 0 (or ``inf`` /
    ``"impassable"``); a missing, negative or non-numeric value raises :class:`InputError`
    naming the file and the class.
    """
    p = Path(path) if path is not None else default_table_path()
    raw = _read_toml(p)
    file = str(p)
    res: dict[str, dict[str, float]] = {}
    for section, required in _RESISTANCE_SECTIONS.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise InputError(f"{file}: [{section}] must be a table of class = resistance")
        for cls in required:
            if cls not in given:
                raise InputError(f"{file}: class {section}.{cls} has no value")
        res[section] = {str(k): _resistance_value(file, f"{section}.{k}", v) for k, v in given.items()}
    widths: dict[str, dict[str, float]] = {}
    for section, required in _WIDTH_SECTIONS.items():
        given = raw.get(section, {})
        for cls in required:
            if cls not in given:
                raise InputError(f"{file}: width {section}.{cls} has no value")
        widths[section] = {str(k): _number(file, f"{section}.{k}", v, lo=0) for k, v in given.items()}
    struct = raw.get("structure", {})
    structure = {}
    for cls in ("surface", "bridge", "tunnel"):
        if cls not in struct:
            raise InputError(f"{file}: structure.{cls} has no value")
        structure[cls] = _number(file, f"structure.{cls}", struct[cls], lo=0, hi=1)
    bs = raw.get("bridge_sites", {})
    for key in ("resistance", "radius_m", "statuses"):
        if key not in bs:
            raise InputError(f"{file}: bridge_sites.{key} has no value")
    bridge_sites = {
        "resistance": _resistance_value(file, "bridge_sites.resistance", bs["resistance"]),
        "radius_m": _number(file, "bridge_sites.radius_m", bs["radius_m"], lo=0),
        "statuses": [str(s) for s in bs["statuses"]],
    }
    rs = raw.get("restoration", {})
    for key in ("resistance", "radii_m"):
        if key not in rs:
            raise InputError(f"{file}: restoration.{key} has no value")
    radii = rs["radii_m"]
    if not isinstance(radii, list) or not radii:
        raise InputError(f"{file}: restoration.radii_m must be a list of radii in metres")
    restoration = {
        "resistance": _resistance_value(file, "restoration.resistance", rs["resistance"]),
        "radii_m": [_number(file, "restoration.radii_m", r, lo=1e-9) for r in radii],
    }
    return ResistanceTable(res, widths, structure, bridge_sites, restoration, file, raw)


def load_reclass_table(path: str | os.PathLike) -> dict[int, float]:
    """A land-cover reclassification table: ``[classes]`` of ``code = resistance``.

    Codes are integers (TOML keys, e.g. ``10 = 1``); values as in a resistance table.
    """
    p = Path(path)
    raw = _read_toml(p)
    classes = raw.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise InputError(f"{p}: needs a [classes] table of land-cover code = resistance")
    out: dict[int, float] = {}
    for k, v in classes.items():
        try:
            code = int(str(k).strip())
        except ValueError:
            raise InputError(f"{p}: class {k!r} is not an integer land-cover code") from None
        out[code] = _resistance_value(str(p), str(code), v)
    return out


# ------------------------------------------------------------------------------------------------
# Grids and rasterizing
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid in EPSG:4547: origin (west, north), square cells, shape."""

    west: float
    north: float
    cellsize: float
    width: int
    height: int
    crs: str = "EPSG:4547"

    @property
    def shape(self) -> tuple[int, int]:
        return (self.height, self.width)

    @property
    def transform(self):
        from affine import Affine

        return Affine(self.cellsize, 0.0, self.west, 0.0, -self.cellsize, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.west, self.north - self.height * self.cellsize,
                self.west + self.width * self.cellsize, self.north)

    def xy(self, rows, cols) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates."""
        rows = np.asarray(rows, dtype=float)
        cols = np.asarray(cols, dtype=float)
        return self.west + (cols + 0.5) * self.cellsize, self.north - (rows + 0.5) * self.cellsize

    def rowcol(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells holding points (may fall outside the grid)."""
        c = np.floor((np.asarray(x, dtype=float) - self.west) / self.cellsize).astype(int)
        r = np.floor((self.north - np.asarray(y, dtype=float)) / self.cellsize).astype(int)
        return r, c

    def burn(self, shapes: Iterable[tuple[Any, float]], *, all_touched: bool = False,
             fill: float = np.nan) -> np.ndarray:
        """Rasterize (geometry, value) pairs; later shapes cover earlier ones."""
        from rasterio.features import rasterize

        shapes = [(g, float(v)) for g, v in shapes if g is not None and not g.is_empty]
        if not shapes:
            return np.full(self.shape, fill, dtype=float)
        return rasterize(shapes, out_shape=self.shape, transform=self.transform, fill=fill,
                         all_touched=all_touched, dtype="float64")

    def mask(self, geoms: Iterable[Any], *, all_touched: bool = False) -> np.ndarray:
        return np.isfinite(self.burn(((g, 1.0) for g in geoms), all_touched=all_touched))


def make_grid(geometry, resolution: float) -> Grid:
    """The grid of ``resolution``-metre cells covering a geometry, snapped to multiples of it."""
    if not resolution > 0:
        raise InputError(f"resolution {resolution!r} must be > 0 metres")
    x0, y0, x1, y1 = geometry.bounds
    west = math.floor(x0 / resolution) * resolution
    north = math.ceil(y1 / resolution) * resolution
    width = int(math.ceil((x1 - west) / resolution))
    height = int(math.ceil((north - y0) / resolution))
    return Grid(west, north, float(resolution), max(width, 1), max(height, 1))


def _extent_geometry(network, extent: str):
    import shapely

    if extent == "district":
        geom = network.district
    elif extent == "city":
        d = network["districts"]
        # the districts layer holds the city's other districts: add the boundary to it
        geom = shapely.union_all([*d.geometry.values, network.district]) if len(d) else network.district
        if not len(d):
            log.warning("no districts layer: the city extent falls back to the district boundary")
    else:
        raise InputError(f"extent {extent!r} must be 'district' or 'city'")
    if geom is None or geom.is_empty:
        raise InputError("the boundary layer is empty: no extent to build a raster on")
    return geom


def _paint(r: np.ndarray, painted: np.ndarray) -> None:
    ok = np.isfinite(painted) | np.isposinf(painted)
    ok &= ~np.isnan(painted)
    r[ok] = painted[ok]


def _burn_barriers(r: np.ndarray, network, grid: Grid, table: ResistanceTable) -> None:
    """Barriers raise cells to max(r, r_kind * (1 - p) * structure); bridge sites lower them."""
    bars = network["barriers"]
    if len(bars):
        kinds = bars["kind"].astype(str).to_numpy()
        perm = bars["permeability"].fillna(0.0).to_numpy(dtype=float)
        struct = bars["structure"].where(bars["structure"].notna(), "surface").astype(str).to_numpy()
        share = np.array([table.structure.get(s, 1.0) for s in struct])
        base = np.array([table.value("barriers", k) for k in kinds])
        open_ = (share <= 0) | (perm >= 1)  # a tunnel, or a fully permeable barrier
        with np.errstate(invalid="ignore"):
            val = np.where(open_, 0.0, base * np.where(open_, 1.0, share * (1.0 - perm)))
        width = np.array([table.widths["barrier_width_m"].get(k, 20.0) for k in kinds])
        geoms = bars.geometry.buffer(np.maximum(width, grid.cellsize * 0.5) / 2.0, cap_style="flat").values
        order = np.argsort(val)
        shapes = [(geoms[i], val[i]) for i in order if val[i] > 0]
        burnt = grid.burn(shapes, all_touched=True)
        hit = ~np.isnan(burnt)
        r[hit] = np.maximum(r[hit], burnt[hit])
    sites = network["bridges"]
    bs = table.bridge_sites
    if len(sites) and bs["radius_m"] > 0:
        use = sites[sites["status"].astype(str).isin(bs["statuses"])]
        if len(use):
            radius = max(bs["radius_m"], grid.cellsize / 2.0)
            m = grid.mask(use.geometry.buffer(radius).values, all_touched=True)
            r[m] = np.minimum(r[m], bs["resistance"])


def resistance_surface(
    network,
    *,
    table: ResistanceTable | str | os.PathLike | None = None,
    resolution: float = 30.0,
    extent: str = "district",
    grid: Grid | None = None,
) -> tuple[np.ndarray, Grid]:
    """The resistance surface (cost units per metre) of a network's layers, by a resistance table.

    Painted in order, later layers covering earlier ones: matrix, reservoirs, river (a strip of
    the table's width), belt, drawn corridors' footprints (by status), ridge (by kind), patches;
    then barriers raise their strip to ``max(r, r_kind * (1 - permeability) * structure share)``
    (tunnel sections share 0: no barrier) and built escape-bridge sites lower a disc to the
    table's value. Cells outside the extent (district boundary, or the city's districts) are NaN;
    impassable classes are ``inf``.

    Returns
    -------
    (numpy.ndarray, Grid)
        The surface and its grid (EPSG:4547).
    """
    table = table if isinstance(table, ResistanceTable) else load_resistance_table(table)
    ext = _extent_geometry(network, extent)
    grid = grid or make_grid(ext, resolution)
    r = np.full(grid.shape, table.value("matrix", "default"))

    def section(layer: str, name: str, column: str | None, geoms=None, *, all_touched=False):
        gdf = network[layer]
        if not len(gdf):
            return
        vals = [table.value(name, None if column is None else v)
                for v in (gdf[column].astype(str) if column else [None] * len(gdf))]
        gs = gdf.geometry.values if geoms is None else geoms
        _paint(r, grid.burn(zip(gs, vals, strict=True), all_touched=all_touched))

    section("reservoirs", "reservoirs", None)
    riv = network["river"]
    if len(riv):
        w = np.array([table.widths["river_width_m"].get(str(k), 15.0) for k in riv["rank"]])
        section("river", "river", "rank", riv.geometry.buffer(np.maximum(w, 1.0) / 2.0).values, all_touched=True)
    section("belt", "belt", None)
    cor = network["corridors"]
    if len(cor):
        section("corridors", "corridors", "status", cor.geometry.buffer(cor["width_m"].fillna(30.0).to_numpy() / 2.0).values)
    section("ridge", "ridge", "kind")
    section("patches", "patches", "kind")
    _burn_barriers(r, network, grid, table)
    inside = grid.mask([ext])
    r[~inside] = np.nan
    return r, grid


def resistance_from_landcover(
    path: str | os.PathLike,
    reclass: dict[int, float] | str | os.PathLike,
    grid: Grid,
    *,
    reclass_name: str | None = None,
) -> np.ndarray:
    """Resistance from a land-cover GeoTIFF and a reclassification table, on ``grid``.

    The raster is reprojected (nearest neighbour) to the grid's CRS and cells; nodata and NaN
    stay NaN. Refused with :class:`InputError` when the file has no CRS, does not overlap the
    grid, holds no valid cell over it, or holds a class the table does not list.
    """
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.warp import Resampling, reproject, transform_bounds

    p = Path(path)
    table_name = reclass_name or (str(reclass) if not isinstance(reclass, dict) else "the reclass table")
    if not isinstance(reclass, dict):
        reclass = load_reclass_table(reclass)
    try:
        src = rasterio.open(p)
    except RasterioIOError as exc:
        raise InputError(f"{p}: not a readable raster: {str(exc).splitlines()[0]}") from None
    with src:
        if src.crs is None:
            raise InputError(f"{p}: has no CRS; give it one (e.g. gdal_edit.py -a_srs EPSG:4326)")
        gb = transform_bounds(grid.crs, src.crs, *grid.bounds, densify_pts=21)
        sb = src.bounds
        if gb[0] >= sb.right or gb[2] <= sb.left or gb[1] >= sb.top or gb[3] <= sb.bottom:
            raise InputError(
                f"{p}: does not overlap the study area (raster bounds {sb.left:.4f}, {sb.bottom:.4f}, "
                f"{sb.right:.4f}, {sb.top:.4f} in {src.crs.to_string()})"
            )
        dst = np.full(grid.shape, np.nan)
        reproject(
            source=rasterio.band(src, 1), destination=dst, src_nodata=src.nodata,
            dst_transform=grid.transform, dst_crs=grid.crs, dst_nodata=np.nan,
            resampling=Resampling.nearest,
        )
    valid = np.isfinite(dst)
    if not valid.any():
        raise InputError(f"{p}: no valid land-cover cell over the study area (all nodata or NaN)")
    codes = np.unique(dst[valid])
    missing = [c for c in codes if float(c).is_integer() is False or int(c) not in reclass]
    if missing:
        shown = ", ".join(f"{c:g}" for c in missing[:10])
        raise InputError(f"{p}: land-cover class {shown} has no resistance in {table_name}")
    lut_codes = np.array(sorted(reclass))
    lut_vals = np.array([reclass[c] for c in lut_codes])
    out = np.full(grid.shape, np.nan)
    out[valid] = lut_vals[np.searchsorted(lut_codes, dst[valid].astype(np.int64))]
    return out


# ------------------------------------------------------------------------------------------------
# The modelled corridors of a network
# ------------------------------------------------------------------------------------------------


def _circuit_analysis(resistance, masks, pairs, *, neighbours, solver, tol, max_memory, progress):
    """Pairwise effective resistance and the cumulative current over ``pairs``, from shared solves."""
    circ = _circuit(resistance, masks, neighbours=neighbours, average="conductance")
    _check_memory(int(np.asarray(resistance).size), len(masks), neighbours, max_memory)
    comp, cols = _component_potentials(circ, solver=solver, tol=tol, progress=progress)
    f = circ.focal
    k = len(masks)
    reff = np.full((k, k), -1.0)
    for a in range(k):
        if f[a] < 0:
            continue
        reff[a, a] = 0.0
        for b in range(a + 1, k):
            if f[b] >= 0 and comp[f[a]] == comp[f[b]]:
                reff[a, b] = reff[b, a] = cols[a][f[a]] + cols[b][f[b]] - 2.0 * cols[a][f[b]]
    total = np.zeros(circ.n)
    for a, b in pairs:
        if f[a] >= 0 and f[b] >= 0 and comp[f[a]] == comp[f[b]]:
            total += _node_current(circ, _pair_voltage(cols, circ, a, b), a, b)
    cur = np.full(resistance.size, np.nan)
    ok = circ.node_of_cell >= 0
    cur[ok] = total[circ.node_of_cell[ok]]
    return reff, cur.reshape(resistance.shape)


_STEPS8 = ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1))


def _trace(cwd: np.ndarray, cost: np.ndarray, end: tuple[int, int], *, cellsize: float,
           neighbours: int) -> list[tuple[int, int]]:
    """A least-cost path from a source to ``end``, walking back down the cost-distance surface.

    At each cell the predecessor is the neighbour n with ``cwd[n] + step(n, cell) == cwd[cell]``
    (the one closest to it), which rebuilds a path of exactly the least cost.
    """
    steps = _STEPS8 if neighbours == 8 else _STEPS8[:4]
    h, w = cwd.shape
    path = [end]
    r, c = end
    for _ in range(cwd.size):
        here = cwd[r, c]
        if here <= 0:
            break
        best, gap = None, math.inf
        for dr, dc in steps:
            rr, cc = r + dr, c + dc
            if 0 <= rr < h and 0 <= cc < w and cwd[rr, cc] < here:
                step = cellsize * (SQRT2 if dr and dc else 1.0) * (cost[r, c] + cost[rr, cc]) / 2.0
                g = abs(cwd[rr, cc] + step - here)
                if g < gap:
                    best, gap = (rr, cc), g
        if best is None:
            break
        r, c = best
        path.append(best)
    return path[::-1]


@dataclass
class CorridorModel:
    """Everything :func:`model_corridors` computes. Cost values are in cost units, not metres."""

    grid: Grid
    resistance: np.ndarray
    table: ResistanceTable
    sources: Any  # GeoDataFrame of the source patches (index id), with cells and area
    cost_distance: np.ndarray  # to the nearest source
    corridors: np.ndarray  # normalized least-cost corridor, truncated at width (NaN beyond)
    width: float
    current: np.ndarray | None
    barriers: np.ndarray | None
    paths: Any  # GeoDataFrame of least-cost paths
    pinch_points: Any  # GeoDataFrame
    comparison: Any  # DataFrame: one row per drawn corridor
    lcd: Any  # DataFrame: least-cost distance between every pair of sources
    effective_resistance: Any  # DataFrame or None
    landcover: str | None = None
    notes: dict = field(default_factory=dict)
    source_labels: np.ndarray | None = field(default=None, repr=False)  # source index per cell, -1 elsewhere

    @property
    def missing_links(self):
        """Modelled links that no drawn corridor joins."""
        return self.paths[~self.paths["planned"]]


def _source_labels(sources, grid: Grid, resistance: np.ndarray) -> np.ndarray:
    """Label raster: index of the source patch per cell, -1 elsewhere (small patches all-touched)."""
    lab = grid.burn(zip(sources.geometry.values, np.arange(len(sources)), strict=True), fill=-1)
    lab = lab.astype(np.int64)
    have = np.bincount(lab[lab >= 0], minlength=len(sources))
    for i in np.flatnonzero(have == 0):
        m = grid.mask([sources.geometry.values[i]], all_touched=True) & (lab < 0)
        lab[m] = i
    lab[~np.isfinite(resistance)] = -1
    return lab


def model_corridors(
    network,
    *,
    resolution: float = 30.0,
    extent: str = "district",
    table: ResistanceTable | str | os.PathLike | None = None,
    landcover: str | os.PathLike | None = None,
    reclass: str | os.PathLike | None = None,
    width: float = 20000.0,
    max_cost: float | None = None,
    neighbours: int = 8,
    circuit: bool = True,
    pinch_quantile: float = 0.9,
    solver: str = "auto",
    max_memory: int | None = None,
    progress: bool = False,
) -> CorridorModel:
    """Least-cost corridors, circuit-theory current and pinch points for a network.

    Sources are the habitat patches inside the extent. Links are the drawn corridors' end
    patches (``from_id``/``to_id``) plus every other pair whose least-cost distance is at most
    ``max_cost`` (default: the costliest drawn link) and whose path crosses no third patch
    (Linkage Mapper's rule). For each link: the least-cost path, its cost-weighted distance
    (``cwd``, cost units), the edge-to-edge Euclidean distance of the patches and their ratio,
    and the normalized corridor :math:`\\mathrm{CWD}_a + \\mathrm{CWD}_b - \\mathrm{LCD}_{ab}`;
    the corridor surface is the minimum over links, truncated at ``width`` cost units.
    Circuit theory (patches as short-circuited focal regions, 1 A per link) gives the
    cumulative current; pinch points are the clusters of cells above the ``pinch_quantile``
    of current inside the corridors and outside the patches. Barrier Mapper scores the cells
    by the improvement of restoring discs of the table's radii.

    Parameters
    ----------
    network
        A :class:`~ecomap.network.Network`.
    resolution
        Cell size in metres (30 by default; 10 for detail).
    extent
        ``'district'`` (the boundary) or ``'city'`` (the districts layer and the boundary).
    table
        A resistance table (path or :class:`ResistanceTable`); default: the shipped one.
    landcover, reclass
        A land-cover GeoTIFF and its reclassification table, used instead of the layers for the
        base surface (barriers and bridge sites from the layers and ``table`` still apply).
    width
        Corridor truncation width in cost units.
    max_cost
        Cost threshold for links the plan lacks.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely
    from tqdm import tqdm

    from .crs import INTERNAL

    if (landcover is None) != (reclass is None):
        raise InputError("a land-cover raster needs its reclass table (--landcover with --reclass)")
    if not width > 0:
        raise InputError(f"corridor width {width!r} must be > 0 cost units")
    table = table if isinstance(table, ResistanceTable) else load_resistance_table(table)
    ext = _extent_geometry(network, extent)
    grid = make_grid(ext, resolution)
    if landcover is not None:
        r = resistance_from_landcover(landcover, reclass, grid)
        _burn_barriers(r, network, grid, table)
        r[~grid.mask([ext])] = np.nan
    else:
        r, grid = resistance_surface(network, table=table, grid=grid, extent=extent)
    cs = grid.cellsize

    patches = network["patches"]
    inside = patches[patches.intersects(ext)] if len(patches) else patches
    lab = _source_labels(inside, grid, r) if len(inside) else np.full(grid.shape, -1)
    ncell = np.bincount(lab[lab >= 0], minlength=len(inside))
    sources = inside[ncell > 0].copy()
    keep = np.flatnonzero(ncell > 0)
    remap = np.full(len(inside) + 1, -1)
    remap[keep] = np.arange(len(keep))
    lab = np.where(lab >= 0, remap[lab], -1)
    sources["cells"] = ncell[keep]
    sources["area_m2"] = sources.geometry.area
    ids = [str(i) for i in sources.index]
    n = len(ids)
    log.info("%d source patches on a %d x %d grid of %g m", n, grid.height, grid.width, cs)

    # cost-distance from every source, and the least-cost distance between every pair
    cwd: list[np.ndarray] = []
    lcd = np.full((n, n), np.inf)
    nearest = np.full(grid.shape, np.inf)
    # the source cells grouped by source, so each source's minimum is one reduceat (every source
    # has at least one cell), not a pass over the whole raster
    flat = np.flatnonzero(lab.ravel() >= 0)
    in_source = flat[np.argsort(lab.ravel()[flat], kind="stable")]
    first = np.searchsorted(lab.ravel()[in_source], np.arange(n))
    each = cost_distances(r, (lab == a for a in range(n)), cellsize=cs, neighbours=neighbours)
    for a, d in enumerate(tqdm(each, total=n, desc="cost-distance", unit="source", disable=not progress,
                               leave=False)):
        cwd.append(d)
        np.minimum(nearest, d, out=nearest)
        if n:
            lcd[a] = np.minimum.reduceat(d.ravel()[in_source], first)
    lcd = np.minimum(lcd, lcd.T)
    np.fill_diagonal(lcd, 0.0)

    # links: the drawn corridors' end patches, then the pairs the plan lacks
    cor = network["corridors"]
    pos = {pid: i for i, pid in enumerate(ids)}
    drawn: dict[tuple[int, int], list[str]] = {}
    for cid, row in cor.iterrows():
        a, b = pos.get(str(row["from_id"])), pos.get(str(row["to_id"]))
        if a is not None and b is not None and a != b:
            drawn.setdefault((min(a, b), max(a, b)), []).append(str(cid))
    drawn_costs = [lcd[p] for p in drawn if np.isfinite(lcd[p])]
    threshold = max_cost if max_cost is not None else (max(drawn_costs) if drawn_costs else None)
    pairs: list[tuple[int, int]] = list(drawn)
    if threshold is None and n > 1:  # no drawn links: each source to its nearest by cost
        off = lcd + np.diag(np.full(n, np.inf))
        pairs = sorted({(min(a, int(np.argmin(off[a]))), max(a, int(np.argmin(off[a])))) for a in range(n)
                        if np.isfinite(off[a]).any()})
        threshold = math.inf
    candidates = [(a, b) for a in range(n) for b in range(a + 1, n)
                  if (a, b) not in drawn and np.isfinite(lcd[a, b]) and lcd[a, b] <= threshold]

    rows, mosaic, which = [], np.full(grid.shape, np.inf), np.full(grid.shape, -1, dtype=np.int64)
    links: list[tuple[int, int]] = []
    for a, b in tqdm(sorted(set(pairs) | set(candidates)), desc="least-cost paths", unit="link",
                     disable=not progress, leave=False):
        if not np.isfinite(lcd[a, b]):
            continue
        db = np.where(lab == b, cwd[a], np.inf)
        end = np.unravel_index(int(np.argmin(db)), grid.shape)
        cells = np.array(_trace(cwd[a], r, end, cellsize=cs, neighbours=neighbours))
        crossed = sorted({int(x) for x in lab[cells[:, 0], cells[:, 1]]} - {-1, a, b})
        planned = (a, b) in drawn
        if crossed and not planned:
            continue  # Linkage Mapper drops links that run through a third core
        if not planned and sources.geometry.iloc[a].distance(sources.geometry.iloc[b]) == 0:
            continue  # patches that touch are one habitat, not a link
        link = len(links)
        links.append((a, b))
        nl = cwd[a] + cwd[b] - lcd[a, b]
        better = nl < mosaic
        mosaic[better] = nl[better]
        which[better] = link
        xs, ys = grid.xy(cells[:, 0], cells[:, 1])
        line = shapely.linestrings(xs, ys) if len(cells) > 1 else shapely.points(xs[0], ys[0]).buffer(0.01).boundary
        rows.append({
            "id": f"{ids[a]}--{ids[b]}", "from_id": ids[a], "to_id": ids[b], "cwd": float(lcd[a, b]),
            "planned": planned, "corridor_ids": ",".join(drawn.get((a, b), [])) or None,
            "via": ",".join(ids[x] for x in crossed) or None, "geometry": line,
        })
    paths = gpd.GeoDataFrame(rows, geometry="geometry", crs=INTERNAL) if rows else gpd.GeoDataFrame(
        {c: [] for c in ("id", "from_id", "to_id", "cwd", "planned", "corridor_ids", "via")},
        geometry=gpd.GeoSeries([], crs=INTERNAL), crs=INTERNAL)
    paths = paths.set_index("id")
    if len(paths):
        ga = sources.geometry.loc[paths["from_id"]].values
        gb = sources.geometry.loc[paths["to_id"]].values
        paths["euclid_m"] = shapely.distance(ga, gb)
        paths["lcp_len_m"] = paths.geometry.length
        with np.errstate(divide="ignore", invalid="ignore"):
            paths["ratio"] = np.where(paths["euclid_m"] > 0, paths["cwd"] / paths["euclid_m"], np.nan)
    else:
        for c in ("euclid_m", "lcp_len_m", "ratio"):
            paths[c] = pd.Series(dtype=float)
    corridor = np.where((mosaic <= width) & (lab < 0), mosaic, np.nan)  # sources are not corridor

    current = barriers = None
    reff_df = None
    if circuit and n > 1 and links:
        masks = [lab == i for i in range(n)]
        reff, current = _circuit_analysis(r, masks, links, neighbours=neighbours, solver=solver,
                                          tol=1e-8, max_memory=max_memory, progress=progress)
        reff_df = pd.DataFrame(reff, index=pd.Index(ids, name="id"), columns=ids)
        paths["eff_resistance"] = [reff[a, b] for a, b in links]
        rad = [x for x in table.restoration["radii_m"] if x >= cs] or [cs]
        barriers = _link_improvements(cwd, links, radii=rad, cellsize=cs, restored=table.restoration["resistance"])
        barriers[~np.isfinite(r)] = np.nan
    elif len(paths):
        paths["eff_resistance"] = np.nan

    pinch = _pinch_points(current, corridor, lab, which, links, ids, grid, pinch_quantile)
    comparison = _compare_plan(network, corridor, r, grid, lcd, pos, lab, ext)
    return CorridorModel(
        grid=grid, resistance=r, table=table, sources=sources, cost_distance=nearest,
        corridors=corridor, width=float(width), current=current, barriers=barriers, paths=paths,
        pinch_points=pinch, comparison=comparison,
        lcd=pd.DataFrame(lcd, index=pd.Index(ids, name="id"), columns=ids),
        effective_resistance=reff_df, landcover=None if landcover is None else str(landcover),
        notes={"max_cost": threshold, "extent": extent, "neighbours": neighbours},
        source_labels=lab,
    )


def _link_improvements(cwd: list[np.ndarray], links, *, radii, cellsize: float, restored: float) -> np.ndarray:
    """The largest :func:`barrier_improvement` over the links (0 where none improves).

    The same values as the maximum of :func:`barrier_improvement` over the links, but each
    source's disc minima are filtered once per radius, not once per link the source is in (the
    filter is the costly part: a disc of 24 cells at 10 m is 1 793 cells per output cell).
    A link adds nothing where neither of its sources reaches (Barrier Mapper's NaN there).
    """
    shape = cwd[0].shape if cwd else (0, 0)
    barriers = np.zeros(shape)
    lcds = [_pair_lcd(cwd[a], cwd[b]) for a, b in links]
    reach = [np.isfinite(cwd[a]) | np.isfinite(cwd[b]) for a, b in links]
    used = sorted({s for link in links for s in link})
    for r in radii:
        if r < cellsize:
            raise ValueError(f"radius {r} is smaller than a cell ({cellsize})")
        minima = {s: _disc_minimum(cwd[s], r / cellsize) for s in used}
        for (a, b), lcd, ok in zip(links, lcds, reach, strict=True):
            better = np.maximum(barriers, _improvement(lcd, minima[a], minima[b], r, restored))
            barriers = np.where(ok, better, barriers)
    return barriers


def _pinch_points(current, corridor, lab, which, links, ids, grid: Grid, quantile: float):
    """Clusters of high current inside the corridors, as points at each cluster's peak."""
    import geopandas as gpd
    import pandas as pd

    from .crs import INTERNAL

    cols = ("link", "current", "cells", "area_m2", "threshold")
    empty = gpd.GeoDataFrame({c: [] for c in cols}, geometry=gpd.GeoSeries([], crs=INTERNAL), crs=INTERNAL)
    empty.index.name = "id"
    if current is None:
        return empty
    inside = np.isfinite(corridor) & (lab < 0) & np.isfinite(current)
    if not inside.any():
        return empty
    thr = float(np.quantile(current[inside], quantile))
    hot = inside & (current >= thr)
    labels, k = ndimage.label(hot, structure=np.ones((3, 3)))
    if not k:
        return empty
    idx = np.arange(1, k + 1)
    peak = ndimage.maximum_position(np.where(hot, current, -np.inf), labels, idx)
    size = ndimage.sum(hot, labels, idx)
    pr = np.array([p[0] for p in peak])
    pc = np.array([p[1] for p in peak])
    xs, ys = grid.xy(pr, pc)
    link_of = which[pr, pc]
    gdf = gpd.GeoDataFrame({
        "link": [f"{ids[links[i][0]]}--{ids[links[i][1]]}" if i >= 0 else None for i in link_of],
        "current": current[pr, pc],
        "cells": size.astype(int),
        "area_m2": size * grid.cellsize ** 2,
        "threshold": thr,
    }, geometry=gpd.points_from_xy(xs, ys), crs=INTERNAL)
    gdf = gdf.sort_values("current", ascending=False)
    gdf.index = pd.Index([f"P{i + 1:03d}" for i in range(len(gdf))], name="id")
    return gdf


def _line_cost(line, r: np.ndarray, grid: Grid) -> float:
    """Cost of walking a line: resistance sampled every half cell times the step length."""
    import shapely

    length = line.length
    if length == 0:
        return 0.0
    nstep = max(int(math.ceil(length / (grid.cellsize / 2.0))), 1)
    step = length / nstep
    pts = shapely.line_interpolate_point(line, (np.arange(nstep) + 0.5) * step)
    rr, cc = grid.rowcol(shapely.get_x(pts), shapely.get_y(pts))
    ok = (rr >= 0) & (rr < grid.height) & (cc >= 0) & (cc < grid.width)
    if not ok.all():
        return math.nan
    vals = r[rr, cc]
    return float(np.sum(vals) * step) if np.isfinite(vals).all() else math.nan


def _compare_plan(network, corridor, r, grid: Grid, lcd, pos, lab, ext):
    """One row per drawn corridor that reaches into the extent: overlap with the model, and costs.

    The overlap is the share of the footprint's cells (outside the source patches) that lie
    inside the modelled corridor. The drawn line's cost is NaN where the line leaves the
    raster or crosses an impassable cell.
    """
    import pandas as pd

    cor = network["corridors"]
    if len(cor):
        cor = cor[cor.intersects(ext)]
    rows = []
    modelled = np.isfinite(corridor)
    for cid, row in cor.iterrows():
        foot = row.geometry.buffer(float(row["width_m"]) / 2.0 if pd.notna(row["width_m"]) else 15.0)
        m = grid.mask([foot], all_touched=True) & np.isfinite(r) & (lab < 0)
        cells = int(m.sum())
        a, b = pos.get(str(row["from_id"])), pos.get(str(row["to_id"]))
        link = a is not None and b is not None and a != b
        modelled_cost = float(lcd[a, b]) if link else math.nan
        drawn_cost = _line_cost(row.geometry, r, grid)
        rows.append({
            "id": str(cid), "from_id": row["from_id"], "to_id": row["to_id"], "status": row["status"],
            "footprint_cells": cells,
            "overlap": float(modelled[m].mean()) if cells else math.nan,
            "modelled_cwd": modelled_cost,
            "drawn_line_cost": drawn_cost,
            "cost_ratio": drawn_cost / modelled_cost if link and modelled_cost > 0 else math.nan,
        })
    cols = ["id", "from_id", "to_id", "status", "footprint_cells", "overlap", "modelled_cwd",
            "drawn_line_cost", "cost_ratio"]
    return pd.DataFrame(rows, columns=cols).set_index("id")


# ------------------------------------------------------------------------------------------------
# Outputs: GeoTIFFs, layers, tables and PNG overlays
# ------------------------------------------------------------------------------------------------

_UNITS = {
    "resistance": "cost units per metre",
    "cost_distance": "cost units (resistance x metres), not metres",
    "corridors": "cost units above the least-cost distance (CWD_a + CWD_b - LCD_ab), not metres",
    "current": "amperes (cumulative current, 1 A per linked pair of sources)",
    "barriers": "cost units saved per metre restored (Barrier Mapper improvement score)",
}


def _write_tif(path: Path, arr: np.ndarray, grid: Grid, *, name: str, tags: dict) -> Path:
    import rasterio

    from .io import atomic_write

    with atomic_write(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
                           dtype="float32", crs=grid.crs, transform=grid.transform, nodata=np.nan,
                           compress="deflate") as dst:
            dst.write(np.asarray(arr, dtype="float32"), 1)
            dst.set_band_description(1, name)
            dst.update_tags(units=_UNITS[name], **{k: str(v) for k, v in tags.items()})
    return path


def write_corridor_outputs(model: CorridorModel, out_dir: str | os.PathLike) -> tuple[list[Path], list[dict]]:
    """Write the rasters (GeoTIFF), layers (GeoJSON), tables (CSV), summary and PNG overlays.

    Returns the files written and the overlays (see :func:`render_overlays`).
    """
    from .io import write_geojson, write_json, write_text

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table_json = json.dumps(model.table.raw, default=str, ensure_ascii=False)
    common = {"resolution_m": model.grid.cellsize, "crs": model.grid.crs,
              "resistance_table": model.table.path, "resistance_values": table_json}
    if model.landcover:
        common["landcover"] = model.landcover
    written = [_write_tif(out / "resistance.tif", model.resistance, model.grid, name="resistance", tags=common)]
    written.append(_write_tif(out / "cost_distance.tif", np.where(np.isfinite(model.cost_distance),
                              model.cost_distance, np.nan), model.grid, name="cost_distance", tags=common))
    written.append(_write_tif(out / "corridors.tif", model.corridors, model.grid, name="corridors",
                              tags={**common, "truncation_width_cost_units": model.width}))
    if model.current is not None:
        written.append(_write_tif(out / "current.tif", model.current, model.grid, name="current", tags=common))
    if model.barriers is not None:
        written.append(_write_tif(out / "barriers.tif", model.barriers, model.grid, name="barriers", tags=common))
    if len(model.paths):
        written.append(write_geojson(model.paths, out / "least_cost_paths.geojson"))
    if len(model.pinch_points):
        written.append(write_geojson(model.pinch_points, out / "pinch_points.geojson"))
    written.append(write_text(out / "corridor_comparison.csv", model.comparison.to_csv(float_format="%.6g")))
    written.append(write_text(out / "least_cost_distance.csv", model.lcd.to_csv(float_format="%.6g")))
    if model.effective_resistance is not None:
        written.append(write_text(out / "effective_resistance.csv",
                                  model.effective_resistance.to_csv(float_format="%.8g")))
    overlays = render_overlays(model, out)
    written += [o["png"] for o in overlays]
    written.append(write_json(out / "summary.json", {
        "units": _UNITS,
        "grid": {"crs": model.grid.crs, "resolution_m": model.grid.cellsize, "width": model.grid.width,
                 "height": model.grid.height, "bounds": list(model.grid.bounds)},
        "resistance_table": model.table.path,
        "landcover": model.landcover,
        "sources": len(model.sources),
        "links": int(len(model.paths)),
        "planned_links": int(model.paths["planned"].sum()) if len(model.paths) else 0,
        "links_the_plan_lacks": sorted(model.missing_links.index.tolist()) if len(model.paths) else [],
        "corridor_width_cost_units": model.width,
        "max_cost_for_new_links": model.notes.get("max_cost"),
        "pinch_points": int(len(model.pinch_points)),
        "overlays": [{**o, "png": o["png"].name} for o in overlays],
    }))
    return written, overlays


def _to_mercator(arr: np.ndarray, grid: Grid) -> tuple[np.ndarray, list[list[float]]]:
    """Warp a raster to Web Mercator (so Leaflet can stretch it) and its WGS-84 bounds."""
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    dst_t, w, h = calculate_default_transform(grid.crs, "EPSG:3857", grid.width, grid.height, *grid.bounds)
    dst = np.full((h, w), np.nan)
    reproject(np.asarray(arr, dtype="float64"), dst, src_transform=grid.transform, src_crs=grid.crs,
              dst_transform=dst_t, dst_crs="EPSG:3857", src_nodata=np.nan, dst_nodata=np.nan,
              resampling=Resampling.nearest)
    west, north = dst_t.c, dst_t.f
    east, south = west + w * dst_t.a, north + h * dst_t.e
    tr = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    lon0, lat0 = tr.transform(west, south)
    lon1, lat1 = tr.transform(east, north)
    return dst, [[lat0, lon0], [lat1, lon1]]


def _hex(rgba) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(round(c * 255)) for c in rgba[:3]))


def _render(path: Path, values: np.ndarray, grid: Grid, cmap, norm, alpha: float) -> list[list[float]]:
    import matplotlib.image as mpimg

    from .io import atomic_write

    merc, bounds = _to_mercator(values, grid)
    rgba = cmap(norm(np.ma.masked_invalid(merc)))
    rgba[..., 3] = np.where(np.isfinite(merc), alpha, 0.0)
    with atomic_write(path) as tmp:
        mpimg.imsave(tmp, rgba, format="png")
    return bounds


def render_overlays(model: CorridorModel, out_dir: str | os.PathLike) -> list[dict]:
    """Colour-mapped PNG overlays for web maps: resistance, corridors, current, barriers.

    Each overlay is ``{"name", "png", "bounds": [[south, west], [north, east]], "legend":
    {label: hex colour}}``; the PNG is warped to Web Mercator so that Leaflet's image overlay
    places every pixel right, and the bounds are WGS-84.
    """
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, Normalize

    out = Path(out_dir)
    overlays: list[dict] = []
    g = model.grid

    r = model.resistance
    fin = r[np.isfinite(r)]
    if fin.size:
        lo, hi = max(float(fin.min()), 1e-6), max(float(fin.max()), float(fin.min()) * 10)
        cmap = colormaps["RdYlGn_r"]
        norm = LogNorm(lo, hi)
        shown = np.where(np.isposinf(r), hi, r)
        bounds = _render(out / "resistance.png", shown, g, cmap, norm, 0.75)
        stops = sorted({lo, *[v for v in (10.0, 100.0, 1000.0) if lo < v < hi], hi})
        legend = {f"{v:g} per m": _hex(cmap(norm(v))) for v in stops}
        overlays.append({"name": "Resistance (cost units per metre)", "png": out / "resistance.png",
                         "bounds": bounds, "legend": legend})

    c = model.corridors
    if np.isfinite(c).any():
        cmap = colormaps["viridis_r"]
        norm = Normalize(0, model.width)
        bounds = _render(out / "corridors.png", c, g, cmap, norm, 0.7)
        legend = {f"{v:,.0f} cost units above least cost": _hex(cmap(norm(v)))
                  for v in (0, model.width / 2, model.width)}
        overlays.append({"name": f"Least-cost corridors (width {model.width:,.0f} cost units, not metres)",
                         "png": out / "corridors.png", "bounds": bounds, "legend": legend})

    cur = model.current
    if cur is not None and np.isfinite(cur).any() and np.nanmax(cur) > 0:
        v = cur[np.isfinite(cur) & (cur > 0)]
        lo, hi = float(np.quantile(v, 0.05)), float(np.quantile(v, 0.999))
        lo = max(lo, hi * 1e-4)
        cmap = colormaps["inferno"]
        norm = LogNorm(lo, max(hi, lo * 10), clip=True)
        src = model.source_labels if model.source_labels is not None else np.full(cur.shape, -1)
        shown = np.where(np.isfinite(cur) & (cur >= lo) & (src < 0), cur, np.nan)  # sources: transparent
        bounds = _render(out / "current.png", shown, g, cmap, norm, 0.8)
        legend = {f"{x:.3g} A": _hex(cmap(norm(x))) for x in np.geomspace(norm.vmin, norm.vmax, 4)}
        overlays.append({"name": "Current density (circuit theory)", "png": out / "current.png",
                         "bounds": bounds, "legend": legend})

    b = model.barriers
    if b is not None and np.isfinite(b).any() and np.nanmax(b) > 0:
        hi = float(np.nanmax(b))
        cmap = colormaps["magma_r"]
        norm = Normalize(0, hi)
        bounds = _render(out / "barriers.png", np.where(b >= 0.05 * hi, b, np.nan), g, cmap, norm, 0.8)
        legend = {f"{x:,.0f} per m restored": _hex(cmap(norm(x))) for x in (hi * 0.05, hi / 2, hi)}
        overlays.append({"name": "Barriers (improvement score)", "png": out / "barriers.png",
                         "bounds": bounds, "legend": legend})
    return overlays
