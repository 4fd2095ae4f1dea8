"""OpenStreetMap extracts and foreign GIS files into an ecomap data folder.

Two entry points, both writing a folder that :func:`ecomap.validate_data` accepts:

* :func:`import_osm` streams an OSM extract (``.osm.pbf`` or ``.osm`` XML) with pyosmium and
  writes the ``river``, ``reservoirs``, ``barriers``, ``trails``, ``patches`` and ``ridge``
  layers clipped to a boundary, plus the ``boundary`` layer itself.
* :func:`import_file` reads any OGR-readable file (Shapefile, GeoPackage, GeoJSON, ...) into one
  layer: columns renamed by a mapping, the CRS taken from the file or given (GCJ-02 explicit),
  every value checked against the catalogue.

Memory while reading OSM is bounded by the data near the boundary, not by the size of the
extract. The file is read in five streaming passes, each restricted to one kind of object:

1. relations: the multipolygons and hiking routes whose tags matter, and their member way ids;
2. nodes: the ids of the nodes inside the boundary's bounding box grown by ``margin_deg``;
3. ways: the tagged ways (and relation members) with at least one such node, with their node ids
   (ways without a key that matters are skipped by a C++ filter; untagged relation members
   are then read by id);
4. ways again, only the missing members of relations that reach the area (a C++ id filter);
5. nodes again, only the nodes those ways use (a C++ id filter), with their locations.

Geometries are then built with shapely in one go and clipped to the boundary in EPSG:4547.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from . import crs as _crs
from ._errors import DataError, InputError, Problem
from .io import file_digest, layer_path, write_geojson, write_text
from .layers import CONFIDENCE, check_extent, check_layer, spec
from .network import EXTENT_MARGIN_DEG, validate_data

__all__ = [
    "ImportResult",
    "OSM_LICENCE",
    "OSM_CONFIDENCE",
    "BARRIER_PERMEABILITY",
    "STRUCTURE_PERMEABILITY",
    "MARGIN_DEG",
    "OSM_LAYERS",
    "parse_bbox",
    "parse_mapping",
    "read_boundary",
    "read_osm",
    "import_osm",
    "read_gis_file",
    "import_file",
]

log = logging.getLogger(__name__)

#: Licence of every layer derived from OpenStreetMap.
OSM_LICENCE = "ODbL-1.0"
_OSM_ATTRIBUTION = (
    "Contains data from OpenStreetMap, (c) OpenStreetMap contributors, available under the "
    "Open Database License 1.0 (https://opendatacommons.org/licenses/odbl/1-0/); "
    "see https://www.openstreetmap.org/copyright."
)
#: ``confidence`` of OSM geometry: traced by mappers from imagery and GPS tracks.
OSM_CONFIDENCE = "digitized"
#: A way is read when one of its nodes lies this close (degrees, ~5 km) to the boundary's bbox.
MARGIN_DEG = 0.05
#: The layers :func:`import_osm` can write besides ``boundary``.
OSM_LAYERS = ("river", "reservoirs", "barriers", "trails", "patches", "ridge")

#: Default permeability of a barrier at grade, by kind (0 = impassable, 1 = no barrier).
BARRIER_PERMEABILITY: dict[str, float] = {
    "expressway": 0.05,
    "railway": 0.1,
    "arterial": 0.3,
    "dam": 0.05,
}
#: Permeability of tunnel and bridge sections, whatever the kind: a tunnel does not cut a
#: corridor at the surface, and animals pass under a bridge.
STRUCTURE_PERMEABILITY: dict[str, float] = {"tunnel": 1.0, "bridge": 0.8}

_BARRIER_HIGHWAY = {"motorway": "expressway", "trunk": "expressway", "primary": "arterial"}
_RIVER_WATERWAY = {"river": "axis", "stream": "tributary", "canal": "tributary"}
_TRAIL_HIGHWAY = {"path": "hiking", "track": "hiking", "footway": "greenway"}
_FOOTWAY_SKIP = {"sidewalk", "crossing", "traffic_island"}
_AREA_RELATION_TYPES = {"multipolygon", "boundary"}
_WAY_KEYS = ("waterway", "highway", "railway", "natural", "landuse", "leisure", "boundary")
_NO = {None, "", "no", "false", "0"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_COUNTRY_PARK = re.compile(r"郊野公园|country\s*park", re.IGNORECASE)
_FOREST_PARK = re.compile(r"森林公园|forest\s*park", re.IGNORECASE)
#: A tributary whose downstream end lies this close (m) to another river line flows into it.
_CONFLUENCE_M = 20.0
_README_MARK = "<!-- written by ecomap import; edit sources.json, not this file -->"


# --------------------------------------------------------------------------------------------
# small parsers
# --------------------------------------------------------------------------------------------
def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"minlon,minlat,maxlon,maxlat"`` (WGS-84 degrees) as four floats, checked."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        vals = tuple(float(p) for p in parts)
    except ValueError:
        raise InputError(f"--bbox {text!r}: expected four numbers minlon,minlat,maxlon,maxlat") from None
    if len(vals) != 4:
        raise InputError(f"--bbox {text!r}: expected four numbers minlon,minlat,maxlon,maxlat, got {len(vals)}")
    x0, y0, x1, y1 = vals
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise InputError(
            f"--bbox {text!r}: needs -180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90"
        )
    return x0, y0, x1, y1


def parse_mapping(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"old=new,old2=new2"`` as a dict; a mapping is returned as a plain dict."""
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return {str(k): str(v) for k, v in text.items()}
    out: dict[str, str] = {}
    for item in str(text).split(","):
        item = item.strip()
        if not item:
            continue
        old, sep, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new or "=" in new:
            raise InputError(f"--map {item!r}: expected old=new")
        if old in out:
            raise InputError(f"--map: column {old!r} is mapped twice")
        out[old] = new
    return out


