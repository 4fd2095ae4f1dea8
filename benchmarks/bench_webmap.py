"""Build time, page size and load time of the atlas with 10,000 and 100,000 bridge sites.

The bridge sites are random points inside the bundled Pingshan boundary (every other layer is
the bundled data). For each size the script times:

* ``ecomap.webmap.atlas`` + ``render_html`` (the atlas, all layers, assets inlined), and the
  size of the page;
* in headless Chromium (Debian's, offline, no tiles): first contentful paint, the time at
  which every layer and control is on the map (``ecomap.control`` exists, one frame later),
  and, for the atlas, the time from moving the pointer onto a site to its tooltip;

and, as the baseline in the same run, the stock folium way of drawing the same sites: one
``folium.CircleMarker`` with a tooltip and a popup per site (10,000 only; it grows linearly
and 100,000 would take minutes), and one ``folium.GeoJson`` layer with ``GeoJsonTooltip`` and
``GeoJsonPopup``, both made self-contained the same way.

and, for the atlas, one pan (300 px, drawn again two frames later) and the JS heap.

Targets for 10,000 sites: build < 3 s, page < 3 MB, first paint < 1.5 s; for 1,000,000 sites:
page < 30 MB, first paint < 3 s, a pan < 200 ms. The same script times an older source tree
with ``PYTHONPATH=old/src`` (the hover and pan steps read either kind of bridge layer).

With ``--trails 20000`` it times instead an atlas whose trail layer holds that many random
footpaths (random walks of 9-30 vertices, 10-40 m steps, inside the boundary), against the
stock folium way (one ``folium.GeoJson`` with ``GeoJsonTooltip`` and ``GeoJsonPopup``) and,
with ``--old-src old/src``, the atlas of an older source tree built in a subprocess: page
size, build time, first paint, all drawn, and the median of 8 pans (300 px, alternating
direction, drawn again two frames later). Targets: page < 5 MB, a pan < 100 ms.

With ``--thematic`` it times instead the thematic bridge map (clusters and heat map) at each
size against, in the same run, the stock folium clusters (``MarkerCluster`` of one
``CircleMarker`` per site up to 10,000; ``FastMarkerCluster`` up to ``--stock-up-to``) and,
with ``--old-src``, the thematic map of an older source tree (one marker per site): page
size, build time, first paint, the time the first cluster bubble is on the page, the best of
3 pans (300 px, drawn again two frames later) and the JS heap; a page that does not get
there in ``--timeout`` seconds reads nan. It prints the ratios and the fitted exponents.

Run: ``.venv/bin/python benchmarks/bench_webmap.py [--sizes 10000 100000 1000000] [--stock-up-to 100000]
[--no-browser] [--trails 20000 [--old-src /tmp/old/src]] [--thematic [--old-src /tmp/old/src]]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ecomap import webmap
from ecomap.crs import INTERNAL
from ecomap.network import load_network

STATUS = ("planned", "built", "damaged", "removed")
HOST = ("ditch", "well", "pool", "culvert", "interception_ditch")
MATERIAL = ("stone", "wood", "net", "rope", "ramp")


def bridges_in(boundary, n: int, seed: int = 1) -> gpd.GeoDataFrame:
    """``n`` random bridge sites inside ``boundary`` (EPSG:4547), register columns filled."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = boundary.bounds
    pts = np.empty(0, dtype=object)
    while len(pts) < n:
        cand = shapely.points(rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n))
        pts = np.concatenate([pts, cand[shapely.contains(boundary, cand)]])
    pts = pts[:n]
    days = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    note = np.where(rng.random(n) < 0.01, "checked after rain", None)
    return gpd.GeoDataFrame(
        {
            "host": rng.choice(HOST, n), "material": rng.choice(MATERIAL, n), "status": rng.choice(STATUS, n),
            "installed": days.strftime("%Y-%m-%d"), "note": note,
            "name_zh": None, "name_en": None, "source": "benchmark", "confidence": "synthetic",
        },
        geometry=pts, crs=INTERNAL, index=pd.Index([f"BR{i:06d}" for i in range(n)], name="id"),
    )


