"""Resistance surfaces: from the network's layers and a resistance table, or from land cover.

A resistance surface holds the cost of moving one metre through each cell (cost units per
metre); NaN is outside the study area, ``inf`` impassable.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._errors import InputError
from .grid import Grid, _extent_geometry, make_grid
from .tables import ResistanceTable, load_reclass_table, load_resistance_table

__all__ = ["resistance_surface", "resistance_from_landcover"]


def _paint(r: np.ndarray, painted: np.ndarray) -> None:
    ok = np.isfinite(painted) | np.isposinf(painted)
    ok &= ~np.isnan(painted)
    r[ok] = painted[ok]


def _paint_layer(r: np.ndarray, grid: Grid, table: ResistanceTable, gdf, section: str,
                 column: str | None, geoms=None, *, all_touched: bool = False) -> None:
    """Paint a layer's features (or ``geoms`` in their place) with their class's resistance."""
    if not len(gdf):
        return
    vals = [table.value(section, None if column is None else v)
            for v in (gdf[column].astype(str) if column else [None] * len(gdf))]
    gs = gdf.geometry.values if geoms is None else geoms
    _paint(r, grid.burn(zip(gs, vals, strict=True), all_touched=all_touched))


def _barrier_values(bars, table: ResistanceTable) -> np.ndarray:
    """Each barrier's resistance: ``r_kind * (1 - permeability) * structure share`` (0 = open)."""
    kinds = bars["kind"].astype(str).to_numpy()
    perm = bars["permeability"].fillna(0.0).to_numpy(dtype=float)
    struct = bars["structure"].where(bars["structure"].notna(), "surface").astype(str).to_numpy()
    share = np.array([table.structure.get(s, 1.0) for s in struct])
    base = np.array([table.value("barriers", k) for k in kinds])
    open_ = (share <= 0) | (perm >= 1)  # a tunnel, or a fully permeable barrier
    with np.errstate(invalid="ignore"):
        return np.where(open_, 0.0, base * np.where(open_, 1.0, share * (1.0 - perm)))


def _burn_barriers(r: np.ndarray, network, grid: Grid, table: ResistanceTable, rule: str = "max") -> None:
    """Barriers raise cells to max(r, r_kind * (1 - p) * structure) (``rule="add"``: r + that); bridge sites lower them."""
    bars = network["barriers"]
    if len(bars):
        kinds = bars["kind"].astype(str).to_numpy()
        val = _barrier_values(bars, table)
        width = np.array([table.widths["barrier_width_m"].get(k, 20.0) for k in kinds])
        geoms = bars.geometry.buffer(np.maximum(width, grid.cellsize * 0.5) / 2.0, cap_style="flat").values
        order = np.argsort(val)
        shapes = [(geoms[i], val[i]) for i in order if val[i] > 0]
        burnt = grid.burn(shapes, all_touched=True)
        hit = ~np.isnan(burnt)
        r[hit] = r[hit] + burnt[hit] if rule == "add" else np.maximum(r[hit], burnt[hit])
    _burn_bridge_sites(r, network, grid, table)


def _burn_bridge_sites(r: np.ndarray, network, grid: Grid, table: ResistanceTable) -> None:
    """Escape-bridge sites of the table's statuses lower a disc to the table's resistance."""
    sites = network["bridges"]
    bs = table.bridge_sites
    if len(sites) and bs["radius_m"] > 0:
        use = sites[sites["status"].astype(str).isin(bs["statuses"])]
        if len(use):
            radius = max(bs["radius_m"], grid.cellsize / 2.0)
            m = grid.mask(use.geometry.buffer(radius).values, all_touched=True)
            r[m] = np.minimum(r[m], bs["resistance"])


