"""Streaming an OSM extract in five passes, keeping only what lies near the study area.

Memory is bounded by the data near the boundary, not by the size of the extract. Each
pass is restricted to one kind of object:

1. relations: the multipolygons and hiking routes whose tags matter, and their member way ids;
2. nodes: the ids of the nodes inside the boundary's bounding box grown by the margin;
3. ways: the tagged ways (and relation members) with at least one such node, with their node ids
   (ways without a key that matters are skipped by a C++ filter; untagged relation members
   are then read by id);
4. ways again, only the missing members of relations that reach the area (a C++ id filter);
5. nodes again, only the nodes those ways use (a C++ id filter), with their locations.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._osm_tags import _AREA_RELATION_TYPES, _WAY_KEYS, _area_rules, _is_hiking_route, _line_rules

log = logging.getLogger(__package__)

#: Decoded blocks libosmium may read ahead of the Python loop (its default, 20, lets a slow
#: loop hold ~100 MB of decoded ways; 4 costs no measurable speed).
_READ_AHEAD_BLOCKS = "4"
_TICK = 1 << 16  # objects between progress-bar updates


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
    """Open a pyosmium ``FileProcessor`` over ``path`` for ``entities``, with C++ ``filters``."""
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
    """Run the five passes over ``path`` for the lon/lat ``box`` (degrees), in order."""
    with _bounded_read_ahead():
        out = _OsmRead()
        t0 = time.perf_counter()
        rel_members = _pass_relations(path, out)
        log.info("pass 1 (relations): %d relations kept, %.1f s", len(out.relations), time.perf_counter() - t0)
        inside_ids = _pass_nodes_inside(path, box, out, progress=progress)
        missing = _pass_ways(path, out, rel_members, inside_ids, progress=progress)
        _pass_far_members(path, out, missing)
        _pass_node_locations(path, out, t0)
        return out


def _pass_relations(path: Path, out: _OsmRead) -> set[int]:
    """Pass 1: relations that make areas or hiking routes; returns their member way ids."""
    import osmium

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
    return rel_members


def _pass_nodes_inside(path: Path, box: tuple[float, float, float, float], out: _OsmRead, *,
                       progress: bool) -> np.ndarray:
    """Pass 2: the sorted ids of the nodes inside the box (integer coordinates, 1e-7 degrees)."""
    import osmium
    from tqdm import tqdm

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
    return inside_ids


def _pass_ways(path: Path, out: _OsmRead, rel_members: set[int], inside_ids: np.ndarray, *,
               progress: bool) -> set[int]:
    """Pass 3: ways with tags that matter (or relation members) that reach the area.

    First the ways with one of the keys (a C++ filter skips buildings and the like), then
    the relation members without any of those keys (a C++ id filter). Relations that do
    not reach the area are dropped; returns the ids of the far members of those that do.
    """
    import osmium
    from tqdm import tqdm

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
    return missing


def _pass_far_members(path: Path, out: _OsmRead, missing: set[int]) -> None:
    """Pass 4: the node ids of the far members of the relations that reach the area."""
    import osmium

    if missing:
        t = time.perf_counter()
        for w in _processor(path, osmium.osm.WAY, osmium.filter.IdFilter(missing)):
            out.members[w.id] = np.fromiter((nr.ref for nr in w.nodes), dtype=np.int64,
                                            count=len(w.nodes))
        log.info("pass 4 (relation members): %d ways, %.1f s", len(missing), time.perf_counter() - t)


def _pass_node_locations(path: Path, out: _OsmRead, t0: float) -> None:
    """Pass 5: the locations of the nodes the kept ways use, sorted by node id."""
    import osmium

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
