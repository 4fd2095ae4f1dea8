"""Offline, self-contained Folium web maps: the atlas of every layer and the thematic maps.

A map is built with stock ``folium`` (Leaflet 1.9.3 and its plugins) and then made
self-contained: every ``<script src>`` and ``<link href>`` that folium points at a CDN is
replaced by the file's content, taken from the URL -> content table that the pinned
``folium-offline`` package ships. Only basemap tiles come from the network, and with
``basemap="none"`` nothing does.

Data reach the page as JSON inside one script, with ``<``, ``>`` and ``&`` escaped, and every
value taken from data is HTML-escaped before it reaches a popup, tooltip, legend or
control label. Points (the bridge-site register, 10,000 to 100,000 sites) travel as
compact columns and are drawn as canvas circle markers whose tooltip and popup are built
only when shown. On the Gaode/AMap basemap, whose tiles are in GCJ-02, every overlay is
converted to GCJ-02 first.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement

from . import crs as _crs
from ._errors import EcomapError, InputError
from .io import atomic_write, write_text
from .layers import CATALOGUE, LAYER_NAMES

__all__ = [
    "BASEMAPS",
    "MAP_LAYERS",
    "TIANDITU_KEY_ENV",
    "Basemap",
    "basemap",
    "atlas",
    "thematic_maps",
    "render_html",
    "save_map",
    "write_maps",
    "index_page",
    "screenshot",
    "find_chromium",
    "inline_assets",
]

log = logging.getLogger(__name__)

#: Environment variable holding a Tianditu key (``tk``), needed for ``basemap="tianditu"``.
TIANDITU_KEY_ENV = "ECOMAP_TIANDITU_KEY"

#: Coordinates in the page: 6 decimals of a degree, about 0.1 m.
PRECISION = 6

#: Catalogue layers in drawing order (fills under lines under points).
MAP_LAYERS: tuple[str, ...] = (
    "districts", "belt", "ridge", "patches", "reservoirs", "boundary",
    "corridors", "river", "barriers", "trails", "bridges",
)
assert set(MAP_LAYERS) == set(LAYER_NAMES)


# --- basemaps ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Basemap:
    """A tile basemap: URL template(s), attribution, and whether its tiles are GCJ-02."""

    name: str
    title: str
    tiles: tuple[str, ...] = ()
    attr: str = ""
    subdomains: str = "abc"
    max_zoom: int = 19
    gcj02: bool = False


_OSM_ATTR = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
_TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T=%s&x={x}&y={y}&l={z}&tk=%s"

#: Basemap names that ``basemap()`` and ``ecomap map --basemap`` accept.
BASEMAPS: tuple[str, ...] = ("osm", "light", "imagery", "gaode", "tianditu", "none")

_BASEMAPS: dict[str, Basemap] = {
    "osm": Basemap("osm", "OpenStreetMap", ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",), _OSM_ATTR),
    "light": Basemap(
        "light", "浅灰 Light grey", ("https://{s}.basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png",),
        _OSM_ATTR + ' &copy; <a href="https://carto.com/attributions">CARTO</a>', "abcd", 20,
    ),
    "imagery": Basemap(
        "imagery", "影像 Imagery",
        ("https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",),
        "Tiles &copy; Esri, Maxar, Earthstar Geographics, and the GIS User Community",
    ),
    "gaode": Basemap(
        "gaode", "高德 Gaode/AMap",
        ("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",),
        "&copy; 高德地图 AutoNavi (GCJ-02)", "1234", 18, gcj02=True,
    ),
    "gaode-imagery": Basemap(
        "gaode-imagery", "高德影像 Gaode imagery",
        ("https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
         "https://webst0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"),
        "&copy; 高德地图 AutoNavi (GCJ-02)", "1234", 18, gcj02=True,
    ),
    "none": Basemap("none", "无底图 No basemap"),
}


def basemap(name: str, *, tianditu_key: str | None = None) -> Basemap:
    """The basemap called ``name`` (one of :data:`BASEMAPS`).

    ``tianditu`` needs a key: ``tianditu_key`` or the ``ECOMAP_TIANDITU_KEY`` environment
    variable. Raises InputError for an unknown name or a missing key.
    """
    key = str(name).strip().lower()
    if key == "tianditu":
        tk = tianditu_key or os.environ.get(TIANDITU_KEY_ENV, "").strip()
        if not tk:
            raise InputError(
                f"basemap 'tianditu' needs a key: get a free browser key at "
                f"https://console.tianditu.gov.cn and set {TIANDITU_KEY_ENV}=<key> "
                f"(or choose another basemap: {', '.join(b for b in BASEMAPS if b != 'tianditu')})"
            )
        if not re.fullmatch(r"[A-Za-z0-9]+", tk):
            raise InputError(f"{TIANDITU_KEY_ENV}: a Tianditu key is letters and digits only")
        return Basemap(
            "tianditu", "天地图 Tianditu", (_TIANDITU % ("vec_w", tk), _TIANDITU % ("cva_w", tk)),
            "&copy; 天地图 Tianditu", "01234567", 18,
        )
    if key not in BASEMAPS:
        raise InputError(f"unknown basemap {name!r}; basemaps are: {', '.join(BASEMAPS)}")
    return _BASEMAPS[key]


# --- words ---------------------------------------------------------------------------------
#: Chinese names of the catalogue's values, shown beside the English ones.
ZH: dict[str, str] = {
    "mountain": "山廊", "water": "水廊", "green": "绿廊",
    "existing": "现状", "planned": "规划", "broken": "断裂",
    "axis": "干流", "tributary": "支流",
    "greenway": "绿道", "hiking": "远足径", "ridge": "山脊径",
    "built": "已建", "damaged": "损坏", "removed": "已拆除",
    "ditch": "排水沟", "well": "井", "pool": "水池", "culvert": "涵洞", "interception_ditch": "截水沟",
    "stone": "石", "wood": "木", "net": "网", "rope": "绳", "ramp": "坡道",
    "expressway": "高速公路", "railway": "铁路", "arterial": "主干道", "dam": "水坝",
    "surface": "地面", "tunnel": "隧道", "bridge": "桥梁",
    "country_park": "郊野公园", "nature_reserve": "自然保护区", "forest": "森林",
}


def _both(value) -> str:
    """``规划 planned`` for a catalogue value; the value itself otherwise."""
    if _missing(value):
        return "—"
    v = str(value)
    return f"{ZH[v]} {v}" if v in ZH else v


def _missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and np.isnan(v):
        return True
    return isinstance(v, str) and not v.strip()


def _esc(v) -> str:
    return html.escape("—" if _missing(v) else str(v), quote=True)


def _num(v, unit: str = "", digits: int = 4) -> str:
    if _missing(v):
        return "—"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{f:,.{digits}g}{(' ' + unit) if unit else ''}"


def _jsdump(obj) -> str:
    """JSON for a ``<script>``: ``<``, ``>``, ``&`` and line separators escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# --- styles --------------------------------------------------------------------------------
_BRIDGE_COLOURS = {"planned": "#fdd835", "built": "#43a047", "damaged": "#e53935", "removed": "#9e9e9e"}
_KIND_COLOURS = {"mountain": "#7cb342", "water": "#00acc1", "green": "#2e7d32"}
_TRAIL_COLOURS = {"greenway": "#c0ca33", "hiking": "#8d6e63", "ridge": "#6a1b9a"}
_BARRIER_WEIGHT = {"expressway": 5, "railway": 4, "arterial": 3, "dam": 5}
_RIDGE_FILLS = {"country_park": "#81c784", "nature_reserve": "#2e7d32", "forest": "#a5d6a7"}
_WIDTH_CLASSES = ((0, 50, 3), (50, 200, 5), (200, 500, 7), (500, np.inf, 10))

#: Short bilingual layer names for the layer control and the legend.
LABELS: dict[str, str] = {
    "boundary": "坪山区界 Boundary", "districts": "深圳各区 Districts", "ridge": "生态山脊 Ridge",
    "belt": "滨海蓝带 Blue belt", "corridors": "生态廊道 Corridors", "river": "河流 River",
    "trails": "步道 Trails", "bridges": "逃生设施 Bridge sites", "patches": "生境斑块 Patches",
    "barriers": "阻隔 Barriers", "reservoirs": "水库 Reservoirs",
}
assert set(LABELS) == set(LAYER_NAMES)


def _width_weight(width) -> int:
    w = 0.0 if _missing(width) else float(width)
    for lo, hi, px in _WIDTH_CLASSES:
        if lo <= w < hi:
            return px
    return 3


