"""The corridor model's outputs: GeoTIFFs (each with a QGIS ``.qml``), GeoJSON layers, CSV tables, a summary, PNG overlays."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..spreadsheet import neutralise_frame
from ._pinchsites import PINCHPOINT_MAPPER, WHOLE_RASTER
from .grid import Grid
from .model import CorridorModel

__all__ = ["write_corridor_outputs", "render_overlays", "raster_style_qml"]

_UNITS = {
    "resistance": "cost units per metre",
    "cost_distance": "cost units (resistance x metres), not metres",
    "corridors": "cost units above the least-cost distance (CWD_a + CWD_b - LCD_ab), not metres",
    "current": "amperes (cumulative current, 1 A per linked pair of sources)",
    "pinchpoints": "amperes (Pinchpoint Mapper: the largest of the links' currents, 1 A per link, each in "
                   "its corridor truncated at a cost distance)",
    "barriers": "cost units saved per metre restored (Barrier Mapper improvement score)",
}


#: How each GeoTIFF's ``.qml`` labels its colour stops (the unit of ``_UNITS``, short).
_STOP_LABELS = {
    "resistance": "{:.3g} per m",
    "cost_distance": "{:,.0f} cost units",
    "corridors": "{:,.0f} cost units above least cost",
    "current": "{:.3g} A",
    "pinchpoints": "{:.3g} A",
    "barriers": "{:,.0f} per m restored",
}


def _ramp(name: str, arr: np.ndarray, model: CorridorModel) -> tuple | None:
    """(colour map, norm, clip below) of a raster: the one ramp its PNG overlay and ``.qml`` share.

    ``clip below`` is the value under which the overlay leaves cells transparent (None: none).
    """
    from matplotlib import colormaps
    from matplotlib.colors import LogNorm, Normalize

    fin = arr[np.isfinite(arr)]
    if name == "resistance":
        if not fin.size:
            return None
        lo, hi = max(float(fin.min()), 1e-6), max(float(fin.max()), float(fin.min()) * 10)
        return colormaps["RdYlGn_r"], LogNorm(lo, hi), None
    if name == "cost_distance":
        return (colormaps["YlGnBu"], Normalize(0.0, float(fin.max()) or 1.0), None) if fin.size else None
    if name == "corridors":
        return (colormaps["viridis_r"], Normalize(0, model.width), None) if fin.size else None
    if name in ("current", "pinchpoints"):
        v = fin[fin > 0]
        if not v.size:
            return None
        lo, hi = float(np.quantile(v, 0.05)), float(np.quantile(v, 0.999))
        lo = max(lo, hi * 1e-4)
        return colormaps["inferno"], LogNorm(lo, max(hi, lo * 10), clip=True), lo
    if name == "barriers":
        if not fin.size or not fin.max() > 0:
            return None
        hi = float(fin.max())
        return colormaps["magma_r"], Normalize(0, hi), 0.05 * hi
    return None


def raster_style_qml(name: str, arr: np.ndarray, model: CorridorModel) -> str | None:
    """The QGIS style (``.qml``) of one of the model's GeoTIFFs: its overlay's colour ramp and unit.

    Singleband pseudocolour through the colour map of the atlas's PNG overlay (the same
    norm: logarithmic for resistance and current, linear otherwise), nine stops labelled
    in the raster's unit; cells the overlay leaves out (current under its 5 % quantile,
    barrier scores under 5 % of the highest) are not drawn, nor are no-data cells.

    Parameters
    ----------
    name : str
        ``resistance``, ``cost_distance``, ``corridors``, ``current`` or ``barriers``.
    arr : numpy.ndarray
        The raster's values as written (NaN for no data).
    model : CorridorModel
        The model (the corridor width sets the corridors' ramp).

    Returns
    -------
    str or None
        The QML document, or None for a raster with nothing to draw.
    """
    from matplotlib.colors import LogNorm

    from ..export.qml import raster_qml

    ramp = _ramp(name, np.asarray(arr, dtype=float), model)
    if ramp is None:
        return None
    cmap, norm, below = ramp
    lo = below if below is not None else float(norm.vmin)
    hi = float(norm.vmax)
    values = np.geomspace(lo, hi, 9) if isinstance(norm, LogNorm) else np.linspace(lo, hi, 9)
    stops = [(float(v), _hex(cmap(norm(v))), _STOP_LABELS[name].format(v)) for v in values]
    top = float(np.nanmax(arr)) if np.isfinite(arr).any() else hi
    if below is not None and top >= hi:  # clipped at the bottom only: the hottest cells keep the top colour
        # the .qml writes 9 significant digits, which may round the maximum down and let QGIS's clip
        # drop the hottest cell: the last stop sits a hair (1e-8, relative) above it
        last = top * (1 + 1e-8) if top > 0 else top + 1e-12
        if top > hi:
            stops.append((last, stops[-1][1], _STOP_LABELS[name].format(top)))
        else:
            stops[-1] = (last, *stops[-1][1:])
    return raster_qml(stops, clip=below is not None)


def _write_tif(path: Path, arr: np.ndarray, grid: Grid, *, name: str, tags: dict) -> Path:
    import rasterio

    from ..io import atomic_write

    with atomic_write(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
                           dtype="float32", crs=grid.crs, transform=grid.transform, nodata=np.nan,
                           compress="deflate") as dst:
            dst.write(np.asarray(arr, dtype="float32"), 1)
            dst.set_band_description(1, name)
            dst.update_tags(units=_UNITS[name], **{k: str(v) for k, v in tags.items()})
    return path


def _write_rasters(model: CorridorModel, out: Path) -> list[Path]:
    """Write the GeoTIFFs, tagged with their units, the resolution and the resistance table."""
    table_json = json.dumps(model.table.raw, default=str, ensure_ascii=False)
    common = {"resolution_m": model.grid.cellsize, "crs": model.grid.crs,
              "resistance_table": model.table.path, "resistance_values": table_json}
    if model.landcover:
        common["landcover"] = model.landcover
    g = model.grid
    written = [_write_tif(out / "resistance.tif", model.resistance, g, name="resistance", tags=common)]
    written.append(_write_tif(out / "cost_distance.tif", np.where(np.isfinite(model.cost_distance),
                              model.cost_distance, np.nan), g, name="cost_distance", tags=common))
    written.append(_write_tif(out / "corridors.tif", model.corridors, g, name="corridors",
                              tags={**common, "truncation_width_cost_units": model.width}))
    if model.current is not None:
        written.append(_write_tif(out / "current.tif", model.current, g, name="current", tags=common))
    if model.pinchpoints is not None:
        written.append(_write_tif(out / "pinchpoints.tif", model.pinchpoints, g, name="pinchpoints",
                                  tags={**common, "cwd_cutoff_cost_units": model.notes.get("pinchpoint_cutoff"),
                                        "squared_resistance": bool(model.notes.get("pinchpoint_squared_resistance"))}))
    if model.barriers is not None:
        written.append(_write_tif(out / "barriers.tif", model.barriers, g, name="barriers", tags=common))
    return written


def _write_sidecars(model: CorridorModel, tifs: list[Path]) -> list[Path]:
    """A ``.qml`` beside each GeoTIFF, which QGIS loads as the raster's default style."""
    import rasterio

    from ..io import write_text

    written = []
    for tif in tifs:
        with rasterio.open(tif) as src:
            arr = src.read(1)
        qml = raster_style_qml(tif.stem, arr, model)
        if qml is not None:
            written.append(write_text(tif.with_suffix(".qml"), qml))
    return written


def _write_tables(model: CorridorModel, out: Path) -> list[Path]:
    """Write the least-cost paths and pinch points (GeoJSON) and the CSV tables."""
    from ..io import write_geojson, write_text

    written = []
    if len(model.paths):
        written.append(write_geojson(model.paths, out / "least_cost_paths.geojson"))
    if len(model.pinch_points):
        written.append(write_geojson(model.pinch_points, out / "pinch_points.geojson"))
    written.append(write_text(out / "corridor_comparison.csv", neutralise_frame(model.comparison).to_csv(float_format="%.6g")))
    written.append(write_text(out / "least_cost_distance.csv", neutralise_frame(model.lcd).to_csv(float_format="%.6g")))
    if "cf_central" in model.sources:
        cores = model.sources[["cells", "area_m2", "cf_central"]]
        written.append(write_text(out / "core_centrality.csv", neutralise_frame(cores).to_csv(float_format="%.8g")))
    if model.effective_resistance is not None:
        written.append(write_text(out / "effective_resistance.csv",
                                  neutralise_frame(model.effective_resistance).to_csv(float_format="%.8g")))
    return written


def _pinch_method(model: CorridorModel) -> str:
    """Which rule made ``pinch_points.geojson`` (its ``method`` column), said in words."""
    if model.pinchpoints is not None:
        sq = ", squared resistances" if model.notes.get("pinchpoint_squared_resistance") else ""
        return (f"{PINCHPOINT_MAPPER}: polygons, per link the cells of its corridor truncated at "
                f"{model.notes.get('pinchpoint_cutoff'):g} cost units above the {model.notes.get('pinch_quantile', 0.9):g} "
                f"quantile of its Pinchpoint Mapper current{sq}")
    return (f"{WHOLE_RASTER}: points at the peaks of the clusters above the {model.notes.get('pinch_quantile', 0.9):g} "
            "quantile of the whole-raster current inside the corridors")


def _summary(model: CorridorModel, overlays: list[dict]) -> dict:
    return {
        "units": _UNITS,
        "grid": {"crs": model.grid.crs, "resolution_m": model.grid.cellsize, "width": model.grid.width,
                 "height": model.grid.height, "bounds": list(model.grid.bounds)},
        "resistance_table": model.table.path,
        "landcover": model.landcover,
        "resistance_factors": model.notes.get("factors"),
        "sources": len(model.sources),
        "links": int(len(model.paths)),
        "planned_links": int(model.paths["planned"].sum()) if len(model.paths) else 0,
        "links_the_plan_lacks": sorted(model.missing_links.index.tolist()) if len(model.paths) else [],
        "corridor_width_cost_units": model.width,
        "max_cost_for_new_links": model.notes.get("max_cost"),
        "pinch_points": int(len(model.pinch_points)),
        "pinch_points_method": _pinch_method(model),
        "circuit_mode": model.notes.get("mode", "pairwise"),
        "land_cover_without_data": model.notes.get("missing"),
        "mode_resistance": model.notes.get("mode_resistance"),
        "overlays": [{**o, "png": o["png"].name} for o in overlays],
    }


def write_corridor_outputs(model: CorridorModel, out_dir: str | os.PathLike) -> tuple[list[Path], list[dict]]:
    """Write the rasters (GeoTIFF, each with its QGIS style beside it as ``<name>.qml``), layers (GeoJSON), tables (CSV), summary and PNG overlays.

    Every file is written atomically (a temporary file in the same folder, then a rename).

    Parameters
    ----------
    model : CorridorModel
        From :func:`~ecomap.corridors.model_corridors`.
    out_dir : str or os.PathLike
        The folder (created if needed).

    Returns
    -------
    written : list of pathlib.Path
        The files written, ``summary.json`` last.
    overlays : list of dict
        The PNG overlays, as :func:`render_overlays` returns them.
    """
    from .._atomic import _write_error
    from ..io import write_json

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # read-only, no permission, a file in the way: exit 2 naming the folder
        raise _write_error(out, exc) from exc
    tifs = _write_rasters(model, out)
    written = tifs + _write_sidecars(model, tifs) + _write_tables(model, out)
    overlays = render_overlays(model, out)
    written += [o["png"] for o in overlays]
    written.append(write_json(out / "summary.json", _summary(model, overlays)))
    _remove_stale(out, written)
    return written, overlays


#: Every file :func:`write_corridor_outputs` may write; those a run does not write are removed.
_OUTPUT_NAMES = frozenset(
    [f"{r}.{ext}" for r in ("resistance", "cost_distance", "corridors", "current", "pinchpoints", "barriers")
     for ext in ("tif", "qml", "png")]
    + ["least_cost_paths.geojson", "pinch_points.geojson", "corridor_comparison.csv", "least_cost_distance.csv",
       "core_centrality.csv", "effective_resistance.csv", "summary.json"])


def _remove_stale(out: Path, written: list[Path]) -> None:
    """Remove the outputs of an earlier run that this one did not write (``--no-circuit`` after a full run).

    Otherwise an old ``current.tif`` of another grid would sit beside the new rasters,
    looking like this run's. Other files in the folder are the user's and are kept.
    """
    from .._atomic import _write_error

    keep = {p.name for p in written}
    for name in sorted(_OUTPUT_NAMES - keep):
        try:
            (out / name).unlink(missing_ok=True)
        except OSError as exc:
            raise _write_error(out / name, exc) from exc


def _to_mercator(arr: np.ndarray, grid: Grid) -> tuple[np.ndarray, list[list[float]]]:
    """Warp a raster to Web Mercator (so Leaflet can stretch it) and its WGS-84 bounds."""
    from pyproj import Transformer
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    dst_t, w, h = calculate_default_transform(grid.crs, "EPSG:3857", grid.width, grid.height, *grid.bounds)
    dst = np.full((h, w), np.nan)
    reproject(np.asarray(arr, dtype="float64"), dst, src_transform=grid.transform, src_crs=grid.crs,
              dst_transform=dst_t, dst_crs="EPSG:3857", src_nodata=np.nan, dst_nodata=np.nan,
              resampling=Resampling.nearest)
    west, north = dst_t.c, dst_t.f
    east, south = west + w * dst_t.a, north + h * dst_t.e
    tr = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
    lon0, lat0 = tr.transform(west, south)
    lon1, lat1 = tr.transform(east, north)
    return dst, [[lat0, lon0], [lat1, lon1]]


def _hex(rgba) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(int(round(c * 255)) for c in rgba[:3]))


