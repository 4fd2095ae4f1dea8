"""Modelled corridors: resistance surface, cost-distance, least-cost corridors and circuit theory.

The chain is the "source - resistance - corridor - node" workflow of ecological-security-pattern
studies, as Linkage Mapper and Circuitscape do it, one file per step:

1. a **resistance surface** (cost of moving one metre through each cell) from the layers and an
   editable TOML table (:mod:`.tables`, :func:`resistance_surface`), or from a land-cover GeoTIFF
   and a reclassification table (:func:`resistance_from_landcover`), on a :class:`Grid`
   (:mod:`.grid`, :mod:`.resistance`);
2. **cost-distance** from each source patch (:func:`cost_distance`, GRASS ``r.cost``'s rule;
   :mod:`.cost`), **least-cost paths** between linked sources and the **normalized least-cost
   corridor** ``CWD_a + CWD_b - LCD_ab`` (the minimum cumulative resistance, MCR, model;
   :mod:`.links`);
3. **circuit theory** (:func:`effective_resistance`, :func:`current_density`, Circuitscape's
   conventions; :mod:`.circuit`) for pinch points, and Barrier Mapper's **improvement score**
   (:func:`barrier_improvement`; :mod:`.barriers`);
4. a comparison of the modelled links with the drawn corridors (:mod:`.plan`), all run by
   :func:`model_corridors` (:mod:`.model`) and written by :func:`write_corridor_outputs`
   (:mod:`.outputs`);
0. **ecological sources** from MSPA cores ranked by dPC (:func:`mspa`, :func:`select_sources`;
   :mod:`.mspa`), the first step of the ecological-security-pattern chain;
5. wall-to-wall **moving-window current** (Omniscape.jl's algorithm: :func:`omniscape`,
   :mod:`.omniscape`), which needs no sources drawn, only a resistance raster; its tiles and the
   per-source cost-distance searches run as ``dask.distributed`` tasks with ``workers=`` or
   ``scheduler=`` (:mod:`.scaleout`).

The raster core (:mod:`.cost`, :mod:`.circuit`, :mod:`.barriers`) works on plain numpy arrays;
:func:`model_corridors` wires it to a :class:`~ecomap.network.Network`. Cost values are in
**cost units** (resistance per metre times metres), never metres. Imports point down:
``outputs`` -> ``model`` -> ``links``, ``plan``, ``resistance`` -> ``grid``, ``tables``, and
the raster core -> ``_common``, ``_solver``.
"""

from __future__ import annotations

from .advanced import advanced
from .barriers import barrier_improvement
from .centrality import LinkCentrality, current_flow_centrality
from .circuit import (
    DIRECT_MAX_BYTES,
    current_density,
    effective_resistance,
    estimate_memory,
    voltage,
)
from .cost import cost_distance, cost_distances, estimate_cost_memory
from .grid import Grid, make_grid
from .model import CorridorModel, model_corridors
from .modes import all_to_one, one_to_all
from .mspa import (
    MSPA_CLASSES,
    habitat_from_landcover,
    mspa,
    mspa_class_table,
    mspa_cores,
    select_sources,
)
from .network_mode import NetworkFlow, network_advanced, network_pairwise
from .omniscape import (
    Condition,
    OmniscapeResult,
    omniscape,
    omniscape_targets,
    source_from_resistance,
)
from .omniscape_files import run_omniscape_files
from .outputs import render_model_map, render_overlays, write_corridor_outputs
from .pinchpoint import Pinchpoints, pinchpoint_mapper
from .resistance import resistance_from_landcover, resistance_surface
from .tables import ResistanceTable, default_table_path, load_reclass_table, load_resistance_table

__all__ = [
    "cost_distance",
    "cost_distances",
    "estimate_cost_memory",
    "effective_resistance",
    "current_density",
    "voltage",
    "one_to_all",
    "advanced",
    "network_pairwise",
    "network_advanced",
    "NetworkFlow",
    "all_to_one",
    "barrier_improvement",
    "current_flow_centrality",
    "LinkCentrality",
    "pinchpoint_mapper",
    "Pinchpoints",
    "estimate_memory",
    "ResistanceTable",
    "load_resistance_table",
    "load_reclass_table",
    "default_table_path",
    "Grid",
    "make_grid",
    "resistance_surface",
    "resistance_from_landcover",
    "CorridorModel",
    "model_corridors",
    "write_corridor_outputs",
    "render_model_map",
    "render_overlays",
    "DIRECT_MAX_BYTES",
    "omniscape",
    "omniscape_targets",
    "run_omniscape_files",
    "source_from_resistance",
    "OmniscapeResult",
    "Condition",
    "MSPA_CLASSES",
    "habitat_from_landcover",
    "mspa",
    "mspa_class_table",
    "mspa_cores",
    "select_sources",
]
