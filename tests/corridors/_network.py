"""Small networks built in metres (EPSG:4547) for the corridor tests, and resistance-table edits."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, box

from ecomap.corridors import default_table_path
from ecomap.network import Network

# multiples of 30 m, so that 30 m cells line up with the shapes below
X0, Y0 = 535020.0, 2510010.0


def _frame(rows, geoms):
    df = pd.DataFrame(rows)
    df["source"] = "test"
    df["confidence"] = "synthetic"
    return gpd.GeoDataFrame(df, geometry=list(geoms), crs="EPSG:4547").set_index("id")


def _patches(*boxes):
    return _frame([{"id": k, "kind": "forest"} for k in "ABCDEFG"[:len(boxes)]],
                  [box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in boxes])


def _boundary(w, h):
    return _frame([{"id": "b", "adcode": "440310"}], [box(X0, Y0, X0 + w, Y0 + h)])


def _strip_network(*patch_boxes, corridors=None):
    """A 1500 m x 600 m district of plain matrix with full-height patches."""
    layers = {"boundary": _boundary(1500, 600), "patches": _patches(*patch_boxes)}
    if corridors is not None:
        layers["corridors"] = corridors
    return Network(layers)


def _tunnel_network():
    """Two full-height patches with an expressway between them, passable only by a tunnel at y 90-150 m."""
    bars = _frame(
        [{"id": "E1", "kind": "expressway", "permeability": 0.0, "structure": "surface"},
         {"id": "E2", "kind": "expressway", "permeability": 0.0, "structure": "tunnel"},
         {"id": "E3", "kind": "expressway", "permeability": 0.0, "structure": "surface"}],
        [LineString([(X0 + 735, Y0), (X0 + 735, Y0 + 90)]),
         LineString([(X0 + 735, Y0 + 90), (X0 + 735, Y0 + 150)]),
         LineString([(X0 + 735, Y0 + 150), (X0 + 735, Y0 + 600)])])
    return Network({"boundary": _boundary(1500, 600), "patches": _patches((0, 0, 150, 600), (1350, 0, 1500, 600)),
                    "barriers": bars})


def _corridor(cid, a, b, line, status="planned", width=60.0):
    return _frame([{"id": cid, "width_m": width, "kind": "green", "from_id": a, "to_id": b, "status": status}],
                  [LineString([(X0 + x, Y0 + y) for x, y in line])])


def _table_text(replace: str, by: str) -> str:
    text = default_table_path().read_text(encoding="utf-8")
    assert replace in text
    return text.replace(replace, by)