def _names(tags: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(name_zh, name_en) from ``name:zh``/``name:zh-Hans``/``name:en`` and ``name``."""
    name = tags.get("name") or None
    zh = tags.get("name:zh") or tags.get("name:zh-Hans") or tags.get("name:zh-CN")
    en = tags.get("name:en")
    if not zh and name and _CJK.search(name):
        zh = name
    if not en and name and not _CJK.search(name):
        en = name
    return zh or None, en or None


# --------------------------------------------------------------------------------------------
# tag rules
# --------------------------------------------------------------------------------------------
def _line_rules(tags: Mapping[str, str]) -> list[tuple[str, dict]]:
    """The line layers a way's tags put it in, with the layer's own columns."""
    out: list[tuple[str, dict]] = []
    ww = tags.get("waterway")
    hw = tags.get("highway")
    if ww in _RIVER_WATERWAY:
        out.append(("river", {"rank": _RIVER_WATERWAY[ww], "waterway": ww}))
    kind = _BARRIER_HIGHWAY.get(hw) if hw else None
    if kind is None and tags.get("railway") == "rail":
        kind = "railway"
    if kind is None and ww == "dam":
        kind = "dam"
    if kind is not None:
        if tags.get("tunnel") not in _NO:
            structure = "tunnel"
        elif tags.get("bridge") not in _NO:
            structure = "bridge"
        else:
            structure = "surface"
        perm = STRUCTURE_PERMEABILITY.get(structure, BARRIER_PERMEABILITY[kind])
        out.append(("barriers", {"kind": kind, "permeability": perm, "structure": structure}))
    if hw in _TRAIL_HIGHWAY and not (hw == "footway" and tags.get("footway") in _FOOTWAY_SKIP):
        out.append(("trails", {"kind": _TRAIL_HIGHWAY[hw], "surface": tags.get("surface")}))
    return out


def _area_rules(tags: Mapping[str, str]) -> list[tuple[str, dict]]:
    """The polygon layers an area's tags put it in, with the layer's own columns."""
    out: list[tuple[str, dict]] = []
    if (tags.get("natural") == "water" and tags.get("water") in {"reservoir", "lake"}) or (
        tags.get("landuse") == "reservoir"
    ):
        out.append(("reservoirs", {"capacity": None}))
    leisure, boundary = tags.get("leisure"), tags.get("boundary")
    kind = None
    if leisure in {"nature_reserve", "park"}:
        kind = leisure
    elif boundary in {"protected_area", "national_park"}:
        kind = boundary
    elif tags.get("landuse") == "forest":
        kind = "forest"
    elif tags.get("natural") == "wood":
        kind = "wood"
    if kind is not None:
        out.append(("patches", {"kind": kind, "quality": None}))
        name = " ".join(v for k, v in tags.items() if k.startswith("name"))
        ridge = None
        if kind in {"nature_reserve", "protected_area", "national_park"}:
            ridge = "nature_reserve"
        elif kind == "park" and _COUNTRY_PARK.search(name):
            ridge = "country_park"
        elif kind == "park" and _FOREST_PARK.search(name):
            ridge = "forest"
        if ridge is not None:
            out.append(("ridge", {"kind": ridge, "elev_max_m": None}))
    return out


def _is_hiking_route(tags: Mapping[str, str]) -> bool:
    return tags.get("type") == "route" and tags.get("route") == "hiking"


# --------------------------------------------------------------------------------------------
# streaming passes
# --------------------------------------------------------------------------------------------
@dataclass
class _Relation:
    tags: dict[str, str]
    members: list[tuple[int, str]]
    kind: str  # "area" or "route"


@dataclass
class _Way:
    refs: np.ndarray
    tags: dict[str, str]


@dataclass
class _OsmRead:
    """Everything the passes collected: ways and relations near the area, node locations."""

    ways: dict[int, _Way] = field(default_factory=dict)
    members: dict[int, np.ndarray] = field(default_factory=dict)
    relations: dict[int, _Relation] = field(default_factory=dict)
    node_ids: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    node_xy: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))
    stats: dict[str, int] = field(default_factory=dict)


def _processor(path: Path, entities, *filters):
    import osmium

    fp = osmium.FileProcessor(str(path), entities)
    for f in filters:
        fp.with_filter(f)
    return fp


def _in_sorted(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` occur in the sorted array ``sorted_ids``."""
    if len(sorted_ids) == 0:
        return np.zeros(len(values), dtype=bool)
    pos = np.searchsorted(sorted_ids, values)
    pos[pos >= len(sorted_ids)] = 0
    return sorted_ids[pos] == values


#: Decoded blocks libosmium may read ahead of the Python loop (its default, 20, lets a slow
#: loop hold ~100 MB of decoded ways; 4 costs no measurable speed).
_READ_AHEAD_BLOCKS = "4"


@contextlib.contextmanager
def _bounded_read_ahead():
    """Limit libosmium's queue of decoded blocks, unless the user set it in the environment."""
    key = "OSMIUM_MAX_OSMDATA_QUEUE_SIZE"
    mine = key not in os.environ
    if mine:
        os.environ[key] = _READ_AHEAD_BLOCKS
    try:
        yield
    finally:
        if mine:
            os.environ.pop(key, None)


def _read_passes(path: Path, box: tuple[float, float, float, float], *, progress: bool = False) -> _OsmRead:
    with _bounded_read_ahead():
        return _read_passes_inner(path, box, progress=progress)


_TICK = 1 << 16  # objects between progress-bar updates


def _read_passes_inner(path: Path, box: tuple[float, float, float, float], *, progress: bool) -> _OsmRead:
    import osmium
    from tqdm import tqdm

    out = _OsmRead()
    t0 = time.perf_counter()

    # 1. relations that make areas or hiking routes
    rel_members: set[int] = set()
    for r in _processor(path, osmium.osm.RELATION, osmium.filter.KeyFilter("type")):
        rtype = r.tags.get("type")
        if rtype in _AREA_RELATION_TYPES:
            tags = dict(r.tags)
            if not _area_rules(tags):
                continue
            kind = "area"
        elif rtype == "route" and _is_hiking_route(r.tags):
            tags = dict(r.tags)
            kind = "route"
        else:
            continue
        members = [(m.ref, m.role) for m in r.members if m.type == "w"]
        out.relations[r.id] = _Relation(tags, members, kind)
        rel_members.update(w for w, _ in members)
    log.info("pass 1 (relations): %d relations kept, %.1f s", len(out.relations), time.perf_counter() - t0)

    # 2. nodes inside the bounding box (integer coordinates, 1e-7 degrees)
    t = time.perf_counter()
    x0, y0, x1, y1 = (int(round(v * 1e7)) for v in box)
    inside = array("q")
    n_nodes = 0
    bar = tqdm(desc="OSM nodes", unit=" nodes", unit_scale=True, disable=not progress, leave=False)
    for n in _processor(path, osmium.osm.NODE):
        n_nodes += 1
        if not n_nodes % _TICK:
            bar.update(_TICK)
        loc = n.location
        if x0 <= loc.x <= x1 and y0 <= loc.y <= y1:
            inside.append(n.id)
    bar.close()
    inside_ids = np.unique(np.frombuffer(inside, dtype=np.int64))
    del inside
    out.stats.update(nodes=n_nodes, nodes_inside=len(inside_ids))
    log.info("pass 2 (nodes): %d nodes, %d near the area, %.1f s", n_nodes, len(inside_ids),
             time.perf_counter() - t)

    # 3. ways with tags that matter (or relation members) that reach the area: first the
    # ways with one of the keys (a C++ filter skips buildings and the like), then the
    # relation members without any of those keys (a C++ id filter)
    t = time.perf_counter()
    member_touch: dict[int, bool] = {}
    n_ways = 0

    bar = tqdm(desc="OSM ways", unit=" ways", unit_scale=True, disable=not progress, leave=False)

    def scan(ways) -> None:
        nonlocal n_ways
        for w in ways:
            n_ways += 1
            if not n_ways % _TICK:
                bar.update(_TICK)
            wid = w.id
            is_member = wid in rel_members
            tagd = dict(w.tags)
            classified = bool(_line_rules(tagd)) or bool(_area_rules(tagd))
            if not (classified or is_member):
                continue
            refs = np.fromiter((nr.ref for nr in w.nodes), dtype=np.int64, count=len(w.nodes))
            touches = bool(_in_sorted(refs, inside_ids).any())
            if is_member:
                member_touch[wid] = touches
                if touches:
                    out.members[wid] = refs
            if classified and touches:
                out.ways[wid] = _Way(refs, tagd)

    scan(_processor(path, osmium.osm.WAY, osmium.filter.KeyFilter(*_WAY_KEYS)))
    untagged = rel_members - member_touch.keys()
    if untagged:
        scan(_processor(path, osmium.osm.WAY, osmium.filter.IdFilter(untagged)))
    bar.close()
    out.stats["ways"] = n_ways
    # relations reaching the area keep all their members, even the far ones
    for rid in list(out.relations):
        if not any(member_touch.get(w, False) for w, _ in out.relations[rid].members):
            del out.relations[rid]
    missing = {
        w for rel in out.relations.values() for w, _ in rel.members
        if w not in out.members and w in member_touch
    }
    log.info("pass 3 (ways): %d tagged ways, %d kept, %d relations reach the area, %.1f s", n_ways,
             len(out.ways), len(out.relations), time.perf_counter() - t)

    # 4. the far members of those relations
    if missing:
        t = time.perf_counter()
        for w in _processor(path, osmium.osm.WAY, osmium.filter.IdFilter(missing)):
            out.members[w.id] = np.fromiter((nr.ref for nr in w.nodes), dtype=np.int64,
                                            count=len(w.nodes))
        log.info("pass 4 (relation members): %d ways, %.1f s", len(missing), time.perf_counter() - t)

    # 5. locations of the nodes those ways use
    t = time.perf_counter()
    arrays = [w.refs for w in out.ways.values()] + list(out.members.values())
    needed = np.unique(np.concatenate(arrays)) if arrays else np.empty(0, np.int64)
    ids, lon, lat = array("q"), array("d"), array("d")
    if len(needed):
        for n in _processor(path, osmium.osm.NODE, osmium.filter.IdFilter(needed.tolist())):
            loc = n.location
            if loc.valid():
                ids.append(n.id)
                lon.append(loc.lon)
                lat.append(loc.lat)
    nid = np.frombuffer(ids, dtype=np.int64) if len(ids) else np.empty(0, np.int64)
    order = np.argsort(nid, kind="stable")
    out.node_ids = nid[order]
    out.node_xy = np.column_stack([np.frombuffer(lon, dtype=float) if len(lon) else np.empty(0),
                                   np.frombuffer(lat, dtype=float) if len(lat) else np.empty(0)])[order]
    log.info("pass 5 (node locations): %d nodes, %.1f s (all passes %.1f s)", len(nid),
             time.perf_counter() - t, time.perf_counter() - t0)
    return out


# --------------------------------------------------------------------------------------------
# geometry
# --------------------------------------------------------------------------------------------
def _lines(read: _OsmRead, refs_list: list[np.ndarray]) -> np.ndarray:
    """LineStrings (WGS-84) for node-id arrays; None where fewer than two nodes are known."""
    out = np.full(len(refs_list), None, dtype=object)
    if not refs_list:
        return out
    lengths = np.array([len(r) for r in refs_list])
    flat = np.concatenate(refs_list) if lengths.sum() else np.empty(0, np.int64)
    owner = np.repeat(np.arange(len(refs_list)), lengths)
    found = _in_sorted(flat, read.node_ids)
    pos = np.searchsorted(read.node_ids, flat[found])
    xy = read.node_xy[pos]
    owner = owner[found]
    counts = np.bincount(owner, minlength=len(refs_list))
    keep = counts >= 2
    sel = keep[owner]
    if sel.any():
        have, dense = np.unique(owner[sel], return_inverse=True)  # indices without gaps
        out[have] = shapely.linestrings(xy[sel], indices=dense)
    return out


def _polygon_from_rings(outer: Iterable, inner: Iterable) -> shapely.Geometry | None:
    """A (Multi)Polygon from outer and inner ring lines, as ``union(outers) - union(inners)``."""
    outer = [g for g in outer if g is not None]
    inner = [g for g in inner if g is not None]
    if not outer:
        return None
    outer_polys = shapely.get_parts(shapely.polygonize(outer))
    if len(outer_polys) == 0:
        return None
    result = shapely.union_all(shapely.make_valid(outer_polys))
    if inner:
        inner_polys = shapely.get_parts(shapely.polygonize(inner))
        if len(inner_polys):
            result = shapely.difference(result, shapely.union_all(shapely.make_valid(inner_polys)))
    return result


def _keep_dimension(geoms: np.ndarray, dim: int) -> np.ndarray:
    """Only the parts of dimension ``dim`` of each geometry; single parts come back unwrapped."""
    out = np.full(len(geoms), None, dtype=object)
    if len(geoms) == 0:
        return out
    parts, idx = shapely.get_parts(geoms, return_index=True)
    # nested collections (a clip that returns a GeometryCollection of MultiLineStrings)
    parts2, idx2 = shapely.get_parts(parts, return_index=True)
    idx = idx[idx2]
    parts = parts2
    ok = (shapely.get_dimensions(parts) == dim) & ~shapely.is_empty(parts)
    parts, idx = parts[ok], idx[ok]
    if len(parts) == 0:
        return out
    have, dense = np.unique(idx, return_inverse=True)  # shapely wants indices without gaps
    counts = np.bincount(dense)
    if dim == 1:
        multi = shapely.multilinestrings(parts, indices=dense)
    else:
        multi = shapely.multipolygons(parts, indices=dense)
    single = counts == 1
    vals = np.asarray(multi, dtype=object)
    vals[single] = shapely.get_geometry(vals[single], 0)
    if dim == 2:  # parts that touch along an edge (from make_valid) are dissolved
        bad = np.flatnonzero(~shapely.is_valid(vals))
        vals[bad] = [shapely.union_all(shapely.get_parts(v)) for v in vals[bad]]
    out[have] = vals
    return out


def _frame(rows: list[dict], layer: str) -> gpd.GeoDataFrame:
    """Rows (WGS-84 geometry under ``geometry``) as a layer frame in EPSG:4326."""
    s = spec(layer)
    cols = ["id", *s.column_names]
    data = {c: [r.get(c) for r in rows] for c in cols}
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([r["geometry"] for r in rows], crs=_crs.WGS84),
                           crs=_crs.WGS84)
    return gdf


