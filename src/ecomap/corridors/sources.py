"""``ecomap sources``: land cover over the district -> MSPA -> sources, as files and a data folder.

The file-level run of :mod:`.mspa`: the land cover is read onto the district's grid, MSPA runs,
and the class raster, the class-area table and chart, and a data folder are written. The data
folder holds the input folder's layers with ``patches`` replaced by the sources, so that
``ecomap corridors --data``, ``connectivity``, ``map`` and ``build`` run on the sources as they
are. The drawn ``corridors`` are left out of it: their ``from_id`` and ``to_id`` name the drawn
patches, which the sources replace.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._errors import InputError
from .mspa import (
    MISSING,
    NON_HABITAT,
    WORLDCOVER_HABITAT,
    _check_both,
    habitat_from_landcover,
    mspa,
    mspa_class_table,
    select_sources,
)

__all__ = ["SourcesRun", "sources_from_landcover"]


@dataclass
class SourcesRun:
    """What :func:`sources_from_landcover` computed and wrote."""

    codes: np.ndarray
    classes: object  # pandas.DataFrame
    sources: object  # geopandas.GeoDataFrame
    written: list[Path] = field(default_factory=list)


def _write_codes(path: Path, codes: np.ndarray, grid, tags: dict) -> Path:
    import rasterio

    from ..io import atomic_write

    with atomic_write(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", height=grid.height, width=grid.width, count=1,
                           dtype="uint8", crs=grid.crs, transform=grid.transform, nodata=MISSING,
                           compress="deflate") as dst:
            dst.write(codes, 1)
            dst.set_band_description(1, "MSPA class (GuidosToolbox codes)")
            dst.update_tags(**{k: str(v) for k, v in tags.items()})
    return path


def _write_chart(path: Path, classes) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import atomic_write

    fg = classes.drop(list(NON_HABITAT))
    bg = classes.loc[list(NON_HABITAT)]
    fig, (ax, ax_bg) = plt.subplots(1, 2, figsize=(9, 3.2), width_ratios=(3, 2))
    ax.barh(fg.index[::-1], fg["share_of_habitat"][::-1], color="#2e7d32")
    ax.set_xlabel("share of habitat (%)")
    ax.set_title("MSPA habitat classes")
    ax_bg.barh(bg.index[::-1], bg["share_of_area"][::-1], color="#9e9e9e")
    ax_bg.set_xlabel("share of the area (%)")
    ax_bg.set_title("not habitat")
    fig.tight_layout()
    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path


def _data_folder(network, sources, out: Path) -> list[Path]:
    from ..io import write_geojson

    written = []
    for name, gdf in network.layers.items():
        if name in ("patches", "corridors") or not len(gdf):
            continue
        written.append(write_geojson(gdf, out / f"{name}.geojson"))
    cols = ["name_zh", "name_en", "source", "confidence", "kind", "quality", "area_ha", "dpc", "rank", "geometry"]
    written.append(write_geojson(sources[cols], out / "patches.geojson"))
    return written


def sources_from_landcover(
    network, landcover: str | os.PathLike, out_dir: str | os.PathLike, *, resolution: float = 30.0,
    foreground=WORLDCOVER_HABITAT, connectivity: int = 8, edge_width: int = 1, transition: bool = True,
    intext: bool = True, min_core_area_ha: float = 0.0, n_sources: int | None = None,
    median_dispersal: float = 2000.0,
) -> SourcesRun:
    """Land cover over the district -> MSPA -> sources by minimum core area and dPC, written out.

    Parameters
    ----------
    network : ecomap.network.Network
        Gives the district (the extent; cells outside it are no data) and the other layers.
    landcover : str or os.PathLike
        A land-cover GeoTIFF in any CRS (read onto the grid by nearest neighbour).
    out_dir : str or os.PathLike
        Folder for ``mspa.tif``, ``mspa_classes.csv``, ``mspa_classes.png``, ``data/`` and
        ``summary.json`` (the MSPA parameters, the choice of sources and the class shares).
    resolution : float, default 30
        Cell side in metres (the edge width in metres is ``edge_width`` times this).
    foreground : sequence of int, default WorldCover's tree, shrub, grass, wetland, mangrove
        The land-cover codes that are habitat.
    connectivity, edge_width, transition, intext
        MSPA's parameters (:func:`~ecomap.corridors.mspa`).
    min_core_area_ha : float, default 0
        Smallest core kept as a source, hectares.
    n_sources : int, optional
        Keep the ``n_sources`` of highest dPC.
    median_dispersal : float, default 2000
        Metres at which the link probability of dPC is 0.5 (edge-to-edge distances).

    Returns
    -------
    SourcesRun
        The MSPA codes, the class table, the sources and the files written.

    Raises
    ------
    InputError
        An unreadable land cover, one that misses the district, one with no habitat or no
        non-habitat cell in the district, or bad MSPA options.
    """
    from rasterio.features import geometry_mask

    from ..io import atomic_write, write_json
    from .grid import make_grid
    from .resistance import _read_landcover

    if not (np.isfinite(min_core_area_ha) and min_core_area_ha >= 0):
        raise InputError(f"min_core_area_ha {min_core_area_ha!r} must be a finite area in hectares >= 0")
    out = Path(out_dir)
    grid = make_grid(network.district, resolution)
    lc = _read_landcover(Path(landcover), grid)
    outside = geometry_mask([network.district], out_shape=grid.shape, transform=grid.transform)
    lc[outside] = np.nan
    habitat = habitat_from_landcover(lc, foreground)
    fg = ",".join(map(str, foreground))
    _check_both(habitat, str(landcover), f"a habitat code (--foreground {fg})", "another code")
    codes = mspa(habitat, connectivity=connectivity, edge_width=edge_width,
                 transition=transition, intext=intext)
    classes = mspa_class_table(codes, grid.cellsize)
    sources = select_sources(codes, transform=grid.transform, cellsize=grid.cellsize,
                             min_core_area_ha=min_core_area_ha, n_sources=n_sources, connectivity=connectivity,
                             median_dispersal=median_dispersal, crs=grid.crs)
    tags = {"connectivity": connectivity, "edge_width_cells": edge_width, "edge_width_m": edge_width * resolution,
            "transition": transition, "intext": intext, "landcover": Path(landcover).name,
            "foreground": ",".join(map(str, foreground)), "engine": "pyguidos (JRC miallib)"}
    run = SourcesRun(codes, classes, sources)
    run.written.append(_write_codes(out / "mspa.tif", codes, grid, tags))
    with atomic_write(out / "mspa_classes.csv") as tmp:
        classes.round(4).to_csv(tmp)
    run.written += [out / "mspa_classes.csv", _write_chart(out / "mspa_classes.png", classes)]
    run.written += _data_folder(network, sources, out / "data")
    summary = {"mspa": {"connectivity": connectivity, "edge_width_cells": int(edge_width),
                        "edge_width_m": edge_width * resolution, "transition": bool(transition),
                        "intext": bool(intext), "engine": tags["engine"]},
               "landcover": str(landcover), "foreground": [int(c) for c in foreground], "resolution_m": resolution,
               "min_core_area_ha": float(min_core_area_ha), "n_sources": n_sources,
               "median_dispersal_m": float(median_dispersal), "sources": len(sources),
               "class_share_of_habitat_pct": {k: round(float(v), 4)
                                              for k, v in classes["share_of_habitat"].dropna().items()},
               "class_share_of_area_pct": {k: round(float(v), 4) for k, v in classes["share_of_area"].items()}}
    run.written.append(write_json(out / "summary.json", summary))
    return run
