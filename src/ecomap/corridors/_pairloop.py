"""The pairwise circuit loop as independent tasks: in this process or on ``dask.distributed``.

Private to :mod:`ecomap.corridors.circuit`. Two shapes of work, one task a group:

* every region shorted (``regions='all'``, and point nodes): a task factors each component's
  grounded Laplacian once and solves its group of **sources** (one solve a source); the
  resistances are read from the potentials at the focal nodes, and the current of a pair is
  built from the two sources' potentials by a second kind of task, a group of pair blocks;
* Circuitscape's region rule (:mod:`._regions`): a task builds the :class:`RegionCircuit` once
  (one CHOLMOD factor a component) and solves its group of **pairs**.

The cumulative current is summed in **blocks** of pairs fixed by the pair list alone
(:func:`current_blocks`): a block's pairs are added from zero in their order, and the blocks'
sums are added in block order. Tasks take whole blocks and the serial run is one task holding
them all, so 1, 2 or N workers and the serial run add the same numbers in the same order: the
same bits. Every solve is the same computation wherever it runs (OpenBLAS on one thread).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Iterator

import numpy as np
from scipy.sparse import csgraph

from ._regions import RegionCircuit
from ._solver import _Solver, one_blas_thread
from .scaleout import SerialExecutor, check_worker_memory, executor

#: The cumulative current is summed in at most this many blocks of pairs (whatever the workers).
MAX_BLOCKS = 16


def current_blocks(pairs: list) -> list[list]:
    """The pairs cut into at most :data:`MAX_BLOCKS` consecutive blocks (a function of the list only)."""
    size = max(1, math.ceil(len(pairs) / MAX_BLOCKS))
    return [pairs[i:i + size] for i in range(0, len(pairs), size)]


def split(items: list, groups: int) -> list[list]:
    """``items`` in at most ``groups`` consecutive runs of nearly equal length (none empty)."""
    groups = max(1, min(groups, len(items)))
    cuts = [round(i * len(items) / groups) for i in range(groups + 1)]
    return [items[cuts[i]:cuts[i + 1]] for i in range(groups) if cuts[i + 1] > cuts[i]]


def _every_pair(k: int) -> Iterator[tuple[int, int]]:
    return ((a, b) for a in range(k) for b in range(a + 1, k))


# --- every region shorted: one solve a source ------------------------------------------------

def _component_potentials(circ, *, solver: str, tol: float, progress: bool = False, only=None):
    """For every component holding focal nodes: the grounded Green's columns of its focal nodes.

    Returns ``comp`` (component label per node) and ``cols``: for each focal node k with a
    valid cell (of ``only``, if given), the potential vector (over all nodes, 0 outside its
    component) when 1 A enters at k and leaves at the component's ground (its first focal
    node, whatever ``only`` holds).
    """
    from tqdm import tqdm

    lap = circ.laplacian
    _, comp = csgraph.connected_components(lap, directed=False)
    cols: dict[int, np.ndarray] = {}
    focal = circ.focal
    todo = [k for k in range(len(focal)) if focal[k] >= 0]
    keep = set(todo if only is None else only)
    bar = tqdm(total=len(keep & set(todo)), desc="circuit solves", unit="node", disable=not progress, leave=False)
    for c in np.unique(comp[focal[focal >= 0]]) if len(todo) else []:
        every = [k for k in todo if comp[focal[k]] == c]
        ground = focal[every[0]]
        ks = [k for k in every if k in keep]
        for k in ks:
            if focal[k] == ground:
                cols[k] = np.zeros(circ.n)
                bar.update(1)
        ks = [k for k in ks if focal[k] != ground]
        if not ks:
            continue
        members = np.flatnonzero(comp == c)
        members = members[members != ground]
        pos = np.full(circ.n, -1, dtype=np.int64)
        pos[members] = np.arange(len(members))
        sub = lap[members][:, members]  # kept while solving, as estimate_memory was fitted
        slv = _Solver(sub, method=solver, tol=tol)
        done: dict[int, np.ndarray] = {}
        for k in ks:
            if focal[k] not in done:
                b = np.zeros(len(members))
                b[pos[focal[k]]] = 1.0
                x = np.zeros(circ.n)
                x[members] = slv.solve(b)
                done[focal[k]] = x
            cols[k] = done[focal[k]]
            bar.update(1)
    bar.close()
    return comp, cols


def _solvable_pairs(circ, comp: np.ndarray, pairs: Iterable[tuple[int, int]], *,
                    progress: bool = False, desc: str = "pairs") -> Iterator[tuple[int, int]]:
    """Iterate the pairs of focal nodes that the circuit connects, in the given order: THE pairwise loop.

    A pair is skipped when both ids are one node (0 ohm, no current), when either node has no
    valid cell, or when the two lie in different connected components (no current can flow).
    """
    from tqdm import tqdm

    f = circ.focal
    for a, b in tqdm(list(pairs), desc=desc, unit="pair", disable=not progress, leave=False):
        if f[a] != f[b] and f[a] >= 0 and f[b] >= 0 and comp[f[a]] == comp[f[b]]:
            yield a, b


def _node_current(circ, v: np.ndarray, a: int, b: int) -> np.ndarray:
    """Circuitscape's node current for 1 A from a to b: half the sum of |branch| and |injected| currents."""
    i = circ.g * (v[circ.u] - v[circ.v])
    ai = np.abs(i)
    acc = np.bincount(circ.u, ai, minlength=circ.n) + np.bincount(circ.v, ai, minlength=circ.n)
    acc[circ.focal[a]] += 1.0
    acc[circ.focal[b]] += 1.0
    return 0.5 * acc