def _feature_style(layer: str, row: Mapping) -> tuple[str, dict]:
    """(legend label, Leaflet path options) of one feature."""
    if layer == "boundary":
        return "坪山区界 Pingshan boundary", {"color": "#263238", "weight": 3, "fill": False, "interactive": False}
    if layer == "districts":
        return "深圳各区 Shenzhen districts", {"color": "#78909c", "weight": 1.2, "dashArray": "4 3",
                                          "fillColor": "#eceff1", "fillOpacity": 0.12, "interactive": False}
    if layer == "ridge":
        k = str(row.get("kind"))
        return f"生态山脊 ridge: {_both(k)}", {"color": "#1b5e20", "weight": 1,
                                             "fillColor": _RIDGE_FILLS.get(k, "#66bb6a"), "fillOpacity": 0.45}
    if layer == "belt":
        return "滨海蓝带 coastal blue belt", {"color": "#00838f", "weight": 1.5, "fillColor": "#4dd0e1",
                                          "fillOpacity": 0.4}
    if layer == "patches":
        q = row.get("quality")
        q = 0.5 if _missing(q) else float(q)
        cls, op = ("≥ 0.7", 0.55) if q >= 0.7 else ("0.4–0.7", 0.4) if q >= 0.4 else ("< 0.4", 0.25)
        return f"生境斑块 habitat patch, quality {cls}", {"color": "#1b5e20", "weight": 1,
                                                       "fillColor": "#66bb6a", "fillOpacity": op}
    if layer == "reservoirs":
        return "水库 reservoir", {"color": "#0277bd", "weight": 1, "fillColor": "#81d4fa", "fillOpacity": 0.8}
    if layer == "corridors":
        kind, status = str(row.get("kind")), str(row.get("status"))
        style = {"color": _KIND_COLOURS.get(kind, "#7cb342"), "weight": _width_weight(row.get("width_m")),
                 "opacity": 0.85, "lineCap": "butt"}
        if status == "planned":
            style["dashArray"] = "10 6"
        elif status == "broken":
            style.update(color="#e53935", dashArray="3 6")
        label = f"廊道 corridor: {_both(kind)}" if status != "broken" else "断裂廊道 broken corridor"
        if status == "planned":
            label += ", 规划 planned"
        return label, style
    if layer == "river":
        if str(row.get("rank")) == "axis":
            return "河流干流 river axis", {"color": "#1565c0", "weight": 5, "opacity": 0.9}
        return "支流 tributary", {"color": "#42a5f5", "weight": 2.5, "opacity": 0.9}
    if layer == "trails":
        k = str(row.get("kind"))
        return f"步道 trail: {_both(k)}", {"color": _TRAIL_COLOURS.get(k, "#8d6e63"), "weight": 2.5,
                                          "dashArray": "6 5", "opacity": 0.95}
    if layer == "barriers":
        k, s = str(row.get("kind")), str(row.get("structure"))
        w = _BARRIER_WEIGHT.get(k, 3)
        if s == "tunnel":
            return "隧道段 tunnel section (passable above)", {"color": "#9e9e9e", "weight": w, "dashArray": "2 7",
                                                         "opacity": 0.9}
        if s == "bridge":
            return "桥梁段 viaduct section (passable below)", {"color": "#616161", "weight": w,
                                                          "dashArray": "12 5", "opacity": 0.9}
        return f"阻隔 barrier: {_both(k)}", {"color": "#212121", "weight": w, "opacity": 0.9}
    raise KeyError(layer)


def _bridge_style(status: str) -> dict:
    return {"radius": 4, "color": "#263238", "weight": 1, "fill": True, "fillOpacity": 0.95,
            "fillColor": _BRIDGE_COLOURS.get(status, "#fdd835")}


# --- geometry to the page ------------------------------------------------------------------
def _page_frame(gdf: gpd.GeoDataFrame, *, gcj02: bool) -> gpd.GeoDataFrame:
    """A frame in page coordinates: WGS-84 (or GCJ-02) lon/lat rounded to PRECISION, id a column."""
    out = gdf.to_crs(_crs.WGS84) if gdf.crs is not None else gdf.set_crs(_crs.WGS84)
    if gcj02 and len(out):
        out = _crs.to_gcj02(out)
    out = out[~(out.geometry.isna() | out.geometry.is_empty)]
    index = out.index
    out = out.reset_index(drop=True)
    if "id" not in out.columns:
        out.insert(0, "id", [str(v) for v in index])
    if len(out):
        out = out.set_geometry(shapely.transform(out.geometry.values, lambda c: np.round(c, PRECISION)))
    return out


def _feature_collection(geoms: np.ndarray, props: list[dict]) -> dict:
    """A GeoJSON FeatureCollection from shapely geometries and property dicts."""
    texts = shapely.to_geojson(geoms)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": json.loads(g), "properties": p} for g, p in zip(texts, props, strict=True)
    ]}


def _bounds_list(geoms: np.ndarray) -> list[list[float]]:
    b = shapely.bounds(geoms)
    return np.round(b, PRECISION).tolist()


# --- popups --------------------------------------------------------------------------------
def _popup(title: str, subtitle: str, rows: Sequence[tuple[str, str]]) -> str:
    """Popup HTML: every argument is already escaped."""
    body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    sub = f'<div class="eco-en">{subtitle}</div>' if subtitle else ""
    return f'<div class="eco-pop"><div class="eco-h">{title}</div>{sub}<table>{body}</table></div>'


def _names(row: Mapping) -> tuple[str, str]:
    zh, en = row.get("name_zh"), row.get("name_en")
    title = _esc(row.get("id"))
    if not _missing(zh):
        title += " " + _esc(zh)
    return title, "" if _missing(en) else _esc(en)


def _tip(row: Mapping, extra: str = "") -> str:
    zh, en = row.get("name_zh"), row.get("name_en")
    parts = [p for p in (zh, en) if not _missing(p)]
    text = " · ".join(_esc(p) for p in parts) if parts else _esc(row.get("id"))
    return text + (f" <span class='eco-dim'>{extra}</span>" if extra else "")


def _clip(v, n: int = 120):
    """A long text cut to ``n`` characters (popups stay small); other values unchanged."""
    return v[: n - 1].rstrip() + "…" if isinstance(v, str) and len(v) > n else v


def _common_rows(row: Mapping) -> list[tuple[str, str]]:
    return [("来源 source", _esc(_clip(row.get("source")))), ("可信度 confidence", _esc(row.get("confidence")))]


def _layer_popups(layer: str, frame: pd.DataFrame, extra: Mapping[str, pd.Series]) -> tuple[list[str], list[str]]:
    """(tooltip HTML, popup HTML) per row of a catalogue layer; every value escaped."""
    tips, pops = [], []
    records = frame.drop(columns=frame.geometry.name).to_dict("records")
    for i, row in enumerate(records):
        title, sub = _names(row)
        rows: list[tuple[str, str]] = []
        tip_extra = ""
        if layer == "corridors":
            length_km = extra["length_km"].iloc[i]
            rows = [
                ("类型 kind", _esc(_both(row.get("kind")))),
                ("宽度 width", _esc(_num(row.get("width_m"), "m"))),
                ("长度 length", _esc(_num(length_km, "km", 3))),
                ("状态 status", _esc(_both(row.get("status")))),
                ("重要性 importance", _esc(extra["importance"].iloc[i])),
                ("逃生设施 bridge sites", _esc(extra["bridges"].iloc[i])),
                ("缺口 gaps", _esc(extra["gaps"].iloc[i])),
                ("连接 links", _esc(f"{_esc_plain(row.get('from_id'))} → {_esc_plain(row.get('to_id'))}")),
            ]
            tip_extra = _esc(f"{row.get('id')} · {_both(row.get('kind'))} · {_both(row.get('status'))}")
        elif layer == "trails":
            rows = [("类型 kind", _esc(_both(row.get("kind")))), ("路面 surface", _esc(row.get("surface"))),
                    ("长度 length", _esc(_num(extra["length_km"].iloc[i], "km", 3)))]
            tip_extra = _esc(_num(extra["length_km"].iloc[i], "km", 3))
        elif layer == "river":
            rows = [("等级 rank", _esc(_both(row.get("rank")))), ("上级 parent", _esc(row.get("parent_id"))),
                    ("长度 length", _esc(_num(extra["length_km"].iloc[i], "km", 3)))]
        elif layer == "barriers":
            rows = [("类型 kind", _esc(_both(row.get("kind")))), ("结构 structure", _esc(_both(row.get("structure")))),
                    ("通透性 permeability", _esc(_num(row.get("permeability"), digits=2)))]
            tip_extra = _esc(f"{_both(row.get('kind'))} · {_both(row.get('structure'))}")
        elif layer == "ridge":
            rows = [("类型 kind", _esc(_both(row.get("kind")))), ("最高 max elevation", _esc(_num(row.get("elev_max_m"), "m"))),
                    ("面积 area", _esc(_num(extra["area_km2"].iloc[i], "km²", 3)))]
        elif layer == "patches":
            rows = [("类型 kind", _esc(row.get("kind"))), ("质量 quality", _esc(_num(row.get("quality"), digits=2))),
                    ("面积 area", _esc(_num(extra["area_km2"].iloc[i], "km²", 3)))]
        elif layer == "belt":
            rows = [("段 segment", _esc(row.get("segment"))), ("宽度 width", _esc(_num(row.get("width_m"), "m")))]
        elif layer == "reservoirs":
            rows = [("库容 capacity", _esc(_num(row.get("capacity"), "m³"))),
                    ("面积 area", _esc(_num(extra["area_km2"].iloc[i], "km²", 3)))]
        elif layer in ("boundary", "districts"):
            rows = [("行政代码 adcode", _esc(row.get("adcode")))]
        tips.append(_tip(row, tip_extra))
        pops.append(_popup(title, sub, rows + _common_rows(row)))
    return tips, pops


