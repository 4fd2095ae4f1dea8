"""The bridge-site register of the "Ten Thousand Bridge Plan" (万桥计划).

The plan puts small escape structures (stone or wooden ramps, nets, ropes) into drainage
ditches, water-collection wells, interception ditches beside reservoir roads, pools and
culverts, so that frogs, snakes, newts and small mammals that fall in can climb out. No
public register of these sites exists, so ecomap ships a seed register made by
:func:`synthesize`: a documented, seeded, re-runnable generator that puts each site where
such structures go and records the feature it put it on. Field surveys then grow the
register through :func:`import_sites`.

The files: ``synth`` (the generator; placement in ``_place``, spacing in ``_spacing``),
``survey`` (field surveys into the register: ``_read`` -> ``_check`` -> ``_duplicates``
-> ``_register``), ``stats`` (listing and counting sites).
"""

from __future__ import annotations

from .stats import (
    STATS_BY,
    SUBDISTRICT_CENTRES,
    corridor_of,
    list_sites,
    site_stats,
    subdistrict_of,
)
from .survey import DUPLICATE_DISTANCE_M, REGISTER_MARGIN_M, ImportReport, RowIssue, import_sites
from .synth import HOST_SHARES, MATERIALS, MAX_OFFSET_M, MIN_SPACING_M, STATUS_SHARES, synthesize

__all__ = [
    "HOST_SHARES",
    "MATERIALS",
    "STATUS_SHARES",
    "MAX_OFFSET_M",
    "MIN_SPACING_M",
    "synthesize",
    "DUPLICATE_DISTANCE_M",
    "REGISTER_MARGIN_M",
    "SUBDISTRICT_CENTRES",
    "STATS_BY",
    "ImportReport",
    "RowIssue",
    "import_sites",
    "list_sites",
    "site_stats",
    "subdistrict_of",
    "corridor_of",
]
