"""OSM tags to ecomap layers: which layer a way, area or relation goes in, with which columns.

The rules are plain functions of a tag dictionary, so the streaming passes, the layer
builder and the benchmark's baseline all classify an object the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: ``confidence`` of OSM geometry: traced by mappers from imagery and GPS tracks.
OSM_CONFIDENCE = "digitized"
#: The layers :func:`~ecomap.importers.import_osm` can write besides ``boundary``.
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


def _line_rules(tags: Mapping[str, str]) -> list[tuple[str, dict]]:
    """Return the line layers a way's tags put it in, with the layer's own columns."""
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
    """Return the polygon layers an area's tags put it in, with the layer's own columns."""
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
    """Whether a relation's tags make it a hiking route (``type=route``, ``route=hiking``)."""
    return tags.get("type") == "route" and tags.get("route") == "hiking"