def _common(tags: Mapping[str, str], source: str) -> dict:
    zh, en = _names(tags)
    return {"name_zh": zh, "name_en": en, "source": source, "confidence": OSM_CONFIDENCE}


def _merge_rivers(rows: list[dict]) -> list[dict]:
    """Merge named river ways of the same name and ``waterway`` into continuous lines.

    Ways are joined head to tail only (``line_merge(directed=True)``), so every merged
    line keeps the direction the ways were drawn in (downstream, by OSM convention).
    """
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    out: list[dict] = []
    for r in rows:
        name = r["_tags"].get("name")
        if name:
            groups[(name, r["waterway"])].append(r)
        else:
            out.append(r)
    for group in groups.values():
        if len(group) == 1:
            out.append(group[0])
            continue
        geoms = np.array([r["geometry"] for r in group], dtype=object)
        parts = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(geoms), directed=True))
        way_i, part_i = shapely.STRtree(parts).query(geoms, predicate="covered_by")
        if len(way_i) == 0:
            out.extend(group)
            continue
        way_i, first_hit = np.unique(way_i, return_index=True)  # one part per way
        part_i = part_i[first_hit]
        pos = shapely.line_locate_point(parts[part_i], shapely.get_point(geoms[way_i], 0))
        order = np.lexsort((pos, part_i))
        way_i, part_i = way_i[order], part_i[order]
        bounds = np.flatnonzero(np.diff(part_i)) + 1
        for members, part in zip(np.split(way_i, bounds), part_i[np.r_[0, bounds]], strict=True):
            row = dict(group[members[0]])  # the most upstream way gives the line its id
            row["geometry"] = parts[part]
            row["source"] = ";".join(group[m]["source"] for m in members)
            out.append(row)
    return out


