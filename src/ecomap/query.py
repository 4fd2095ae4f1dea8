"""Spatial queries: near a point, in a box or shape, inside a feature, nearest N, attribute filters.

Every question is answered in EPSG:4547 metres through the layer's STRtree
(``GeoDataFrame.sindex``): the index proposes candidates, a vectorized shapely
predicate decides. The answers are the same as a brute-force shapely check over every
feature; ``tests/test_query.py`` holds them to that.

The user's own coordinates (``point``, ``bbox``, ``intersects``) are longitude/latitude
in WGS-84 or, when ``input_crs="gcj02"``, in GCJ-02 (a coordinate copied from a Chinese
map app); they are converted explicitly, never guessed.

Attribute filters (``where``) are parsed by a small fixed grammar, never ``eval`` and
never ``DataFrame.query`` on the user's text::

    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | test
    test   := COLUMN OP VALUE | VALUE OP COLUMN
            | COLUMN ["not"] "in" "[" VALUE ("," VALUE)* "]"
            | COLUMN "is" ["not"] "null"
    OP     := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
    VALUE  := 'text' | "text" | number

Column names are checked against the layer catalogue (``ecomap.layers``) and values
against a column's type and allowed set. A comparison on an empty value is false.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import crs as _crs
from ._errors import InputError
from .layers import CATALOGUE

__all__ = [
    "MAX_WHERE_LENGTH",
    "Where",
    "parse_where",
    "where",
    "parse_lonlat",
    "parse_bbox",
    "parse_geometry",
    "user_point",
    "user_geometry",
    "footprint",
    "near",
    "in_bbox",
    "intersecting",
    "within",
    "nearest",
    "query",
    "format_result",
]

#: The longest ``where`` expression accepted, in characters.
MAX_WHERE_LENGTH = 1000
_MAX_DEPTH = 40

# --- coordinates given by the user --------------------------------------------------------
def parse_lonlat(text: str, *, option: str = "point") -> tuple[float, float]:
    """``"LON,LAT"`` as two floats; swapped or out-of-range values name the problem."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise InputError(f"{option} {text!r}: give LON,LAT (two numbers separated by a comma)")
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(f"{option} {text!r}: LON and LAT must be numbers") from None
    _check_lonlat(lon, lat, option=option, text=text)
    return lon, lat


def _check_lonlat(lon: float, lat: float, *, option: str, text: str) -> None:
    if not (np.isfinite(lon) and np.isfinite(lat)):
        raise InputError(f"{option} {text!r}: coordinates must be finite numbers")
    if abs(lat) > 90 and abs(lon) <= 90:
        raise InputError(f"{option} {text!r}: latitude {lat:g} is out of range; "
                         "the order is LON,LAT (longitude first)")
    if abs(lat) > 90 or abs(lon) > 180:
        raise InputError(f"{option} {text!r}: not a longitude/latitude in degrees")


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``"MINLON,MINLAT,MAXLON,MAXLAT"`` as four floats, checked for order and range."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 4:
        raise InputError(f"bbox {text!r}: give MINLON,MINLAT,MAXLON,MAXLAT (four numbers)")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts)
    except ValueError:
        raise InputError(f"bbox {text!r}: the four values must be numbers") from None
    _check_lonlat(x0, y0, option="bbox", text=text)
    _check_lonlat(x1, y1, option="bbox", text=text)
    if not (x0 < x1 and y0 < y1):
        raise InputError(f"bbox {text!r}: MINLON must be below MAXLON and MINLAT below MAXLAT")
    return x0, y0, x1, y1


def parse_geometry(text: str) -> shapely.Geometry:
    """A geometry given as WKT or as a GeoJSON file (FeatureCollection, Feature or geometry).

    Several features in a file are united into one geometry. The coordinates are returned
    as they are (longitude/latitude); :func:`user_geometry` converts them.
    """
    path = Path(text)
    looks_like_wkt = re.match(r"^\s*(MULTI)?(POINT|LINESTRING|POLYGON)|^\s*GEOMETRYCOLLECTION", text, re.I)
    if not looks_like_wkt:
        if not path.is_file():
            raise InputError(f"intersects {text!r}: neither a WKT geometry nor an existing GeoJSON file")
        try:
            obj = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not readable as GeoJSON: {exc}") from None
        geoms = _geojson_geometries(obj, path)
        if not geoms:
            raise InputError(f"{path}: holds no geometry")
        geom = shapely.union_all(geoms)
    else:
        try:
            geom = shapely.from_wkt(text)
        except shapely.errors.GEOSException as exc:
            raise InputError(f"intersects: not valid WKT: {str(exc).splitlines()[0]}") from None
    if geom is None or geom.is_empty:
        raise InputError(f"intersects {text[:60]!r}: the geometry is empty")
    if not geom.is_valid:
        raise InputError(f"intersects: invalid geometry: {shapely.is_valid_reason(geom)}")
    return geom