def _esc_plain(v) -> str:
    return "—" if _missing(v) else str(v)


def _generic_popups(frame: gpd.GeoDataFrame, title: str, *, limit: int = 10) -> tuple[list[str], list[str]]:
    """Tooltips and popups for a result frame of unknown columns: the first ``limit`` columns."""
    cols = [c for c in frame.columns if c != frame.geometry.name][:limit]
    tips, pops = [], []
    for row in frame[cols].to_dict("records"):
        name = row.get("name_zh") or row.get("name_en") or row.get("id")
        tips.append(f"{_esc(title)}: {_esc(name)}")
        rows = [(_esc(c), _esc(_num(v) if isinstance(v, int | float | np.number) else v)) for c, v in row.items()]
        pops.append(_popup(_esc(title), "", rows))
    return tips, pops


# --- the page runtime ----------------------------------------------------------------------
_CSS = """
.leaflet-container{background:#f2efe9;font:13px/1.35 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif}
.eco-pop{font-size:13px;line-height:1.35}.eco-pop .eco-h{font-weight:600;font-size:14.5px}.eco-pop .eco-en{color:#455a64;margin-bottom:4px}
.eco-pop table{border-collapse:collapse}.eco-pop th{text-align:left;font-weight:500;color:#546e7a;padding:1px 8px 1px 0;white-space:nowrap}
.eco-pop td{padding:1px 0;max-width:230px;overflow-wrap:anywhere}.eco-dim{color:#607d8b}
.eco-legend{font-size:12px;background:rgba(255,255,255,.93);padding:6px 9px;border-radius:5px;box-shadow:0 1px 5px rgba(0,0,0,.35);max-height:46vh;overflow:auto;max-width:300px}
.eco-legend summary{font-weight:600;cursor:pointer}.eco-legend .eco-sec{margin:4px 0 1px;font-weight:600;color:#37474f}
.eco-legend div.eco-row{display:flex;align-items:center;gap:5px;margin:0}.eco-legend svg{flex:none}
.eco-legend .eco-note{color:#546e7a;font-size:12px;max-width:270px;margin-top:4px}
.eco-search{background:#fff;padding:4px;width:250px}.eco-search input{width:100%;box-sizing:border-box;font-size:13px;padding:3px 5px;border:1px solid #b0bec5;border-radius:3px}
.eco-search ul{list-style:none;margin:2px 0 0;padding:0;max-height:240px;overflow:auto}.eco-search li{padding:3px 5px;cursor:pointer;border-top:1px solid #eceff1}
.eco-search li:hover,.eco-search li.eco-on{background:#e8f5e9}
.eco-mouse{background:rgba(255,255,255,.88);padding:2px 6px;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;border-radius:3px;white-space:pre}
.eco-title{background:rgba(255,255,255,.9);padding:4px 10px;border-radius:4px;font-weight:600;font-size:15px;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.leaflet-control-layers-group-name{font-weight:600;display:block;margin:4px 0 2px;color:#37474f}
.leaflet-control-layers{font-size:12.5px;max-height:60vh;overflow:auto}
"""

_RUNTIME = r"""
var ecomap = window.ecomap = window.ecomap || {layers: {}, data: {}};
ecomap.esc = function (s) {
  return String(s === null || s === undefined ? '—' : s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
  });
};
ecomap.gcj = (function () {
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  }
  function fwd(lon, lat) {
    if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lon, lat];
    var dLat = tLat(lon - 105.0, lat - 35.0), dLon = tLon(lon - 105.0, lat - 35.0);
    var rad = lat / 180.0 * PI, m = Math.sin(rad); m = 1 - EE * m * m; var sq = Math.sqrt(m);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (m * sq) * PI);
    dLon = (dLon * 180.0) / (A / sq * Math.cos(rad) * PI);
    return [lon + dLon, lat + dLat];
  }
  function inv(lon, lat) {
    var wx = lon, wy = lat;
    for (var k = 0; k < 50; k++) {
      var g = fwd(wx, wy), ex = g[0] - lon, ey = g[1] - lat;
      wx -= ex; wy -= ey;
      if (Math.abs(ex) <= 1e-12 && Math.abs(ey) <= 1e-12) break;
    }
    return [wx, wy];
  }
  return {fwd: fwd, inv: inv};
})();
ecomap.panes = function (map) {
  // Raster overlays get a pane under the vectors. Every vector layer shares one canvas
  // renderer (a canvas in a higher pane would swallow the mouse events of lower ones);
  // the drawing order (fills, lines, points) is restored whenever a layer is switched on.
  map.setMinZoom(7); map.setMaxZoom(19);
  if (!map.getPane('ecoRaster')) map.createPane('ecoRaster').style.zIndex = 395;
  ecomap.renderer = L.canvas({tolerance: 4});
  ecomap.order = [];
  map.on('overlayadd', function () {
    ecomap.order.forEach(function (k) {
      var l = ecomap.layers[k];
      if (map.hasLayer(l) && l.bringToFront) l.bringToFront();
    });
  });
};
ecomap.vector = function (key, data, styles) {
  var layer = L.geoJSON(data, {
    renderer: ecomap.renderer,
    style: function (f) { return styles[f.properties.s]; },
    pointToLayer: function (f, ll) { return L.circleMarker(ll, L.extend({renderer: ecomap.renderer}, styles[f.properties.s])); },
    onEachFeature: function (f, l) {
      l.ecoId = f.properties.id;
      if (f.properties.t) l.bindTooltip(f.properties.t, {sticky: true});
      if (f.properties.p) l.bindPopup(f.properties.p, {maxWidth: 340});
    }
  });
  ecomap.layers[key] = layer; ecomap.order.push(key);
  return layer;
};
ecomap.points = function (key, d, cluster) {
  var n = d.lat.length, markers = new Array(n), esc = ecomap.esc;
  for (var i = 0; i < n; i++) {
    markers[i] = L.circleMarker([d.lat[i], d.lon[i]], L.extend({renderer: ecomap.renderer, i: i}, d.styles[d.st[i]]));
  }
  var group = cluster ? L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50})
                      : L.featureGroup();
  if (cluster) group.addLayers(markers); else for (var j = 0; j < n; j++) group.addLayer(markers[j]);
  function name(i) {
    var zh = d.zh ? d.zh[i] : null, en = d.en ? d.en[i] : null;
    return [zh, en].filter(function (x) { return x; });
  }
  group.bindTooltip(function (l) {
    var i = l.options.i, nm = name(i);
    return esc(d.id[i]) + (nm.length ? ' ' + nm.map(esc).join(' · ') : '') +
      ' <span class="eco-dim">' + esc(d.vocab.status[d.st[i]]) + '</span>';
  }, {direction: 'top', offset: [0, -4]});
  group.bindPopup(function (l) {
    var i = l.options.i, nm = name(i);
    var rows = [['宿主 host', d.vocab.host[d.h[i]]], ['材料 material', d.vocab.material[d.m[i]]],
                ['状态 status', d.vocab.status[d.st[i]]], ['安装 installed', d.inst[i]]];
    if (d.note && d.note[i] !== undefined) rows.push(['备注 note', d.note[i]]);
    return '<div class="eco-pop"><div class="eco-h">' + esc(d.id[i]) + (nm[0] ? ' ' + esc(nm[0]) : '') + '</div>' +
      (nm[1] ? '<div class="eco-en">' + esc(nm[1]) + '</div>' : '') + '<table>' +
      rows.map(function (r) { return '<tr><th>' + esc(r[0]) + '</th><td>' + esc(r[1]) + '</td></tr>'; }).join('') +
      '</table></div>';
  }, {maxWidth: 320});
  ecomap.layers[key] = group; ecomap.order.push(key);
  return group;
};
ecomap.image = function (key, url, bounds, opacity) {
  var layer = L.imageOverlay(url, bounds, {opacity: opacity, pane: 'ecoRaster', interactive: false});
  ecomap.layers[key] = layer;
  return layer;
};
ecomap.legend = function (map, htmlText) {
  var C = L.Control.extend({options: {position: 'bottomleft'}, onAdd: function () {
    var div = L.DomUtil.create('div', 'eco-legend');
    div.innerHTML = htmlText;  // built and escaped in Python
    L.DomEvent.disableClickPropagation(div); L.DomEvent.disableScrollPropagation(div);
    return div;
  }});
  return new C().addTo(map);
};
ecomap.title = function (map, text) {
  var C = L.Control.extend({options: {position: 'topright'}, onAdd: function () {
    var div = L.DomUtil.create('div', 'eco-title'); div.textContent = text; return div;
  }});
  return new C().addTo(map);
};
ecomap.search = function (map, items) {
  var C = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
    var box = L.DomUtil.create('div', 'eco-search leaflet-bar');
    var input = L.DomUtil.create('input', '', box);
    input.type = 'search'; input.placeholder = '搜索名称 Search names'; input.setAttribute('aria-label', 'Search names');
    var list = L.DomUtil.create('ul', '', box), hits = [];
    L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
    function go(it) {
      map.fitBounds([[it[2], it[1]], [it[4], it[3]]], {maxZoom: 16, padding: [40, 40]});
      list.textContent = ''; input.value = it[0]; ecomap.found = it;
    }
    function update() {
      var q = input.value.trim().toLowerCase(); list.textContent = ''; hits = [];
      if (!q) return;
      var toks = q.split(/\s+/);
      hits = items.filter(function (it) {
        var s = it[0].toLowerCase();
        return toks.every(function (t) { return s.indexOf(t) >= 0; });
      }).slice(0, 12);
      hits.forEach(function (it, k) {
        var li = L.DomUtil.create('li', k === 0 ? 'eco-on' : '', list);
        li.textContent = it[0];
        L.DomEvent.on(li, 'click', function () { go(it); });
      });
    }
    L.DomEvent.on(input, 'input', update);
    L.DomEvent.on(input, 'keydown', function (e) { if (e.key === 'Enter' && hits.length) go(hits[0]); });
    return box;
  }});
  return new C().addTo(map);
};
ecomap.mouse = function (map, gcjMap) {
  var C = L.Control.extend({options: {position: 'bottomright'}, onAdd: function () {
    var div = L.DomUtil.create('div', 'eco-mouse');
    div.textContent = 'WGS-84  lat, lon\nGCJ-02  lat, lon';
    map.on('mousemove', function (e) {
      var lon = e.latlng.lng, lat = e.latlng.lat, w, g;
      if (gcjMap) { g = [lon, lat]; w = ecomap.gcj.inv(lon, lat); } else { w = [lon, lat]; g = ecomap.gcj.fwd(lon, lat); }
      div.textContent = 'WGS-84  ' + w[1].toFixed(6) + ', ' + w[0].toFixed(6) + '\nGCJ-02  ' + g[1].toFixed(6) + ', ' + g[0].toFixed(6);
    });
    return div;
  }});
  return new C().addTo(map);
};
"""


