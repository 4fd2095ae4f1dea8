"""The pairwise circuit loop as independent tasks: in this process or on ``dask.distributed``.

Private to :mod:`ecomap.corridors.circuit`. Two shapes of work:

* every region shorted (``regions='all'``, and point nodes): a task solves a group of
  **sources** (one solve a source; the resistances are read from the potentials at the focal
  nodes), or sums the current of a run of pair blocks from the two sources' potentials;
* Circuitscape's region rule (:mod:`._regions`): a task solves a group of **pairs** on the
  :class:`RegionCircuit` (one CHOLMOD factor a component).

The factor is built **once a process**: a task finds the circuit's state (factors, and the
columns or pairs solved so far) in :mod:`._workercache` under a digest of the circuit's arrays,
built by the first task that runs there; so a worker factors once however many tasks it gets,
and the tasks can be two a worker (the faster worker takes more). Nothing but the circuit's
arrays is sent to a worker; the factor, which does not pickle, never travels.

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

from . import _workercache as workercache
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

class _Shorted:
    """Every region shorted: each component's factor, its ground its first focal node; the columns solved.

    Built once a process (:mod:`._workercache`). A column is the potential vector (over all
    nodes, 0 outside its component) when 1 A enters at a focal node and leaves at its
    component's ground: the grounded Green's column, the same wherever it is solved.
    """

    def __init__(self, circ, solver: str, tol: float):
        lap = circ.laplacian
        _, self.comp = csgraph.connected_components(lap, directed=False)
        self.n = circ.n
        self.cols: dict[int, np.ndarray] = {}  # by focal node
        self.parts: dict[int, tuple] = {}  # component -> (ground, members, position of a node, solver)
        focal = circ.focal
        nodes = [int(focal[k]) for k in range(len(focal)) if focal[k] >= 0]
        self.nodes = len(set(nodes))
        for c in dict.fromkeys(int(self.comp[x]) for x in nodes):
            every = [x for x in nodes if self.comp[x] == c]
            ground = every[0]
            if all(x == ground for x in every):
                self.parts[c] = (ground, None, None, None)
                continue
            members = np.flatnonzero(self.comp == c)
            members = members[members != ground]
            pos = np.full(circ.n, -1, dtype=np.int64)
            pos[members] = np.arange(len(members))
            slv = _Solver(lap[members][:, members], method=solver, tol=tol)
            self.parts[c] = (ground, members, pos, slv)

    def column(self, node: int, keep: bool = True) -> np.ndarray:
        """The grounded Green's column of focal node ``node`` (kept for the next task if ``keep``)."""
        if node in self.cols:
            return self.cols[node]
        ground, members, pos, slv = self.parts[int(self.comp[node])]
        x = np.zeros(self.n)
        if node != ground:
            b = np.zeros(len(members))
            b[pos[node]] = 1.0
            x[members] = slv.solve(b)
        if keep:
            self.cols[node] = x
            if len(self.cols) == self.nodes:  # every column at hand: no more solves here
                self.parts = {c: (ground, None, None, None) for c, (ground, *_) in self.parts.items()}
        return x


def _component_potentials(circ, *, solver: str, tol: float, progress: bool = False, only=None):
    """For every focal node with a valid cell (of ``only``, if given): its grounded Green's column.

    Returns ``comp`` (component label per node) and ``cols`` (focal index -> column, see
    :class:`_Shorted`; the ground of a component is its first focal node, whatever ``only`` holds).
    """
    from tqdm import tqdm

    st = _Shorted(circ, solver, tol)
    f = circ.focal
    keep = None if only is None else set(only)
    ks = [k for k in range(len(f)) if f[k] >= 0 and (keep is None or k in keep)]
    bar = tqdm(ks, desc="circuit solves", unit="node", disable=not progress, leave=False)
    return st.comp, {k: st.column(int(f[k])) for k in bar}


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


def _focal_task(circ, key: str, solver: str, tol: float, ks: list[int], keep: bool, progress: bool = False):
    """A task: ``G[k, j]`` at every focal node j for the sources ``ks`` (their columns kept if ``keep``)."""
    from tqdm import tqdm

    f = circ.focal
    with one_blas_thread(), workercache.use(key, lambda: _Shorted(circ, solver, tol)) as st:
        return {k: st.column(int(f[k]), keep)[np.maximum(f, 0)]
                for k in tqdm(ks, desc="circuit solves", unit="node", disable=not progress, leave=False)}


def _fold(parts: Iterator[np.ndarray], n: int, fold: bool):
    """Block sums added in order from zero (``fold``), else the list of block sums."""
    if not fold:
        return list(parts)
    total = np.zeros(n)
    for p in parts:
        total += p
    return total


