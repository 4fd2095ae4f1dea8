"""The maps: the atlas, the thematic maps, the index page, and the build's map step."""

from __future__ import annotations

import html
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import crs as _crs
from .._errors import InputError
from ..io import write_text
from ..layers import CATALOGUE
from ._builder import (
    _corridor_extras,
    _get,
    _MapBuilder,
)
from ._page import (
    save_map,
    screenshot,
)
from ._style import (
    MAP_LAYERS,
    _esc,
    _layer_popups,
    _num,
    _page_frame,
    _popup,
)

log = logging.getLogger(__name__)


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
    network : Network
        A :class:`ecomap.network.Network`.
    basemap : str, default "osm"
        One of :data:`BASEMAPS`. On ``gaode`` every overlay is drawn in GCJ-02.
    layers : iterable of str, optional
        Names to draw (default: all): catalogue layers and the result layers
        :data:`RESULT_LAYERS`; empty or missing ones are left out.
    connectivity : ConnectivityResult, optional
        The connectivity result (``.corridors`` table with ``dPC``, ``rank``, ``bridges``,
        ``gaps``; ``.gaps`` frame), if computed: corridor popups then show importance and gaps.
    corridors : dict, optional
        The modelled-corridor result (dict with ``paths``, ``pinch_points``), if computed.
    title : str, default "坪山生态网络 Pingshan ecological network"
        The page's title (HTML-escaped).
    tianditu_key : str, optional
        A Tianditu key for ``basemap="tianditu"``, if not in ``$ECOMAP_TIANDITU_KEY``.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map` (which inlines every asset).

    Raises
    ------
    InputError
        An unknown layer name or none chosen, an unknown basemap, or ``tianditu``
        without a valid key.

    References
    ----------
    .. [1] V. Agafonkin et al., *Leaflet* 1.9.3, https://leafletjs.com, drawn through
       *folium* (python-visualization), https://python-visualization.github.io/folium.
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
    labels = _class_labels(edges, "dPC", "%") + ["不在图中 not in the graph"]
    b.add_styled("importance", cor, label="廊道重要性 Corridor importance", styles=styles, codes=codes.tolist(),
                 tips=tips, pops=pops, kind="line", legend_labels=labels,
                 legend_title="dPC: 移除后连通性损失 loss of connectivity if removed")
    b.notes.append("dPC = 100 · (PC − PC<sub>without corridor</sub>) / PC (Saura &amp; Rubio 2010)")
    for name in ("bridges",):
        b.add_catalogue_layer(name, show=False)
    return b.finish()


def _class_labels(edges, name: str, unit: str) -> list[str]:
    """Legend labels of the classes between ``edges``: the first ``≤ upper``, the others ``lower–upper``.

    The lowest edge is the smallest value, often tiny (``1.45e-05``): a planner reads
    ``dPC ≤ 0.0304 %`` where ``dPC 1.45e-05–0.0304 %`` says the same in a worse way.

    Parameters
    ----------
    edges : sequence of float
        The class breaks, ascending (n + 1 of them for n classes).
    name, unit : str
        What is classed and its unit (``"dPC"``, ``"%"``).

    Returns
    -------
    list of str
        One label per class.
    """
    labels = [f"{name} {edges[i]:.3g}–{edges[i + 1]:.3g} {unit}" for i in range(len(edges) - 1)]
    if len(edges) > 2:
        labels[0] = f"{name} ≤ {edges[1]:.3g} {unit}"
    return labels


def _gaps_map(network, connectivity, *, basemap: str) -> folium.Map | None:
    gaps = _get(connectivity, "gaps")
    if not isinstance(gaps, gpd.GeoDataFrame):
        return None
    b = _MapBuilder(network, basemap_name=basemap, title="缺口 Gaps: uncovered barrier crossings")
    for name in ("districts", "ridge", "boundary", "corridors", "barriers", "bridges"):
        # the corridor extras (a join of every site) only for the corridors, once
        b.add_catalogue_layer(name, show=name != "bridges",
                              extra=_corridor_extras(network, connectivity) if name == "corridors" else None)
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
        b.add_catalogue_layer(name, extra=_corridor_extras(network, None) if name == "corridors" else None)
    b.add_heat("density", None, label="密度 Site density (heat map)", source="bridges")
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
    """The thematic maps whose data exist, by file stem (see :data:`THEMATIC`).

    ``importance`` (corridors coloured by dPC in quintile classes) needs
    ``connectivity``; ``gaps`` needs its ``.gaps``; ``bridges`` needs bridge sites;
    ``trails`` needs trails (disturbance zones of :data:`DISTURBANCE_M` metres);
    ``corridor-model`` needs ``corridors``. A map without its data is left out.

    Parameters
    ----------
    network : Network
        A :class:`ecomap.network.Network`.
    connectivity : ConnectivityResult, optional
        The connectivity result (``.corridors`` table with ``dPC``, ``rank``, ``bridges``,
        ``gaps``; ``.gaps`` frame), if computed.
    corridors : dict, optional
        The modelled-corridor result (dict with ``overlays``, ``paths``,
        ``pinch_points``), if computed.
    basemap : str, default "osm"
        One of :data:`BASEMAPS`.

    Returns
    -------
    dict of str to folium.Map
        File stem -> map, in the order of :data:`THEMATIC`.

    Raises
    ------
    InputError
        An unknown basemap, or ``tianditu`` without a valid key.

    References
    ----------
    .. [1] S. Saura and L. Rubio, "A common currency for the different ways in which
       patches and links can contribute to habitat availability and connectivity in the
       landscape", *Ecography* 33 (2010), 523-537 (dPC).
    .. [2] C. A. Brewer, *ColorBrewer*, https://colorbrewer2.org (the YlOrRd classes).
    .. [3] S. G. Miller, R. L. Knight and C. K. Miller, "Influence of recreational trails
       on breeding bird communities", *Ecological Applications* 8 (1998), 162-169
       (trail zone 100 m).
    .. [4] R. T. T. Forman and R. D. Deblinger, "The ecological road-effect zone of a
       Massachusetts (U.S.A.) suburban highway", *Conservation Biology* 14 (2000),
       36-46 (expressway zone 300 m).
    """
    maps = {
        "importance": _importance_map(network, connectivity, basemap=basemap),
        "gaps": _gaps_map(network, connectivity, basemap=basemap),
        "bridges": _bridges_map(network, basemap=basemap),
        "trails": _trails_map(network, basemap=basemap),
        "corridor-model": _model_map(network, corridors, basemap=basemap),
    }
    return {k: m for k, m in maps.items() if m is not None}


# --- index and build -----------------------------------------------------------------------
def index_page(entries: Sequence[tuple[str, str, str]], *, report: str | None = None,
               title: str = "坪山生态网络 Pingshan ecological network",
               thumbnails: Mapping[str, str] | None = None, layers: str | None = None) -> str:
    """The ``outputs/index.html`` page: a link per (relative href, title, description).

    ``thumbnails`` maps an href to a screenshot shown beside its link; ``layers`` is the
    folder of GeoJSON layers, linked when given.

    Parameters
    ----------
    entries : sequence of (str, str, str)
        ``(href, title, description)`` per map, hrefs relative to the page.
    report : str, optional
        The report's relative href, linked under its own heading when given.
    title : str, default "坪山生态网络 Pingshan ecological network"
        The page's title and heading.
    thumbnails : mapping of str to str, optional
        href -> relative path of a screenshot, shown 240 px wide beside the link.
    layers : str, optional
        The relative folder of GeoJSON layers.

    Returns
    -------
    str
        A complete HTML page (``lang="zh-CN"``, UTF-8), every given text HTML-escaped.
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
    lay = f'<p><a href="{html.escape(layers)}">{html.escape(layers)}</a> GeoJSON (WGS-84)</p>' if layers else ""
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
{lay}</body></html>
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

    The Gaode variant is left out when ``basemap`` is already ``gaode``. The index links
    ``report/`` (its ``index.html`` first) and ``layers/`` when those folders exist.

    Parameters
    ----------
    network : Network
        A :class:`ecomap.network.Network`.
    out_dir : str or os.PathLike
        The output folder (``outputs/``).
    connectivity : ConnectivityResult, optional
        The connectivity result (``.corridors`` table with ``dPC``, ``rank``, ``bridges``,
        ``gaps``; ``.gaps`` frame), if computed.
    corridors : dict, optional
        The modelled-corridor result (dict with ``overlays``, ``paths``,
        ``pinch_points``), if computed.
    basemap : str, default "osm"
        One of :data:`BASEMAPS`, for the atlas and the thematic maps.
    screenshots : bool, default False
        Also write a PNG of each page with headless Chromium (:func:`screenshot`).

    Returns
    -------
    list of pathlib.Path
        The pages (and screenshots) written, ``index.html`` last.

    Raises
    ------
    InputError
        An unknown basemap, or ``tianditu`` without a valid key.
    EcomapError
        With ``screenshots``, when Chromium is missing or fails; or when a page asset
        has no offline copy (:func:`inline_assets`).
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
    shots = {}   # thumbnails only from this build: a screenshot left by an earlier one may show other data
    if screenshots:
        for p, _t, _d in pages:
            written.append(screenshot(p, out / "screenshots" / f"{p.stem}.png"))
            shots[p.relative_to(out).as_posix()] = f"screenshots/{p.stem}.png"
    entries = [(p.relative_to(out).as_posix(), t, d) for p, t, d in pages]
    written.append(write_text(out / "index.html", index_page(
        entries, report=report, thumbnails=shots, layers="layers/" if (out / "layers").is_dir() else None)))
    return written
