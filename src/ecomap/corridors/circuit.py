"""Circuit theory on a resistance raster (Circuitscape's conventions): build the circuit, solve, pairs.

The raster becomes a resistor network (:func:`_circuit`), each connected component holding
focal nodes is solved once per focal node (:func:`_component_potentials`), and every pairwise
quantity - effective resistance, voltage, cumulative current - is read from those potentials by
**one** loop over the pairs (:func:`_solvable_pairs`, driven by :func:`_pairwise`), which
:func:`effective_resistance`, :func:`current_density`, :func:`voltage` and the corridor model
all use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from .._errors import InputError
from ._common import OFFSETS4, OFFSETS8, SQRT2, check_neighbours
from ._pairloop import (
    _component_potentials,
    _every_pair,
    _solvable_pairs,
    all_shorted,
    block_bytes,
    circuit_executor,
    region_pairs,
    ring_count,
)
from ._regions import _check_ring_memory, _on_raster, _through_shorts, check_regions
from ._solver import DIRECT_MAX_BYTES, _check_memory, estimate_memory
from .scaleout import WORKER_BASE_BYTES

__all__ = ["effective_resistance", "current_density", "voltage", "estimate_memory", "DIRECT_MAX_BYTES"]


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

    def to_raster(self, values: np.ndarray, cells: np.ndarray | None = None) -> np.ndarray:
        """Node values on the raster (NaN on dropped cells, and outside ``cells`` if given)."""
        out = np.full(self.shape[0] * self.shape[1], np.nan)
        ok = self.node_of_cell >= 0 if cells is None else cells
        out[ok] = values[self.node_of_cell[ok]]
        return out.reshape(self.shape)


def _focal_masks(nodes, shape) -> list[np.ndarray]:
    masks = []
    for k, node in enumerate(nodes):
        arr = np.asarray(node)
        if arr.dtype == bool and arr.shape == shape:
            masks.append(arr)
            continue
        if arr.shape != (2,):
            raise InputError(f"focal node {k}: give (row, col) or a boolean mask of the grid's shape")
        r, c = int(arr[0]), int(arr[1])
        if not (0 <= r < shape[0] and 0 <= c < shape[1]):
            raise InputError(f"focal node {k} ({r}, {c}) lies outside the {shape[0]} x {shape[1]} grid")
        m = np.zeros(shape, dtype=bool)
        m[r, c] = True
        masks.append(m)
    return masks


def _checked_resistance(resistance, neighbours: int, average: str) -> np.ndarray:
    check_neighbours(neighbours)
    if average not in ("conductance", "resistance"):
        raise InputError("average must be 'conductance' or 'resistance'")
    r = np.asarray(resistance, dtype=float)
    if r.ndim != 2:
        raise InputError("resistance must be a 2-D array")
    valid = np.isfinite(r)
    if (r[valid] <= 0).any():
        raise InputError("resistance must be > 0; use NaN or inf for cells to drop")
    return r


def _collapse_focal(flat_valid: np.ndarray, masks: list[np.ndarray]):
    """Node per cell with each region one node; regions that share a cell become one node.

    Returns ``node_of_cell`` (flat, -1 on dropped cells), the node count and the node of each
    region (-1 where it has no valid cell). Two focal ids on one cell are one node, 0 ohm apart
    (Circuitscape's ``smash_repeats``).
    """
    ncell = flat_valid.size
    nvalid = int(flat_valid.sum())
    cell_id = np.full(ncell, -1, dtype=np.int64)
    cell_id[flat_valid] = np.arange(nvalid)
    heads, tails, first = [], [], np.full(len(masks), -1, dtype=np.int64)
    for k, m in enumerate(masks):
        ids = cell_id[np.flatnonzero(m.ravel() & flat_valid)]
        if len(ids):
            first[k] = ids[0]
            heads.append(np.full(len(ids), ids[0]))
            tails.append(ids)
    h = np.concatenate(heads) if heads else np.zeros(0, dtype=np.int64)
    t = np.concatenate(tails) if tails else np.zeros(0, dtype=np.int64)
    join = sp.coo_matrix((np.ones(len(h)), (h, t)), shape=(nvalid, nvalid))
    n, label = csgraph.connected_components(join, directed=False)
    node_of_cell = np.full(ncell, -1, dtype=np.int64)
    node_of_cell[flat_valid] = label
    focal = np.where(first >= 0, label[np.maximum(first, 0)], -1)
    return node_of_cell, n, focal


def _conductances(r: np.ndarray, node_of_cell: np.ndarray, *, neighbours: int, average: str):
    """Edges ``(u, v, g)`` between neighbouring nodes; edges inside a focal region are dropped."""
    shape = r.shape
    us, vs, gs = [], [], []
    idx = np.arange(r.size).reshape(shape)
    for dr, dc in OFFSETS8 if neighbours == 8 else OFFSETS4:
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
    return np.concatenate(us), np.concatenate(vs), np.concatenate(gs)


def _circuit(resistance, nodes, *, neighbours: int, average: str) -> _Circuit:
    """Build the resistor network of a raster: check, collapse the focal regions, join neighbours."""
    r = _checked_resistance(resistance, neighbours, average)
    masks = _focal_masks(nodes, r.shape)
    node_of_cell, n, focal = _collapse_focal(np.isfinite(r).ravel(), masks)
    u, v, g = _conductances(r, node_of_cell, neighbours=neighbours, average=average)
    return _Circuit(r.shape, node_of_cell, n, u, v, g, focal)


def _pairwise(resistance, nodes: Sequence, *, pairs: Iterable[tuple[int, int]] | None,
              resistances: bool | list, neighbours: int, average: str, solver: str, tol: float,
              max_memory: int | None, progress: bool, regions: str = "pair",
              short_circuit: Sequence = (), workers: int | None = None, scheduler: str | None = None,
              client=None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The pairwise loop: the ``(N, N)`` effective resistance (if ``resistances``) and the current.

    The cumulative current is over ``pairs`` (``(rows, cols)``; ``None`` when ``pairs`` is None).
    ``regions='pair'`` shorts only a pair's two focal regions (Circuitscape, :mod:`._regions`);
    ``'all'`` shorts every region in every solve (one solve per focal node). Point nodes give
    the same answer either way and take the one-solve-per-node path. The solves run as tasks
    (:mod:`._pairloop`): here, or on Dask with ``workers``, ``scheduler`` or ``client``.
    """
    check_regions(regions)
    r = _checked_resistance(resistance, neighbours, average)
    masks = _focal_masks(nodes, r.shape)
    shorts = _focal_masks(short_circuit, r.shape)
    nvalid = int(np.isfinite(r).sum())
    dask = {"workers": workers, "scheduler": scheduler, "client": client, "max_memory": max_memory}
    if workers is None and scheduler is None and client is None:
        _check_memory(int(r.size), len(nodes), neighbours, max_memory, valid=nvalid, solver=solver)
    masks = _through_shorts(masks, shorts, np.isfinite(r))
    valid = np.isfinite(r).ravel()
    node_of_cell, n, short_node = _collapse_focal(valid, shorts)
    sets = [np.unique(node_of_cell[m.ravel() & valid]) for m in masks]
    pairs = None if pairs is None else list(pairs)
    npairs = 0 if pairs is None else len(pairs)
    if regions == "all" or max((len(x) for x in sets), default=0) <= 1:
        circ = _circuit(r, masks + shorts, neighbours=neighbours, average=average)
        circ.focal, every = circ.focal[:len(masks)], circ.focal
        fixed = {"the circuit": 8 * r.size + 24 * len(circ.u),
                 "the solve": estimate_memory(r.size, len(nodes), neighbours=neighbours, valid=nvalid,
                                              regions="all", solver=solver)}
        with circuit_executor(lambda w: _parts(fixed, circ.n, npairs, w), **dask) as ex:
            reff, total = all_shorted(ex, circ, which=resistances, pairs=pairs, solver=solver, tol=tol,
                                      progress=progress)
        if pairs is None:
            return reff, None
        extra = np.array([total[f] if f >= 0 else np.nan for f in every])
        return reff, _on_raster(r.shape, circ.node_of_cell, total, masks + shorts, extra, len(masks))
    u, v, g = _conductances(r, node_of_cell, neighbours=neighbours, average=average)
    cells = np.flatnonzero(valid)
    first = np.full(n, cells.max(initial=0) + 1)
    np.minimum.at(first, node_of_cell[cells], cells)  # a node's position: its first cell
    rings = ring_count(n, u, v, sets)
    _check_ring_memory(rings, max_memory)
    fixed = {"the circuit": 8 * r.size + 40 * len(u),
             "the factor and ring matrices": estimate_memory(r.size, len(nodes), neighbours=neighbours, valid=nvalid,
                                                             regions="pair", rings=rings, solver="direct")}
    spec = (n, u, v, g, sets, max_memory, np.divmod(first, r.shape[1]))
    with circuit_executor(lambda w: _parts(fixed, n, npairs, w), **dask) as ex:
        reff, sums = region_pairs(ex, spec, resistances=resistances, pairs=pairs, progress=progress)
    if pairs is None:
        return reff, None
    total = sums[:n]
    extra = np.concatenate([sums[n:], [total[f] if f >= 0 else np.nan for f in short_node]])
    return reff, _on_raster(r.shape, node_of_cell, total, masks + shorts, extra, len(masks))


def _parts(fixed: dict[str, int], n: int, npairs: int, tasks: int) -> dict[str, int]:
    """Bytes a worker needs, by part: the process, the circuit, its solve, the current's block sums."""
    return {"worker process": WORKER_BASE_BYTES, **fixed, "current block sums": block_bytes(n, npairs, tasks)}


def circuit_worker_parts(cells: int, valid: int, n_sources: int, rings: int, *, neighbours: int, regions: str,
                         solver: str, workers: int) -> dict[str, int]:
    """Bytes a worker of the pairwise circuit on Dask may need, by part, before the circuit is built.

    An upper bound for a run whose links are not chosen yet: every grid edge
    (``valid * neighbours / 2``), the current over every pair, and with ``regions='pair'`` the
    larger of the region rule and the all-shorted solve (which sources of one cell take).

    Parameters
    ----------
    cells, valid : int
        Cells of the raster and passable cells.
    n_sources, rings : int
        Focal regions and their ring cells (:func:`ecomap.corridors._budget.ring_cells`).
    neighbours : {8, 4}
        Neighbourhood of the circuit.
    regions, solver : str
        As :func:`effective_resistance`.
    workers : int
        Workers the tasks are shared among.

    Returns
    -------
    dict of str to int
        Bytes by part.
    """
    edges = valid * neighbours // 2
    fixed = {"the circuit": 8 * cells + 24 * edges,
             "the solve": estimate_memory(cells, n_sources, neighbours=neighbours, valid=valid, regions="all",
                                          solver=solver)}
    if regions == "pair":
        pair = {"the circuit": 8 * cells + 40 * edges,
                "the factor and ring matrices": estimate_memory(cells, n_sources, neighbours=neighbours, valid=valid,
                                                                regions="pair", rings=rings, solver="direct")}
        fixed = pair if sum(pair.values()) > sum(fixed.values()) else fixed
    return _parts(fixed, valid, n_sources * (n_sources - 1) // 2, workers)


def effective_resistance(
    resistance,
    nodes: Sequence,
    *,
    neighbours: int = 8,
    average: str = "conductance",
    solver: str = "auto",
    tol: float = 1e-10,
    max_memory: int | None = None,
    regions: str = "pair",
    short_circuit: Sequence = (),
    pairs: Iterable[tuple[int, int]] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
) -> np.ndarray:
    r"""Pairwise effective resistance between focal nodes of a resistance raster (Circuitscape).

    Cells are nodes; neighbours are joined by a conductance. With the default
    ``average='conductance'``:

    .. math:: g_{ij} = \frac{1/r_i + 1/r_j}{2\,d_{ij}}

    and with ``average='resistance'``: :math:`g_{ij} = 1 / (d_{ij}(r_i + r_j)/2)`, where
    :math:`d_{ij}` is 1 for orthogonal and :math:`\sqrt{2}` for diagonal neighbours
    (Circuitscape options ``connect_using_avg_resistances`` and ``connect_four_neighbors_only``).
    With ``L`` the Laplacian grounded at one node and :math:`G = L^{-1}`,
    :math:`R_{ab} = G_{aa} + G_{bb} - 2G_{ab}`: one solve per focal node.

    Parameters
    ----------
    resistance : (rows, cols) array_like of float
        Resistance per cell; NaN or inf cells are dropped; values must be > 0.
    nodes : sequence of N items
        Each a ``(row, col)`` cell or a ``(rows, cols)`` bool mask (a focal region,
        short-circuited into one node).
    neighbours : {8, 4}
        8 (default) or 4.
    average : {'conductance', 'resistance'}
        How two cells' resistances make the conductance between them.
    solver : {'auto', 'direct', 'amg'}
        ``'auto'`` (a reused sparse LU factorization while it fits in memory, else
        AMG-preconditioned CG with one hierarchy reused by every solve), ``'direct'``, ``'amg'``.
    tol : float, default 1e-10
        Relative residual for the AMG-CG solves.
    max_memory : int, optional
        Bytes allowed; default 80 % of the available memory.
    regions : {'pair', 'all'}
        ``'pair'`` (default, Circuitscape's rule): a pair's solve short-circuits only its two
        focal regions; every other region is ordinary cells. ``'all'``: every focal region is
        short-circuited in every solve, a different model (a third region is a free short cut
        between the pair), kept for comparison. Point nodes give the same values either way.
        Multi-cell regions under ``'pair'`` use the sparse LU factor whatever ``solver`` says.
    short_circuit : sequence of (rows, cols) bool masks, optional
        Short-circuit regions (Circuitscape's polygons): each one node in every solve. A focal
        node inside one takes its node.
    pairs : iterable of (int, int), optional
        Only these pairs (Circuitscape's included pairs); the others are -1.
    workers : int, optional
        Run the solves as dask.distributed tasks on a ``LocalCluster`` of this many processes:
        the pairs (the sources, for ``regions='all'``) split into groups, one task a group,
        each factoring its component once; the same bits as the serial run.
    scheduler : str, optional
        The same on a running Dask cluster (``tcp://host:8786``).
    client : distributed.Client, optional
        The same through this client.

    Returns
    -------
    (N, N) numpy.ndarray of float
        Symmetric, in the resistance's units (ohms for ohms per cell); 0 on the diagonal (a node
        on a dropped cell included) and between ids that share a cell, -1 for pairs that are not
        connected (or a node on a dropped cell), as Circuitscape.

    Raises
    ------
    InputError
        If the raster is not 2-D or has values <= 0, a node lies outside it, an option is not one of its choices, or the solve needs more than ``max_memory`` (on Dask: a worker's estimate does not fit, :func:`ecomap.corridors.scaleout.check_worker_memory`).

    Warns
    -----
    EcomapWarning
        If AMG-CG stops above its tolerance (the values are then approximate).

    References
    ----------
    McRae, B. H., Dickson, B. G., Keitt, T. H. & Shah, V. B. (2008). Using circuit theory to
    model connectivity in ecology, evolution, and conservation. *Ecology* 89:2712-2724.
    Circuitscape (Anantharaman et al. 2020, *JuliaCon Proceedings* 1:58), pairwise mode.
    """
    which = True if pairs is None else sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})
    reff, _ = _pairwise(resistance, nodes, pairs=None, resistances=which, neighbours=neighbours,
                        average=average, solver=solver, tol=tol, max_memory=max_memory, progress=False,
                        regions=regions, short_circuit=short_circuit, workers=workers, scheduler=scheduler,
                        client=client)
    return reff


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

    The source's voltage is the effective resistance between the two.

    Parameters
    ----------
    resistance : (rows, cols) array_like of float
        As :func:`effective_resistance`.
    source, ground : (row, col) or (rows, cols) bool mask
        Where the current enters and leaves.
    neighbours, average, solver, tol
        As :func:`effective_resistance`.

    Returns
    -------
    (rows, cols) numpy.ndarray of float
        Volts for 1 A; NaN on dropped cells and cells not connected to the source (all NaN when
        source and ground are not connected).

    Raises
    ------
    InputError
        As :func:`effective_resistance`.

    References
    ----------
    McRae, B. H. et al. (2008). *Ecology* 89:2712-2724; Circuitscape's voltage maps.
    """
    circ = _circuit(resistance, [source, ground], neighbours=neighbours, average=average)
    comp, cols = _component_potentials(circ, solver=solver, tol=tol)
    f = circ.focal
    if not list(_solvable_pairs(circ, comp, [(0, 1)])):
        return np.full(circ.shape, np.nan)
    v = cols[0] - cols[1]
    v = v - v[f[1]]
    ok = circ.node_of_cell >= 0
    ok[ok] = comp[circ.node_of_cell[ok]] == comp[f[0]]
    return circ.to_raster(v, ok)


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
    regions: str = "pair",
    short_circuit: Sequence = (),
    progress: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
) -> np.ndarray:
    r"""Cumulative current through each cell, summed over pairwise solves (Circuitscape's cum. map).

    For each pair (a, b), 1 A enters at a and leaves at b; the branch current is
    :math:`I_{ij} = g_{ij}(v_i - v_j)` and a node carries

    .. math:: c_i = \tfrac12\Big(\sum_j |I_{ij}| + |s_i|\Big)

    (the larger of what flows in and what flows out, ``s_i`` the injected current; Circuitscape
    ``get_node_currents``). Cells of a focal region carry their region's node current.

    Parameters
    ----------
    resistance : (rows, cols) array_like of float
        As :func:`effective_resistance`.
    nodes : sequence of N items
        As :func:`effective_resistance`.
    pairs : iterable of (int, int), optional
        Index pairs into ``nodes`` (default: every pair). A node paired with itself, and
        unconnected pairs, add nothing.
    neighbours, average, solver, tol, max_memory, regions, short_circuit
        As :func:`effective_resistance`.
    progress : bool, default False
        Show progress bars (solves, pairs) on stderr.
    workers : int, optional
        Run the solves as dask.distributed tasks on a ``LocalCluster`` of this many processes:
        the pairs (the sources, for ``regions='all'``) split into groups, one task a group,
        each factoring its component once; the same bits as the serial run (the
        current is added in blocks of pairs fixed by ``pairs``).
    scheduler : str, optional
        The same on a running Dask cluster (``tcp://host:8786``).
    client : distributed.Client, optional
        The same through this client.

    Returns
    -------
    (rows, cols) numpy.ndarray of float
        Amperes, for 1 A per pair; NaN on dropped cells, except that a dropped cell inside a
        region carries the region's current (Circuitscape), 0 if it is in no pair.

    Raises
    ------
    InputError
        As :func:`effective_resistance`.

    Warns
    -----
    EcomapWarning
        If AMG-CG stops above its tolerance.

    References
    ----------
    McRae, B. H. et al. (2008). *Ecology* 89:2712-2724. Circuitscape, ``get_node_currents``
    (cumulative current map, pairwise mode).
    """
    if pairs is None:
        pairs = list(_every_pair(len(nodes)))
    _, current = _pairwise(resistance, nodes, pairs=pairs, resistances=False, neighbours=neighbours,
                           average=average, solver=solver, tol=tol, max_memory=max_memory, progress=progress,
                           regions=regions, short_circuit=short_circuit, workers=workers,
                           scheduler=scheduler, client=client)
    return current
