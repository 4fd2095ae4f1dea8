"""KML and KMZ for Google Earth and phones: the atlas's styles, a folder per layer and class, ids kept.

Written with the standard library rather than GDAL's LIBKML driver, which writes no
styles: each layer is a folder (a nested ``<Document>``), each class of its style
(corridor kind and status, bridge-site status ...) a shared ``<Style>`` in the atlas's
colours (:func:`ecomap.export.styles.layer_style`). A placemark's ``<name>`` is the
Chinese name, else the English one, else the id; the id is both the placemark's ``id``
and, with every attribute, a ``<SimpleData>`` of the layer's typed ``<Schema>``: GDAL 3.6
(QGIS on Debian 12) reads the id from the SimpleData, newer GDAL from the placemark (and
the SimpleData as a second column, ``id2``).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..io import atomic_write
from ..layers import CATALOGUE
from .formats import RESULT_TITLES, _description
from .gpkg import OSM_ATTRIBUTION, derived_from_osm
from .styles import Symbol, feature_classes, layer_style

NS = "http://www.opengis.net/kml/2.2"

#: Google Earth's round pin, tinted by the style's colour (the atlas's circle markers).
ICON = "https://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
#: Marks a gap (a barrier crossing with no passage).
GAP_ICON = "https://maps.google.com/mapfiles/kml/shapes/forbidden.png"

_LAYER_TITLES = {"gaps": "缺口 Gaps", "corridor_ranking": "廊道重要性 Corridor importance (dPC)"}


def kml_colour(hex_colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` and an opacity as KML writes colours: ``aabbggrr``.

    Parameters
    ----------
    hex_colour : str
        ``#rrggbb``.
    opacity : float, default 1.0
        0 (transparent) to 1 (opaque).

    Returns
    -------
    str
        Eight hex digits, alpha first, then blue, green, red.
    """
    h = hex_colour.lstrip("#")
    return f"{round(255 * opacity):02x}{h[4:6]}{h[2:4]}{h[0:2]}"


def _sub(parent: ET.Element, tag: str, text=None, **attrs) -> ET.Element:
    e = ET.SubElement(parent, tag, attrs)
    if text is not None:
        e.text = str(text)
    return e


def _style(doc: ET.Element, sid: str, s: Symbol, *, icon: str, labels: bool) -> None:
    st = _sub(doc, "Style", id=sid)
    px = 1 / 0.2646  # millimetres to pixels
    if s.kind == "point":
        ist = _sub(st, "IconStyle")
        _sub(ist, "color", kml_colour(s.colour, max(s.opacity, 0.9)))
        _sub(ist, "scale", f"{max(s.size / 3.0, 0.5):.2f}")
        _sub(_sub(ist, "Icon"), "href", icon)
    else:
        ls = _sub(st, "LineStyle")
        line_colour = s.colour if s.kind == "line" else (s.stroke or s.colour)
        _sub(ls, "color", kml_colour(line_colour, s.opacity if s.kind == "line" else 1.0))
        _sub(ls, "width", f"{max(s.width, 0.8 if s.width_expression else 0) * px:.1f}")
        if s.kind == "polygon":
            ps = _sub(st, "PolyStyle")
            filled = s.colour != "none"
            _sub(ps, "color", kml_colour(s.colour if filled else "#000000", s.opacity if filled else 0.0))
            _sub(ps, "fill", "1" if filled else "0")
            _sub(ps, "outline", "1" if s.stroke else "0")
    _sub(_sub(st, "LabelStyle"), "scale", "1" if labels else "0")


def _num(v: float, precision: int) -> str:
    text = f"{v:.{precision}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _coords(seq, precision: int) -> str:
    return " ".join(f"{_num(x, precision)},{_num(y, precision)}" for x, y in np.asarray(seq)[:, :2])


def _geometry(parent: ET.Element, g, precision: int) -> None:
    kind = g.geom_type
    if kind.startswith("Multi") or kind == "GeometryCollection":
        multi = _sub(parent, "MultiGeometry")
        for part in g.geoms:
            _geometry(multi, part, precision)
    elif kind == "Point":
        _sub(_sub(parent, "Point"), "coordinates", _coords(g.coords, precision))
    elif kind == "LineString":
        line = _sub(parent, "LineString")
        _sub(line, "tessellate", "1")
        _sub(line, "coordinates", _coords(g.coords, precision))
    elif kind == "Polygon":
        poly = _sub(parent, "Polygon")
        _sub(poly, "tessellate", "1")
        _sub(_sub(_sub(poly, "outerBoundaryIs"), "LinearRing"), "coordinates", _coords(g.exterior.coords, precision))
        for ring in g.interiors:
            _sub(_sub(_sub(poly, "innerBoundaryIs"), "LinearRing"), "coordinates", _coords(ring.coords, precision))


def _field_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "double"
    return "string"


def _value(v) -> str | None:
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return f"{float(v):.10g}"
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    return str(v)


