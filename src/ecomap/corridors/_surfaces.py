"""The corridor model's per-source cost-distance surfaces, kept only where the links can use them.

Private to :mod:`ecomap.corridors.model`. The least-cost distances between the sources come
from one pass that keeps no surface (:func:`~ecomap.corridors.links._source_cost_distances`);
once the links are chosen, each source that is in a link is searched again, only as far as
its links can use (``max_cost`` of the compiled Dijkstra), and kept on the bounding box of what
it reached. Sources in no link keep nothing.

Why the values do not change: for a link (a, b) of least-cost distance ``L``,

* its path and end cell use cells with ``CWD_a <= L`` only;
* its normalized corridor ``CWD_a + CWD_b - L`` is kept only where it is at most the width
  ``W``, so where ``CWD_a <= L + W`` (``CWD_b >= 0``);
* Barrier Mapper's score is positive only where the ring minimum of ``CWD_a`` is below ``L``.

So a surface searched to ``max(L) + W`` over its links (a hair more, for rounding) holds every
value the model reads, and the cells it does not reach are ``inf``, as beyond ``max_cost``.
Cells within the cap are bit for bit those of the uncapped search.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .cost import _CostGraph


class Surfaces(Sequence):
    """Per-source cost-distance surfaces kept on windows; ``surfaces[a]`` is source a's full raster.

    Parameters
    ----------
    shape : tuple of int
        The grid's shape.
    boxes : list of (slice, slice) or None
        Each source's window (None: nothing kept, the surface is all ``inf``).
    data : list of numpy.ndarray or None
        Each source's values on its window (``inf`` where the capped search did not reach).
    """

    def __init__(self, shape: tuple[int, int], boxes: list, data: list, parts: np.ndarray | None = None,
                 reached: list | None = None):
        self.shape = shape
        self.boxes = boxes
        self.data = data
        self.parts = parts  # connected part of the passable cells, per cell (0: impassable)
        self.reached = reached  # the parts each source's cells lie in (what its uncapped search reaches)
        self._last: tuple[int, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, a: int) -> np.ndarray:
        """Source ``a``'s surface on the whole grid (``inf`` outside its window); the last one is reused."""
        if self._last is not None and self._last[0] == a:
            return self._last[1]
        full = np.full(self.shape, np.inf)
        if self.data[a] is not None:
            full[self.boxes[a]] = self.data[a]
        full.flags.writeable = False
        self._last = (a, full)
        return full

    def window(self, a: int, pad: int = 0) -> tuple[tuple[slice, slice], np.ndarray]:
        """Source ``a``'s window grown by ``pad`` cells (clipped to the grid) and its values there."""
        if self.data[a] is None:
            return (slice(0, 0), slice(0, 0)), np.empty((0, 0))
        rs, cs = self.boxes[a]
        box = (slice(max(rs.start - pad, 0), min(rs.stop + pad, self.shape[0])),
               slice(max(cs.start - pad, 0), min(cs.stop + pad, self.shape[1])))
        out = np.full((box[0].stop - box[0].start, box[1].stop - box[1].start), np.inf)
        out[rs.start - box[0].start:rs.stop - box[0].start, cs.start - box[1].start:cs.stop - box[1].start] = \
            self.data[a]
        return box, out

    def reachable(self, a: int, box: tuple[slice, slice]) -> np.ndarray:
        """Where on ``box`` source a's uncapped surface is finite (its connected parts)."""
        return np.isin(self.parts[box], self.reached[a])

    @property
    def nbytes(self) -> int:
        """Bytes the kept windows hold."""
        return sum(d.nbytes for d in self.data if d is not None)


def window_of(cwd, a: int, pad: int = 0) -> tuple[tuple[slice, slice], np.ndarray]:
    """Source ``a``'s window and values from :class:`Surfaces`, or the whole raster from a plain list."""
    if isinstance(cwd, Surfaces):
        return cwd.window(a, pad)
    full = np.asarray(cwd[a], dtype=float)
    return (slice(0, full.shape[0]), slice(0, full.shape[1])), full