# --- the map element -----------------------------------------------------------------------
class _EcoScript(folium.elements.JSCSSMixin, MacroElement):
    """One script that builds every ecomap layer and control on a folium Map."""

    _template = folium.template.Template(
        """
        {% macro script(this, kwargs) %}
        (function (map) {
        ecomap.map = map; ecomap.panes(map);
        {{ this.code }}
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "EcomapScript"
        self.parts: list[str] = []
        self.default_js: list[tuple[str, str]] = []
        self.default_css: list[tuple[str, str]] = []

    @property
    def code(self) -> str:
        return "\n".join(self.parts)

    def need(self, plugin: type) -> None:
        """Link a folium plugin's JavaScript and CSS (inlined later)."""
        for item in getattr(plugin, "default_js", []):
            if item not in self.default_js:
                self.default_js.append(item)
        for item in getattr(plugin, "default_css", []):
            if item not in self.default_css:
                self.default_css.append(item)


@dataclass
class _Overlay:
    key: str
    label: str  # escaped HTML
    group: str  # escaped HTML
    show: bool


class _MapBuilder:
    """Assembles one map: basemap, controls, layers, legend, search."""

    GROUP_CITY = "城市生态骨架 City framework"
    GROUP_LOCAL = "坪山 Pingshan"
    GROUP_ANALYSIS = "分析 Analysis"

    def __init__(self, network, *, basemap_name: str, title: str, tianditu_key: str | None = None,
                 minimap: bool = True, cluster_points: bool = False) -> None:
        self.network = network
        self.base = basemap(basemap_name, tianditu_key=tianditu_key)
        self.gcj02 = self.base.gcj02
        self.title = title
        self.cluster_points = cluster_points
        bounds = self._focus_bounds()
        centre = [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]
        self.bounds = bounds
        self.map = folium.Map(location=centre, zoom_start=12, tiles=None, prefer_canvas=True,
                              control_scale=True, min_zoom=7, max_zoom=19)
        # Leaflet only: folium's jQuery, Bootstrap and icon fonts are not used by these maps.
        self.map.default_js = [j for j in self.map.default_js if j[0] == "leaflet"]
        self.map.default_css = [c for c in self.map.default_css if c[0] == "leaflet_css"]
        self.map.get_root().title = html.escape(title)
        self.map.get_root().header.add_child(Element(f"<style>{_CSS}</style>"), name="ecomap_css")
        self.map.get_root().html.add_child(Element(f"<script>{_RUNTIME}</script>"), name="ecomap_runtime")
        self.script = _EcoScript()
        self.overlays: list[_Overlay] = []
        self.legend_sections: list[tuple[str, list[str]]] = []
        self.notes: list[str] = []
        self.search_items: list[list] = []
        self.minimap = minimap
        self.base_keys: list[tuple[str, str]] = []
        self._add_basemaps()

    # -- setup
    def _focus_bounds(self) -> list[list[float]]:
        for name in ("boundary", "districts", *MAP_LAYERS):
            gdf = self.network[name]
            if len(gdf):
                w = _page_frame(gdf[["geometry"]], gcj02=self.gcj02)
                if len(w):
                    x0, y0, x1, y1 = w.total_bounds
                    return [[float(y0), float(x0)], [float(y1), float(x1)]]
        return [[22.62, 114.26], [22.79, 114.44]]

    def _tile_js(self, b: Basemap) -> str:
        layers = [
            f"L.tileLayer({_jsdump(url)}, {_jsdump({'attribution': b.attr, 'subdomains': b.subdomains, 'maxZoom': b.max_zoom, 'maxNativeZoom': min(b.max_zoom, 18)})})"
            for url in b.tiles
        ]
        return layers[0] if len(layers) == 1 else f"L.layerGroup([{', '.join(layers)}])"

    def _add_basemaps(self) -> None:
        if self.gcj02:
            family = [self.base, _BASEMAPS["gaode-imagery"], _BASEMAPS["none"]]
        else:
            family = [self.base] + [_BASEMAPS[n] for n in ("osm", "light", "imagery", "none") if n != self.base.name]
            tk = os.environ.get(TIANDITU_KEY_ENV, "").strip()
            if tk and self.base.name != "tianditu" and re.fullmatch(r"[A-Za-z0-9]+", tk):
                family.insert(-1, basemap("tianditu", tianditu_key=tk))
        parts = ["var bases = {};"]
        for i, b in enumerate(family):
            js = self._tile_js(b) if b.tiles else "L.layerGroup()"
            parts.append(f"bases[{_jsdump(html.escape(b.title))}] = {js};")
            if i == 0:
                parts.append(f"bases[{_jsdump(html.escape(b.title))}].addTo(map);")
        self.script.parts.extend(parts)
        self.base_family = family

    # -- layers
    def add_catalogue_layer(self, name: str, *, show: bool = True, extra: Mapping[str, pd.Series] | None = None,
                            group: str | None = None, search: bool = False) -> bool:
        gdf = self.network[name]
        if not len(gdf):
            return False
        spec = CATALOGUE[name]
        internal = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
        if name == "districts":
            internal = internal.set_geometry(internal.geometry.simplify(10.0))
        extras = dict(extra or {})
        if name == "corridors" and "importance" not in extras:
            extras = {**_corridor_extras(self.network, None), **extras}
        if spec.kind == "line":
            extras.setdefault("length_km", pd.Series(internal.geometry.length.to_numpy() / 1000.0, index=internal.index))
        if spec.kind == "polygon":
            extras.setdefault("area_km2", pd.Series(internal.geometry.area.to_numpy() / 1e6, index=internal.index))
        extras = {k: v.reindex(internal.index) for k, v in extras.items()}
        frame = _page_frame(internal, gcj02=self.gcj02)
        if spec.kind == "point":
            self._add_points(name, frame, show=show, group=group)
            return True
        tips, pops = _layer_popups(name, frame, extras)
        styles: list[dict] = []
        labels: list[str] = []
        index: dict[str, int] = {}
        codes = []
        for row in frame.drop(columns=frame.geometry.name).to_dict("records"):
            label, style = _feature_style(name, row)
            k = json.dumps(style, sort_keys=True)
            if k not in index:
                index[k] = len(styles)
                styles.append(style)
                labels.append(label)
            codes.append(index[k])
        props = [{"id": str(i), "s": c, "t": t, "p": p}
                 for i, c, t, p in zip(frame["id"], codes, tips, pops, strict=True)]
        data = _feature_collection(frame.geometry.values, props)
        self.script.parts.append(
            f"ecomap.vector({_jsdump(name)}, {_jsdump(data)}, {_jsdump(styles)});"
        )
        label = f"{LABELS[name]} ({len(frame)})"
        grp = group or (self.GROUP_CITY if spec.scale == "city" else self.GROUP_LOCAL)
        self.overlays.append(_Overlay(name, html.escape(label), html.escape(grp), show))
        self._legend_from_styles(LABELS[name], spec.kind, labels, styles)
        if search:
            self._search_items(name, frame)
        return True

    def _add_points(self, name: str, frame: gpd.GeoDataFrame, *, show: bool, group: str | None) -> None:
        payload = _points_payload(frame)
        self.script.parts.append(
            f"ecomap.points({_jsdump(name)}, {_jsdump(payload)}, {'true' if self.cluster_points else 'false'});"
        )
        if self.cluster_points:
            self.script.need(folium.plugins.MarkerCluster)
        label = f"{LABELS[name]} ({len(frame)})"
        self.overlays.append(_Overlay(name, html.escape(label), html.escape(group or self.GROUP_LOCAL), show))
        counts = frame["status"].value_counts()
        labels = [f"{_both(s)} ({counts.get(s, 0)})" for s in _BRIDGE_COLOURS if counts.get(s, 0)]
        styles = [_bridge_style(s) for s in _BRIDGE_COLOURS if counts.get(s, 0)]
        self._legend_from_styles(LABELS["bridges"], "point", labels, styles)

    def add_frame(self, key: str, gdf: gpd.GeoDataFrame, *, label: str, style: Mapping, legend: str,
                  group: str | None = None, show: bool = True, kind: str | None = None) -> bool:
        """A result frame (any CRS, any columns) drawn in one style with generic popups."""
        if gdf is None or not len(gdf):
            return False
        if gdf.crs is None:
            gdf = gdf.set_crs(_crs.INTERNAL)
        frame = _page_frame(gdf, gcj02=self.gcj02)
        if not len(frame):
            return False
        gtype = frame.geom_type.iloc[0].removeprefix("Multi")
        kind = kind or {"Polygon": "polygon", "LineString": "line", "Point": "point"}.get(gtype, "line")
        st = dict(style)
        if kind == "point":
            st = {"radius": 6, "weight": 1.5, "fill": True, "fillOpacity": 0.9, **st}
        tips, pops = _generic_popups(frame, legend)
        props = [{"id": str(i), "s": 0, "t": t, "p": p} for i, t, p in zip(frame["id"], tips, pops, strict=True)]
        data = _feature_collection(frame.geometry.values, props)
        self.script.parts.append(
            f"ecomap.vector({_jsdump(key)}, {_jsdump(data)}, {_jsdump([st])});"
        )
        self.overlays.append(_Overlay(key, html.escape(f"{label} ({len(frame)})"),
                                      html.escape(group or self.GROUP_ANALYSIS), show))
        self._legend_from_styles(label, kind, [legend], [st])
        return True

    def add_styled(self, key: str, frame_internal: gpd.GeoDataFrame, *, label: str, styles: list[dict],
                   codes: Sequence[int], tips: list[str], pops: list[str], kind: str,
                   legend_labels: list[str], group: str | None = None, show: bool = True,
                   legend_title: str | None = None) -> None:
        """A layer whose per-feature style index, tooltips and popups the caller computed."""
        frame = _page_frame(frame_internal, gcj02=self.gcj02)
        props = [{"id": str(i), "s": int(c), "t": t, "p": p}
                 for i, c, t, p in zip(frame["id"], codes, tips, pops, strict=True)]
        data = _feature_collection(frame.geometry.values, props)
        self.script.parts.append(
            f"ecomap.vector({_jsdump(key)}, {_jsdump(data)}, {_jsdump(styles)});"
        )
        self.overlays.append(_Overlay(key, html.escape(f"{label} ({len(frame)})"),
                                      html.escape(group or self.GROUP_ANALYSIS), show))
        self._legend_from_styles(legend_title or label, kind, legend_labels, styles)

    def add_image(self, key: str, png: Path | bytes, bounds: Sequence[Sequence[float]], *, label: str,
                  legend: Mapping[str, str] | None, opacity: float = 0.7, show: bool = True) -> None:
        """A raster overlay (PNG, inlined as a data URI) over WGS-84 bounds [[s, w], [n, e]]."""
        data = png if isinstance(png, bytes) else Path(png).read_bytes()
        url = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        (s, w), (n, e) = bounds
        if self.gcj02:
            gx, gy = _crs.wgs84_to_gcj02(np.array([w, e]), np.array([s, n]))
            w, e, s, n = float(gx[0]), float(gx[1]), float(gy[0]), float(gy[1])
        self.script.parts.append(
            f"ecomap.image({_jsdump(key)}, {_jsdump(url)}, {_jsdump([[s, w], [n, e]])}, {opacity});"
        )
        self.overlays.append(_Overlay(key, html.escape(label), html.escape(self.GROUP_ANALYSIS), show))
        if legend:
            swatches = [
                f'<div class="eco-row">{_swatch("fill", {"fillColor": str(c), "fillOpacity": 1, "color": str(c), "weight": 0})}'
                f"<span>{_esc(lab)}</span></div>"
                for lab, c in legend.items()
            ]
            self.legend_sections.append((html.escape(label), swatches))

    def add_heat(self, key: str, frame_internal: gpd.GeoDataFrame, *, label: str, show: bool = True) -> None:
        frame = _page_frame(frame_internal[[frame_internal.geometry.name]], gcj02=self.gcj02)
        pts = np.column_stack([shapely.get_y(frame.geometry.values), shapely.get_x(frame.geometry.values)])
        self.script.need(folium.plugins.HeatMap)
        opts = {"radius": 14, "blur": 16, "minOpacity": 0.3, "maxZoom": 15, "pane": "ecoRaster"}
        self.script.parts.append(
            f"ecomap.layers[{_jsdump(key)}] = L.heatLayer({_jsdump(np.round(pts, 5).tolist())}, {_jsdump(opts)});"
        )
        self.overlays.append(_Overlay(key, html.escape(label), html.escape(self.GROUP_ANALYSIS), show))
        self.legend_sections.append((html.escape(label), [
            '<div class="eco-row"><span style="display:inline-block;width:110px;height:10px;'
            'background:linear-gradient(90deg,blue,cyan,lime,yellow,red)"></span>'
            "<span>低 low → 高 high</span></div>"]))

    def _search_items(self, name: str, frame: gpd.GeoDataFrame) -> None:
        b = _bounds_list(frame.geometry.values)
        for row, bb in zip(frame.drop(columns=frame.geometry.name).to_dict("records"), b, strict=True):
            parts = [str(row.get("id"))] + [str(row[c]) for c in ("name_zh", "name_en") if not _missing(row.get(c))]
            label = " · ".join(parts) + f" ({LABELS[name]})"
            self.search_items.append([label, *bb])

    def _legend_from_styles(self, title: str, kind: str, labels: Sequence[str], styles: Sequence[dict]) -> None:
        seen: dict[str, str] = {}
        for lab, st in zip(labels, styles, strict=True):
            if lab not in seen:
                seen[lab] = f'<div class="eco-row">{_swatch(kind, st)}<span>{html.escape(lab)}</span></div>'
        rows = list(seen.values())
        if kind == "line" and title == LABELS["corridors"]:
            rows += [f'<div class="eco-row">{_swatch("line", {"color": "#607d8b", "weight": px})}'
                     f"<span>宽度 width {lo:g}–{hi:g} m</span></div>".replace("–inf m", "+ m")
                     for lo, hi, px in _WIDTH_CLASSES]
        self.legend_sections.append((html.escape(title), rows))

    # -- finish
    def finish(self) -> folium.Map:
        s = self.script
        s.need(folium.plugins.GroupedLayerControl)
        s.need(folium.plugins.MiniMap)
        parts = s.parts
        for o in self.overlays:
            if o.show:
                parts.append(f"ecomap.layers[{_jsdump(o.key)}].addTo(map);")
        groups: dict[str, dict[str, str]] = {}
        for o in self.overlays:
            groups.setdefault(o.group, {})[o.label] = o.key
        group_js = ", ".join(
            f"{_jsdump(g)}: {{{', '.join(f'{_jsdump(lab)}: ecomap.layers[{_jsdump(k)}]' for lab, k in items.items())}}}"
            for g, items in groups.items()
        )
        parts.append(
            f"ecomap.control = L.control.groupedLayers(bases, {{{group_js}}}, "
            "{collapsed: window.innerWidth < 700, position: 'topright'}).addTo(map);"
        )
        if self.search_items:
            parts.append(f"ecomap.search(map, {_jsdump(self.search_items)});")
        parts.append(f"ecomap.mouse(map, {'true' if self.gcj02 else 'false'});")
        if self.minimap:
            context = self._context_data()
            first = self.base_family[0]
            tiles = self._tile_js(first) if first.tiles else "L.layerGroup()"
            parts.append(
                f"ecomap.minimap = new L.Control.MiniMap(L.layerGroup([{tiles}, L.geoJSON({_jsdump(context)}, "
                "{style: function (f) { return f.properties.b ? {color: '#c62828', weight: 2, fill: false} "
                ": {color: '#78909c', weight: 1, fill: false}; }})]), "
                "{position: 'bottomright', width: 150, height: 150, zoomLevelOffset: -4, toggleDisplay: false})"
                ".addTo(map);"
            )
        parts.append(f"ecomap.legend(map, {_jsdump(self._legend_html())});")
        parts.append(f"map.fitBounds({_jsdump(self.bounds)}, {{padding: [10, 10], animate: false}});")
        folium.plugins.Fullscreen(position="topleft", title="全屏 Full screen",
                                  title_cancel="退出全屏 Exit full screen").add_to(self.map)
        folium.plugins.MeasureControl(position="topleft", primary_length_unit="meters",
                                      secondary_length_unit="kilometers", primary_area_unit="hectares",
                                      secondary_area_unit="sqmeters").add_to(self.map)
        s.add_to(self.map)
        return self.map

    def _context_data(self) -> dict:
        feats = []
        for name, flag in (("districts", 0), ("boundary", 1)):
            gdf = self.network[name]
            if len(gdf):
                g = gdf.set_geometry(gdf.geometry.simplify(50.0))[["geometry"]]
                frame = _page_frame(g, gcj02=self.gcj02)
                feats.append(_feature_collection(frame.geometry.values, [{"b": flag}] * len(frame))["features"])
        return {"type": "FeatureCollection", "features": [f for fs in feats for f in fs]}

    def _legend_html(self) -> str:
        secs = "".join(
            (f'<div class="eco-sec">{t}</div>' if len(rows) > 1 else "") + "".join(rows)
            for t, rows in self.legend_sections if rows
        )
        notes = "".join(f'<div class="eco-note">{n}</div>' for n in self.notes)
        coords = "GCJ-02 (高德 Gaode)" if self.gcj02 else "WGS-84"
        return (f"<details open><summary>图例 Legend</summary>{secs}{notes}"
                f'<div class="eco-note">坐标 coordinates: {coords}</div></details>')


def _swatch(kind: str, st: Mapping) -> str:
    """A small inline SVG legend symbol for a Leaflet path style."""
    colour = html.escape(str(st.get("color", "#333")))
    if kind == "point":
        fill = html.escape(str(st.get("fillColor", colour)))
        return (f'<svg width="28" height="14"><circle cx="14" cy="7" r="{min(float(st.get("radius", 4)), 6):g}" '
                f'fill="{fill}" stroke="{colour}" stroke-width="{st.get("weight", 1)}"/></svg>')
    if kind == "line":
        dash = f' stroke-dasharray="{html.escape(str(st["dashArray"]))}"' if st.get("dashArray") else ""
        return (f'<svg width="28" height="14"><line x1="1" y1="7" x2="27" y2="7" stroke="{colour}" '
                f'stroke-width="{min(float(st.get("weight", 3)), 10):g}"{dash}/></svg>')
    if st.get("fill") is False:
        fill, op = "none", 0
    else:
        fill, op = html.escape(str(st.get("fillColor", colour))), st.get("fillOpacity", 0.3)
    dash = f' stroke-dasharray="{html.escape(str(st["dashArray"]))}"' if st.get("dashArray") else ""
    return (f'<svg width="28" height="14"><rect x="2" y="2" width="24" height="10" fill="{fill}" fill-opacity="{op}" '
            f'stroke="{colour}" stroke-width="{min(float(st.get("weight", 1)), 3):g}"{dash}/></svg>')


def _points_payload(frame: gpd.GeoDataFrame) -> dict:
    """Bridge sites as compact columns: coordinates, coded categories, ids, optional names and notes."""
    spec = CATALOGUE["bridges"]
    geoms = frame.geometry.values
    lon = np.round(shapely.get_x(geoms), PRECISION)
    lat = np.round(shapely.get_y(geoms), PRECISION)
    vocab = {}
    codes = {}
    for col, short in (("status", "st"), ("host", "h"), ("material", "m")):
        allowed = list(spec.column(col).allowed)
        cat = pd.Categorical(frame[col].astype("object"), categories=allowed)
        c = np.asarray(cat.codes, dtype=int)
        vocab[col] = [_both(a) for a in allowed] + ["—"]
        c[c < 0] = len(allowed)
        codes[short] = c.tolist()
    out = {
        "lat": lat.tolist(), "lon": lon.tolist(), "id": frame["id"].astype(str).tolist(), **codes,
        "inst": [None if _missing(v) else str(v) for v in frame["installed"].tolist()],
        "vocab": vocab,
        "styles": [_bridge_style(s) for s in spec.column("status").allowed] + [_bridge_style("?")],
    }
    for col, key in (("name_zh", "zh"), ("name_en", "en")):
        if col in frame and frame[col].notna().any():
            out[key] = [None if _missing(v) else str(v) for v in frame[col].tolist()]
    if "note" in frame:
        notes = {str(i): str(v) for i, v in enumerate(frame["note"].tolist()) if not _missing(v)}
        if notes:
            out["note"] = notes
    return out


# --- results from other steps --------------------------------------------------------------
def _corridor_extras(network, connectivity) -> dict[str, pd.Series]:
    """Importance, bridge-site count and gap count per corridor, as popup text.

    From the connectivity result when there is one; otherwise the counts come from
    :mod:`ecomap.joins` (sites serving each corridor; uncovered barrier crossings) and the
    importance reads "not computed".
    """
    from . import joins

    cor = network.corridors
    importance = pd.Series("未计算 not computed", index=cor.index, dtype=object)
    table = _get(connectivity, "corridors")
    if isinstance(table, pd.DataFrame) and len(table):
        t = table.reindex(cor.index.astype(str))
        t.index = cor.index
        ranks = t["rank"] if "rank" in t else pd.Series(np.nan, index=t.index)
        n = int(ranks.notna().sum())
        if "dPC" in t:
            importance = pd.Series(
                [f"dPC {_num(d, '%', 3)}, 排名 rank {int(r)}/{n}" if not _missing(d) and not _missing(r) else "—"
                 for d, r in zip(t["dPC"], ranks, strict=True)],
                index=cor.index, dtype=object)
        if "bridges" in t and "gaps" in t:
            def count(col: str) -> pd.Series:
                return t[col].map(lambda v: "—" if _missing(v) else f"{int(v)}").astype(object)

            return {"importance": importance, "bridges": count("bridges"), "gaps": count("gaps")}
    if not len(cor):
        empty = pd.Series(dtype=object)
        return {"importance": importance, "bridges": empty, "gaps": empty}
    bridges = joins.bridge_counts(network).reindex(cor.index, fill_value=0)
    gaps = joins.gaps(network)
    ngaps = gaps.groupby("corridor_id").size().reindex(cor.index, fill_value=0) if len(gaps) else \
        pd.Series(0, index=cor.index)
    return {"importance": importance, "bridges": bridges.astype(int).astype(str).astype(object),
            "gaps": ngaps.astype(int).astype(str).astype(object)}


def _get(obj, name: str):
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


# --- public API: maps ----------------------------------------------------------------------
#: Result layers a map can also show when their results are given.
RESULT_LAYERS: tuple[str, ...] = ("gaps", "paths", "pinch_points")


def _check_layers(layers: Iterable[str] | None) -> tuple[str, ...]:
    valid = (*MAP_LAYERS, *RESULT_LAYERS)
    if layers is None:
        return valid
    names = [str(x).strip() for x in layers if str(x).strip()]
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise InputError(f"unknown layer(s) {', '.join(map(repr, unknown))}; layers are: {', '.join(valid)}")
    if not names:
        raise InputError(f"no layers chosen; layers are: {', '.join(valid)}")
    return tuple(n for n in valid if n in names)


_SEARCHABLE = {"corridors", "trails", "river", "patches", "ridge", "reservoirs"}


def atlas(
    network,
    *,
    basemap: str = "osm",
    layers: Iterable[str] | None = None,
    connectivity=None,
    corridors=None,
    title: str = "坪山生态网络 Pingshan ecological network",
    tianditu_key: str | None = None,
) -> folium.Map:
    """The atlas: every layer styled by kind, with layer control, legend, search and tools.

    Parameters
    ----------
    network
        A :class:`ecomap.network.Network`.
    basemap
        One of :data:`BASEMAPS`. On ``gaode`` every overlay is drawn in GCJ-02.
    layers
        Names to draw (default: all): catalogue layers and the result layers
        :data:`RESULT_LAYERS`; empty or missing ones are left out.
    connectivity
        The connectivity result (``.corridors`` table with ``dPC``, ``rank``, ``bridges``,
        ``gaps``; ``.gaps`` frame), if computed: corridor popups then show importance and gaps.
    corridors
        The modelled-corridor result (dict with ``paths``, ``pinch_points``), if computed.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (which inlines every asset).
    """
    chosen = _check_layers(layers)
    b = _MapBuilder(network, basemap_name=basemap, title=title, tianditu_key=tianditu_key)
    extras = {"corridors": _corridor_extras(network, connectivity)} if "corridors" in chosen else {}
    for name in chosen:
        if name in CATALOGUE:
            b.add_catalogue_layer(name, extra=extras.get(name), search=name in _SEARCHABLE)
    gaps = _get(connectivity, "gaps")
    if "gaps" in chosen and isinstance(gaps, gpd.GeoDataFrame):
        b.add_frame("gaps", gaps, label="缺口 Uncovered barrier crossings",
                    style={"color": "#b71c1c", "fillColor": "#ff5252", "weight": 2},
                    legend="缺口 gap: barrier crossing with no passage", show=True)
    for key, label, style in (
        ("paths", "模拟廊道 Modelled least-cost paths", {"color": "#6a1b9a", "weight": 3, "opacity": 0.85}),
        ("pinch_points", "夹点 Pinch points", {"color": "#4a148c", "fillColor": "#e040fb", "weight": 1.5}),
    ):
        frame = _get(corridors, key)
        if key in chosen and isinstance(frame, gpd.GeoDataFrame):
            b.add_frame(key, frame, label=label, style=style, legend=label, show=False)
    return b.finish()


def _importance_map(network, connectivity, *, basemap: str) -> folium.Map | None:
    table = _get(connectivity, "corridors")
    cor = network.corridors
    if not len(cor) or not isinstance(table, pd.DataFrame) or "dPC" not in table:
        return None
    b = _MapBuilder(network, basemap_name=basemap, title="廊道重要性 Corridor importance (dPC)")
    for name in ("districts", "ridge", "patches", "boundary"):
        b.add_catalogue_layer(name, show=name != "patches")
    dpc = pd.to_numeric(table["dPC"].reindex(cor.index.astype(str)), errors="coerce").to_numpy()
    colours = ["#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"]  # ColorBrewer YlOrRd
    finite = dpc[np.isfinite(dpc)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, 6))) if len(finite) else np.array([0.0, 1.0])
    if len(edges) < 2:
        edges = np.array([edges[0], edges[0] + 1e-9]) if len(edges) else np.array([0.0, 1.0])
    cls = np.clip(np.searchsorted(edges, dpc, side="right") - 1, 0, len(edges) - 2)
    ncls = len(edges) - 1
    pal = [colours[int(round(i * (len(colours) - 1) / max(ncls - 1, 1)))] for i in range(ncls)]
    styles = [{"color": c, "weight": 6, "opacity": 0.95, "lineCap": "round"} for c in pal]
    styles.append({"color": "#9e9e9e", "weight": 3, "opacity": 0.8, "dashArray": "4 4"})
    codes = np.where(np.isfinite(dpc), cls, ncls)
    extras = _corridor_extras(network, connectivity)
    extras["length_km"] = pd.Series(cor.geometry.length.to_numpy() / 1000.0, index=cor.index)
    frame = _page_frame(cor, gcj02=b.gcj02)
    tips, pops = _layer_popups("corridors", frame, {k: v.reindex(cor.index) for k, v in extras.items()})
    tips = [f"{t} <b>dPC {_esc(_num(d, '%', 3))}</b>" for t, d in zip(tips, dpc, strict=True)]
    labels = [f"dPC {edges[i]:.3g}–{edges[i + 1]:.3g} %" for i in range(ncls)] + ["不在图中 not in the graph"]
    b.add_styled("importance", cor, label="廊道重要性 Corridor importance", styles=styles, codes=codes.tolist(),
                 tips=tips, pops=pops, kind="line", legend_labels=labels,
                 legend_title="dPC: 移除后连通性损失 loss of connectivity if removed")
    b.notes.append("dPC = 100 · (PC − PC<sub>without corridor</sub>) / PC (Saura &amp; Rubio 2010)")
    for name in ("bridges",):
        b.add_catalogue_layer(name, show=False)
    return b.finish()


