"""The ecological-security-pattern chain on a generated land cover: ``docs/esp_chain.png``.

1. Writes a sample land cover, WorldCover-coded, at 30 m over Pingshan, rasterised from the
   bundled layers (ridge and forest patches tree cover 10, park patches grassland 30, the belt
   and the other patches shrub 20, reservoirs water 80, a 60 m band along the river herbaceous
   wetland 90, everything else built-up 50 with seeded 300 m blocks of cropland 40). It is a picture of the drawn
   layers, not a land-cover product: use ESA WorldCover for real work.
2. Runs ``ecomap build --landcover`` on it (sources -> resistance -> corridors -> pinch points
   -> barriers -> report) into ``outputs/esp-chain/``.
3. Draws six panels from the files it wrote and prints the figures ``docs/esp-chain.md`` quotes.

Run from the repository root (needs the ``mspa`` extra)::

    .venv/bin/python scripts/esp_chain.py [--out outputs/esp-chain] [--resolution 30]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import rasterio
from rasterio.features import rasterize
from rasterio.transform import from_origin

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402

from ecomap.build import build  # noqa: E402
from ecomap.network import load_network  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORLDCOVER = {10: ("tree", "#006400"), 20: ("shrub", "#ffbb22"), 30: ("grass", "#ffff4c"),
              40: ("crop", "#f096ff"), 50: ("built-up", "#fa0000"), 80: ("water", "#0064c8"),
              90: ("wetland", "#0096a0")}
MSPA = {17: ("core", "#006400"), 9: ("islet", "#a0522d"), 5: ("perforation", "#1e90ff"),
        3: ("edge", "#000000"), 65: ("loop", "#ffd700"), 33: ("bridge", "#ff0000"),
        1: ("branch", "#ff8c00"), 0: ("background", "#eeeeee")}


def sample_landcover(path: Path, cell: float = 30.0, seed: int = 15) -> Path:
    """Rasterise the bundled layers into a WorldCover-coded GeoTIFF (EPSG:4547) at ``cell`` metres.

    Parameters
    ----------
    path : pathlib.Path
        The GeoTIFF to write.
    cell : float, default 30
        Cell side in metres.
    seed : int, default 15
        Seed of the cropland and grassland clumps.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    net = load_network()
    x0, y0, x1, y1 = net.district.bounds
    w, h = int((x1 - x0) // cell) + 3, int((y1 - y0) // cell) + 3
    transform = from_origin(x0 - cell, y1 + cell, cell, cell)
    rng = np.random.default_rng(seed)
    noise = rng.random((h // 10 + 1, w // 10 + 1)).repeat(10, 0).repeat(10, 1)[:h, :w]
    lc = np.where(noise < 0.15, 40, 50).astype(np.uint8)
    drawn = net.patches
    layers = [(net.belt.geometry, 20), (drawn[drawn["kind"] == "park"].geometry, 30),
              (drawn[~drawn["kind"].isin(["park", "forest"])].geometry, 20),
              (drawn[drawn["kind"] == "forest"].geometry, 10), (net.ridge.geometry, 10),
              (net.river.geometry.buffer(30), 90), (net.reservoirs.geometry, 80)]
    for geoms, code in layers:  # later layers paint over earlier ones
        shapes = [(g, code) for g in geoms if g is not None and not g.is_empty]
        if shapes:
            rasterize(shapes, out=lc, transform=transform)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", height=h, width=w, count=1, dtype="uint8",
                       crs="EPSG:4547", transform=transform, compress="deflate") as dst:
        dst.write(lc, 1)
    return path


def _classes(ax, arr, table, title, extent):
    codes = sorted(table)
    cmap = ListedColormap([table[c][1] for c in codes])
    norm = BoundaryNorm([c - 0.5 for c in codes] + [codes[-1] + 0.5], len(codes))
    shown = np.where(np.isin(arr, codes), arr, np.nan)
    ax.imshow(shown, cmap=cmap, norm=norm, extent=extent, interpolation="nearest")
    present = [c for c in codes if (arr == c).any()]
    handles = [plt.Rectangle((0, 0), 1, 1, color=table[c][1]) for c in present]
    ax.legend(handles, [table[c][0] for c in present], loc="lower left", fontsize=6, framealpha=0.8)
    ax.set_title(title, fontsize=9)


def _read(path):
    with rasterio.open(path) as src:
        a = src.read(1, masked=True).astype(float).filled(np.nan)
        b = src.bounds
    return a, (b.left, b.right, b.bottom, b.top)


def draw(out: Path, landcover: Path, png: Path) -> dict:
    """Draw the six panels of the chain from the files ``build`` wrote; return the figures quoted.

    Parameters
    ----------
    out : pathlib.Path
        The build's output folder.
    landcover : pathlib.Path
        The land cover it ran on.
    png : pathlib.Path
        The picture to write.

    Returns
    -------
    dict
        Sources, links, pinch points and MSPA shares, for the docs.
    """
    net = load_network(out / "sources" / "data")
    district = gpd.GeoSeries([net.district], crs=net.patches.crs)
    paths = gpd.read_file(out / "corridors" / "least_cost_paths.geojson").to_crs(net.patches.crs)
    pinch = gpd.read_file(out / "corridors" / "pinch_points.geojson").to_crs(net.patches.crs)
    fig, axes = plt.subplots(2, 3, figsize=(13, 8.6))
    lc, ext = _read(landcover)
    _classes(axes[0, 0], lc, WORLDCOVER, "1  land cover (sample, WorldCover codes)", ext)
    codes, ext = _read(out / "sources" / "mspa.tif")
    codes = np.where(codes == 220, 0, codes)  # background enclosed by habitat
    codes = np.where((codes >= 100) & (codes < 129), codes - 100, codes)  # intext: inside a perforation
    codes = np.where(np.isin(codes, (35, 37, 67, 69)), 3, codes)  # bridges and loops across an edge
    _classes(axes[0, 1], codes, MSPA, "2  MSPA classes (pyguidos)", ext)
    ax = axes[0, 2]
    net.patches.plot(ax=ax, column="dpc", cmap="viridis", legend=True, legend_kwds={"shrink": 0.6, "label": "dPC (%)"})
    for _, row in net.patches.iterrows():
        p = row.geometry.representative_point()
        ax.annotate(str(int(row["rank"])), (p.x, p.y), fontsize=7, ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_title("3  sources: MSPA cores ranked by dPC", fontsize=9)
    res, ext = _read(out / "corridors" / "resistance.tif")
    im = axes[1, 0].imshow(np.log10(res), cmap="magma_r", extent=ext)
    fig.colorbar(im, ax=axes[1, 0], shrink=0.6, label="log10 resistance")
    axes[1, 0].set_title("4  resistance (reclass table + barriers)", fontsize=9)
    cur, ext = _read(out / "corridors" / "current.tif")
    im = axes[1, 1].imshow(np.log10(np.where(cur > 0, cur, np.nan)), cmap="inferno", extent=ext)
    fig.colorbar(im, ax=axes[1, 1], shrink=0.6, label="log10 current (A)")
    paths.plot(ax=axes[1, 1], color="cyan", linewidth=0.7)
    pinch.plot(ax=axes[1, 1], facecolor="none", edgecolor="lime", linewidth=0.8)
    axes[1, 1].set_title("5  current, least-cost paths (cyan), pinch points (green)", fontsize=9)
    bar, ext = _read(out / "corridors" / "barriers.tif")
    im = axes[1, 2].imshow(np.where(bar > 0, bar, np.nan), cmap="YlOrRd", extent=ext)
    fig.colorbar(im, ax=axes[1, 2], shrink=0.6, label="improvement score")
    axes[1, 2].set_title("6  barriers: restoration improvement", fontsize=9)
    for ax in axes.flat:
        district.boundary.plot(ax=ax, color="0.3", linewidth=0.6)
        if ax is axes[1, 2]:
            net.patches.boundary.plot(ax=ax, color="k", linewidth=0.3)
        ax.set_xlim(ext[0], ext[1])
        ax.set_ylim(ext[2], ext[3])
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
    fig.suptitle("Pingshan: sources → resistance → corridors → pinch points → barriers", fontsize=11)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    report = json.loads((out / "report" / "connectivity.json").read_text())
    return {"sources": len(net.patches), "links": len(paths), "pinch_points": len(pinch),
            "pc": report["pc"], "ec_pc_km2": report["ec_pc"]}


def main() -> None:
    """Generate the land cover, run the chain, draw ``docs/esp_chain.png``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "outputs" / "esp-chain")
    ap.add_argument("--resolution", type=float, default=30.0)
    ap.add_argument("--min-core-ha", type=float, default=10.0)
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "esp_chain.png")
    args = ap.parse_args()
    lc = sample_landcover(args.out.parent / "esp-chain-landcover.tif", args.resolution)
    build(None, args.out, options={"landcover": lc, "corridors_resolution": args.resolution,
                                   "min_core_area_ha": args.min_core_ha})
    figures = draw(args.out, lc, args.png)
    print((args.out / "sources" / "mspa_classes.csv").read_text())
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
