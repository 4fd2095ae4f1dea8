r"""Pinchpoint Mapper (Linkage Mapper): one circuit per link, on its corridor truncated at a cost distance.

For each link (a, b), the cells whose normalized least-cost corridor
:math:`\mathrm{CWD}_a + \mathrm{CWD}_b - \mathrm{LCD}_{ab}` is at most the cutoff (Linkage
Mapper's ``CWDCutoff``) form a resistance raster of their own; 1 A flows between the two cores,
each short-circuited (Circuitscape pairwise mode with the cores as focal regions). The current
maps are mosaicked by their maximum, with the cores as no data (Pinchpoint Mapper's
``SETCORESTONULL``), and each link gets its effective resistance in its truncated corridor and
Linkage Mapper's ratio of cost-weighted distance to effective resistance. The circuits may run on
the squared resistances (Pinchpoint Mapper's "Square resistance values", ``SQUARERESISTANCES``);
the corridors are still cut with the cost-distances of the resistances as given. With a
``quantile``, each link's pinch-point cells are kept: the cells of its truncated corridor, off
every core, whose current is at least that quantile of the link's current there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._errors import InputError
from .circuit import _pairwise
from .cost import cost_distances

__all__ = ["Pinchpoints", "pinchpoint_mapper"]


@dataclass
class Pinchpoints:
    """Pinchpoint Mapper's outputs for the links, in the order given.

    ``current``: the maximum over the links of each link's current (A, 1 A per link), NaN outside
    every truncated corridor and on the link's cores. ``eff_resistance``: each link's effective
    resistance in its truncated corridor (the resistance's units, as
    :func:`~ecomap.corridors.effective_resistance`; NaN where the corridor does not join the
    cores). ``cwd_to_eff_resistance``: ``lcd / (cellsize * eff_resistance)``, Linkage Mapper's
    ``CWD_to_Eff_Resist`` ratio (NaN with squared resistances, which Linkage Mapper leaves unset).
    ``cells``: the cells of each truncated corridor. ``hot`` (with a ``quantile``, else None): per
    link, ``(flat cell indices, their current, threshold)`` of its pinch-point cells.
    """

    current: np.ndarray
    eff_resistance: np.ndarray
    cwd_to_eff_resistance: np.ndarray
    cells: np.ndarray
    cutoff: float
    squared_resistance: bool = False
    hot: list | None = None


def _truncated(keep: np.ndarray) -> tuple[slice, slice] | None:
    """The bounding box of a corridor's cells (None if it has none)."""
    rows = np.flatnonzero(keep.any(axis=1))
    cols = np.flatnonzero(keep.any(axis=0))
    if not len(rows):
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _link_circuit(r: np.ndarray, keep: np.ndarray, region_a: np.ndarray, region_b: np.ndarray, **kw):
    """One link's circuit on its truncated corridor: (effective resistance, current on the box, box)."""
    box = _truncated(keep)
    if box is None:
        return np.nan, None, None
    k = keep[box]
    ma, mb = region_a[box] & k, region_b[box] & k
    if not ma.any() or not mb.any():
        return np.nan, None, box
    # two regions, both in the pair: 'all' is Circuitscape's rule here, on the cheaper path
    reff, cur = _pairwise(np.where(k, r[box], np.nan), [ma, mb], pairs=[(0, 1)], resistances=True,
                          regions="all", average="conductance", progress=False, **kw)
    cur[ma | mb] = np.nan  # the cores are no data (Pinchpoint Mapper's SETCORESTONULL)
    return (float(reff[0, 1]) if reff[0, 1] > 0 else np.nan), cur, box


def _hot_cells(cur: np.ndarray, box: tuple[slice, slice], shape: tuple[int, int], off: np.ndarray,
               quantile: float) -> tuple[np.ndarray, np.ndarray, float]:
    """A link's pinch-point cells: current at least the ``quantile`` of its current off the cores."""
    ok = np.isfinite(cur) & ~off[box]
    if not ok.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.nan
    thr = float(np.quantile(cur[ok], quantile))
    rows, cols = np.nonzero(ok & (cur >= thr))
    flat = np.ravel_multi_index((rows + box[0].start, cols + box[1].start), shape)
    return flat, cur[rows, cols], thr


def _checked(resistance, regions, links, cutoff):
    r = np.asarray(resistance, dtype=float)
    if r.ndim != 2:
        raise InputError("resistance must be a 2-D array")
    masks = [np.asarray(m, dtype=bool) for m in regions]
    for k, m in enumerate(masks):
        if m.shape != r.shape:
            raise InputError(f"core {k}: its mask is {m.shape}, not the resistance's {r.shape}")
    if not (isinstance(cutoff, int | float) and np.isfinite(cutoff) and cutoff > 0):
        raise InputError(f"cutoff {cutoff!r} must be a finite number > 0 (cost units)")
    pairs = [(int(a), int(b)) for a, b in links]
    for a, b in pairs:
        if not (0 <= a < len(masks) and 0 <= b < len(masks)) or a == b:
            raise InputError(f"link ({a}, {b}): give two different cores among the {len(masks)}")
    return r, masks, pairs