def _geojson_geometries(obj, path: Path) -> list[shapely.Geometry]:
    if not isinstance(obj, dict):
        raise InputError(f"{path}: not a GeoJSON object")
    kind = obj.get("type")
    try:
        if kind == "FeatureCollection":
            items = [f.get("geometry") for f in obj.get("features", []) if isinstance(f, dict)]
        elif kind == "Feature":
            items = [obj.get("geometry")]
        else:
            items = [obj]
        return [shapely.from_geojson(json.dumps(g)) for g in items if g]
    except (shapely.errors.GEOSException, TypeError, ValueError) as exc:
        raise InputError(f"{path}: not a GeoJSON geometry: {str(exc).splitlines()[0]}") from None


def _to_wgs84_lonlat(lon: np.ndarray, lat: np.ndarray, input_crs: str) -> tuple[np.ndarray, np.ndarray]:
    code = _crs.parse_crs(input_crs)
    if code == _crs.GCJ02:
        return _crs.gcj02_to_wgs84(lon, lat)
    if code != _crs.WGS84:
        raise InputError(f"query coordinates must be wgs84 or gcj02, not {input_crs!r}")
    return lon, lat


def _to_internal(geom: shapely.Geometry, input_crs: str) -> shapely.Geometry:
    tr = _crs._transformer(_crs.WGS84, _crs.INTERNAL)

    def xy(coords: np.ndarray) -> np.ndarray:
        lon, lat = _to_wgs84_lonlat(coords[:, 0], coords[:, 1], input_crs)
        x, y = tr.transform(lon, lat)
        return np.column_stack([x, y])

    return shapely.transform(geom, xy)


def user_point(point: tuple[float, float], *, input_crs: str = "wgs84") -> shapely.Point:
    """A user's (lon, lat) in ``input_crs`` (``wgs84`` or ``gcj02``) as a point in EPSG:4547."""
    lon, lat = (float(v) for v in point)
    _check_lonlat(lon, lat, option="point", text=f"{lon},{lat}")
    x, y = _crs.transform_point(lon, lat, source=input_crs)
    return shapely.Point(x, y)


def user_geometry(geom: shapely.Geometry, *, input_crs: str = "wgs84", segment_deg: float = 1e-4) -> shapely.Geometry:
    """A lon/lat geometry in ``input_crs`` in EPSG:4547; edges are first split every ``segment_deg``.

    Splitting the edges (1e-4 degrees is about 10 m) keeps a straight lon/lat edge where
    it is after projection, to well under a millimetre at district scale.
    """
    b = shapely.bounds(geom)
    if abs(b[1]) > 90 or abs(b[3]) > 90 or abs(b[0]) > 180 or abs(b[2]) > 180:
        raise InputError("the geometry's coordinates are not longitude/latitude degrees (is the order lon, lat?)")
    return _to_internal(shapely.segmentize(geom, segment_deg), input_crs)


# --- containers -----------------------------------------------------------------------------
def _frame(source, layer: str) -> gpd.GeoDataFrame:
    if isinstance(source, gpd.GeoDataFrame):
        return source
    try:
        return source[layer]
    except KeyError as exc:
        raise InputError(str(exc).strip("'\"")) from None


def footprint(source, ref: str) -> shapely.Geometry:
    """The area a feature covers, given as ``"LAYER:ID"`` (e.g. ``"corridors:C07"``), in EPSG:4547.

    A polygon is its own footprint; a corridor's is its centre line buffered by
    ``width_m / 2`` (as the catalogue defines it). Other lines and points have no area.
    """
    if ":" not in ref:
        raise InputError(f"within {ref!r}: give LAYER:ID, e.g. corridors:C07")
    layer, fid = (s.strip() for s in ref.split(":", 1))
    if isinstance(source, gpd.GeoDataFrame):
        raise InputError("within LAYER:ID needs the whole network, not a single layer")
    gdf = _frame(source, layer)
    if fid not in gdf.index:
        known = ", ".join(map(str, gdf.index[:20]))
        more = " ..." if len(gdf) > 20 else ""
        raise InputError(f"within {ref!r}: layer {layer} has no feature {fid!r} (ids: {known or 'none'}{more})")
    geom = gdf.geometry.loc[fid]
    dim = shapely.get_dimensions(geom)
    if dim == 2:
        return geom
    if layer == "corridors" and dim == 1:
        width = float(gdf.loc[fid, "width_m"])
        if not np.isfinite(width) or width <= 0:
            raise InputError(f"within {ref!r}: corridor has no width_m, so no footprint")
        return geom.buffer(width / 2.0)
    raise InputError(f"within {ref!r}: a {geom.geom_type} covers no area; "
                     "use a polygon layer or a corridor (buffered by its width)")


