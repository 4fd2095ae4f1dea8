"""Export of layers and analysis results: GeoJSON, GeoPackage, FlatGeobuf, GeoParquet, Shapefile, KML, CSV.

Every format is written through a temporary file beside the destination and renamed
into place, so a failed export never leaves half a file behind. Layers of the
catalogue keep its column order (``id`` first) and, in a GeoPackage, its style; any
other GeoDataFrame (gaps, ranked corridors, modelled corridors) exports the same way
with its own columns.

Coordinates are WGS-84 longitude/latitude unless ``crs`` says otherwise: any EPSG code,
or ``gcj02`` (the offset system of Chinese map apps). A GCJ-02 export is only made when
asked for, and says so: the file names end in ``_gcj02``, and the file's own metadata
(GeoJSON member, layer description, Parquet key, KML description, a CSV
``coordinates`` column) names GCJ-02.
"""

from __future__ import annotations

import json
import logging
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from . import crs as _crs
from ._errors import InputError
from .io import atomic_write, output_folder, verify_written
from .layers import CATALOGUE, coerce_columns
from .spreadsheet import neutralise_frame

__all__ = [
    "FORMATS",
    "Format",
    "prepare",
    "export_layers",
    "export_network",
    "analysis_frames",
    "shapefile_fields",
    "layer_style_qml",
    "layer_style_sld",
    "coordinates_label",
    "iso_dates",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Format:
    """One export format: its GDAL driver (if any), file suffix, and what it can hold.

    Parameters
    ----------
    name : str
        The format's key in :data:`FORMATS` and on the command line (``--format``).
    suffix : str
        The file suffix, with its dot (``.geojson``).
    driver : str or None
        The GDAL (OGR) driver that writes it, or None when written without GDAL
        (GeoParquet through pyarrow, CSV through pandas).
    multi_layer : bool, default False
        Whether one file holds every layer (GeoPackage).
    geographic_only : bool, default False
        Whether coordinates must be longitude/latitude (KML).
    points_only : bool, default False
        Whether only point layers fit (CSV with lon/lat columns).
    description : str, default ""
        One line for people.
    """

    name: str
    suffix: str
    driver: str | None
    multi_layer: bool = False
    geographic_only: bool = False
    points_only: bool = False
    description: str = ""


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("geojson", ".geojson", "GeoJSON", description="RFC 7946 GeoJSON, one file per layer"),
        Format("gpkg", ".gpkg", "GPKG", multi_layer=True, description="one GeoPackage with every layer and its style"),
        Format("fgb", ".fgb", "FlatGeobuf", description="FlatGeobuf with a spatial index, one file per layer"),
        Format("parquet", ".parquet", None, description="GeoParquet (WKB, bbox covering column), one file per layer"),
        Format("shp", ".shp", "ESRI Shapefile", description="Shapefile plus <layer>.fields.csv rename table"),
        Format("kml", ".kml", "LIBKML", geographic_only=True, description="KML for Google Earth and field phones"),
        Format("csv", ".csv", None, points_only=True, description="CSV with lon/lat columns, point layers only"),
    )
}

#: Column width limit of a Shapefile's dBASE table.
SHAPEFILE_FIELD_LENGTH = 10
#: Longest text (bytes) a Shapefile's dBASE table holds.
SHAPEFILE_TEXT_BYTES = 254


# --- preparing a frame ---------------------------------------------------------------------
def coordinates_label(crs: str) -> str:
    """How a file describes its coordinates: ``WGS-84``, ``GCJ-02`` or ``EPSG:nnnn``.

    Parameters
    ----------
    crs : str
        Any CRS option :func:`ecomap.crs.parse_crs` accepts (``wgs84``, ``gcj02``,
        ``EPSG:4547`` ...).

    Returns
    -------
    str
        ``WGS-84``, ``GCJ-02``, or what :func:`~ecomap.crs.parse_crs` gives for any
        other CRS (``EPSG:nnnn``, or WKT for a CRS without an EPSG code).

    Raises
    ------
    InputError
        If pyproj does not know ``crs``.
    """
    code = _crs.parse_crs(crs)
    if code == _crs.GCJ02:
        return "GCJ-02"
    if code == _crs.WGS84:
        return "WGS-84"
    return code


