"""The page runtime for line, polygon and point layers: one canvas per layer, drawn in batches.

Part of the page's JavaScript (``_page._RUNTIME`` includes it). A packed layer (see
:mod:`._pack`) is decoded once into flat typed arrays of Web-Mercator pixels at zoom 0.
Each drawing makes one canvas path per style, not one per feature, and skips a vertex
less than a pixel from the last one drawn: the layer is simplified for the zoom it is
drawn at, and 20,000 footpaths redraw in a few tens of milliseconds. Hovering and clicking
are answered by :func:`ecomap.pick` (the topmost layer with a feature under the pointer),
and the tooltip or popup HTML is built then, from the layer's word table.
"""

from __future__ import annotations

__all__ = ["RUNTIME_SHAPES"]

RUNTIME_SHAPES = r"""
ecomap.ShapeLayer = L.Layer.extend({
  initialize: function (d, styles, scale) {
    var g = d.g, v = ecomap.polyline(g.c), nv = v.length / 2, X = new Float64Array(nv), Y = new Float64Array(nv);
    var D = Math.PI / 180, MAXLAT = 85.0511287798;
    for (var j = 0; j < nv; j++) {
      var lat = Math.max(Math.min(v[2 * j] / scale, MAXLAT), -MAXLAT), lon = v[2 * j + 1] / scale;
      X[j] = 256 * (lon / 360 + 0.5);
      Y[j] = 256 * (0.5 - Math.log(Math.tan(Math.PI / 4 + lat * D / 2)) / (2 * Math.PI));
    }
    // parts (a line, or a ring) and the parts of each feature
    var counts = g.t === 'point' ? null : g.o[0], np = counts ? counts.length : nv;
    var pStart = new Int32Array(np + 1);
    for (var p = 0; p < np; p++) pStart[p + 1] = pStart[p] + (counts ? counts[p] : 1);
    var per = new Array(np).fill(1);   // parts per feature, folding the upper levels
    for (var lev = 1; g.o && lev < g.o.length; lev++) {
      var next = [], q = 0;
      g.o[lev].forEach(function (c) { var s = 0; for (var k = 0; k < c; k++) s += per[q + k]; q += c; next.push(s); });
      per = next;
    }
    var n = per.length, fStart = new Int32Array(n + 1), box = new Float64Array(4 * n);
    for (var i = 0; i < n; i++) {
      fStart[i + 1] = fStart[i] + per[i];
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (var j2 = pStart[fStart[i]]; j2 < pStart[fStart[i + 1]]; j2++) {
        if (X[j2] < x0) x0 = X[j2]; if (X[j2] > x1) x1 = X[j2]; if (Y[j2] < y0) y0 = Y[j2]; if (Y[j2] > y1) y1 = Y[j2];
      }
      box[4 * i] = x0; box[4 * i + 1] = y0; box[4 * i + 2] = x1; box[4 * i + 3] = y1;
    }
    var byStyle = styles.map(function () { return []; });
    for (i = 0; i < n; i++) byStyle[d.s[i]].push(i);
    L.extend(this, {d: d, kind: g.t, styles: styles, X: X, Y: Y, pStart: pStart, fStart: fStart, box: box,
                    byStyle: byStyle, n: n, scale: scale});
    this._ecoShapes = true;
  },
  count: function () { return this.n; },
  tipHtml: function (i) { return ecomap.tipHtml(this.d, i); },
  popHtml: function (i) { return ecomap.popHtml(this.d, i); },
  centreOf: function (fid) {
    var i = this.d.id.indexOf(fid), b = this.box; if (i < 0) return null;
    var ll = L.CRS.EPSG3857.pointToLatLng(L.point((b[4 * i] + b[4 * i + 2]) / 2, (b[4 * i + 1] + b[4 * i + 3]) / 2), 0);
    return [ll.lat, ll.lng];
  },
  onAdd: function (map) {
    if (!map.getPane('ecoShapes')) {
      var pane = map.createPane('ecoShapes'); pane.style.zIndex = 400; pane.style.pointerEvents = 'none';
    }
    this._canvas = L.DomUtil.create('canvas', 'leaflet-zoom-hide', map.getPane('ecoShapes'));
    this._drawn = null;
    map.on('moveend resize', this._draw, this);
    this._draw();
  },
  onRemove: function (map) {
    map.off('moveend resize', this._draw, this);
    L.DomUtil.remove(this._canvas); this._canvas = null;
  },
  bringToFront: function () { if (this._canvas) this._canvas.parentNode.appendChild(this._canvas); return this; },
  _draw: function (e) {
    // A large layer is drawn with half a window of margin around the view: a pan that stays
    // inside the margin only moves the canvas, as the map pane moves; it is drawn again when
    // the view leaves the drawn area, the zoom changes or the window is resized.
    var map = this._map, size = map.getSize(), W = size.x, H = size.y, c = this._canvas;
    var ratio = window.devicePixelRatio || 1, k = Math.pow(2, map.getZoom());
    var origin = map.getPixelOrigin(), corner = map.containerPointToLayerPoint([0, 0]);
    var ox = origin.x + corner.x, oy = origin.y + corner.y, dr = this._drawn;
    this._view = {k: k, ox: ox, oy: oy};
    if (dr && dr.k === k && dr.W === W && dr.H === H && ox >= dr.x0 && oy >= dr.y0 && ox + W <= dr.x1 &&
        oy + H <= dr.y1 && !(e && e.type === 'redraw')) return;
    var m = this.n > 1000 ? Math.round(Math.max(W, H) / 2) : 0;
    this._drawn = {k: k, W: W, H: H, x0: ox - m, y0: oy - m, x1: ox + W + m, y1: oy + H + m};
    L.DomUtil.setPosition(c, corner.subtract([m, m]));
    c.width = (W + 2 * m) * ratio; c.height = (H + 2 * m) * ratio;
    c.style.width = (W + 2 * m) + 'px'; c.style.height = (H + 2 * m) + 'px';
    var ctx = c.getContext('2d'); ctx.setTransform(ratio, 0, 0, ratio, m * ratio, m * ratio);
    var pad = 24 + m;
    var vx0 = (ox - pad) / k, vy0 = (oy - pad) / k, vx1 = (ox + W + pad) / k, vy1 = (oy + H + pad) / k;
    var X = this.X, Y = this.Y, P = this.pStart, F = this.fStart, B = this.box, poly = this.kind === 'polygon';
    var kind = this.kind, batch = ecomap.BATCH || 256;
    function paint(st) {   // fill and stroke the path built so far
      if ((poly || kind === 'point') && st.fill !== false) {
        ctx.globalAlpha = st.fillOpacity === undefined ? 0.2 : st.fillOpacity;
        ctx.fillStyle = st.fillColor || st.color || '#3388ff'; ctx.fill('evenodd');
      }
      if (st.stroke !== false && st.weight !== 0) {
        ctx.globalAlpha = st.opacity === undefined ? 1 : st.opacity;
        ctx.lineWidth = st.weight === undefined ? 3 : st.weight; ctx.strokeStyle = st.color || '#3388ff';
        ctx.lineCap = st.lineCap || 'round'; ctx.lineJoin = st.lineJoin || 'round';
        ctx.setLineDash(st.dashArray ? String(st.dashArray).split(/[ ,]+/).map(Number) : []);
        ctx.stroke(); ctx.setLineDash([]);
      }
    }
    for (var s = 0; s < this.styles.length; s++) {
      var st = this.styles[s], list = this.byStyle[s], any = 0;
      if (!list.length) continue;
      ctx.beginPath();
      for (var a = 0; a < list.length; a++) {
        var i = list[a];
        if (B[4 * i + 2] < vx0 || B[4 * i] > vx1 || B[4 * i + 3] < vy0 || B[4 * i + 1] > vy1) continue;
        if (++any % batch === 0) { paint(st); ctx.beginPath(); }   // paths of a few hundred features raster fastest
        if (kind === 'point') {
          var r = st.radius || 10, px = X[i] * k - ox, py = Y[i] * k - oy;
          ctx.moveTo(px + r, py); ctx.arc(px, py, r, 0, 6.283185307179586);
          continue;
        }
        for (var p = F[i]; p < F[i + 1]; p++) {
          var j = P[p], end = P[p + 1] - 1, lx = X[j] * k - ox, ly = Y[j] * k - oy;
          ctx.moveTo(lx, ly);
          for (j++; j <= end; j++) {   // a vertex under a pixel from the last one drawn is skipped
            var x = X[j] * k - ox, y = Y[j] * k - oy;
            if (j < end && Math.abs(x - lx) < 1 && Math.abs(y - ly) < 1) continue;
            ctx.lineTo(x, y); lx = x; ly = y;
          }
          if (poly) ctx.closePath();
        }
      }
      if (any) paint(st);
    }
    ctx.globalAlpha = 1;
  },
  _find: function (cp) {
    // the feature under container point cp: a point or line within a few pixels (the
    // nearest), a polygon containing it (the last drawn)
    var V = this._view; if (!V) return -1;
    var k = V.k, mx = (cp.x + V.ox) / k, my = (cp.y + V.oy) / k, X = this.X, Y = this.Y, P = this.pStart, F = this.fStart;
    var B = this.box, best = -1, bestD = Infinity, tolMax = 12 / k;
    for (var i = 0; i < this.n; i++) {
      var st = this.styles[this.d.s[i]];
      if (st.interactive === false) continue;
      if (mx < B[4 * i] - tolMax || mx > B[4 * i + 2] + tolMax || my < B[4 * i + 1] - tolMax || my > B[4 * i + 3] + tolMax) continue;
      if (this.kind === 'point') {
        var dp = Math.hypot((X[i] - mx) * k, (Y[i] - my) * k);
        if (dp <= (st.radius || 10) + 2 && dp < bestD) { best = i; bestD = dp; }
        continue;
      }
      var tol = Math.max(4, (st.weight === undefined ? 3 : st.weight) / 2 + 2), inside = false, dmin = Infinity;
      for (var p = F[i]; p < F[i + 1]; p++) {
        for (var j = P[p]; j < P[p + 1] - 1; j++) {
          var ax = X[j], ay = Y[j], bx = X[j + 1], by = Y[j + 1];
          if (this.kind === 'polygon' && ((ay > my) !== (by > my)) && mx < (bx - ax) * (my - ay) / (by - ay) + ax) inside = !inside;
          var dx = bx - ax, dy = by - ay, L2 = dx * dx + dy * dy;
          var t = L2 > 0 ? Math.max(0, Math.min(1, ((mx - ax) * dx + (my - ay) * dy) / L2)) : 0;
          var d = Math.hypot((ax + t * dx - mx) * k, (ay + t * dy - my) * k);
          if (d < dmin) dmin = d;
        }
      }
      if (this.kind === 'polygon' && inside && st.fill !== false) { best = i; bestD = 0; }
      else if (dmin <= tol && dmin <= bestD) { best = i; bestD = dmin; }
    }
    return best;
  }
});
// The topmost shape layer with a feature under the pointer (points answer for themselves).
ecomap.pick = function (map, cp) {
  for (var j = ecomap.order.length - 1; j >= 0; j--) {
    var l = ecomap.layers[ecomap.order[j]];
    if (l && map.hasLayer(l)) {
      if (l instanceof ecomap.PointLayer) { if (l._find({containerPoint: cp}) >= 0) return null; continue; }
      if (!l._ecoShapes) continue;
      var i = l._find(cp);
      if (i >= 0) return {layer: l, i: i};
    }
  }
  return null;
};
ecomap.interact = function (map) {
  var tip = L.tooltip({sticky: true, direction: 'auto', offset: [12, 0]}), shown = null;
  map.on('mousemove', function (e) {
    if (map._animatingZoom) return;
    var hit = ecomap.pick(map, e.containerPoint);
    L.DomUtil[hit ? 'addClass' : 'removeClass'](map.getContainer(), 'eco-hit');
    if (!hit) { if (shown) { map.closeTooltip(tip); shown = null; } return; }
    if (!shown || shown.layer !== hit.layer || shown.i !== hit.i) tip.setContent(hit.layer.tipHtml(hit.i));
    shown = hit;
    tip.setLatLng(e.latlng);
    if (!map.hasLayer(tip)) map.openTooltip(tip);
  });
  map.on('mouseout', function () { if (shown) { map.closeTooltip(tip); shown = null; } });
  map.on('click', function (e) {
    var hit = ecomap.pick(map, e.containerPoint);
    if (hit) map.openPopup(hit.layer.popHtml(hit.i), e.latlng, {maxWidth: 340});
  });
};
"""