def reachable(cwd, a: int, box: tuple[slice, slice]) -> np.ndarray:
    """Where source ``a``'s (uncapped) surface is finite on ``box``, from :class:`Surfaces` or a plain list."""
    if isinstance(cwd, Surfaces):
        return cwd.reachable(a, box)
    return np.isfinite(np.asarray(cwd[a])[box])


def grid_shape(cwd) -> tuple[int, int]:
    """The grid's shape, from :class:`Surfaces` or a plain list of rasters ((0, 0) if empty)."""
    if isinstance(cwd, Surfaces):
        return cwd.shape
    return np.asarray(cwd[0]).shape if len(cwd) else (0, 0)


def reach(lcd_raw: np.ndarray, pairs, width: float) -> np.ndarray:
    """How far each source must be searched for the links ``pairs``: max(L) + W over its links; -1 if none."""
    cap = np.full(len(lcd_raw), -1.0)
    for a, b in pairs:
        far = max(lcd_raw[a, b], lcd_raw[b, a])
        if np.isfinite(far):
            need = (far + width) * (1 + 1e-9) + 1e-9
            cap[a] = max(cap[a], need)
            cap[b] = max(cap[b], need)
    return cap


def window_bytes(extents: tuple[np.ndarray, np.ndarray], cap: np.ndarray) -> int:
    """Bytes the windows of searches capped at ``cap`` will take, from each source's row and column minima."""
    rowmin, colmin = extents
    total = 0
    for a in np.flatnonzero(cap >= 0):
        rows = np.flatnonzero(rowmin[a] <= cap[a])
        cols = np.flatnonzero(colmin[a] <= cap[a])
        if len(rows) and len(cols):
            total += 8 * (int(rows[-1]) - int(rows[0]) + 1) * (int(cols[-1]) - int(cols[0]) + 1)
    return total


def kept_surfaces(r: np.ndarray, lab: np.ndarray, cap: np.ndarray, *, cellsize: float, neighbours: int,
                  progress: bool) -> Surfaces:
    """Search each source with ``cap >= 0`` to its cap and keep the bounding box of what it reached.

    Parameters
    ----------
    r : (rows, cols) numpy.ndarray
        The resistance surface.
    lab : (rows, cols) numpy.ndarray of int
        Source index per cell, -1 elsewhere.
    cap : (n,) numpy.ndarray
        Each source's search cap in cost units (:func:`reach`); negative: not searched.
    cellsize : float
        Cell side in metres.
    neighbours : {4, 8, 16}
        The neighbourhood.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    Surfaces
        The kept windows.
    """
    from scipy import ndimage
    from tqdm import tqdm

    passable = np.isfinite(r)
    # an uncapped search reaches exactly the connected part of its cells (a knight's move needs
    # the two cells it passes between, so 16 neighbours connect as 8 do)
    parts, _ = ndimage.label(passable, structure=np.ones((3, 3)) if neighbours != 4 else None)
    parts = parts.astype(np.int32, copy=False)
    reached = [np.unique(parts[lab == a]) if c >= 0 else np.empty(0, np.int32) for a, c in enumerate(cap)]
    graph = _CostGraph(r, cellsize=cellsize, neighbours=neighbours)
    boxes: list = [None] * len(cap)
    data: list = [None] * len(cap)
    for a in tqdm(np.flatnonzero(cap >= 0), desc="linked surfaces", unit="source", disable=not progress,
                  leave=False):
        d = graph.distance(lab == a, max_cost=float(cap[a]))
        rows = np.flatnonzero(np.isfinite(d).any(axis=1))
        if not len(rows):
            continue
        cols = np.flatnonzero(np.isfinite(d[rows[0]:rows[-1] + 1]).any(axis=0))
        boxes[a] = (slice(int(rows[0]), int(rows[-1]) + 1), slice(int(cols[0]), int(cols[-1]) + 1))
        data[a] = d[boxes[a]].copy()
        del d
    return Surfaces(r.shape, boxes, data, parts, reached)
