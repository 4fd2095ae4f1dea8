"""Finding the rows of a survey that are sites the register (or the file) already has.

The third step of :func:`ecomap.bridges.import_sites`: a row is a duplicate when it gives
the id of a register site, lies within :data:`DUPLICATE_DISTANCE_M` of a register site
or of an earlier row, or repeats the id of an earlier row.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

#: Two sites closer than this (metres) are the same site.
DUPLICATE_DISTANCE_M = 5.0


def _same_id_as_register(dup: list, valid: np.ndarray, given_id: np.ndarray, existing_ids: set[str]) -> None:
    """Mark rows that give the id of a register site."""
    for i in np.flatnonzero(valid & (given_id != "")):
        if given_id[i] in existing_ids:
            dup[i] = (given_id[i], f"id {given_id[i]} is already in the register")


def _near_register(dup: list, valid: np.ndarray, pts: np.ndarray, existing: gpd.GeoDataFrame) -> None:
    """Mark rows within the duplicate distance of a register site (the nearest one)."""
    if not (len(existing) and valid.any()):
        return
    vi = np.flatnonzero(valid)
    qi, ti = existing.sindex.query(pts[vi], predicate="dwithin", distance=DUPLICATE_DISTANCE_M)
    d = shapely.distance(pts[vi][qi], np.asarray(existing.geometry.values)[ti])
    order = np.lexsort((d, qi))
    for q, t, dd in zip(qi[order], ti[order], d[order], strict=True):
        i = vi[q]
        if dup[i] is None and dd <= DUPLICATE_DISTANCE_M:
            dup[i] = (str(existing.index[t]),
                      f"{dd:.1f} m from register site {existing.index[t]} (same site within {DUPLICATE_DISTANCE_M:g} m)")


def _near_earlier_row(dup: list, valid: np.ndarray, pts: np.ndarray, lines: list[int]) -> None:
    """Mark rows within the duplicate distance of an earlier row that is itself not a duplicate."""
    fresh = np.flatnonzero(valid & np.array([d is None for d in dup], dtype=bool))
    if len(fresh) <= 1:
        return
    tree = shapely.STRtree(pts[fresh])
    a, b = tree.query(pts[fresh], predicate="dwithin", distance=DUPLICATE_DISTANCE_M)
    earlier = a > b  # row fresh[a] comes after fresh[b]
    a, b = a[earlier], b[earlier]
    dd = shapely.distance(pts[fresh][a], pts[fresh][b])
    for q, t, d_ in sorted(zip(a, b, dd, strict=True)):
        i, j = fresh[q], fresh[t]
        if dup[i] is None and dup[j] is None and d_ <= DUPLICATE_DISTANCE_M:
            dup[i] = (f"line {lines[j]}",
                      f"{d_:.1f} m from line {lines[j]} of this file (same site within {DUPLICATE_DISTANCE_M:g} m)")


def _repeated_id(dup: list, valid: np.ndarray, given_id: np.ndarray, lines: list[int]) -> None:
    """Mark rows that repeat the id of an earlier row that is not a duplicate."""
    seen: dict[str, int] = {}
    for i in np.flatnonzero(valid):
        gid = given_id[i]
        if gid and dup[i] is None:
            if gid in seen:
                dup[i] = (f"line {lines[seen[gid]]}", f"id {gid} repeats line {lines[seen[gid]]}")
            else:
                seen[gid] = i


def _find_duplicates(valid: np.ndarray, given_id: np.ndarray, x: np.ndarray, y: np.ndarray,
                     lines: list[int], existing: gpd.GeoDataFrame) -> list[tuple[str, str] | None]:
    """Return, for each row, ``(duplicate of, reason)`` or ``None``; only ``valid`` rows are looked at.

    The rules in order, the first that applies wins: the id of a register site; within
    :data:`DUPLICATE_DISTANCE_M` of a register site (the nearest); within it of an earlier
    row that is not a duplicate; the id of an earlier row. ``x``, ``y`` are EPSG:4547 metres.
    """
    dup: list[tuple[str, str] | None] = [None] * len(valid)
    _same_id_as_register(dup, valid, given_id, set(map(str, existing.index)))
    pts = shapely.points(x, y)
    _near_register(dup, valid, pts, existing)
    _near_earlier_row(dup, valid, pts, lines)
    _repeated_id(dup, valid, given_id, lines)
    return dup
