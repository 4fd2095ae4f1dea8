"""The corridor model's memory, estimated before it starts, and the refusal of what would not fit.

Private to :mod:`ecomap.corridors.model`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .._errors import InputError
from ._solver import _available_memory, estimate_memory
from .cost import estimate_cost_memory


def ring_cells(lab: np.ndarray) -> int:
    """Cells of a source next to a cell outside it (8 neighbours): the region rule's dense unknowns."""
    inside = lab >= 0
    lo = ndimage.minimum_filter(lab, size=3, mode="nearest")
    hi = ndimage.maximum_filter(lab, size=3, mode="nearest")
    return int((inside & ((lo != lab) | (hi != lab))).sum())


#: Bytes a cell of the rasters the model keeps or builds besides the surfaces: resistance,
#: labels, the nearest-source surface, the corridor mosaic and its link index, the corridor
#: raster and the burn temporaries (fitted to measured peaks, ``tests/corridors/test_estimates.py``).
RASTER_BYTES = 56
#: Bytes a cell of tracing a link: two full surfaces, the link's corridor and its comparison.
TRACE_BYTES = 8 * 4 + 1
#: Bytes of the tables, paths and the plan comparison, whatever the grid (measured: about 2 MiB).
TABLES_BYTES = 2 << 20

SEARCH = "cost-distance search (one at a time)"
TRACE = "tracing a link (two full surfaces)"
CIRCUIT = "circuit solve"


def model_memory(cells: int, n: int, rings: int, *, circuit: bool, regions: str, neighbours: int,
                 radii: int, valid: int | None = None, windows: int = 0) -> dict[str, int]:
    """Bytes of the model's parts, by name (:func:`model_peak` adds them up as they overlap).

    The least-cost distances come from one search at a time; the surfaces the links need are
    kept on windows (``windows`` bytes, known once the links are: 0 before); tracing a link
    holds two full surfaces; the circuit holds its solve, one mask per source and Barrier
    Mapper's ring minima (about the windows again).
    """
    parts = {
        "resistance, labels and corridor rasters": RASTER_BYTES * cells + TABLES_BYTES,
        SEARCH: estimate_cost_memory(cells, kept=1, mask=True) + 16 * n * int(np.sqrt(cells)) * 2,
        "kept cost-distance windows": windows,
        TRACE: TRACE_BYTES * cells,
    }
    if circuit and n > 1:
        parts[CIRCUIT] = estimate_memory(cells, n, neighbours=neighbours, valid=valid,
                                         regions=regions, rings=rings)
        parts[f"circuit's source masks ({n} x 1 byte a cell)"] = n * cells
        if radii:
            parts["Barrier Mapper's ring minima (the windows again)"] = windows
    return parts


def model_peak(parts: dict[str, int]) -> int:
    """Add up the parts as they overlap in time: the peak of the model.

    The rasters, plus the search (before the windows exist), or the windows plus the larger of
    tracing and the circuit step (its solve, masks and minima).
    """
    base = parts["resistance, labels and corridor rasters"]
    windows = parts["kept cost-distance windows"]
    circuit = sum(v for k, v in parts.items() if k.startswith(("circuit", "Barrier")))
    return base + max(parts[SEARCH], windows + max(parts[TRACE], circuit))


def check_model_memory(parts: dict[str, int], max_memory: int | None, *, resolution: float) -> int:
    """Refuse a model whose estimate exceeds ``max_memory`` (default 80 % of the available memory).

    Returns the estimate in bytes.
    """
    need = model_peak(parts)
    have = max_memory if max_memory is not None else int(_available_memory() * 0.8)
    if need > have:
        top = sorted(parts.items(), key=lambda kv: -kv[1])[:3]
        shown = "; ".join(f"{k} {v / 2**30:.1f} GiB" for k, v in top)
        raise InputError(
            f"the corridor model needs about {need / 2**30:.1f} GiB but {have / 2**30:.1f} GiB is available "
            f"({shown}); use a coarser --resolution (e.g. {2 * resolution:g} m: about a quarter), fewer or "
            "merged source patches, a lower --max-cost or --width (smaller kept surfaces), --no-circuit, or "
            "--regions all")
    return need
