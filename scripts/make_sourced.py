"""Derive the subdistricts and the coastal belt from the real source files in ``data/sources/``.

* ``data/geo/subdistricts.geojson``: Pingshan's six subdistricts (街道) from OpenStreetMap's
  boundary relations (``osm_subdistricts_shenzhen_gcj02.geojson``). The file is in GCJ-02;
  it is converted to WGS-84 with ecomap's own :func:`ecomap.crs.from_gcj02`. ODbL 1.0,
  © OpenStreetMap contributors.
* ``data/geo/belt.geojson``: the coastal blue belt along GSHHG's full-resolution shoreline
  (``gshhg_coast_full_shenzhen_wgs84.geojson``, GSHHG 2.3.7, LGPL-3.0-or-later): the
  shoreline pieces within :data:`COAST_NEAR_M` of Shenzhen's outline (the AMap outline of
  the city reaches into the sea, so Shenzhen's shore lies inside it or just outside),
  buffered :data:`BELT_HALF_WIDTH_M` to each side and split into the bays the city plan
  names, by longitude.

Needs ``data/geo/boundary.geojson`` and ``districts.geojson`` (``make_boundaries.py``). Run
from the repository root, before ``make_layers.py``::

    .venv/bin/python scripts/make_sourced.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ecomap import crs as _crs
from ecomap.io import write_geojson

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "data" / "geo"
SOURCES = ROOT / "data" / "sources"

SUBDISTRICTS_FILE = "osm_subdistricts_shenzhen_gcj02.geojson"
COAST_FILE = "gshhg_coast_full_shenzhen_wgs84.geojson"

#: Pingshan's six subdistricts: OSM relation id -> (id, name_zh, name_en).
SUBDISTRICTS = {
    10501406: ("PS", "坪山街道", "Pingshan"),
    10501407: ("ML", "马峦街道", "Maluan"),
    10501408: ("BL", "碧岭街道", "Biling"),
    10501409: ("SJ", "石井街道", "Shijing"),
    10501410: ("KZ", "坑梓街道", "Kengzi"),
    10501411: ("LT", "龙田街道", "Longtian"),
}
ODBL = "© OpenStreetMap contributors, ODbL 1.0"

#: Coastal blue belt: half-width of the band each side of the shoreline, metres.
BELT_HALF_WIDTH_M = 500.0
#: A GSHHG shoreline vertex belongs to Shenzhen's coast within this distance (m) of the
#: city's outline (boundary and districts layers).
COAST_NEAR_M = 300.0
#: Pieces of shoreline shorter than this (metres) are dropped (islets, river-mouth scraps).
MIN_COAST_PIECE_M = 1500.0
#: (id, segment, zh, en, west lon, east lon): the bays the plan names, west to east.
BELT_SEGMENTS = (
    ("B1", "pearl_river_estuary", "珠江口—前海湾", "Pearl River estuary and Qianhai Bay", -180.0, 113.93),
    ("B2", "shenzhen_bay", "深圳湾", "Shenzhen Bay", 113.93, 114.20),
    ("B3", "dapeng_bay", "大鹏湾", "Dapeng Bay", 114.20, 114.50),
    ("B4", "daya_bay", "大亚湾", "Daya Bay", 114.50, 180.0),
)


def make_subdistricts() -> gpd.GeoDataFrame:
    raw = gpd.read_file(SOURCES / SUBDISTRICTS_FILE)
    raw = raw[raw["osm_id"].isin(list(SUBDISTRICTS))].sort_values("osm_id")
    if len(raw) != len(SUBDISTRICTS):
        raise SystemExit(f"{SUBDISTRICTS_FILE}: expected {len(SUBDISTRICTS)} Pingshan subdistricts, got {len(raw)}")
    wgs = _crs.from_gcj02(gpd.GeoSeries(raw.geometry.values, crs=_crs.WGS84))
    rows = []
    for osm_id, name in zip(raw["osm_id"], raw["name"], strict=True):
        fid, zh, en = SUBDISTRICTS[int(osm_id)]
        if name != zh:
            raise SystemExit(f"relation {osm_id} is named {name!r}, expected {zh!r}")
        rows.append({"id": fid, "osm_id": f"relation/{osm_id}", "name_zh": zh, "name_en": en,
                     "source": f"osm:relation/{osm_id} (OpenStreetMap boundary, GCJ-02 converted to WGS-84 "
                               f"with ecomap.crs.from_gcj02; {ODBL})",
                     "confidence": "digitized"})
    out = gpd.GeoDataFrame(rows, geometry=shapely.make_valid(wgs.values), crs=_crs.WGS84)
    return out.set_index("id")


def shoreline() -> shapely.Geometry:
    """Shenzhen's GSHHG shoreline in EPSG:4547."""
    land = pd_union(["boundary", "districts"])
    coast = gpd.read_file(SOURCES / COAST_FILE).to_crs(_crs.INTERNAL)
    lines = shapely.line_merge(shapely.union_all(coast.geometry.values))
    near = shapely.intersection(lines, land.buffer(COAST_NEAR_M))
    parts = [p for p in shapely.get_parts(shapely.line_merge(near)) if p.length >= MIN_COAST_PIECE_M]
    return shapely.MultiLineString(sorted(parts, key=lambda p: p.bounds))


def pd_union(names: list[str]) -> shapely.Geometry:
    geoms = [gpd.read_file(GEO / f"{n}.geojson").to_crs(_crs.INTERNAL).geometry.values for n in names]
    return shapely.union_all(np.concatenate(geoms))


def make_belt() -> gpd.GeoDataFrame:
    coast = shoreline()
    band = gpd.GeoSeries([coast.buffer(BELT_HALF_WIDTH_M)], crs=_crs.INTERNAL).to_crs(_crs.WGS84).iloc[0]
    rows, geoms = [], []
    for fid, seg, zh, en, lon0, lon1 in BELT_SEGMENTS:
        piece = shapely.make_valid(shapely.intersection(band, shapely.box(lon0, -90, lon1, 90)))
        polys = [p for p in shapely.get_parts(piece) if p.geom_type == "Polygon"]
        if not polys:
            continue
        rows.append({
            "id": fid, "segment": seg, "width_m": 2 * BELT_HALF_WIDTH_M, "name_zh": zh, "name_en": en,
            "source": f"GSHHG 2.3.7 full-resolution shoreline (Wessel & Smith; LGPL-3.0-or-later), the "
                      f"pieces within {COAST_NEAR_M:.0f} m of Shenzhen's outline, buffered "
                      f"{BELT_HALF_WIDTH_M:.0f} m each side; bays split by longitude",
            "confidence": "indicative",
        })
        geoms.append(shapely.MultiPolygon(polys))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=_crs.WGS84).set_index("id")


def main() -> None:
    sub = make_subdistricts()
    write_geojson(sub, GEO / "subdistricts.geojson")
    boundary = pd_union(["boundary"])
    union = shapely.union_all(sub.to_crs(_crs.INTERNAL).geometry.values)
    iou = union.intersection(boundary).area / union.union(boundary).area
    print(f"subdistricts: {len(sub)}, union IoU with the boundary {iou:.3f}")
    belt = make_belt()
    write_geojson(belt, GEO / "belt.geojson")
    print(f"belt: {len(belt)} segments along {shoreline().length / 1000:.0f} km of GSHHG shoreline")


if __name__ == "__main__":
    main()