def _currents_task(circ, key: str, solver: str, tol: float, blocks: list[list], fold: bool, progress: bool = False):
    """A task: for each block, its pairs' node currents added from zero in order."""
    f = circ.focal
    with one_blas_thread(), workercache.use(key, lambda: _Shorted(circ, solver, tol)) as st:
        def block_sum(block):
            total = np.zeros(circ.n)
            for a, b in _solvable_pairs(circ, st.comp, block, progress=progress, desc="current"):
                total += _node_current(circ, st.column(int(f[a])) - st.column(int(f[b])), a, b)
            return total

        return _fold((block_sum(b) for b in blocks), circ.n, fold)


def all_shorted(ex, circ, *, which, pairs, solver: str, tol: float, progress: bool):
    """The resistances (``which``: True, a pair list or False) and node currents over ``pairs`` (None: none).

    Every task finds the circuit's factors in its process's cache (:mod:`._workercache`, built
    by the first task there) and the columns that process solved before. The sources split
    into two groups a worker, the current's fixed blocks (:func:`current_blocks`) into two runs a
    worker, their sums added in block order; the serial run is one task of each kind.
    """
    f = circ.focal
    serial = isinstance(ex, SerialExecutor)
    key = workercache.digest("all", circ.n, circ.u, circ.v, circ.g, f, solver, tol)
    args = (circ if serial else ex.put(circ, broadcast=True), key, solver, tol)
    tasks = 1 if serial else 2 * ex.workers
    try:
        reff = None
        if which is not False:
            _, comp = csgraph.connected_components(circ.laplacian, directed=False)  # before any factor
            groups = split([i for i in range(len(f)) if f[i] >= 0], tasks)
            futs = [ex.submit(_focal_task, *args, g, pairs is not None, progress and serial) for g in groups]
            at: dict[int, np.ndarray] = {}
            for fu in futs:
                at.update(ex.result(fu))
            reff = _resistances(circ, comp, at, which)
        if pairs is None:
            return reff, None
        blocks = current_blocks(list(pairs))
        if serial:
            return reff, _currents_task(*args, blocks, True, progress)
        parts = [ex.submit(_currents_task, *args, run, False) for run in split(blocks, tasks)]
        return reff, _fold((s for p in parts for s in ex.result(p)), circ.n, True)
    finally:
        ex.everywhere(workercache.drop, key)


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

class _RegionState:
    """The region rule's :class:`RegionCircuit` (one factor a component) and the pairs solved on it."""

    def __init__(self, spec):
        n, u, v, g, sets, max_memory, coords = spec
        self.rc = RegionCircuit(n, u, v, g, sets, max_memory=max_memory, coords=coords)
        self.solved: dict[tuple[int, int], tuple | None] = {}

    def pair(self, a: int, b: int):
        """``solve_pair`` of the pair in increasing order (kept), None when it carries no current."""
        rc, key = self.rc, (min(a, b), max(a, b))
        if key not in self.solved:
            ok = a != b and len(rc.regions[a]) and len(rc.regions[b]) and not rc.overlap(a, b)
            self.solved[key] = rc.solve_pair(*key) if ok and rc.connected(a, b) else None
        return self.solved[key]


def _region_task(spec, key: str, rpairs: list, blocks: list[list], fold: bool, progress: bool = False):
    """A task: the :class:`RegionCircuit` of this process (built by its first task), then its pairs.

    Returns the resistances of ``rpairs`` (0 for regions that overlap, absent when not
    connected) and, for each block, the node currents and the currents of the regions' nodes
    (``extra``) added from zero in the block's order (folded in block order if ``fold``).
    """
    from tqdm import tqdm

    n, k = spec[0], len(spec[4])
    with one_blas_thread(), workercache.use(key, lambda: _RegionState(spec)) as st:
        rc, pair = st.rc, st.pair
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
    blocks split into two runs a worker, every task finding the :class:`RegionCircuit` in its
    process's cache (:mod:`._workercache`); the serial run is one task holding all of them.
    """
    n, u, v, g, sets, max_memory, coords = spec
    k = len(sets)
    key = workercache.digest("pair", n, u, v, g, k, *sets, max_memory, *coords)
    every = list(_every_pair(k)) if resistances is True else list(resistances or [])
    blocks = current_blocks(list(pairs)) if pairs is not None else []
    try:
        if isinstance(ex, SerialExecutor):
            results = [_region_task(spec, key, every, blocks, True, progress)]
            sums = results[0][1]
        else:
            h = ex.put(spec, broadcast=True)
            rs, bs = split(every, 2 * ex.workers), split(blocks, 2 * ex.workers)
            tasks = [ex.submit(_region_task, h, key, rs[i] if i < len(rs) else [], bs[i] if i < len(bs) else [],
                               False) for i in range(max(len(rs), len(bs), 1))]
            results = [ex.result(t) for t in tasks]
            sums = _fold((s for _, part in results for s in part), n + k, True)
    finally:
        ex.everywhere(workercache.drop, key)
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