def _geographic(code: str) -> bool:
    return code == _crs.GCJ02 or pyproj.CRS(code).is_geographic


def prepare(gdf: gpd.GeoDataFrame, name: str | None = None, *, crs: str = _crs.WGS84,
            precision: int | None = None) -> gpd.GeoDataFrame:
    """A layer (or result) ready to write: ``id`` a column, columns in catalogue order, target CRS.

    Polygons are oriented with counter-clockwise exterior rings (the right-hand rule
    of RFC 7946 [1]_).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer as the Network holds it (EPSG:4547, indexed by ``id``), or any
        GeoDataFrame with a CRS (one without is taken as EPSG:4547).
    name : str, optional
        The layer's catalogue name: its columns come first, in catalogue order, with
        missing ones added empty; floats are float64, text is object with ``None``
        (:func:`ecomap.layers.coerce_columns`), dates ``YYYY-MM-DD`` text
        (:func:`iso_dates`). None (or a name not in the catalogue) keeps the frame's
        own columns.
    crs : str, default "EPSG:4326"
        ``EPSG:4326`` (default), ``gcj02`` or any CRS pyproj knows.
    precision : int, optional
        Decimals kept; default 7 for degrees (~1 cm), 3 for metres.

    Returns
    -------
    geopandas.GeoDataFrame
        ``id`` (text) first when there is one, the catalogue's columns, the frame's other
        columns, the geometry last; default index. ``attrs`` holds ``coordinates``
        (:func:`coordinates_label`), ``layer`` (``name``) and ``precision``, which the
        writers put into each file's metadata.

    Raises
    ------
    InputError
        If pyproj does not know ``crs``.

    References
    ----------
    .. [1] H. Butler et al., *The GeoJSON Format*, RFC 7946 (2016), section 3.1.6:
       exterior rings counter-clockwise, holes clockwise (the right-hand rule).
    """
    code = _crs.parse_crs(crs)
    src = gdf if gdf.crs is not None else gdf.set_crs(_crs.INTERNAL)
    if code == _crs.GCJ02:
        out = _crs.to_gcj02(src)
    else:
        out = src.to_crs(code)
    if out.index.name is not None and out.index.name not in out.columns:
        out = out.reset_index()
    else:
        out = out.reset_index(drop=True)
    geom = out.geometry.name
    spec = CATALOGUE.get(name) if name else None
    first: list[str] = ["id"] if "id" in out.columns else []
    if spec is not None:
        out = coerce_columns(out, name)  # missing columns added, numbers as float64
        for c in spec.columns:  # what an export adds: ISO dates, None for missing text
            if c.dtype == "date":
                out[c.name] = iso_dates(out[c.name])
            elif c.dtype not in {"float", "int"}:
                col = out[c.name].astype(object)
                out[c.name] = col.where(col.notna(), None)
        first += [c.name for c in spec.columns]
    cols = [*first, *[c for c in out.columns if c not in first and c != geom], geom]
    out = out[cols]
    if "id" in out.columns:
        out["id"] = out["id"].astype(str)
    if precision is None:
        precision = 7 if _geographic(code) else 3
    g = out.geometry.values
    if len(out):
        g = shapely.orient_polygons(np.asarray(g), exterior_cw=False)
        g = shapely.set_precision(g, 10.0 ** -precision, mode="pointwise")
    out = out.set_geometry(gpd.GeoSeries(g, index=out.index, crs=out.crs), crs=out.crs)
    if out.geometry.name != geom:
        out = out.rename_geometry(geom)
    out.attrs = {"coordinates": coordinates_label(crs), "layer": name, "precision": precision}
    return out