def _gaps_map(network, connectivity, *, basemap: str) -> folium.Map | None:
    gaps = _get(connectivity, "gaps")
    if not isinstance(gaps, gpd.GeoDataFrame):
        return None
    b = _MapBuilder(network, basemap_name=basemap, title="缺口 Gaps: uncovered barrier crossings")
    for name in ("districts", "ridge", "boundary", "corridors", "barriers", "bridges"):
        b.add_catalogue_layer(name, show=name != "bridges",
                              extra={"corridors": _corridor_extras(network, connectivity)}.get(name))
    if not b.add_frame("gaps", gaps, label="缺口 Uncovered barrier crossings",
                       style={"color": "#b71c1c", "fillColor": "#ff5252", "weight": 2, "radius": 7},
                       legend="缺口 gap: barrier crossing with no passage"):
        b.notes.append("没有缺口 No uncovered barrier crossing: every crossing has a passage.")
    return b.finish()


def _bridges_map(network, *, basemap: str) -> folium.Map | None:
    br = network.bridges
    if not len(br):
        return None
    b = _MapBuilder(network, basemap_name=basemap, title="逃生设施 Escape-bridge sites", cluster_points=True)
    for name in ("districts", "boundary", "corridors", "river"):
        b.add_catalogue_layer(name, extra={"corridors": _corridor_extras(network, None)}.get(name))
    b.add_heat("density", br, label="密度 Site density (heat map)")
    b.add_catalogue_layer("bridges", group=b.GROUP_ANALYSIS)
    return b.finish()