def resistance_surface(
    network,
    *,
    table: ResistanceTable | str | os.PathLike | None = None,
    resolution: float = 30.0,
    extent: str = "district",
    grid: Grid | None = None,
    barriers: bool = True,
) -> tuple[np.ndarray, Grid]:
    """Paint the resistance surface (cost units per metre) of a network's layers, by a table.

    Painted in order, later layers covering earlier ones: matrix, reservoirs, river (a strip of
    the table's width), belt, drawn corridors' footprints (by status; the footprint is
    :func:`ecomap.network.corridor_footprints`), ridge (by kind), patches; then barriers raise
    their strip to ``max(r, r_kind * (1 - permeability) * structure share)`` (tunnel sections
    share 0: no barrier) and built escape-bridge sites lower a disc to the table's value.
    Cells outside the extent are NaN; impassable classes are ``inf``.

    Parameters
    ----------
    network : ecomap.network.Network
        The layers, in EPSG:4547.
    table : ResistanceTable or path, optional
        The resistance table; default: the shipped one.
    resolution : float, default 30.0
        Cell side in metres (ignored when ``grid`` is given).
    extent : {'district', 'city'}
        The district boundary, or the districts layer and the boundary.
    grid : Grid, optional
        The grid to paint on; default :func:`make_grid` over the extent.
    barriers : bool, default True
        Burn the barriers and bridge sites; False leaves them to the caller (the resistance
        factors put them on the weighted sum).

    Returns
    -------
    surface : (rows, cols) numpy.ndarray of float
        Cost units per metre; NaN outside the extent, ``inf`` impassable.
    grid : Grid
        Its grid (EPSG:4547).

    Raises
    ------
    InputError
        If the table is not valid, the extent is unknown or empty, a class has no value, or a
        corridor has no usable ``width_m``.

    Warns
    -----
    EcomapWarning
        If ``extent='city'`` falls back to the district boundary (no districts layer).

    References
    ----------
    Yu, K. (1996). Security patterns and surface model in landscape ecological planning.
    *Landscape and Urban Planning* 36:1-17 (the minimum cumulative resistance model).
    """
    from ..network import corridor_footprints  # geopandas: imported when used

    table = table if isinstance(table, ResistanceTable) else load_resistance_table(table)
    ext = _extent_geometry(network, extent)
    grid = grid or make_grid(ext, resolution)
    r = np.full(grid.shape, table.value("matrix", "default"))
    _paint_layer(r, grid, table, network["reservoirs"], "reservoirs", None)
    riv = network["river"]
    if len(riv):
        w = np.array([table.widths["river_width_m"].get(str(k), 15.0) for k in riv["rank"]])
        _paint_layer(r, grid, table, riv, "river", "rank", riv.geometry.buffer(np.maximum(w, 1.0) / 2.0).values,
                     all_touched=True)
    _paint_layer(r, grid, table, network["belt"], "belt", None)
    cor = network["corridors"]
    if len(cor):
        _paint_layer(r, grid, table, cor, "corridors", "status", corridor_footprints(cor).values)
    _paint_layer(r, grid, table, network["ridge"], "ridge", "kind")
    _paint_layer(r, grid, table, network["patches"], "patches", "kind")
    if barriers:
        _burn_barriers(r, network, grid, table)
    inside = grid.mask([ext])
    r[~inside] = np.nan
    return r, grid


