"""Assembling one map: basemap, controls, layers, legend and search in one script."""

from __future__ import annotations

import base64
import html
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement

from .. import crs as _crs
from ..layers import CATALOGUE
from ._pack import pack_layer
from ._page import (
    _CSS,
    _RUNTIME,
    Supercluster,
)
from ._style import (
    _BASEMAPS,
    _BRIDGE_COLOURS,
    _WIDTH_CLASSES,
    LABELS,
    MAP_LAYERS,
    PRECISION,
    TIANDITU_KEY_ENV,
    Basemap,
    _both,
    _bounds_list,
    _bridge_style,
    _esc,
    _feature_collection,
    _feature_style,
    _generic_popups,
    _jsdump,
    _layer_popups,
    _missing,
    _num,
    _page_frame,
    basemap,
)


# --- the map element -----------------------------------------------------------------------
class _Text(Element):
    """Text that renders as itself (no Jinja template made of it)."""

    def __init__(self, text: str) -> None:
        super().__init__("")
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class _EcoScript(folium.elements.JSCSSMixin, MacroElement):
    """One script that builds every ecomap layer and control on a folium Map."""

    # the macro marks the script's place; render() puts the text there as is: branca would
    # compile a macro's output as a Jinja template, which at a million sites is 27 MB to lex
    _template = folium.template.Template("{% macro script(this, kwargs) %}{% endmacro %}")

    def __init__(self) -> None:
        super().__init__()
        self._name = "EcomapScript"
        self.parts: list[str] = []
        self.default_js: list[tuple[str, str]] = []
        self.default_css: list[tuple[str, str]] = []

    @property
    def code(self) -> str:
        return "\n".join(self.parts)

    def render(self, **kwargs) -> None:
        """Link the assets and place the script (its text not read as a template)."""
        super().render(**kwargs)
        text = (f"(function (map) {{\necomap.map = map; ecomap.setup(map);\n{self.code}\n"
                f"}})({self._parent.get_name()});")
        self.get_root().script.add_child(_Text(text), name=self.get_name())

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


#: Attribution the page shows when a layer holds OpenStreetMap-derived data (ODbL 1.0).
DATA_OSM_ATTR = ('Data: &copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
                 'contributors (ODbL)')


