"""Connectivity of the habitat network: graph indices, patch and corridor importance, gaps, scenarios.

The package reads like the method's steps:

- :mod:`.graph`: the habitat graph (patches as nodes, corridors or short gaps as links);
- :mod:`.indices`: IIC, PC, EC, α/β/γ, the gravity model, betweenness;
- :mod:`.removal`: the exact removal importance (dIIC, dPC) of every patch and link;
- :mod:`.analysis`: :func:`analyse`, every figure of a network, and its result;
- :mod:`.scenario`: before and after removing or adding corridors and patches.

Removal importance (dIIC, dPC) is exact. Recomputing all shortest paths after each removal
would cost one all-pairs run per patch and per link; instead each source is run once, in
compiled code (:mod:`._dominators`, numba): the dominator tree of its shortest-path DAG
says which targets each removal cuts off, and only those are re-run, inside their subtree.
Memory grows with the links, not with n².
"""

from __future__ import annotations

from ._common import DEFAULT_MEDIAN_DISPERSAL_M
from .analysis import ConnectivityResult, analyse
from .graph import Graph, build_graph
from .indices import (
    GRAVITY_AREA_UNITS,
    alpha_undefined_reason,
    betweenness,
    equivalent_connectivity,
    gravity,
    iic,
    link_probability,
    pc,
    structure_indices,
)
from .removal import removal_importance
from .scenario import Scenario, read_addition, scenario

__all__ = [
    "DEFAULT_MEDIAN_DISPERSAL_M",
    "GRAVITY_AREA_UNITS",
    "Graph",
    "ConnectivityResult",
    "Scenario",
    "build_graph",
    "structure_indices",
    "alpha_undefined_reason",
    "link_probability",
    "iic",
    "pc",
    "equivalent_connectivity",
    "removal_importance",
    "gravity",
    "betweenness",
    "analyse",
    "read_addition",
    "scenario",
]
