"""The web atlas and thematic maps: offline pages, escaping, GCJ-02, scale, CLI and build."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import boundary_feature, common, feature, run_cli, write_layer

from ecomap import webmap
from ecomap._errors import EcomapError, InputError
from ecomap.network import load_network
from ecomap.webmap._page import _asset_table

XSS = "<img src=x onerror=alert(1)>"


def _poly(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _line(*pts):
    return {"type": "LineString", "coordinates": [list(p) for p in pts]}


def _pt(x, y):
    return {"type": "Point", "coordinates": [x, y]}


#: A known bridge site (WGS-84) and where GCJ-02 puts it: the published Pingshan vector
#: (114.35, 22.69) -> (114.354921179, 22.687293477), checked against PyPI coordTransform.
KNOWN_WGS = (114.35, 22.69)
KNOWN_GCJ = (114.354921179, 22.687293477)


def make_atlas_data(folder: Path, *, n_bridges: int = 0, seed: int = 0) -> Path:
    """A data folder with every layer in a 2 km square of central Pingshan.

    Corridor C01's English name and bridge B001's note carry an XSS payload; bridge
    ``B000`` sits at :data:`KNOWN_WGS`. ``n_bridges`` adds random sites in the square.
    """
    write_layer(folder, "boundary", [boundary_feature()])
    write_layer(folder, "districts", [
        feature(_poly(114.34, 22.68, 114.36, 22.70), id="440310", adcode="440310", **common(name_zh="坪山区", name_en="Pingshan")),
        feature(_poly(114.30, 22.68, 114.34, 22.70), id="440307", adcode="440307", **common(name_zh="龙岗区", name_en="Longgang")),
    ])
    write_layer(folder, "ridge", [
        feature(_poly(114.342, 22.681, 114.350, 22.686), id="R1", kind="country_park", elev_max_m=525.9,
                **common(name_zh="马峦山", name_en="Maluan Shan")),
    ])
    write_layer(folder, "belt", [
        feature(_poly(114.340, 22.680, 114.360, 22.6808), id="BL1", segment="east", width_m=80.0, **common()),
    ])
    write_layer(folder, "patches", [
        feature(_poly(114.341, 22.691, 114.345, 22.695), id="P1", kind="forest", quality=0.8,
                **common(name_zh="西林", name_en="West wood")),
        feature(_poly(114.353, 22.691, 114.358, 22.696), id="P2", kind="forest", quality=0.5,
                **common(name_zh="东林", name_en="East wood")),
        feature(_poly(114.347, 22.684, 114.351, 22.688), id="P3", kind="riparian", quality=0.3,
                **common(name_zh="河岸", name_en="Riverside")),
    ])
    write_layer(folder, "corridors", [
        feature(_line((114.345, 22.693), (114.353, 22.693)), id="C01", width_m=100.0, kind="mountain",
                from_id="P1", to_id="P2", status="existing", **common(name_zh="西东廊道", name_en=XSS)),
        feature(_line((114.349, 22.688), (114.350, 22.693)), id="C02", width_m=300.0, kind="water",
                from_id="P3", to_id="P1", status="planned", **common(name_zh="河谷廊道", name_en="Valley corridor")),
        feature(_line((114.351, 22.688), (114.355, 22.691)), id="C03", width_m=30.0, kind="green",
                from_id="P3", to_id="P2", status="broken", **common(name_zh="断廊", name_en="Broken link")),
    ])
    write_layer(folder, "river", [
        feature(_line((114.341, 22.685), (114.350, 22.687), (114.359, 22.689)), id="RV1", rank="axis",
                parent_id=None, **common(name_zh="坪山河", name_en="Pingshan River")),
        feature(_line((114.352, 22.697), (114.353, 22.688)), id="RV2", rank="tributary", parent_id="RV1",
                **common(name_zh="汤坑水", name_en="Tangkeng Stream")),
    ])
    write_layer(folder, "trails", [
        feature(_line((114.342, 22.682), (114.349, 22.685)), id="T1", kind="hiking", surface="dirt",
                **common(name_zh="禾雀花步道", name_en="Mucuna Trail")),
        feature(_line((114.341, 22.698), (114.359, 22.698)), id="T2", kind="greenway", surface="paved",
                **common(name_zh="绿道", name_en="Greenway")),
    ])
    write_layer(folder, "barriers", [
        feature(_line((114.347, 22.681), (114.347, 22.690)), id="X1", kind="expressway", permeability=0.1,
                structure="surface", **common(name_zh="坪盐通道", name_en="Pingyan Passage")),
        feature(_line((114.347, 22.690), (114.347, 22.699)), id="X2", kind="expressway", permeability=0.9,
                structure="tunnel", **common(name_zh="马峦山隧道", name_en="Maluan tunnel")),
        feature(_line((114.353, 22.686), (114.353, 22.692)), id="X3", kind="arterial", permeability=0.3,
                structure="surface", **common(name_zh="干道", name_en="Arterial road")),
    ])
    write_layer(folder, "reservoirs", [
        feature(_poly(114.355, 22.682, 114.358, 22.685), id="W1", capacity=1.2e6,
                **common(name_zh="赤坳水库", name_en="Chi'ao Reservoir")),
    ])
    statuses = ["planned", "built", "damaged", "removed"]
    bridges = [
        feature(_pt(*KNOWN_WGS), id="B000", host="ditch", material="wood", status="built", installed="2024-03-01",
                note="known point", **common(name_zh="已知点", name_en="Known point")),
        feature(_pt(114.3465, 22.6932), id="B001", host="culvert", material="ramp", status="planned", installed=None,
                note=XSS, **common(name_zh="廊道桥", name_en="Corridor bridge")),
        feature(_pt(114.356, 22.684), id="B002", host="pool", material="stone", status="damaged",
                installed="2023-11-30", **common()),
    ]
    rng = np.random.default_rng(seed)
    xy = np.column_stack([rng.uniform(114.3405, 114.3595, n_bridges), rng.uniform(22.6805, 22.6995, n_bridges)])
    for i, (x, y) in enumerate(np.round(xy, 6)):
        bridges.append(feature(_pt(float(x), float(y)), id=f"S{i:06d}", host="ditch", material="net",
                               status=statuses[i % 4], installed="2025-01-02", **common(name_zh=None, name_en=None)))
    write_layer(folder, "bridges", bridges)
    return folder


@pytest.fixture
def atlas_data(tmp_path) -> Path:
    return make_atlas_data(tmp_path / "data")


@pytest.fixture
def network(atlas_data):
    return load_network(atlas_data)


def _points(page: str) -> list:
    """The ``ecomap.points`` payloads of a page, their typed columns decoded to plain lists."""
    import base64

    def col(b64: str, dtype) -> list:
        return np.frombuffer(base64.b64decode(b64), dtype=np.dtype(dtype).newbyteorder("<")).tolist()

    out = []
    for key, d in _scripts_payload(page, "points"):
        d = dict(d)
        d["lat"] = [v / d["scale"] for v in col(d["lat"], np.int32)]
        d["lon"] = [v / d["scale"] for v in col(d["lon"], np.int32)]
        if "shm" in d:   # packed: st + K0 * (h + K1 * m)
            v, (k0, k1) = np.array(col(d.pop("shm"), np.uint8)), d["shmK"]
            d["st"], d["h"], d["m"] = (v % k0).tolist(), (v // k0 % k1).tolist(), (v // k0 // k1).tolist()
        for c in ("st", "h", "m"):
            d[c] = d[c] if isinstance(d[c], list) else col(d[c], np.uint8)
        run = d.get("idRun")
        rest = [str(run[0] + i).zfill(run[1]) for i in range(len(d["lat"]))] if run else d["id"].split("\n")
        d["id"] = [d["idPrefix"] + x for x in rest]
        wide = np.int16 if len(d["inst"]["vocab"]) < 2**15 else np.int32
        d["inst"] = [None if k < 0 else d["inst"]["vocab"][k] for k in col(d["inst"]["code"], wide)]
        out.append((key, d))
    return out


def _scripts_payload(page: str, func: str) -> list:
    """The JSON arguments of every ``ecomap.<func>(key, data, ...)`` call in a page."""
    found = []
    for m in re.finditer(rf"ecomap\.{func}\((\"[^\"]+\"), ", page):
        start = m.end()
        obj, _ = json.JSONDecoder().raw_decode(page[start:])
        found.append((json.loads(m.group(1)), obj))
    return found


def _polyline(text: str) -> list[int]:
    """The integers of an encoded-polyline string, decoded here independently of ``_pack``."""
    out, value, shift = [], 0, 0
    for ch in text:
        b = ord(ch) - 63
        value |= (b & 31) << shift
        shift += 5
        if b < 32:
            out.append(-((value + 1) >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    return out


def _vectors(page: str) -> list:
    """The packed ``ecomap.vector`` layers of a page as GeoJSON-like features.

    Each feature's properties: ``id``, ``s`` (style number), ``t`` (tooltip HTML) and ``p``
    (popup HTML), rebuilt from the word table by the rules the page follows; each layer also
    carries its ``styles``.
    """
    found = []
    for m in re.finditer(r"ecomap\.vector\((\"[^\"]+\"), ", page):
        dec = json.JSONDecoder()
        d, end = dec.raw_decode(page, m.end())
        styles, end = dec.raw_decode(page, end + 2)
        scale = int(re.match(r", (\d+)\);", page[end:]).group(1))
        g = d["g"]
        if g["t"] == "geojson":
            geoms = g["c"]
        else:
            flat = np.cumsum(np.array(_polyline(g["c"]), dtype=np.int64).reshape(-1, 2), axis=0) / scale
            lonlat = flat[:, ::-1].tolist()
            if g["t"] == "point":
                geoms = [{"type": "Point", "coordinates": c} for c in lonlat]
            else:
                items, q = [], 0
                for n in g["o"][0]:
                    items.append(lonlat[q:q + n])
                    q += n
                for counts in g["o"][1:]:
                    items = _regroup(items, counts)
                kind = {("line", 1): "LineString", ("line", 2): "MultiLineString",
                        ("polygon", 2): "Polygon", ("polygon", 3): "MultiPolygon"}[g["t"], len(g["o"])]
                geoms = [{"type": kind, "coordinates": c} for c in items]
        w = d["w"]
        feats = []
        for i, f in enumerate(d["f"]):
            if f[1] < 0:
                pop = w[f[0]]
            else:
                rows = "".join(f"<tr><th>{w[h]}</th><td>{w[v]}</td></tr>" for h, v in zip(d["h"][f[4]], f[5:], strict=True))
                sub = f'<div class="eco-en">{w[f[1]]}</div>' if w[f[1]] else ""
                pop = f'<div class="eco-pop"><div class="eco-h">{w[f[0]]}</div>{sub}<table>{rows}</table></div>'
            tip = w[f[0] if f[2] < 0 else f[2]] + (f" <span class='eco-dim'>{w[f[3]]}</span>" if f[3] else "")
            feats.append({"type": "Feature", "geometry": geoms[i],
                          "properties": {"id": d["idPrefix"] + d["id"][i], "s": d["s"][i], "t": tip, "p": pop}})
        found.append((json.loads(m.group(1)), {"features": feats, "styles": styles}))
    return found


def _regroup(items: list, counts: list) -> list:
    out, q = [], 0
    for n in counts:
        out.append(items[q:q + n])
        q += n
    return out


# --- offline -------------------------------------------------------------------------------
def test_atlas_page_carries_every_asset_and_no_cdn_link(network):
    page = webmap.render_html(webmap.atlas(network, basemap="none"))
    assert not re.search(r'<script[^>]+src=', page)
    assert not re.search(r'<link[^>]+href=', page)
    # Leaflet itself and the plugins that the controls use are in the page.
    assert "L.Control.MiniMap" in page and "groupedLayers" in page and "L.Control.Measure" in page
    assert "leaflet.fullscreen" in page.lower() or "L.Control.FullScreen" in page
    # With no basemap, no tile URL at all (the alternatives offered stay unloaded).
    assert "bases[\"无底图 No basemap\"].addTo(map)" in page


def test_inline_assets_refuses_unknown_cdn_url():
    page = '<script src="https://cdn.example.org/x.js"></script>'
    with pytest.raises(Exception, match="no offline copy of https://cdn.example.org/x.js"):
        webmap.inline_assets(page)


def test_inline_assets_drops_relative_css_images():
    url = "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.css"
    assert "images/toggle" in _asset_table()[url]
    page = webmap.inline_assets(f'<link rel="stylesheet" href="{url}"/>')
    assert "images/toggle" not in page and "<style>" in page


# --- escaping ------------------------------------------------------------------------------
def test_data_values_never_reach_the_page_unescaped(network):
    page = webmap.render_html(webmap.atlas(network, basemap="none"))
    assert XSS not in page
    assert "<img" not in page
    # The payload is there, escaped for HTML and then for the script.
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page  # corridor popup, Python-escaped
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page  # bridge note, escaped in the browser


def test_index_page_escapes_titles():
    page = webmap.index_page([("a.html", XSS, "d")])
    assert XSS not in page and "&lt;img src=x" in page


# --- GCJ-02 --------------------------------------------------------------------------------
def test_gaode_variant_moves_every_overlay_to_gcj02(network):
    osm = webmap.render_html(webmap.atlas(network, basemap="osm"))
    gaode = webmap.render_html(webmap.atlas(network, basemap="gaode"))
    (_, p_osm), = _points(osm)
    (_, p_gcj), = _points(gaode)
    i = p_osm["id"].index("B000")
    assert (p_osm["lon"][i], p_osm["lat"][i]) == KNOWN_WGS
    assert p_gcj["lon"][i] == pytest.approx(KNOWN_GCJ[0], abs=1.1e-6)
    assert p_gcj["lat"][i] == pytest.approx(KNOWN_GCJ[1], abs=1.1e-6)
    # Lines and polygons move too: the boundary's first vertex.
    b_osm = dict(_vectors(osm))["boundary"]["features"][0]["geometry"]["coordinates"][0][0]
    b_gcj = dict(_vectors(gaode))["boundary"]["features"][0]["geometry"]["coordinates"][0][0]
    assert b_osm == [114.34, 22.68]
    from pyproj import Geod
    _, _, dist = Geod(ellps="WGS84").inv(b_osm[0], b_osm[1], b_gcj[0], b_gcj[1])
    assert 550 < dist < 650
    assert "autonavi.com" in gaode and "tile.openstreetmap.org" not in gaode


def test_coordinates_are_rounded_to_six_decimals(tmp_path):
    folder = make_atlas_data(tmp_path / "d")
    write_layer(folder, "trails", [feature(_line((114.3412345678, 22.6812345678), (114.35, 22.69)), id="T9",
                                           kind="hiking", **common())])
    page = webmap.render_html(webmap.atlas(load_network(folder), basemap="none", layers=["trails"]))
    coords = dict(_vectors(page))["trails"]["features"][0]["geometry"]["coordinates"]
    assert coords[0] == [114.341235, 22.681235]



def test_packed_geometry_and_popups_match_the_frames(tmp_path):
    """Every vertex of a multi-part line and a holed polygon comes back; popups are the Python ones."""
    from ecomap.webmap._pack import encode_polyline

    rng = np.random.default_rng(3)
    values = np.r_[rng.integers(-2**33, 2**33, 500), rng.integers(-40, 40, 500), 0, 15, 16, -16, -17]
    assert _polyline(encode_polyline(values)) == values.tolist()
    folder = make_atlas_data(tmp_path / "d")
    multi = {"type": "MultiLineString", "coordinates": [[[114.341, 22.681], [114.342, 22.6825], [114.344, 22.683]],
                                                        [[114.35, 22.69], [114.351, 22.691]]]}
    write_layer(folder, "trails", [
        feature(_line((114.3412345678, 22.6812345678), (114.35, 22.69)), id="T1", kind="hiking", **common()),
        feature(multi, id="T2", kind="ridge", surface="{{ 7*7 }} {% if %} {# x", **common())])
    net = load_network(folder)
    page = webmap.render_html(webmap.atlas(net, basemap="none"))
    vec = dict(_vectors(page))
    t2 = vec["trails"]["features"][1]
    assert t2["geometry"] == multi and t2["properties"]["id"] == "T2"
    assert "{{ 7*7 }} {% if %} {# x" in t2["properties"]["p"]   # Jinja left it alone
    from ecomap.webmap._style import _layer_popups, _page_frame
    for key in ("patches", "corridors", "ridge", "boundary"):
        frame = _page_frame(net[key], gcj02=False)
        got = vec[key]["features"]
        assert [f["properties"]["id"] for f in got] == frame["id"].tolist()
        want = [shapely.normalize(g) for g in frame.geometry.values]
        assert [shapely.normalize(shapely.geometry.shape(f["geometry"])) for f in got] == want, key
    frame = _page_frame(net["trails"], gcj02=False)
    tips, pops = _layer_popups("trails", frame, {"length_km": pd.Series(net["trails"].length.to_numpy() / 1000)})
    assert [f["properties"]["p"] for f in vec["trails"]["features"]] == [str(p) for p in pops]
    assert [f["properties"]["t"] for f in vec["trails"]["features"]] == [str(t) for t in tips]


def test_ids_counting_up_by_one_are_sent_as_first_and_width():
    from ecomap.webmap._builder import _id_column

    assert _id_column(pd.Series(["0098", "0099", "0100"])) == {"id": "", "idRun": [98, 4]}
    for rest in (["98", "99", "100"], ["001", "003"], ["001", "002", "00x"], ["7"], ["-01", "-00"], []):
        assert _id_column(pd.Series(rest, dtype=object)) == {"id": "\n".join(rest)}, rest


def test_status_host_and_material_codes_decode_to_each_sites_values(network):
    from ecomap.webmap._style import _both

    page = webmap.render_html(webmap.atlas(network, basemap="none", layers=["bridges"]))
    assert '"shm"' in page   # the three codes in one byte
    p = dict(_points(page))["bridges"]
    br = network.bridges.loc[p["id"]]
    for col, short in (("status", "st"), ("host", "h"), ("material", "m")):
        got = [p["vocab"][col][k] for k in p[short]]
        assert got == [_both(v) if isinstance(v, str) else "—" for v in br[col]], col


def test_installation_dates_show_as_iso_days(network):
    # GDAL reads ISO dates in GeoJSON as timestamps; the popup must show the day as written
    page = webmap.render_html(webmap.atlas(network, basemap="none", layers=["bridges"]))
    payload = dict(_points(page))["bridges"]
    dates = dict(zip(payload["id"], payload["inst"], strict=True))
    assert dates["B000"] == "2024-03-01"
    assert dates["B001"] is None
    assert "00:00:00" not in page and "NaT" not in page

# --- content -------------------------------------------------------------------------------
def test_popups_carry_the_corridor_facts(network):
    page = webmap.render_html(webmap.atlas(network, basemap="none"))
    corridors = dict(_vectors(page))["corridors"]["features"]
    c01 = next(f for f in corridors if f["properties"]["id"] == "C01")["properties"]["p"]
    # length by hand: 0.008 deg of longitude at 22.693 N on the GRS80 ellipsoid
    from pyproj import Geod
    length_km = Geod(ellps="GRS80").line_length([114.345, 114.353], [22.693, 22.693]) / 1000
    assert f"{length_km:,.3g} km" in c01
    assert "100 m" in c01 and "山廊 mountain" in c01 and "现状 existing" in c01
    # C01 (100 m wide) serves B001, 22 m off its centre line and 350 m from any other corridor;
    # it crosses one barrier, X2, which is a tunnel: no gap.
    assert "<th>逃生设施 bridge sites</th><td>1</td>" in c01 and "<th>缺口 gaps</th><td>0</td>" in c01
    assert "未计算 not computed" in c01  # no connectivity result given
    # C03 crosses the surface arterial X3 at (114.353, 22.6895); the nearest built or damaged
    # site, B002, is 600 m away: one gap.
    c03 = next(f for f in corridors if f["properties"]["id"] == "C03")["properties"]["p"]
    assert "<th>缺口 gaps</th><td>1</td>" in c03


def test_connectivity_result_feeds_popups_and_importance_map(network):
    class Result:
        corridors = pd.DataFrame({"dPC": [12.5, 3.0, 0.5], "rank": [1, 2, 3], "bridges": [4, 0, 2], "gaps": [0, 1, 2]},
                                 index=pd.Index(["C01", "C02", "C03"], name="id"))
        gaps = gpd.GeoDataFrame({"corridor": ["C02"]}, geometry=[shapely.Point(536000, 2510000)], crs="EPSG:4547",
                                index=pd.Index(["G1"], name="id"))

    page = webmap.render_html(webmap.atlas(network, basemap="none", connectivity=Result()))
    c01 = next(f for f in dict(_vectors(page))["corridors"]["features"]
               if f["properties"]["id"] == "C01")["properties"]["p"]
    assert "dPC 12.5 %, 排名 rank 1/3" in c01 and "<th>逃生设施 bridge sites</th><td>4</td>" in c01
    assert "gaps" in dict(_vectors(page))
    maps = webmap.thematic_maps(network, connectivity=Result(), basemap="none")
    assert {"importance", "gaps", "bridges", "trails"} <= set(maps)
    imp = webmap.render_html(maps["importance"])
    colours = [s["color"] for s in dict(_vectors(imp))["importance"]["styles"]]
    feats = dict(_vectors(imp))["importance"]["features"]
    by_id = {f["properties"]["id"]: colours[f["properties"]["s"]] for f in feats}
    # the most important corridor gets the darkest class, the least the lightest
    assert by_id["C01"] == "#bd0026" and by_id["C03"] == "#fed976"


def test_layers_are_styled_by_kind(network):
    page = webmap.render_html(webmap.atlas(network, basemap="none"))
    vec = {k: v for k, v in _vectors(page)}
    styles = {k: v["styles"] for k, v in vec.items()}
    river = {f["properties"]["id"]: styles["river"][f["properties"]["s"]] for f in vec["river"]["features"]}
    assert river["RV1"]["weight"] > river["RV2"]["weight"]
    cor = {f["properties"]["id"]: styles["corridors"][f["properties"]["s"]] for f in vec["corridors"]["features"]}
    assert cor["C02"]["weight"] > cor["C01"]["weight"] > cor["C03"]["weight"]  # by width 300 > 100 > 30
    assert "dashArray" in cor["C02"] and cor["C03"]["color"] == "#e53935"
    bars = {f["properties"]["id"]: styles["barriers"][f["properties"]["s"]] for f in vec["barriers"]["features"]}
    assert "dashArray" not in bars["X1"] and "dashArray" in bars["X2"]  # the tunnel section is marked
    assert all("dashArray" in s for s in styles["trails"])
    legend = re.search(r"ecomap\.legend\(map, (\".*?\")\);", page).group(1)
    assert "隧道段 tunnel section" in json.loads(legend)


def test_trail_disturbance_zone_area(network):
    # Two straight trails far apart, each buffered by 100 m: 2 * 100 m * length + pi * (100 m)^2.
    from pyproj import Geod

    geod = Geod(ellps="GRS80")
    length = geod.line_length([114.342, 114.349], [22.682, 22.685]) + geod.line_length([114.341, 114.359], [22.698, 22.698])
    expected_km2 = (2 * 100 * length + 2 * np.pi * 100**2) / 1e6
    page = webmap.render_html(webmap.thematic_maps(network, basemap="none")["trails"])
    zones = dict(_vectors(page))["disturbance"]["features"]
    trail = next(f for f in zones if f["properties"]["id"] == "trail")["properties"]["p"]
    assert f"<th>面积 area</th><td>{expected_km2:,.3g} km²</td>" in trail


def test_search_index_has_both_languages(network):
    page = webmap.render_html(webmap.atlas(network, basemap="none"))
    items = json.loads(re.search(r"ecomap\.search\(map, (\[.*?\]\])\);", page).group(1))
    labels = [it[0] for it in items]
    assert any("坪山河" in s and "Pingshan River" in s for s in labels)
    assert any("禾雀花步道" in s and "Mucuna Trail" in s for s in labels)
    assert any(s.startswith("P1 ") for s in labels)
    c02 = next(it for it in items if it[0].startswith("C02 "))
    assert c02[1:] == [114.349, 22.688, 114.35, 22.693]


def test_missing_layers_are_left_out(minimal_data):
    page = webmap.render_html(webmap.atlas(load_network(minimal_data), basemap="none"))
    assert [k for k, _ in _vectors(page)] == ["boundary"]
    assert "ecomap.points(" not in page
    maps = webmap.thematic_maps(load_network(minimal_data), basemap="none")
    assert maps == {}


# --- bad input -----------------------------------------------------------------------------
def test_unknown_layer_and_basemap_list_the_valid_ones(network):
    with pytest.raises(InputError, match=r"unknown layer\(s\) 'roads'; layers are: districts, subdistricts, belt"):
        webmap.atlas(network, layers=["corridors", "roads"])
    with pytest.raises(InputError, match="unknown basemap 'bing'; basemaps are: osm, light, imagery, gaode, tianditu, none"):
        webmap.atlas(network, basemap="bing")


def test_tianditu_needs_a_key(network, monkeypatch):
    monkeypatch.delenv(webmap.TIANDITU_KEY_ENV, raising=False)
    with pytest.raises(InputError, match="set ECOMAP_TIANDITU_KEY=<key>"):
        webmap.atlas(network, basemap="tianditu")
    monkeypatch.setenv(webmap.TIANDITU_KEY_ENV, "abc123")
    page = webmap.render_html(webmap.atlas(network, basemap="tianditu"))
    assert "T=vec_w" in page and "tk=abc123" in page and "T=cva_w" in page


def test_screenshots_without_chromium_say_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOMAP_CHROMIUM", str(tmp_path / "no-such-browser"))
    page = tmp_path / "p.html"
    page.write_text("<p>x</p>", encoding="utf-8")
    with pytest.raises(EcomapError, match="apt-get install chromium"):
        webmap.screenshot(page, tmp_path / "p.png")
    assert not (tmp_path / "p.png").exists()


# --- scale ---------------------------------------------------------------------------------
def test_ten_thousand_sites_stay_small(tmp_path):
    folder = make_atlas_data(tmp_path / "d", n_bridges=10_000)
    page = webmap.render_html(webmap.atlas(load_network(folder), basemap="osm"))
    (_, pts), = _points(page)
    assert len(pts["lat"]) == 10_003
    assert "S009999" in pts["id"]
    assert len(page.encode()) < 3_000_000
    from ecomap.webmap._page import _RUNTIME

    assert page.count("L.circleMarker(") == _RUNTIME.count("L.circleMarker(")  # in the runtime only, no marker per site


def test_thematic_bridge_map_grows_by_the_atlas_bytes_per_site(tmp_path):
    # clusters and the heat map come from the sites' typed columns: no object or HTML per site
    from ecomap.webmap._maps import _bridges_map
    from ecomap.webmap._page import _RUNTIME

    sizes, atlas, thematic = (1_000, 11_000), [], []
    for n in sizes:
        net = load_network(make_atlas_data(tmp_path / f"d{n}", n_bridges=n))
        atlas.append(len(webmap.render_html(webmap.atlas(net, basemap="none")).encode()))
        page = webmap.render_html(_bridges_map(net, basemap="none"))
        thematic.append(len(page.encode()))
        assert page.count("L.circleMarker(") == _RUNTIME.count("L.circleMarker(")
        assert "markerClusterGroup" not in page and "/* supercluster.min.js */" in page
        assert "ecomap.heat(" in page and "L.heatLayer([[" not in page
    per_site_atlas = (atlas[1] - atlas[0]) / (sizes[1] - sizes[0])
    per_site_thematic = (thematic[1] - thematic[0]) / (sizes[1] - sizes[0])
    assert 0.9 < per_site_thematic / per_site_atlas < 1.1, (per_site_thematic, per_site_atlas)
    assert per_site_thematic < 40


# --- CLI and build -------------------------------------------------------------------------
def test_cli_map_writes_a_page(atlas_data, tmp_path, capsys):
    out = tmp_path / "m.html"
    assert run_cli("map", "--data", atlas_data, "--basemap", "none", "--layers", "corridors,bridges,gaps", "--out", out) == 0
    page = out.read_text(encoding="utf-8")
    vec = dict(_vectors(page))
    assert list(vec) == ["corridors", "gaps"]  # the connectivity analysis ran: C03 crosses X3
    assert [f["properties"]["id"] for f in vec["gaps"]["features"]] == ["C03/X3/1"]
    assert "排名 rank 1/" in json.dumps(vec["corridors"], ensure_ascii=False)
    assert str(out) in capsys.readouterr().out
    assert run_cli("map", "--data", atlas_data, "--basemap", "none", "--no-analysis", "--out", out) == 0
    assert "gaps" not in dict(_vectors(out.read_text(encoding="utf-8")))
    # gaps need the analysis: asking for them without it is refused, not silently dropped
    out.unlink()
    assert run_cli("map", "--data", atlas_data, "--basemap", "none", "--no-analysis", "--layers", "corridors,gaps",
                   "--out", out) == 2
    err = capsys.readouterr().err
    assert err == "ecomap: map: gaps come from the connectivity analysis; drop --no-analysis or gaps from --layers\n"
    assert not out.exists()


def test_cli_map_bad_input_exits_2(atlas_data, tmp_path, capsys, monkeypatch):
    out = tmp_path / "m.html"
    assert run_cli("map", "--data", atlas_data, "--layers", "corridors,roads", "--out", out) == 2
    assert "layers are: districts" in capsys.readouterr().err
    assert run_cli("map", "--data", atlas_data, "--basemap", "bing", "--out", out) == 2
    assert "basemaps are: osm" in capsys.readouterr().err
    monkeypatch.delenv(webmap.TIANDITU_KEY_ENV, raising=False)
    assert run_cli("map", "--data", atlas_data, "--basemap", "tianditu", "--out", out) == 2
    assert "ECOMAP_TIANDITU_KEY" in capsys.readouterr().err
    assert not out.exists()


def test_build_writes_atlas_maps_and_index(atlas_data, tmp_path):
    from ecomap.build import STEPS, build

    names = [n for n, _ in STEPS]
    assert names.index("maps") == names.index("provenance") - 1
    out = tmp_path / "out"
    (out / "report").mkdir(parents=True)
    (out / "report" / "index.html").write_text("<p>report</p>", encoding="utf-8")
    (out / "screenshots").mkdir()
    (out / "screenshots" / "atlas.png").write_bytes(b"\x89PNG\r\n\x1a\n")   # left by an earlier build
    ctx = build(atlas_data, out, options={"corridors_resolution": 100.0})
    for rel in ("atlas.html", "atlas-gaode.html", "index.html", "maps/bridges.html", "maps/trails.html"):
        assert (out / rel).is_file(), rel
        assert out / rel in ctx.written
    index = (out / "index.html").read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="([^"]+)"', index))
    assert {"atlas.html", "atlas-gaode.html", "maps/bridges.html", "maps/trails.html", "report/index.html"} <= hrefs
    assert "<img" not in index   # no thumbnail from a screenshot this build did not take
    for h in hrefs:
        assert (out / h).exists(), h


def test_no_basemap_still_draws_the_district_outline(network):
    """``basemap="none"`` with only corridors chosen: the base layer is the boundary and districts outline."""
    page = webmap.render_html(webmap.atlas(network, basemap="none", layers=["corridors"]))
    m = re.search(r'bases\["无底图 No basemap"\] = L\.geoJSON\(', page)
    assert m, "the no-basemap base layer draws the outline"
    ctx, _ = json.JSONDecoder().raw_decode(page, m.end())
    boundary = [f for f in ctx["features"] if f["properties"]["b"] == 1]
    assert len(boundary) == 1
    ring = boundary[0]["geometry"]["coordinates"][0]
    assert [114.34, 22.68] in ring and [114.36, 22.70] in ring   # the boundary box of the test data
    assert "L.control.scale({metric: true, imperial: false" in page and "control.scale()" not in page


def test_osm_derived_data_is_credited_in_the_page(network):
    from ecomap.network import load_network
    from ecomap.webmap._builder import DATA_OSM_ATTR, _derived_from_osm

    bundled = load_network()
    assert (bundled.patches["source"].str.startswith("osm:")).any()
    assert _derived_from_osm(bundled)
    page = webmap.render_html(webmap.atlas(bundled, basemap="none"))
    assert "attributionControl.addAttribution" in page and "OpenStreetMap" in page
    assert "contributors (ODbL)" in page
    # a folder with no OSM-derived feature carries no data credit
    if not _derived_from_osm(network):
        assert DATA_OSM_ATTR.split("<a")[0] not in webmap.render_html(webmap.atlas(network, basemap="none"))


def test_long_source_text_in_popups_keeps_all_of_it_behind_more():
    from ecomap.webmap._style import LONG_TEXT_CHARS, _long_text

    text = "<img src=x>" + "a" * 500
    out = _long_text(text)
    head, _, rest = out.partition('<details class="eco-more"><summary>更多 more</summary>')
    assert html.unescape(head) == text[:LONG_TEXT_CHARS]
    assert html.unescape(rest.removesuffix("</details>")) == text[LONG_TEXT_CHARS:]
    assert "<img" not in out
    assert _long_text("short") == "short"
