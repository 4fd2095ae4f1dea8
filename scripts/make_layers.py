"""Write the hand-digitized layers of the bundled dataset from the coordinates held here.

Every coordinate below is WGS-84 (lon, lat) and was placed by hand after named places
with approximate known positions (peaks, reservoirs, villages, stations, junctions) and
after the district outline derived by ``make_boundaries.py`` (run that first). None of it
is surveyed: each feature carries ``confidence`` (``digitized`` where drawn after named
places whose position is known, ``indicative`` where only the rough course is known) and
a ``source`` that says what it was drawn after. Layers written:

``ridge``, ``patches``, ``corridors`` (the city framework: one ridge, twenty corridors)
and ``river``, ``reservoirs``, ``trails``, ``barriers`` (Pingshan in detail), then the
synthetic ``bridges`` register made by :func:`ecomap.bridges.synthesize` on them.

Run from the repository root (after ``scripts/make_boundaries.py``)::

    .venv/bin/python scripts/make_layers.py
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import osm_sources
import pandas as pd
import shapely
from shapely import ops

from ecomap import crs as _crs
from ecomap.bridges import synthesize
from ecomap.io import write_geojson
from ecomap.network import load_network

ROOT = Path(__file__).resolve().parents[1]
GEO = ROOT / "data" / "geo"

#: The bundled seed register of escape-bridge sites: size and seed of the generator.
BRIDGES_N = 400
BRIDGES_SEED = 2026

BG = "position approximate, placed after public descriptions (news reports, park plans, government pages); not surveyed"

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------

def to_m(lon: float, lat: float) -> tuple[float, float]:
    """WGS-84 lon/lat to EPSG:4547 metres."""
    x, y = _crs.transform_point(lon, lat)
    return x, y


def line(coords: list[tuple[float, float]]) -> shapely.LineString:
    """A line in EPSG:4547 from WGS-84 vertices."""
    return shapely.LineString([to_m(*c) for c in coords])


def ellipse(lon: float, lat: float, a_m: float, b_m: float, angle_deg: float = 0.0) -> shapely.Polygon:
    """An ellipse in EPSG:4547: semi-axes ``a_m`` (east-west before rotation) and ``b_m``,
    rotated ``angle_deg`` anticlockwise."""
    x, y = to_m(lon, lat)
    t = np.linspace(0, 2 * math.pi, 49)[:-1]
    px, py = a_m * np.cos(t), b_m * np.sin(t)
    r = math.radians(angle_deg)
    qx = x + px * math.cos(r) - py * math.sin(r)
    qy = y + px * math.sin(r) + py * math.cos(r)
    return shapely.Polygon(np.c_[qx, qy])


def frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(rows, geometry=list(geoms), crs=_crs.INTERNAL)
    return gdf.set_index("id")


def load(name: str) -> gpd.GeoDataFrame:
    return gpd.read_file(GEO / f"{name}.geojson").to_crs(_crs.INTERNAL)


def district_and_land() -> tuple[shapely.Geometry, shapely.Geometry]:
    b = load("boundary")
    d = load("districts")
    district = shapely.union_all(b.geometry.values)
    land = shapely.union_all(np.r_[b.geometry.values, d.geometry.values]).buffer(0)
    return district, land


def largest_polygon(g: shapely.Geometry) -> shapely.Polygon:
    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    return max(parts, key=lambda p: p.area)


# ---------------------------------------------------------------------------------------
# Ridge: the mountain cores of the spine (city scale)
# ---------------------------------------------------------------------------------------

#: Maluan Mountain Country Park (park plan, uabf.cn repost): a band ~15 km east-west by
#: ~2 km, 31.66 km², west to Sanzhoutian Reservoir, south to the ridge (which the district's
#: southern boundary follows), north to the hill foot at Biling and Huangzhukeng. Drawn as
#: the district south of this hill-foot line and west of the Pingkui road (lon 114.400);
#: the line is shifted north or south as a whole until the area is the plan's.
MALUAN_HILL_FOOT = [
    (114.250, 22.660), (114.275, 22.659), (114.290, 22.657), (114.300, 22.657),
    (114.315, 22.650), (114.330, 22.648), (114.345, 22.656), (114.355, 22.658),
    (114.362, 22.665), (114.368, 22.669), (114.378, 22.669), (114.390, 22.664),
    (114.400, 22.662),
]
MALUAN_EAST_LON = 114.400
MALUAN_AREA_KM2 = 31.66

#: (id, zh, en, kind, elev_max_m, lon, lat, a_m, b_m, angle, source, confidence)
RIDGE_CORES = [
    ("RG01", "羊台山", "Yangtai Mountain", "forest", 587.0, 113.975, 22.655, 3000, 2200, 20,
     "drawn around the named summit; national forest park", "indicative"),
    ("RG02", "塘朗山", "Tanglang Mountain", "country_park", 430.0, 113.995, 22.588, 3000, 1200, 10,
     "drawn around the named ridge; country park", "indicative"),
    ("RG03", "梅林山", "Meilin Mountain", "country_park", None, 114.045, 22.578, 2200, 1000, 5,
     "drawn around the named ridge; country park", "indicative"),
    ("RG04", "银湖山", "Yinhu Mountain", "country_park", None, 114.097, 22.585, 2000, 1300, 0,
     "drawn around the named ridge; country park", "indicative"),
    ("RG05", "梧桐山", "Wutong Mountain", "forest", 943.7, 114.205, 22.587, 4200, 2300, 15,
     "drawn around the named summit; scenic area and forest park", "indicative"),
    ("RG06", "梅沙尖—三洲田", "Meishajian-Sanzhoutian", "forest", 753.0, 114.283, 22.614, 2800, 1600, 20,
     "drawn around Meishajian, the Pingshan River's source area on the Yantian side", "indicative"),
    ("RG09", "排牙山", "Paiya Mountain", "nature_reserve", 707.0, 114.490, 22.588, 4000, 1800, 20,
     "drawn around the named ridge; Dapeng peninsula nature reserve", "indicative"),
    ("RG10", "七娘山", "Qiniang Mountain", "nature_reserve", 869.0, 114.553, 22.527, 3200, 2500, 60,
     "drawn around the named summit; Dapeng peninsula nature reserve", "indicative"),
]

#: Tiantou Mountain city-level nature reserve: the summit position and the reserve's
#: extent are unverified estimates (summit ~114.415, 22.675), so the ellipse is indicative.
TIANTOU = ("RG08", "田头山", "Tiantou Mountain", "nature_reserve", None, 114.419, 22.675, 2500, 1300, 40,
           "drawn around the estimated summit (~114.415, 22.675); reserve boundary and height "
           "unverified", "indicative")


def maluan_park(district: shapely.Geometry) -> shapely.Polygon:
    """The district south of the hill-foot line (shifted to the plan's area) and west of
    the Pingkui road."""
    foot = np.array([to_m(*c) for c in MALUAN_HILL_FOOT])
    x_east = to_m(MALUAN_EAST_LON, 22.65)[0]
    y_south = district.bounds[1] - 1000

    def park(dy: float) -> shapely.Geometry:
        ring = np.r_[foot + [0, dy], [[x_east, foot[-1, 1] + dy], [x_east, y_south], [foot[0, 0], y_south]]]
        return largest_polygon(shapely.intersection(district, shapely.Polygon(ring)))

    lo, hi = -1500.0, 1500.0  # bisection on the shift: the area grows with dy
    for _ in range(40):
        mid = (lo + hi) / 2
        if park(mid).area < MALUAN_AREA_KM2 * 1e6:
            lo = mid
        else:
            hi = mid
    print(f"Maluan hill-foot line shifted {(lo + hi) / 2:+.0f} m to match {MALUAN_AREA_KM2} km2")
    return park((lo + hi) / 2)


def make_ridge(land: shapely.Geometry, district: shapely.Geometry) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    maluan = maluan_park(district)
    cores = [*RIDGE_CORES[:6], TIANTOU, *RIDGE_CORES[6:]]
    rows.append({
        "id": "RG07", "kind": "country_park", "elev_max_m": 525.9,
        "name_zh": "马峦山郊野公园", "name_en": "Maluan Mountain Country Park",
        "source": "the district between the Maluan ridge (its southern boundary) and a hill-foot line "
                  "through Biling and Huangzhukeng, from Sanzhoutian to the Pingkui road, sized to the "
                  "park plan's 31.66 km² (uabf.cn repost); highest point Dagu Ling 525.9 m",
        "confidence": "indicative",
    })
    geoms.append(maluan)
    for fid, zh, en, kind, elev, lon, lat, a, b, ang, src, conf in cores:
        poly = ellipse(lon, lat, a, b, ang)
        if fid == "RG08":  # keep Tiantou clear of the Maluan band: the Pingkui road runs between
            poly = poly.difference(maluan.buffer(400))
        rows.append({"id": fid, "kind": kind, "elev_max_m": elev, "name_zh": zh, "name_en": en,
                     "source": f"{src}; {BG}", "confidence": conf})
        geoms.append(poly)
    out = frame(rows, geoms)
    out["geometry"] = [largest_polygon(shapely.intersection(g, land)) for g in out.geometry]
    # elev_max_m: where no figure is published, the highest OSM summit inside the core; where
    # one is, it stays (the drawn outline may miss the summit) and the OSM summit is noted
    table = osm_sources.peaks()
    for fid, g in out.geometry.items():
        top = osm_sources.highest_peak(g, table)
        if top is None:
            continue
        wd = f", wikidata {top['wikidata']}" if top["wikidata"] else ""
        peak = f"{top['name']} {top['elev']:g} m (osm:node/{top['osm_id']}{wd}; {osm_sources.ODBL})"
        if pd.isna(out.at[fid, "elev_max_m"]):
            out.at[fid, "elev_max_m"] = top["elev"]
            out.at[fid, "source"] += f"; elev_max_m from the highest OSM peak inside, {peak}"
        else:
            out.at[fid, "source"] += f"; elev_max_m the published figure; highest OSM peak inside {peak}"
    return out.sort_index()


# ---------------------------------------------------------------------------------------
# Pingshan detail: river, reservoirs
# ---------------------------------------------------------------------------------------

#: What the river and reservoirs are drawn at: positions measured (about 50 m accuracy) on a
#: 2020 vectorised water surface of Pingshan (520 polygons, GCJ-02 converted to WGS-84) that
#: carries no licence and so is not distributed; only these measured numbers are used.
MEASURED = "2020 vectorised water surface of Pingshan (not distributable), measured positions ~50 m"

#: The Pingshan River's main channel, downstream (west to east), one measured point every
#: ~400-800 m. West of 114.32 it is a narrow channel whose course between ponds is less
#: certain; the wide regulated channel runs from ~114.35 to ~114.405. The first point lies on
#: the district's western edge (the Longgang border), where the river enters from the
#: uplands; the last is ~70 m short of the eastern boundary, where it leaves for Huizhou.
RIVER_CHANNEL = [
    (114.2766, 22.6771), (114.2858, 22.6774), (114.2972, 22.6751), (114.3039, 22.6743),
    (114.3105, 22.6762), (114.3183, 22.6735), (114.3234, 22.6751), (114.3320, 22.6805),
    (114.3360, 22.6874), (114.3403, 22.6947), (114.3426, 22.6971), (114.3504, 22.6957),
    (114.3586, 22.6980), (114.3664, 22.6978), (114.3723, 22.7020), (114.3822, 22.7045),
    (114.3897, 22.7074), (114.3973, 22.7099), (114.4045, 22.7119), (114.4090, 22.7148),
    (114.4153, 22.7161),
]
#: (id, zh, en, vertices downstream; the stream is cut where it reaches the axis, or carried
#: on from its last vertex to the nearest point of the axis). Courses drawn, names unverified.
TRIBUTARIES = [
    ("T01", "碧岭水", "Biling stream", [(114.306, 22.646), (114.307, 22.652), (114.306, 22.659), (114.305, 22.667)]),
    ("T02", "汤坑水", "Tangkeng stream", [(114.326, 22.645), (114.327, 22.655), (114.326, 22.665),
                                          (114.327, 22.673)]),
    ("T03", "赤坳水", "Chi'ao stream", [(114.371, 22.667), (114.371, 22.676), (114.370, 22.686),
                                        (114.371, 22.694)]),
    ("T04", "田坑水", "Tiankeng stream", [(114.412, 22.680), (114.408, 22.686), (114.405, 22.692),
                                          (114.404, 22.698), (114.403, 22.705)]),
    ("T05", "大山陂水", "Dashanpi stream", [(114.341, 22.708), (114.340, 22.701)]),
    ("T06", "南布河", "Nanbu stream", [(114.381, 22.722), (114.381, 22.713), (114.381, 22.708)]),
]


def _join_axis(axis: shapely.LineString, trib: shapely.LineString) -> shapely.LineString:
    """``trib`` cut where it first reaches ``axis``, or carried on to the axis's nearest point."""
    coords = list(trib.coords)
    for i in range(1, len(coords)):
        seg = shapely.LineString(coords[i - 1:i + 1])
        if seg.intersects(axis):
            hit = seg.intersection(axis)
            first = min(shapely.get_parts(hit), key=lambda g: shapely.Point(coords[i - 1]).distance(g))
            join = axis.interpolate(axis.project(shapely.Point(first.coords[0])))
            return shapely.LineString([*coords[:i], (join.x, join.y)])
    join = axis.interpolate(axis.project(shapely.Point(coords[-1])))
    return shapely.LineString([*coords, (join.x, join.y)])


def make_river(district: shapely.Geometry) -> gpd.GeoDataFrame:
    coords = [to_m(*c) for c in RIVER_CHANNEL]
    # Both ends on the district boundary: the channel enters from the west and leaves east.
    src = ops.nearest_points(district.boundary, shapely.Point(coords[0]))[0]
    mouth = ops.nearest_points(district.boundary, shapely.Point(coords[-1]))[0]
    axis = shapely.LineString([(src.x, src.y), *coords, (mouth.x, mouth.y)])
    rows = [{
        "id": "PSR", "rank": "axis", "parent_id": None, "name_zh": "坪山河", "name_en": "Pingshan River",
        "source": f"main channel through the {len(RIVER_CHANNEL)} measured channel points, west to east ({MEASURED}); "
                  "ends snapped onto the district boundary; upper course outside the district (to the "
                  "source at Meishajian) not drawn",
        "confidence": "indicative",
    }]
    geoms = [axis]
    for fid, zh, en, pts in TRIBUTARIES:
        rows.append({"id": fid, "rank": "tributary", "parent_id": "PSR", "name_zh": zh, "name_en": en,
                     "source": "course drawn from the hills to the measured axis; name from an unverified "
                               "list of local streams; " + BG,
                     "confidence": "indicative"})
        geoms.append(_join_axis(axis, line(pts)))
    return frame(rows, geoms)


#: The 12 water bodies over 10 ha in Pingshan that are not the river itself (two more, of
#: 12.5 and 10.2 ha, are wide reaches of the regulated channel and are left to ``river``):
#: (id, zh, en, area ha, measured point inside (lon, lat), bbox (W, S, E, N), how the name
#: was matched). The source holds no names: a name is given only where what is known places
#: it; the others stay unnamed.
RESERVOIRS = [
    ("RV01", "赤坳水库", "Chi'ao Reservoir", 78.7, (114.3772, 22.6658), (114.3601, 22.6593, 114.3861, 22.6724),
     "the largest water body of the district, dendritic, in the Maluan hills south-east of the centre: "
     "Chi'ao, Pingshan's largest reservoir"),
    ("RV02", "松子坑水库", "Songzikeng Reservoir", 10.2, (114.3876, 22.7330), (114.3839, 22.7302, 114.3908, 22.7357),
     "the water body nearest (1.8 km) the estimated position of Songzikeng (~114.405, 22.735); unverified"),
    ("RV05", "榄核桥水库", "Lanheqiao Reservoir", 21.5, (114.3575, 22.6397), (114.3459, 22.6348, 114.3614, 22.6446),
     "inside Maluan park on the Mucuna trail, the first reservoir south of the Huangzhukeng entrance "
     "(eyeshenzhen 2023); unverified"),
    ("RV06", "上下肚水库", "Shangxiadu Reservoir", 26.2, (114.3423, 22.6392), (114.3372, 22.6344, 114.3449, 22.6440),
     "inside Maluan park on the Mucuna trail, the next reservoir on towards Maluan village and the Luo "
     "family house (eyeshenzhen 2023); unverified"),
    ("RV07", None, "Reservoir (unnamed, 38.2 ha)", 38.2, (114.3398, 22.6710), (114.3352, 22.6663, 114.3444, 22.6757), ""),
    ("RV08", None, "Reservoir (unnamed, 23.1 ha)", 23.1, (114.3450, 22.7425), (114.3418, 22.7400, 114.3506, 22.7450), ""),
    ("RV09", None, "Reservoir (unnamed, 21.4 ha)", 21.4, (114.3411, 22.6629), (114.3326, 22.6593, 114.3428, 22.6665), ""),
    ("RV10", None, "Reservoir (unnamed, 18.5 ha)", 18.5, (114.2870, 22.6807), (114.2790, 22.6770, 114.2930, 22.6844), ""),
    ("RV11", None, "Reservoir (unnamed, 18.4 ha)", 18.4, (114.3429, 22.7327), (114.3358, 22.7298, 114.3441, 22.7357), ""),
    ("RV12", None, "Water body (unnamed, 11.0 ha)", 11.0, (114.4321, 22.6979), (114.4279, 22.6954, 114.4361, 22.7003), ""),
    ("RV13", None, "Reservoir (unnamed, 10.7 ha, on the northern district edge)", 10.7, (114.4061, 22.7799),
     (114.3914, 22.7760, 114.4092, 22.7839), ""),
    ("RV14", None, "Water body (unnamed, 10.0 ha)", 10.0, (114.3704, 22.7267), (114.3684, 22.7238, 114.3728, 22.7297), ""),
]


def water_outline(area_ha: float, point: tuple[float, float], bbox: tuple[float, float, float, float]) -> shapely.Polygon:
    """An ellipse of the measured area with the bbox's proportions, inside the bbox, centred on
    the bbox centre and moved towards the measured point until it holds the point."""
    x0, y0 = to_m(bbox[0], bbox[1])
    x1, y1 = to_m(bbox[2], bbox[3])
    px, py = to_m(*point)
    w, h = (x1 - x0) / 2, (y1 - y0) / 2
    k = math.sqrt(area_ha * 1e4 / (math.pi * w * h))
    a, b = k * w, k * h
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    # inside the ellipse: ((px-cx)/a)^2 + ((py-cy)/b)^2 <= r^2 with r < 1; move the centre along
    # the line to the point just far enough, staying inside the bbox
    r = 0.8
    d = math.hypot((px - cx) / a, (py - cy) / b)
    if d > r:
        t = 1 - r / d
        cx, cy = cx + t * (px - cx), cy + t * (py - cy)
        cx = min(max(cx, x0 + a), x1 - a)
        cy = min(max(cy, y0 + b), y1 - b)
    t = np.linspace(0, 2 * math.pi, 49)[:-1]
    return shapely.Polygon(np.c_[cx + a * np.cos(t), cy + b * np.sin(t)])


def make_reservoirs(district: shapely.Geometry) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for fid, zh, en, ha, pt, bbox, why in RESERVOIRS:
        g = water_outline(ha, pt, bbox).intersection(district)
        if not g.contains(shapely.Point(to_m(*pt))):
            raise SystemExit(f"{fid}: the outline misses the measured point {pt}")
        name = f"name matched by position: {why}; " if why else "no name known for this position; "
        rows.append({"id": fid, "capacity": None, "name_zh": zh, "name_en": en,
                     "source": f"water body of {ha} ha at {pt[0]:.4f}, {pt[1]:.4f}, extent {bbox[0]:.4f}-{bbox[2]:.4f} E, "
                               f"{bbox[1]:.4f}-{bbox[3]:.4f} N ({MEASURED}); {name}outline an ellipse of the "
                               "measured area in the measured extent, not the shore",
                     "confidence": "indicative"})
        geoms.append(largest_polygon(g) if g.geom_type != "Polygon" else g)
    return frame(rows, geoms)


# ---------------------------------------------------------------------------------------
# Trails
# ---------------------------------------------------------------------------------------

#: (id, zh, en, kind, published length km, vertices, route note)
TRAILS = [
    ("TR01", "坪大诗歌步道(坪山段)", "Pingshan-Dapeng Poetry Trail (Pingshan section)", "hiking", 7.0,
     [(114.328, 22.633), (114.334, 22.636), (114.340, 22.638), (114.346, 22.636), (114.351, 22.633),
      (114.357, 22.631), (114.363, 22.637), (114.366, 22.643), (114.372, 22.646), (114.378, 22.645),
      (114.384, 22.644)],
     "Honghualing Reservoir side to the Xiyong'ao junction, 20 nature-study points"),
    ("TR02", "江岭相思步道", "Jiangling Acacia Trail", "hiking", 8.0,
     [(114.366, 22.667), (114.362, 22.663), (114.358, 22.659), (114.361, 22.654), (114.366, 22.650),
      (114.370, 22.647), (114.373, 22.651), (114.380, 22.656), (114.386, 22.653), (114.390, 22.649),
      (114.395, 22.650), (114.398, 22.654), (114.399, 22.658), (114.394, 22.660)],
     "Maluan park Chi'ao entrance towards the hill behind Xiyong, 33 points"),
    ("TR03", "禾雀花步道", "Mucuna Trail", "hiking", 6.5,
     [(114.352, 22.659), (114.350, 22.655), (114.347, 22.651), (114.343, 22.653), (114.339, 22.649),
      (114.335, 22.646), (114.329, 22.648), (114.323, 22.645), (114.318, 22.643), (114.313, 22.641),
      (114.309, 22.638), (114.304, 22.637), (114.300, 22.639)],
     "Huangzhukeng entrance, Lanheqiao Reservoir, Jingzi village, Shangxiadu Reservoir, "
     "the 1900 Gengzi uprising site (Luo family house)"),
    ("TR04", "碧岭瀑布群步道", "Biling Waterfalls Trail", "hiking", 3.05,
     [(114.304, 22.658), (114.303, 22.654), (114.300, 22.650), (114.298, 22.646), (114.300, 22.642),
      (114.304, 22.640), (114.308, 22.644)],
     "five waterfall sections in the north-west of the Maluan massif"),
]
#: The ridge trail (the city's east-west trail along the spine, Maluan section) is drawn
#: this far inside the district's southern boundary, which follows the Maluan ridge line.
RIDGE_TRAIL_INSET_M = 250.0
RIDGE_TRAIL_BOX = (114.268, 22.600, 114.395, 22.662)  # the southern Maluan edge


def make_trails(district: shapely.Geometry) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for fid, zh, en, kind, km, pts, note in TRAILS:
        g = line(pts)
        rows.append({"id": fid, "kind": kind, "surface": "natural", "name_zh": zh, "name_en": en,
                     "source": f"route after the named waypoints ({note}); published length {km} km "
                               f"(eyeshenzhen 2023-03-24, sz.gov.cn); course indicative, drawn length "
                               f"{g.length / 1000:.2f} km",
                     "confidence": "indicative"})
        geoms.append(g)
    # An opening (inward then outward buffer) removes the boundary's small notches first.
    inner = largest_polygon(district.buffer(-RIDGE_TRAIL_INSET_M - 500).buffer(500)).exterior
    x0, y0 = to_m(RIDGE_TRAIL_BOX[0], RIDGE_TRAIL_BOX[1])
    x1, y1 = to_m(RIDGE_TRAIL_BOX[2], RIDGE_TRAIL_BOX[3])
    part = shapely.line_merge(shapely.intersection(inner, shapely.box(x0, y0, x1, y1)))
    ridge = max(shapely.get_parts(part), key=lambda p: p.length)
    if ridge.coords[0][0] > ridge.coords[-1][0]:
        ridge = ridge.reverse()
    ridge = ridge.simplify(40)
    rows.append({"id": "TR05", "kind": "ridge", "surface": "natural",
                 "name_zh": "鲲鹏径(马峦山段)", "name_en": "Kunpeng ridge trail (Maluan section)",
                 "source": f"drawn {RIDGE_TRAIL_INSET_M:.0f} m inside the district's southern boundary, "
                           "which follows the Maluan ridge; the city ridge trail runs along the Maluan "
                           "ridge (sz.gov.cn 2022-08-29); course indicative",
                 "confidence": "indicative"})
    geoms.append(ridge)
    # the two complete OSM hiking relations in Maluan, as mapped
    for i, r in enumerate(osm_sources.hiking_routes().itertuples(), start=6):
        rows.append({"id": f"TR{i:02d}", "kind": "hiking", "surface": None, "name_zh": r.name_zh,
                     "name_en": None,
                     "source": f"{r.source} (OpenStreetMap route=hiking; {osm_sources.ODBL})",
                     "confidence": "digitized"})
        geoms.append(shapely.line_merge(r.geometry) if r.geometry.geom_type != "LineString" else r.geometry)
    return frame(rows, geoms)


# ---------------------------------------------------------------------------------------
# Barriers
# ---------------------------------------------------------------------------------------

#: Pingyan passage: from the Pingshan Dadao / Jinlong Dadao junction south to the Maluan
#: tunnel's north portal near Huangzhukeng (surface), then the 7.9 km tunnel under the
#: park towards Yantian. Clipped to the district and a margin like every barrier.
PINGYAN_SURFACE = [(114.349, 22.704), (114.350, 22.695), (114.351, 22.685), (114.352, 22.676),
                   (114.353, 22.668)]
PINGYAN_TUNNEL = [(114.353, 22.668), (114.345, 22.650), (114.335, 22.630), (114.325, 22.610),
                  (114.318, 22.598)]
#: (id, zh, en, kind, permeability, structure, vertices, source note)
BARRIERS = [
    ("BR01", "坪盐通道", "Pingyan passage", "expressway", 0.05, "surface", PINGYAN_SURFACE,
     "urban expressway from the Pingshan Dadao/Jinlong Dadao junction to the Maluan tunnel's north "
     "portal near Huangzhukeng (sznews 2018/2019)"),
    ("BR02", "坪盐通道 马峦山隧道", "Pingyan passage, Maluan tunnel", "expressway", 1.0, "tunnel",
     PINGYAN_TUNNEL,
     "7.9 km tunnel under Maluan park (sznews; zh-wiki mirror); a tunnel does not cut the ground "
     "above it, only its portals do"),
    ("BR03", "深圳外环高速", "Shenzhen Outer Ring Expressway", "expressway", 0.05, "surface",
     [(114.325, 22.742), (114.340, 22.737), (114.355, 22.728), (114.370, 22.718), (114.384, 22.709),
      (114.396, 22.697), (114.401, 22.686), (114.402, 22.675), (114.399, 22.664), (114.397, 22.650),
      (114.398, 22.630)],
     "Longgang - Pingshan - Dapeng alignment with a Tiantou interchange; crosses the Shijing/Tiantou "
     "area north-south between Maluan and Tiantou"),
    ("BR04", "深汕高速", "Shenzhen-Shantou Expressway (G15)", "expressway", 0.05, "surface",
     [(114.320, 22.744), (114.340, 22.747), (114.360, 22.750), (114.380, 22.752), (114.400, 22.754),
      (114.420, 22.757), (114.440, 22.760)],
     "runs west-east across the northern lobe (Kengzi / Longtian)"),
    ("BR05", "厦深铁路", "Xiamen-Shenzhen Railway", "railway", 0.1, "surface",
     [(114.300, 22.713), (114.320, 22.715), (114.338, 22.717), (114.355, 22.720), (114.372, 22.724),
      (114.390, 22.729), (114.410, 22.735), (114.430, 22.740)],
     "west-east through Pingshan station (~114.325, 22.718), north of the central area"),
]
#: Barriers are kept within this distance (metres) of the district: Pingshan detail.
BARRIER_MARGIN_M = 250.0


def make_barriers(district: shapely.Geometry) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    keep = district.buffer(BARRIER_MARGIN_M)
    for fid, zh, en, kind, perm, structure, pts, note in BARRIERS:
        g = shapely.intersection(line(pts), keep)
        g = shapely.line_merge(g) if g.geom_type == "MultiLineString" else g
        rows.append({"id": fid, "kind": kind, "permeability": perm, "structure": structure,
                     "name_zh": zh, "name_en": en,
                     "source": f"{note}; alignment indicative, clipped to the district plus "
                               f"{BARRIER_MARGIN_M:.0f} m; {BG}",
                     "confidence": "indicative"})
        geoms.append(g)
    return frame(rows, geoms)


# ---------------------------------------------------------------------------------------
# Patches and the twenty corridors (city framework)
# ---------------------------------------------------------------------------------------

#: Patches that are not ridge cores: (id, zh, en, kind, quality, lon, lat, a_m, b_m, angle, note)
OTHER_PATCHES = [
    ("P01", "凤凰山", "Fenghuang Mountain", "forest", 0.7, 113.868, 22.668, 2000, 1400, 30, "forest park"),
    ("P02", "大顶岭", "Dadingling", "forest", 0.7, 113.925, 22.770, 1800, 1200, 0, "forest park, Guangming"),
    ("P13", "清林径", "Qinglinjing", "forest", 0.75, 114.235, 22.715, 2500, 1800, 30, "forest park, Longgang"),
    ("P21", "宝安滨海湿地", "Bao'an coastal wetland", "wetland", 0.6, 113.775, 22.705, 1500, 700, 70,
     "coastal wetland on the Pearl River estuary"),
    ("P22", "深圳湾红树林", "Shenzhen Bay mangroves", "wetland", 0.8, 113.995, 22.524, 3200, 600, 0,
     "Futian mangroves and Shenzhen Bay shore"),
    ("P23", "溪涌—葵涌海岸", "Xiyong-Kuichong coast", "coast", 0.7, 114.395, 22.606, 1800, 700, 10,
     "Dapeng Bay shore below Maluan"),
    ("P24", "坝光红树林", "Baguang mangroves", "wetland", 0.8, 114.540, 22.655, 1600, 700, 0,
     "mangroves on Daya Bay"),
    ("P25", "西涌海岸", "Xichong coast", "coast", 0.75, 114.530, 22.480, 1600, 700, 0,
     "beach and headlands on the south of the Dapeng peninsula"),
    ("P26", "深圳河湿地", "Shenzhen River wetland", "wetland", 0.5, 114.085, 22.527, 1500, 400, 15,
     "riparian wetland on the Shenzhen River"),
    ("P27", "石岩—铁岗水库林地", "Shiyan-Tiegang reservoirs woodland", "forest", 0.65, 113.915, 22.645,
     2200, 1600, 20, "woodland around the Shiyan and Tiegang reservoirs"),
    ("P28", "大南山", "Dananshan", "forest", 0.65, 113.905, 22.487, 1400, 900, 0, "hill park, Nanshan"),
]
#: Ridge cores that are also habitat patches: patch id -> ridge id.
CORE_PATCHES = {"P03": "RG01", "P04": "RG02", "P05": "RG03", "P06": "RG04", "P07": "RG05",
                "P08": "RG06", "P09": "RG07", "P10": "RG08", "P11": "RG09", "P12": "RG10"}
#: Reservoir woodland: a ring this wide around the named reservoirs.
WOODLAND_M = 400.0
#: River belt: the Pingshan River axis buffered this much each side, split at these
#: longitudes into a middle (central area) and a lower (Shijing - Huizhou boundary) belt.
RIVER_BELT_M = 150.0
RIVER_BELT_SPLITS = (114.330, 114.390)


#: (id, zh, en, kind, width_m, status, from_id, to_id, vertices between the ends)
CORRIDORS = [
    ("C01", "羊台山—凤凰山山廊", "Yangtai-Fenghuang mountain corridor", "mountain", 600, "existing",
     "P03", "P01", [(113.93, 22.665)]),
    ("C02", "羊台山—塘朗山山廊", "Yangtai-Tanglang mountain corridor", "mountain", 600, "existing",
     "P03", "P04", [(113.985, 22.625)]),
    ("C03", "塘朗山—大南山山廊", "Tanglang-Dananshan mountain corridor", "mountain", 400, "planned",
     "P04", "P28", [(113.96, 22.56), (113.925, 22.52)]),
    ("C04", "梅林山—银湖山山廊", "Meilin-Yinhu mountain corridor", "mountain", 500, "existing",
     "P05", "P06", [(114.072, 22.581)]),
    ("C05", "梧桐山—清林径山廊", "Wutong-Qinglinjing mountain corridor", "mountain", 600, "planned",
     "P07", "P13", [(114.22, 22.64), (114.23, 22.68)]),
    ("C06", "梅沙尖—马峦山山廊", "Meishajian-Maluan mountain corridor", "mountain", 800, "existing",
     "P08", "P09", [(114.275, 22.635)]),
    ("C07", "马峦山—田头山山廊", "Maluan-Tiantou mountain corridor", "mountain", 500, "broken",
     "P09", "P10", [(114.396, 22.662)]),
    ("C08", "马峦山—排牙山山廊", "Maluan-Paiya mountain corridor", "mountain", 700, "existing",
     "P09", "P11", [(114.42, 22.635), (114.45, 22.61)]),
    ("C09", "排牙山—七娘山山廊", "Paiya-Qiniang mountain corridor", "mountain", 600, "existing",
     "P11", "P12", [(114.52, 22.56)]),
    ("C10", "大顶岭—羊台山山廊", "Dadingling-Yangtai mountain corridor", "mountain", 500, "planned",
     "P02", "P03", [(113.95, 22.72)]),
    ("C11", "茅洲河水廊", "Maozhou River water corridor", "water", 200, "existing",
     "P27", "P21", [(113.89, 22.69), (113.84, 22.72), (113.80, 22.72)]),
    ("C12", "大沙河水廊", "Dasha River water corridor", "water", 150, "existing",
     "P03", "P22", [(113.965, 22.61), (113.958, 22.57), (113.96, 22.535)]),
    ("C13", "新洲河水廊", "Xinzhou River water corridor", "water", 120, "existing",
     "P05", "P22", [(114.035, 22.555), (114.025, 22.535)]),
    ("C14", "布吉河水廊", "Buji River water corridor", "water", 120, "existing",
     "P06", "P26", [(114.100, 22.560), (114.082, 22.540)]),
    ("C15", "深圳河水廊", "Shenzhen River water corridor", "water", 200, "existing",
     "P07", "P22", [(114.16, 22.565), (114.12, 22.548), (114.06, 22.530)]),
    ("C16", "龙岗河水廊", "Longgang River water corridor", "water", 200, "existing",
     "P08", "P19", [(114.265, 22.66), (114.26, 22.71), (114.30, 22.74), (114.335, 22.755),
                    (114.36, 22.760), (114.385, 22.752)]),
    ("C17", "坪山河水廊", "Pingshan River water corridor", "water", 300, "existing",
     "P09", "P17", None),
    ("C18", "葵涌河水廊", "Kuichong River water corridor", "water", 150, "planned",
     "P09", "P23", [(114.40, 22.635), (114.398, 22.615)]),
    ("C19", "西涌河水廊", "Xichong stream water corridor", "water", 100, "existing",
     "P12", "P25", [(114.54, 22.50)]),
    ("C20", "坝光溪水廊", "Baguang stream water corridor", "water", 100, "existing",
     "P11", "P24", [(114.52, 22.625)]),
]


def _polygonal(g: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``g`` (a Polygon if one, else a MultiPolygon)."""
    polys = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def make_patches(ridge: gpd.GeoDataFrame, river: gpd.GeoDataFrame, reservoirs: gpd.GeoDataFrame,
                 land: shapely.Geometry, district: shapely.Geometry) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for pid, rid in CORE_PATCHES.items():
        r = ridge.loc[rid]
        rows.append({"id": pid, "kind": "core", "quality": 0.9,
                     "name_zh": r["name_zh"], "name_en": r["name_en"],
                     "source": f"the ridge core {rid} (same outline)", "confidence": r["confidence"]})
        geoms.append(r.geometry)
    cores = shapely.union_all([g for g in geoms])
    # OSM parks (digitized) next: what the cores already hold is theirs, so no area counts twice
    for pid, r in osm_sources.parks(district).iterrows():
        g = shapely.intersection(r.geometry, land).difference(cores)
        if g.area < osm_sources.PARK_MIN_M2 / 2:
            continue
        rows.append({"id": pid, **{k: r[k] for k in ("kind", "quality", "name_zh", "name_en", "source",
                                                      "confidence")}})
        geoms.append(_polygonal(g))
    cores = shapely.union_all(geoms)
    for pid, zh, en, kind, q, lon, lat, a, b, ang, note in OTHER_PATCHES:
        g = largest_polygon(shapely.intersection(ellipse(lon, lat, a, b, ang), land).difference(cores))
        rows.append({"id": pid, "kind": kind, "quality": q, "name_zh": zh, "name_en": en,
                     "source": f"drawn around the named place ({note}); {BG}", "confidence": "indicative"})
        geoms.append(g)
    axis = river.loc["PSR"].geometry
    x_split = [to_m(lon, 22.70)[0] for lon in RIVER_BELT_SPLITS]
    belt = axis.buffer(RIVER_BELT_M, cap_style="flat").intersection(district).difference(cores)
    x0, y0, x1, y1 = belt.bounds
    for pid, zh, en, lo, hi in (
        ("P16", "坪山河中游河岸带", "Pingshan River belt, central reach", x_split[0], x_split[1]),
        ("P17", "坪山河下游河岸带", "Pingshan River belt, lower reach", x_split[1], x1 + 1),
    ):
        g = largest_polygon(shapely.intersection(belt, shapely.box(lo, y0 - 1, hi, y1 + 1)))
        rows.append({"id": pid, "kind": "riparian", "quality": 0.5, "name_zh": zh, "name_en": en,
                     "source": f"the Pingshan River axis buffered {RIVER_BELT_M:.0f} m each side",
                     "confidence": "indicative"})
        geoms.append(g)
    taken = shapely.union_all(geoms)
    for pid, rid, zh, en in (("P18", "RV01", "赤坳水库林地", "Chi'ao Reservoir woodland"),
                             ("P19", "RV02", "松子坑水库林地", "Songzikeng Reservoir woodland")):
        res = reservoirs.loc[rid].geometry
        g = shapely.intersection(res.buffer(WOODLAND_M).difference(res).difference(taken), land)
        if g.area < 0.05e6:  # the reservoir lies inside a ridge core: its woodland is the core
            continue
        g = largest_polygon(g)
        rows.append({"id": pid, "kind": "forest", "quality": 0.7, "name_zh": zh, "name_en": en,
                     "source": f"ring of {WOODLAND_M:.0f} m around reservoir {rid}, outside the ridge cores",
                     "confidence": "indicative"})
        geoms.append(g)
    return frame(rows, geoms).sort_index()


def _end_on(patch: shapely.Geometry, towards: tuple[float, float]) -> tuple[float, float]:
    """A corridor end on ``patch``: its point nearest the corridor's next vertex."""
    p = ops.nearest_points(patch, shapely.Point(towards))[0]
    return (p.x, p.y)


def make_corridors(patches: gpd.GeoDataFrame, river: gpd.GeoDataFrame,
                   land: shapely.Geometry) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    for cid, zh, en, kind, width, status, a, b, via in CORRIDORS:
        pa, pb = patches.loc[a].geometry, patches.loc[b].geometry
        if via is None:  # the Pingshan River corridor follows the river axis
            # from the Maluan core's nearest point to where the measured channel enters the
            # district (its upper course is not measured), then down the axis
            # (clipped to Shenzhen: the last ~400 m of the channel run just outside the outline)
            axis = river.loc["PSR"].geometry
            axis = max(shapely.get_parts(shapely.intersection(axis, land)), key=lambda p: p.length)
            start = _end_on(pa, axis.coords[0])
            g = shapely.LineString([start, *axis.coords])
        else:
            mid = [to_m(*v) for v in via]
            pts = [_end_on(pa, mid[0]), *mid, _end_on(pb, mid[-1])]
            g = shapely.LineString(pts)
        rows.append({"id": cid, "width_m": float(width), "kind": kind, "from_id": a, "to_id": b,
                     "status": status, "name_zh": zh, "name_en": en,
                     "source": "one of the twenty corridors of the city's 'one ridge, one belt, twenty "
                               "corridors' skeleton (park-city master plan 2022); which corridors the "
                               "plan counts and their courses are not published: this one is drawn "
                               "between the named patches along the named river or hills",
                     "confidence": "indicative"})
        geoms.append(g)
    return frame(rows, geoms)


def main() -> None:
    district, land = district_and_land()
    ridge = make_ridge(land, district)
    river = make_river(district)
    reservoirs = make_reservoirs(district)
    trails = make_trails(district)
    barriers = make_barriers(district)
    patches = make_patches(ridge, river, reservoirs, land, district)
    corridors = make_corridors(patches, river, land)
    for name, gdf in (("ridge", ridge), ("river", river), ("reservoirs", reservoirs), ("trails", trails),
                      ("barriers", barriers), ("patches", patches), ("corridors", corridors)):
        write_geojson(gdf, GEO / f"{name}.geojson")
        print(f"{name}: {len(gdf)} features")
    print(f"Maluan park: {ridge.loc['RG07'].geometry.area / 1e6:.2f} km2")
    for fid, *_rest in TRAILS:
        print(f"trail {fid}: {trails.loc[fid].geometry.length / 1000:.2f} km "
              f"(published {_rest[3]} km)")
    print(f"ridge trail: {trails.loc['TR05'].geometry.length / 1000:.2f} km; "
          f"river axis: {river.loc['PSR'].geometry.length / 1000:.2f} km")
    outside = reservoirs[~reservoirs.within(district.buffer(1))]
    print("reservoirs not inside the district:", list(outside.index))
    # The seed register of escape-bridge sites, placed on the layers just written.
    sites = synthesize(load_network(GEO), BRIDGES_N, seed=BRIDGES_SEED)
    write_geojson(sites, GEO / "bridges.geojson")
    print(f"bridges: {len(sites)} synthetic sites (seed {BRIDGES_SEED})")


if __name__ == "__main__":
    main()
