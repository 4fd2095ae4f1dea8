"""The GeoPackage in real QGIS: each layer's default style is ecomap's, and it draws as the atlas does.

Runs Debian's QGIS headless (:mod:`qgis_headless`); the rendered PNG is kept under the
test's temporary folder for people to look at.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from qgis_headless import run_qgis

from ecomap import load_network
from ecomap.export import export_network
from ecomap.export.styles import (
    BRIDGE_COLOURS,
    DPC_COLOURS,
    KIND_COLOURS,
    RIDGE_FILLS,
    TRAIL_COLOURS,
)

pytestmark = pytest.mark.slow

#: Load every layer of a GeoPackage as QGIS does, describe its style, render it, read pixels.
SCRIPT = r"""
from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsMapRendererParallelJob,
                       QgsMapSettings, QgsPointXY, QgsProject, QgsVectorLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

path, png, names, samples = sys.argv[1], sys.argv[2], sys.argv[3].split(","), json.loads(sys.argv[4])
out = {"layers": {}}
layers = {}
for name in names:
    lyr = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    opened_as = lyr.renderer().type()  # the style QGIS gave the layer when it opened it
    msg, ok = lyr.loadDefaultStyle()  # replaces the renderer: read it only after this
    r = lyr.renderer()
    info = {"valid": lyr.isValid(), "type": r.type(), "opened_as": opened_as, "default_style": [msg, ok],
            "labels": lyr.labelsEnabled(), "features": lyr.featureCount()}
    if r.type() == "categorizedSymbol":
        info["attr"] = r.classAttribute()
        info["classes"] = [[c.value(), c.label(), c.symbol().color().name()] for c in r.categories()]
    elif r.type() == "graduatedSymbol":
        info["attr"] = r.classAttribute()
        info["classes"] = [[x.lowerValue(), x.upperValue(), x.symbol().color().name()] for x in r.ranges()]
    else:
        sym = r.symbol()
        info["brush"] = sym.symbolLayer(0).properties().get("style")
    if lyr.labelsEnabled():
        info["label_expression"] = lyr.labeling().settings().fieldName
    out["layers"][name] = info
    layers[name] = lyr
dest = QgsCoordinateReferenceSystem("EPSG:4547")
settings = QgsMapSettings()
order = ["gaps", "bridges", "trails", "barriers", "river", "corridors", "boundary", "reservoirs", "patches",
         "ridge", "belt"]  # the atlas's order, top first: points over lines over fills
settings.setLayers([layers[n] for n in order if n in layers])
settings.setDestinationCrs(dest)
to_map = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), dest, QgsProject.instance())
extent = to_map.transformBoundingBox(layers["boundary"].extent())
extent.scale(1.05)
settings.setOutputSize(QSize(1600, 1200))
settings.setExtent(extent)
settings.setBackgroundColor(QColor(255, 255, 255))
settings.setOutputDpi(96)
job = QgsMapRendererParallelJob(settings)
job.start()
job.waitForFinished()
img = job.renderedImage()
img.save(png)
m2p = settings.mapToPixel()
out["pixels"] = {}
for key, pts in samples.items():
    got = []
    for lon, lat in pts:
        p = m2p.transform(to_map.transform(QgsPointXY(lon, lat)))
        x, y = int(round(p.x())), int(round(p.y()))
        got.append(img.pixelColor(x, y).name() if 0 <= x < img.width() and 0 <= y < img.height() else None)
    out["pixels"][key] = got