def _derived_from_osm(network) -> bool:
    """True when any layer's ``source`` names an OpenStreetMap object (``osm:...``)."""
    for name in CATALOGUE:
        gdf = network[name]
        if len(gdf) and "source" in gdf.columns:
            if gdf["source"].astype(str).str.contains(r"\bosm:", regex=True).any():
                return True
    return False


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
        self.map = folium.Map(location=centre, zoom_start=12, tiles=None, prefer_canvas=False,
                              control_scale=False, min_zoom=7, max_zoom=19)
        # Every data layer draws on one shared canvas (see the page runtime); the map's
        # default renderer stays SVG for the measure tool, which styles its own paths' elements.
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
        self._add_data_attribution()

    # -- setup
    def _add_data_attribution(self) -> None:
        """Credit OpenStreetMap (ODbL) in the map's attribution when a layer is derived from it."""
        if _derived_from_osm(self.network):
            self.script.parts.append(f"map.attributionControl.addAttribution({_jsdump(DATA_OSM_ATTR)});")

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
        # "no basemap" still draws the district outline and the neighbouring districts, so the
        # map is never blank whatever layers are chosen
        outline = (f"L.geoJSON({_jsdump(self._context_data(5.0))}, {{pane: 'ecoBase', interactive: false, "
                   "style: function (f) { return f.properties.b ? {color: '#263238', weight: 2.5, fill: false} "
                   ": {color: '#90a4ae', weight: 1, dashArray: '4 3', fill: false}; }})")
        for i, b in enumerate(family):
            js = self._tile_js(b) if b.tiles else outline
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
        if name == "bridges":  # the register: compact columns, popups built in the page
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
        self._vector(name, frame, codes, tips, pops, styles)
        label = f"{LABELS[name]} ({len(frame)})"
        grp = group or (self.GROUP_CITY if spec.scale == "city" else self.GROUP_LOCAL)
        self.overlays.append(_Overlay(name, html.escape(label), html.escape(grp), show))
        self._legend_from_styles(LABELS[name], spec.kind, labels, styles)
        if search:
            self._search_items(name, frame)
        return True

    def _vector(self, key: str, frame: gpd.GeoDataFrame, codes: Sequence[int], tips: Sequence, pops: Sequence,
                styles: Sequence[dict]) -> None:
        """One packed layer (geometry stream and word table, :mod:`._pack`) into the script."""
        data = pack_layer(frame.geometry.values, frame["id"].tolist(), codes, tips, pops)
        self.script.parts.append(
            f"ecomap.vector({_jsdump(key)}, {_jsdump(data)}, {_jsdump(list(styles))}, {10 ** PRECISION});"
        )

    def _add_points(self, name: str, frame: gpd.GeoDataFrame, *, show: bool, group: str | None) -> None:
        payload = _points_payload(frame)
        self.script.parts.append(
            f"ecomap.points({_jsdump(name)}, {_jsdump(payload)}, {'true' if self.cluster_points else 'false'});"
        )
        if self.cluster_points:
            self.script.need(Supercluster)
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
        self._vector(key, frame, [0] * len(frame), tips, pops, [st])
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
        self._vector(key, frame, codes, tips, pops, styles)
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

    def add_heat(self, key: str, frame_internal: gpd.GeoDataFrame | None, *, label: str, show: bool = True,
                 source: str | None = None) -> None:
        """A heat map of points: from typed columns of its own, or those of the point layer ``source``.

        With ``source`` (a point layer added later, e.g. "bridges") the page reads that layer's
        columns and the heat map adds no bytes per site; otherwise its frame's coordinates are
        sent as base64 int32 columns (8 bytes a site before base64), not a JSON list of lists.
        In the page, Leaflet.heat is given the sites in view binned into its own grid at each
        move, not every site (``ecomap.heat`` in :mod:`._points`).
        """
        self.script.need(folium.plugins.HeatMap)
        opts = {"radius": 14, "blur": 16, "minOpacity": 0.3, "maxZoom": 15, "pane": "ecoRaster"}
        cols = None
        if source is None:
            frame = _page_frame(frame_internal[[frame_internal.geometry.name]], gcj02=self.gcj02)
            scale = 10 ** PRECISION
            cols = {"scale": scale, "lat": _b64(np.round(shapely.get_y(frame.geometry.values) * scale), np.int32),
                    "lon": _b64(np.round(shapely.get_x(frame.geometry.values) * scale), np.int32)}
        self.script.parts.append(
            f"ecomap.heat({_jsdump(key)}, {_jsdump(cols)}, {_jsdump(opts)}, {_jsdump(source)});"
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
        # the view first: layers shown at once draw once, for it
        parts.append(f"map.fitBounds({_jsdump(self.bounds)}, {{padding: [10, 10], animate: false}});")
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
        folium.plugins.Fullscreen(position="topleft", title="全屏 Full screen",
                                  title_cancel="退出全屏 Exit full screen").add_to(self.map)
        folium.plugins.MeasureControl(position="topleft", primary_length_unit="meters",
                                      secondary_length_unit="kilometers", primary_area_unit="hectares",
                                      secondary_area_unit="sqmeters").add_to(self.map)
        s.add_to(self.map)
        return self.map

    def _context_data(self, tolerance_m: float = 50.0) -> dict:
        """The Shenzhen districts (``b`` 0) and the Pingshan boundary (``b`` 1), simplified to ``tolerance_m``."""
        feats = []
        for name, flag in (("districts", 0), ("boundary", 1)):
            gdf = self.network[name]
            if len(gdf):
                g = gdf.set_geometry(gdf.geometry.simplify(tolerance_m))[["geometry"]]
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



def _date_text(v) -> str | None:
    """An ``installed`` value as ``YYYY-MM-DD`` (GDAL reads ISO dates as timestamps), None if missing."""
    if v is None or v is pd.NaT or _missing(v):
        return None
    return v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else str(v)


def _b64(values: np.ndarray, dtype) -> str:
    """A typed column as base64 of its little-endian bytes (decoded by ``ecomap.column`` in the page)."""
    return base64.b64encode(np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()).decode()


def _id_column(rest: pd.Series) -> dict:
    """Ids less their common prefix, as the page's ``ecomap.lazyIds`` reads them.

    ``idRun`` [first, width] when they count up by one, zero-padded to one width (B00001,
    B00002, ...); otherwise ``id``, one newline-joined text.
    """
    if len(rest) > 1:
        width = len(rest.iloc[0])
        if 0 < width < 10 and (rest.str.len() == width).all() and rest.str.fullmatch("[0-9]+").all():
            nums = rest.astype(np.int64).to_numpy()
            if (np.diff(nums) == 1).all():
                return {"id": "", "idRun": [int(nums[0]), width]}
    return {"id": "\n".join(rest.tolist())}


def _points_payload(frame: gpd.GeoDataFrame) -> dict:
    """Bridge sites as typed columns: coordinates and coded categories as base64, ids as one text.

    Coordinates are integers of 10^-PRECISION degrees (int32), categories and the install
    date are codes into a vocabulary (uint8, status, host and material in one byte as
    ``shm`` = st + K0 * (h + K1 * m) where they fit; int16 or int32 with -1 for no date), ids one
    newline-joined string less their common prefix (or, counting up by one, the first and
    width); names and notes, rare, stay JSON. At a million sites this is about 16 MB, against
    79 MB as JSON lists.
    """
    spec = CATALOGUE["bridges"]
    geoms = frame.geometry.values
    scale = 10 ** PRECISION
    vocab = {}
    codes = {}
    for col, short in (("status", "st"), ("host", "h"), ("material", "m")):
        allowed = list(spec.column(col).allowed)
        cat = pd.Categorical(frame[col].astype("object"), categories=allowed)
        c = np.asarray(cat.codes, dtype=int)
        vocab[col] = [_both(a) for a in allowed] + ["—"]
        c[c < 0] = len(allowed)
        codes[short] = c
    k_st, k_h = len(vocab["status"]), len(vocab["host"])
    if k_st * k_h * len(vocab["material"]) <= 256:   # the three codes in one byte
        codes = {"shm": _b64(codes["st"] + k_st * (codes["h"] + k_h * codes["m"]), np.uint8), "shmK": [k_st, k_h]}
    else:
        codes = {k: _b64(c, np.uint8) for k, c in codes.items()}
    raw_codes, raw_dates = pd.factorize(frame["installed"], use_na_sentinel=True)
    day = pd.Series([_date_text(v) for v in raw_dates], dtype=object)   # each distinct value once
    day_codes, inst_vocab = pd.factorize(day, use_na_sentinel=True)
    inst_codes = np.where(raw_codes >= 0, np.r_[day_codes, -1][raw_codes], -1)
    ids = frame["id"].astype(str).str.replace("\n", " ")
    prefix = os.path.commonprefix([ids.min(), ids.max()]) if len(ids) else ""
    out = {
        "scale": scale,
        "lat": _b64(np.round(shapely.get_y(geoms) * scale), np.int32),
        "lon": _b64(np.round(shapely.get_x(geoms) * scale), np.int32),
        "idPrefix": prefix, **_id_column(ids.str.slice(len(prefix))), **codes,
        "inst": {"vocab": [str(v) for v in inst_vocab], "code": _b64(inst_codes, np.int16 if len(inst_vocab) < 2**15
                                                                     else np.int32)},
        "vocab": vocab,
        "styles": [_bridge_style(s) for s in spec.column("status").allowed] + [_bridge_style("?")],
    }
    for col, key in (("name_zh", "zh"), ("name_en", "en")):
        if col in frame and frame[col].notna().any():
            out[key] = [None if _missing(v) else str(v) for v in frame[col].tolist()]
    if "note" in frame:
        note = frame["note"]
        rows = np.flatnonzero(note.notna().to_numpy())   # few sites have a note: test those only
        notes = {str(i): str(v) for i, v in zip(rows.tolist(), note.iloc[rows].tolist(), strict=True) if not _missing(v)}
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
    from .. import joins

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
