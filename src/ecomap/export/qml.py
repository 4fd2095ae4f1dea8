"""QGIS style documents (QML): symbols, renderers and labels for vectors, colour ramps for rasters.

Only the format lives here: which colours and classes a layer gets is decided in
:mod:`ecomap.export.styles` (vector layers) and :mod:`ecomap.corridors.outputs` (the
corridor model's GeoTIFFs). The documents are read by QGIS 3.22 (Debian bookworm) and
later: every symbol layer carries its properties both as ``<prop>`` (what 3.22 reads)
and as an ``<Option type="Map">`` (what 3.26 and later write).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: The DOCTYPE line QGIS writes at the top of a ``.qml`` file.
DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"

#: A CJK font Debian ships (``fonts-wqy-microhei``), so Chinese labels never draw as boxes.
LABEL_FONT = "WenQuanYi Micro Hei"


@dataclass(frozen=True)
class Symbol:
    """One QGIS symbol: a fill, line or marker drawn in one style.

    Parameters
    ----------
    kind : {"polygon", "line", "point"}
        The geometry it draws.
    colour : str
        ``#rrggbb``: the fill of a polygon or marker, the colour of a line.
    stroke : str, optional
        ``#rrggbb`` of a polygon's or marker's outline; None draws none.
    width : float, default 0.26
        Line width or outline width, in millimetres.
    opacity : float, default 1.0
        Opacity of the fill (polygon, marker) or of the line.
    dash : tuple of float, optional
        A dash pattern in millimetres (dash, gap, ...); None draws a solid line.
    size : float, default 2.4
        Marker diameter in millimetres.
    shape : str, default "circle"
        Marker shape (QGIS names: ``circle``, ``cross2``, ``triangle`` ...).
    width_expression : str, optional
        A QGIS expression giving the line width in millimetres per feature (a
        data-defined width), overriding ``width``.
    """

    kind: str
    colour: str
    stroke: str | None = None
    width: float = 0.26
    opacity: float = 1.0
    dash: tuple[float, ...] | None = None
    size: float = 2.4
    shape: str = "circle"
    width_expression: str | None = None


@dataclass(frozen=True)
class Labels:
    """Labels drawn from an expression, with a white halo.

    Parameters
    ----------
    expression : str
        The QGIS expression of the text, e.g. ``coalesce("name_zh", "name_en", "id")``.
    kind : {"polygon", "line", "point"}
        Where labels are placed: inside polygons, along lines, around points.
    size : float, default 9.0
        Font size in points.
    colour : str, default "#212121"
        Text colour.
    max_scale : float, optional
        Labels are drawn only when zoomed in closer than ``1:max_scale``.
    """

    expression: str
    kind: str
    size: float = 9.0
    colour: str = "#212121"
    max_scale: float | None = None


@dataclass(frozen=True)
class Style:
    """A vector layer's style: one symbol, categories of a value, or ranges of a number.

    Parameters
    ----------
    renderer : {"single", "categorized", "graduated"}
        The QGIS renderer (``singleSymbol``, ``categorizedSymbol``, ``graduatedSymbol``).
    symbols : sequence of Symbol
        One symbol for ``single``, one per class otherwise.
    attribute : str, default ""
        The field or expression classified.
    values : sequence, default ()
        ``categorized``: each class's value (``""`` for every other value);
        ``graduated``: each class's ``(lower, upper)`` bounds.
    class_labels : sequence of str, default ()
        The legend text of each class.
    labels : Labels, optional
        Feature labels; None draws none.
    """

    renderer: str
    symbols: Sequence[Symbol]
    attribute: str = ""
    values: Sequence = ()
    class_labels: Sequence[str] = ()
    labels: Labels | None = None


def rgba(hex_colour: str, opacity: float = 1.0) -> str:
    """``#rrggbb`` as QGIS writes colours: ``r,g,b,a`` with alpha 0-255.

    Parameters
    ----------
    hex_colour : str
        ``#rrggbb``.
    opacity : float, default 1.0
        0 (transparent) to 1 (opaque).

    Returns
    -------
    str
        For example ``"46,125,50,255"``.
    """
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{round(255 * opacity)}"


def _props(layer: ET.Element, props: Mapping[str, str]) -> None:
    opts = ET.SubElement(layer, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opts, "Option", type="QString", name=k, value=str(v))
    for k, v in props.items():
        ET.SubElement(layer, "prop", k=k, v=str(v))


def _data_defined(layer: ET.Element, prop: str, expression: str) -> None:
    dd = ET.SubElement(ET.SubElement(layer, "data_defined_properties"), "Option", type="Map")
    ET.SubElement(dd, "Option", type="QString", name="name", value="")
    props = ET.SubElement(dd, "Option", type="Map", name="properties")
    p = ET.SubElement(props, "Option", type="Map", name=prop)
    ET.SubElement(p, "Option", type="bool", name="active", value="true")
    ET.SubElement(p, "Option", type="QString", name="expression", value=expression)
    ET.SubElement(p, "Option", type="int", name="type", value="3")
    ET.SubElement(dd, "Option", type="QString", name="type", value="collection")


def _symbol_props(s: Symbol) -> tuple[str, dict]:
    dash = {"use_custom_dash": "1", "customdash": ";".join(f"{d:g}" for d in s.dash),
            "customdash_unit": "MM"} if s.dash else {"use_custom_dash": "0"}
    if s.kind == "polygon":
        return "SimpleFill", {
            "color": rgba(s.colour, s.opacity) if s.colour != "none" else "0,0,0,0",
            "style": "solid" if s.colour != "none" else "no",
            "outline_color": rgba(s.stroke) if s.stroke else "0,0,0,0",
            "outline_style": ("dash" if s.dash else "solid") if s.stroke else "no",
            "outline_width": f"{s.width:g}", "outline_width_unit": "MM", "joinstyle": "round",
        }
    if s.kind == "line":
        return "SimpleLine", {
            "line_color": rgba(s.colour, s.opacity), "line_width": f"{s.width:g}", "line_width_unit": "MM",
            "line_style": "solid", "capstyle": "flat", "joinstyle": "round", **dash,
        }
    return "SimpleMarker", {
        "name": s.shape, "color": rgba(s.colour, s.opacity), "size": f"{s.size:g}", "size_unit": "MM",
        "outline_color": rgba(s.stroke or s.colour), "outline_style": "solid",
        "outline_width": f"{s.width:g}", "outline_width_unit": "MM",
    }


def _symbol(parent: ET.Element, s: Symbol, name: str) -> None:
    kind = {"polygon": "fill", "line": "line", "point": "marker"}[s.kind]
    sym = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    cls, props = _symbol_props(s)
    layer = ET.SubElement(sym, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    _props(layer, props)
    if s.width_expression:
        _data_defined(layer, "outlineWidth", s.width_expression)


def _labeling(root: ET.Element, lab: Labels) -> None:
    root.set("labelsEnabled", "1")
    settings = ET.SubElement(ET.SubElement(root, "labeling", type="simple"), "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", fieldName=lab.expression, isExpression="1",
                          fontFamily=LABEL_FONT, fontSize=f"{lab.size:g}", fontSizeUnit="Point",
                          textColor=rgba(lab.colour), textOpacity="1", namedStyle="Regular",
                          fontWeight="50", fontItalic="0", multilineHeight="1")
    ET.SubElement(style, "text-buffer", bufferDraw="1", bufferSize="0.8", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.85", bufferJoinStyle="128",
                  bufferNoFill="1")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="3", autoWrapLength="0")
    # QgsPalLayerSettings::Placement: 1 over the point, 2 parallel to the line, 6 around the point
    placement = {"polygon": "1", "line": "2", "point": "6"}[lab.kind]
    ET.SubElement(settings, "placement", placement=placement, placementFlags="10", dist="1", distUnits="MM",
                  centroidInside="1", centroidWhole="0", fitInPolygonOnly="0", repeatDistance="0",
                  overrunDistance="0", priority="5")
    ET.SubElement(settings, "rendering", obstacle="1", displayAll="0", upsidedownLabels="0",
                  # QGIS reads scaleMax as the most zoomed-out scale (its minimumScale)
                  scaleVisibility="1" if lab.max_scale else "0", scaleMin="0",
                  scaleMax=f"{lab.max_scale or 0:g}", labelPerPart="0", mergeLines="1" if lab.kind == "line" else "0",
                  minFeatureSize="0", limitNumLabels="0", maxNumLabels="2000", fontLimitPixelSize="0")


def vector_qml(style: Style) -> str:
    """The QML document of a vector layer's style (symbology and labels).

    Parameters
    ----------
    style : Style
        The renderer, its symbols and classes, and the labels.

    Returns
    -------
    str
        The document, DOCTYPE line first, as QGIS stores it in ``layer_styles.styleQML``
        or a ``.qml`` file.

    Raises
    ------
    ValueError
        An unknown renderer, or classes and symbols of different lengths.
    """
    root = ET.Element("qgis", version="3.22.0", styleCategories="Symbology|Labeling", labelsEnabled="0")
    if style.renderer == "single":
        r = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0",
                          forceraster="0")
    elif style.renderer in ("categorized", "graduated"):
        if not (len(style.symbols) == len(style.values) == len(style.class_labels)):
            raise ValueError("one symbol, value and label per class")
        if style.renderer == "categorized":
            r = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=style.attribute,
                              symbollevels="0", enableorderby="0", forceraster="0")
            classes = ET.SubElement(r, "categories")
            for i, (v, lab) in enumerate(zip(style.values, style.class_labels, strict=True)):
                ET.SubElement(classes, "category", render="true", symbol=str(i), value=str(v), label=lab)
        else:
            r = ET.SubElement(root, "renderer-v2", type="graduatedSymbol", attr=style.attribute,
                              graduatedMethod="GraduatedColor", symbollevels="0", enableorderby="0",
                              forceraster="0")
            classes = ET.SubElement(r, "ranges")
            for i, ((lo, hi), lab) in enumerate(zip(style.values, style.class_labels, strict=True)):
                ET.SubElement(classes, "range", render="true", symbol=str(i), lower=f"{lo:.15g}",
                              upper=f"{hi:.15g}", label=lab)
            ET.SubElement(r, "classificationMethod", id="Quantile")
    else:
        raise ValueError(f"unknown renderer {style.renderer!r}")
    symbols = ET.SubElement(r, "symbols")
    for i, s in enumerate(style.symbols):
        _symbol(symbols, s, str(i))
    if style.labels is not None:
        _labeling(root, style.labels)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = "1"
    return DOCTYPE + ET.tostring(root, encoding="unicode")


def raster_qml(stops: Sequence[tuple[float, str, str]], *, clip: bool = False, opacity: float = 1.0) -> str:
    """The QML of a one-band raster drawn through a colour ramp (singleband pseudocolour).

    Colours are interpolated linearly between the stops, so a logarithmic ramp is given
    as stops spaced logarithmically. No-data cells are transparent.

    Parameters
    ----------
    stops : sequence of (float, str, str)
        ``(value, "#rrggbb", legend label)`` in increasing value; the labels carry the unit.
    clip : bool, default False
        Leave cells outside the stops' range undrawn (else they take the end colours).
    opacity : float, default 1.0
        The layer's opacity.

    Returns
    -------
    str
        The ``.qml`` document, DOCTYPE line first.

    Raises
    ------
    ValueError
        Fewer than two stops, or stops not in increasing value.
    """
    values = [float(v) for v, _, _ in stops]
    if len(values) < 2 or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError("a colour ramp needs two or more stops in increasing value")
    lo, hi = f"{values[0]:.9g}", f"{values[-1]:.9g}"
    root = ET.Element("qgis", version="3.22.0", styleCategories="Symbology")
    pipe = ET.SubElement(root, "pipe")
    r = ET.SubElement(pipe, "rasterrenderer", type="singlebandpseudocolor", band="1", opacity=f"{opacity:g}",
                      alphaBand="-1", classificationMin=lo, classificationMax=hi, nodataColor="")
    ET.SubElement(r, "rasterTransparency")
    mm = ET.SubElement(r, "minMaxOrigin")
    for tag, text in (("limits", "None"), ("extent", "WholeRaster"), ("statAccuracy", "Estimated"),
                      ("cumulativeCutLower", "0.02"), ("cumulativeCutUpper", "0.98"), ("stdDevFactor", "2")):
        ET.SubElement(mm, tag).text = text
    shader = ET.SubElement(ET.SubElement(r, "rastershader"), "colorrampshader", colorRampType="INTERPOLATED",
                           classificationMode="1", clip="1" if clip else "0", minimumValue=lo,
                           maximumValue=hi, labelPrecision="4")
    for v, colour, label in stops:
        ET.SubElement(shader, "item", alpha="255", value=f"{float(v):.9g}", label=label, color=colour)
    ET.SubElement(shader, "rampLegendSettings", minimumLabel="", maximumLabel="", prefix="", suffix="",
                  direction="0", useContinuousLegend="1", orientation="2")
    ET.SubElement(pipe, "brightnesscontrast", brightness="0", contrast="0", gamma="1")
    ET.SubElement(pipe, "huesaturation", saturation="0", grayscaleMode="0", colorizeOn="0",
                  colorizeRed="255", colorizeGreen="128", colorizeBlue="128", colorizeStrength="100")
    ET.SubElement(pipe, "rasterresampler", maxOversampling="2")
    ET.SubElement(root, "blendMode").text = "0"
    return DOCTYPE + ET.tostring(root, encoding="unicode")