def _river_parents(gdf: gpd.GeoDataFrame) -> list[str | None]:
    """For each tributary, the id of the river line its downstream end meets (within 20 m)."""
    parents: list[str | None] = [None] * len(gdf)
    if len(gdf) < 2:
        return parents
    ends = shapely.get_point(shapely.get_geometry(gdf.geometry.values, -1), -1)
    ends = np.where(shapely.is_missing(ends),
                    shapely.get_point(gdf.geometry.values, -1), ends)
    left, right = gdf.sindex.query(ends, predicate="dwithin", distance=_CONFLUENCE_M)
    other = left != right
    left, right = left[other], right[other]
    if len(left) == 0:
        return parents
    dist = shapely.distance(ends[left], gdf.geometry.values[right])
    order = np.lexsort((dist, left))
    left, right = left[order], right[order]
    first = np.unique(left, return_index=True)[1]
    ids = gdf["id"].to_numpy()
    ranks = gdf["rank"].to_numpy()
    for li, ri in zip(left[first], right[first], strict=True):
        if ranks[li] == "tributary":
            parents[li] = str(ids[ri])
    return parents


def _build_layers(read: _OsmRead) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {name: [] for name in OSM_LAYERS}
    way_items = list(read.ways.items())
    closed = np.array([len(w.refs) >= 4 and w.refs[0] == w.refs[-1] for _, w in way_items], dtype=bool)
    lines = _lines(read, [w.refs for _, w in way_items])
    # ways that belong to a hiking route are drawn as the route, not again on their own
    route_ways = {w for r in read.relations.values() if r.kind == "route" for w, _ in r.members}
    for (wid, way), line, is_closed in zip(way_items, lines, closed, strict=True):
        if line is None:
            continue
        source = f"osm:way/{wid}"
        base = {"id": f"w{wid}", "_tags": way.tags, **_common(way.tags, source)}
        for layer, attrs in _line_rules(way.tags):
            if layer == "trails" and wid in route_ways:
                continue
            rows[layer].append({**base, **attrs, "geometry": line})
        if is_closed and way.tags.get("area") != "no":
            area_rules = _area_rules(way.tags)
            ring = shapely.get_coordinates(line)
            if area_rules and len(ring) >= 4 and (ring[0] == ring[-1]).all():
                poly = shapely.make_valid(shapely.polygons(ring))
                for layer, attrs in area_rules:
                    rows[layer].append({**base, **attrs, "geometry": poly})
    member_ids = list(read.members)
    member_lines = dict(zip(member_ids, _lines(read, [read.members[w] for w in member_ids]), strict=True))
    for rid, rel in read.relations.items():
        source = f"osm:relation/{rid}"
        base = {"id": f"r{rid}", "_tags": rel.tags, **_common(rel.tags, source)}
        got = [(member_lines.get(w), role) for w, role in rel.members]
        if len([g for g, _ in got if g is not None]) < len(rel.members):
            log.info("relation %d: %d of %d member ways are missing from the extract", rid,
                     sum(g is None for g, _ in got), len(rel.members))
        if rel.kind == "route":
            parts = [g for g, _ in got if g is not None]
            if not parts:
                continue
            geom = shapely.line_merge(shapely.multilinestrings(parts))
            rows["trails"].append({**base, "kind": "hiking", "surface": rel.tags.get("surface"),
                                   "geometry": geom})
            continue
        poly = _polygon_from_rings(
            [g for g, role in got if role in {"outer", ""}],
            [g for g, role in got if role == "inner"],
        )
        if poly is None or poly.is_empty:
            log.info("relation %d: its rings do not close; skipped", rid)
            continue
        for layer, attrs in _area_rules(rel.tags):
            rows[layer].append({**base, **attrs, "geometry": poly})
    rows["river"] = _merge_rivers(rows["river"])
    return rows