#: Half-widths (m) of the disturbance zone drawn around trails and barriers.
DISTURBANCE_M = {"trails": 100.0, "expressway": 300.0, "railway": 100.0, "arterial": 100.0, "dam": 50.0}


def _trails_map(network, *, basemap: str, disturbance_m: Mapping[str, float] = DISTURBANCE_M) -> folium.Map | None:
    """Trails and the zones they and the barriers disturb.

    Zone half-widths: 100 m beside trails, where birds flush and are scarcer near paths
    (Miller, Knight & Miller 1998, Wildl. Soc. Bull. 26:124-132); 300 m beside expressways,
    half the road-effect zone measured along a four-lane road (Forman & Deblinger 2000,
    Conserv. Biol. 14:36-46); the other barriers use the smaller values of
    :data:`DISTURBANCE_M`, which are assumptions.
    """
    tr = network.trails
    if not len(tr):
        return None
    b = _MapBuilder(network, basemap_name=basemap, title="步道与干扰 Trails and disturbance")
    for name in ("districts", "ridge", "patches", "boundary"):
        b.add_catalogue_layer(name)
    zones = []
    trail_zone = shapely.union_all(shapely.buffer(tr.geometry.values, disturbance_m["trails"]))
    zones.append(("trail", trail_zone, "步道干扰带 trail disturbance zone", "#ff9800"))
    bar = network.barriers
    if len(bar):
        surface = bar[bar["structure"].astype("object").fillna("surface") == "surface"]
        dist = surface["kind"].map(lambda k: disturbance_m.get(str(k), 100.0)).to_numpy(dtype=float)
        if len(surface):
            road_zone = shapely.union_all(shapely.buffer(surface.geometry.values, dist))
            zones.append(("barrier", road_zone, "道路干扰带 road and rail disturbance zone", "#d84315"))
    zone_frame = gpd.GeoDataFrame({"zone": [z[0] for z in zones]}, geometry=[z[1] for z in zones],
                                  crs=_crs.INTERNAL, index=pd.Index([z[0] for z in zones], name="id"))
    styles = [{"color": c, "weight": 0.5, "fillColor": c, "fillOpacity": 0.25} for *_, c in zones]
    pat = network.patches
    tips, pops = [], []
    for _, geom, label, _c in zones:
        rows = [("面积 area", _esc(_num(geom.area / 1e6, "km²", 3)))]
        if len(pat):
            hab = shapely.union_all(pat.geometry.values)
            inside = shapely.intersection(hab, geom).area
            rows.append(("生境内 inside habitat patches",
                         _esc(f"{_num(inside / 1e6, 'km²', 3)} ({100 * inside / max(hab.area, 1e-9):.1f} %)")))
        tips.append(_esc(label))
        pops.append(_popup(_esc(label), "", rows))
    b.add_styled("disturbance", zone_frame, label="干扰带 Disturbance zones", styles=styles,
                 codes=list(range(len(zones))), tips=tips, pops=pops, kind="polygon",
                 legend_labels=[z[2] for z in zones])
    b.notes.append(
        "干扰带 zone half-widths: trails 100 m (Miller et al. 1998), expressways 300 m "
        "(Forman &amp; Deblinger 2000), other barriers 50–100 m (assumed)."
    )
    for name in ("barriers", "trails"):
        b.add_catalogue_layer(name, search=name == "trails")
    return b.finish()


