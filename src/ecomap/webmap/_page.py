"""The page itself: its CSS and JavaScript runtime, inlined assets, and screenshots."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import folium
import folium.plugins

from .._errors import EcomapError
from ..io import atomic_write, write_text
from ._points import RUNTIME_POINTS
from ._shapes import RUNTIME_SHAPES

# --- the page runtime ----------------------------------------------------------------------
_CSS = """
.leaflet-container{background:#f2efe9;font:13px/1.35 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif}
.eco-pop{font-size:13px;line-height:1.35}.eco-pop .eco-h{font-weight:600;font-size:14.5px}.eco-pop .eco-en{color:#455a64;margin-bottom:4px}
.eco-pop table{border-collapse:collapse}.eco-pop th{text-align:left;font-weight:500;color:#546e7a;padding:1px 8px 1px 0;white-space:nowrap}
.eco-pop td{padding:1px 0;max-width:230px;overflow-wrap:anywhere}.eco-more summary{cursor:pointer;color:#1565c0}.eco-dim{color:#607d8b}
.eco-legend{font-size:12px;background:rgba(255,255,255,.93);padding:6px 9px;border-radius:5px;box-shadow:0 1px 5px rgba(0,0,0,.35);max-height:46vh;overflow:auto;max-width:300px}
.eco-legend summary{font-weight:600;cursor:pointer}.eco-legend .eco-sec{margin:4px 0 1px;font-weight:600;color:#37474f}
.eco-legend div.eco-row{display:flex;align-items:center;gap:5px;margin:0}.eco-legend svg{flex:none}
.eco-legend .eco-note{color:#546e7a;font-size:12px;max-width:270px;margin-top:4px}
.eco-search{background:#fff;padding:4px;width:250px}.eco-search input{width:100%;box-sizing:border-box;font-size:13px;padding:3px 5px;border:1px solid #b0bec5;border-radius:3px}
.eco-search ul{list-style:none;margin:2px 0 0;padding:0;max-height:240px;overflow:auto}.eco-search li{padding:3px 5px;cursor:pointer;border-top:1px solid #eceff1}
.eco-search li:hover,.eco-search li.eco-on{background:#e8f5e9}
.eco-mouse{background:rgba(255,255,255,.88);padding:2px 6px;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;border-radius:3px;white-space:pre}
.leaflet-control-layers-group-name{font-weight:600;display:block;margin:4px 0 2px;color:#37474f}
.leaflet-control-layers{font-size:12.5px;max-height:60vh;overflow:auto}
.leaflet-container.eco-hit{cursor:pointer!important}
.leaflet-container .marker-cluster-small{background-color:rgba(144,202,249,.6)}.leaflet-container .marker-cluster-small div{background-color:rgba(66,165,245,.75)}
.leaflet-container .marker-cluster-medium{background-color:rgba(121,134,203,.6)}.leaflet-container .marker-cluster-medium div{background-color:rgba(63,81,181,.75)}
.leaflet-container .marker-cluster-large{background-color:rgba(149,117,205,.6)}.leaflet-container .marker-cluster-large div{background-color:rgba(94,53,177,.8)}
.leaflet-container .marker-cluster div span{color:#fff;font-weight:600}
.marker-cluster{background-clip:padding-box;border-radius:20px;cursor:pointer}.marker-cluster div{width:30px;height:30px;margin-left:5px;margin-top:5px;text-align:center;border-radius:15px;font:12px "Helvetica Neue",Arial,Helvetica,sans-serif}.marker-cluster span{line-height:30px}
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
ecomap.setup = function (map) {
  // Raster overlays get a pane under the vectors. Every vector layer shares one canvas
  // renderer (a canvas in a higher pane would swallow the mouse events of lower ones);
  // the drawing order (fills, lines, points) is restored whenever a layer is switched on.
  map.setMinZoom(7); map.setMaxZoom(19);
  if (!map.getPane('ecoRaster')) map.createPane('ecoRaster').style.zIndex = 395;
  ecomap.renderer = L.canvas({tolerance: 4});
  ecomap.order = [];
  ecomap.interact(map);
  L.control.scale({metric: true, imperial: false, maxWidth: 150}).addTo(map);   // metres and kilometres only
  if (!map.getPane('ecoBase')) map.createPane('ecoBase').style.zIndex = 250;
  map.on('overlayadd', function () {
    ecomap.order.forEach(function (k) {
      var l = ecomap.layers[k];
      if (map.hasLayer(l) && l.bringToFront) l.bringToFront();
    });
  });
};
// A packed layer (see _pack.py): the vertex stream decoded once, one Leaflet path per
// feature on the shared canvas; tooltip and popup HTML built from the word table when shown.
ecomap.polyline = function (s) {
  var out = [], n = s.length, i = 0, acc = [0, 0], k = 0;
  while (i < n) {
    var b, shift = 0, v = 0;
    do { b = s.charCodeAt(i++) - 63; v += (b & 31) * Math.pow(2, shift); shift += 5; } while (b >= 32);
    acc[k] += (v % 2) ? -(v + 1) / 2 : v / 2;
    out.push(acc[k]); k = 1 - k;
  }
  return out;
};
ecomap.tipHtml = function (d, i) {
  var f = d.f[i], w = d.w;
  return w[f[2] < 0 ? f[0] : f[2]] + (f[3] ? " <span class='eco-dim'>" + w[f[3]] + '</span>' : '');
};
ecomap.popHtml = function (d, i) {
  var f = d.f[i], w = d.w;
  if (f[1] < 0) return w[f[0]];
  var rows = '', h = d.h[f[4]];
  for (var k = 0; k < h.length; k++) rows += '<tr><th>' + w[h[k]] + '</th><td>' + w[f[5 + k]] + '</td></tr>';
  return '<div class="eco-pop"><div class="eco-h">' + w[f[0]] + '</div>' +
    (w[f[1]] ? '<div class="eco-en">' + w[f[1]] + '</div>' : '') + '<table>' + rows + '</table></div>';
};
ecomap.vector = function (key, d, styles, scale) {
  var layer, pre = d.idPrefix || '';
  if (pre) d.id = d.id.map(function (x) { return pre + x; });
  if (d.g.t !== 'geojson') {
    layer = new ecomap.ShapeLayer(d, styles, scale);   // batched canvas drawing, see _shapes.py
  } else {   // mixed geometry types: one Leaflet layer per feature on the shared canvas
    var geo = d.g.c, layers = new Array(geo.length);
    for (var i = 0; i < geo.length; i++) {
      var st = L.extend({renderer: ecomap.renderer}, styles[d.s[i]]);
      layers[i] = L.geoJSON(geo[i], {style: st, pointToLayer: function (f, ll) { return L.circleMarker(ll, st); }});
      layers[i].ecoId = d.id[i]; layers[i].ecoI = i;
    }
    layer = L.featureGroup(layers);
    layer.bindTooltip(function (l) { return ecomap.tipHtml(d, ecomap.featureOf(l)); }, {sticky: true});
    layer.bindPopup(function (l) { return ecomap.popHtml(d, ecomap.featureOf(l)); }, {maxWidth: 340});
    layer.count = function () { return geo.length; };
  }
  layer.ecoData = d;
  ecomap.layers[key] = layer; ecomap.order.push(key);
  return layer;
};
ecomap.featureOf = function (l) {
  // the feature number of a layer or of a part of a 'geojson' feature
  while (l && l.ecoI === undefined) l = l._eventParents && l._eventParents[Object.keys(l._eventParents)[0]];
  return l ? l.ecoI : 0;
};
""" + RUNTIME_POINTS + RUNTIME_SHAPES + r"""
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
    div.textContent = 'WGS-84  lon, lat\nGCJ-02  lon, lat';   // the order the CLI takes and prints
    map.on('mousemove', function (e) {
      var lon = e.latlng.lng, lat = e.latlng.lat, w, g;
      if (gcjMap) { g = [lon, lat]; w = ecomap.gcj.inv(lon, lat); } else { w = [lon, lat]; g = ecomap.gcj.fwd(lon, lat); }
      div.textContent = 'WGS-84  ' + w[0].toFixed(6) + ', ' + w[1].toFixed(6) + '\nGCJ-02  ' + g[0].toFixed(6) + ', ' + g[1].toFixed(6);
    });
    return div;
  }});
  return new C().addTo(map);
};
"""


# --- offline HTML --------------------------------------------------------------------------
_SCRIPT_SRC = re.compile(r'<script src="([^"]+)"></script>')
_CSS_LINK = re.compile(r'<link rel="stylesheet" href="([^"]+)"/>')
_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|#)([^'\")]+)\1\s*\)")


#: Assets ecomap ships itself (``webmap/assets``, each with its licence beside it), by CDN URL.
_OWN_ASSETS = {
    "https://unpkg.com/supercluster@9.1.0/dist/supercluster.min.js": "supercluster.min.js",
}


class Supercluster:
    """mapbox's supercluster 9.1.0 (ISC), the thematic map's cluster index, for ``_Script.need``."""

    default_js = [("supercluster", next(iter(_OWN_ASSETS)))]
    default_css: list = []


def _asset_table() -> Mapping[str, str]:
    """URL -> file content: folium-offline's table (a private attribute; both packages are pinned) and ecomap's own."""
    try:
        from offlinefolium import elements
    except ImportError as exc:  # pragma: no cover - a dependency of ecomap
        raise EcomapError("folium-offline is not installed: pip install 'folium-offline==0.20.0.*'") from exc
    table = getattr(elements, "_res", None)
    if not isinstance(table, Mapping):  # pragma: no cover
        raise EcomapError("folium-offline no longer carries its asset table; pin folium-offline==0.20.0.*")
    here = Path(__file__).parent / "assets"
    return {**table, **{url: (here / name).read_text(encoding="utf-8") for url, name in _OWN_ASSETS.items()}}


def inline_assets(page: str) -> str:
    """Replace every CDN ``<script src>``/stylesheet link of a folium page by its content.

    Raises EcomapError naming any URL that has no offline copy, so a page never silently
    depends on the network. Relative ``url()`` references in the CSS (images a file://
    page cannot fetch) are dropped.

    Parameters
    ----------
    page : str
        A page folium rendered (``Map.get_root().render()``).

    Returns
    -------
    str
        The page with each asset's content in a ``<script>`` or ``<style>`` element
        (``</script``/``</style`` inside escaped), headed by a comment naming its file.

    Raises
    ------
    EcomapError
        If an asset has no offline copy in folium-offline's table, or an ``http(s)``
        script or stylesheet is left, or folium-offline is missing.
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
    """The map as one self-contained HTML page (assets inlined).

    Parameters
    ----------
    m : folium.Map
        A map from :func:`atlas` or :func:`thematic_maps`.

    Returns
    -------
    str
        The HTML page; only basemap tiles still come from the network.

    Raises
    ------
    EcomapError
        If an asset has no offline copy (:func:`inline_assets`).
    """
    return inline_assets(m.get_root().render())


def save_map(m: folium.Map, path: str | os.PathLike) -> Path:
    """Write the self-contained page atomically; returns the path.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`atlas` or :func:`thematic_maps`.
    path : str or os.PathLike
        The ``.html`` file; its folder is created if missing.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    EcomapError
        If an asset has no offline copy (:func:`inline_assets`).
    """
    return write_text(path, render_html(m))


# --- screenshots ---------------------------------------------------------------------------
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
)


def find_chromium() -> str | None:
    """The Chromium binary: ``$ECOMAP_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH.

    ``google-chrome`` on PATH is the last resort.

    Returns
    -------
    str or None
        ``$ECOMAP_CHROMIUM`` when set: as given if that file exists, else looked up on
        PATH, with no fallback to the names below. Otherwise the first of ``chromium``,
        ``chromium-browser`` and ``google-chrome`` on PATH. None when none is found.
    """
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
    """A PNG of a page rendered by headless Chromium, offline (tiles are not fetched).

    Chromium runs with :data:`CHROMIUM_ARGS` (every host name resolves to nothing) and a
    fresh temporary profile.

    Parameters
    ----------
    html_path : str or os.PathLike
        The page, opened as a ``file://`` URL.
    png_path : str or os.PathLike
        The PNG to write, atomically; its folder is created if missing.
    width, height : int, default 1200, 800
        The window's size in CSS pixels.
    budget_ms : int, default 4000
        Chromium's virtual-time budget (``--virtual-time-budget``), in milliseconds: how
        long the page's scripts may run before the shot.
    timeout_s : float, default 60.0
        Wall-clock limit for Chromium, in seconds.

    Returns
    -------
    pathlib.Path
        ``png_path``.

    Raises
    ------
    EcomapError
        If Chromium is not found (:func:`find_chromium`), takes longer than
        ``timeout_s``, or writes no screenshot (the message ends with the last 300
        characters of its stderr).

    References
    ----------
    .. [1] The Chromium Authors, *Headless Chromium*,
       https://developer.chrome.com/docs/chromium/headless (``--screenshot``,
       ``--window-size``, ``--virtual-time-budget``).
    """
    exe = find_chromium()
    if exe is None:
        raise EcomapError("screenshots need Chromium: apt-get install chromium (or set ECOMAP_CHROMIUM)")
    html_path, png_path = Path(html_path).resolve(), Path(png_path)
    with tempfile.TemporaryDirectory(prefix="ecomap-chromium-") as profile, atomic_write(png_path) as tmp:
        cmd = [exe, *CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--virtual-time-budget={budget_ms}", f"--screenshot={tmp}", html_path.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise EcomapError(f"chromium took more than {timeout_s:g} s to render {html_path}") from None
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise EcomapError(f"chromium wrote no screenshot of {html_path}: {proc.stderr.strip()[-300:]}")
    return png_path
