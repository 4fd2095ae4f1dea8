"""Layer styles written into exports: QGIS QML and OGC SLD from the catalogue's colours."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..layers import CATALOGUE


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
