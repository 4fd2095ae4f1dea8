"""How data look on a map: basemaps, bilingual words, styles by kind, page coordinates, popups."""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..layers import CATALOGUE, LAYER_NAMES

#: Environment variable holding a Tianditu key (``tk``), needed for ``basemap="tianditu"``.
TIANDITU_KEY_ENV = "ECOMAP_TIANDITU_KEY"

#: Coordinates in the page: 6 decimals of a degree, about 0.1 m.
PRECISION = 6

_ORDER = ("districts", "subdistricts", "belt", "ridge", "patches", "reservoirs", "boundary",
          "corridors", "river", "barriers", "trails", "bridges")

#: Catalogue layers in drawing order: fills under lines under points (a layer the catalogue
#: gains later is drawn after these, in its catalogue style).
MAP_LAYERS: tuple[str, ...] = (
    *(n for n in _ORDER if n in LAYER_NAMES),
    *sorted((n for n in LAYER_NAMES if n not in _ORDER),
            key=lambda n: ("polygon", "line", "point").index(CATALOGUE[n].kind)),
)


# --- basemaps ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Basemap:
    """A tile basemap: URL template(s), attribution, and whether its tiles are GCJ-02.

    Parameters
    ----------
    name : str
        The basemap's key (one of :data:`BASEMAPS`, or ``gaode-imagery``).
    title : str
        The name shown in the layer control, Chinese and English.
    tiles : tuple of str, default ()
        Leaflet URL templates (``{s}``, ``{z}``, ``{x}``, ``{y}``) drawn in order, the
        first at the bottom; empty for no basemap.
    attr : str, default ""
        The attribution (HTML).
    subdomains : str, default "abc"
        The letters or digits ``{s}`` takes.
    max_zoom : int, default 19
        The deepest zoom level with tiles.
    gcj02 : bool, default False
        Whether the tiles are drawn in GCJ-02, so overlays must be converted
        (:func:`ecomap.crs.to_gcj02`).
    """

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

    Parameters
    ----------
    name : str
        A basemap name; case and surrounding blanks do not matter.
    tianditu_key : str, optional
        A Tianditu browser key (letters and digits), used before
        ``$ECOMAP_TIANDITU_KEY``.

    Returns
    -------
    Basemap
        For ``tianditu``, the vector map with its annotation layer (Web Mercator tiles,
        ``_w``), the key in their URLs.

    Raises
    ------
    InputError
        An unknown name, or ``tianditu`` without a key or with a key that is not
        letters and digits.
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
    r"""JSON for a ``<script>``: ``<``, ``>``, ``&`` and line separators escaped.

    ``{{``, ``{%`` and ``{#`` never appear either: folium's elements pass a rendered script
    through Jinja once more, which would read them as template tags. Outside strings JSON
    has none of them, so the character after such a ``{`` is inside a string and is
    written as its ``\u`` escape.
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _JINJA_OPEN.sub(lambda m: f"{{\\u{ord(m.group(1)):04x}", text)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_JINJA_OPEN = re.compile(r"\{([{%#])")


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
    "barriers": "阻隔 Barriers", "reservoirs": "水库 Reservoirs", "subdistricts": "街道 Subdistricts",
}
LABELS.update({n: f"{s.title_zh} {s.title_en}" for n, s in CATALOGUE.items() if n not in LABELS})


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
    spec = CATALOGUE[layer]  # a layer without a style of its own: the catalogue's colours
    colour = spec.style.get("color", "#546e7a")
    fill = spec.style.get("fill", colour)
    style = {"color": colour, "weight": 2 if spec.kind == "line" else 1}
    if spec.kind == "polygon":
        style.update(fill=fill != "none", fillColor=fill if fill != "none" else colour, fillOpacity=0.35)
    if spec.kind == "point":
        style.update(radius=5, fill=True, fillColor=fill, fillOpacity=0.9)
    return f"{spec.title_zh} {spec.title_en}", style


def _bridge_style(status: str) -> dict:
    return {"radius": 4, "color": "#263238", "weight": 1, "fill": True, "fillOpacity": 0.95,
            "fillColor": _BRIDGE_COLOURS.get(status, "#fdd835")}


# --- geometry to the page ------------------------------------------------------------------
def _page_frame(gdf: gpd.GeoDataFrame, *, gcj02: bool) -> gpd.GeoDataFrame:
    """A frame in page coordinates: WGS-84 (or GCJ-02) lon/lat rounded to PRECISION, id a column.

    A frame of 2-D points goes by :func:`_page_points` (coordinate arrays, the same numbers);
    any other goes by :func:`_page_frame_geoms`.
    """
    geoms = gdf.geometry.values
    if gdf.crs is not None and len(gdf):
        present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        kept = np.asarray(geoms)[present]
        if (shapely.get_type_id(kept) == 0).all() and not shapely.has_z(kept).any():
            return _page_points(gdf, present, kept, gcj02=gcj02)
    return _page_frame_geoms(gdf, gcj02=gcj02)


def _page_points(gdf: gpd.GeoDataFrame, present: np.ndarray, kept: np.ndarray, *, gcj02: bool) -> gpd.GeoDataFrame:
    """:func:`_page_frame_geoms` for 2-D points: one pyproj call, GCJ-02 and rounding on arrays.

    The transformer is the one ``GeoDataFrame.to_crs`` uses (geopandas' cache, same arguments),
    so the coordinates are bit-identical to the per-geometry path.
    """
    wgs = pyproj.CRS.from_user_input(_crs.WGS84)
    xy = shapely.get_coordinates(kept)
    x, y = xy[:, 0], xy[:, 1]
    if not gdf.crs.is_exact_same(wgs):
        x, y = _crs._from_crs(gdf.crs, wgs, always_xy=True).transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if gcj02:
        x, y = _crs.wgs84_to_gcj02(x, y)
    out = gdf[present]
    index = out.index
    out = out.reset_index(drop=True)
    if "id" not in out.columns:
        simple = index.dtype.kind in "iuO" and not isinstance(index, pd.MultiIndex)
        out.insert(0, "id", index.astype(str).tolist() if simple else [str(v) for v in index])
    if gcj02:
        out.attrs["coordinates"] = "GCJ-02"
    points = shapely.points(np.round(x, PRECISION), np.round(y, PRECISION))
    return out.set_geometry(gpd.array.from_shapely(points, crs=_crs.WGS84))


def _page_frame_geoms(gdf: gpd.GeoDataFrame, *, gcj02: bool) -> gpd.GeoDataFrame:
    """:func:`_page_frame` geometry by geometry (any geometry types)."""
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
class _Pop(NamedTuple):
    """A popup as parts (every part already escaped HTML); ``str()`` gives its HTML.

    The page receives the parts as words of a per-layer table and builds the HTML only
    when the popup opens (``ecomap.popHtml``), the same HTML as ``str()`` here.
    """

    title: str
    subtitle: str
    rows: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in self.rows)
        sub = f'<div class="eco-en">{self.subtitle}</div>' if self.subtitle else ""
        return f'<div class="eco-pop"><div class="eco-h">{self.title}</div>{sub}<table>{body}</table></div>'

    def __contains__(self, text) -> bool:
        return text in str(self)


class _Tip(NamedTuple):
    """A tooltip as parts (escaped HTML): the names, and a dimmed extra; ``str()`` gives its HTML."""

    text: str
    extra: str = ""

    def __str__(self) -> str:
        return self.text + (f" <span class='eco-dim'>{self.extra}</span>" if self.extra else "")

    def __contains__(self, text) -> bool:
        return text in str(self)


def _popup(title: str, subtitle: str, rows: Sequence[tuple[str, str]]) -> _Pop:
    """A popup from already escaped parts (its HTML is ``str()`` of the result)."""
    return _Pop(title, subtitle, tuple((k, v) for k, v in rows))


def _names(row: Mapping) -> tuple[str, str]:
    zh, en = row.get("name_zh"), row.get("name_en")
    title = _esc(row.get("id"))
    if not _missing(zh):
        title += " " + _esc(zh)
    return title, "" if _missing(en) else _esc(en)


def _tip(row: Mapping, extra: str = "") -> _Tip:
    zh, en = row.get("name_zh"), row.get("name_en")
    parts = [p for p in (zh, en) if not _missing(p)]
    text = " · ".join(_esc(p) for p in parts) if parts else _esc(row.get("id"))
    return _Tip(text, extra)


#: Characters of a long text shown in a popup; the rest opens behind "more".
LONG_TEXT_CHARS = 300


def _long_text(v, n: int = LONG_TEXT_CHARS) -> str:
    """Escaped HTML of a value: a text over ``n`` characters shows ``n``, the rest behind "more".

    Nothing is cut away: the rest sits in a closed ``<details>`` element, escaped like the start.
    """
    if not isinstance(v, str) or len(v) <= n:
        return _esc(v)
    return (f"{_esc(v[:n])}<details class=\"eco-more\"><summary>更多 more</summary>"
            f"{_esc(v[n:])}</details>")


def _common_rows(row: Mapping) -> list[tuple[str, str]]:
    return [("来源 source", _long_text(row.get("source"))), ("可信度 confidence", _esc(row.get("confidence")))]


def _layer_popups(layer: str, frame: pd.DataFrame, extra: Mapping[str, pd.Series]) -> tuple[list[_Tip], list[_Pop]]:
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


def _generic_popups(frame: gpd.GeoDataFrame, title: str, *, limit: int = 10) -> tuple[list[_Tip], list[_Pop]]:
    """Tooltips and popups for a result frame of unknown columns: the first ``limit`` columns."""
    cols = [c for c in frame.columns if c != frame.geometry.name][:limit]
    tips, pops = [], []
    for row in frame[cols].to_dict("records"):
        name = row.get("name_zh") or row.get("name_en") or row.get("id")
        tips.append(_Tip(f"{_esc(title)}: {_esc(name)}"))
        rows = [(_esc(c), _esc(_num(v) if isinstance(v, int | float | np.number) else v)) for c, v in row.items()]
        pops.append(_popup(_esc(title), "", rows))
    return tips, pops
