"""Attribute filters (``--where``): tokenizer, parser and vectorized evaluation.

The user's text is parsed by a small fixed grammar, never ``eval`` and never
``DataFrame.query``::

    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | test
    test   := COLUMN OP VALUE | VALUE OP COLUMN
            | COLUMN ["not"] "in" "[" VALUE ("," VALUE)* "]"
            | COLUMN "is" ["not"] "null"
    OP     := "==" | "=" | "!=" | "<" | "<=" | ">" | ">="
    VALUE  := 'text' | "text" | ‘text’ | “text” | number

The curly quotes a Chinese keyboard types (“ ” ‘ ’, either of a pair opening or closing)
quote text like the straight ones; inside a quoted text every character, a curly quote
included, is taken as it is.

Column names are checked against the layer catalogue (``ecomap.layers``) and values
against a column's type and allowed set. A comparison on an empty value is false.

The file is called ``filters`` rather than ``where`` so that the package's re-exported
function :func:`ecomap.query.where` does not share its dotted name with a module.
"""

from __future__ import annotations

import datetime as _dt
import operator
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import InputError
from ..layers import CATALOGUE
from ._common import _frame

__all__ = ["MAX_WHERE_LENGTH", "Where", "parse_where", "where"]

#: The longest ``where`` expression accepted, in characters.
MAX_WHERE_LENGTH = 1000
_MAX_DEPTH = 40

# --- tokens -------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"
       |[\u201c\u201d](?:[^\u201c\u201d\\]|\\.)*[\u201c\u201d]|[\u2018\u2019](?:[^\u2018\u2019\\]|\\.)*[\u2018\u2019])
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


class _Tok(NamedTuple):  # named tuples: a frozen dataclass costs ~0.5 ms to define, on every query
    kind: str  # str, num, name, kw, op, punct, end
    value: object
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    """Split ``text`` into tokens, whitespace dropped, ending with an ``end`` token."""
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


# --- column types -------------------------------------------------------------------------
class _ColType(NamedTuple):
    kind: str  # "text", "number" or "date"
    allowed: tuple[str, ...] | None = None


def _column_types(layer: str | None, frame: pd.DataFrame | None) -> dict[str, _ColType]:
    """Return the names an expression may use and their types (the catalogue's, else the frame's)."""
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


# --- the parser: one method per rule of the grammar ---------------------------------------
class _Parser:
    """Recursive descent over the tokens; builds a tree of tuples.

    Nodes: ``("or"|"and", left, right)``, ``("not", node)``, ``("cmp", col, op, value)``,
    ``("in", col, values, negate)``, ``("null", col, negate)``.
    """

    def __init__(self, text: str, types: dict[str, _ColType], layer: str | None):
        self.toks = _tokenize(text)
        self.i = 0
        self.types = types
        self.layer = layer
        self.depth = 0

    # token handling
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

    def expect_kw(self, word: str) -> None:
        t = self.take()
        if not (t.kind == "kw" and t.value == word):
            self.fail(t, f"'{word}'")

    def expect_punct(self, p: str) -> None:
        t = self.take()
        if t.kind != "punct" or t.value != p:
            self.fail(t, f"'{p}'")

    @contextmanager
    def nested(self) -> Iterator[None]:
        """Go one level deeper (a bracket or a ``not``); refuse more than ``_MAX_DEPTH``."""
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise InputError(f"where: nested more than {_MAX_DEPTH} levels deep")
        yield
        self.depth -= 1

    # expr, term, factor
    def parse(self):
        node = self.expr()
        t = self.peek()
        if t.kind != "end":
            self.fail(t, "'and', 'or' or the end")
        return node

    def expr(self):
        with self.nested():
            node = self.term()
            while self.is_kw("or"):
                self.take()
                node = ("or", node, self.term())
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
            with self.nested():
                node = ("not", self.factor())
            return node
        if t.kind == "punct" and t.value == "(":
            self.take()
            node = self.expr()
            self.expect_punct(")")
            return node
        return self.test()

    # test: the four shapes of a single condition
    def test(self):
        t = self.take()
        if t.kind == "name":
            return self.column_test(self.column(t))
        if t.kind in {"str", "num"}:
            return self.value_first_test(t)
        self.fail(t, "a column name, 'not' or '('")

    def column_test(self, col: str):
        """Parse what follows ``COLUMN``: ``is [not] null``, ``[not] in [...]`` or ``OP VALUE``."""
        if self.is_kw("is"):
            return self.null_test(col)
        if self.is_kw("in") or self.is_kw("not"):
            return self.in_test(col)
        return self.comparison(col)

    def null_test(self, col: str):
        self.take()  # "is"
        negate = self.is_kw("not")
        if negate:
            self.take()
        self.expect_kw("null")
        return ("null", col, negate)

    def in_test(self, col: str):
        negate = self.take().value == "not"
        if negate:
            self.expect_kw("in")
        return self.in_list(col, negate)

    def comparison(self, col: str):
        op = self.take()
        if op.kind != "op":
            self.fail(op, "a comparison (== != < <= > >=), 'in' or 'is null'")
        if self.is_kw("null"):
            self.fail(self.peek(), "a value (write 'is null' to test for an empty value)")
        val = self.peek()
        if val.kind == "name":
            self.fail(val, "a quoted text or a number (compare a column with a value, not a column)")
        return self.compare(col, str(op.value), self.value())

    def value_first_test(self, tok: _Tok):
        """``VALUE OP COLUMN``, stored as ``COLUMN OP' VALUE`` with the operator flipped."""
        op = self.take()
        if op.kind != "op":
            self.fail(op, "a comparison (== != < <= > >=)")
        c = self.take()
        if c.kind != "name":
            self.fail(c, "a column name")
        return self.compare(self.column(c), _FLIP[str(op.value)], tok)

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

    # names and values
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

    def compare(self, col: str, op: str, tok: _Tok):
        return ("cmp", col, op, self.check(col, op, tok))

    def check(self, col: str, op: str, tok: _Tok):
        """Return the value of ``tok`` for column ``col``, its type, date form and allowed set checked."""
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
        if ct.kind == "date":
            try:
                _dt.date.fromisoformat(text[:10])
            except ValueError as exc:
                raise InputError(f"where: {col} {text!r} is not a calendar date ({exc})") from None
        if ct.allowed is not None and op in {"==", "=", "!="} and text not in ct.allowed:
            raise InputError(f"where: {col} {text!r} is not one of {', '.join(ct.allowed)}")
        return text