def _render(path: Path, values: np.ndarray, grid: Grid, cmap, norm, alpha: float) -> list[list[float]]:
    import matplotlib.image as mpimg

    from ..io import atomic_write

    merc, bounds = _to_mercator(values, grid)
    rgba = cmap(norm(np.ma.masked_invalid(merc)))
    rgba[..., 3] = np.where(np.isfinite(merc), alpha, 0.0)
    with atomic_write(path) as tmp:
        mpimg.imsave(tmp, rgba, format="png")
    return bounds


def _resistance_overlay(model: CorridorModel, out: Path) -> dict | None:
    r = model.resistance
    ramp = _ramp("resistance", r, model)
    if ramp is None:
        return None
    cmap, norm, _ = ramp
    lo, hi = float(norm.vmin), float(norm.vmax)
    shown = np.where(np.isposinf(r), hi, r)
    bounds = _render(out / "resistance.png", shown, model.grid, cmap, norm, 0.75)
    stops = sorted({lo, *[v for v in (10.0, 100.0, 1000.0) if lo < v < hi], hi})
    legend = {f"{v:g} per m": _hex(cmap(norm(v))) for v in stops}
    return {"name": "Resistance (cost units per metre)", "png": out / "resistance.png",
            "bounds": bounds, "legend": legend}