def _model_map(network, corridors, *, basemap: str) -> folium.Map | None:
    overlays = _get(corridors, "overlays") or []
    paths, pinch = _get(corridors, "paths"), _get(corridors, "pinch_points")
    if not overlays and not isinstance(paths, gpd.GeoDataFrame) and not isinstance(pinch, gpd.GeoDataFrame):
        return None
    b = _MapBuilder(network, basemap_name=basemap, title="模拟廊道 Modelled corridors and current density")
    for name in ("districts", "boundary", "patches"):
        b.add_catalogue_layer(name)
    for i, ov in enumerate(overlays):
        png = Path(ov["png"])
        if not png.is_file():
            log.warning("corridor overlay %s: %s is missing; left out", ov.get("name"), png)
            continue
        b.add_image(f"overlay{i}", png, ov["bounds"], label=str(ov.get("name", f"overlay {i + 1}")),
                    legend=ov.get("legend"), show=i == 0)
    for key, label, style in (
        ("paths", "最小成本路径 Least-cost paths", {"color": "#6a1b9a", "weight": 3, "opacity": 0.9}),
        ("pinch_points", "夹点 Pinch points", {"color": "#4a148c", "fillColor": "#e040fb", "weight": 1.5}),
    ):
        frame = _get(corridors, key)
        if isinstance(frame, gpd.GeoDataFrame):
            b.add_frame(key, frame, label=label, style=style, legend=label)
    b.add_catalogue_layer("corridors", show=False)
    return b.finish()