def _feature_name(row: dict) -> str:
    for key in ("name_zh", "name_en", "id"):
        v = row.get(key)
        if v is not None and str(v).strip() and v == v:
            return str(v).strip()
    return ""


def _layer_folder(root: ET.Element, frame: gpd.GeoDataFrame, name: str) -> None:
    """The layer as a nested ``<Document>``: its schema, styles and placemarks.

    A nested Document is a folder in Google Earth; GDAL's LIBKML driver (and so QGIS)
    finds a layer's typed fields in a KMZ only when its Schema sits in the same Document.
    """
    spec = CATALOGUE.get(name)
    doc = _sub(root, "Document", id=name)
    _sub(doc, "name", f"{spec.title_zh} {spec.title_en}" if spec else _LAYER_TITLES.get(name, name))
    _sub(doc, "description", _description(name, frame.attrs["coordinates"]))
    cols = [c for c in frame.columns if c != frame.geometry.name]
    # the id twice: the placemark's id (GDAL >= 3.8 reads it as "id", and the SimpleData then
    # as "id2") and a SimpleData "id" (what GDAL 3.6 and QGIS 3.22 on Debian 12 read)
    fields = cols
    schema = _sub(doc, "Schema", id=f"{name}.schema")
    for c in fields:
        _sub(schema, "SimpleField", name=c, type=_field_type(frame[c]))
    style = layer_style(name, frame)
    classes = feature_classes(name, frame, style) if style else np.full(len(frame), -1)
    labels = name not in ("bridges", "gaps") and spec is not None and spec.kind != "point"
    if style is not None:
        for i, s in enumerate(style.symbols):
            _style(doc, f"{name}-{i}", s, icon=GAP_ICON if name == "gaps" else ICON, labels=labels)
    precision = int(frame.attrs.get("precision", 7))
    records = frame[cols].to_dict("records")
    for row, geom, cls in zip(records, frame.geometry.values, classes, strict=True):
        pm = _sub(doc, "Placemark", **({"id": str(row["id"])} if "id" in row else {}))
        _sub(pm, "name", _feature_name(row))
        en = row.get("name_en")
        if en and en == en and en != _feature_name(row):
            _sub(pm, "description", en)
        if cls >= 0:
            _sub(pm, "styleUrl", f"#{name}-{int(cls)}")
        data = _sub(_sub(pm, "ExtendedData"), "SchemaData", schemaUrl=f"#{name}.schema")
        for c in fields:
            v = _value(row[c])
            if v is not None:
                _sub(data, "SimpleData", v, name=c)
        if geom is not None and not geom.is_empty:
            _geometry(pm, geom, precision)


def kml_document(frames: dict[str, gpd.GeoDataFrame]) -> bytes:
    """One KML document holding every frame as a folder of styled placemarks.

    Parameters
    ----------
    frames : dict of str to geopandas.GeoDataFrame
        Layer name -> frame made ready by :func:`~ecomap.export.prepare` (longitude/latitude).

    Returns
    -------
    bytes
        The UTF-8 KML 2.2 document.
    """
    root = ET.Element("kml", xmlns=NS)
    doc = _sub(root, "Document", id="ecomap")  # holds one folder per layer
    names = list(frames)
    first = frames[names[0]]
    _sub(doc, "name", " · ".join(CATALOGUE[n].title_zh if n in CATALOGUE else RESULT_TITLES.get(n, n).split(" / ")[-1]
                                 for n in names))
    text = f"ecomap: {', '.join(names)}. Coordinates: {first.attrs['coordinates']}."
    if any(derived_from_osm(f) for f in frames.values()):
        text += f" Data {OSM_ATTRIBUTION}."
    _sub(doc, "description", text)
    for name, frame in frames.items():
        _layer_folder(doc, frame, name)
    ET.indent(root, space=" ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def write_kml(frame: gpd.GeoDataFrame, path: Path, name: str, *, kmz: bool = False) -> list[Path]:
    """Write one layer as KML (or KMZ: the same ``doc.kml`` zipped), replacing ``path`` whole.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Made ready by :func:`~ecomap.export.prepare` (longitude/latitude).
    path : pathlib.Path
        The ``.kml`` or ``.kmz`` file.
    name : str
        The layer's name (its style, folder and schema).
    kmz : bool, default False
        Write a KMZ (zip) instead of plain KML.

    Returns
    -------
    list of pathlib.Path
        ``[path]``.
    """
    data = kml_document({name: frame})
    with atomic_write(path, verify=_verify_kmz if kmz else None) as tmp:
        if kmz:
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("doc.kml", data)
            tmp.write_bytes(buf.getvalue())
        else:
            tmp.write_bytes(data)
    return [path]


def _verify_kmz(path: Path) -> None:
    """Read a just-written KMZ back: the zip and the KML inside it."""
    with zipfile.ZipFile(path) as z:
        ET.fromstring(z.read("doc.kml"))