# --- the parsed filter ----------------------------------------------------------------------
@dataclass(frozen=True)
class Where:
    """A parsed attribute filter; ``mask(frame)`` evaluates it, vectorized.

    Attributes
    ----------
    text : str
        The expression as the user wrote it.
    tree : tuple
        The parse tree (nested tuples, see the module docstring for the grammar).
    types : Mapping[str, _ColType]
        The columns the expression may name, with their kinds (text, number, date).
    """

    text: str
    tree: tuple
    types: Mapping[str, _ColType]

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Evaluate the expression on every row of ``frame``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Rows to test; a column the expression names but the frame lacks counts as
            empty, and ``id`` falls back to the index.

        Returns
        -------
        numpy.ndarray of shape (len(frame),) bool
            True where the expression holds. A comparison on an empty value is false.
        """
        return np.asarray(_evaluate(self.tree, frame, self.types), dtype=bool)

    @property
    def columns(self) -> set[str]:
        """Return the column names the expression uses."""
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
    text : str
        The expression (grammar in the module docstring), at most ``MAX_WHERE_LENGTH``
        characters.
    layer : str, optional
        A catalogue layer: its columns (and ``id``) are the names the expression may use.
    frame : pandas.DataFrame, optional
        For frames outside the catalogue (analysis results): their own columns are used.

    Returns
    -------
    Where
        The parsed filter, to evaluate with :meth:`Where.mask`.

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


# --- evaluation ---------------------------------------------------------------------------
def _column_values(frame: pd.DataFrame, col: str) -> pd.Series:
    if col == "id" and "id" not in frame.columns:
        return pd.Series(frame.index.astype(str), index=frame.index)
    if col not in frame.columns:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    return frame[col]


def _evaluate(node, frame: pd.DataFrame, types: Mapping[str, _ColType]) -> np.ndarray:
    """Evaluate a parse-tree node over ``frame`` as a boolean mask."""
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
        return _test_numbers(node, s)
    if types[col].kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
        return _test_dates(node, s)
    return _test_text(node, s)


def _test_numbers(node, s: pd.Series) -> np.ndarray:
    vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    present = ~np.isnan(vals)
    if node[0] == "null":
        return present if node[2] else ~present
    if node[0] == "in":
        hit = np.isin(vals, np.asarray(node[2], dtype=float)) & present
        return (present & ~hit) if node[3] else hit
    with np.errstate(invalid="ignore"):
        return np.asarray(_OPS[node[2]](vals, node[3]), dtype=bool) & present


def _test_dates(node, s: pd.Series) -> np.ndarray:
    days = s.to_numpy(dtype="datetime64[D]")  # GDAL reads ISO dates as dates
    present = ~np.isnat(days)
    if node[0] == "null":
        return present if node[2] else ~present
    if node[0] == "in":
        hit = np.isin(days, np.asarray(node[2], dtype="datetime64[D]")) & present
        return (present & ~hit) if node[3] else hit
    return np.asarray(_OPS[node[2]](days, np.datetime64(node[3], "D")), dtype=bool) & present


def _test_text(node, s: pd.Series) -> np.ndarray:
    # pandas' string dtype: vectorized comparisons, missing values stay missing (-> false)
    text = s.astype("string")
    present = (text.str.strip() != "").fillna(False).to_numpy(dtype=bool)
    if node[0] == "null":
        return present if node[2] else ~present
    if node[0] == "in":
        hit = text.isin(list(node[2])).fillna(False).to_numpy(dtype=bool) & present
        return (present & ~hit) if node[3] else hit
    res = _OPS[node[2]](text, node[3])
    return res.fillna(False).to_numpy(dtype=bool) & present


def where(source, layer: str, expr: str | Where) -> gpd.GeoDataFrame:
    """Select the features of ``layer`` for which the attribute filter ``expr`` holds.

    Parameters
    ----------
    source : Network, mapping of layers or geopandas.GeoDataFrame
        Where the layer comes from; a single GeoDataFrame is used as it is.
    layer : str
        The layer's name; a catalogue layer's columns are checked against the catalogue,
        any other frame's against its own columns.
    expr : str or Where
        The filter (grammar in the module docstring), or one parsed by :func:`parse_where`.

    Returns
    -------
    geopandas.GeoDataFrame
        The matching rows, in layer order.

    Raises
    ------
    InputError
        For an unknown layer or an expression :func:`parse_where` refuses.

    Examples
    --------
    >>> where(net, "bridges", "status == 'built' and host == 'well'")  # doctest: +SKIP
    """
    gdf = _frame(source, layer)
    w = expr if isinstance(expr, Where) else parse_where(expr, layer=layer, frame=gdf)
    return gdf[w.mask(gdf)]