def _read_onto_grid(p: Path, grid: Grid, *, amounts: bool = False, invert: bool = False,
                    bilinear: bool = False) -> np.ndarray:
    """Read a raster's first band onto ``grid``; NaN = nodata.

    Nearest neighbour, or with ``amounts`` the overlap-weighted sum of the raster's cells over
    each grid cell (amperes and conductances keep their total whatever the two cell sizes);
    ``invert`` takes 1/x of each raster cell first (resistances to conductances, 0 -> inf);
    ``bilinear`` interpolates (elevations).
    """
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.warp import Resampling, reproject, transform_bounds

    try:
        src = rasterio.open(p)
    except RasterioIOError as exc:
        raise InputError(f"{p}: not a readable raster: {str(exc).splitlines()[0]}") from None
    with src:
        if src.crs is None:
            raise InputError(f"{p}: has no CRS; give it one (e.g. gdal_edit.py -a_srs EPSG:4326)")
        gb = transform_bounds(grid.crs, src.crs, *grid.bounds, densify_pts=21)
        sb = src.bounds
        if gb[0] >= sb.right or gb[2] <= sb.left or gb[1] >= sb.top or gb[3] <= sb.bottom:
            raise InputError(
                f"{p}: does not overlap the study area (raster bounds {sb.left:.4f}, {sb.bottom:.4f}, "
                f"{sb.right:.4f}, {sb.top:.4f} in {src.crs.to_string()})"
            )
        band = rasterio.band(src, 1)
        if invert:
            arr = src.read(1).astype(float)
            arr[arr == src.nodata] = np.nan
            with np.errstate(divide="ignore"):
                band = 1.0 / arr
        dst = np.full(grid.shape, np.nan)
        reproject(
            source=band, destination=dst, src_nodata=np.nan if invert else src.nodata,
            src_transform=src.transform, src_crs=src.crs,
            dst_transform=grid.transform, dst_crs=grid.crs, dst_nodata=np.nan,
            resampling=Resampling.sum if amounts else Resampling.bilinear if bilinear else Resampling.nearest,
        )
    return dst


def _read_landcover(p: Path, grid: Grid) -> np.ndarray:
    """Read the land-cover raster's first band onto ``grid`` (nearest neighbour); NaN = nodata."""
    return _read_onto_grid(p, grid)


def _reclassify(p: Path, codes_raster: np.ndarray, reclass: dict[int, float], table_name: str) -> np.ndarray:
    """Land-cover codes to resistance by the table; every code present must be listed."""
    valid = np.isfinite(codes_raster)
    if not valid.any():
        raise InputError(f"{p}: no valid land-cover cell over the study area (all nodata or NaN)")
    codes = np.unique(codes_raster[valid])
    missing = [c for c in codes if float(c).is_integer() is False or int(c) not in reclass]
    if missing:
        shown = ", ".join(f"{c:g}" for c in missing[:10])
        raise InputError(f"{p}: land-cover class {shown} has no resistance in {table_name}")
    lut_codes = np.array(sorted(reclass))
    lut_vals = np.array([reclass[c] for c in lut_codes])
    out = np.full(codes_raster.shape, np.nan)
    out[valid] = lut_vals[np.searchsorted(lut_codes, codes_raster[valid].astype(np.int64))]
    return out


def resistance_from_landcover(
    path: str | os.PathLike,
    reclass: dict[int, float] | str | os.PathLike,
    grid: Grid,
    *,
    reclass_name: str | None = None,
) -> np.ndarray:
    """Resistance from a land-cover GeoTIFF and a reclassification table, on ``grid``.

    The raster is reprojected (nearest neighbour) to the grid's CRS and cells; nodata and NaN
    stay NaN.

    Parameters
    ----------
    path : str or os.PathLike
        A land-cover raster with a CRS (e.g. ESA WorldCover, EPSG:4326).
    reclass : dict of int to float, or path
        Resistance per metre by land-cover code, or a TOML table (:func:`load_reclass_table`).
    grid : Grid
        The grid to resample onto.
    reclass_name : str, optional
        How messages name the table (default: its path).

    Returns
    -------
    (rows, cols) numpy.ndarray of float
        Cost units per metre; NaN where the land cover has no data.

    Raises
    ------
    InputError
        If the file is not a readable raster, has no CRS, does not overlap the grid, holds no
        valid cell over it, or holds a class the table does not list.
    """
    p = Path(path)
    table_name = reclass_name or (str(reclass) if not isinstance(reclass, dict) else "the reclass table")
    if not isinstance(reclass, dict):
        reclass = load_reclass_table(reclass)
    return _reclassify(p, _read_landcover(p, grid), reclass, table_name)