def iso_dates(values: pd.Series) -> pd.Series:
    """A date column as ``YYYY-MM-DD`` text with None for missing.

    Whether it holds text, timestamps or ``datetime64`` (GDAL reads ISO dates in
    GeoJSON as dates).

    Parameters
    ----------
    values : pandas.Series
        Dates as text, :class:`pandas.Timestamp`, :class:`datetime.date` or
        ``datetime64``; missing as None, NaN, NaT or blank text.

    Returns
    -------
    pandas.Series
        ``object`` dtype, same index: ISO 8601 calendar dates (``YYYY-MM-DD``), None
        where missing. Text is stripped but not checked (the catalogue's rules do that).

    References
    ----------
    .. [1] ISO 8601-1:2019, *Date and time: representations for information interchange*.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        text = values.dt.strftime("%Y-%m-%d").astype(object)
        return text.where(values.notna(), None)

    def one(v):
        if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "strftime"):
            return pd.Timestamp(v).strftime("%Y-%m-%d")
        text = str(v).strip()
        return text or None

    return pd.Series([one(v) for v in values.astype(object)], index=values.index, dtype=object)


def _description(name: str, label: str) -> str:
    spec = CATALOGUE.get(name)
    title = f"{spec.title_en} / {spec.title_zh}" if spec else name
    if label == "GCJ-02":
        return f"{title}. Coordinates: GCJ-02 (offset lon/lat of Chinese map apps, NOT WGS-84)."
    return f"{title}. Coordinates: {label}."


# --- styles for the GeoPackage -------------------------------------------------------------
def _rgb(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"


def layer_style_qml(name: str) -> str | None:
    """A QGIS style (QML) drawing the layer in its catalogue colours, or None without a style.

    A single-symbol renderer: polygons filled with ``fill`` (none when ``none``) and
    outlined in ``color`` 0.6 mm wide, lines 0.8 mm in ``color``, points 2.4 mm circles
    in ``color`` with a white outline.

    Parameters
    ----------
    name : str
        A layer name; a name outside the catalogue, or a layer without a ``color``,
        has no style.

    Returns
    -------
    str or None
        The QML document (QGIS 3.28 style file, symbology only), or None.

    See Also
    --------
    layer_style_sld : The same style as OGC SLD.
    """
    spec = CATALOGUE.get(name)
    if spec is None or not spec.style.get("color"):
        return None
    colour = spec.style["color"]
    fill = spec.style.get("fill")
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0",
                             enableorderby="0", forceraster="0")
    symbols = ET.SubElement(renderer, "symbols")
    kind = spec.kind
    symbol = ET.SubElement(symbols, "symbol", type={"polygon": "fill", "line": "line", "point": "marker"}[kind],
                           name="0", alpha="1", clip_to_extent="1", force_rhr="0")
    cls = {"polygon": "SimpleFill", "line": "SimpleLine", "point": "SimpleMarker"}[kind]
    layer = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    opts = ET.SubElement(layer, "Option", type="Map")

    def opt(key: str, value: str) -> None:
        ET.SubElement(opts, "Option", type="QString", name=key, value=value)

    if kind == "polygon":
        opt("color", _rgb(fill) if fill and fill != "none" else "0,0,0,0")
        opt("style", "solid" if fill and fill != "none" else "no")
        opt("outline_color", _rgb(colour))
        opt("outline_width", "0.6")
        opt("outline_width_unit", "MM")
    elif kind == "line":
        opt("line_color", _rgb(colour))
        opt("line_width", "0.8")
        opt("line_width_unit", "MM")
        opt("line_style", "solid")
    else:
        opt("name", "circle")
        opt("color", _rgb(colour))
        opt("outline_color", "255,255,255,255")
        opt("size", "2.4")
        opt("size_unit", "MM")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode")


def layer_style_sld(name: str) -> str | None:
    """An OGC SLD 1.0 style in the layer's catalogue colours, or None without a style.

    Polygons filled with ``fill`` (none when ``none``) and stroked in ``color`` 1.5 px
    wide, lines 2 px in ``color``, points 7 px circles filled with ``color``; titled
    ``<title_en> / <title_zh>``.

    Parameters
    ----------
    name : str
        A layer name; a name outside the catalogue, or a layer without a ``color``,
        has no style.

    Returns
    -------
    str or None
        The ``StyledLayerDescriptor`` XML document, or None.

    References
    ----------
    .. [1] OGC 02-070, *Styled Layer Descriptor Implementation Specification*, version
       1.0.0 (2002).
    """
    spec = CATALOGUE.get(name)
    if spec is None or not spec.style.get("color"):
        return None
    colour = spec.style["color"]
    fill = spec.style.get("fill")
    ns = "http://www.opengis.net/sld"
    ET.register_namespace("", ns)

    def el(parent, tag, text=None, **attrs):
        e = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            e.text = text
        return e

    root = ET.Element(f"{{{ns}}}StyledLayerDescriptor", version="1.0.0")
    nl = el(root, "NamedLayer")
    el(nl, "Name", name)
    us = el(nl, "UserStyle")
    el(us, "Title", f"{spec.title_en} / {spec.title_zh}")
    rule = el(el(us, "FeatureTypeStyle"), "Rule")
    if spec.kind == "polygon":
        sym = el(rule, "PolygonSymbolizer")
        if fill and fill != "none":
            el(el(sym, "Fill"), "CssParameter", fill, name="fill")
        stroke = el(sym, "Stroke")
        el(stroke, "CssParameter", colour, name="stroke")
        el(stroke, "CssParameter", "1.5", name="stroke-width")
    elif spec.kind == "line":
        stroke = el(el(rule, "LineSymbolizer"), "Stroke")
        el(stroke, "CssParameter", colour, name="stroke")
        el(stroke, "CssParameter", "2", name="stroke-width")
    else:
        graphic = el(el(rule, "PointSymbolizer"), "Graphic")
        mark = el(graphic, "Mark")
        el(mark, "WellKnownName", "circle")
        el(el(mark, "Fill"), "CssParameter", colour, name="fill")
        el(graphic, "Size", "7")
    return ET.tostring(root, encoding="unicode")


# --- the Shapefile rename table ------------------------------------------------------------
def shapefile_fields(columns: Iterable[str]) -> dict[str, str]:
    """Column -> Shapefile field name: at most 10 characters, unique (case-insensitively).

    A name that fits is kept; a longer one is cut to 10 characters, and a cut that
    collides gets a numbered tail (``permeabil1``).

    Lengths are counted in UTF-8 bytes (:data:`SHAPEFILE_FIELD_LENGTH`), so a Chinese
    name keeps at most three characters. Names that fit are placed first, so a long
    name never takes a short one's field name.

    Parameters
    ----------
    columns : iterable of str
        The column names (not the geometry), in order.

    Returns
    -------
    dict of str to str
        Column -> field name, in the order of ``columns``; the ``.fields.csv`` table
        that :func:`export_layers` writes beside a Shapefile records it.

    References
    ----------
    .. [1] ESRI, *ESRI Shapefile Technical Description*, an ESRI White Paper (July
       1998): attributes in a dBASE table, whose field names hold at most 10
       characters and text fields at most 254 bytes.
    """
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    cols = list(columns)
    for c in cols:  # names that fit keep their place first
        if len(c.encode("utf-8")) <= SHAPEFILE_FIELD_LENGTH and c.lower() not in taken:
            mapping[c] = c
            taken.add(c.lower())
    for c in cols:
        if c in mapping:
            continue
        base = c.encode("utf-8")[:SHAPEFILE_FIELD_LENGTH].decode("utf-8", "ignore")
        candidate, k = base, 1
        while candidate.lower() in taken:
            tail = str(k)
            candidate = base[: SHAPEFILE_FIELD_LENGTH - len(tail)] + tail
            k += 1
        mapping[c] = candidate
        taken.add(candidate.lower())
    return {c: mapping[c] for c in cols}


# --- writers -------------------------------------------------------------------------------
def _file_name(name: str, fmt: Format, label: str) -> str:
    return f"{name}{'_gcj02' if label == 'GCJ-02' else ''}{fmt.suffix}"


def _write_geojson(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    label = frame.attrs["coordinates"]
    geographic = label in {"WGS-84", "GCJ-02"}
    members = {"ecomap:layer": name, "ecomap:coordinates": label}
    opts = {
        "RFC7946": "YES" if geographic else "NO",
        "COORDINATE_PRECISION": str(frame.attrs["precision"]),
        "WRITE_NAME": "YES",
        "DESCRIPTION": _description(name, label),
        "FOREIGN_MEMBERS_COLLECTION": json.dumps(members, ensure_ascii=False),
    }
    with atomic_write(path) as tmp:
        pyogrio.write_dataframe(frame, tmp, driver="GeoJSON", layer=name, layer_options=opts)
    return [path]


def _write_fgb(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    label = frame.attrs["coordinates"]
    spec = CATALOGUE.get(name)
    opts = {"SPATIAL_INDEX": "YES", "TITLE": spec.title_en if spec else name,
            "DESCRIPTION": _description(name, label)}
    with atomic_write(path) as tmp:
        pyogrio.write_dataframe(frame, tmp, driver="FlatGeobuf", layer=name, layer_options=opts)
    return [path]


def _write_parquet(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    import pyarrow.parquet as pq

    meta = {"layer": name, "coordinates": frame.attrs["coordinates"],
            "description": _description(name, frame.attrs["coordinates"])}
    with atomic_write(path) as tmp:
        frame.to_parquet(tmp, index=False, write_covering_bbox=True)
        table = pq.read_table(tmp)
        md = dict(table.schema.metadata or {})
        md[b"ecomap"] = json.dumps(meta, ensure_ascii=False).encode("utf-8")
        pq.write_table(table.replace_schema_metadata(md), tmp, compression="snappy")
    return [path]


def _write_kml(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    label = frame.attrs["coordinates"]
    out = frame.copy()
    # <name> is what Google Earth and phone apps show: the feature's names, else its id
    zh = out["name_zh"].fillna("").astype(str) if "name_zh" in out else pd.Series("", index=out.index)
    en = out["name_en"].fillna("").astype(str) if "name_en" in out else pd.Series("", index=out.index)
    label_text = (zh + " " + en).str.strip()
    ids = out["id"].astype(str) if "id" in out else pd.Series("", index=out.index)
    out.insert(0, "name", label_text.where(label_text != "", ids))
    opts = {"NAME": name, "DESCRIPTION": _description(name, label)}
    with atomic_write(path) as tmp:
        pyogrio.write_dataframe(out, tmp, driver="LIBKML", layer=name, layer_options=opts)
    return [path]


def _write_csv(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    label = frame.attrs["coordinates"]
    types = set(frame.geom_type.dropna())
    if not types <= {"Point"}:
        raise InputError(f"{name}: CSV holds points only (lon/lat columns); this layer has "
                         f"{', '.join(sorted(types))}: use geojson, gpkg or another format")
    x, y = shapely.get_x(frame.geometry.values), shapely.get_y(frame.geometry.values)
    xname, yname = ("lon", "lat") if label in {"WGS-84", "GCJ-02"} else ("x", "y")
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    pos = 1 if "id" in table.columns else 0
    table.insert(pos, xname, np.round(x, frame.attrs["precision"]))
    table.insert(pos + 1, yname, np.round(y, frame.attrs["precision"]))
    if label not in {"WGS-84"}:
        table.insert(pos + 2, "coordinates", label)
    with atomic_write(path) as tmp:
        neutralise_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig")
    return [path]


def _write_shp(frame: gpd.GeoDataFrame, path: Path, name: str) -> list[Path]:
    fields = shapefile_fields([c for c in frame.columns if c != frame.geometry.name])
    frame = frame.copy()
    cut = {}
    for c in fields:  # dBASE text holds 254 bytes: cut explicitly and say so in the table
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c]):
            texts = frame[c].astype(object).map(lambda v: v if not isinstance(v, str) else
                                 v.encode("utf-8")[:SHAPEFILE_TEXT_BYTES].decode("utf-8", "ignore"))
            cut[c] = int((texts.fillna("") != frame[c].astype(object).fillna("")).sum())
            frame[c] = texts
        else:
            cut[c] = 0
    if any(cut.values()):
        log.warning("%s: %d text value(s) longer than %d bytes were cut (see %s.fields.csv)",
                    name, sum(cut.values()), SHAPEFILE_TEXT_BYTES, path.stem)
    out = frame.rename(columns=fields)
    rename = pd.DataFrame({"column": list(fields), "shapefile_field": list(fields.values()),
                           "values_cut_to_254_bytes": [cut[c] for c in fields]})
    table_path = Path(f"{path.with_suffix('')}.fields.csv")
    with atomic_write(path, verify=False) as tmp:  # every part in one private folder, read back, then moved
        pyogrio.write_dataframe(out, tmp, driver="ESRI Shapefile", encoding="UTF-8")
        neutralise_frame(rename).to_csv(tmp.parent / table_path.name, index=False)
        verify_written(tmp)
        written = []
        # the .shp last: inside an export folder (swapped in whole) the order does not matter
        for part in sorted(tmp.parent.iterdir(), key=lambda q: (q == tmp, q.name)):
            dest = path.parent / part.name
            if part != tmp:
                os.replace(part, dest)
            written.append(dest)
    return written


def _write_gpkg(frames: Mapping[str, gpd.GeoDataFrame], path: Path) -> list[Path]:
    styles = []
    with atomic_write(path) as tmp:
        for name, frame in frames.items():
            spec = CATALOGUE.get(name)
            opts = {"GEOMETRY_NAME": "geom", "IDENTIFIER": spec.title_en if spec else name,
                    "DESCRIPTION": _description(name, frame.attrs["coordinates"])}
            pyogrio.write_dataframe(frame, tmp, driver="GPKG", layer=name, layer_options=opts)
            qml, sld = layer_style_qml(name), layer_style_sld(name)
            if qml:
                styles.append({
                    "f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
                    "f_geometry_column": "geom", "styleName": name, "styleQML": qml, "styleSLD": sld,
                    "useAsDefault": True, "description": f"ecomap catalogue style for {name}",
                    "owner": "", "ui": None,
                })
        if styles:
            # the table QGIS reads a layer's default style from
            pyogrio.write_dataframe(pd.DataFrame(styles), tmp, driver="GPKG", layer="layer_styles",
                                    layer_options={"FID": "id"})
    return [path]


_WRITERS = {"geojson": _write_geojson, "fgb": _write_fgb, "parquet": _write_parquet,
            "shp": _write_shp, "kml": _write_kml, "csv": _write_csv}


def export_layers(
    frames: Mapping[str, gpd.GeoDataFrame],
    out: str | os.PathLike,
    *,
    fmt: str = "geojson",
    crs: str = _crs.WGS84,
    precision: int | None = None,
) -> list[Path]:
    """Write named layers (or results) in one format; returns the files written.

    Each file is written beside its destination and renamed into place
    (:func:`ecomap.io.atomic_write`). GeoJSON, GeoPackage, FlatGeobuf, GeoParquet and
    KML files name their layer and coordinates (``WGS-84``, ``GCJ-02`` or ``EPSG:nnnn``)
    in their own metadata, and a CSV not in WGS-84 has a ``coordinates`` column.
    Catalogue layers in a GeoPackage also get their catalogue style in the
    ``layer_styles`` table QGIS reads (QML and SLD, :func:`layer_style_qml`,
    :func:`layer_style_sld`). A Shapefile
    comes with ``<layer>.fields.csv``, the table of renamed columns
    (:func:`shapefile_fields`) and text values cut to 254 bytes.

    Parameters
    ----------
    frames : mapping of str to geopandas.GeoDataFrame
        Name -> GeoDataFrame (catalogue layers as the Network holds them, or results).
        Empty frames are skipped.
    out : str or os.PathLike
        A folder (one file per layer, named ``<layer>.<suffix>``, or
        ``<layer>_gcj02.<suffix>`` for GCJ-02) or, for ``gpkg`` or a single layer, a
        file with the format's suffix. A GeoPackage written to a folder is
        ``<folder>/ecomap.gpkg`` (``ecomap_gcj02.gpkg`` for GCJ-02).
    fmt : str, default "geojson"
        One of :data:`FORMATS`.
    crs : str, default "EPSG:4326"
        ``EPSG:4326`` (default), ``gcj02`` or any CRS pyproj knows; KML takes only
        longitude/latitude.
    precision : int, optional
        Decimals of the coordinates (default 7 for degrees, 3 for metres).

    Returns
    -------
    list of pathlib.Path
        Every file written: one per layer, one GeoPackage, or for a Shapefile each of
        its parts (``.shp``, ``.shx``, ``.dbf``, ``.prj``, ``.cpg``) and its
        ``.fields.csv``.

    Raises
    ------
    InputError
        An unknown format, a CRS the format cannot hold, CSV of lines or polygons,
        or a file name for several single-layer files; also an unknown CRS, or every
        frame empty.

    References
    ----------
    .. [1] H. Butler et al., *The GeoJSON Format*, RFC 7946 (2016) (GeoJSON written by
       GDAL with ``RFC7946=YES`` for longitude/latitude).
    .. [2] OGC 12-128r19, *OGC GeoPackage Encoding Standard*, version 1.4.0 (2024): the
       version GDAL 3.12 writes (``PRAGMA user_version`` 10400).
    .. [3] *FlatGeobuf*, https://flatgeobuf.org (with its packed Hilbert R-tree index).
    .. [4] *GeoParquet*, version 1.1.0, https://geoparquet.org (WKB geometry and a
       ``bbox`` covering column).
    .. [5] ESRI, *ESRI Shapefile Technical Description* (July 1998).
    .. [6] OGC 07-147r2, *OGC KML*, version 2.2.0 (2008).
    .. [7] Y. Shafranovich, *Common Format and MIME Type for Comma-Separated Values
       (CSV) Files*, RFC 4180 (2005) (written as UTF-8 with a byte order mark).
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; formats are: {', '.join(FORMATS)}")
    f = FORMATS[fmt]
    code = _crs.parse_crs(crs)
    if f.geographic_only and not _geographic(code):
        raise InputError(f"{fmt}: KML is always longitude/latitude; use --crs EPSG:4326 or gcj02, not {crs}")
    todo = {n: g for n, g in frames.items() if len(g)}
    for n in frames:
        if n not in todo:
            log.info("%s: empty, not exported", n)
    if not todo:
        raise InputError(f"nothing to export: {', '.join(frames) or 'no layers'} "
                         f"{'is' if len(frames) == 1 else 'are'} empty")
    if f.points_only:
        bad = [n for n, g in todo.items() if not set(g.geom_type.dropna()) <= {"Point"}]
        if bad:
            raise InputError(f"CSV holds points only (lon/lat columns); {', '.join(bad)} "
                             f"{'is not a point layer' if len(bad) == 1 else 'are not point layers'}: "
                             "use geojson, gpkg or another format")
    prepared = {n: prepare(g, n, crs=code, precision=precision) for n, g in todo.items()}
    label = coordinates_label(code)
    out = Path(out)
    as_file = out.suffix.lower() == f.suffix
    if f.multi_layer:
        path = out if as_file else out / (f"ecomap_gcj02{f.suffix}" if label == "GCJ-02" else f"ecomap{f.suffix}")
        return _write_gpkg(prepared, path)
    if as_file and len(prepared) > 1:
        raise InputError(f"{out}: {len(prepared)} layers make {len(prepared)} {fmt} files; give a folder as --out")
    if as_file:
        name, frame = next(iter(prepared.items()))
        return _WRITERS[fmt](frame, out, name)
    written: list[Path] = []
    with output_folder(out) as folder:  # the folder swapped in whole: old or new after a kill
        for name, frame in prepared.items():
            written += [out / p.name for p in _WRITERS[fmt](frame, folder / _file_name(name, f, label), name)]
    return written


