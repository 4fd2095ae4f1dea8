"""Geometry helpers shared by the OSM clip and the boundary reader."""

from __future__ import annotations

import numpy as np
import shapely


def _keep_dimension(geoms: np.ndarray, dim: int) -> np.ndarray:
    """Only the parts of dimension ``dim`` of each geometry; single parts come back unwrapped."""
    out = np.full(len(geoms), None, dtype=object)
    if len(geoms) == 0:
        return out
    parts, idx = shapely.get_parts(geoms, return_index=True)
    # nested collections (a clip that returns a GeometryCollection of MultiLineStrings)
    parts2, idx2 = shapely.get_parts(parts, return_index=True)
    idx = idx[idx2]
    parts = parts2
    ok = (shapely.get_dimensions(parts) == dim) & ~shapely.is_empty(parts)
    parts, idx = parts[ok], idx[ok]
    if len(parts) == 0:
        return out
    have, dense = np.unique(idx, return_inverse=True)  # shapely wants indices without gaps
    counts = np.bincount(dense)
    if dim == 1:
        multi = shapely.multilinestrings(parts, indices=dense)
    else:
        multi = shapely.multipolygons(parts, indices=dense)
    single = counts == 1
    vals = np.asarray(multi, dtype=object)
    vals[single] = shapely.get_geometry(vals[single], 0)
    if dim == 2:  # parts that touch along an edge (from make_valid) are dissolved
        bad = np.flatnonzero(~shapely.is_valid(vals))
        vals[bad] = [shapely.union_all(shapely.get_parts(v)) for v in vals[bad]]
    out[have] = vals
    return out
