"""Layer styles written into exports: QGIS QML as the atlas draws each layer, OGC SLD from the catalogue."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..layers import CATALOGUE
from .qml import Labels, Style, Symbol, vector_qml

# --- the atlas's colours (webmap/_style.py; tests/test_export_qgis.py checks they agree) -----
BRIDGE_COLOURS = {"planned": "#fdd835", "built": "#43a047", "damaged": "#e53935", "removed": "#9e9e9e"}
KIND_COLOURS = {"mountain": "#7cb342", "water": "#00acc1", "green": "#2e7d32"}
TRAIL_COLOURS = {"greenway": "#c0ca33", "hiking": "#8d6e63", "ridge": "#6a1b9a"}
RIDGE_FILLS = {"country_park": "#81c784", "nature_reserve": "#2e7d32", "forest": "#a5d6a7"}
#: ColorBrewer YlOrRd, the atlas's corridor-importance (dPC) classes.
DPC_COLOURS = ("#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")
_BROKEN = "#e53935"

#: Chinese names of the catalogue's values (as the atlas shows them, ``webmap.ZH``).
ZH = {
    "mountain": "山廊", "water": "水廊", "green": "绿廊",
    "existing": "现状", "planned": "规划", "broken": "断裂",
    "axis": "干流", "tributary": "支流",
    "greenway": "绿道", "hiking": "远足径", "ridge": "山脊径",
    "built": "已建", "damaged": "损坏", "removed": "已拆除",
    "expressway": "高速公路", "railway": "铁路", "arterial": "主干道", "dam": "水坝",
    "surface": "地面", "tunnel": "隧道", "bridge": "桥梁",
    "country_park": "郊野公园", "nature_reserve": "自然保护区", "forest": "森林",
}

#: Millimetres per CSS pixel at 96 dpi: the atlas's widths in print units.
_PX = 0.2646

#: Label text: the Chinese name, else the English one, else the id.
NAME_EXPRESSION = 'coalesce(nullif("name_zh", \'\'), nullif("name_en", \'\'), "id")'

#: The atlas's corridor widths: 3, 5, 7, 10 px for widths under 50, 200, 500 m and above.
CORRIDOR_WIDTH_EXPRESSION = (f'CASE WHEN "width_m" >= 500 THEN {10 * _PX:.2f} WHEN "width_m" >= 200 THEN {7 * _PX:.2f} '
                             f'WHEN "width_m" >= 50 THEN {5 * _PX:.2f} ELSE {3 * _PX:.2f} END')
_BARRIER_WIDTH_EXPRESSION = (f'CASE "kind" WHEN \'expressway\' THEN {5 * _PX:.2f} WHEN \'dam\' THEN {5 * _PX:.2f} '
                             f'WHEN \'railway\' THEN {4 * _PX:.2f} ELSE {3 * _PX:.2f} END')


def _both(value: str) -> str:
    return f"{ZH[value]} {value}" if value in ZH else value


def _categories(attribute: str, classes: dict[str, Symbol], labels: Labels | None,
                other: Symbol | None = None) -> Style:
    values, symbols = list(classes), list(classes.values())
    names = [_both(v) for v in values]
    if other is not None:  # "" is QGIS's "all other values"
        values.append("")
        symbols.append(other)
        names.append("其他 other")
    return Style("categorized", symbols, attribute, values, names, labels)


def _corridors_style(labels: Labels) -> Style:
    classes: dict[str, Symbol] = {}
    names: list[str] = []
    for kind, colour in KIND_COLOURS.items():
        for status in ("existing", "planned"):
            dash = (10 * _PX, 6 * _PX) if status == "planned" else None
            classes[f"{kind} {status}"] = Symbol("line", colour, opacity=0.85, dash=dash,
                                                 width_expression=CORRIDOR_WIDTH_EXPRESSION)
            names.append(f"{_both(kind)}, {_both(status)}")
    classes["broken"] = Symbol("line", _BROKEN, opacity=0.85, dash=(3 * _PX, 6 * _PX),
                               width_expression=CORRIDOR_WIDTH_EXPRESSION)
    names.append("断裂廊道 broken corridor")
    attribute = 'CASE WHEN "status" = \'broken\' THEN \'broken\' ELSE "kind" || \' \' || "status" END'
    return Style("categorized", list(classes.values()), attribute, list(classes), names, labels)


def _dpc_style(frame) -> Style:
    import numpy as np

    dpc = np.asarray(frame["dPC"], dtype=float) if frame is not None and "dPC" in frame else np.array([])
    finite = dpc[np.isfinite(dpc)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, 6))) if len(finite) else np.array([0.0, 100.0])
    if len(edges) < 2:
        edges = np.array([edges[0], edges[0] + 1e-9])
    n = len(edges) - 1
    pal = [DPC_COLOURS[int(round(i * (len(DPC_COLOURS) - 1) / max(n - 1, 1)))] for i in range(n)]
    symbols = [Symbol("line", c, width=6 * _PX, opacity=0.95) for c in pal]
    ranges = [(float(edges[i]), float(edges[i + 1])) for i in range(n)]
    names = [f"dPC {lo:.3g}–{hi:.3g} %" for lo, hi in ranges]
    lab = Labels("'#' || to_int(\"rank\") || ' ' || " + NAME_EXPRESSION, "line")
    return Style("graduated", symbols, "dPC", ranges, names, lab)


def layer_style(name: str, frame=None) -> Style | None:
    """The style of a layer or result as the atlas draws it, or None without one.

    Categories of the value the atlas colours by (corridors by kind and status, with
    their width from ``width_m``; bridge sites by status; trails, ridge and barriers by
    kind; river by rank), ranges of patch quality and of corridor dPC
    (``corridor_ranking``, quintile classes of ``frame``), the district boundary an
    outline only, ``gaps`` red crosses; any other catalogue layer in its catalogue
    colours. Labels: the Chinese name, else the English one, else the id.

    Parameters
    ----------
    name : str
        A catalogue layer, ``gaps`` or ``corridor_ranking``.
    frame : pandas.DataFrame, optional
        The rows, for classes drawn from the data (the dPC breaks of ``corridor_ranking``).

    Returns
    -------
    Style or None
        None for a name with no style.
    """
    spec = CATALOGUE.get(name)
    kind = spec.kind if spec else {"gaps": "point", "corridor_ranking": "line"}.get(name)
    if kind is None:
        return None
    lab = Labels(NAME_EXPRESSION, kind)
    if name == "boundary":
        return Style("single", [Symbol("polygon", "none", stroke="#263238", width=3 * _PX)])
    if name in ("districts", "subdistricts"):
        colour = "#78909c" if name == "districts" else spec.style["color"]
        return Style("single", [Symbol("polygon", "none", stroke=colour, width=0.3, dash=(1.0, 0.8))], labels=lab)
    if name == "ridge":
        classes = {k: Symbol("polygon", c, stroke="#1b5e20", opacity=0.45) for k, c in RIDGE_FILLS.items()}
        return _categories("kind", classes, lab, Symbol("polygon", "#66bb6a", stroke="#1b5e20", opacity=0.45))
    if name == "patches":
        symbols = [Symbol("polygon", "#66bb6a", stroke="#1b5e20", opacity=op) for op in (0.25, 0.4, 0.55)]
        return Style("graduated", symbols, 'coalesce("quality", 0.5)', [(0.0, 0.4), (0.4, 0.7), (0.7, 1.0)],
                     ["质量 quality < 0.4", "质量 quality 0.4–0.7", "质量 quality ≥ 0.7"], lab)
    if name == "corridors":
        return _corridors_style(lab)
    if name == "river":
        classes = {"axis": Symbol("line", "#1565c0", width=5 * _PX, opacity=0.9),
                   "tributary": Symbol("line", "#42a5f5", width=2.5 * _PX, opacity=0.9)}
        return _categories("rank", classes, lab)
    if name == "trails":
        classes = {k: Symbol("line", c, width=2.5 * _PX, dash=(6 * _PX, 5 * _PX)) for k, c in TRAIL_COLOURS.items()}
        return _categories("kind", classes, lab, Symbol("line", "#8d6e63", width=2.5 * _PX))
    if name == "barriers":
        classes = {"surface": Symbol("line", "#212121", opacity=0.9, width_expression=_BARRIER_WIDTH_EXPRESSION),
                   "tunnel": Symbol("line", "#9e9e9e", opacity=0.9, dash=(2 * _PX, 7 * _PX),
                                    width_expression=_BARRIER_WIDTH_EXPRESSION),
                   "bridge": Symbol("line", "#616161", opacity=0.9, dash=(12 * _PX, 5 * _PX),
                                    width_expression=_BARRIER_WIDTH_EXPRESSION)}
        return _categories('coalesce("structure", \'surface\')', classes, lab)
    if name == "bridges":
        classes = {k: Symbol("point", c, stroke="#263238", size=8 * _PX, opacity=0.95)
                   for k, c in BRIDGE_COLOURS.items()}
        return _categories("status", classes, Labels(NAME_EXPRESSION, kind, size=8, max_scale=10000))
    if name == "gaps":
        return Style("single", [Symbol("point", "#ff5252", stroke="#b71c1c", size=4.0, width=0.6, shape="cross2")])
    if name == "corridor_ranking":
        return _dpc_style(frame)
    colour, fill = spec.style.get("color", "#546e7a"), spec.style.get("fill")
    if kind == "polygon":
        return Style("single", [Symbol(kind, fill or colour, stroke=colour, width=0.4,
                                       opacity=0.8 if name == "reservoirs" else 0.4)], labels=lab)
    return Style("single", [Symbol(kind, colour, stroke="#263238", width=0.6 if kind == "line" else 0.2)],
                 labels=lab)


def layer_style_qml(name: str, frame=None) -> str | None:
    """A QGIS style (QML) drawing the layer as the atlas does, or None without a style.

    Parameters
    ----------
    name : str
        A catalogue layer, ``gaps`` or ``corridor_ranking``; other names have no style.
    frame : pandas.DataFrame, optional
        The rows, for classes drawn from the data (see :func:`layer_style`).

    Returns
    -------
    str or None
        The QML document (symbology and labels, read by QGIS 3.22 and later), or None.

    See Also
    --------
    layer_style : The style itself.
    layer_style_sld : The catalogue colours as OGC SLD.
    """
    style = layer_style(name, frame)
    return vector_qml(style) if style is not None else None


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


def _class_values(name: str, frame):
    """The value each row is classified by: the column, or the Python twin of the QGIS expression."""
    import pandas as pd

    def col(c):
        return frame[c].astype(object) if c in frame.columns else pd.Series(None, index=frame.index, dtype=object)

    if name == "corridors":
        status, kind = col("status"), col("kind")
        return pd.Series([("broken" if s == "broken" else f"{k} {s}") for k, s in zip(kind, status, strict=True)],
                         index=frame.index, dtype=object)
    if name == "barriers":
        s = col("structure")
        return s.where(s.notna(), "surface")
    if name == "patches":
        return pd.to_numeric(col("quality"), errors="coerce").fillna(0.5)
    if name == "corridor_ranking":
        return pd.to_numeric(col("dPC"), errors="coerce")
    return None


def feature_classes(name: str, frame, style: Style | None = None):
    """The class of each row under the layer's style: an index into ``style.symbols``, -1 for none.

    The Python twin of what QGIS computes from the QML (the same categories, ranges and
    expressions), for formats that store one style per feature (KML).

    Parameters
    ----------
    name : str
        A catalogue layer, ``gaps`` or ``corridor_ranking``.
    frame : pandas.DataFrame
        The rows, with the layer's columns.
    style : Style, optional
        The style; default :func:`layer_style` of ``name`` and ``frame``.

    Returns
    -------
    numpy.ndarray
        One int per row: 0 for every row of a single-symbol style, the matching category
        (or the "all other values" one) or range otherwise, -1 where none matches.
    """
    import numpy as np
    import pandas as pd

    style = style or layer_style(name, frame)
    n = len(frame)
    if style is None:
        return np.full(n, -1)
    if style.renderer == "single":
        return np.zeros(n, dtype=int)
    values = _class_values(name, frame)
    if values is None:
        values = frame[style.attribute] if style.attribute in frame.columns else pd.Series([None] * n)
    if style.renderer == "categorized":
        index = {str(v): i for i, v in enumerate(style.values)}
        other = index.get("", -1)
        return np.array([index.get(str(v), other) if v is not None and v == v else other for v in values])
    x = pd.to_numeric(pd.Series(np.asarray(values)), errors="coerce").to_numpy(dtype=float)
    out = np.full(n, -1)
    for i, (lo, hi) in reversed(list(enumerate(style.values))):  # the first range that holds a value wins
        out[(x >= lo) & (x <= hi)] = i
    return out
