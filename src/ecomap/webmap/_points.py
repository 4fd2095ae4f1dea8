"""The page runtime for point layers: typed columns decoded, one canvas layer, text built on demand.

Part of the page's JavaScript (``_page._RUNTIME`` includes it): a million bridge sites are one
layer drawn from typed arrays, not a million map objects. The thematic bridge map clusters
them with mapbox's supercluster (``assets/supercluster.min.js``, ISC, inlined by ``_page``)
fed from the same columns, and its heat map reads them too.
"""

from __future__ import annotations

__all__ = ["RUNTIME_POINTS"]

RUNTIME_POINTS = r"""
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
// A long text (a survey note) shows its first 300 characters; the rest opens behind "more".
ecomap.longText = function (v) {
  var esc = ecomap.esc, s = (v === null || v === undefined) ? '' : String(v), n = 300;
  if (s.length <= n) return esc(s);
  return esc(s.slice(0, n)) + '<details class="eco-more"><summary>更多 more</summary>' +
    esc(s.slice(n)) + '</details>';
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
        rows.map(function (r) { return '<tr><th>' + esc(r[0]) + '</th><td>' + ecomap.longText(r[1]) + '</td></tr>'; }).join('') +
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
    var sel = this.sel, m = sel ? sel.length : n;   // sel: the sites a cluster layer leaves single
    for (var q = 0; q < m; q++) {
      var i = sel ? sel[q] : q, px = this.x[i] * scale / 256 - ox, py = this.y[i] * scale / 256 - oy;
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
// The thematic map's clusters: a supercluster index (mapbox, ISC) over the same columns, fed
// one reused feature object, so no object per site is kept; at each move the clusters in
// view are drawn as marker-cluster bubbles and the single sites by a PointLayer.
ecomap.ClusterLayer = L.Layer.extend({
  initialize: function (d) {
    var n = d.lat.length, f = {id: 0, geometry: {type: 'Point', coordinates: [0, 0]}}, src = {length: n};
    src[Symbol.iterator] = function () {
      var i = -1;
      return {next: function () {
        if (++i >= n) return {done: true};
        f.id = i; f.geometry.coordinates[0] = d.lon[i]; f.geometry.coordinates[1] = d.lat[i];
        return {value: f, done: false};
      }};
    };
    this.d = d; this.n = n;
    this.index = new Supercluster({radius: 50, extent: 256, maxZoom: 17}).load(src);
    this._pts = new ecomap.PointLayer(d);
    this._pts.sel = new Int32Array(0);
  },
  latLngOf: function (i) { return L.latLng(this.d.lat[i], this.d.lon[i]); },
  onAdd: function (map) {
    this._group = L.layerGroup().addTo(map);
    map.on('moveend', this._update, this);   // before the point layer's own redraw
    this._update();
    this._pts.addTo(map);
  },
  onRemove: function (map) {
    map.off('moveend', this._update, this);
    map.removeLayer(this._group); map.removeLayer(this._pts);
  },
  _update: function () {
    var map = this._map, b = map.getBounds(), z = Math.floor(map.getZoom()), idx = this.index;
    var fs = idx.getClusters([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()], z);
    var single = [], shown = [];
    this._group.clearLayers();
    for (var k = 0; k < fs.length; k++) {
      var f = fs[k], c = f.geometry.coordinates, p = f.properties;
      if (!p || !p.cluster) { single.push(f.id); continue; }
      var cnt = p.point_count, size = cnt < 10 ? 'small' : cnt < 100 ? 'medium' : 'large';
      var mk = L.marker([c[1], c[0]], {icon: L.divIcon({
        html: '<div data-cluster="' + p.cluster_id + '"><span>' + cnt + '</span></div>', className: 'marker-cluster marker-cluster-' + size,
        iconSize: L.point(40, 40)})});
      mk.on('click', L.bind(function (id, ll) {
        this._map.setView(ll, Math.min(idx.getClusterExpansionZoom(id), this._map.getMaxZoom()));
      }, this, p.cluster_id, L.latLng(c[1], c[0])));
      this._group.addLayer(mk);
      shown.push(cnt);
    }
    this._pts.sel = Int32Array.from(single);
    this.shown = {counts: shown, single: single.length};
  }
});
ecomap.points = function (key, d, cluster) {
  d = ecomap.decodePoints(d);
  var layer = cluster ? new ecomap.ClusterLayer(d) : new ecomap.PointLayer(d);
  ecomap.layers[key] = layer; ecomap.order.push(key);
  return layer;
};
// A heat map read from typed columns: its own ({scale, lat, lon} base64 int32) or those of
// the point layer `src`; the list Leaflet.heat draws from is made when the layer is shown.
ecomap.heat = function (key, cols, opts, src) {
  var layer = L.heatLayer([], opts), onAdd = layer.onAdd;
  layer.onAdd = function (map) {
    if (!this._filled) {
      var lat, lon, s = 1;
      if (src) { lat = ecomap.layers[src].d.lat; lon = ecomap.layers[src].d.lon; } else {
        lat = ecomap.column(cols.lat, Int32Array); lon = ecomap.column(cols.lon, Int32Array); s = cols.scale;
      }
      var pts = new Array(lat.length);
      for (var i = 0; i < lat.length; i++) pts[i] = [lat[i] / s, lon[i] / s];
      this._latlngs = pts; this._filled = true;
    }
    return onAdd.call(this, map);
  };
  ecomap.layers[key] = layer;
  return layer;
};
"""
