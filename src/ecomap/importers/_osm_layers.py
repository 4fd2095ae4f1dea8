"""What the OSM passes read, as rows of ecomap layers: ways, areas, routes and rivers.

Geometry is built with shapely in one go (WGS-84 longitude/latitude); clipping to the
boundary and the move to EPSG:4547 happen afterwards in :mod:`ecomap.importers.osm`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import shapely

from .. import crs as _crs
from ..layers import spec
from ._osm_passes import _in_sorted, _OsmRead
from ._osm_tags import OSM_CONFIDENCE, OSM_LAYERS, _area_rules, _line_rules, _names

log = logging.getLogger(__package__)

#: A tributary whose downstream end lies this close (m) to another river line flows into it.
_CONFLUENCE_M = 20.0


def _lines(read: _OsmRead, refs_list: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """LineStrings (WGS-84) for node-id arrays, never bridging a node missing from the extract.

    A way whose nodes are all known is one LineString. A way cut by the extract (some node
    locations missing) is split into the runs of consecutive known nodes: a LineString for
    one run of two or more nodes, a MultiLineString for several; no segment joins two nodes
    that were not neighbours in the way. None where no run has two nodes.

    Returns
    -------
    lines : numpy.ndarray of object
        One geometry (or None) per way.
    cut : numpy.ndarray of bool
        True for the ways with a missing node.
    """
    out = np.full(len(refs_list), None, dtype=object)
    cut = np.zeros(len(refs_list), dtype=bool)
    if not refs_list:
        return out, cut
    lengths = np.array([len(r) for r in refs_list])
    flat = np.concatenate(refs_list) if lengths.sum() else np.empty(0, np.int64)
    owner = np.repeat(np.arange(len(refs_list)), lengths)
    found = _in_sorted(flat, read.node_ids)
    xy = np.full((len(flat), 2), np.nan)
    xy[found] = read.node_xy[np.searchsorted(read.node_ids, flat[found])]
    cut[np.unique(owner[~found])] = True
    whole = ~cut[owner]
    counts = np.bincount(owner[whole], minlength=len(refs_list))
    sel = whole & (counts >= 2)[owner]
    if sel.any():
        have, dense = np.unique(owner[sel], return_inverse=True)  # indices without gaps
        out[have] = shapely.linestrings(xy[sel], indices=dense)
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    for i in np.flatnonzero(cut):  # few: the ways crossing the edge of the extract
        ok = found[starts[i]: starts[i] + lengths[i]]
        pts = xy[starts[i]: starts[i] + lengths[i]]
        edges = np.flatnonzero(np.diff(np.r_[0, ok.astype(np.int8), 0]))
        runs = [pts[a:b] for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= 2]
        if runs:
            out[i] = shapely.linestrings(runs[0]) if len(runs) == 1 else shapely.multilinestrings(
                [shapely.linestrings(r) for r in runs])
    return out, cut


def _polygon_from_rings(outer: Iterable, inner: Iterable) -> shapely.Geometry | None:
    """Build a (Multi)Polygon from outer and inner ring lines, as ``union(outers) - union(inners)``."""
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


def _frame(rows: list[dict], layer: str) -> gpd.GeoDataFrame:
    """Rows (WGS-84 geometry under ``geometry``) as a layer frame in EPSG:4326."""
    s = spec(layer)
    cols = ["id", *s.column_names]
    data = {c: [r.get(c) for r in rows] for c in cols}
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([r["geometry"] for r in rows], crs=_crs.WGS84),
                           crs=_crs.WGS84)
    return gdf


def _common_columns(tags: Mapping[str, str], source: str) -> dict:
    """Return the columns every OSM feature has: names, ``source`` and ``confidence``."""
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
    """Rows of each of :data:`OSM_LAYERS` from the ways and relations read (WGS-84).

    ``read.stats`` gains ``ways_split`` (ways cut by the extract, kept as the pieces whose
    nodes are present) and ``areas_dropped`` (areas with a ring missing a node or a way).
    """
    read.stats["ways_split"] = 0
    read.stats["areas_dropped"] = 0
    rows: dict[str, list[dict]] = {name: [] for name in OSM_LAYERS}
    _way_rows(read, rows)
    _relation_rows(read, rows)
    rows["river"] = _merge_rivers(rows["river"])
    return rows


def _way_rows(read: _OsmRead, rows: dict[str, list[dict]]) -> None:
    """Add the tagged ways: as lines, and closed ways also as areas."""
    way_items = list(read.ways.items())
    closed = np.array([len(w.refs) >= 4 and w.refs[0] == w.refs[-1] for _, w in way_items], dtype=bool)
    lines, cut = _lines(read, [w.refs for _, w in way_items])
    # ways that belong to a hiking route are drawn as the route, not again on their own
    route_ways = {w for r in read.relations.values() if r.kind == "route" for w, _ in r.members}
    for (wid, way), line, is_closed, is_cut in zip(way_items, lines, closed, cut, strict=True):
        area_rules = _area_rules(way.tags) if is_closed and way.tags.get("area") != "no" else []
        if is_cut and area_rules:
            read.stats["areas_dropped"] += 1
            log.info("way %d: an area ring with nodes missing from the extract; dropped", wid)
        line_rules = _line_rules(way.tags)
        if is_cut and line_rules and line is not None:
            read.stats["ways_split"] += 1
        if line is None:
            continue
        source = f"osm:way/{wid}"
        base = {"id": f"w{wid}", "_tags": way.tags, **_common_columns(way.tags, source)}
        pieces = shapely.get_parts(line) if is_cut else [line]
        for layer, attrs in line_rules:
            if layer == "trails" and wid in route_ways:
                continue
            for k, piece in enumerate(pieces):
                rows[layer].append({**base, "id": base["id"] + (f"-{k + 1}" if k else ""), **attrs,
                                    "geometry": piece})
        if area_rules and not is_cut:
            ring = shapely.get_coordinates(line)
            if area_rules and len(ring) >= 4 and (ring[0] == ring[-1]).all():
                poly = shapely.make_valid(shapely.polygons(ring))
                for layer, attrs in area_rules:
                    rows[layer].append({**base, **attrs, "geometry": poly})


def _relation_rows(read: _OsmRead, rows: dict[str, list[dict]]) -> None:
    """Add the relations: hiking routes as trails, multipolygons as areas."""
    member_ids = list(read.members)
    lines, cut = _lines(read, [read.members[w] for w in member_ids])
    member_lines = dict(zip(member_ids, lines, strict=True))
    member_cut = {w for w, c in zip(member_ids, cut, strict=True) if c}
    for rid, rel in read.relations.items():
        source = f"osm:relation/{rid}"
        base = {"id": f"r{rid}", "_tags": rel.tags, **_common_columns(rel.tags, source)}
        got = [(member_lines.get(w), role) for w, role in rel.members]
        if rel.kind != "route" and _area_rules(rel.tags) and (
                any(g is None for g, _ in got) or any(w in member_cut for w, _ in rel.members)):
            read.stats["areas_dropped"] += 1
            log.info("relation %d: a ring misses ways or nodes outside the extract; dropped", rid)
            continue
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
