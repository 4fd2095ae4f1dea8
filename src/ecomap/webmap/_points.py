"""The page runtime for point layers: typed columns decoded, one canvas layer, text built on demand.

Part of the page's JavaScript (``_page._RUNTIME`` includes it): a million bridge sites are one
layer drawn from typed arrays, not a million map objects. The thematic bridge map clusters
them with mapbox's supercluster (``assets/supercluster.min.js``, ISC, inlined by ``_page``)
fed from the same columns, and its heat map reads them too: at each move the sites near the
view (a coarse grid of buckets) are binned into Leaflet.heat's own grid, and the plugin is
given one weighted point per cell, not every site.
"""

from __future__ import annotations

__all__ = ["RUNTIME_POINTS"]

RUNTIME_POINTS = r"""
ecomap.column = function (b64, Type) {
  // a typed column sent as base64 of its little-endian bytes (decoded natively where the
  // browser has Uint8Array.fromBase64: 6x faster than atob at a million sites)
  if (Uint8Array.fromBase64) return new Type(Uint8Array.fromBase64(b64).buffer);
  var bin = atob(b64), n = bin.length, bytes = new Uint8Array(n);
  for (var k = 0; k < n; k++) bytes[k] = bin.charCodeAt(k);
  return new Type(bytes.buffer);
};
// Site i's id from the newline-joined ids, cut out when asked (no string per site is made
// until a tooltip needs one), or from the first and width when they count up by one (idRun);
// d.id, the array of all, is made on first use.
ecomap.lazyIds = function (d, n) {
  var ids = d.id, pre = d.idPrefix || '', starts = null, run = d.idRun;
  d.idOf = run ? function (i) { return pre + String(run[0] + i).padStart(run[1], '0'); } : function (i) {
    if (!starts) {
      starts = new Int32Array(n + 1);
      for (var k = 0, p = 0; k < n; k++) { starts[k] = p; p = ids.indexOf('\n', p) + 1 || ids.length + 1; }
      starts[n] = ids.length + 1;
    }
    return pre + ids.slice(starts[i], starts[i + 1] - 1);
  };
  Object.defineProperty(d, 'id', {configurable: true, get: function () {
    var all = new Array(n);
    for (var k = 0; k < n; k++) all[k] = d.idOf(k);
    Object.defineProperty(d, 'id', {value: all});
    return all;
  }});
};
ecomap.decodePoints = function (d) {
  if (d.decoded) return d;
  var lat = ecomap.column(d.lat, Int32Array), lon = ecomap.column(d.lon, Int32Array), n = lat.length;
  var la = new Float64Array(n), lo = new Float64Array(n), scale = d.scale;
  for (var i = 0; i < n; i++) { la[i] = lat[i] / scale; lo[i] = lon[i] / scale; }
  d.lat = la; d.lon = lo;
  if (d.shm) {   // status, host and material packed in one byte: st + K0 * (h + K1 * m)
    var v = ecomap.column(d.shm, Uint8Array), k0 = d.shmK[0], k1 = d.shmK[1];
    d.st = new Uint8Array(n); d.h = new Uint8Array(n); d.m = new Uint8Array(n);
    for (i = 0; i < n; i++) { var q = Math.floor(v[i] / k0); d.st[i] = v[i] - q * k0; d.h[i] = q % k1; d.m[i] = Math.floor(q / k1); }
    delete d.shm;
  } else ['st', 'h', 'm'].forEach(function (c) { d[c] = ecomap.column(d[c], Uint8Array); });
  ecomap.lazyIds(d, n);
  d.instCode = ecomap.column(d.inst.code, d.inst.vocab.length < 32768 ? Int16Array : Int32Array); d.inst = d.inst.vocab;
  d.decoded = true;
  return d;
};
// A long text (a survey note) shows its first 300 characters; the rest opens behind "more".
// Web Mercator pixels at zoom 0 (L.CRS.EPSG3857.latLngToPoint(ll, 0), the same formula),
// from the columns in one pass with no object per site.
ecomap.project = function (lat, lon) {
  var n = lat.length, x = new Float64Array(n), y = new Float64Array(n), max = 85.0511287798, k = Math.PI / 180;
  for (var i = 0; i < n; i++) {
    var s = Math.sin(Math.max(Math.min(lat[i], max), -max) * k);
    x[i] = 256 * (0.5 + lon[i] / 360); y[i] = 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
  }
  return {x: x, y: y};
};
ecomap.xyOf = function (d) { return d.xy || (d.xy = ecomap.project(d.lat, d.lon)); };
// A supercluster index (mapbox, ISC) over columns, fed one reused feature object: no object per site.
ecomap.clusterIndex = function (lat, lon) {
  var n = lat.length, f = {id: 0, geometry: {type: 'Point', coordinates: [0, 0]}}, src = {length: n};
  src[Symbol.iterator] = function () {
    var i = -1, step = {value: f, done: false};   // one step object too
    return {next: function () {
      if (++i >= n) { step.done = true; return step; }
      f.id = i; f.geometry.coordinates[0] = lon[i]; f.geometry.coordinates[1] = lat[i];
      return step;
    }};
  };
  return new Supercluster({radius: 50, extent: 256, maxZoom: 17}).load(src);
};
// The most sites in one cell of `cell` px at zoom z, the cells starting at pixel (ox, oy) of the
// zoom-z world as Leaflet.heat's grid starts at the map's pixel origin; each site at its pixel
// rounded, as Leaflet rounds layer points. `b` is ecomap.buckets' output (its extent bounds the
// grid). Counted in a grid over that extent, or by sorting cell numbers where it would be large.
ecomap.densest = function (b, z, cell, ox, oy) {
  var x = b.x, y = b.y, n = x.length, s = Math.pow(2, z), best = 0, i, span = b.w * b.side;
  if (!n) return 0;
  var x0 = Math.floor((Math.round(b.x0 * s) - ox) / cell), y0 = Math.floor((Math.round(b.y0 * s) - oy) / cell);
  var gw = Math.floor((Math.round((b.x0 + span) * s) - ox) / cell) - x0 + 1;
  var gh = Math.floor((Math.round((b.y0 + span) * s) - oy) / cell) - y0 + 1;
  if (gw * gh <= 1 << 22) {
    var count = new Uint32Array(gw * gh);
    for (i = 0; i < n; i++) {
      var c = ++count[(Math.floor((Math.round(y[i] * s) - oy) / cell) - y0) * gw + Math.floor((Math.round(x[i] * s) - ox) / cell) - x0];
      if (c > best) best = c;
    }
    return best;
  }
  var keys = new Float64Array(n);
  for (i = 0; i < n; i++) {
    keys[i] = (Math.floor((Math.round(y[i] * s) - oy) / cell) - y0) * gw + Math.floor((Math.round(x[i] * s) - ox) / cell) - x0;
  }
  keys.sort();
  for (i = 0; i < n;) { var j = i; while (j < n && keys[j] === keys[i]) j++; best = Math.max(best, j - i); i = j; }
  return best;
};
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
      return esc(d.idOf(i)) + (nm.length ? ' ' + nm.map(esc).join(' · ') : '') +
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
    var xy = ecomap.xyOf(d);
    this.d = d; this.text = ecomap.pointText(d); this.x = xy.x; this.y = xy.y;
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
    var sel = this.sel, m = sel ? sel.length : n;   // sel: the sites a cluster layer leaves single
    // the grid links positions q in sel (or sites), so a draw costs what it draws
    var head = new Int32Array(gw * gh).fill(-1), next = new Int32Array(m), byStyle = [];
    for (var s = 0; s < styles.length; s++) byStyle.push([]);
    for (var q = 0; q < m; q++) {
      var i = sel ? sel[q] : q, px = this.x[i] * scale / 256 - ox, py = this.y[i] * scale / 256 - oy;
      if (px < -8 || py < -8 || px > W + 8 || py > H + 8) continue;
      var g = Math.floor((py + 8) / cell) * gw + Math.floor((px + 8) / cell);
      if (g < 0 || g >= head.length) continue;
      if (head[g] >= 0 && zoom < 17) continue;   // this spot is drawn already
      next[q] = head[g]; head[g] = q;
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
    this._grid = {head: head, next: next, sel: sel, gw: gw, gh: gh, cell: cell, scale: scale, ox: ox, oy: oy};
  },
  _find: function (e) {
    var G = this._grid; if (!G) return -1;
    var p = e.containerPoint, best = -1, bestD = 64;   // within 8 px
    var gx = Math.floor((p.x + 8) / G.cell), gy = Math.floor((p.y + 8) / G.cell);
    for (var yy = gy - 2; yy <= gy + 2; yy++) for (var xx = gx - 2; xx <= gx + 2; xx++) {
      if (xx < 0 || yy < 0 || xx >= G.gw || yy >= G.gh) continue;
      for (var q = G.head[yy * G.gw + xx]; q >= 0; q = G.next[q]) {
        var i = G.sel ? G.sel[q] : q, dx = this.x[i] * G.scale / 256 - G.ox - p.x, dy = this.y[i] * G.scale / 256 - G.oy - p.y, dd = dx * dx + dy * dy;
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
// The thematic map's clusters: a supercluster index over the same columns (ecomap.clusterIndex);
// at each move the clusters in view are drawn as marker-cluster bubbles and the single sites by
// a PointLayer.
ecomap.ClusterLayer = L.Layer.extend({
  initialize: function (d) {
    this.d = d; this.n = d.lat.length;
    this.index = ecomap.clusterIndex(d.lat, d.lon);
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
// Sites sorted into a coarse grid (`side` x `side` buckets over their extent, zoom-0 pixels):
// the coordinates in bucket order and where each bucket starts, so the sites near a view are
// found without a pass over all of them.
ecomap.buckets = function (xy, side) {
  var x = xy.x, y = xy.y, n = x.length, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, i;
  for (i = 0; i < n; i++) { x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]); y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]); }
  var w = Math.max(x1 - x0, y1 - y0, 1e-9) / side, cell = new Int32Array(n), start = new Int32Array(side * side + 1);
  for (i = 0; i < n; i++) {
    cell[i] = Math.min(side - 1, Math.floor((y[i] - y0) / w)) * side + Math.min(side - 1, Math.floor((x[i] - x0) / w));
    start[cell[i] + 1]++;
  }
  for (i = 0; i < side * side; i++) start[i + 1] += start[i];
  var at = start.slice(0, side * side), bx = new Float64Array(n), by = new Float64Array(n);
  for (i = 0; i < n; i++) { var k = at[cell[i]]++; bx[k] = x[i]; by[k] = y[i]; }
  return {x: bx, y: by, start: start, side: side, x0: x0, y0: y0, w: w};
};
// The sites of `b` in Leaflet.heat's grid over the view at zoom z: cells of `cell` px from
// global pixel (ox, oy), `cols` x `rows` of them from cell (c0, r0); each site at its pixel
// rounded (as Leaflet rounds layer points). Returns the count and summed pixels per cell.
ecomap.binView = function (b, z, cell, ox, oy, c0, r0, cols, rows) {
  var s = Math.pow(2, z), count = new Float64Array(cols * rows), sx = new Float64Array(cols * rows), sy = new Float64Array(cols * rows);
  var lo = function (v, v0) { return Math.max(0, Math.min(b.side - 1, Math.floor((v / s - v0) / b.w))); };
  var bx0 = lo(ox + c0 * cell, b.x0), bx1 = lo(ox + (c0 + cols) * cell, b.x0);
  var by0 = lo(oy + r0 * cell, b.y0), by1 = lo(oy + (r0 + rows) * cell, b.y0), visited = 0;
  for (var q = by0; q <= by1; q++) {
    for (var i = b.start[q * b.side + bx0], e = b.start[q * b.side + bx1 + 1]; i < e; i++) {
      var px = Math.round(b.x[i] * s), py = Math.round(b.y[i] * s);
      var c = Math.floor((px - ox) / cell) - c0, r = Math.floor((py - oy) / cell) - r0;
      visited++;
      if (c < 0 || r < 0 || c >= cols || r >= rows) continue;
      var k = r * cols + c;
      count[k]++; sx[k] += px; sy[k] += py;
    }
  }
  return {count: count, sx: sx, sy: sy, visited: visited};
};
// A heat map read from typed columns: its own ({scale, lat, lon} base64 int32) or those of
// the point layer `src`. Leaflet.heat (folium's copy, with its weights patch) rounds each point
// to a pixel, bins the points into cells of half its radius + blur, draws each cell at its
// weighted centre with opacity sum / max, and takes max as the fullest cell of all it was given.
// Given every site, it would do that for all of them at each move. Here, at each move, the sites
// near the view (found through ecomap.buckets) are binned into its very grid first, and it is
// given one point per cell, [lat, lon, count] at the cell's centre of its sites: it draws the
// same cells, and the work grows with the sites in view. Its max is pinned to the fullest cell
// of all sites on that grid (ecomap.densest, once per zoom and grid origin), as when it was
// given every site: colours do not change as the map pans.
ecomap.heat = function (key, cols, opts, src) {
  var layer = L.heatLayer([], opts), init = layer._initCanvas, redraw = layer._redraw;
  layer._source = function () {
    if (this._b) return;
    var s = src ? ecomap.layers[src] : null;
    if (s) this._xy = ecomap.xyOf(s.d); else {
      var la = ecomap.column(cols.lat, Int32Array), lo = ecomap.column(cols.lon, Int32Array), n = la.length;
      var lat = new Float64Array(n), lon = new Float64Array(n);
      for (var i = 0; i < n; i++) { lat[i] = la[i] / cols.scale; lon[i] = lo[i] / cols.scale; }
      this._xy = ecomap.project(lat, lon);
    }
    this._b = ecomap.buckets(this._xy, Math.max(1, Math.min(512, Math.round(Math.sqrt(this._xy.x.length / 8)))));
    this._densest = {};
  };
  layer._initCanvas = function () {
    init.call(this);
    var self = this, heat = this._heat, max = heat.max;
    heat.max = function (m) { return max.call(heat, self._pinned || m); };
  };
  layer._redraw = function () {
    var map = this._map;
    if (map) {
      this._source();
      var z = map.getZoom(), r = this._heat._r, m = r / 2, size = map.getSize(), o = map.getPixelOrigin();
      var ox = ((o.x % m) + m) % m, oy = ((o.y % m) + m) % m, key = z + ' ' + ox + ' ' + oy;
      // the view, Leaflet.heat's reach around it and a cell more, in global pixels
      var u = map._getMapPanePos(), gx = o.x - u.x - r - m, gy = o.y - u.y - r - m;
      var c0 = Math.floor((gx - ox) / m), r0 = Math.floor((gy - oy) / m);
      var nc = Math.ceil((size.x + 2 * (r + m)) / m) + 1, nr = Math.ceil((size.y + 2 * (r + m)) / m) + 1;
      var g = ecomap.binView(this._b, z, m, ox, oy, c0, r0, nc, nr), pts = [], sites = 0;
      for (var k = 0; k < g.count.length; k++) {
        var c = g.count[k];
        if (!c) continue;
        var ll = map.unproject([g.sx[k] / c, g.sy[k] / c], z);
        pts.push([ll.lat, ll.lng, c]); sites += c;
      }
      if (!(key in this._densest)) this._densest[key] = Math.max(1, ecomap.densest(this._b, z, m, ox, oy));
      this._pinned = this._densest[key];
      this._latlngs = pts;
      var sw = map.unproject([ox + c0 * m, oy + (r0 + nr) * m], z), ne = map.unproject([ox + (c0 + nc) * m, oy + r0 * m], z);
      this.drawn = {zoom: z, bbox: [sw.lng, sw.lat, ne.lng, ne.lat], points: pts.length, sites: sites, visited: g.visited,
                    max: this._pinned};
    }
    return redraw.call(this);
  };
  ecomap.layers[key] = layer;
  return layer;
};
"""