def _corridor_overlay(model: CorridorModel, out: Path) -> dict | None:
    c = model.corridors
    ramp = _ramp("corridors", c, model)
    if ramp is None:
        return None
    cmap, norm, _ = ramp
    bounds = _render(out / "corridors.png", c, model.grid, cmap, norm, 0.7)
    legend = {f"{v:,.0f} cost units above least cost": _hex(cmap(norm(v)))
              for v in (0, model.width / 2, model.width)}
    return {"name": f"Least-cost corridors (width {model.width:,.0f} cost units, not metres)",
            "png": out / "corridors.png", "bounds": bounds, "legend": legend}


def _current_overlay(model: CorridorModel, out: Path) -> dict | None:
    cur = model.current
    if cur is None or not np.isfinite(cur).any() or not np.nanmax(cur) > 0:
        return None
    cmap, norm, lo = _ramp("current", cur, model)
    src = model.source_labels if model.source_labels is not None else np.full(cur.shape, -1)
    shown = np.where(np.isfinite(cur) & (cur >= lo) & (src < 0), cur, np.nan)  # sources: transparent
    bounds = _render(out / "current.png", shown, model.grid, cmap, norm, 0.8)
    legend = {f"{x:.3g} A": _hex(cmap(norm(x))) for x in np.geomspace(norm.vmin, norm.vmax, 4)}
    return {"name": "Current density (circuit theory)", "png": out / "current.png",
            "bounds": bounds, "legend": legend}


