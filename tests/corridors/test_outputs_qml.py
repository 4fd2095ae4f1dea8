"""Each GeoTIFF of the corridor model has a ``.qml`` beside it that real QGIS loads and draws."""

from __future__ import annotations

import json

import numpy as np
import pytest
from corridors._network import _corridor, _strip_network
from qgis_headless import run_qgis

from ecomap.corridors import model_corridors, write_corridor_outputs
from ecomap.corridors.outputs import raster_style_qml

pytestmark = pytest.mark.slow

#: Open each GeoTIFF as QGIS does (its .qml is the default style), describe and render it.
SCRIPT = r"""
from qgis.core import QgsMapRendererParallelJob, QgsMapSettings, QgsRasterLayer
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

folder, names = sys.argv[1], sys.argv[2].split(",")
out = {}
for name in names:
    lyr = QgsRasterLayer(f"{folder}/{name}.tif", name)
    r = lyr.renderer()
    info = {"valid": lyr.isValid(), "type": r.type()}
    if r.type() == "singlebandpseudocolor":
        ramp = r.shader().rasterShaderFunction()
        info["items"] = [[i.value, i.color.name(), i.label] for i in ramp.colorRampItemList()]
        info["clip"] = ramp.clip()
    settings = QgsMapSettings()
    settings.setLayers([lyr])
    settings.setDestinationCrs(lyr.crs())
    settings.setExtent(lyr.extent())
    settings.setOutputSize(QSize(lyr.width(), lyr.height()))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    img = job.renderedImage()
    img.save(f"{folder}/{name}_qgis.png")
    info["pixels"] = [[img.pixelColor(x, y).name() for x in range(img.width())] for y in range(img.height())]
    out[name] = info
print(json.dumps(out, ensure_ascii=False))
"""


def _rgb(h: str) -> np.ndarray:
    return np.array([int(h.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)], dtype=float)


def test_every_geotiff_opens_in_qgis_with_its_ramp_and_unit(tmp_path):
    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    m = model_corridors(net, resolution=30, width=2000.0)
    out = tmp_path / "out"
    written, _ = write_corridor_outputs(m, out)
    names = ["resistance", "cost_distance", "corridors", "current", "barriers"]
    assert {f"{n}.qml" for n in names} <= {p.name for p in written}
    got = run_qgis(SCRIPT, out, ",".join(names))
    units = {"resistance": "per m", "cost_distance": "cost units", "corridors": "above least cost",
             "current": " A", "barriers": "per m restored"}
    for name in names:
        info = got[name]
        assert info["valid"] and info["type"] == "singlebandpseudocolor", (name, info["type"])
        items = info["items"]
        assert len(items) >= 9 and all(units[name] in lab for _, _, lab in items), (name, items)
        assert [v for v, _, _ in items] == sorted(v for v, _, _ in items)
    # the overlay's ramps: resistance green (low) to red (high); corridors dark where cheapest
    res = got["resistance"]["items"]
    assert _rgb(res[0][1])[1] > _rgb(res[0][1])[0] and _rgb(res[-1][1])[0] > _rgb(res[-1][1])[1]
    assert got["current"]["clip"] and not got["resistance"]["clip"]
    # the drawing follows the ramp: the highest-resistance cell is drawn in the ramp's top colour
    r = m.resistance
    y, x = np.unravel_index(np.nanargmax(np.where(np.isfinite(r), r, -np.inf)), r.shape)
    assert np.linalg.norm(_rgb(got["resistance"]["pixels"][y][x]) - _rgb(res[-1][1])) < 30
    assert (out / "resistance_qgis.png").stat().st_size > 100


def test_raster_style_follows_the_overlay_and_skips_empty_rasters():
    net = _strip_network((0, 0, 150, 600), (1350, 0, 1500, 600),
                         corridors=_corridor("C01", "A", "B", [(150, 315), (1350, 315)]))
    m = model_corridors(net, resolution=30, width=2000.0, circuit=False)
    qml = raster_style_qml("corridors", m.corridors, m)
    assert 'type="singlebandpseudocolor"' in qml and "cost units above least cost" in qml
    assert raster_style_qml("barriers", np.full((3, 3), np.nan), m) is None
    assert json.dumps(qml)  # text
