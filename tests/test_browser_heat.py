"""The thematic map's heat layer in headless Chromium: the sites in view binned, none lost, none counted twice.

Leaflet.heat is given, at each move, one weighted point per cell of its own grid (the sites
near the view binned in the page) instead of every site. Checked against the plugin itself
given every site, and against the sites counted from the columns with Leaflet's projection.
"""

from __future__ import annotations

import pytest
from test_browser import Page, browser  # noqa: F401  (the session's Chromium)
from test_webmap import make_atlas_data

from ecomap import webmap
from ecomap.network import load_network
from ecomap.webmap._maps import _bridges_map

pytestmark = pytest.mark.browser

# Leaflet.heat's own drawing list (cells at pixels with values) and max, given every site
ALL_SITES = """() => {
    const l = ecomap.layers.density, d = ecomap.layers.bridges.d, mine = l._latlngs, pinned = l._pinned;
    const ours = {data: l._heat._data.map(p => p.slice()), max: l._heat._max};
    const all = []; for (let i = 0; i < d.lat.length; i++) all.push([d.lat[i], d.lon[i]]);
    l._latlngs = all; l._pinned = null; L.HeatLayer.prototype._redraw.call(l);
    const theirs = {data: l._heat._data.map(p => p.slice()), max: l._heat._max};
    l._latlngs = mine; l._pinned = pinned; L.HeatLayer.prototype._redraw.call(l);
    return [ours, theirs]; }"""

# the sites whose pixel (Leaflet's projection, rounded as Leaflet rounds) lies in the heat's bbox
IN_BBOX = """() => {
    const l = ecomap.layers.density, d = ecomap.layers.bridges.d, map = ecomap.map, z = l.drawn.zoom, b = l.drawn.bbox;
    const lo = map.project([b[3], b[0]], z), hi = map.project([b[1], b[2]], z);
    let n = 0;
    for (let i = 0; i < d.lat.length; i++) {
      const p = map.project([d.lat[i], d.lon[i]], z).round();
      if (p.x >= Math.round(lo.x) && p.x < Math.round(hi.x) && p.y >= Math.round(lo.y) && p.y < Math.round(hi.y)) n++;
    }
    return n; }"""


@pytest.fixture(scope="module")
def heat_page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("heat")
    net = load_network(make_atlas_data(tmp / "geo", n_bridges=4000))
    return webmap.save_map(_bridges_map(net, basemap="none"), tmp / "bridges.html"), len(net.bridges)


@pytest.fixture
def pg(browser):  # noqa: F811
    p = Page(browser)
    yield p
    p.ctx.close()


def _view(p: Page, lat: float, lon: float, zoom: int) -> dict:
    p.js("([lat, lon, z]) => ecomap.map.setView([lat, lon], z, {animate: false})", [lat, lon, zoom])
    p.page.wait_for_timeout(200)
    return p.js("ecomap.layers.density.drawn")


def _unmatched(ours: list, theirs: list) -> list:
    """Cells of ``ours`` with no cell of ``theirs`` of the same value within 1 px (each used once)."""
    left = {}
    for x, y, v in theirs:
        left.setdefault((round(x), round(y)), []).append(v)
    missing = []
    for x, y, v in ours:
        spot = next((k for k in ((round(x) + dx, round(y) + dy) for dx in (0, -1, 1) for dy in (0, -1, 1))
                     if v in left.get(k, [])), None)
        if spot is None:
            missing.append((x, y, v))
        else:
            left[spot].remove(v)
    return missing


def test_heat_layer_counts_every_site_in_view_once(pg, heat_page):
    path, n = heat_page
    page = pg.open(path)
    assert pg.errors == [] and pg.network == []
    centre = pg.js("""() => { const d = ecomap.layers.bridges.d; let s = 0, t = 0;
        for (let i = 0; i < d.lat.length; i++) { s += d.lat[i]; t += d.lon[i]; } return [s / d.lat.length, t / d.lon.length]; }""")
    # every site in view: the heat's cells hold all of them, as do the cluster bubbles and single sites
    drawn = _view(pg, *centre, 13)
    shown = pg.js("ecomap.layers.bridges.shown")
    assert drawn["sites"] == n == sum(shown["counts"]) + shown["single"]
    assert sum(p[2] for p in pg.js("ecomap.layers.density._latlngs")) == n
    assert drawn["points"] < n / 4   # Leaflet.heat is given cells, not sites
    for lat, lon, zoom in [(centre[0] + 0.004, centre[1] - 0.004, 17), (centre[0], centre[1] + 0.006, 18),
                           (*centre, 16)]:
        drawn = _view(pg, lat, lon, zoom)
        assert 0 < drawn["sites"] < n
        assert drawn["sites"] == pg.js(IN_BBOX)   # none lost, none counted twice
        if zoom == 18:
            assert drawn["visited"] < n / 2       # sites far from the view are not looked at
        # the plugin draws the same cells, values and colour scale as when given every site
        ours, theirs = pg.js(ALL_SITES)
        assert ours["max"] == theirs["max"] == drawn["max"]
        # (a cell on the edge of its reach is kept when its first site is in reach, here its centre)
        w, h, r = pg.js("[ecomap.map.getSize().x, ecomap.map.getSize().y, ecomap.layers.density._heat._r]")
        odd = _unmatched(ours["data"], theirs["data"]) + _unmatched(theirs["data"], ours["data"])
        assert len(theirs["data"]) > 100 and len(odd) <= len(theirs["data"]) / 50
        assert all(min(abs(x + r), abs(x - w - r), abs(y + r), abs(y - h - r)) <= r / 2 for x, y, _ in odd), odd
    # a pan keeps the colour scale (the grid's origin does not move)
    before = pg.js("ecomap.layers.density.drawn.max")
    page.evaluate("ecomap.map.panBy([200, 90], {animate: false})")
    page.wait_for_timeout(200)
    assert pg.js("ecomap.layers.density.drawn.max") == before
    assert pg.errors == []
