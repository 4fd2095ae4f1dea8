"""Linkage Mapper's network tools on the model's links: Centrality Mapper and Pinchpoint Mapper.

A step of :func:`ecomap.corridors.model_corridors`, kept apart from it; private to the package.
"""

from __future__ import annotations

import numpy as np

from .centrality import current_flow_centrality
from .pinchpoint import Pinchpoints, pinchpoint_mapper


def _link_tools(paths, sources, links, ids, *, r, lab, cwd, lcd, cellsize: float, neighbours: int,
                centrality: bool, cutoff: float | None, solver: str, max_memory: int | None,
                progress: bool, squared: bool = False, quantile: float | None = None) -> Pinchpoints | None:
    """Add the tools' columns to ``paths`` and ``sources`` in place; return Pinchpoint Mapper's result.

    Centrality Mapper (``centrality``): ``cf_current`` per link and ``cf_central`` per source, on
    the graph of the links with their ``cwd`` as resistance (a link of cwd 0, between patches
    that touch, cannot be a resistor: it is left out, NaN). Pinchpoint Mapper (``cutoff``):
    ``pp_eff_resistance`` and ``cwd_to_eff_resistance`` per link, and the mosaic of the links'
    currents in their corridors truncated at ``cutoff`` cost units, on the squared resistances with
    ``squared``, with each link's cells above its ``quantile`` of current (None without a cutoff).
    """
    if centrality:
        cwds = paths["cwd"].to_numpy(dtype=float)
        ok = np.isfinite(cwds) & (cwds > 0)
        pairs = [links[k] for k in np.flatnonzero(ok)]
        flow = current_flow_centrality(pairs, cwds[ok], cores=range(len(ids)), solver=solver)
        cur = np.full(len(links), np.nan)
        cur[ok] = flow.links
        paths["cf_current"] = cur
        sources["cf_central"] = flow.cores
    if cutoff is None:
        return None
    pp = pinchpoint_mapper(r, [lab == i for i in range(len(ids))], links, cutoff=cutoff, cwds=cwd, lcd=lcd,
                           cellsize=cellsize, neighbours=neighbours, solver=solver, max_memory=max_memory,
                           progress=progress, squared_resistance=squared, quantile=quantile)
    paths["pp_eff_resistance"] = pp.eff_resistance
    paths["cwd_to_eff_resistance"] = pp.cwd_to_eff_resistance
    return pp