print(json.dumps(out, ensure_ascii=False))
"""


def _rgb(h: str) -> np.ndarray:
    return np.array([int(h.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)], dtype=float)


def _near(colours: list, target: str, tol: float = 40.0) -> float:
    """The share of sampled pixels within ``tol`` (RGB distance) of ``target``."""
    hits = [c is not None and np.linalg.norm(_rgb(c) - _rgb(target)) <= tol for c in colours]
    return sum(hits) / max(len(hits), 1)


def _samples(net) -> dict:
    wgs = {n: g.to_crs(4326) for n, g in net.layers.items() if len(g)}
    samples = {}
    for status in BRIDGE_COLOURS:
        pts = wgs["bridges"][wgs["bridges"]["status"] == status].geometry
        samples[f"bridge:{status}"] = [[p.x, p.y] for p in pts]
    # a spot inside the district far from every drawn feature: the background must show through
    drawn = shapely.union_all([g.geometry.buffer(1500).union_all() for n, g in net.layers.items()
                               if len(g) and n not in ("boundary", "districts", "subdistricts")])
    free = net.layers["boundary"].geometry.union_all().buffer(-300).difference(drawn)
    spots = gpd.GeoSeries([free], crs=net.crs).explode().to_crs(4326)
    samples["inside"] = [[p.x, p.y] for p in spots.representative_point() if not p.is_empty][:5]
    ring = wgs["boundary"].geometry.boundary.union_all()
    samples["boundary_line"] = [[p.x, p.y] for p in (ring.interpolate(f, normalized=True)
                                                     for f in np.linspace(0, 1, 40, endpoint=False))]
    return samples


def test_geopackage_styles_load_and_draw_in_qgis(tmp_path):
    net = load_network()
    (gpkg,) = export_network(net, tmp_path, fmt="gpkg", results=True)
    names = [n for n in net.layers if len(net[n])] + ["gaps", "corridor_ranking"]
    samples = _samples(net)
    png = tmp_path / "qgis_render.png"
    got = run_qgis(SCRIPT, gpkg, png, ",".join(names), json.dumps(samples))
    layers = got["layers"]
    for name in names:
        info = layers[name]
        assert info["valid"] and info["features"] > 0, name
        assert info["default_style"][1], (name, info["default_style"])  # loaded from layer_styles
        assert info["opened_as"] == info["type"], name  # and used when QGIS opens the layer
    assert layers["boundary"]["type"] == "singleSymbol" and layers["boundary"]["brush"] == "no"  # an outline
    assert layers["gaps"]["type"] == "singleSymbol"
    cor = layers["corridors"]
    assert cor["type"] == "categorizedSymbol"
    assert {c[2] for c in cor["classes"]} == {*KIND_COLOURS.values(), "#e53935"}
    assert "现状 existing" in cor["classes"][0][1]
    br = layers["bridges"]
    assert br["type"] == "categorizedSymbol" and br["attr"] == "status"
    assert {c[0]: c[2] for c in br["classes"]} == BRIDGE_COLOURS
    assert {c[0]: c[2] for c in layers["ridge"]["classes"] if c[0]} == RIDGE_FILLS
    assert {c[0]: c[2] for c in layers["trails"]["classes"] if c[0]} == TRAIL_COLOURS
    assert layers["river"]["attr"] == "rank" and layers["barriers"]["type"] == "categorizedSymbol"
    assert layers["patches"]["type"] == "graduatedSymbol"
    rank = layers["corridor_ranking"]
    assert rank["type"] == "graduatedSymbol" and rank["attr"] == "dPC"
    assert [c[2] for c in rank["classes"]] == list(DPC_COLOURS)
    assert 'nullif("name_zh"' in layers["corridors"]["label_expression"]  # Chinese, English fallback
    # the rendering: bridge sites in their status colours, the district not filled, its outline dark
    assert png.stat().st_size > 50_000
    px = got["pixels"]
    for status, colour in BRIDGE_COLOURS.items():
        if len(samples[f"bridge:{status}"]) >= 10:  # a few may hide under their neighbours
            assert _near(px[f"bridge:{status}"], colour) >= 0.6, (status, px[f"bridge:{status}"][:10])
    assert samples["inside"] and _near(px["inside"], "#ffffff", 10) == 1.0, px["inside"]
    assert _near(px["boundary_line"], "#263238", 60) >= 0.5, px["boundary_line"]


def test_atlas_colours_are_the_webmaps():
    from ecomap.export import styles
    from ecomap.webmap import _style

    assert styles.BRIDGE_COLOURS == _style._BRIDGE_COLOURS
    assert styles.KIND_COLOURS == _style._KIND_COLOURS
    assert styles.TRAIL_COLOURS == _style._TRAIL_COLOURS
    assert styles.RIDGE_FILLS == _style._RIDGE_FILLS
    assert all(_style.ZH[k] == v for k, v in styles.ZH.items())


KML_SCRIPT = r"""
from qgis.core import QgsVectorLayer
lyr = QgsVectorLayer(sys.argv[1], "kml", "ogr")
feats = list(lyr.getFeatures())
print(json.dumps({"valid": lyr.isValid(), "fields": lyr.fields().names(), "ids": [f["id"] for f in feats],
                  "status": [f["status"] for f in feats]}, ensure_ascii=False))
"""


@pytest.mark.parametrize("fmt", ["kml", "kmz"])
def test_qgis_reads_kml_ids_and_attributes(tmp_path, fmt):
    net = load_network()
    (path,) = export_network(net, tmp_path, fmt=fmt, layers=["bridges"])
    got = run_qgis(KML_SCRIPT, path)
    assert got["valid"] and {"id", "status", "installed", "name_zh"} <= set(got["fields"])
    assert got["ids"] == net["bridges"].index.astype(str).tolist()
    assert got["status"] == net["bridges"]["status"].tolist()