def trails_in(boundary, n: int, seed: int = 2) -> gpd.GeoDataFrame:
    """``n`` random footpaths starting inside ``boundary`` (EPSG:4547): random walks of 9-30 vertices."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = boundary.bounds
    starts = np.empty(0, dtype=object)
    while len(starts) < n:
        cand = shapely.points(rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n))
        starts = np.concatenate([starts, cand[shapely.contains(boundary, cand)]])
    geoms = []
    for p, m in zip(starts[:n], rng.integers(8, 30, n), strict=True):
        ang = np.cumsum(rng.normal(0, 0.4, m)) + rng.uniform(0, 2 * np.pi)
        step = rng.uniform(10, 40, m)
        geoms.append(shapely.linestrings(np.r_[p.x, p.x + np.cumsum(step * np.cos(ang))],
                                         np.r_[p.y, p.y + np.cumsum(step * np.sin(ang))]))
    return gpd.GeoDataFrame(
        {"kind": rng.choice(["greenway", "hiking", "ridge"], n), "surface": rng.choice(["dirt", "paved", "gravel"], n),
         "name_zh": None, "name_en": None, "source": "osm:way/123", "confidence": "synthetic"},
        geometry=geoms, crs=INTERNAL, index=pd.Index([f"TR{i:06d}" for i in range(n)], name="id"))


def stock_trails_page(trails: gpd.GeoDataFrame) -> str:
    """The baseline for footpaths: one folium.GeoJson with GeoJsonTooltip and GeoJsonPopup, made self-contained."""
    ll = trails.to_crs("EPSG:4326").reset_index()[["id", "kind", "surface", "source", "geometry"]]
    m = folium.Map(location=[22.69, 114.35], zoom_start=12, tiles=None, prefer_canvas=True)
    m.default_js = [j for j in m.default_js if j[0] == "leaflet"]
    m.default_css = [c for c in m.default_css if c[0] == "leaflet_css"]
    folium.GeoJson(ll, name="trails", tooltip=folium.GeoJsonTooltip(["id", "kind"]),
                   popup=folium.GeoJsonPopup(["id", "kind", "surface", "source"])).add_to(m)
    m.fit_bounds([[22.62, 114.26], [22.79, 114.44]])
    return webmap.inline_assets(m.get_root().render())


_OLD_BUILD = """
import sys, time
sys.path.insert(0, {bench!r})
from bench_webmap import trails_in
from ecomap import webmap
from ecomap.network import load_network
base = load_network()
net = base.replace(trails=trails_in(base.district, {n}))
t0 = time.perf_counter()
page = webmap.render_html(webmap.atlas(net, basemap="none"))
print(time.perf_counter() - t0)
open({out!r}, "w", encoding="utf-8").write(page)
"""


def old_atlas(old_src: str, n: int, out: Path) -> float:
    """Build the footpath atlas with an older source tree, in a subprocess; its build seconds."""
    code = _OLD_BUILD.format(bench=str(Path(__file__).parent), n=n, out=str(out))
    env = {**os.environ, "PYTHONPATH": old_src}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(res.stdout.strip().splitlines()[-1])


PANS = """() => new Promise(res => {
    const map = window.ecomap ? ecomap.map : Object.values(window).find(v => v instanceof L.Map), out = [];
    function one(n) {
      if (!n) { out.sort((a, b) => a - b); return res(out[out.length >> 1]); }
      const t0 = performance.now(); map.panBy(n % 2 ? [300, 120] : [-300, -120], {animate: false});
      requestAnimationFrame(() => requestAnimationFrame(() => { out.push(performance.now() - t0); setTimeout(() => one(n - 1), 100); }));
    }
    one(8); })"""


def trails_run(browser, base, n: int, old_src: str | None, tmp: str) -> None:
    """Footpaths: this atlas, the stock folium page and (optionally) an older atlas, one run."""
    trails = trails_in(base.district, n)
    net = base.replace(trails=trails)
    pages = []
    secs, page = timed(lambda: webmap.render_html(webmap.atlas(net, basemap="none")))
    path = Path(tmp) / "trails-ecomap.html"
    path.write_text(page, encoding="utf-8")
    pages.append(("ecomap atlas", secs, path, "window.ecomap && ecomap.control"))
    if old_src:
        path = Path(tmp) / "trails-old.html"
        pages.append(("older atlas", old_atlas(old_src, n, path), path, "window.ecomap && ecomap.control"))
    secs, page = timed(lambda: stock_trails_page(trails))
    path = Path(tmp) / "trails-stock.html"
    path.write_text(page, encoding="utf-8")
    pages.append(("stock GeoJson+tooltips", secs, path, None))
    rows = []
    for label, secs, path, ready in pages:
        fcp = drawn = pan = float("nan")
        if browser is not None:
            fcp, drawn = load_times(browser, path, ready, repeat=1)
            ctx = browser.new_context(viewport={"width": 1200, "height": 800})
            pg = ctx.new_page()
            pg.goto(path.resolve().as_uri(), wait_until="load")
            if ready:
                pg.wait_for_function(ready, timeout=300_000)
            pan = pg.evaluate(PANS) / 1000
            ctx.close()
        mb = path.stat().st_size / 1e6
        rows.append((label, secs, mb, fcp, drawn, pan))
        print(f"{n:>7,} footpaths {label:<24} build {secs:6.2f} s  html {mb:6.2f} MB  first paint {fcp:6.2f} s  "
              f"drawn {drawn:6.2f} s  pan (median of 8) {pan * 1000:6.0f} ms", flush=True)
    ours = rows[0]
    for label, secs, mb, _fcp, drawn, pan in rows[1:]:
        print(f"{n:>7,} footpaths: {label} / ecomap atlas: build x{secs / ours[1]:.1f}, size x{mb / ours[2]:.1f}, "
              f"drawn x{drawn / ours[4]:.1f}, pan x{pan / ours[5]:.1f}")
    ok = ours[2] < 5 and not ours[5] >= 0.1
    print(f"{n:>7,} footpaths: targets (< 5 MB, pan < 100 ms): {'met' if ok else 'MISSED'}")


def stock_page(net, br: gpd.GeoDataFrame, *, per_point: bool) -> str:
    """The baseline: the same sites drawn the stock folium way, made self-contained."""
    ll = br.to_crs("EPSG:4326")
    m = folium.Map(location=[22.69, 114.35], zoom_start=12, tiles=None, prefer_canvas=True)
    m.default_js = [j for j in m.default_js if j[0] == "leaflet"]
    m.default_css = [c for c in m.default_css if c[0] == "leaflet_css"]
    if per_point:
        group = folium.FeatureGroup(name="bridges").add_to(m)
        for fid, row, g in zip(ll.index, ll.itertuples(), ll.geometry, strict=True):
            folium.CircleMarker([g.y, g.x], radius=4, fill=True, tooltip=f"{fid} {row.status}",
                                popup=f"{fid}<br>{row.host}<br>{row.material}<br>{row.installed}").add_to(group)
    else:
        fields = ["status", "host", "material", "installed"]
        gj = ll.reset_index()[["id", *fields, "geometry"]]
        folium.GeoJson(gj, name="bridges", marker=folium.CircleMarker(radius=4, fill=True),
                       tooltip=folium.GeoJsonTooltip(["id", "status"]),
                       popup=folium.GeoJsonPopup(["id", *fields])).add_to(m)
    return webmap.inline_assets(m.get_root().render())


def timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


HOVER = """() => new Promise(res => {
    const l = ecomap.layers.bridges, map = ecomap.map;
    const ll = l.latLngOf ? l.latLngOf(0) : l.getLayers()[0].getLatLng();   // one canvas layer, or a marker per site
    map.setView(ll, 17, {animate: false});
    const p = map.latLngToContainerPoint(ll), r = map.getContainer().getBoundingClientRect();
    res([r.left + p.x, r.top + p.y]); })"""


def hover_time(browser, path: Path) -> float:
    """Seconds from a pointer move onto a bridge site to its tooltip (nan if none shows)."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page = ctx.new_page()
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("window.ecomap && ecomap.control", timeout=120_000)
    x, y = page.evaluate(HOVER)
    page.mouse.move(x + 40, y + 40)
    page.wait_for_timeout(200)
    t0 = time.perf_counter()
    page.mouse.move(x, y)
    try:
        page.locator(".leaflet-tooltip", has_text="BR").wait_for(timeout=10_000)
        secs = time.perf_counter() - t0
    except Exception:  # playwright's TimeoutError: no tooltip
        secs = float("nan")
    ctx.close()
    return secs


