r"""Resistance from several factors: land cover, slope from a DEM, distance to roads, barriers.

The "comprehensive resistance surface" of Chinese ecological-security-pattern studies: each
factor is reclassified to grades on one scale, and the grades are summed with weights
(:math:`R = \sum_i w_i g_i`, :math:`\sum_i w_i = 1`); the barrier layer then raises (or adds
to) its strips, or closes them. The weights and classes are the ``[factors]`` section of the
resistance table (``resistance.toml``).

References
----------
Yu, K. (1996). Security patterns and surface model in landscape ecological planning. *Landscape
and Urban Planning* 36:1-17 (the minimum cumulative resistance model). Typical of the weighted
factors, each with MSPA sources and MCR on a comprehensive resistance surface of graded, weighted
factors: Sustainability 2020, 12(3):959, doi:10.3390/su12030959 (the Tomur World Natural Heritage
region); IJERPH 2023, 20(4):3724, doi:10.3390/ijerph20043724 (the Yellow River source region).
Horn, B. K. P. (1981). Hill shading and the reflectance map. *Proceedings of the IEEE*
69(1):14-47 (the slope as gdaldem and GRASS r.slope.aspect compute it).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from .._errors import InputError
from .grid import Grid
from .tables import ResistanceTable

__all__ = ["slope_degrees", "road_distance", "grade", "apply_factors", "factor_surface"]


def slope_degrees(dem, cellsize: float) -> np.ndarray:
    """Slope in degrees by Horn's method (gdaldem ``slope -compute_edges``, GRASS r.slope.aspect).

    With the 3 x 3 window ``a b c / d e f / g h i`` around each cell,
    ``dz/dx = ((c + 2f + i) - (a + 2d + g)) / (8 s)`` and ``dz/dy = ((g + 2h + i) - (a + 2b + c)) / (8 s)``
    (the central difference, as :func:`numpy.gradient` takes it, of the surface smoothed by
    ``[1, 2, 1] / 4`` across), and the slope is ``atan(hypot(dz/dx, dz/dy))``. A neighbour without
    data counts as the centre cell, as gdaldem's ``-compute_edges`` does; so does a neighbour
    outside the array (gdaldem extrapolates there instead; the corridor model reads the DEM with a
    one-cell margin, so its grid's edge cells have real neighbours). A cell without data has no
    slope.

    Parameters
    ----------
    dem : array_like of float, shape (rows, cols)
        Elevations in metres on a square grid; NaN = no data.
    cellsize : float
        Cell side in metres (the elevations' unit).

    Returns
    -------
    numpy.ndarray of float, shape (rows, cols)
        Slope in degrees (0-90); NaN where the DEM has no data.
    """
    z = np.asarray(dem, dtype=float)
    p = np.pad(z, 1, constant_values=np.nan)
    h, w = z.shape
    win = [p[r:r + h, c:c + w] for r in range(3) for c in range(3)]
    a, b, c, d, _, f, g, hh, i = (np.where(np.isnan(v), z, v) for v in win)
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * cellsize)
    dzdy = ((g + 2 * hh + i) - (a + 2 * b + c)) / (8.0 * cellsize)
    return np.where(np.isnan(z), np.nan, np.degrees(np.arctan(np.hypot(dzdx, dzdy))))


def road_distance(lines, grid: Grid, *, margin_m: float = 0.0) -> np.ndarray:
    """Distance from each cell centre to the nearest road cell centre (metres), by a distance transform.

    The roads are burnt onto the grid (every cell a line touches) widened by ``margin_m`` on each
    side, so roads just outside the study area count; :func:`scipy.ndimage.distance_transform_edt`
    then gives the exact Euclidean distance between cell centres.

    Parameters
    ----------
    lines : sequence of shapely geometries
        The roads, in the grid's CRS.
    grid : Grid
        The grid.
    margin_m : float, default 0
        How far outside the grid roads are looked for (metres).

    Returns
    -------
    numpy.ndarray of float, shape (rows, cols)
        Metres; 0 on road cells, ``inf`` if no road is within the grid and its margin.
    """
    from scipy import ndimage

    m = int(math.ceil(max(margin_m, 0.0) / grid.cellsize))
    big = Grid(grid.west - m * grid.cellsize, grid.north + m * grid.cellsize, grid.cellsize,
               grid.width + 2 * m, grid.height + 2 * m, grid.crs)
    road = big.mask(list(lines), all_touched=True) if len(lines) else np.zeros(big.shape, dtype=bool)
    if not road.any():
        return np.full(grid.shape, np.inf)
    d = ndimage.distance_transform_edt(~road, sampling=grid.cellsize)
    return d[m:m + grid.height, m:m + grid.width]


def grade(values, breaks, grades) -> np.ndarray:
    """Reclassify values to grades: class ``k`` holds ``breaks[k-1] <= value < breaks[k]``.

    Parameters
    ----------
    values : array_like of float
        The factor (degrees, metres ...); NaN stays NaN, ``inf`` falls in the last class.
    breaks : sequence of float
        Increasing class bounds.
    grades : sequence of float
        One grade per class (``len(breaks) + 1``).

    Returns
    -------
    numpy.ndarray of float
        The grade of each value.
    """
    v = np.asarray(values, dtype=float)
    k = np.searchsorted(np.asarray(breaks, dtype=float), v, side="right")
    out = np.asarray(grades, dtype=float)[np.minimum(k, len(grades) - 1)]
    return np.where(np.isnan(v), np.nan, out)


def _read_slope(dem: Path, grid: Grid) -> np.ndarray:
    """The DEM read onto the grid (bilinear) with a one-cell margin, so edge cells have neighbours; its slope."""
    from .resistance import _read_onto_grid

    cs = grid.cellsize
    big = Grid(grid.west - cs, grid.north + cs, cs, grid.width + 2, grid.height + 2, grid.crs)
    return slope_degrees(_read_onto_grid(dem, big, bilinear=True), cs)[1:-1, 1:-1]


def _road_lines(network, roads, spec: dict, crs: str):
    """The road lines and how the summary names them: the network's barriers of the road kinds, or a file."""
    if str(roads) == "network":
        bars = network["barriers"]
        keep = bars["kind"].astype(str).isin(spec["kinds"]) & (bars["structure"].astype(str) != "tunnel")
        return bars.geometry[keep].values, f"barriers layer ({', '.join(spec['kinds'])}; not tunnels)"
    import geopandas as gpd

    p = Path(roads)
    try:
        gdf = gpd.read_file(p)
    except Exception as exc:  # pyogrio raises its own error types
        raise InputError(f"{p}: not a readable vector file of roads ('network' or a line file is expected): "
                         f"{str(exc).splitlines()[0]}") from None
    if gdf.crs is None:
        raise InputError(f"{p}: has no CRS; save it with one (e.g. EPSG:4326)")
    if "highway" in gdf:
        gdf, how = gdf[gdf["highway"].astype(str).isin(spec["highway"])], "highway in the table's list"
    elif "kind" in gdf:
        gdf, how = gdf[gdf["kind"].astype(str).isin(spec["kinds"])], "kind in the table's list"
    else:
        how = "every line"
    gdf = gdf[gdf.geometry.notna() & gdf.geometry.geom_type.str.contains("LineString")]
    return gdf.to_crs(crs).geometry.values, f"{p} ({how})"


def _check_coverage(name: str, path, values: np.ndarray, base: np.ndarray, allow_partial: bool) -> int:
    """Refuse a factor raster that leaves cells of the study area without data (unless allowed)."""
    hole = np.isfinite(base) & np.isnan(values)
    n, total = int(hole.sum()), int(np.isfinite(base).sum())
    if n and not allow_partial:
        raise InputError(f"{path}: the {name} leaves {100 * n / max(total, 1):.1f} % of the study area "
                         f"({n:,} of {total:,} cells) without data; give --allow-partial to model where there is data")
    return n


def apply_factors(base: np.ndarray, network, grid: Grid, table: ResistanceTable, *,
                  dem: str | os.PathLike | None = None, roads: str | os.PathLike | None = None,
                  base_name: str = "layers", allow_partial: bool = False) -> tuple[np.ndarray, dict]:
    """Weighted sum of the land-cover grade, slope and road-distance grades, then the barrier layer.

    ``R = w_lc * base + w_slope * grade(slope) + w_roads * grade(distance to roads)`` with the
    table's ``[factors]`` weights, rescaled to sum 1 over the factors given (no ``dem``: no
    slope; no ``roads``: no roads); ``inf`` (impassable) in the base stays ``inf``. Then the
    barriers layer by ``factors.barriers``: ``"max"`` raises each barrier's strip to its
    ``[barriers]`` value times ``(1 - permeability)`` and the structure share (as without
    factors), ``"add"`` adds it; ``"impassable"`` there closes the strip. Built bridge sites then
    lower their disc, as without factors.

    Parameters
    ----------
    base : numpy.ndarray of float, shape (rows, cols)
        The land-cover grade: the reclassified land cover, or the layers painted without
        barriers (cost units per metre, 1-100); NaN outside the study area.
    network : ecomap.network.Network
        Gives the barriers (and with ``roads="network"`` the roads).
    grid : Grid
        The grid of ``base``.
    table : ResistanceTable
        With a ``[factors]`` section.
    dem : path, optional
        An elevation GeoTIFF (metres, any CRS; read onto the grid bilinearly).
    roads : path or "network", optional
        A line layer of roads (any CRS; an OSM export's ``highway`` values filtered by the table),
        or ``"network"``: the barriers of the table's road ``kinds``.
    base_name : str, default "layers"
        How the summary names the base (the land-cover file, or ``layers``).
    allow_partial : bool, default False
        Let a DEM that misses part of the study area leave those cells without data.

    Returns
    -------
    surface : numpy.ndarray of float, shape (rows, cols)
        Cost units per metre (NaN no data, ``inf`` impassable).
    summary : dict
        ``formula`` and ``factors``: one entry per factor with its ``weight`` (as used),
        ``table_weight``, source and classes; the barriers with their ``rule``.

    Raises
    ------
    InputError
        If the table has no ``[factors]``, a factor given has no weight, the DEM or roads file
        cannot be read, no road lies near the study area, or the DEM leaves cells without data.
    """
    from .resistance import _burn_barriers

    spec = table.factors
    if spec is None:
        raise InputError(f"{table.path}: --dem and --roads need a [factors] section (weights and classes); "
                         "copy it from the shipped resistance.toml")
    used = {"landcover": True, "slope": dem is not None, "roads": roads is not None}
    for k in ("slope", "roads"):
        if used[k] and spec["weights"].get(k, 0) <= 0:
            raise InputError(f"{table.path}: factors.weights.{k} is missing or 0, but --{'dem' if k == 'slope' else k} "
                             "was given")
    total = sum(spec["weights"].get(k, 0.0) for k, on in used.items() if on)
    if total <= 0:
        raise InputError(f"{table.path}: factors.weights.landcover must be > 0")
    weight = {k: spec["weights"].get(k, 0.0) / total for k, on in used.items() if on}
    rows = [{"factor": "landcover", "source": base_name, "weight": weight["landcover"],
             "table_weight": spec["weights"].get("landcover", 0.0), "grades": "the base surface (1-100)"}]
    with np.errstate(invalid="ignore"):
        r = weight["landcover"] * base
    if used["slope"]:
        s = _read_slope(Path(dem), grid)
        missing = _check_coverage("DEM", dem, s, base, allow_partial)
        r = r + weight["slope"] * grade(s, **spec["slope"])
        ok = np.isfinite(base) & np.isfinite(s)
        rows.append({"factor": "slope", "source": str(dem), "weight": weight["slope"], "units": "degrees",
                     "table_weight": spec["weights"]["slope"], **spec["slope"], "cells_without_data": missing,
                     "range": [float(s[ok].min()), float(s[ok].max())] if ok.any() else None})
    if used["roads"]:
        lines, named = _road_lines(network, roads, spec["roads"], grid.crs)
        d = road_distance(lines, grid, margin_m=spec["roads"]["breaks"][-1])
        if not np.isfinite(d).any():
            raise InputError(f"{roads}: no road within {spec['roads']['breaks'][-1]:g} m of the study area")
        r = r + weight["roads"] * grade(d, spec["roads"]["breaks"], spec["roads"]["grades"])
        rows.append({"factor": "roads", "source": named, "features": int(len(lines)), "weight": weight["roads"],
                     "units": "metres", "table_weight": spec["weights"]["roads"],
                     "breaks": spec["roads"]["breaks"], "grades": spec["roads"]["grades"]})
    r = np.where(np.isnan(base), np.nan, r)
    _burn_barriers(r, network, grid, table, rule=spec["barriers"])
    rows.append({"factor": "barriers", "source": "barriers layer", "features": int(len(network["barriers"])),
                 "weight": None, "rule": spec["barriers"], "values": {k: "impassable" if math.isinf(v) else v for k, v in table.resistance["barriers"].items()}})
    formula = " + ".join(f"{weight[k]:.4g} x {k}" for k in weight) + f", then barriers ({spec['barriers']})"
    return r, {"formula": formula, "factors": rows}


def factor_surface(network, ext, grid: Grid, table: ResistanceTable, *, extent: str, landcover, reclass,
                   factors: dict, allow_partial: bool, coverage) -> tuple[np.ndarray, Grid, dict]:
    """The corridor model's surface from several factors: the base (land cover or layers), then :func:`apply_factors`.

    Parameters
    ----------
    network : ecomap.network.Network
        The layers.
    ext : shapely geometry
        The study extent.
    grid : Grid
        The grid over it.
    table : ResistanceTable
        With ``[factors]``.
    extent : str
        The extent's name (``district``, ``city``), for the layer-painted base.
    landcover, reclass : path or None
        The land cover and its table (the base), or None (the layers painted without barriers).
    factors : dict
        ``dem`` and ``roads`` (see :func:`apply_factors`); the summary is put in ``factors["summary"]``.
    allow_partial : bool
        Model where the land cover and the DEM have data.
    coverage : callable
        The corridor model's land-cover coverage check (gaps in the area and the patches).

    Returns
    -------
    surface : numpy.ndarray of float
        Cost units per metre.
    grid : Grid
        ``grid``.
    missing : dict
        What the land cover leaves without data (``{}`` if nothing).
    """
    from .resistance import resistance_from_landcover, resistance_surface

    missing: dict = {}
    if landcover is not None:
        base = resistance_from_landcover(landcover, reclass, grid)
        inside = grid.mask([ext])
        missing = coverage(network, grid, inside & np.isnan(base), inside, landcover, allow_partial)
        base[~inside | missing.pop("_cells")] = np.nan
    else:
        base, _ = resistance_surface(network, table=table, grid=grid, extent=extent, barriers=False)
    r, factors["summary"] = apply_factors(base, network, grid, table, dem=factors.get("dem"),
                                          roads=factors.get("roads"), base_name=str(landcover or "layers"),
                                          allow_partial=allow_partial)
    return r, grid, missing