def _potentials_task(circ, ks: list[int], solver: str, tol: float, keep: bool, progress: bool = False):
    """A task: the potentials of sources ``ks`` (one factor a component); their focal values, and the columns if ``keep``."""
    comp, cols = _component_potentials(circ, solver=solver, tol=tol, progress=progress, only=ks)
    f = circ.focal
    at = {k: col[np.maximum(f, 0)] for k, col in cols.items()}  # G[k, j] at every focal node j
    return at, (comp, cols) if keep else None


def _focal_part(result):
    """The focal values of a :func:`_potentials_task` result (small: sent to the client)."""
    return result[0]


def _fold(parts: Iterator[np.ndarray], n: int, fold: bool):
    """Block sums added in order from zero (``fold``), else the list of block sums."""
    if not fold:
        return list(parts)
    total = np.zeros(n)
    for p in parts:
        total += p
    return total


def _currents_task(circ, potentials: list, blocks: list[list], fold: bool, progress: bool = False):
    """A task: for each block, its pairs' node currents added from zero in order."""
    comp, cols = potentials[0][1][0], {}
    for _, (_, c) in potentials:
        cols.update(c)

    def block_sum(block):
        total = np.zeros(circ.n)
        for a, b in _solvable_pairs(circ, comp, block, progress=progress, desc="current"):
            total += _node_current(circ, cols[a] - cols[b], a, b)
        return total

    return _fold((block_sum(b) for b in blocks), circ.n, fold)


def all_shorted(ex, circ, *, which, pairs, solver: str, tol: float, progress: bool):
    """The resistances (``which``: True, a pair list or False) and node currents over ``pairs`` (None: none).

    The sources split into one group a worker (the serial run: one group, one factor a
    component); the currents in the fixed blocks of :func:`current_blocks`, one run of blocks a
    worker, their sums added in block order.
    """
    f = circ.focal
    serial = isinstance(ex, SerialExecutor)
    h = circ if serial else ex.put(circ, broadcast=True)
    groups = split([i for i in range(len(f)) if f[i] >= 0], ex.workers) or [[]]
    keep = pairs is not None
    futs = [ex.submit(_potentials_task, h, g, solver, tol, keep, progress and serial) for g in groups]
    reff = None
    if which is not False:
        at: dict[int, np.ndarray] = {}
        for fu in futs:
            at.update(ex.result(ex.submit(_focal_part, fu)))
        _, comp = csgraph.connected_components(circ.laplacian, directed=False)
        reff = _resistances(circ, comp, at, which)
    if pairs is None:
        return reff, None
    blocks = current_blocks(list(pairs))
    if serial:
        return reff, _currents_task(circ, [ex.result(x) for x in futs], blocks, True, progress)
    parts = [ex.submit(_currents_task, h, futs, run, False) for run in split(blocks, ex.workers)]
    return reff, _fold((s for p in parts for s in ex.result(p)), circ.n, True)


def _resistances(circ, comp: np.ndarray, at: dict[int, np.ndarray], which) -> np.ndarray:
    """:math:`R_{ab} = G_{aa} + G_{bb} - 2G_{ab}` for the pairs ``which`` (True: all), else -1.

    0 on the diagonal and between ids of one node.
    """
    f = circ.focal
    k = len(f)
    out = np.full((k, k), -1.0)
    same = (f[:, None] == f[None, :]) & (f[:, None] >= 0)
    out[same] = 0.0
    np.fill_diagonal(out, 0.0)  # Circuitscape: 0 on the diagonal, even for a node on NoData
    for a, b in _solvable_pairs(circ, comp, _every_pair(k) if which is True else which):
        out[a, b] = out[b, a] = at[a][a] + at[b][b] - 2.0 * at[a][b]
    return out


# --- Circuitscape's region rule: one RegionCircuit a task, a group of pairs ------------------