def analysis_frames(network, **options) -> dict[str, gpd.GeoDataFrame]:
    """The connectivity analysis as layers: ``gaps`` and ``corridor_ranking``.

    ``gaps`` are the barrier crossings with no bridge site or tunnel nearby (points);
    ``corridor_ranking`` is every corridor's line with its rank, dPC, dIIC, gravity,
    bridge and gap counts.

    Parameters
    ----------
    network : Network
        The network to analyse.
    **options
        Go to :func:`ecomap.connectivity.analyse`.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        ``{"gaps": ..., "corridor_ranking": ...}``, in the network's CRS (EPSG:4547).
        The ranking is indexed by corridor ``id``, sorted by ``rank`` (stable), with
        the corridors' ``name_zh``/``name_en``; corridors without a geometry are left
        out.
    """
    from .connectivity import analyse

    result = analyse(network, **options)
    cor = network.corridors
    table = result.corridors.drop(columns=[c for c in result.corridors.columns if c in cor.columns])
    names = [c for c in ("name_zh", "name_en") if c in cor.columns]
    ranking = gpd.GeoDataFrame(table.join(cor[[*names, cor.geometry.name]], how="left"),
                               geometry=cor.geometry.name, crs=cor.crs)
    ranking.index.name = "id"
    ranking = ranking[ranking.geometry.notna()]
    if "rank" in ranking.columns:
        ranking = ranking.sort_values("rank", kind="stable")
    return {"gaps": result.gaps, "corridor_ranking": ranking}


