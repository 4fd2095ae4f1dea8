"""Offline, self-contained Folium web maps: the atlas of every layer and the thematic maps.

A map is built with stock ``folium`` (Leaflet 1.9.3 and its plugins) and then made
self-contained: every ``<script src>`` and ``<link href>`` that folium points at a CDN is
replaced by the file's content, taken from the URL -> content table that the pinned
``folium-offline`` package ships. Only basemap tiles come from the network, and with
``basemap="none"`` nothing does.

Data reach the page as JSON inside one script, with ``<``, ``>`` and ``&`` escaped, and every
value taken from data is HTML-escaped before it reaches a popup, tooltip, legend or
control label. Every layer travels packed: points (the bridge-site register, up to a million
sites) as typed columns, lines and polygons as one encoded-polyline vertex stream with their
popup texts in a word table; each is drawn by one canvas layer, and a tooltip or popup is
built only when shown. On the Gaode/AMap basemap, whose tiles are in GCJ-02, every overlay
is converted to GCJ-02 first.

The modules: ``_style`` (basemaps, words, styles, popups), ``_pack`` (layers packed for the
page), ``_page`` (the page's CSS and JavaScript, inlined assets, screenshots), ``_points``
and ``_shapes`` (the JavaScript of the point layer and of the line and polygon layers),
``_builder`` (one map assembled), ``_maps`` (the atlas, the thematic maps, the index page,
the build step).
"""

from __future__ import annotations

from ._maps import (
    DISTURBANCE_M,
    RESULT_LAYERS,
    THEMATIC,
    atlas,
    index_page,
    thematic_maps,
    write_maps,
)
from ._page import CHROMIUM_ARGS, find_chromium, inline_assets, render_html, save_map, screenshot
from ._style import BASEMAPS, LABELS, MAP_LAYERS, TIANDITU_KEY_ENV, ZH, Basemap, basemap

__all__ = [
    "BASEMAPS",
    "CHROMIUM_ARGS",
    "DISTURBANCE_M",
    "LABELS",
    "MAP_LAYERS",
    "RESULT_LAYERS",
    "THEMATIC",
    "TIANDITU_KEY_ENV",
    "ZH",
    "Basemap",
    "atlas",
    "basemap",
    "find_chromium",
    "index_page",
    "inline_assets",
    "render_html",
    "save_map",
    "screenshot",
    "thematic_maps",
    "write_maps",
]
