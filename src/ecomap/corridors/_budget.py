"""The corridor model's memory, estimated before it starts, and the refusal of what would not fit.

Private to :mod:`ecomap.corridors.model`.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .._errors import InputError
from ._solver import _available_memory, estimate_memory


def ring_cells(lab: np.ndarray) -> int:
    """Cells of a source next to a cell outside it (8 neighbours): the region rule's dense unknowns."""
    inside = lab >= 0
    lo = ndimage.minimum_filter(lab, size=3, mode="nearest")
    hi = ndimage.maximum_filter(lab, size=3, mode="nearest")
    return int((inside & ((lo != lab) | (hi != lab))).sum())


def model_memory(cells: int, n: int, rings: int, *, circuit: bool, regions: str, neighbours: int,
                 radii: int) -> dict[str, int]:
    """Bytes of the model's largest parts, by name.

    The cost-distance surfaces are kept one per source (float64) for the links, the corridor
    mosaic and Barrier Mapper; Barrier Mapper holds one minimum raster per source for a radius at
    a time; the region rule holds three dense matrices on the ring cells.
    """
    parts = {
        "resistance, labels and corridor rasters": 6 * 8 * cells,
        f"cost-distance surfaces ({n} sources x 8 bytes a cell)": n * 8 * cells,
    }
    if circuit and n > 1:
        parts["circuit solve (graph, factor, potentials)"] = estimate_memory(cells, n, neighbours=neighbours)
        if regions == "pair":
            parts[f"region rule's dense matrices on {rings:,} ring cells"] = 3 * 8 * rings * rings
        if radii:
            parts["Barrier Mapper's disc minima (one per source)"] = n * 8 * cells
    return parts


def check_model_memory(parts: dict[str, int], max_memory: int | None, *, resolution: float) -> int:
    """Refuse a model whose estimate exceeds ``max_memory`` (default 80 % of the available memory).

    Returns the estimate in bytes.
    """
    need = sum(parts.values())
    have = max_memory if max_memory is not None else int(_available_memory() * 0.8)
    if need > have:
        top = sorted(parts.items(), key=lambda kv: -kv[1])[:3]
        shown = "; ".join(f"{k} {v / 2**30:.1f} GiB" for k, v in top)
        raise InputError(
            f"the corridor model needs about {need / 2**30:.1f} GiB but {have / 2**30:.1f} GiB is available "
            f"({shown}); use a coarser --resolution (e.g. {2 * resolution:g} m: about a quarter), fewer or "
            "merged source patches, --no-circuit, or --regions all")
    return need
