"""Resistance from several factors on the sample land cover: ``docs/esp_factors.png``.

1. The sample land cover of ``scripts/esp_chain.py`` (WorldCover-coded, from the bundled layers)
   and a generated DEM (hills that rise towards the ridge layer's polygons and on inside them,
   from about 30 m to 580 m; not real terrain: use a real DEM, e.g. Copernicus GLO-30, for real work).
2. The corridor model on the bundled patches twice: the land cover alone, and the land cover
   weighted with slope and distance to roads (``--dem``, ``--roads network``) by the shipped
   table's ``[factors]``.
3. Six panels: the land-cover grade, the DEM, the slope grade, the road-distance grade, the
   weighted surface, and the least-cost paths of both runs; prints the figures the docs quote.

Run from the repository root::

    .venv/bin/python scripts/esp_factors.py [--out outputs/esp-factors] [--resolution 60]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import rasterio
import shapely
from rasterio.transform import from_origin

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ecomap.build import _worldcover_reclass  # noqa: E402
from ecomap.corridors import load_resistance_table, model_corridors, resistance_from_landcover  # noqa: E402
from ecomap.corridors.factors import _read_slope, _road_lines, grade, road_distance  # noqa: E402
from ecomap.network import load_network  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from esp_chain import sample_landcover  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def sample_dem(path: Path, cell: float = 60.0, seed: int = 3) -> Path:
    """Write a generated DEM (EPSG:4547): rising towards the ridge polygons and on inside them, plus ripples.

    Parameters
    ----------
    path : pathlib.Path
        The GeoTIFF to write.
    cell : float, default 60
        Cell side in metres.
    seed : int, default 3
        Seed of the ripples.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    net = load_network()
    x0, y0, x1, y1 = net.district.bounds
    w, h = int((x1 - x0) // cell) + 7, int((y1 - y0) // cell) + 7
    transform = from_origin(x0 - 3 * cell, y1 + 3 * cell, cell, cell)
    rows, cols = np.mgrid[:h, :w]
    xs, ys = rasterio.transform.xy(transform, rows.ravel(), cols.ravel())
    ridge = shapely.union_all(net.ridge.geometry.values)
    pts = shapely.points(xs, ys)
    d = shapely.distance(pts, ridge).reshape(h, w)  # 0 inside the ridge
    d_in = np.where(d == 0, shapely.distance(pts, ridge.boundary).reshape(h, w), 0.0)  # depth inside it
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    ripple = ndimage.zoom(rng.normal(0, 1, (h // 25 + 3, w // 25 + 3)), 25, order=3)[:h, :w]
    z = 30 + 300 * np.exp(-d / 1200.0) + 250 * (1 - np.exp(-d_in / 600.0)) + 25 * ripple
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype="float32", crs="EPSG:4547",
                       transform=transform, compress="deflate") as dst:
        dst.write(z.astype("float32"), 1)
    return path


def main() -> None:
    """Generate the inputs, run the model with and without factors, draw ``docs/esp_factors.png``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "outputs" / "esp-factors")
    ap.add_argument("--resolution", type=float, default=60.0)
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "esp_factors.png")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    lc = sample_landcover(args.out / "landcover.tif", 30.0)
    dem = sample_dem(args.out / "dem.tif", 30.0)
    net = load_network()
    kw = {"resolution": args.resolution, "landcover": lc, "reclass": _worldcover_reclass(), "circuit": False}
    plain = model_corridors(net, **kw)
    mixed = model_corridors(net, dem=dem, roads="network", **kw)
    table = load_resistance_table()
    grid = mixed.grid
    inside = grid.mask([net.district])
    base = np.where(inside, resistance_from_landcover(lc, _worldcover_reclass(), grid), np.nan)
    slope = np.where(inside, _read_slope(dem, grid), np.nan)
    lines, _ = _road_lines(net, "network", table.factors["roads"], grid.crs)
    dist = np.where(inside, road_distance(lines, grid, margin_m=1000), np.nan)
    with rasterio.open(dem) as src:
        z = src.read(1).astype(float)
        b = src.bounds
    ext = grid.bounds[0], grid.bounds[2], grid.bounds[1], grid.bounds[3]
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.6))
    panels = [
        (base, "1  land-cover grade (WorldCover table, 1-100)", "YlOrBr", "grade"),
        (None, "2  DEM (generated hills, m)", "gist_earth", "m"),
        (grade(slope, **table.factors["slope"]), "3  slope grade (Horn slope, classes 8/15/25/35 deg)", "YlOrBr",
         "grade"),
        (grade(dist, table.factors["roads"]["breaks"], table.factors["roads"]["grades"]),
         "4  road-distance grade (expressways, arterials)", "YlOrBr", "grade"),
        (np.log10(mixed.resistance), "5  " + mixed.notes["factors"]["formula"].replace(", then", ",\nthen"),
         "magma_r", "log10 resistance"),
    ]
    for ax, (arr, title, cmap, label) in zip(axes.flat, panels, strict=False):
        if arr is None:
            im = ax.imshow(z, cmap=cmap, extent=(b.left, b.right, b.bottom, b.top))
        else:
            im = ax.imshow(arr, cmap=cmap, extent=ext, interpolation="nearest")
        fig.colorbar(im, ax=ax, shrink=0.6, label=label)
        ax.set_title(title, fontsize=9)
    ax = axes[1, 2]
    ax.imshow(np.log10(plain.resistance), cmap="Greys", extent=ext, alpha=0.5)
    plain.paths.plot(ax=ax, color="tab:blue", linewidth=2.2, label="land cover only")
    mixed.paths.plot(ax=ax, color="tab:red", linewidth=1.0, label="with slope and roads")
    net.patches.boundary.plot(ax=ax, color="k", linewidth=0.4)
    gpd.GeoSeries(list(lines), crs=grid.crs).plot(ax=ax, color="tab:orange", linewidth=0.8)
    ax.legend(loc="lower left", fontsize=7)
    ax.set_title("6  least-cost paths; roads (orange)", fontsize=9)
    district = gpd.GeoSeries([net.district], crs=grid.crs)
    for ax in axes.flat:
        district.boundary.plot(ax=ax, color="0.3", linewidth=0.6)
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
    fig.suptitle("Pingshan: resistance from land cover, slope and distance to roads (sample inputs)", fontsize=11)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    plt.close(fig)
    ok = np.isfinite(slope)
    same = plain.paths.index.intersection(mixed.paths.index)
    print(json.dumps({
        "grid": [grid.width, grid.height, grid.cellsize],
        "slope_deg_median_max": [float(np.median(slope[ok])), float(slope[ok].max())],
        "road_distance_m_median": float(np.nanmedian(dist)),
        "factors": mixed.notes["factors"]["formula"],
        "links_plain_mixed": [len(plain.paths), len(mixed.paths)],
        "cwd_ratio_mixed_over_plain_median": float(np.median(
            mixed.paths.loc[same, "cwd"] / plain.paths.loc[same, "cwd"])) if len(same) else None,
    }, indent=1))


if __name__ == "__main__":
    main()