PAN = """() => new Promise(res => {
    const map = ecomap.map, t0 = performance.now();
    map.panBy([300, 120], {animate: false});
    requestAnimationFrame(() => requestAnimationFrame(() => res([performance.now() - t0,
        performance.memory ? performance.memory.usedJSHeapSize : NaN]))); })"""


def pan_and_heap(browser, path: Path) -> tuple[float, float]:
    """(seconds for one pan of the whole map to be drawn again, JS heap in MB) once loaded."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page = ctx.new_page()
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_function("window.ecomap && ecomap.control", timeout=300_000)
    best, heap = np.inf, np.nan
    for _ in range(3):
        ms, heap = page.evaluate(PAN)
        best = min(best, ms / 1000)
    ctx.close()
    return best, heap / 1e6


def load_times(browser, path: Path, ready: str | None, repeat: int = 2) -> tuple[float, float]:
    """(first contentful paint, all drawn) in seconds from navigation start, best of ``repeat``."""
    fcp, drawn = np.inf, np.inf
    for _ in range(repeat):
        ctx = browser.new_context(viewport={"width": 1200, "height": 800})
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        page = ctx.new_page()
        page.goto(path.resolve().as_uri(), wait_until="load")
        if ready:
            page.wait_for_function(ready, timeout=300_000)
        t = page.evaluate("""() => new Promise(res => requestAnimationFrame(() => requestAnimationFrame(() => {
            const p = performance.getEntriesByName('first-contentful-paint')[0];
            res([p ? p.startTime : NaN, performance.now()]); })))""")
        fcp, drawn = min(fcp, t[0] / 1000), min(drawn, t[1] / 1000)
        ctx.close()
    return fcp, drawn


# --- the thematic bridge map: clusters ---------------------------------------------------
_OLD_BRIDGES = """
import sys, time
sys.path.insert(0, {bench!r})
from bench_webmap import bridges_in
from ecomap import webmap
from ecomap.network import load_network
from ecomap.webmap._maps import _bridges_map
base = load_network()
net = base.replace(bridges=bridges_in(base.district, {n}))
t0 = time.perf_counter()
page = webmap.render_html(_bridges_map(net, basemap="none"))
print(time.perf_counter() - t0)
open({out!r}, "w", encoding="utf-8").write(page)
"""


def stock_cluster_page(br: gpd.GeoDataFrame, *, fast: bool) -> str:
    """The stock folium clusters: MarkerCluster of one CircleMarker per site, or FastMarkerCluster."""
    ll = br.to_crs("EPSG:4326")
    m = folium.Map(location=[22.69, 114.35], zoom_start=12, tiles=None, prefer_canvas=True)
    m.default_js = [j for j in m.default_js if j[0] == "leaflet"]
    m.default_css = [c for c in m.default_css if c[0] == "leaflet_css"]
    lat, lon = shapely.get_y(ll.geometry.values), shapely.get_x(ll.geometry.values)
    if fast:
        folium.plugins.FastMarkerCluster(np.column_stack([lat, lon]).round(6).tolist(), callback="""
            function (row) { return L.circleMarker(new L.LatLng(row[0], row[1]), {radius: 4}); }""").add_to(m)
    else:
        group = folium.plugins.MarkerCluster(name="bridges").add_to(m)
        for fid, row, y, x in zip(ll.index, ll.itertuples(), lat, lon, strict=True):
            folium.CircleMarker([y, x], radius=4, fill=True, tooltip=f"{fid} {row.status}",
                                popup=f"{fid}<br>{row.host}<br>{row.material}<br>{row.installed}").add_to(group)
    m.fit_bounds([[22.62, 114.26], [22.79, 114.44]])
    # markercluster needs a maxZoom, which a map without tiles does not get from folium
    return webmap.inline_assets(m.get_root().render().replace('"zoom": 12,', '"zoom": 12, "maxZoom": 18,', 1))


PAN_ANY = """() => new Promise(res => {
    const map = window.ecomap ? ecomap.map : Object.values(window).find(v => v instanceof L.Map), t0 = performance.now();
    map.panBy([300, 120], {animate: false});
    requestAnimationFrame(() => requestAnimationFrame(() => res([performance.now() - t0,
        performance.memory ? performance.memory.usedJSHeapSize : NaN]))); })"""

CLUSTERS_DRAWN = "document.querySelector('.marker-cluster')"


def cluster_page_times(browser, path: Path, timeout_s: float) -> tuple[float, float, float, float]:
    """(first paint, cluster bubbles drawn, best of 3 pans, JS heap MB); nan where the page did not get there."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 800})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page = ctx.new_page()
    fcp = drawn = pan = heap = float("nan")
    try:
        page.goto(path.resolve().as_uri(), wait_until="load", timeout=timeout_s * 1000)
        page.wait_for_function(CLUSTERS_DRAWN, timeout=timeout_s * 1000, polling=50)
        drawn = page.evaluate("performance.now()") / 1000
        # the first contentful paint may come a frame after the bubbles are in the page
        page.wait_for_function("performance.getEntriesByName('first-contentful-paint').length > 0",
                               timeout=timeout_s * 1000, polling=20)
        fcp = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0].startTime") / 1000
        pan = np.inf
        for _ in range(3):
            ms, heap = page.evaluate(PAN_ANY)
            pan = min(pan, ms / 1000)
        heap /= 1e6
    except Exception as exc:  # playwright's TimeoutError or a crashed page: record it as not loaded
        print(f"    {path.name}: {type(exc).__name__}: {str(exc).splitlines()[0][:100]}", flush=True)
    ctx.close()
    return fcp, drawn, pan, heap


