"""Ecological sources from MSPA: habitat raster -> MSPA classes (JRC engine) -> cores -> sources by dPC.

Morphological Spatial Pattern Analysis (Soille & Vogt 2009) is run by the JRC's own engine
(miallib, through :mod:`pyguidos`), not re-implemented here. From its cores, the sources are
those of at least a minimum area, ranked by their importance to the Probability of Connectivity
(dPC, :func:`ecomap.connectivity.removal_importance`) on Euclidean edge-to-edge or least-cost
distances, and written as a ``patches`` layer (``source`` = ``mspa:core/<n>``) that the
corridor model and the connectivity analysis read like any other.

pyguidos is GPL-3.0-or-later and optional (``pip install ecomap[mspa]``); it is imported only
when MSPA runs.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .._errors import InputError

__all__ = ["MSPA_CLASSES", "NON_HABITAT", "WORLDCOVER_HABITAT", "habitat_from_landcover", "mspa", "mspa_class_table",
           "mspa_cores", "select_sources"]

#: MSPA's classes -> their GuidosToolbox codes (external, internal with ``intext``; loops and
#: bridges crossing an edge or perforation, with ``transition``, count as that edge or perforation,
#: as in pyguidos's own statistics). The last three are not habitat: with ``intext`` the background
#: enclosed by habitat is split off as ``core-opening`` (100: holes bounded by perforation, i.e.
#: inside a core) and ``border-opening`` (220: holes bounded by edge, islet, bridge, loop or branch
#: cells), as pyguidos's statistics name them; ``background`` (0) is the rest.
MSPA_CLASSES: dict[str, tuple[int, ...]] = {
    "core": (17, 117),
    "islet": (9, 109),
    "perforation": (5, 69, 37, 105, 169, 137),
    "edge": (3, 67, 35, 103, 167, 135),
    "loop": (65, 165),
    "bridge": (33, 133),
    "branch": (1, 101),
    "background": (0,),
    "core-opening": (100,),
    "border-opening": (220,),
}
#: The classes of :data:`MSPA_CLASSES` that are not habitat.
NON_HABITAT = ("background", "core-opening", "border-opening")
#: GuidosToolbox's code for a cell with no data.
MISSING = 129

#: ESA WorldCover classes taken as habitat (foreground) by default: tree cover, shrubland,
#: grassland, herbaceous wetland, mangroves.
WORLDCOVER_HABITAT = (10, 20, 30, 90, 95)


def habitat_from_landcover(codes, foreground=WORLDCOVER_HABITAT) -> np.ndarray:
    """Land-cover codes -> habitat: 1 foreground, 0 background, NaN no data.

    Parameters
    ----------
    codes : array_like of float, shape (rows, cols)
        Land-cover class codes; NaN for no data.
    foreground : sequence of int, default :data:`WORLDCOVER_HABITAT`
        The codes that are habitat.

    Returns
    -------
    numpy.ndarray of float, shape (rows, cols)
        1.0, 0.0 or NaN.
    """
    c = np.asarray(codes, dtype=float)
    return np.where(np.isfinite(c), np.isin(c, list(foreground)).astype(float), np.nan)


def _check_options(connectivity: int, edge_width: int) -> None:
    if connectivity not in (4, 8):
        raise InputError("MSPA foreground connectivity must be 8 or 4")
    if int(edge_width) != edge_width or edge_width < 1:
        raise InputError(f"MSPA edge width {edge_width!r} must be a whole number of cells >= 1")


def _check_both(h: np.ndarray, what: str, habitat: str, background: str) -> None:
    """Refuse a habitat raster without habitat or without background: pyguidos exits on it."""
    if not (h == 1).any():
        raise InputError(f"{what}: no cell has {habitat}; MSPA needs habitat and non-habitat cells")
    if not (h == 0).any():
        raise InputError(f"{what}: every cell with data has {habitat}, none {background}; "
                         "MSPA needs habitat and non-habitat cells")


def mspa(habitat, *, connectivity: int = 8, edge_width: int = 1, transition: bool = True,
         intext: bool = True) -> np.ndarray:
    """Run MSPA (the JRC engine, through pyguidos) on a habitat raster.

    Parameters
    ----------
    habitat : array_like of float, shape (rows, cols)
        1 (or True) habitat, 0 background, NaN no data.
    connectivity : {8, 4}
        Foreground connectivity.
    edge_width : int, default 1
        Width of edges and perforations, in cells (the cell side times this is the edge in metres).
    transition : bool, default True
        Mark the cells where loops and bridges cross an edge or perforation (codes 35, 37, 67, 69).
    intext : bool, default True
        Tell internal features (inside a perforation, code + 100) from external ones.

    Returns
    -------
    numpy.ndarray of uint8, shape (rows, cols)
        GuidosToolbox MSPA codes (see :data:`MSPA_CLASSES`; 129 no data).

    Raises
    ------
    InputError
        A raster that is not 2-D, values other than 0, 1 and NaN, no habitat or no background
        cell, or bad options.
    ImportError
        pyguidos (``pip install ecomap[mspa]``) is not installed.

    References
    ----------
    Soille, P. & Vogt, P. (2009). Morphological segmentation of binary patterns. Pattern
    Recognition Letters 30(4):456-459. Vogt, P. & Riitters, K. (2017). GuidosToolbox: universal
    digital image object analysis. European Journal of Remote Sensing 50(1):352-361.
    """
    _check_options(connectivity, edge_width)
    h = np.asarray(habitat, dtype=float)
    if h.ndim != 2:
        raise InputError("habitat must be a 2-D array")
    ok = np.isfinite(h)
    if not np.isin(h[ok], (0.0, 1.0)).all():
        raise InputError("habitat must hold 1 (habitat), 0 (background) or NaN (no data)")
    _check_both(h, "habitat", "habitat cells (1)", "background cells (0)")
    import pyguidos
    import rasterio

    data = np.where(ok, np.where(h == 1, 2, 1), 0).astype(np.uint8)
    name = f"habitat_{connectivity}_{int(edge_width)}_{int(transition)}_{int(intext)}.tif"
    with tempfile.TemporaryDirectory(prefix="ecomap-mspa-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "no georeferencing": plain cells here
        src = Path(tmp) / "habitat.tif"
        with rasterio.open(src, "w", driver="GTiff", height=h.shape[0], width=h.shape[1], count=1,
                           dtype="uint8") as dst:
            dst.write(data, 1)
        pyguidos.mspa(src, connectivity=connectivity, edge_width=int(edge_width), transition=transition,
                      intext=intext, outdir=tmp, statists=False, stat_files=False)
        with rasterio.open(Path(tmp) / name) as out:
            return out.read(1)


def mspa_class_table(codes, cellsize_m: float):
    """Cells, area and share of each MSPA class.

    Parameters
    ----------
    codes : numpy.ndarray of uint8, shape (rows, cols)
        MSPA codes from :func:`mspa`.
    cellsize_m : float
        Cell side in metres.

    Returns
    -------
    pandas.DataFrame
        Indexed by class (the ten of :data:`MSPA_CLASSES`); columns ``cells``, ``area_ha``
        (hectares), ``share_of_habitat`` (percent of the foreground; NaN for the three
        :data:`NON_HABITAT` classes) and
        ``share_of_area`` (percent of the cells with data).
    """
    import pandas as pd

    c = np.asarray(codes)
    cells = {k: int(np.isin(c, v).sum()) for k, v in MSPA_CLASSES.items()}
    t = pd.DataFrame({"cells": pd.Series(cells)})
    t["area_ha"] = t["cells"] * cellsize_m ** 2 / 1e4
    fg = t["cells"].drop(list(NON_HABITAT)).sum()
    t["share_of_habitat"] = 100.0 * t["cells"] / fg if fg else 0.0
    t.loc[list(NON_HABITAT), "share_of_habitat"] = np.nan
    total = t["cells"].sum()
    t["share_of_area"] = 100.0 * t["cells"] / total if total else 0.0
    t.index.name = "class"
    return t


def mspa_cores(codes, *, connectivity: int = 8) -> tuple[np.ndarray, int]:
    """Label the connected MSPA cores (codes 17 and 117).

    Parameters
    ----------
    codes : numpy.ndarray of uint8, shape (rows, cols)
        MSPA codes.
    connectivity : {8, 4}
        Cells joined diagonally (8) or not (4), as the MSPA run.

    Returns
    -------
    labels : numpy.ndarray of int32, shape (rows, cols)
        Core number ``1..n`` in raster order (row by row), 0 elsewhere.
    n : int
        The number of cores.
    """
    from scipy import ndimage

    structure = np.ones((3, 3), dtype=bool) if connectivity == 8 else None
    labels, n = ndimage.label(np.isin(codes, MSPA_CLASSES["core"]), structure=structure)
    return labels.astype(np.int32), int(n)


def _core_distances(labels: np.ndarray, kept: np.ndarray, polys, *, cellsize: float, distance: str,
                    resistance, neighbours: int) -> np.ndarray:
    """Pairwise core distances: edge to edge in metres, or least-cost in cost units."""
    import shapely

    if distance == "euclidean":
        g = np.asarray(polys, dtype=object)
        return shapely.distance(g[:, None], g[None, :])
    from .cost import cost_distances

    r = np.asarray(resistance, dtype=float)
    if r.shape != labels.shape:
        raise InputError("resistance and habitat rasters must be on one grid for cost distances")
    masks = [labels == k for k in kept]
    d = np.array([[cwd[m].min() for m in masks]
                  for cwd in cost_distances(r, masks, cellsize=cellsize, neighbours=neighbours)])
    return np.minimum(d, d.T)


def _dpc(area_km2: np.ndarray, d: np.ndarray, ids: list[str], *, landscape_km2: float,
         median_dispersal: float) -> np.ndarray:
    from ..connectivity import removal_importance
    from ..connectivity.graph import Graph

    n = len(ids)
    links = [(f"{ids[i]}~{ids[j]}", ids[i], ids[j], d[i, j])
             for i in range(n) for j in range(i + 1, n) if math.isfinite(d[i, j])]
    graph = Graph.from_links(dict(zip(ids, area_km2, strict=True)), links)
    res = removal_importance(graph, kind="pc", landscape_area=landscape_km2, median_dispersal_m=median_dispersal)
    return res.nodes["d"].reindex(ids).to_numpy(dtype=float)


def _polygons(labels: np.ndarray, kept: np.ndarray, transform) -> list:
    """One valid (Multi)Polygon per kept core, covering exactly its labelled cells.

    The cells are traced 4-connected whatever the labelling, then joined per label. A core of
    an 8-connected labelling whose cells touch only at a corner is then a MultiPolygon whose
    parts meet at that corner point (valid), one feature for the one core; traced 8-connected,
    it would be a ring that touches itself there (invalid, refused by the patches layer).
    """
    import shapely
    from rasterio import features

    parts: dict[int, list] = {int(k): [] for k in kept}
    mask = np.isin(labels, kept)
    for geom, value in features.shapes(labels, mask=mask, transform=transform, connectivity=4):
        parts[int(value)].append(shapely.geometry.shape(geom))
    out = []
    for k in kept:
        g = shapely.union_all(parts[int(k)])
        if not g.is_valid:  # a safety net: the union of 4-connected pieces is valid
            g = shapely.make_valid(g, method="structure")
        out.append(g)
    return out


def select_sources(codes, *, transform, cellsize: float, min_core_area_ha: float = 0.0,
                   n_sources: int | None = None, connectivity: int = 8, distance: str = "euclidean",
                   resistance=None, median_dispersal: float = 2000.0, crs: str = "EPSG:4547"):
    """Ecological sources: MSPA cores of at least ``min_core_area_ha``, ranked by dPC.

    Parameters
    ----------
    codes : numpy.ndarray of uint8, shape (rows, cols)
        MSPA codes from :func:`mspa`.
    transform : affine.Affine
        The raster's transform (metres in ``crs``).
    cellsize : float
        Cell side in metres.
    min_core_area_ha : float, default 0
        Smallest core kept, in hectares.
    n_sources : int, optional
        Keep the ``n_sources`` cores of highest dPC (default: every core of the minimum area).
    connectivity : {8, 4}
        How core cells join into one core (as the MSPA run).
    distance : {"euclidean", "cost"}
        Edge-to-edge distance in metres, or least-cost distance on ``resistance`` in cost units.
    resistance : array_like of float, shape (rows, cols), optional
        Resistance per metre (cost units), needed for ``distance="cost"``.
    median_dispersal : float, default 2000
        Distance at which the link probability is 0.5 (metres, or cost units with ``"cost"``).
    crs : str, default "EPSG:4547"
        The CRS of ``transform``.

    Returns
    -------
    geopandas.GeoDataFrame
        A ``patches`` layer indexed by ``id`` (``mspa-core-<n>``), with ``kind`` = ``core``,
        ``source`` = ``mspa:core/<n>`` (``n``: the core's number in raster order),
        ``confidence`` = ``indicative``, ``area_ha``, ``dpc`` (percent) and ``rank`` (1 = most
        important), sorted by rank. Each geometry covers exactly its core's cells: one feature
        per labelled core, a MultiPolygon whose parts meet at a point where cells of an
        8-connected core touch only at a corner.

    Raises
    ------
    InputError
        Bad options, or ``distance="cost"`` without a resistance on the same grid.

    References
    ----------
    Saura, S. & Rubio, L. (2010). A common currency for the different ways in which patches and
    links can contribute to habitat availability and connectivity in the landscape. Ecography
    33:523-537.
    """
    import geopandas as gpd

    _check_options(connectivity, 1)
    if distance not in ("euclidean", "cost") or (distance == "cost" and resistance is None):
        raise InputError("distance must be 'euclidean', or 'cost' with a resistance raster")
    if not (np.isfinite(min_core_area_ha) and min_core_area_ha >= 0):
        raise InputError(f"min_core_area_ha {min_core_area_ha!r} must be a finite area in hectares >= 0")
    labels, n = mspa_cores(codes, connectivity=connectivity)
    area_ha = np.bincount(labels.ravel(), minlength=n + 1)[1:] * cellsize ** 2 / 1e4
    kept = np.flatnonzero(area_ha >= min_core_area_ha) + 1
    ids = [f"mspa-core-{k}" for k in kept]
    polys = _polygons(labels, kept, transform)
    dpc = np.zeros(len(kept))
    if len(kept):
        d = _core_distances(labels, kept, polys, cellsize=cellsize, distance=distance,
                            resistance=resistance, neighbours=connectivity)
        landscape = float(np.isin(codes, MISSING, invert=True).sum()) * cellsize ** 2 / 1e6
        dpc = _dpc(area_ha[kept - 1] / 100.0, d, ids, landscape_km2=landscape, median_dispersal=median_dispersal)
    gdf = gpd.GeoDataFrame({
        "kind": "core", "quality": np.nan, "name_zh": None, "name_en": None,
        "source": [f"mspa:core/{k}" for k in kept], "confidence": "indicative",
        "area_ha": area_ha[kept - 1], "dpc": dpc,
    }, geometry=polys, index=_index(ids), crs=crs)
    gdf = gdf.sort_values(["dpc", "area_ha"], ascending=False, kind="stable")
    gdf["rank"] = np.arange(1, len(gdf) + 1)
    return gdf if n_sources is None else gdf.iloc[:int(n_sources)]


def _index(ids: list[str]):
    """The ``id`` index of a layer."""
    import pandas as pd

    return pd.Index(ids, name="id", dtype=object)
