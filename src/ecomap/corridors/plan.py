"""The drawn corridors against the model: footprint overlap and the cost of the drawn line.

A step of :func:`ecomap.corridors.model_corridors`; private to the package.
"""

from __future__ import annotations

import math

import numpy as np

from .grid import Grid

_COLUMNS = ["id", "from_id", "to_id", "status", "footprint_cells", "overlap", "modelled_cwd",
            "drawn_line_cost", "cost_ratio"]


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
    inside the modelled corridor; the footprint is :func:`ecomap.network.corridor_footprints`
    (a corridor without a usable ``width_m`` raises :class:`~ecomap.InputError`). The drawn
    line's cost is NaN where the line leaves the raster or crosses an impassable cell.
    """
    import pandas as pd

    from ..network import corridor_footprints

    cor = network["corridors"]
    if len(cor):
        cor = cor[cor.intersects(ext)]
    rows = []
    modelled = np.isfinite(corridor)
    footprints = corridor_footprints(cor).values if len(cor) else []
    for (cid, row), foot in zip(cor.iterrows(), footprints, strict=True):
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
    return pd.DataFrame(rows, columns=_COLUMNS).set_index("id")