def _barrier_overlay(model: CorridorModel, out: Path) -> dict | None:
    b = model.barriers
    if b is None or not np.isfinite(b).any() or not np.nanmax(b) > 0:
        return None
    cmap, norm, _ = _ramp("barriers", b, model)
    hi = float(norm.vmax)
    bounds = _render(out / "barriers.png", np.where(b >= 0.05 * hi, b, np.nan), model.grid, cmap, norm, 0.8)
    legend = {f"{x:,.0f} per m restored": _hex(cmap(norm(x))) for x in (hi * 0.05, hi / 2, hi)}
    return {"name": "Barriers (improvement score)", "png": out / "barriers.png",
            "bounds": bounds, "legend": legend}


def render_overlays(model: CorridorModel, out_dir: str | os.PathLike) -> list[dict]:
    """Colour-mapped PNG overlays for web maps: resistance, corridors, current, barriers.

    The PNG is warped to Web Mercator so that Leaflet's image overlay places every pixel right;
    an overlay with nothing to show (no corridor, no current) is left out.

    Parameters
    ----------
    model : CorridorModel
        From :func:`~ecomap.corridors.model_corridors`.
    out_dir : str or os.PathLike
        An existing folder for the PNGs.

    Returns
    -------
    list of dict
        One per overlay, in that order: ``{"name", "png": pathlib.Path, "bounds": [[south,
        west], [north, east]] (WGS-84 degrees), "legend": {label: "#rrggbb"}}``.
    """
    out = Path(out_dir)
    steps = (_resistance_overlay, _corridor_overlay, _current_overlay, _barrier_overlay)
    return [o for o in (step(model, out) for step in steps) if o is not None]


