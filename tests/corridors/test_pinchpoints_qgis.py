"""``pinchpoints.tif`` (Pinchpoint Mapper's mosaic) in real, headless QGIS: CRS, NoData, statistics, drawing."""

from __future__ import annotations

import numpy as np
import pytest
from corridors._network import _tunnel_network
from qgis_headless import run_qgis

from ecomap.corridors import model_corridors, write_corridor_outputs

pytestmark = pytest.mark.slow

#: Open pinchpoints.tif as QGIS does (its .qml the default style); its CRS, NoData, statistics,
#: the values QGIS identifies at given cells, and a render at one pixel a cell.
SCRIPT = r"""
from qgis.core import (QgsMapRendererParallelJob, QgsMapSettings, QgsPointXY, QgsRaster, QgsRasterBandStats,
                       QgsRasterLayer)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

tif, png, probes = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
lyr = QgsRasterLayer(tif, "pinchpoints")
prov = lyr.dataProvider()
st = prov.bandStatistics(1, QgsRasterBandStats.All, lyr.extent(), 0)
out = {"valid": lyr.isValid(), "crs": lyr.crs().authid(), "width": lyr.width(), "height": lyr.height(),
       "has_nodata": prov.sourceHasNoDataValue(1), "nodata": str(prov.sourceNoDataValue(1)),
       "renderer": lyr.renderer().type(),
       "stats": {"min": st.minimumValue, "max": st.maximumValue, "mean": st.mean, "std": st.stdDev,
                 "count": st.elementCount, "sum": st.sum}}
ramp = lyr.renderer().shader().rasterShaderFunction() if out["renderer"] == "singlebandpseudocolor" else None
out["first_stop"] = ramp.colorRampItemList()[0].value if ramp else None
out["identify"] = [prov.identify(QgsPointXY(x, y), QgsRaster.IdentifyFormatValue).results().get(1)
                   for x, y in probes]
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
img.save(png)
out["drawn"] = [[img.pixelColor(x, y).name() != "#ffffff" for x in range(img.width())] for y in range(img.height())]
print(json.dumps(out))
"""


def test_pinchpoints_tif_in_qgis(tmp_path):
    import rasterio

    # two patches and an expressway between them, crossed by a tunnel: the current funnels into it
    m = model_corridors(_tunnel_network(), resolution=30, width=20000.0, pinchpoint_cutoff=6000.0)
    out = tmp_path / "out"
    write_corridor_outputs(m, out)
    tif = out / "pinchpoints.tif"
    with rasterio.open(tif) as src:
        arr = src.read(1).astype(float)  # the float32 values as written
    fin = arr[np.isfinite(arr)]
    cores = m.source_labels >= 0
    assert cores.any() and np.isnan(arr[cores]).all() and fin.size > 0
    # probe a core cell (NoData) and the hottest cell, at their centres
    hot = np.unravel_index(np.nanargmax(arr), arr.shape)
    core = tuple(np.argwhere(cores)[0])
    probes = [list(map(float, m.grid.xy(*core))), list(map(float, m.grid.xy(*hot)))]
    import json

    got = run_qgis(SCRIPT, tif, tmp_path / "pinchpoints_qgis.png", json.dumps(probes))
    assert got["valid"] and got["crs"] == "EPSG:4547"
    assert (got["width"], got["height"]) == (m.grid.width, m.grid.height)
    assert got["has_nodata"] and got["nodata"] == "nan"
    assert got["renderer"] == "singlebandpseudocolor"
    # QGIS skips NoData: its statistics are numpy's over the finite cells
    s = got["stats"]
    assert s["count"] == fin.size
    assert s["min"] == pytest.approx(fin.min(), rel=1e-12) and s["max"] == pytest.approx(fin.max(), rel=1e-12)
    assert s["sum"] == pytest.approx(fin.sum(), rel=1e-9) and s["mean"] == pytest.approx(fin.mean(), rel=1e-9)
    assert s["std"] == pytest.approx(fin.std(ddof=1), rel=1e-9)  # QGIS: the sample standard deviation
    # identify: no value on a core, the cell's value on the hottest cell
    assert got["identify"][0] is None
    assert got["identify"][1] == pytest.approx(arr[hot], rel=1e-6)
    # the render: one pixel a cell; the cores and the cells under the ramp's first stop are not drawn
    drawn = np.array(got["drawn"])
    assert drawn.shape == arr.shape
    assert not drawn[cores].any() and not drawn[~np.isfinite(arr)].any()
    assert drawn.sum() > 0 and drawn[hot]
    expect = np.isfinite(arr) & (arr >= got["first_stop"] * (1 + 1e-6))
    assert (drawn | ~expect).all()  # every cell clearly above the first stop is drawn
    assert (tmp_path / "pinchpoints_qgis.png").stat().st_size > 100