def thematic_run(browser, base, sizes, *, old_src: str | None, stock_up_to: int, timeout_s: float, tmp: str) -> None:
    """The thematic bridge map against the stock folium clusters and an older source tree, one run."""
    from ecomap.webmap._maps import _bridges_map

    rows = []
    for n in sizes:
        br = bridges_in(base.district, n)
        net = base.replace(bridges=br)
        variants = [("ecomap thematic", lambda net=net: webmap.render_html(_bridges_map(net, basemap="none")))]
        if old_src:
            variants.append(("older thematic (marker per site)", None))
        if n <= stock_up_to:
            variants.append(("stock FastMarkerCluster", lambda br=br: stock_cluster_page(br, fast=True)))
        if n <= 10_000:
            variants.append(("stock MarkerCluster+CircleMarker", lambda br=br: stock_cluster_page(br, fast=False)))
        for label, fn in variants:
            path = Path(tmp) / f"thematic-{n}-{len(rows)}.html"
            if fn is None:
                secs = old_bridges(old_src, n, path)
            else:
                secs, page = timed(fn)
                path.write_text(page, encoding="utf-8")
                del page
            mb = path.stat().st_size / 1e6
            fcp = drawn = pan = heap = float("nan")
            if browser is not None:
                fcp, drawn, pan, heap = cluster_page_times(browser, path, timeout_s)
            rows.append({"sites": n, "variant": label, "build_s": secs, "html_MB": mb, "first_paint_s": fcp,
                         "drawn_s": drawn, "pan_s": pan, "heap_MB": heap})
            print(f"{n:>9,} {label:<34} build {secs:6.2f} s  html {mb:7.2f} MB  first paint {fcp:6.2f} s  "
                  f"clusters drawn {drawn:6.2f} s  pan {pan * 1000:7.0f} ms  JS heap {heap:6.0f} MB", flush=True)
            path.unlink()
    table = pd.DataFrame(rows)
    print()
    for n, grp in table.groupby("sites"):
        ours = grp[grp["variant"] == "ecomap thematic"].iloc[0]
        for _, r in grp[grp["variant"] != "ecomap thematic"].iterrows():
            print(f"{n:>9,} sites: {r['variant']} / ecomap thematic: size x{r['html_MB'] / ours['html_MB']:.1f}, "
                  f"drawn x{r['drawn_s'] / ours['drawn_s']:.1f}, pan x{r['pan_s'] / ours['pan_s']:.1f}, "
                  f"heap x{r['heap_MB'] / ours['heap_MB']:.1f}")
    ours = table[table["variant"] == "ecomap thematic"]
    if len(ours) > 1:
        for col in ("html_MB", "drawn_s", "pan_s", "heap_MB"):
            k = np.polyfit(np.log(ours["sites"]), np.log(ours[col].astype(float)), 1)[0]
            print(f"ecomap thematic: {col} grows as n^{k:.2f}")