def render_model_map(model: CorridorModel, path: str | os.PathLike, *, outline=None) -> Path | None:
    """A static map of the corridor model for the report: current, least-cost paths, pinch points.

    Parameters
    ----------
    model : CorridorModel
        The result of :func:`ecomap.corridors.model_corridors` (EPSG:4547 grid).
    path : str or os.PathLike
        The PNG to write (120 dpi, atomically).
    outline : shapely.Geometry, optional
        The district outline (EPSG:4547 metres), drawn as a line.

    Returns
    -------
    pathlib.Path or None
        ``path``, or None (nothing written) when the model has no current map.
    """
    if model.current is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import shapely

    from ..io import atomic_write

    cmap, norm, _ = _ramp("current", np.asarray(model.current, dtype=float), model)
    west, south, east, north = model.grid.bounds
    fonts = ["DejaVu Sans", "WenQuanYi Micro Hei"]  # Chinese glyphs fall back to the CJK font
    with matplotlib.rc_context({"font.family": fonts}):  # no data text here: mathtext stays on for the log ticks
        fig, ax = plt.subplots(figsize=(8, 6.5))
        img = ax.imshow(np.ma.masked_invalid(model.current), cmap=cmap, norm=norm,
                        extent=(west, east, south, north), interpolation="nearest")
        fig.colorbar(img, ax=ax, shrink=0.7, label="current (A, log scale)")
        if outline is not None and not shapely.is_empty(outline):
            for ring in shapely.get_parts(shapely.boundary(outline)):
                xy = shapely.get_coordinates(ring)
                ax.plot(xy[:, 0], xy[:, 1], color="#263238", lw=0.8)
        for geom in getattr(model.paths, "geometry", []):
            xy = shapely.get_coordinates(geom)
            ax.plot(xy[:, 0], xy[:, 1], color="#00e5ff", lw=1.0)
        pins = getattr(model.pinch_points, "geometry", None)
        if pins is not None and len(pins):
            xy = shapely.get_coordinates(pins.centroid.values)
            ax.scatter(xy[:, 0], xy[:, 1], s=10, facecolors="none", edgecolors="#76ff03", lw=0.8)
        ax.set_title("廊道模型 Corridor model: current, least-cost paths (cyan), pinch points (green)")
        ax.set_axis_off()
        ax.set_aspect("equal")
        try:
            with atomic_write(path) as tmp:
                fig.savefig(tmp, dpi=120, bbox_inches="tight")
        finally:
            plt.close(fig)
    return Path(path)
