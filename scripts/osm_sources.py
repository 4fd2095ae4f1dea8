"""Read the OpenStreetMap extracts in ``data/sources/`` for ``make_layers.py`` (ODbL 1.0,
© OpenStreetMap contributors): parks as patches, peaks for the ridge cores' heights, and the
Maluan hiking relations as trails. Geometry is WGS-84; results are in EPSG:4547.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from ecomap import crs as _crs

SOURCES = Path(__file__).resolve().parents[1] / "data" / "sources"
ODBL = "© OpenStreetMap contributors, ODbL 1.0"

#: Parks within this distance (m) of the district and at least this large (m²) become patches.
PARK_NEAR_M = 1000.0
PARK_MIN_M2 = 10_000.0
#: Patch ids kept from the hand-drawn set for parks OSM has: OSM way -> patch id.
PARK_IDS = {595785821: "P14", 773150166: "P15"}
#: English names for the parks whose drawn patches they replace (OSM has none).
PARK_EN = {595785821: "Julongshan Park", 773150166: "Yanziling Park"}
#: Hill parks (forest) among them; parks named 湿地 are wetland; the rest urban parks.
HILL_PARKS = {595785821, 773150166, 787005714}


def parks(district: shapely.Geometry) -> gpd.GeoDataFrame:
    """OSM ``leisure=park`` polygons near the district, rings repaired with make_valid."""
    raw = gpd.read_file(SOURCES / "osm_parks_shenzhen_wgs84.geojson")
    raw["geometry"] = shapely.make_valid(raw.geometry.values)
    raw = raw.to_crs(_crs.INTERNAL)
    polys = [shapely.MultiPolygon([p for p in shapely.get_parts(g) if p.geom_type == "Polygon"])
             for g in raw.geometry.values]
    raw["geometry"] = [largest_or_multi(p) for p in polys]
    raw = raw[raw.intersects(district.buffer(PARK_NEAR_M)) & (raw.area >= PARK_MIN_M2)]
    rows = []
    for r in raw.sort_values("osm_id").itertuples():
        osm = int(r.osm_id)
        zh, en = raw.loc[r.Index, "name:zh"], raw.loc[r.Index, "name:en"]
        name_zh = zh if isinstance(zh, str) else raw.loc[r.Index, "name"]
        name_en = en if isinstance(en, str) else PARK_EN.get(osm)
        if osm in HILL_PARKS:
            kind, q = "forest", 0.6
        elif isinstance(name_zh, str) and "湿地" in name_zh:
            kind, q = "wetland", 0.5
        else:
            kind, q = "park", 0.4
        rows.append({"id": PARK_IDS.get(osm, f"W{osm}"), "kind": kind, "quality": q,
                     "name_zh": name_zh if isinstance(name_zh, str) and name_zh else None,
                     "name_en": name_en if isinstance(name_en, str) else None,
                     "source": f"osm:way/{osm} (OpenStreetMap leisure=park; {ODBL})",
                     "confidence": "digitized", "geometry": r.geometry})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=_crs.INTERNAL).set_index("id")


def largest_or_multi(g: shapely.Geometry) -> shapely.Geometry:
    parts = list(shapely.get_parts(g))
    return parts[0] if len(parts) == 1 else g


def peaks() -> gpd.GeoDataFrame:
    """OSM peaks (the 46 highest of Shenzhen) in EPSG:4547, highest first."""
    p = gpd.read_file(SOURCES / "osm_peaks_shenzhen_wgs84.geojson").to_crs(_crs.INTERNAL)
    return p.sort_values(["elevation", "osm_id"], ascending=[False, True])


def highest_peak(poly: shapely.Geometry, table: gpd.GeoDataFrame) -> dict | None:
    inside = table[table.within(poly)]
    if inside.empty:
        return None
    r = inside.iloc[0]
    wd = r["wikidata"] if isinstance(r["wikidata"], str) else None
    return {"elev": float(r["elevation"]), "name": r["name"], "osm_id": int(r["osm_id"]), "wikidata": wd}


def hiking_routes() -> gpd.GeoDataFrame:
    """The two complete OSM hiking relations in Maluan, EPSG:4547."""
    r = gpd.read_file(SOURCES / "osm_hiking_routes_maluan_wgs84.geojson").to_crs(_crs.INTERNAL)
    return r.sort_values("source")


__all__ = ["parks", "peaks", "highest_peak", "hiking_routes", "ODBL"]