def export_network(network, out: str | os.PathLike, *, fmt: str = "geojson", layers: Iterable[str] | None = None,
                   crs: str = _crs.WGS84, precision: int | None = None, results: bool = False) -> list[Path]:
    """Export layers of a Network: the named ones, or every non-empty one.

    A named layer that is empty raises InputError; CSV without named layers takes the
    point layers only. ``results`` adds the connectivity analysis (:func:`analysis_frames`).

    Parameters
    ----------
    network : Network
        The layers to export (EPSG:4547, indexed by ``id``).
    out : str or os.PathLike
        A folder, or a file with the format's suffix (see :func:`export_layers`).
    fmt : str, default "geojson"
        One of :data:`FORMATS`.
    layers : iterable of str, optional
        Catalogue layers to export, duplicates ignored; default every non-empty one.
    crs : str, default "EPSG:4326"
        ``EPSG:4326``, ``gcj02`` or any CRS pyproj knows.
    precision : int, optional
        Decimals of the coordinates (default 7 for degrees, 3 for metres).
    results : bool, default False
        Also export ``gaps`` and ``corridor_ranking`` (for CSV, only the point ones).

    Returns
    -------
    list of pathlib.Path
        Every file written (:func:`export_layers`).

    Raises
    ------
    InputError
        An unknown or empty named layer, and whatever :func:`export_layers` refuses.
    """
    if layers:
        names = list(dict.fromkeys(layers))
        unknown = [n for n in names if n not in CATALOGUE]
        if unknown:
            raise InputError(f"unknown layer {unknown[0]!r}; layers are: {', '.join(CATALOGUE)}")
    else:
        names = [n for n, g in network.layers.items() if len(g)]
        if fmt in FORMATS and FORMATS[fmt].points_only:
            names = [n for n in names if CATALOGUE[n].kind == "point"]
    frames = {n: network[n] for n in names}
    empty = [n for n in names if not len(frames[n])]
    if layers and empty:
        raise InputError(f"layer {empty[0]} is empty in {network.data_dir}: nothing to export")
    if results:
        extra = analysis_frames(network)
        if fmt in FORMATS and FORMATS[fmt].points_only:
            extra = {n: g for n, g in extra.items() if set(g.geom_type.dropna()) <= {"Point"}}
        frames.update(extra)
    return export_layers(frames, out, fmt=fmt, crs=crs, precision=precision)
