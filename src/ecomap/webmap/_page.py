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
ecomap.setup = function (map) {
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
ecomap.column = function (b64, Type) {
  // a typed column sent as base64 of its little-endian bytes
  var bin = atob(b64), n = bin.length, bytes = new Uint8Array(n);
  for (var k = 0; k < n; k++) bytes[k] = bin.charCodeAt(k);
  return new Type(bytes.buffer);
};
ecomap.decodePoints = function (d) {
  if (d.decoded) return d;
  var lat = ecomap.column(d.lat, Int32Array), lon = ecomap.column(d.lon, Int32Array), n = lat.length;
  d.lat = new Float64Array(n); d.lon = new Float64Array(n);
  for (var i = 0; i < n; i++) { d.lat[i] = lat[i] / d.scale; d.lon[i] = lon[i] / d.scale; }
  ['st', 'h', 'm'].forEach(function (c) { d[c] = ecomap.column(d[c], Uint8Array); });
  var ids = d.id.split('\n'), pre = d.idPrefix || '';
  d.id = pre ? ids.map(function (x) { return pre + x; }) : ids;
  d.instCode = ecomap.column(d.inst.code, d.inst.vocab.length < 32768 ? Int16Array : Int32Array); d.inst = d.inst.vocab;
  d.decoded = true;
  return d;
};
ecomap.pointText = function (d) {
  // tooltip and popup of site i, built from the columns only when shown
  var esc = ecomap.esc;
  function name(i) {
    var zh = d.zh ? d.zh[i] : null, en = d.en ? d.en[i] : null;
    return [zh, en].filter(function (x) { return x; });
  }
  return {
    tip: function (i) {
      var nm = name(i);
      return esc(d.id[i]) + (nm.length ? ' ' + nm.map(esc).join(' · ') : '') +
        ' <span class="eco-dim">' + esc(d.vocab.status[d.st[i]]) + '</span>';
    },
    pop: function (i) {
      var nm = name(i), inst = d.instCode[i] < 0 ? null : d.inst[d.instCode[i]];
      var rows = [['宿主 host', d.vocab.host[d.h[i]]], ['材料 material', d.vocab.material[d.m[i]]],
                  ['状态 status', d.vocab.status[d.st[i]]], ['安装 installed', inst]];
      if (d.note && d.note[i] !== undefined) rows.push(['备注 note', d.note[i]]);
      return '<div class="eco-pop"><div class="eco-h">' + esc(d.id[i]) + (nm[0] ? ' ' + esc(nm[0]) : '') + '</div>' +
        (nm[1] ? '<div class="eco-en">' + esc(nm[1]) + '</div>' : '') + '<table>' +
        rows.map(function (r) { return '<tr><th>' + esc(r[0]) + '</th><td>' + esc(r[1]) + '</td></tr>'; }).join('') +
        '</table></div>';
    }
  };
};
// Every site drawn by one canvas layer from the typed columns: no map object per site. The
// canvas lets the mouse through (its pane has no pointer events); hovering and clicking are
// answered from a grid of the drawn sites, rebuilt with each drawing. Where several sites
// fall on one spot at a small scale, the first is drawn and answers.
ecomap.PointLayer = L.Layer.extend({
  initialize: function (d) {
    var n = d.lat.length, proj = L.CRS.EPSG3857;
    this.d = d; this.text = ecomap.pointText(d);
    this.x = new Float64Array(n); this.y = new Float64Array(n);
    for (var i = 0; i < n; i++) {
      var p = proj.latLngToPoint(L.latLng(d.lat[i], d.lon[i]), 0);
      this.x[i] = p.x; this.y[i] = p.y;
    }
  },
  latLngOf: function (i) { return L.latLng(this.d.lat[i], this.d.lon[i]); },
  onAdd: function (map) {
    if (!map.getPane('ecoPoints')) {
      var pane = map.createPane('ecoPoints'); pane.style.zIndex = 450; pane.style.pointerEvents = 'none';
    }
    this._canvas = L.DomUtil.create('canvas', 'leaflet-zoom-hide', map.getPane('ecoPoints'));
    this._tip = L.tooltip({direction: 'top', offset: [0, -4]});
    map.on('moveend resize', this._draw, this);
    map.on('mousemove', this._hover, this);
    // clicks are taken before Leaflet sees them (capture phase), so a site wins over the
    // corridor or patch drawn under it
    this._onClick = L.bind(this._click, this);
    map.getContainer().addEventListener('click', this._onClick, true);
    this._draw();
  },
  onRemove: function (map) {
    map.off('moveend resize', this._draw, this);
    map.off('mousemove', this._hover, this);
    map.getContainer().removeEventListener('click', this._onClick, true);
    map.closeTooltip(this._tip);
    L.DomUtil.remove(this._canvas);
  },
  _draw: function () {
    var map = this._map, size = map.getSize(), W = size.x, H = size.y, c = this._canvas;
    var ratio = window.devicePixelRatio || 1, zoom = map.getZoom(), scale = 256 * Math.pow(2, zoom);
    var origin = map.getPixelOrigin(), corner = map.containerPointToLayerPoint([0, 0]);
    L.DomUtil.setPosition(c, corner);
    c.width = W * ratio; c.height = H * ratio; c.style.width = W + 'px'; c.style.height = H + 'px';
    var ctx = c.getContext('2d'); ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    var d = this.d, styles = d.styles, n = this.x.length, ox = origin.x + corner.x, oy = origin.y + corner.y;
    var cell = 6, gw = Math.ceil(W / cell) + 1, gh = Math.ceil(H / cell) + 1;
    var head = new Int32Array(gw * gh).fill(-1), next = new Int32Array(n), byStyle = [];
    for (var s = 0; s < styles.length; s++) byStyle.push([]);
    for (var i = 0; i < n; i++) {
      var px = this.x[i] * scale / 256 - ox, py = this.y[i] * scale / 256 - oy;
      if (px < -8 || py < -8 || px > W + 8 || py > H + 8) continue;
      var g = Math.floor((py + 8) / cell) * gw + Math.floor((px + 8) / cell);
      if (g < 0 || g >= head.length) continue;
      if (head[g] >= 0 && zoom < 17) continue;   // this spot is drawn already
      next[i] = head[g]; head[g] = i;
      byStyle[d.st[i]].push(px, py, i);
    }
    for (s = 0; s < styles.length; s++) {
      var pts = byStyle[s], st = styles[s], r = st.radius || 4;
      if (!pts.length) continue;
      ctx.beginPath();
      for (var k = 0; k < pts.length; k += 3) { ctx.moveTo(pts[k] + r, pts[k + 1]); ctx.arc(pts[k], pts[k + 1], r, 0, 6.283185307179586); }
      ctx.globalAlpha = st.fillOpacity === undefined ? 0.2 : st.fillOpacity; ctx.fillStyle = st.fillColor || st.color; ctx.fill();
      if (st.weight !== 0 && st.stroke !== false) {
        ctx.globalAlpha = st.opacity === undefined ? 1 : st.opacity; ctx.lineWidth = st.weight || 1;
        ctx.strokeStyle = st.color; ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
    this._grid = {head: head, next: next, gw: gw, gh: gh, cell: cell, scale: scale, ox: ox, oy: oy};
  },
  _find: function (e) {
    var G = this._grid; if (!G) return -1;
    var p = e.containerPoint, best = -1, bestD = 64;   // within 8 px
    var gx = Math.floor((p.x + 8) / G.cell), gy = Math.floor((p.y + 8) / G.cell);
    for (var yy = gy - 2; yy <= gy + 2; yy++) for (var xx = gx - 2; xx <= gx + 2; xx++) {
      if (xx < 0 || yy < 0 || xx >= G.gw || yy >= G.gh) continue;
      for (var i = G.head[yy * G.gw + xx]; i >= 0; i = G.next[i]) {
        var dx = this.x[i] * G.scale / 256 - G.ox - p.x, dy = this.y[i] * G.scale / 256 - G.oy - p.y, dd = dx * dx + dy * dy;
        if (dd < bestD) { bestD = dd; best = i; }
      }
    }
    return best;
  },
  _hover: function (e) {
    var i = this._find(e), map = this._map;
    map.getContainer().style.cursor = i >= 0 ? 'pointer' : '';
    if (i < 0) { if (this._shown !== undefined) { map.closeTooltip(this._tip); this._shown = undefined; } return; }
    if (this._shown === i) return;
    this._shown = i;
    this._tip.setLatLng(this.latLngOf(i)).setContent(this.text.tip(i));
    map.openTooltip(this._tip);
  },
  _click: function (ev) {
    var map = this._map, t = ev.target;
    if (t && t.closest && t.closest('.leaflet-control, .leaflet-popup')) return;
    var i = this._find({containerPoint: map.mouseEventToContainerPoint(ev)});
    if (i < 0) return;
    ev.stopPropagation();
    map.openPopup(this.text.pop(i), this.latLngOf(i), {maxWidth: 320, offset: [0, -2]});
  }
});
ecomap.points = function (key, d, cluster) {
  d = ecomap.decodePoints(d);
  var layer;
  if (cluster) {   // the thematic map's clusters need one marker per site
    var text = ecomap.pointText(d), n = d.lat.length, markers = new Array(n);
    for (var i = 0; i < n; i++) {
      markers[i] = L.circleMarker([d.lat[i], d.lon[i]], L.extend({renderer: ecomap.renderer, i: i}, d.styles[d.st[i]]));
    }
    layer = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50});
    layer.addLayers(markers);
    layer.bindTooltip(function (l) { return text.tip(l.options.i); }, {direction: 'top', offset: [0, -4]});
    layer.bindPopup(function (l) { return text.pop(l.options.i); }, {maxWidth: 320});
    layer.latLngOf = function (j) { return L.latLng(d.lat[j], d.lon[j]); };
  } else {
    layer = new ecomap.PointLayer(d);
  }
  ecomap.layers[key] = layer; ecomap.order.push(key);
  return layer;
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