# --- the attribute grammar ----------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|<|>|=)
  | (?P<punct>[()\[\],])
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null"}
_OPS = {
    "==": operator.eq, "=": operator.eq, "!=": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_FLIP = {"==": "==", "=": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class _Tok:
    kind: str  # str, num, name, kw, op, punct, end
    value: object
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise InputError(f"where: unexpected character {text[i]!r} at position {i + 1}; "
                             "allowed are column names, quoted text, numbers, comparisons, "
                             "and/or/not, in [...], is null, parentheses")
        kind = m.lastgroup
        raw = m.group()
        if kind == "str":
            toks.append(_Tok("str", re.sub(r"\\(.)", r"\1", raw[1:-1]), i))
        elif kind == "num":
            toks.append(_Tok("num", float(raw), i))
        elif kind == "name":
            low = raw.lower()
            toks.append(_Tok("kw", low, i) if low in _KEYWORDS else _Tok("name", raw, i))
        elif kind in {"op", "punct"}:
            toks.append(_Tok(kind, raw, i))
        i = m.end()
    toks.append(_Tok("end", None, len(text)))
    return toks


@dataclass(frozen=True)
class _ColType:
    kind: str  # "text", "number" or "date"
    allowed: tuple[str, ...] | None = None


def _column_types(layer: str | None, frame: pd.DataFrame | None) -> dict[str, _ColType]:
    if layer in CATALOGUE:
        types = {"id": _ColType("text")}
        for c in CATALOGUE[layer].columns:
            kind = {"float": "number", "int": "number", "date": "date"}.get(c.dtype, "text")
            types[c.name] = _ColType(kind, c.allowed)
        return types
    if frame is None:
        raise InputError(f"where: unknown layer {layer!r}")
    types = {"id": _ColType("text")} if frame.index.name == "id" else {}
    for name in frame.columns:
        if name == getattr(frame, "_geometry_column_name", None):
            continue
        kind = "number" if pd.api.types.is_numeric_dtype(frame[name]) else "text"
        types[str(name)] = _ColType(kind)
    return types


class _Parser:
    def __init__(self, text: str, types: dict[str, _ColType], layer: str | None):
        self.toks = _tokenize(text)
        self.i = 0
        self.types = types
        self.layer = layer
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def fail(self, tok: _Tok, what: str):
        shown = "the end" if tok.kind == "end" else repr(tok.value) if tok.kind == "str" else f"{tok.value!s}"
        raise InputError(f"where: expected {what} at position {tok.pos + 1}, found {shown}")

    def is_kw(self, word: str) -> bool:
        t = self.peek()
        return t.kind == "kw" and t.value == word

    def expect_punct(self, p: str) -> None:
        t = self.take()
        if t.kind != "punct" or t.value != p:
            self.fail(t, f"'{p}'")

    def parse(self):
        node = self.expr()
        t = self.peek()
        if t.kind != "end":
            self.fail(t, "'and', 'or' or the end")
        return node

    def expr(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise InputError(f"where: nested more than {_MAX_DEPTH} levels deep")
        node = self.term()
        while self.is_kw("or"):
            self.take()
            node = ("or", node, self.term())
        self.depth -= 1
        return node

    def term(self):
        node = self.factor()
        while self.is_kw("and"):
            self.take()
            node = ("and", node, self.factor())
        return node

    def factor(self):
        t = self.peek()
        if t.kind == "kw" and t.value == "not":
            self.take()
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise InputError(f"where: nested more than {_MAX_DEPTH} levels deep")
            node = ("not", self.factor())
            self.depth -= 1
            return node
        if t.kind == "punct" and t.value == "(":
            self.take()
            node = self.expr()
            self.expect_punct(")")
            return node
        return self.test()

    def column(self, tok: _Tok) -> str:
        name = str(tok.value)
        if name not in self.types:
            where = f" of layer {self.layer}" if self.layer else ""
            raise InputError(f"where: unknown column {name!r}{where}; columns are: {', '.join(self.types)}")
        return name

    def value(self) -> _Tok:
        t = self.take()
        if t.kind not in {"str", "num"}:
            self.fail(t, "a quoted text or a number")
        return t

    def test(self):
        t = self.take()
        if t.kind == "name":
            col = self.column(t)
            nxt = self.peek()
            if nxt.kind == "kw" and nxt.value == "is":
                self.take()
                negate = False
                if self.is_kw("not"):
                    self.take()
                    negate = True
                end = self.take()
                if not (end.kind == "kw" and end.value == "null"):
                    self.fail(end, "'null'")
                return ("null", col, negate)
            if nxt.kind == "kw" and nxt.value in {"in", "not"}:
                self.take()
                negate = nxt.value == "not"
                if negate:
                    t2 = self.take()
                    if not (t2.kind == "kw" and t2.value == "in"):
                        self.fail(t2, "'in'")
                return self.in_list(col, negate)
            op = self.take()
            if op.kind != "op":
                self.fail(op, "a comparison (== != < <= > >=), 'in' or 'is null'")
            if self.is_kw("null"):
                self.fail(self.peek(), "a value (write 'is null' to test for an empty value)")
            val = self.peek()
            if val.kind == "name":
                self.fail(val, "a quoted text or a number (compare a column with a value, not a column)")
            return self.compare(col, str(op.value), self.value())
        if t.kind in {"str", "num"}:
            op = self.take()
            if op.kind != "op":
                self.fail(op, "a comparison (== != < <= > >=)")
            c = self.take()
            if c.kind != "name":
                self.fail(c, "a column name")
            return self.compare(self.column(c), _FLIP[str(op.value)], t)
        self.fail(t, "a column name, 'not' or '('")

    def in_list(self, col: str, negate: bool):
        open_ = self.take()
        if not (open_.kind == "punct" and open_.value in "[("):
            self.fail(open_, "'['")
        close = "]" if open_.value == "[" else ")"
        values = [self.check(col, "==", self.value())]
        while self.peek().kind == "punct" and self.peek().value == ",":
            self.take()
            values.append(self.check(col, "==", self.value()))
        self.expect_punct(close)
        return ("in", col, tuple(values), negate)

    def compare(self, col: str, op: str, tok: _Tok):
        return ("cmp", col, op, self.check(col, op, tok))

    def check(self, col: str, op: str, tok: _Tok):
        ct = self.types[col]
        if ct.kind == "number":
            if tok.kind != "num":
                raise InputError(f"where: {col} is a number; compare it with a number, not {tok.value!r}")
            return float(tok.value)
        if tok.kind != "str":
            raise InputError(f"where: {col} is text; put the value in quotes, e.g. {col} == '{tok.value:g}'")
        text = str(tok.value)
        if ct.kind == "date" and not _DATE.match(text):
            raise InputError(f"where: {col} is a date; compare it with 'YYYY-MM-DD', not {text!r}")
        if ct.allowed is not None and op in {"==", "=", "!="} and text not in ct.allowed:
            raise InputError(f"where: {col} {text!r} is not one of {', '.join(ct.allowed)}")
        return text


@dataclass(frozen=True)
class Where:
    """A parsed attribute filter; ``mask(frame)`` evaluates it, vectorized."""

    text: str
    tree: tuple
    types: Mapping[str, _ColType]

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean array: which rows of ``frame`` the expression holds for."""
        return np.asarray(_evaluate(self.tree, frame, self.types), dtype=bool)

    @property
    def columns(self) -> set[str]:
        out: set[str] = set()

        def walk(node):
            if node[0] in {"and", "or"}:
                walk(node[1])
                walk(node[2])
            elif node[0] == "not":
                walk(node[1])
            else:
                out.add(node[1])

        walk(self.tree)
        return out


def parse_where(text: str, *, layer: str | None = None, frame: pd.DataFrame | None = None) -> Where:
    """Parse an attribute filter such as ``status == 'built' and host in ['well', 'pool']``.

    Parameters
    ----------
    text
        The expression (grammar in the module docstring), at most ``MAX_WHERE_LENGTH``
        characters.
    layer
        A catalogue layer: its columns (and ``id``) are the names the expression may use.
    frame
        For frames outside the catalogue (analysis results): their own columns are used.

    Raises
    ------
    InputError
        Anything outside the grammar, an unknown column (naming the allowed ones), a value
        of the wrong type or outside a column's allowed set.
    """
    if not isinstance(text, str):
        raise InputError("where: the expression must be text")
    if len(text) > MAX_WHERE_LENGTH:
        raise InputError(f"where: the expression is {len(text)} characters long; at most {MAX_WHERE_LENGTH}")
    if not text.strip():
        raise InputError("where: the expression is empty")
    types = _column_types(layer, frame)
    tree = _Parser(text, types, layer).parse()
    return Where(text, tree, types)


def _column_values(frame: pd.DataFrame, col: str) -> pd.Series:
    if col == "id" and "id" not in frame.columns:
        return pd.Series(frame.index.astype(str), index=frame.index)
    if col not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[col]


def _evaluate(node, frame: pd.DataFrame, types: Mapping[str, _ColType]) -> np.ndarray:
    kind = node[0]
    if kind == "and":
        return _evaluate(node[1], frame, types) & _evaluate(node[2], frame, types)
    if kind == "or":
        return _evaluate(node[1], frame, types) | _evaluate(node[2], frame, types)
    if kind == "not":
        return ~_evaluate(node[1], frame, types)
    col = node[1]
    s = _column_values(frame, col)
    if types[col].kind == "number":
        vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
        present = ~np.isnan(vals)
        if kind == "null":
            return present if node[2] else ~present
        if kind == "in":
            hit = np.isin(vals, np.asarray(node[2], dtype=float)) & present
            return (present & ~hit) if node[3] else hit
        with np.errstate(invalid="ignore"):
            return np.asarray(_OPS[node[2]](vals, node[3]), dtype=bool) & present
    if types[col].kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
        days = s.to_numpy(dtype="datetime64[D]")  # GDAL reads ISO dates as dates
        present = ~np.isnat(days)
        if kind == "null":
            return present if node[2] else ~present
        if kind == "in":
            hit = np.isin(days, np.asarray(node[2], dtype="datetime64[D]")) & present
            return (present & ~hit) if node[3] else hit
        return np.asarray(_OPS[node[2]](days, np.datetime64(node[3], "D")), dtype=bool) & present
    # pandas' string dtype: vectorized comparisons, missing values stay missing (-> false)
    text = s.astype("string")
    present = (text.str.strip() != "").fillna(False).to_numpy(dtype=bool)
    if kind == "null":
        return present if node[2] else ~present
    if kind == "in":
        hit = text.isin(list(node[2])).fillna(False).to_numpy(dtype=bool) & present
        return (present & ~hit) if node[3] else hit
    res = _OPS[node[2]](text, node[3])
    return res.fillna(False).to_numpy(dtype=bool) & present


def where(source, layer: str, expr: str | Where) -> gpd.GeoDataFrame:
    """The features of ``layer`` for which the attribute filter ``expr`` holds.

    >>> where(net, "bridges", "status == 'built' and host == 'well'")  # doctest: +SKIP
    """
    gdf = _frame(source, layer)
    w = expr if isinstance(expr, Where) else parse_where(expr, layer=layer, frame=gdf)
    return gdf[w.mask(gdf)]


# --- the spatial core: positions into a layer --------------------------------------------
def _geoms(gdf: gpd.GeoDataFrame, pos: np.ndarray | None = None) -> np.ndarray:
    arr = gdf.geometry.values
    return np.asarray(arr if pos is None else arr[pos])


def _near_pos(gdf: gpd.GeoDataFrame, pt: shapely.Point, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions with ``distance(feature, pt) <= radius`` (sorted), and those distances."""
    if len(gdf) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0)
    pad = radius * 1e-9 + 1e-6  # the index may round; the exact test below decides
    cand = np.sort(gdf.sindex.query(pt, predicate="dwithin", distance=radius + pad))
    d = shapely.distance(_geoms(gdf, cand), pt)
    keep = d <= radius
    return cand[keep], d[keep]


def _point_xy(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """x and y of a layer made only of points, kept beside its spatial index (and dropped
    with it when the geometries change); None for any other layer."""
    tree = gdf.sindex
    cached = getattr(tree, "_ecomap_xy", False)
    if cached is False:
        geoms = _geoms(gdf)
        cached = None
        if len(geoms) and (shapely.get_type_id(geoms) == 0).all():
            cached = (shapely.get_x(geoms), shapely.get_y(geoms))
        try:
            tree._ecomap_xy = cached
        except AttributeError:  # an index class that takes no attributes: compute each time
            pass
    return cached


def _cells_for(n: int) -> int:
    """Grid cells for :func:`_candidates`: none below 20,000 features (the envelope alone is
    cheaper there, as measured in ``benchmarks/bench_query.py``), then more for bigger
    layers (testing a cell costs about what testing a few features does):
    ``n ** (2/3) / 8``, at most 1024."""
    return 0 if n < 20_000 else int(np.clip(n ** (2.0 / 3.0) / 8.0, 16, 1024))


def _candidates(gdf: gpd.GeoDataFrame, area: shapely.Geometry, *, cells: int | None = None) -> np.ndarray:
    """Sorted positions of the features whose envelope meets ``area``'s, a superset of every hit.

    A long, thin shape (a diagonal corridor) has an envelope far larger than itself, so
    its envelope is cut into about ``cells`` square cells; only the cells that touch the
    shape ask the index. Cells are closed and padded by a micrometre, so a feature that
    touches the shape always lies in some cell that is asked.
    """
    cells = _cells_for(len(gdf)) if cells is None else cells
    x0, y0, x1, y1 = shapely.bounds(area)
    w, h = x1 - x0, y1 - y0
    eps = 1e-6 + 1e-12 * max(abs(x0), abs(y0), abs(x1), abs(y1))
    tree = gdf.sindex
    if cells < 1 or w * h <= 0 or shapely.area(area) >= 0.5 * w * h:
        return np.sort(tree.query(shapely.box(x0 - eps, y0 - eps, x1 + eps, y1 + eps)))
    size = float(np.sqrt(w * h / cells))
    nx, ny = max(1, int(np.ceil(w / size))), max(1, int(np.ceil(h / size)))
    gx, gy = np.meshgrid(x0 + size * np.arange(nx), y0 + size * np.arange(ny))
    gx, gy = gx.ravel(), gy.ravel()
    boxes = shapely.box(gx - eps, gy - eps, np.minimum(gx + size, x1) + eps, np.minimum(gy + size, y1) + eps)
    shapely.prepare(area)
    boxes = boxes[shapely.intersects(area, boxes)]
    if len(boxes) == 0:
        return np.empty(0, dtype=np.intp)
    return np.unique(tree.query(boxes)[1])


def _pos_intersecting(gdf: gpd.GeoDataFrame, geom: shapely.Geometry) -> np.ndarray:
    if len(gdf) == 0:
        return np.empty(0, dtype=np.intp)
    cand = _candidates(gdf, geom)
    shapely.prepare(geom)
    xy = _point_xy(gdf)
    if xy is not None:  # a point intersects where it lies: test coordinates, no objects
        return cand[shapely.intersects_xy(geom, xy[0][cand], xy[1][cand])]
    return cand[shapely.intersects(geom, _geoms(gdf, cand))]


def _within_pos(gdf: gpd.GeoDataFrame, area: shapely.Geometry):
    """Features inside ``area``: points it covers, lines/polygons with a part of positive
    length/area inside; returns positions, clipped geometries and the measures."""
    if len(gdf) == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=object), {}
    cand = _candidates(gdf, area)
    xy = _point_xy(gdf)
    if xy is not None:  # a point layer: covered = intersects for a point, tested on coordinates
        shapely.prepare(area)
        pos = cand[shapely.intersects_xy(area, xy[0][cand], xy[1][cand])]
        return pos, _geoms(gdf, pos), {}
    geoms = _geoms(gdf, cand)
    dims = shapely.get_dimensions(geoms)
    pts = dims == 0
    # for a point, "intersects" is "covers" (its closure is itself), and GEOS's prepared
    # intersects is the faster point-in-polygon test
    if pts.all():
        keep = shapely.intersects(area, geoms)
        return cand[keep], geoms[keep], {}
    keep = np.zeros(len(cand), dtype=bool)
    clipped = geoms.copy()
    keep[pts] = shapely.intersects(area, geoms[pts])
    other = ~pts
    if other.any():
        clipped[other] = shapely.intersection(geoms[other], area)
    length = np.full(len(cand), np.nan)
    clipped_length = np.full(len(cand), np.nan)
    area_m2 = np.full(len(cand), np.nan)
    clipped_area = np.full(len(cand), np.nan)
    lines = dims == 1
    if lines.any():
        length[lines] = shapely.length(geoms[lines])
        clipped_length[lines] = shapely.length(clipped[lines])
        keep[lines] = clipped_length[lines] > 0
    polys = dims == 2
    if polys.any():
        area_m2[polys] = shapely.area(geoms[polys])
        clipped_area[polys] = shapely.area(clipped[polys])
        keep[polys] = clipped_area[polys] > 0
    measures = {}
    if lines.any():
        measures["length_m"] = length[keep]
        measures["clipped_length_m"] = clipped_length[keep]
    if polys.any():
        measures["area_m2"] = area_m2[keep]
        measures["clipped_area_m2"] = clipped_area[keep]
    return cand[keep], clipped[keep], measures


def _nearest_pos(gdf: gpd.GeoDataFrame, pt: shapely.Point, n: int, allowed: np.ndarray | None):
    """The ``n`` features closest to ``pt`` among ``allowed`` positions (all if None).

    Ties are broken by id. The search asks the index for everything within a radius
    that starts at the nearest feature's distance and doubles until ``n`` allowed
    features lie inside it; those are then the ``n`` nearest of all.
    """
    total = len(gdf) if allowed is None else len(allowed)
    k = min(int(n), total)
    if k <= 0:
        return np.empty(0, dtype=np.intp), np.empty(0)
    _, d0 = gdf.sindex.nearest(pt, return_all=False, return_distance=True)
    r = max(float(d0[0]), 1.0)
    while True:
        cand = gdf.sindex.query(pt, predicate="dwithin", distance=r * (1 + 1e-9) + 1e-6)
        if allowed is not None:
            cand = cand[np.isin(cand, allowed, assume_unique=True)]
        d = shapely.distance(_geoms(gdf, cand), pt)
        inside = d <= r
        if inside.sum() >= k or len(cand) >= total:
            break
        r *= 2.0
    if inside.sum() >= k:
        cand, d = cand[inside], d[inside]
    order = np.lexsort((np.asarray(gdf.index[cand].astype(str), dtype=object), d))[:k]
    return cand[order], d[order]


# --- the public verbs ----------------------------------------------------------------------
def _result(gdf: gpd.GeoDataFrame, pos: np.ndarray, extra: Mapping[str, np.ndarray],
            geometry: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Rows ``pos`` of ``gdf`` with extra columns; nearest first (ties by id) when there is
    a ``distance_m``, else in layer order. One ``take``, as it is the costly part."""
    if "distance_m" in extra and len(pos) > 1:
        order = np.lexsort((np.asarray(gdf.index[pos].astype(str), dtype=object), extra["distance_m"]))
        pos = pos[order]
        extra = {k: v[order] for k, v in extra.items()}
        geometry = None if geometry is None else geometry[order]
    out = gdf.iloc[pos].copy()
    for name, values in extra.items():
        out[name] = values
    if geometry is not None:
        out[out.geometry.name] = gpd.GeoSeries(geometry, index=out.index, crs=gdf.crs)
    return out


def near(source, layer: str, point: tuple[float, float], *, radius_m: float,
         input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """Features of ``layer`` within ``radius_m`` metres of a point, nearest first.

    Distance is measured in EPSG:4547 (metres), never in degrees; a feature exactly
    ``radius_m`` away is included. Adds ``distance_m``.

    Parameters
    ----------
    source
        A Network (or mapping of layers), or a single GeoDataFrame in EPSG:4547.
    layer
        The layer's name.
    point
        (lon, lat) in ``input_crs``.
    radius_m
        Search radius in metres (>= 0).
    input_crs
        ``wgs84`` (default) or ``gcj02``.
    """
    if not np.isfinite(radius_m) or radius_m < 0:
        raise InputError(f"radius {radius_m!r}: must be a distance in metres, >= 0")
    gdf = _frame(source, layer)
    pos, d = _near_pos(gdf, user_point(point, input_crs=input_crs), float(radius_m))
    return _result(gdf, pos, {"distance_m": d})


def in_bbox(source, layer: str, bbox: tuple[float, float, float, float], *,
            input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """Features of ``layer`` that intersect a lon/lat box (MINLON, MINLAT, MAXLON, MAXLAT).

    The box's edges are densified before projection, so it is the lon/lat rectangle.
    """
    gdf = _frame(source, layer)
    box = user_geometry(shapely.box(*bbox), input_crs=input_crs)
    return _result(gdf, _pos_intersecting(gdf, box), {})


def intersecting(source, layer: str, geometry: shapely.Geometry | str, *,
                 input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """Features of ``layer`` that intersect a lon/lat geometry (shapely, WKT or a GeoJSON file)."""
    gdf = _frame(source, layer)
    geom = parse_geometry(geometry) if isinstance(geometry, str) else geometry
    return _result(gdf, _pos_intersecting(gdf, user_geometry(geom, input_crs=input_crs)), {})


def within(source, layer: str, ref: str) -> gpd.GeoDataFrame:
    """Features of ``layer`` inside another feature's footprint, ``ref = "LAYER:ID"``.

    Points count when the footprint covers them (its edge included). Lines and polygons
    count when a part of positive length or area lies inside; their geometry is clipped
    to the footprint and ``length_m``/``clipped_length_m`` (or ``area_m2``/
    ``clipped_area_m2``) are added.

    >>> within(net, "bridges", "corridors:C07")  # doctest: +SKIP
    """
    gdf = _frame(source, layer)
    pos, clipped, measures = _within_pos(gdf, footprint(source, ref))
    return _result(gdf, pos, measures, clipped)


def nearest(source, layer: str, point: tuple[float, float], *, n: int = 1,
            input_crs: str = "wgs84") -> gpd.GeoDataFrame:
    """The ``n`` features of ``layer`` closest to a point, with ``distance_m`` (ties by id)."""
    if int(n) < 1:
        raise InputError(f"nearest {n!r}: must be 1 or more")
    gdf = _frame(source, layer)
    pos, d = _nearest_pos(gdf, user_point(point, input_crs=input_crs), int(n), None)
    return _result(gdf, pos, {"distance_m": d})


def query(
    source,
    layer: str,
    *,
    near: tuple[float, float] | None = None,
    radius_m: float | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    intersects: shapely.Geometry | str | None = None,
    within: str | None = None,
    nearest: int | None = None,
    to: tuple[float, float] | None = None,
    where: str | Where | None = None,
    input_crs: str = "wgs84",
) -> gpd.GeoDataFrame:
    """Any combination of the questions above, all of which must hold (AND).

    ``nearest`` ranks last: it picks the N closest to ``to`` (or to ``near``) among the
    features every other condition keeps. The result carries ``distance_m`` when a point
    is involved and the clipped measures of :func:`within`; it is sorted by distance when
    there is one, else in layer order.

    Raises
    ------
    InputError
        For a missing companion option (``near`` without ``radius_m``, ``nearest``
        without a point), bad coordinates, an unknown ``LAYER:ID`` or a bad ``where``.
    """
    gdf = _frame(source, layer)
    catalogue_layer = layer if layer in CATALOGUE else None
    w = None
    if where is not None:
        w = where if isinstance(where, Where) else parse_where(
            where, layer=catalogue_layer, frame=None if catalogue_layer else gdf)
    if (near is None) != (radius_m is None):
        raise InputError("--near needs --radius (metres), and --radius needs --near")
    if radius_m is not None and (not np.isfinite(radius_m) or radius_m < 0):
        raise InputError(f"radius {radius_m!r}: must be a distance in metres, >= 0")
    if nearest is not None:
        if int(nearest) < 1:
            raise InputError(f"nearest {nearest!r}: must be 1 or more")
        if to is None and near is None:
            raise InputError("--nearest needs --to LON,LAT (or --near)")
        if to is not None and near is not None and tuple(map(float, to)) != tuple(map(float, near)):
            raise InputError("--nearest --to and --near must name the same point (or give only one)")
    elif to is not None:
        raise InputError("--to goes with --nearest N")

    pos: np.ndarray | None = None  # None = every feature
    extra: dict[str, np.ndarray] = {}
    clipped = None

    def narrow(new_pos: np.ndarray, new_extra: Mapping[str, np.ndarray], new_geom=None) -> None:
        nonlocal pos, extra, clipped
        if pos is None:
            keep_old = None
            pos, keep_new = new_pos, np.arange(len(new_pos))
        else:
            pos, keep_old, keep_new = np.intersect1d(pos, new_pos, assume_unique=True, return_indices=True)
        if keep_old is not None:
            extra = {k: v[keep_old] for k, v in extra.items()}
            clipped = None if clipped is None else clipped[keep_old]
        extra.update({k: v[keep_new] for k, v in new_extra.items()})
        if new_geom is not None:
            clipped = new_geom[keep_new]

    point = None
    if near is not None:
        point = user_point(near, input_crs=input_crs)
        p, d = _near_pos(gdf, point, float(radius_m))
        narrow(p, {"distance_m": d})
    if bbox is not None:
        narrow(_pos_intersecting(gdf, user_geometry(shapely.box(*bbox), input_crs=input_crs)), {})
    if intersects is not None:
        geom = parse_geometry(intersects) if isinstance(intersects, str) else intersects
        narrow(_pos_intersecting(gdf, user_geometry(geom, input_crs=input_crs)), {})
    if within is not None:
        p, g, m = _within_pos(gdf, footprint(source, within))
        narrow(p, m, g)
    if w is not None:
        sub = gdf if pos is None else gdf.iloc[pos]
        mask = w.mask(sub)
        narrow((np.arange(len(gdf)) if pos is None else pos)[mask], {})
    if nearest is not None:
        target = user_point(to, input_crs=input_crs) if to is not None else point
        p, d = _nearest_pos(gdf, target, int(nearest), pos)
        order = np.argsort(p)
        narrow(p[order], {"distance_m": d[order]})
    if pos is None:
        pos = np.arange(len(gdf))
    return _result(gdf, pos, extra, clipped)


# --- output ------------------------------------------------------------------------------------
_MEASURES = ("distance_m", "length_m", "clipped_length_m", "area_m2", "clipped_area_m2")
_COMMON = {"name_zh", "name_en", "source", "confidence"}


def _records(result: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """The result as a plain table: id, lon/lat for points, attributes, measures (WGS-84)."""
    from .export import prepare

    frame = prepare(result, layer if layer in CATALOGUE else None)
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if len(frame) and set(frame.geom_type.dropna()) <= {"Point"}:
        pos = 1 if "id" in table.columns else 0
        table.insert(pos, "lon", shapely.get_x(frame.geometry.values))
        table.insert(pos + 1, "lat", shapely.get_y(frame.geometry.values))
    measures = [c for c in _MEASURES if c in table.columns]
    table = table[[c for c in table.columns if c not in measures] + measures]
    for c in measures:
        table[c] = table[c].round(2)
    return table


def format_result(result: gpd.GeoDataFrame, layer: str, *, fmt: str = "table") -> str:
    """A query result as text: ``table`` (for people), ``geojson``, ``csv`` or ``json``.

    ``geojson`` is an RFC 7946 FeatureCollection (WGS-84, 7 decimals); ``csv`` and
    ``json`` hold the attributes, the measures and, for points, ``lon``/``lat``.
    """
    if fmt == "geojson":
        from .export import prepare

        frame = prepare(result, layer if layer in CATALOGUE else None)
        return frame.to_json(na="null", drop_id=True, ensure_ascii=False) + "\n"
    table = _records(result, layer)
    if fmt == "csv":
        return table.to_csv(index=False)
    if fmt == "json":
        rows = json.loads(table.to_json(orient="records", force_ascii=False))
        return json.dumps({"layer": layer, "count": len(table), "features": rows}, ensure_ascii=False, indent=1) + "\n"
    if fmt != "table":
        raise InputError(f"unknown format {fmt!r}; use table, geojson, csv or json")
    if table.empty:
        return f"no {layer} feature matches\n"
    spec = CATALOGUE.get(layer)
    keep = ["id"] if "id" in table.columns else []
    keep += [c for c in ("lon", "lat") if c in table.columns]
    if spec is not None:
        keep += [c.name for c in spec.columns if c.name not in _COMMON]
        if "name_en" in table.columns and table["name_en"].notna().any():
            keep.append("name_en")
    else:
        keep += [c for c in table.columns if c not in keep and c not in _MEASURES]
    keep += [c for c in _MEASURES if c in table.columns]
    shown = table[[c for c in keep if c in table.columns]].copy()
    for c in shown.columns:
        if shown[c].dtype == object:
            shown[c] = shown[c].where(shown[c].notna(), "")
    for c in ("lon", "lat"):
        if c in shown:
            shown[c] = shown[c].map(lambda v: f"{v:.6f}")
    text = shown.to_string(index=False, na_rep="")
    noun = "feature" if len(table) == 1 else "features"
    return f"{text}\n{len(table)} {layer} {noun}\n"