#: Thematic maps: file stem -> (title, what it shows).
THEMATIC = {
    "importance": ("廊道重要性 Corridor importance", "Corridors coloured by dPC, the loss of connectivity if each were removed."),
    "gaps": ("缺口 Gaps", "Barrier crossings of corridors with no passage (tunnel, viaduct or bridge site)."),
    "bridges": ("逃生设施 Escape-bridge sites", "Density heat map and clustered sites of the bridge register."),
    "trails": ("步道与干扰 Trails and disturbance", "Trails, roads and rail with the zones they disturb."),
    "corridor-model": ("模拟廊道 Modelled corridors", "Least-cost corridors and circuit-theory current density."),
}


def thematic_maps(network, *, connectivity=None, corridors=None, basemap: str = "osm") -> dict[str, folium.Map]:
    """The thematic maps whose data exist, by file stem (see :data:`THEMATIC`)."""
    maps = {
        "importance": _importance_map(network, connectivity, basemap=basemap),
        "gaps": _gaps_map(network, connectivity, basemap=basemap),
        "bridges": _bridges_map(network, basemap=basemap),
        "trails": _trails_map(network, basemap=basemap),
        "corridor-model": _model_map(network, corridors, basemap=basemap),
    }
    return {k: m for k, m in maps.items() if m is not None}


# --- offline HTML --------------------------------------------------------------------------
_SCRIPT_SRC = re.compile(r'<script src="([^"]+)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"/>')
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|#)([^'\")]+)\1\s*\)")


def _asset_table() -> Mapping[str, str]:
    """folium-offline's URL -> file content table (a private attribute; both packages are pinned)."""
    try:
        from offlinefolium import elements
    except ImportError as exc:  # pragma: no cover - a dependency of ecomap
        raise EcomapError("folium-offline is not installed: pip install 'folium-offline==0.20.0.*'") from exc
    table = getattr(elements, "_res", None)
    if not isinstance(table, Mapping):  # pragma: no cover
        raise EcomapError("folium-offline no longer carries its asset table; pin folium-offline==0.20.0.*")
    return table


def inline_assets(page: str) -> str:
    """Replace every CDN ``<script src>``/stylesheet link of a folium page by its content.

    Raises EcomapError naming any URL that has no offline copy, so a page never silently
    depends on the network. Relative ``url()`` references in the CSS (images a file://
    page cannot fetch) are dropped.
    """
    table = _asset_table()

    def content(url: str) -> str:
        if url not in table:
            raise EcomapError(f"no offline copy of {url}: the map would need the network")
        return table[url]

    def script(m: re.Match) -> str:
        js = content(m.group(1)).replace("</script", "<\\/script")
        return f"<script>/* {m.group(1).rsplit('/', 1)[-1]} */\n{js}\n</script>"

    def style(m: re.Match) -> str:
        css = _CSS_URL.sub("none", content(m.group(1))).replace("</style", "<\\/style")
        return f"<style>/* {m.group(1).rsplit('/', 1)[-1]} */\n{css}\n</style>"

    page = _SCRIPT_SRC.sub(script, page)
    page = _CSS_LINK.sub(style, page)
    left = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', page)
    if left:
        raise EcomapError(f"asset not inlined: {left[0]}")
    return page


def render_html(m: folium.Map) -> str:
    """The map as one self-contained HTML page (assets inlined)."""
    return inline_assets(m.get_root().render())


def save_map(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write the self-contained page atomically; returns the path."""
    return write_text(path, render_html(m))


# --- index and build -----------------------------------------------------------------------
def index_page(entries: Sequence[tuple[str, str, str]], *, report: str | None = None,
               title: str = "坪山生态网络 Pingshan ecological network",
               thumbnails: Mapping[str, str] | None = None) -> str:
    """The ``outputs/index.html`` page: a link per (relative href, title, description).

    ``thumbnails`` maps an href to a screenshot shown beside its link.
    """
    thumbs = thumbnails or {}

    def thumb(h: str) -> str:
        if h not in thumbs:
            return ""
        return f'<a href="{html.escape(h)}"><img src="{html.escape(thumbs[h])}" alt="" width="240"></a>'

    items = "".join(
        f'<li>{thumb(h)}<a href="{html.escape(h)}">{html.escape(t)}</a><br><span>{html.escape(d)}</span></li>'
        for h, t, d in entries
    )
    rep = (f'<h2>报告 Report</h2><ul><li><a href="{html.escape(report)}">连通性报告 Connectivity report</a></li></ul>'
           if report else "")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{html.escape(title)}</title>
<style>body{{font:15px/1.5 system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-width:760px;margin:2em auto;padding:0 1em;color:#263238}}
a{{color:#1b5e20;font-weight:600}}li{{margin:.6em 0;overflow:hidden}}span{{color:#546e7a}}
img{{float:right;margin:0 0 .5em 1em;border:1px solid #cfd8dc}}ul{{list-style:none;padding:0}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>离线地图：文件自带全部脚本，底图瓦片需联网。Offline maps: each file carries its scripts; only basemap tiles need the network.</p>
<h2>地图 Maps</h2><ul>{items}</ul>{rep}
<p><a href="layers/">layers/</a> GeoJSON (WGS-84)</p></body></html>
"""


def write_maps(
    network,
    out_dir: str | os.PathLike,
    *,
    connectivity=None,
    corridors=None,
    basemap: str = "osm",
    screenshots: bool = False,
) -> list[Path]:
    """Write the atlas, its Gaode (GCJ-02) variant, the thematic maps and ``index.html``.

    ``outputs/atlas.html``, ``outputs/atlas-gaode.html``, ``outputs/maps/<stem>.html``,
    ``outputs/index.html``; with ``screenshots`` also ``outputs/screenshots/<stem>.png``.
    Returns the paths written.
    """
    out = Path(out_dir)
    written: list[Path] = []
    pages: list[tuple[Path, str, str]] = []
    m = atlas(network, basemap=basemap, connectivity=connectivity, corridors=corridors)
    written.append(save_map(m, out / "atlas.html"))
    pages.append((out / "atlas.html", "生态网络图集 Atlas", "Every layer, with search, measure, legend and basemaps."))
    if basemap != "gaode":
        g = atlas(network, basemap="gaode", connectivity=connectivity, corridors=corridors)
        written.append(save_map(g, out / "atlas-gaode.html"))
        pages.append((out / "atlas-gaode.html", "图集（高德底图）Atlas on Gaode/AMap",
                      "The atlas in GCJ-02 over Gaode tiles, as Chinese map apps show it."))
    for stem, mm in thematic_maps(network, connectivity=connectivity, corridors=corridors, basemap=basemap).items():
        path = save_map(mm, out / "maps" / f"{stem}.html")
        written.append(path)
        pages.append((path, *THEMATIC[stem]))
    report = None
    rep_dir = out / "report"
    if rep_dir.is_dir():
        htmls = sorted(rep_dir.glob("*.html"), key=lambda p: (p.name != "index.html", p.name))
        report = (htmls[0] if htmls else rep_dir).relative_to(out).as_posix() + ("" if htmls else "/")
    if screenshots:
        for p, _t, _d in pages:
            written.append(screenshot(p, out / "screenshots" / f"{p.stem}.png"))
    entries = [(p.relative_to(out).as_posix(), t, d) for p, t, d in pages]
    shots = {p.relative_to(out).as_posix(): f"screenshots/{p.stem}.png" for p, _t, _d in pages
             if (out / "screenshots" / f"{p.stem}.png").is_file()}
    written.append(write_text(out / "index.html", index_page(entries, report=report, thumbnails=shots)))
    return written


# --- screenshots ---------------------------------------------------------------------------
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The Chromium binary: ``$ECOMAP_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH."""
    env = os.environ.get("ECOMAP_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(html_path: str | os.PathLike, png_path: str | os.PathLike, *, width: int = 1200,
               height: int = 800, budget_ms: int = 4000, timeout_s: float = 60.0) -> Path:
    """A PNG of a page rendered by headless Chromium, offline (tiles are not fetched)."""
    exe = find_chromium()
    if exe is None:
        raise EcomapError("screenshots need Chromium: apt-get install chromium (or set ECOMAP_CHROMIUM)")
    html_path, png_path = Path(html_path).resolve(), Path(png_path)
    with tempfile.TemporaryDirectory(prefix="ecomap-chromium-") as profile, atomic_write(png_path) as tmp:
        cmd = [exe, *CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--virtual-time-budget={budget_ms}", f"--screenshot={tmp}", html_path.as_uri()]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise EcomapError(f"chromium wrote no screenshot of {html_path}: {proc.stderr.strip()[-300:]}")
    return png_path