def read_osm(
    path: str | os.PathLike,
    boundary: shapely.Geometry,
    *,
    margin_deg: float = MARGIN_DEG,
    progress: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """Read an OSM extract into ecomap layers clipped to ``boundary``.

    Parameters
    ----------
    path
        An ``.osm.pbf`` or ``.osm`` (XML) file; read in streaming passes, never whole.
    boundary
        The area to keep, a (Multi)Polygon in WGS-84 longitude/latitude.
    margin_deg
        Ways are read when one of their nodes lies within this many degrees of the
        boundary's bounding box; their geometry is then clipped to the boundary itself.
    progress
        Show progress bars (tqdm, on stderr) over the node and way passes.

    Returns
    -------
    dict
        ``{layer: GeoDataFrame}`` for each of :data:`OSM_LAYERS`, in EPSG:4547, indexed by
        ``id`` (``w<way id>`` or ``r<relation id>``), with the catalogue's columns; ``source``
        holds ``osm:way/<id>`` or ``osm:relation/<id>`` (``;``-separated for merged rivers).

    Raises
    ------
    InputError
        The file is missing or not a readable OSM file, or no node of it lies near the boundary.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such OSM file")
    if not 0 <= margin_deg <= 5:
        raise InputError(f"margin {margin_deg:g} degrees: give 0 to 5 degrees")
    x0, y0, x1, y1 = shapely.bounds(boundary)
    box = (x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg)
    try:
        read = _read_passes(path, box, progress=progress)
    except RuntimeError as exc:
        raise InputError(f"{path}: not a readable OSM file: {_first_line(exc)}") from None
    if read.stats.get("nodes_inside", 0) == 0:
        raise InputError(
            f"{path}: none of its {read.stats.get('nodes', 0)} nodes lies within {margin_deg:g} degrees "
            f"of the boundary (bounds {x0:.4f},{y0:.4f},{x1:.4f},{y1:.4f}): the boundary does not "
            "overlap the extract"
        )
    rows = _build_layers(read)
    # clip in longitude/latitude, where the boundary is defined and stored: a --bbox is
    # a box in degrees, and its edges are not straight lines in EPSG:4547
    layers: dict[str, gpd.GeoDataFrame] = {}
    for name in OSM_LAYERS:
        gdf = _frame(rows[name], name)
        dim = 1 if spec(name).kind == "line" else 2
        geoms = gdf.geometry.values
        if dim == 2:
            geoms = shapely.make_valid(geoms)
        clipped = _keep_dimension(shapely.intersection(geoms, boundary), dim)
        keep = ~shapely.is_missing(clipped)
        broken = keep & ~shapely.is_valid(clipped)  # e.g. a way whose nodes all coincide
        if broken.any():
            log.warning("%s: %d features with invalid geometry left out: %s", name, int(broken.sum()),
                        ", ".join(gdf["id"][broken].astype(str)[:10]))
            keep &= ~broken
        gdf = gdf.set_geometry(gpd.GeoSeries(clipped, index=gdf.index, crs=_crs.WGS84))[keep]
        gdf = gdf.drop_duplicates("id").to_crs(_crs.INTERNAL)
        if name == "river":
            gdf["parent_id"] = _river_parents(gdf.reset_index(drop=True))
        layers[name] = gdf.set_index("id")
        log.info("%s: %d features", name, len(gdf))
    return layers


# --------------------------------------------------------------------------------------------
# boundary
# --------------------------------------------------------------------------------------------
def read_boundary(
    *,
    path: str | os.PathLike | None = None,
    bbox: tuple[float, float, float, float] | str | None = None,
    crs: str | None = None,
    adcode: str | None = None,
) -> gpd.GeoDataFrame:
    """The study area as a one-feature ``boundary`` layer in WGS-84 (``id`` a column).

    Exactly one of ``path`` (any OGR-readable polygon file; its features are dissolved, its
    CRS read from the file or given by ``crs``, ``gcj02`` included) and ``bbox``
    (``minlon, minlat, maxlon, maxlat`` in WGS-84) must be given.
    """
    if (path is None) == (bbox is None):
        raise InputError("give exactly one of --boundary FILE and --bbox minlon,minlat,maxlon,maxlat")
    if bbox is not None:
        box = parse_bbox(bbox) if isinstance(bbox, str) else parse_bbox(",".join(map(str, bbox)))
        geom = shapely.box(*box)
        row = {"id": "boundary", "adcode": adcode or "unknown", "name_zh": None, "name_en": None,
               "source": "bbox " + ",".join(str(v) for v in box), "confidence": "indicative"}
    else:
        path = Path(path)
        gdf = _read_ogr(path, None)
        gdf = _assign_crs(gdf, crs, path)
        polys = gdf.geometry.values[shapely.get_dimensions(gdf.geometry.values) == 2]
        if len(polys) == 0:
            raise InputError(f"{path}: the boundary file holds no polygon")
        geom = shapely.union_all(shapely.make_valid(shapely.force_2d(polys)))
        geom = _keep_dimension(np.array([geom], dtype=object), 2)[0]
        first = gdf.iloc[0]

        def pick(col: str, default=None):
            v = first.get(col) if col in gdf.columns else None
            return default if _missing(v) else _as_text(v)

        row = {"id": pick("id", "boundary"), "adcode": adcode or pick("adcode", "unknown"),
               "name_zh": pick("name_zh"), "name_en": pick("name_en"),
               "source": f"file:{path.name}", "confidence": pick("confidence", "digitized")}
        if row["confidence"] not in CONFIDENCE:
            row["confidence"] = "digitized"
    return gpd.GeoDataFrame({k: [v] for k, v in row.items()}, geometry=[geom], crs=_crs.WGS84)


# --------------------------------------------------------------------------------------------
# writing a data folder
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the folder, the feature count per layer, and the files."""

    out_dir: Path
    counts: dict[str, int]
    files: tuple[Path, ...]


def _check_new_folder(out_dir: Path, *, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise InputError(f"{out_dir}: folder exists and is not empty; use --overwrite to replace it")


@contextlib.contextmanager
def _new_folder(out_dir: Path, *, overwrite: bool):
    """Yield a temporary folder beside ``out_dir``; on success it becomes ``out_dir``.

    An existing non-empty ``out_dir`` is replaced only with ``overwrite``, and only at the
    very end (old folder renamed aside, new one renamed in, old one removed).
    """
    out_dir = Path(out_dir)
    _check_new_folder(out_dir, overwrite=overwrite)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        yield tmp
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
            old.rmdir()
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_sources(folder: Path, entries: Mapping[str, dict]) -> list[Path]:
    """Merge ``entries`` into ``sources.json`` and rewrite the folder's README (ODbL note)."""
    manifest_path = folder / "sources.json"
    manifest: dict = {"layers": {}}
    if manifest_path.exists():
        with contextlib.suppress(ValueError, OSError):
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            manifest.setdefault("layers", {})
    manifest["layers"].update(entries)
    written = [write_text(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")]
    readme = folder / "README.md"
    if readme.exists() and _README_MARK not in readme.read_text(encoding="utf-8", errors="replace"):
        readme = folder / "SOURCES.md"  # never overwrite a README someone else wrote
    lines = [
        _README_MARK,
        "# Data folder",
        "",
        "Layers of an ecomap data folder (`ecomap validate --data .` checks them).",
        "",
        "| layer | features | source | licence | confidence | imported |",
        "|---|---|---|---|---|---|",
    ]
    layers = manifest["layers"]
    for name in sorted(layers):
        e = layers[name]
        lines.append(f"| {name} | {e.get('features', '')} | {e.get('source', '')} | "
                     f"{e.get('licence', '')} | {e.get('confidence', '')} | {e.get('imported', '')} |")
    osm = sorted(n for n, e in layers.items() if e.get("licence") == OSM_LICENCE)
    if osm:
        lines += [
            "",
            "## Licence of the OpenStreetMap layers",
            "",
            f"{', '.join(osm)}: {_OSM_ATTRIBUTION}",
            "If you publish these layers, or a database derived from them, attribute "
            "OpenStreetMap and share the derived database under the ODbL.",
        ]
    others = sorted(set(layers) - set(osm))
    if others:
        lines += ["", "The other layers keep the licence of the files they were imported from: "
                  + ", ".join(others) + "."]
    written.append(write_text(readme, "\n".join(lines) + "\n"))
    return written


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def import_osm(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    boundary: str | os.PathLike | None = None,
    bbox: tuple[float, float, float, float] | str | None = None,
    boundary_crs: str | None = None,
    adcode: str | None = None,
    margin_deg: float = MARGIN_DEG,
    overwrite: bool = False,
    progress: bool = False,
) -> ImportResult:
    """Import an OSM extract into a new data folder clipped to a boundary.

    Writes ``boundary.geojson`` and each non-empty layer of :data:`OSM_LAYERS`, plus
    ``sources.json`` and a README that says the OSM layers are ODbL. Everything is written
    into a temporary folder beside ``out_dir``, checked with :func:`ecomap.validate_data`,
    and renamed into place only when it passes: a failure leaves no half-written folder.

    Parameters
    ----------
    path
        The OSM extract (``.osm.pbf`` or ``.osm``).
    out_dir
        The data folder to create (an existing non-empty one only with ``overwrite``).
    boundary, bbox, boundary_crs, adcode
        The study area: see :func:`read_boundary`.
    margin_deg, progress
        See :func:`read_osm`.
    """
    path = Path(path)
    out_dir = Path(out_dir)
    _check_new_folder(out_dir, overwrite=overwrite)  # before the long read
    bnd = read_boundary(path=boundary, bbox=bbox, crs=boundary_crs, adcode=adcode)
    layers = read_osm(path, bnd.geometry.iloc[0], margin_deg=margin_deg, progress=progress)
    digest = file_digest(path)
    counts: dict[str, int] = {"boundary": 1}
    with _new_folder(out_dir, overwrite=overwrite) as tmp:
        files = [write_geojson(bnd, layer_path(tmp, "boundary"))]
        stamp = _now()
        entries = {"boundary": {"source": bnd["source"].iloc[0], "licence": "", "features": 1,
                                "confidence": bnd["confidence"].iloc[0], "imported": stamp}}
        for name, gdf in layers.items():
            counts[name] = len(gdf)
            if gdf.empty:
                continue
            files.append(write_geojson(gdf, layer_path(tmp, name)))
            entries[name] = {"source": f"OpenStreetMap extract {path.name} (sha256 {digest[:12]})",
                             "licence": OSM_LICENCE, "features": len(gdf),
                             "confidence": OSM_CONFIDENCE, "imported": stamp}
        files += _write_sources(tmp, entries)
        problems = validate_data(tmp)
        if problems:
            raise DataError([Problem(str(out_dir / Path(p.file).name), p.feature, p.rule) for p in problems])
    return ImportResult(out_dir, counts, tuple(out_dir / f.name for f in files))


# --------------------------------------------------------------------------------------------
# foreign GIS files
# --------------------------------------------------------------------------------------------
def _read_ogr(path: Path, source_layer: str | None) -> gpd.GeoDataFrame:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = pyogrio.read_dataframe(path, layer=source_layer)
    except Exception as exc:  # pyogrio's DataSourceError, DataLayerError, ...
        raise InputError(f"{path}: not readable as a GIS file: {_first_line(exc)}") from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
        raise InputError(f"{path}: has no geometry column")
    return gdf


def _assign_crs(gdf: gpd.GeoDataFrame, crs: str | None, path: Path) -> gpd.GeoDataFrame:
    """The frame in WGS-84, its CRS taken from the file or from ``crs`` (``gcj02`` explicit)."""
    if crs is not None:
        target = _crs.parse_crs(crs)
        if target == _crs.GCJ02:
            if gdf.crs is not None and not pyproj.CRS(gdf.crs).is_geographic:
                raise InputError(f"{path}: --crs gcj02 needs longitude/latitude degrees, but the file "
                                 f"is in {pyproj.CRS(gdf.crs).name}")
            return _crs.from_gcj02(gdf.set_crs(_crs.WGS84, allow_override=True))
        if gdf.crs is not None and pyproj.CRS(gdf.crs) != pyproj.CRS(target):
            log.warning("%s: the file says %s; using %s as given", path, gdf.crs, target)
        gdf = gdf.set_crs(target, allow_override=True)
    elif gdf.crs is None:
        raise InputError(f"{path}: the file has no CRS; give one with --crs (EPSG:4547, wgs84, gcj02)")
    return gdf.to_crs(_crs.WGS84)


def read_gis_file(
    layer: str,
    path: str | os.PathLike,
    *,
    crs: str | None = None,
    mapping: Mapping[str, str] | str | None = None,
    source_layer: str | None = None,
    source: str | None = None,
    confidence: str = "digitized",
) -> gpd.GeoDataFrame:
    """Read an OGR-readable file as one ecomap layer, checked against the catalogue.

    Parameters
    ----------
    layer
        The ecomap layer (``corridors``, ``patches``, ``bridges``, ...).
    path
        Shapefile, GeoPackage, GeoJSON or any other file GDAL reads.
    crs
        The file's CRS when it has none or a wrong one: ``EPSG:nnnn``, ``wgs84`` or ``gcj02``
        (longitude/latitude in GCJ-02, converted to WGS-84). Default: the file's own.
    mapping
        ``{old: new}`` column renames (or ``"old=new,..."``); every ``old`` must be a column
        of the file, every ``new`` a column of the layer or ``id``. Columns that are not in
        the layer after renaming are dropped.
    source_layer
        The layer inside a multi-layer file (GeoPackage); default the first.
    source, confidence
        Filled in where the file has no ``source`` (default ``file:<name>``) or no
        ``confidence`` column. Without an ``id`` column, ids are ``<layer>-<row>``; a
        column the layer requires but allows empty (``from_id``) is added empty.

    Returns
    -------
    GeoDataFrame
        In EPSG:4547, indexed by ``id``, with the layer's columns.

    Raises
    ------
    DataError
        Listing every problem (``FILE: feature ID: rule``), as ``ecomap validate`` does.
    """
    try:
        s = spec(layer)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    path = Path(path)
    mapping = parse_mapping(mapping)
    if confidence not in CONFIDENCE:
        raise InputError(f"--confidence {confidence!r} is not one of {', '.join(CONFIDENCE)}")
    gdf = _read_ogr(path, source_layer)
    if gdf.empty:
        raise InputError(f"{path}: holds no features")
    geom_name = gdf.geometry.name
    columns = [c for c in gdf.columns if c != geom_name]
    unknown = [old for old in mapping if old not in columns]
    if unknown:
        raise InputError(f"{path}: --map names no column {', '.join(map(repr, unknown))}; "
                         f"the file's columns are: {', '.join(columns) or '(none)'}")
    allowed = {"id", *s.column_names}
    bad = [new for new in mapping.values() if new not in allowed]
    if bad:
        raise InputError(f"--map: {', '.join(map(repr, bad))} is not a column of layer {layer!r}; "
                         f"its columns are: id, {', '.join(s.column_names)}")
    targets = list(mapping.values())
    if len(set(targets)) != len(targets):
        raise InputError("--map: two columns are mapped to the same name")
    gdf = gdf.rename(columns=mapping)
    clash = [c for c in mapping.values() if list(gdf.columns).count(c) > 1]
    if clash:
        raise InputError(f"{path}: --map makes a second column named {clash[0]!r}; map the old one away too")
    dropped = [c for c in gdf.columns if c != geom_name and c not in allowed]
    if dropped:
        log.info("%s: columns not in layer %s dropped: %s", path, layer, ", ".join(dropped))
    gdf = gdf[[c for c in gdf.columns if c in allowed] + [geom_name]]
    if "id" not in gdf.columns:
        gdf.insert(0, "id", [f"{layer}-{i + 1}" for i in range(len(gdf))])
    if "source" not in gdf.columns:
        gdf["source"] = source or f"file:{path.name}"
    if "confidence" not in gdf.columns:
        gdf["confidence"] = confidence
    for c in s.columns:  # a column that may be empty is added empty (from_id, installed, ...)
        if c.required and c.nullable and c.name not in gdf.columns:
            gdf[c.name] = None
    gdf = _assign_crs(gdf, crs, path)
    if gdf.geometry.name != "geometry":
        gdf = gdf.rename_geometry("geometry")
    gdf["geometry"] = gpd.GeoSeries(shapely.force_2d(gdf.geometry.values), index=gdf.index, crs=gdf.crs)
    for c in ["id", *s.column_names]:
        if c not in gdf.columns:
            continue
        col = gdf[c]
        dtype = "str" if c == "id" else s.column(c).dtype
        if pd.api.types.is_datetime64_any_dtype(col):
            gdf[c] = col.dt.strftime("%Y-%m-%d").where(col.notna(), None)
        elif dtype in {"str", "date"}:
            gdf[c] = [None if _missing(v) else (v.isoformat() if isinstance(v, _dt.date) else _as_text(v))
                      for v in col]
    problems = check_layer(gdf, layer, file=str(path))
    if problems:
        raise DataError(problems)
    out = gdf.copy()
    for c in s.columns:
        if c.name not in out.columns:
            out[c.name] = np.nan if c.dtype in {"float", "int"} else None
        elif c.dtype in {"float", "int"}:
            out[c.name] = pd.to_numeric(out[c.name], errors="coerce").astype("float64")
    out["id"] = out["id"].astype(str)
    return out.set_index("id").to_crs(_crs.INTERNAL)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or str(v).strip() == ""


def _as_text(v) -> str:
    """A cell as text; whole floats (a Shapefile's integer read as 5.0) lose their ``.0``."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def import_file(
    layer: str,
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    crs: str | None = None,
    mapping: Mapping[str, str] | str | None = None,
    source_layer: str | None = None,
    source: str | None = None,
    confidence: str = "digitized",
    overwrite: bool = False,
) -> ImportResult:
    """Import a GIS file as one layer of a data folder (created if needed).

    The file is read and checked with :func:`read_gis_file`; when the folder already has a
    boundary, features are also checked to lie within its extent, as ``ecomap validate``
    does. Nothing is written unless every check passes; the layer file is written
    atomically, and an existing layer is replaced only with ``overwrite``.
    """
    path = Path(path)
    out_dir = Path(out_dir)
    gdf = read_gis_file(layer, path, crs=crs, mapping=mapping, source_layer=source_layer,
                        source=source, confidence=confidence)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: exists and is not a folder")
    target = layer_path(out_dir, layer)
    if target.exists() and not overwrite:
        raise InputError(f"{target}: exists; use --overwrite to replace it")
    bpath = layer_path(out_dir, "boundary")
    if layer != "boundary" and bpath.exists() and len(gdf):
        try:
            bounds = gpd.read_file(bpath).total_bounds
        except Exception as exc:  # an unreadable boundary is reported, not fatal to the import
            log.warning("%s: not readable (%s); extent not checked", bpath, _first_line(exc))
        else:
            m = EXTENT_MARGIN_DEG
            extent = (bounds[0] - m, bounds[1] - m, bounds[2] + m, bounds[3] + m)
            wgs = gdf.to_crs(_crs.WGS84).reset_index()
            problems = check_extent(wgs, extent, file=str(path))
            if problems:
                raise DataError(problems)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [write_geojson(gdf, target)]
    files += _write_sources(out_dir, {layer: {
        "source": f"file {path.name}" + (f" (layer {source_layer})" if source_layer else ""),
        "licence": "", "features": len(gdf), "confidence": ", ".join(sorted(set(gdf["confidence"]))),
        "imported": _now(),
    }})
    return ImportResult(out_dir, {layer: len(gdf)}, tuple(files))

