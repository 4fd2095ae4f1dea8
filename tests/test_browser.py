"""The maps in a real headless Chromium (Debian's ``chromium``), with every network request blocked.

Outside CI a machine without Chromium or playwright skips these tests; in CI (``$CI`` set)
they fail instead, because CI installs Chromium itself (``make sysdeps``).
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import run_cli
from pyproj import Geod
from test_webmap import KNOWN_WGS, XSS, make_atlas_data

from ecomap import crs, webmap
from ecomap.network import load_network

pytestmark = pytest.mark.browser

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND"]


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    exe = webmap.find_chromium()
    if exe is None:
        _unavailable("no Chromium: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=ARGS)
        yield b
        b.close()


class Page:
    """A page with every request but file: and data: aborted, and a record of what went wrong."""

    def __init__(self, browser):
        self.ctx = browser.new_context(viewport={"width": 1000, "height": 700})
        self.network: list[str] = []
        self.failed: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:")):
                r.continue_()
            else:
                self.network.append(url)
                r.abort()

        self.ctx.route("**/*", route)
        self.page = self.ctx.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append((r.resource_type, r.url)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" and "net::" not in m.text else None)

        def dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

    def open(self, path: Path):
        self.page.goto(path.resolve().as_uri(), wait_until="load")
        self.page.wait_for_function("window.ecomap && window.ecomap.map && window.ecomap.control")
        return self.page

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def screen_xy(self, lat: float, lon: float) -> tuple[float, float]:
        return tuple(self.js("""([lat, lon]) => {
            const p = ecomap.map.latLngToContainerPoint([lat, lon]);
            const r = ecomap.map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""", [lat, lon]))


@pytest.fixture
def page(browser):
    p = Page(browser)
    yield p
    p.ctx.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_atlas_data(tmp_path_factory.mktemp("data") / "geo", n_bridges=40)


@pytest.fixture(scope="module")
def net(data):
    return load_network(data)


@pytest.fixture(scope="module")
def pages(net, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("maps")
    return {b: webmap.save_map(webmap.atlas(net, basemap=b), out / f"atlas-{b}.html") for b in ("none", "osm", "gaode")}


def _feature_centre(p: Page, key: str, fid: str) -> list[float]:
    return p.js("([key, fid]) => ecomap.layers[key].centreOf(fid)", [key, fid])


def test_atlas_loads_offline_with_no_error(page, pages):
    pg = page.open(pages["none"])
    assert page.errors == []
    assert page.network == []  # with no basemap nothing at all is fetched
    assert page.failed == []
    assert pg.evaluate("typeof L") == "object"
    layers = pg.evaluate("Object.keys(ecomap.layers).filter(k => ecomap.map.hasLayer(ecomap.layers[k]))")
    assert set(layers) == {"districts", "belt", "ridge", "patches", "reservoirs", "boundary", "corridors",
                           "river", "barriers", "trails", "bridges"}
    # every control is on the page
    assert pg.locator(".leaflet-control-scale-line").count() == 1   # metric only, no miles
    assert re.fullmatch(r"\d+ k?m", pg.locator(".leaflet-control-scale-line").inner_text().strip())
    for sel in (".leaflet-control-scale", ".leaflet-control-minimap", ".leaflet-control-zoom-fullscreen",
                ".leaflet-control-measure", ".eco-search input", ".eco-legend", ".eco-mouse"):
        assert pg.locator(sel).count() == 1, sel
    # it opens on Pingshan: the boundary fills the view
    view = pg.evaluate("(() => { const b = ecomap.map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()")
    assert view[0] <= 22.68 and view[1] <= 114.34 and view[2] >= 22.70 and view[3] >= 114.36
    assert view[2] - view[0] < 0.06


def test_measure_tool_measures_a_distance(page, pages):
    pg = page.open(pages["none"])
    box = pg.locator(".leaflet-control-measure-toggle").bounding_box()
    pg.mouse.move(box["x"] + 5, box["y"] + 5)  # the control opens on hover
    pg.locator(".leaflet-control-measure a.start").click()
    # 0.01 degree of longitude along 22.69 N, measured by hand on the WGS-84 ellipsoid
    a, b = page.screen_xy(22.69, 114.345), page.screen_xy(22.69, 114.355)
    for x, y in (a, b):
        pg.mouse.click(x, y)
        pg.wait_for_timeout(100)
    pg.locator(".leaflet-control-measure a.finish").click()
    text = pg.locator(".leaflet-popup-content").inner_text()
    metres = float(re.search(r"([\d,.]+) Meters", text).group(1).replace(",", ""))
    _, _, expected = Geod(ellps="WGS84").inv(114.345, 22.69, 114.355, 22.69)
    assert metres == pytest.approx(expected, abs=10)  # a click lands within a pixel (~3 m)
    assert page.errors == []


def test_with_a_tile_basemap_only_tiles_are_requested(page, pages):
    page.open(pages["osm"])
    assert page.errors == []
    assert page.network, "the OSM tiles should have been requested (and blocked)"
    assert all(u.startswith("https://tile.openstreetmap.org/") for u in page.network)
    assert not [f for f in page.failed if f[0] in ("script", "stylesheet")]


def test_every_layer_in_the_control_can_be_toggled(page, pages):
    pg = page.open(pages["none"])
    labels = pg.locator(".leaflet-control-layers-overlays label:has(input[type=checkbox])")
    names = labels.all_inner_texts()
    assert len(names) == 11
    on = "() => Object.keys(ecomap.layers).filter(k => ecomap.map.hasLayer(ecomap.layers[k])).sort()"
    before = pg.evaluate(on)
    for i, name in enumerate(names):
        labels.nth(i).click()
        after = pg.evaluate(on)
        gone = set(before) - set(after)
        assert len(gone) == 1, name
        key = gone.pop()
        assert pg.evaluate("k => { const l = ecomap.layers[k]; return l.count ? l.count() : l.d.lat.length; }",
                           key) > 0
        labels.nth(i).click()
        assert pg.evaluate(on) == before, name
    assert page.errors == []


def test_hovering_a_bridge_site_shows_its_tooltip(page, pages):
    pg = page.open(pages["none"])
    x, y = page.screen_xy(KNOWN_WGS[1], KNOWN_WGS[0])
    pg.mouse.move(x + 30, y + 30)
    pg.wait_for_timeout(100)  # Leaflet's canvas throttles hover tests to one per 32 ms
    pg.mouse.move(x, y, steps=4)
    pg.wait_for_timeout(100)
    pg.mouse.move(x + 1, y)  # a last move after the throttle window, as a hand makes
    tip = pg.locator(".leaflet-tooltip", has_text="B000")  # sites passed on the way showed theirs
    tip.wait_for(timeout=10_000)
    assert "Known point" in tip.inner_text() and "已建 built" in tip.inner_text()
    pg.wait_for_function("document.querySelectorAll('.leaflet-tooltip').length === 1")
    # the mouse position shows the pointer in WGS-84 and GCJ-02
    text = pg.locator(".eco-mouse").inner_text()
    wlon, wlat, glon, glat = map(float, re.findall(r"-?\d+\.\d+", text))   # lon, lat as the CLI
    assert (wlon, wlat) == pytest.approx(KNOWN_WGS, abs=5e-5)  # within a pixel
    elon, elat = crs.wgs84_to_gcj02(wlon, wlat)
    assert (glon, glat) == pytest.approx((elon, elat), abs=1.5e-6)


def test_search_zooms_to_a_corridor(page, pages, net):
    pg = page.open(pages["none"])
    zoom0 = pg.evaluate("ecomap.map.getZoom()")
    height0 = pg.evaluate("ecomap.map.getBounds().getNorth() - ecomap.map.getBounds().getSouth()")
    box = pg.locator(".eco-search input")
    box.fill("河谷廊道")
    assert "C02" in pg.locator(".eco-search li").first.inner_text()
    box.fill("valley")
    box.press("Enter")
    pg.wait_for_function(f"ecomap.map.getZoom() > {zoom0} && !ecomap.map._animatingZoom", timeout=10_000)
    view = pg.evaluate("(() => { const b = ecomap.map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; })()")
    assert pg.evaluate("ecomap.map.getZoom()") > zoom0
    # C02 runs from (114.349, 22.688) to (114.350, 22.693): it is in view and fills a good part of it
    assert view[0] <= 22.688 and view[2] >= 22.693 and view[1] <= 114.349 and view[3] >= 114.350
    assert view[2] - view[0] < 0.6 * height0


def test_payload_in_names_and_notes_shows_as_text(page, pages):
    pg = page.open(pages["none"])
    title = pg.title()
    # the corridor: click on it, away from the bridge site on it
    x, y = page.screen_xy(22.693, 114.3512)
    pg.mouse.click(x, y)
    pop = pg.wait_for_selector(".leaflet-popup-content", timeout=10_000)
    assert "C01" in pop.inner_text() and XSS in pop.inner_text()
    assert pg.locator(".leaflet-popup-content img").count() == 0
    # the bridge site whose note carries it
    pg.keyboard.press("Escape")
    x, y = page.screen_xy(22.6932, 114.3465)
    pg.mouse.click(x, y)
    pg.wait_for_function("document.querySelector('.leaflet-popup-content') && "
                         "document.querySelector('.leaflet-popup-content').innerText.includes('B001')")
    text = pg.locator(".leaflet-popup-content").inner_text()
    assert XSS in text
    # the search list
    pg.locator(".eco-search input").fill("onerror")
    assert XSS in pg.locator(".eco-search li").first.inner_text()
    assert pg.locator("img[src='x']").count() == 0
    pg.wait_for_timeout(300)
    assert page.dialogs == [] and pg.title() == title and page.errors == []


def test_gaode_variant_places_a_known_point_about_600_m_away(page, pages, browser):
    where = "(() => { const p = ecomap.layers.bridges.latLngOf(0); return [p.lat, p.lng]; })()"
    page.open(pages["osm"])
    lat0, lon0 = page.js(where)
    other = Page(browser)
    try:
        other.open(pages["gaode"])
        lat1, lon1 = other.js(where)
        assert other.errors == []
        assert all("autonavi.com" in u for u in other.network)
        # the pointer over the Gaode map reads GCJ-02 and shows WGS-84 by the inverse
        x, y = other.screen_xy(lat1, lon1)
        other.page.mouse.move(x, y)
        wlon, wlat, glon, glat = map(float, re.findall(r"-?\d+\.\d+", other.page.locator(".eco-mouse").inner_text()))
        ex, ey = crs.gcj02_to_wgs84(glon, glat)
        assert (wlon, wlat) == pytest.approx((ex, ey), abs=1.5e-6)
    finally:
        other.ctx.close()
    assert (lon0, lat0) == KNOWN_WGS
    _, _, dist = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    assert 550 < dist < 650


def _png(width: int, height: int) -> bytes:
    """A red-to-blue gradient PNG, written by hand (no imaging library)."""
    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (255 * x // width, 0, 255 - 255 * x // width, 160))
                    for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_thematic_maps_load_and_draw(page, net, tmp_path):
    class Result:
        corridors = pd.DataFrame({"dPC": [12.5, 3.0, 0.5], "rank": [1, 2, 3], "bridges": [4, 0, 2], "gaps": [0, 1, 2]},
                                 index=pd.Index(["C01", "C02", "C03"], name="id"))
        gaps = gpd.GeoDataFrame({"corridor": ["C02<b>"]}, geometry=[shapely.Point(535500, 2510100)],
                                crs="EPSG:4547", index=pd.Index(["G1"], name="id"))

    png = tmp_path / "current.png"
    png.write_bytes(_png(40, 30))
    model = {
        "overlays": [{"name": f"电流密度 Current density {XSS}", "png": png, "bounds": [[22.68, 114.34], [22.70, 114.36]],
                      "legend": {"low": "#0000ff", "high <i>": "#ff0000"}}],
        "paths": gpd.GeoDataFrame({"pair": ["P1-P2"]}, geometry=[shapely.LineString([(535000, 2510500), (536000, 2510500)])],
                                  crs="EPSG:4547"),
        "pinch_points": gpd.GeoDataFrame({"current": [0.9]}, geometry=[shapely.Point(535500, 2510500).buffer(50)],
                                         crs="EPSG:4547"),
    }
    maps = webmap.thematic_maps(net, connectivity=Result(), corridors=model, basemap="none")
    assert set(maps) == {"importance", "gaps", "bridges", "trails", "corridor-model"}
    for stem, m in maps.items():
        path = webmap.save_map(m, tmp_path / f"{stem}.html")
        page.errors.clear()
        pg = page.open(path)
        assert page.errors == [] and page.network == [] and page.failed == [], stem
        drawn = pg.evaluate("Object.keys(ecomap.layers).filter(k => ecomap.map.hasLayer(ecomap.layers[k]))")
        assert drawn, stem
        if stem == "bridges":
            assert {"density", "bridges"} <= set(drawn)
            assert pg.locator(".marker-cluster").count() > 0  # 43 sites cluster at this zoom
            # bubbles in blues and purples, none in a status colour of the legend
            bubbles = set(pg.evaluate("[...document.querySelectorAll('.marker-cluster, .marker-cluster div')]"
                                      ".map(e => getComputedStyle(e).backgroundColor)"))
            status = {"rgb(253, 216, 53)", "rgb(67, 160, 71)", "rgb(229, 57, 53)", "rgb(158, 158, 158)",
                      "rgba(181, 226, 140, 0.6)", "rgba(110, 204, 57, 0.6)", "rgba(241, 211, 87, 0.6)",
                      "rgba(240, 194, 12, 0.6)", "rgba(253, 156, 115, 0.6)", "rgba(241, 128, 23, 0.6)"}
            assert bubbles and not bubbles & status, bubbles
        if stem == "corridor-model":
            img = pg.locator("img.leaflet-image-layer")
            assert img.count() == 1
            assert pg.evaluate("document.querySelector('img.leaflet-image-layer').naturalWidth") == 40
            assert "high <i>" in pg.locator(".eco-legend").inner_text()
            assert XSS in pg.locator(".leaflet-control-layers").inner_text()
            assert pg.locator(".leaflet-control-layers img, .eco-legend img, .eco-legend i").count() == 0
        if stem == "importance":
            assert "importance" in drawn
        if stem == "gaps":
            assert "gaps" in drawn


def test_thematic_bridge_map_clusters_20000_sites_from_columns(page, tmp_path):
    from ecomap.webmap._maps import _bridges_map

    net = load_network(make_atlas_data(tmp_path / "geo", n_bridges=20_000))
    n = len(net.bridges)
    path = webmap.save_map(_bridges_map(net, basemap="none"), tmp_path / "bridges.html")
    pg = page.open(path)
    assert page.errors == [] and page.network == [] and page.failed == []
    pg.evaluate("""() => { const d = ecomap.layers.bridges.d; let s = 90, w = 180, nn = -90, e = -180;
        for (let i = 0; i < d.lat.length; i++) { s = Math.min(s, d.lat[i]); nn = Math.max(nn, d.lat[i]);
          w = Math.min(w, d.lon[i]); e = Math.max(e, d.lon[i]); }
        ecomap.map.fitBounds([[s, w], [nn, e]], {animate: false}); }""")
    pg.wait_for_timeout(300)
    # every site in view: the bubbles' counts and the single sites add up to all of them
    counts = [int(t) for t in pg.locator(".marker-cluster span").all_inner_texts()]
    shown = pg.evaluate("ecomap.layers.bridges.shown")
    assert counts and sorted(counts) == sorted(shown["counts"])
    assert sum(counts) + shown["single"] == n
    assert pg.locator(".leaflet-marker-icon").count() == len(counts) < 500   # a marker per bubble, not per site
    # a click on a bubble zooms to the zoom at which it splits, its sites in view
    zoom = pg.evaluate("ecomap.map.getZoom()")
    bubble = pg.locator(".marker-cluster").first
    cid = int(bubble.locator("div").get_attribute("data-cluster"))
    expansion = pg.evaluate(f"ecomap.layers.bridges.index.getClusterExpansionZoom({cid})")
    leaves = pg.evaluate(f"ecomap.layers.bridges.index.getLeaves({cid}, Infinity).map(f => f.geometry.coordinates)")
    bubble.click()
    pg.wait_for_timeout(300)
    assert pg.evaluate("ecomap.map.getZoom()") == expansion > zoom
    inside = pg.evaluate("ll => ll.filter(c => ecomap.map.getBounds().contains([c[1], c[0]])).length", leaves)
    assert inside == len(leaves) > 1
    # in the closer view, still counted right: the sites the bubbles and points stand for are in the index
    shown = pg.evaluate("ecomap.layers.bridges.shown")
    assert shown["single"] + sum(shown["counts"]) <= n
    # the heat map reads the same columns: every site in view is in one of the cells it is given
    pg.evaluate("""() => { const b = ecomap.map.getBounds().pad(1); ecomap.map.fitBounds(b, {animate: false}); }""")
    pg.wait_for_timeout(300)
    assert pg.evaluate("ecomap.layers.density.drawn.sites") == n
    assert pg.evaluate("ecomap.layers.density._latlngs.length") < n / 10
    # at the closest zoom a site stands alone, drawn on the canvas, its tooltip and popup built from the columns
    lat, lon, fid = pg.evaluate("""() => { const l = ecomap.layers.bridges, p = l.latLngOf(0);
        ecomap.map.setView(p, ecomap.map.getMaxZoom(), {animate: false}); return [p.lat, p.lng, l.d.id[0]]; }""")
    pg.wait_for_timeout(300)
    assert pg.evaluate("Array.from(ecomap.layers.bridges._pts.sel).includes(0)")
    x, y = page.screen_xy(lat, lon)
    pg.mouse.move(x, y)
    assert fid in pg.locator(".leaflet-tooltip").inner_text()
    pg.mouse.click(x, y)
    assert fid in pg.locator(".leaflet-popup-content").inner_text()
    assert page.errors == []


def test_build_screenshots(tmp_path, minimal_data):
    if webmap.find_chromium() is None:
        _unavailable("no Chromium: apt-get install chromium")
    out = tmp_path / "out"
    assert run_cli("build", "--data", minimal_data, "--out", out, "--screenshots") == 0
    for stem in ("atlas", "atlas-gaode"):
        png = (out / "screenshots" / f"{stem}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", png[16:24])
        assert (width, height) == (1200, 800)


def test_long_notes_show_300_characters_and_the_rest_behind_more(page, pages):
    """A long note or source: the start in the popup, nothing lost, the rest in a closed <details>."""
    pg = page.open(pages["none"])
    text = "<b>x</b>" + "长" * 400 + "END"
    html = pg.evaluate("t => ecomap.longText(t)", text)
    probe = pg.evaluate("""h => { const d = document.createElement('div'); d.innerHTML = h;
        const det = d.querySelector('details.eco-more');
        return {all: d.textContent, open: det ? det.open : null, bold: d.querySelectorAll('b').length,
                shown: det ? d.textContent.length - det.textContent.length : d.textContent.length}; }""", html)
    assert probe["bold"] == 0 and probe["open"] is False
    assert probe["all"].startswith("<b>x</b>") and probe["all"].endswith("END")
    assert probe["shown"] == 300
    assert pg.evaluate("ecomap.longText('short <i>')") == "short &lt;i&gt;"
    assert page.errors == []


def test_trails_and_patches_answer_the_pointer_with_text_built_on_demand(page, pages, net):
    """Hover a trail: its tooltip; click it: its popup, the same HTML Python writes; inside a patch: the patch."""
    from ecomap.webmap._style import _layer_popups, _page_frame

    pg = page.open(pages["none"])
    # one canvas layer per data layer, no map object per feature
    assert pg.evaluate("Object.values(ecomap.layers).every(l => l._ecoShapes || l instanceof ecomap.PointLayer)")
    x, y = page.screen_xy(22.685 - 0.003 * 2 / 7, 114.347)   # on T1, between its ends
    pg.mouse.move(x + 40, y + 40)
    pg.mouse.move(x, y, steps=3)
    tip = pg.locator(".leaflet-tooltip", has_text="禾雀花步道")
    tip.wait_for(timeout=10_000)
    assert "Mucuna Trail" in tip.inner_text()
    pg.mouse.click(x, y)
    html = pg.locator(".leaflet-popup-content").inner_html()
    frame = _page_frame(net["trails"], gcj02=False)
    _, pops = _layer_popups("trails", frame, {"length_km": pd.Series(net["trails"].length.to_numpy() / 1000)})
    probe = pg.evaluate("h => { const d = document.createElement('div'); d.innerHTML = h; return d.innerHTML; }", str(pops[0]))
    assert html == probe
    pg.keyboard.press("Escape")
    pg.evaluate("ecomap.map.closePopup()")
    # Leaflet fades a closed popup out and removes it 200 ms later: wait until it is gone
    pg.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
    x, y = page.screen_xy(22.6935, 114.3555)   # inside P2, away from its edges
    pg.mouse.click(x, y)
    pop = pg.locator(".leaflet-popup-content", has_text="P2")
    pop.wait_for(timeout=10_000)
    assert "东林" in pop.inner_text()
    assert pg.locator(".leaflet-popup-content").count() == 1
    assert page.errors == []


# --- the heat layer: the sites in view binned into Leaflet.heat's grid ----------------------
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
    from ecomap.webmap._maps import _bridges_map

    tmp = tmp_path_factory.mktemp("heat")
    net = load_network(make_atlas_data(tmp / "geo", n_bridges=4000))
    return webmap.save_map(_bridges_map(net, basemap="none"), tmp / "bridges.html"), len(net.bridges)


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


def test_heat_layer_counts_every_site_in_view_once(page, heat_page):
    """Leaflet.heat is given the sites in view binned into its own grid: none lost or counted twice, drawn the same."""
    pg = page
    path, n = heat_page
    pg.open(path)
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
    pg.js("ecomap.map.panBy([200, 90], {animate: false})")
    pg.page.wait_for_timeout(200)
    assert pg.js("ecomap.layers.density.drawn.max") == before
    assert pg.errors == []


def test_bundled_register_ids_are_rebuilt_in_the_page(page, tmp_path):
    from ecomap.webmap._maps import _bridges_map

    net = load_network()   # B00001 ... : sent as the first id and a width
    pg = page.open(webmap.save_map(_bridges_map(net, basemap="none"), tmp_path / "bridges.html"))
    assert '"idRun"' in (tmp_path / "bridges.html").read_text(encoding="utf-8")
    assert pg.evaluate("ecomap.layers.bridges.d.id") == [str(i) for i in net.bridges.index]
    assert pg.evaluate("ecomap.layers.bridges.d.idOf(7)") == str(net.bridges.index[7])
    # status, host and material unpacked from one byte: the labels of each site's own values
    got = pg.evaluate("""() => { const d = ecomap.layers.bridges.d;
        return ['status', 'host', 'material'].map((c, j) => Array.from(d[['st', 'h', 'm'][j]], k => d.vocab[c][k])); }""")
    from ecomap.webmap._style import _both

    assert got == [[_both(v) for v in net.bridges[c]] for c in ("status", "host", "material")]
    assert page.errors == []


def test_heat_layer_from_its_own_columns_counts_every_site(page, tmp_path):
    from ecomap.webmap._builder import _MapBuilder

    net = load_network(make_atlas_data(tmp_path / "geo", n_bridges=500))
    b = _MapBuilder(net, basemap_name="none", title="heat")
    b.add_heat("density", net.bridges, label="density")
    pg = page.open(webmap.save_map(b.finish(), tmp_path / "heat.html"))
    pg.evaluate("ecomap.map.setZoom(13, {animate: false})")
    pg.wait_for_timeout(300)
    drawn = pg.evaluate("ecomap.layers.density.drawn")
    assert drawn["sites"] == len(net.bridges) and 0 < drawn["points"] < len(net.bridges)
    assert page.errors == []