def pinchpoint_mapper(resistance, regions: Sequence, links: Sequence[tuple[int, int]], *, cutoff: float,
                      cwds: Sequence[np.ndarray] | None = None, lcd=None, cellsize: float = 1.0,
                      neighbours: int = 8, cost_neighbours: int | None = None, solver: str = "auto",
                      tol: float = 1e-10, max_memory: int | None = None, progress: bool = False,
                      squared_resistance: bool = False, quantile: float | None = None) -> Pinchpoints:
    r"""Pinchpoint Mapper: each link's current in its corridor truncated at a cost-weighted distance.

    A cell belongs to link (a, b)'s truncated corridor when

    .. math:: \mathrm{CWD}_a + \mathrm{CWD}_b - \mathrm{LCD}_{ab} \le \text{cutoff}

    and its resistance is finite. On those cells alone, 1 A flows from core a to core b (each
    short-circuited, Circuitscape's pairwise conventions as
    :func:`~ecomap.corridors.current_density`); the result is the maximum of the links' current
    maps and each link's effective resistance. With ``squared_resistance`` the circuits see each
    cell's resistance squared (Pinchpoint Mapper's option "Square resistance values"); the
    cost-distances, and so the truncated corridors, keep the resistance as given.

    Parameters
    ----------
    resistance : (rows, cols) array_like of float
        Resistance per metre; NaN or inf cells are dropped; the cost of the cost-distances too.
    regions : sequence of (rows, cols) bool masks
        The cores.
    links : sequence of (int, int)
        Index pairs into ``regions``.
    cutoff : float
        Linkage Mapper's ``CWDCutoff``, in cost units (resistance x metres), > 0.
    cwds : sequence of (rows, cols) arrays, optional
        Cost-distance from each core (as :func:`~ecomap.corridors.cost_distance` with
        ``cellsize``); computed when not given.
    lcd : (N, N) array_like, optional
        Least-cost distance between the cores; default: the least of ``cwds[a]`` over core b.
    cellsize : float, default 1.0
        Cell side in metres (the cost-distances' and the ratio's).
    neighbours : {8, 4}
        The circuit's neighbourhood.
    cost_neighbours : {4, 8, 16}, optional
        The cost-distances' neighbourhood when they are computed here (default ``neighbours``).
    solver, tol, max_memory
        As :func:`~ecomap.corridors.effective_resistance`.
    progress : bool, default False
        Show a progress bar over the links.
    squared_resistance : bool, default False
        Run the circuits on ``resistance ** 2`` (Linkage Mapper's ``SQUARERESISTANCES``): the
        effective resistances are then in squared units and ``cwd_to_eff_resistance`` is NaN.
    quantile : float in [0, 1), optional
        Keep each link's pinch-point cells (``hot``): the cells of its truncated corridor, off
        every core, whose current is at least this quantile of the link's current there.

    Returns
    -------
    Pinchpoints
        The current mosaic, and per link its effective resistance, ratio and cell count.

    Raises
    ------
    InputError
        A bad raster or mask, a cutoff that is not finite and > 0, a quantile outside [0, 1), or a
        link that is not two different cores.

    References
    ----------
    McRae, B. H. (2012). *Pinchpoint Mapper Connectivity Analysis Software*. The Nature
    Conservancy, Seattle. McRae, B. H. & Kavanagh, D. M. (2011). *Linkage Mapper Connectivity
    Analysis Software*. McRae, B. H. et al. (2008). *Ecology* 89:2712-2724.
    """
    from tqdm import tqdm

    r, masks, pairs = _checked(resistance, regions, links, cutoff)
    if quantile is not None and not (isinstance(quantile, int | float) and 0 <= quantile < 1):
        raise InputError(f"quantile {quantile!r} must be a number in [0, 1)")
    circ = r * r if squared_resistance else r
    off = np.logical_or.reduce(masks) if masks else np.zeros(r.shape, dtype=bool)
    hot = [] if quantile is not None else None
    if cwds is None:
        cwds = list(cost_distances(r, masks, cellsize=cellsize,
                                   neighbours=neighbours if cost_neighbours is None else cost_neighbours))
    if lcd is None:
        lcd = np.array([[float(np.min(d[m], initial=np.inf)) for m in masks] for d in cwds])
        lcd = np.minimum(lcd, lcd.T)
    lcd = np.asarray(lcd, dtype=float)
    mosaic = np.full(r.shape, np.nan)
    reff, cells = np.full(len(pairs), np.nan), np.zeros(len(pairs), dtype=np.int64)
    kw = {"neighbours": neighbours, "solver": solver, "tol": tol, "max_memory": max_memory}
    for k, (a, b) in enumerate(tqdm(pairs, desc="pinch points", unit="link", disable=not progress, leave=False)):
        cur = None
        if np.isfinite(lcd[a, b]):
            with np.errstate(invalid="ignore"):
                keep = np.isfinite(r) & (cwds[a] + cwds[b] - lcd[a, b] <= cutoff)
            cells[k] = int(keep.sum())
            reff[k], cur, box = _link_circuit(circ, keep, masks[a], masks[b], **kw)
        if cur is not None:
            mosaic[box] = np.fmax(mosaic[box], cur)
        if hot is not None:
            hot.append(_hot_cells(cur, box, r.shape, off, quantile) if cur is not None
                       else (np.zeros(0, dtype=np.int64), np.zeros(0), np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.array([lcd[a, b] for a, b in pairs]) / (cellsize * reff) if pairs else np.zeros(0)
    if squared_resistance:
        ratio = np.full(len(pairs), np.nan)  # Linkage Mapper leaves CWD_to_Eff_Resist unset then
    return Pinchpoints(mosaic, reff, ratio, cells, float(cutoff), bool(squared_resistance), hot)
