"""Small networks built in code for the connectivity tests: three patches in a row and their corridors."""

from __future__ import annotations

import math

import numpy as np
import shapely
from conftest import internal_layer as layer

from ecomap.network import Network

X0, Y0 = 536000.0, 2510000.0  # central Pingshan in EPSG:4547 metres


def square(x: float, area_km2: float, y: float = 0.0) -> shapely.Polygon:
    s = math.sqrt(area_km2) * 1000
    return shapely.box(X0 + x, Y0 + y, X0 + x + s, Y0 + y + s)


def patch(pid: str, **kw) -> dict:
    return {"id": pid, "kind": "core", "quality": np.nan, "source": "t", "confidence": "synthetic", **kw}


def corridor(cid: str, a: str | None, b: str | None, **kw) -> dict:
    return {"id": cid, "width_m": 50.0, "kind": "green", "from_id": a, "to_id": b, "status": "existing",
            "source": "t", "confidence": "synthetic", **kw}


def hline(x0: float, x1: float, y: float = 500.0) -> shapely.LineString:
    return shapely.LineString([(X0 + x0, Y0 + y), (X0 + x1, Y0 + y)])


def three_patches(*, with_13: bool = False) -> Network:
    """Patches of 1, 2, 3 km² in a row; corridors 1-2 and 2-3 (and 1-3 on request)."""
    p = layer("patches", [patch("P1"), patch("P2"), patch("P3")],
              [square(0, 1), square(3000, 2), square(7000, 3)])
    rows = [corridor("C12", "P1", "P2"), corridor("C23", "P2", "P3")]
    geoms = [hline(1000, 3000), hline(4414, 7000)]
    if with_13:
        rows.append(corridor("C13", "P1", "P3"))
        geoms.append(hline(1000, 7000, y=900))
    return Network({"patches": p, "corridors": layer("corridors", rows, geoms)})