def _region_task(spec, rpairs: list, blocks: list[list], fold: bool, progress: bool = False):
    """A task: the :class:`RegionCircuit` built once (one factor a component), then its pairs.

    Returns the resistances of ``rpairs`` (0 for regions that overlap, absent when not
    connected) and, for each block, the node currents and the currents of the regions' nodes
    (``extra``) added from zero in the block's order (folded in block order if ``fold``).
    """
    from tqdm import tqdm

    n, u, v, g, sets, max_memory, coords = spec
    with one_blas_thread():
        rc = RegionCircuit(n, u, v, g, sets, max_memory=max_memory, coords=coords)
        k = len(sets)
        solved: dict[tuple[int, int], tuple | None] = {}

        def pair(a: int, b: int):
            key = (min(a, b), max(a, b))
            if key not in solved:
                ok = a != b and len(rc.regions[a]) and len(rc.regions[b]) and not rc.overlap(a, b)
                solved[key] = rc.solve_pair(*key) if ok and rc.connected(a, b) else None
            return solved[key]

        rvals: dict[tuple[int, int], float] = {}
        for a, b in tqdm(rpairs, desc="pairs", unit="pair", disable=not progress, leave=False):
            if len(rc.regions[a]) and len(rc.regions[b]) and rc.overlap(a, b):
                rvals[a, b] = 0.0
            elif (res := pair(a, b)) is not None:
                rvals[a, b] = res[0]

        def block_sum(block):
            total, extra = np.zeros(n), np.zeros(k)
            for a, b in block:
                if (res := pair(a, b)) is None:
                    continue
                sign = 1.0 if a < b else -1.0
                cur = rc.node_current(a, b, rc.potentials(res[1], sign * res[2]))
                total += cur
                extra[a] += cur[rc.regions[a][0]]
                extra[b] += cur[rc.regions[b][0]]
            return np.concatenate([total, extra])

        bar = tqdm(total=sum(map(len, blocks)), desc="current", unit="pair", disable=not progress, leave=False)

        def sums():
            for b in blocks:
                yield block_sum(b)
                bar.update(len(b))

        out = _fold(sums(), n + k, fold)
        bar.close()
        return rvals, out


def region_pairs(ex, spec, *, resistances, pairs, progress: bool):
    """The region rule's resistances (``resistances``: True, a pair list or False) and currents.

    Returns ``(reff, sums)``: ``sums`` is the node currents followed by each region's node
    current, over ``pairs`` (None when ``pairs`` is None). The resistance pairs and the current
    blocks split into one run a worker; the serial run is one task holding all of them.
    """
    n, k = spec[0], len(spec[4])
    every = list(_every_pair(k)) if resistances is True else list(resistances or [])
    blocks = current_blocks(list(pairs)) if pairs is not None else []
    if isinstance(ex, SerialExecutor):
        results = [_region_task(spec, every, blocks, True, progress)]
        sums = results[0][1]
    else:
        h = ex.put(spec, broadcast=True)
        rs, bs = split(every, ex.workers), split(blocks, ex.workers)
        tasks = [ex.submit(_region_task, h, rs[i] if i < len(rs) else [], bs[i] if i < len(bs) else [], False)
                 for i in range(max(len(rs), len(bs), 1))]
        results = [ex.result(t) for t in tasks]
        sums = _fold((s for _, part in results for s in part), n + k, True)
    reff = None
    if resistances:
        reff = np.full((k, k), -1.0)
        for rvals, _ in results:
            for (a, b), x in rvals.items():
                reff[a, b] = reff[b, a] = x
        np.fill_diagonal(reff, 0.0)
    return reff, sums if pairs is not None else None


def ring_count(n: int, u: np.ndarray, v: np.ndarray, sets: list[np.ndarray]) -> int:
    """Nodes on the ring of some region (joined by an edge to a node outside it): the dense block's side."""
    ring = np.zeros(n, dtype=bool)
    for nodes in sets:
        if len(nodes) > 1:
            inside = np.zeros(n, dtype=bool)
            inside[nodes] = True
            cross = inside[u] != inside[v]
            ends = np.concatenate([u[cross], v[cross]])
            ring[ends[inside[ends]]] = True
    return int(ring.sum())


@contextlib.contextmanager
def circuit_executor(parts, *, workers, scheduler, client, max_memory):
    """The executor of the circuit's tasks: this process, or a Dask cluster once the per-worker estimate ``parts(workers)`` fits.

    ``parts`` maps the number of workers (tasks) to the bytes one worker needs, by part
    (:func:`ecomap.corridors.scaleout.check_worker_memory`): refused before any cluster starts
    for a ``LocalCluster``, and against the workers' memory limit for a running cluster.
    """
    if workers is None and scheduler is None and client is None:
        yield SerialExecutor()
        return
    what = "circuit solves on Dask"
    lower = "fewer --workers, a coarser --resolution or fewer sources, or a cluster with more memory a worker"
    need = None
    if workers is not None:
        w = max(int(workers), 1)
        need = check_worker_memory(parts(w), workers=w, what=what, options=lower, max_memory=max_memory)
    with executor(workers=workers, scheduler=scheduler, client=client, memory_limit=need) as ex:
        if workers is None and ex.worker_limit is not None:
            check_worker_memory(parts(ex.workers), workers=1, what=what, options=lower, limit=ex.worker_limit)
        yield ex


def block_bytes(n: int, n_pairs: int, tasks: int) -> int:
    """Bytes of the current's block sums a task holds (its blocks, one being added, one sent)."""
    blocks = len(current_blocks(list(range(n_pairs))))
    return 8 * n * (math.ceil(blocks / max(tasks, 1)) + 2) if n_pairs else 0
