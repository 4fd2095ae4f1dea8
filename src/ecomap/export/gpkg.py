"""The GeoPackage writer: every layer, its QGIS style in ``layer_styles``, dates as DATE, OSM credit."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..io import atomic_write
from ..layers import CATALOGUE
from .formats import _description
from .styles import layer_style_qml, layer_style_sld

#: The GeoPackage version written: 1.2 opens without a warning in QGIS 3.22 and GDAL 3.x
#: (GDAL 3.12 would otherwise write 1.4, which GDAL before 3.8 warns about).
GPKG_VERSION = "1.2"

#: What a layer holding OpenStreetMap-derived features says (ODbL 1.0, section 4.3).
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL 1.0, https://www.openstreetmap.org/copyright)"

#: The columns of the ``layer_styles`` table as QGIS creates it (QgsOgrProvider), in order.
STYLE_COLUMNS = ("f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
                 "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time")


def derived_from_osm(frame: pd.DataFrame) -> bool:
    """Whether any feature's ``source`` names an OpenStreetMap object (``osm:...``).

    Parameters
    ----------
    frame : pandas.DataFrame
        A layer or result; one without a ``source`` column is not OSM-derived.

    Returns
    -------
    bool
    """
    if "source" not in frame.columns or not len(frame):
        return False
    return bool(frame["source"].astype(str).str.contains(r"\bosm:", regex=True).any())


def _typed_dates(frame: gpd.GeoDataFrame, name: str) -> tuple[gpd.GeoDataFrame, bool]:
    """Catalogue date columns as Arrow dates (written as GeoPackage ``DATE``); whether any."""
    import pyarrow as pa

    spec = CATALOGUE.get(name)
    cols = [c.name for c in spec.columns if c.dtype == "date" and c.name in frame.columns] if spec else []
    if not cols:
        return frame, False
    out = frame.copy()
    for c in cols:
        days = pd.to_datetime(out[c], errors="coerce", format="%Y-%m-%d")
        out[c] = pd.Series([d.date() if pd.notna(d) else None for d in days], index=out.index,
                           dtype=pd.ArrowDtype(pa.date32()))
    return out, True


def _style_row(name: str, frame: gpd.GeoDataFrame, now: pd.Timestamp) -> dict | None:
    qml = layer_style_qml(name, frame)
    if qml is None:
        return None
    spec = CATALOGUE.get(name)
    title = f"{spec.title_zh} {spec.title_en}" if spec else name
    return {"f_table_catalog": "", "f_table_schema": "", "f_table_name": name, "f_geometry_column": "geom",
            "styleName": name, "styleQML": qml, "styleSLD": layer_style_sld(name) or "",
            "useAsDefault": True, "description": f"ecomap: {title}, as the atlas draws it",
            "owner": "", "ui": "", "update_time": now}


def write_gpkg(frames: Mapping[str, gpd.GeoDataFrame], path: Path) -> list[Path]:
    """Write every frame as a layer of one GeoPackage, with its QGIS style as the default.

    GeoPackage version :data:`GPKG_VERSION`; catalogue dates typed ``DATE``; each layer's
    title and description in ``gpkg_contents`` (with :data:`OSM_ATTRIBUTION` when the
    layer is OpenStreetMap-derived, and the same credit in the file's metadata); the
    ``layer_styles`` table as QGIS reads it (its :data:`STYLE_COLUMNS`, ``update_time``
    included), one default style per styled layer.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Layer name -> frame made ready by :func:`~ecomap.export.prepare`.
    path : pathlib.Path
        The ``.gpkg`` file, replaced whole (:func:`ecomap.io.atomic_write`).

    Returns
    -------
    list of pathlib.Path
        ``[path]``.
    """
    now = pd.Timestamp.now(tz="UTC").tz_localize(None).floor("s")
    styles: list[dict] = []
    osm = [n for n, f in frames.items() if derived_from_osm(f)]
    # the file's own metadata (gpkg_metadata, set when the first layer creates the file)
    meta = {"ATTRIBUTION": f"Layers {', '.join(osm)}: data {OSM_ATTRIBUTION}."} if osm else None
    with atomic_write(path) as tmp:
        for i, (name, frame) in enumerate(frames.items()):
            spec = CATALOGUE.get(name)
            description = _description(name, frame.attrs["coordinates"])
            if name in osm:
                description += f" Data {OSM_ATTRIBUTION}."
            opts = {"GEOMETRY_NAME": "geom", "IDENTIFIER": spec.title_en if spec else name,
                    "DESCRIPTION": description}
            typed, arrow = _typed_dates(frame, name)
            pyogrio.write_dataframe(typed, tmp, driver="GPKG", layer=name, layer_options=opts, use_arrow=arrow,
                                    dataset_options={"VERSION": GPKG_VERSION},
                                    dataset_metadata=meta if i == 0 else None)
            row = _style_row(name, frame, now)
            if row is not None:
                styles.append(row)
        if styles:  # the table QGIS reads each layer's default style from
            table = pd.DataFrame(styles, columns=list(STYLE_COLUMNS))
            pyogrio.write_dataframe(table, tmp, driver="GPKG", layer="layer_styles", layer_options={"FID": "id"},
                                    dataset_options={"VERSION": GPKG_VERSION})
    return [path]