def old_bridges(old_src: str, n: int, out: Path) -> float:
    """Build the thematic bridge map with an older source tree, in a subprocess; its build seconds."""
    code = _OLD_BRIDGES.format(bench=str(Path(__file__).parent), n=n, out=str(out))
    env = {**os.environ, "PYTHONPATH": old_src}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium load times")
    ap.add_argument("--stock-up-to", type=int, default=100_000, help="largest size also built the stock folium way")
    ap.add_argument("--trails", type=int, default=0, help="time an atlas of this many footpaths instead")
    ap.add_argument("--old-src", default=None, help="with --trails or --thematic: an older source tree to compare")
    ap.add_argument("--thematic", action="store_true", help="time the thematic bridge map (clusters) instead")
    ap.add_argument("--timeout", type=float, default=300.0, help="with --thematic: seconds a page may take to load")
    args = ap.parse_args()

    t_load, base = timed(lambda: load_network())
    print(f"bundled network loaded in {t_load:.2f} s")
    boundary = base.district
    browser = pw = None
    if not args.no_browser and webmap.find_chromium():
        from playwright.sync_api import sync_playwright

        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=webmap.find_chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--host-resolver-rules=MAP * ~NOTFOUND"])
    rows = []
    if args.thematic:
        with tempfile.TemporaryDirectory(prefix="bench-thematic-") as tmp:
            thematic_run(browser, base, args.sizes, old_src=args.old_src, stock_up_to=args.stock_up_to,
                         timeout_s=args.timeout, tmp=tmp)
        if browser is not None:
            browser.close()
            pw.stop()
        return
    if args.trails:
        with tempfile.TemporaryDirectory() as tmp:
            trails_run(browser, base, args.trails, args.old_src, tmp)
        if browser is not None:
            browser.close()
            pw.stop()
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            net = base.replace(bridges=bridges_in(boundary, n))
            variants = [("ecomap atlas", lambda net=net: webmap.render_html(webmap.atlas(net, basemap="none")),
                         "window.ecomap && ecomap.control")]
            if n <= args.stock_up_to:
                variants.append(("stock GeoJson+tooltips", lambda net=net: stock_page(net, net.bridges, per_point=False),
                                 None))
            if n <= 10_000:
                variants.append(("stock CircleMarker per site",
                                 lambda net=net: stock_page(net, net.bridges, per_point=True), None))
            for label, fn, ready in variants:
                secs, page = timed(fn)
                path = Path(tmp) / f"{n}-{len(rows)}.html"
                path.write_text(page, encoding="utf-8")
                fcp = drawn = hover = pan = heap = float("nan")
                if browser is not None:
                    fcp, drawn = load_times(browser, path, ready, repeat=1 if n > 100_000 else 2)
                    if ready:
                        hover = hover_time(browser, path)
                        pan, heap = pan_and_heap(browser, path)
                rows.append({"sites": n, "variant": label, "build_s": secs, "html_MB": len(page.encode()) / 1e6,
                             "first_paint_s": fcp, "drawn_s": drawn})
                print(f"{n:>7,} {label:<28} build {secs:6.2f} s  html {rows[-1]['html_MB']:6.2f} MB  "
                      f"first paint {fcp:6.2f} s  drawn {drawn:6.2f} s"
                      + (f"  hover->tooltip {hover:5.2f} s  pan {pan * 1000:6.0f} ms  JS heap {heap:6.0f} MB"
                         if ready else ""), flush=True)
    if browser is not None:
        browser.close()
        pw.stop()
    table = pd.DataFrame(rows)
    print()
    for n, grp in table.groupby("sites"):
        ours = grp[grp["variant"] == "ecomap atlas"].iloc[0]
        for _, r in grp[grp["variant"] != "ecomap atlas"].iterrows():
            print(f"{n:>7,} sites: {r['variant']} / ecomap atlas: build x{r['build_s'] / ours['build_s']:.1f}, "
                  f"size x{r['html_MB'] / ours['html_MB']:.1f}, drawn x{r['drawn_s'] / ours['drawn_s']:.1f}")
        if n == 10_000:
            ok = ours["build_s"] < 3 and ours["html_MB"] < 3 and not ours["first_paint_s"] >= 1.5
            print(f"{n:>7,} sites: targets (build < 3 s, < 3 MB, first paint < 1.5 s): {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
