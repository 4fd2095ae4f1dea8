"""Layers built in code for the query tests: bridges, trails, reservoirs, corridors in EPSG:4547."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from hypothesis import strategies as st

from ecomap import crs
from ecomap.layers import CATALOGUE

LON, LAT = 114.35, 22.69
X0, Y0 = crs.transform_point(LON, LAT)
HOSTS = CATALOGUE["bridges"].column("host").allowed
STATUS = CATALOGUE["bridges"].column("status").allowed


def bridges(xy, *, hosts=None, status=None, installed=None) -> gpd.GeoDataFrame:
    """A bridges layer in EPSG:4547 at the given coordinates."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    return gpd.GeoDataFrame(
        {
            "host": hosts if hosts is not None else [HOSTS[i % len(HOSTS)] for i in range(n)],
            "material": ["stone"] * n,
            "status": status if status is not None else [STATUS[i % len(STATUS)] for i in range(n)],
            "installed": installed if installed is not None else ["2024-05-01"] * n,
            "note": [None] * n, "name_zh": [None] * n, "name_en": [None] * n,
            "source": ["test"] * n, "confidence": ["synthetic"] * n,
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs.INTERNAL,
        index=pd.Index([f"B{i:04d}" for i in range(n)], name="id"),
    )


def lines_layer(geoms, name="trails") -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"kind": ["hiking"] * n, "surface": [None] * n, "name_zh": [None] * n, "name_en": [None] * n,
         "source": ["test"] * n, "confidence": ["synthetic"] * n},
        geometry=list(geoms), crs=crs.INTERNAL,
        index=pd.Index([f"T{i:03d}" for i in range(n)], name="id"),
    )


def reservoirs(geoms) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"capacity": [np.nan] * n, "name_zh": [None] * n, "name_en": [None] * n,
         "source": ["test"] * n, "confidence": ["synthetic"] * n},
        geometry=list(geoms), crs=crs.INTERNAL,
        index=pd.Index([f"R{i:02d}" for i in range(n)], name="id"),
    )


def corridors(geoms, widths) -> gpd.GeoDataFrame:
    n = len(geoms)
    return gpd.GeoDataFrame(
        {"width_m": list(map(float, widths)), "kind": ["mountain"] * n, "from_id": [None] * n,
         "to_id": [None] * n, "status": ["existing"] * n, "name_zh": [None] * n, "name_en": [None] * n,
         "source": ["test"] * n, "confidence": ["synthetic"] * n},
        geometry=list(geoms), crs=crs.INTERNAL,
        index=pd.Index([f"C{i + 1:02d}" for i in range(n)], name="id"),
    )


# Grid offsets (metres) around the query point: integer steps make many points lie
# exactly on a radius (axis steps and 3-4-5 triangles are exact in floating point).
offsets = st.lists(st.tuples(st.integers(-40, 40), st.integers(-40, 40)), min_size=0, max_size=60)
