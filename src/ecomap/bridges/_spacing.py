"""Keeping synthetic sites apart: a greedy spaced set and the rounds that fill each host kind.

Used by :func:`ecomap.bridges.synthesize` so that no two sites of a register read as one
(:data:`ecomap.bridges.DUPLICATE_DISTANCE_M`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely

from .._errors import InputError

#: ``draw(kind, m) -> (x, y, host label)``: ``m`` candidate sites of one host kind.
Draw = Callable[[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]]


def _greedy_spaced(x: np.ndarray, y: np.ndarray, taken: shapely.STRtree | None,
                   spacing: float) -> np.ndarray:
    """Return which candidates (in order) a greedy pass keeps so that no two are ``spacing`` or less apart.

    Only the first candidate of each square cell of side ``spacing / sqrt(2)`` goes on (two
    in one cell are too close anyway). Candidates within ``spacing`` (inclusive) of a point
    of ``taken`` are dropped next. Then candidate ``j`` is kept when no earlier kept candidate lies within ``spacing`` of it: the
    lexicographically first maximal independent set of the "closer than ``spacing``" graph.
    The close pairs come from one STRtree ``dwithin`` query; the set is found in rounds, each
    deciding at once every candidate whose earlier neighbours are all decided (a candidate
    with an earlier kept neighbour is dropped, one whose earlier neighbours are all dropped
    is kept), which gives the same set as visiting the candidates one by one.
    """
    state = np.zeros(len(x), dtype=np.int8)  # 0 undecided, 1 kept, 2 dropped
    # Two candidates in one square cell of side spacing / sqrt(2) are always too close: only
    # the first of each cell goes on, which bounds the close pairs per candidate (a dozen)
    # however densely a short host is sampled.
    cell = spacing / np.sqrt(2.0)
    cx, cy = np.floor(x / cell).astype(np.int64), np.floor(y / cell).astype(np.int64)
    first = np.unique((cx - cx.min()) * (int(cy.max() - cy.min()) + 1) + (cy - cy.min()),
                      return_index=True)[1] if len(x) else np.array([], dtype=np.int64)
    first = np.sort(first)
    state[:] = 2
    state[first] = 0
    pts = shapely.points(x[first], y[first])
    if taken is not None:
        hit = taken.query(pts, predicate="dwithin", distance=spacing)[0]
        state[first[hit]] = 2
        live = state[first] == 0
        first, pts = first[live], pts[live]
    i, j = shapely.STRtree(pts).query(pts, predicate="dwithin", distance=spacing)
    i, j = first[i], first[j]
    earlier = i < j
    lo, hi = i[earlier], j[earlier]
    live = (state[lo] != 2) & (state[hi] != 2)
    lo, hi = lo[live], hi[live]
    while (state == 0).any():
        n = len(state)
        waits = np.bincount(hi, weights=state[lo] == 0, minlength=n) > 0
        beaten = np.bincount(hi, weights=state[lo] == 1, minlength=n) > 0
        undecided = state == 0
        state[undecided & beaten] = 2
        state[undecided & ~beaten & ~waits] = 1
        live = state[hi] == 0
        lo, hi = lo[live], hi[live]
    return state == 1


def _candidates(rng: np.random.Generator, draw: Draw, kinds: list[str], short: np.ndarray,
                lack: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Draw one round's candidates, shuffled: ``2 * lack + 256`` of each kind in ``short``.

    Returns x, y, host label and kind index (into ``kinds``) of every candidate.
    """
    cx, cy, cl, ck = [], [], [], []
    for k in short:
        m = int(2 * lack[k] + 256)
        x, y, lab = draw(kinds[k], m)
        cx.append(x)
        cy.append(y)
        cl.append(lab)
        ck.append(np.full(m, k))
    cx, cy = np.concatenate(cx), np.concatenate(cy)
    cl, ck = np.concatenate(cl), np.concatenate(ck)
    order = rng.permutation(len(cx))
    return cx[order], cy[order], cl[order], ck[order]


def _keep_per_kind(kept: np.ndarray, ck: np.ndarray, short: np.ndarray, lack: np.ndarray,
                   full: np.ndarray) -> np.ndarray:
    """Return the kept candidates each kind still wants (its first ``lack[k]``); mark full kinds.

    A kind of which under 2 % of the candidates were kept is marked in ``full`` (in place).
    """
    rank = np.zeros(len(ck), dtype=np.int64)
    for k in short:
        sel = kept & (ck == k)
        rank[sel] = np.arange(int(sel.sum()))
        n_kept = int(sel.sum())
        if n_kept < 0.02 * int((ck == k).sum()):
            full[k] = True
    return kept & (rank < lack[ck])


def _spaced(rng: np.random.Generator, draw: Draw, kinds: list[str], counts: np.ndarray, share: np.ndarray,
            spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Place the sites of each kind, no two closer than ``spacing`` metres (see :func:`synthesize`).

    Each round draws, for every kind still short of its count, twice the shortfall plus 256
    candidates by its placement rule; shuffles all of them; and keeps a greedy spaced set
    against the sites already kept (:func:`_greedy_spaced`), up to each kind's count. A kind
    of which a round keeps under 2 % of its candidates is full: what it still lacks goes to
    the kinds that are not full, in proportion to their shares. When every kind is full
    before ``n`` sites are placed, :class:`InputError` says how many fit.
    """
    n = int(counts.sum())
    want = counts.astype(np.int64).copy()
    full = np.zeros(len(kinds), dtype=bool)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    labs: list[np.ndarray] = []
    kind_of: list[np.ndarray] = []
    got = np.zeros(len(kinds), dtype=np.int64)
    taken: shapely.STRtree | None = None
    kept_pts: list[np.ndarray] = []
    for _round in range(64):
        short = np.flatnonzero((got < want) & ~full)
        if len(short) == 0:
            break
        cx, cy, cl, ck = _candidates(rng, draw, kinds, short, want - got)
        kept = _greedy_spaced(cx, cy, taken, spacing)
        use = _keep_per_kind(kept, ck, short, want - got, full)
        got += np.bincount(ck[use], minlength=len(kinds))
        xs.append(cx[use])
        ys.append(cy[use])
        labs.append(cl[use])
        kind_of.append(ck[use])
        kept_pts.append(shapely.points(cx[use], cy[use]))
        taken = shapely.STRtree(np.concatenate(kept_pts))
        # A full kind hands what it lacks to the kinds with room, in proportion to their shares.
        lack = int(np.where(full, want - got, 0).clip(0).sum())
        if lack:
            want[full] = got[full]
            room = np.flatnonzero(~full)
            if len(room) == 0:
                break
            want[room] += rng.multinomial(lack, share[room] / share[room].sum())
    placed = int(got.sum())
    if placed < n:
        raise InputError(f"the district holds only about {placed} bridge sites {spacing:g} m apart on its "
                         f"ditches, reservoir roads, culverts, wells and pools, not {n}: ask for fewer "
                         f"sites or a smaller minimum spacing")
    k = np.concatenate(kind_of)
    return (np.concatenate(xs), np.concatenate(ys), np.concatenate(labs),
            np.asarray(kinds, dtype=object)[k])
