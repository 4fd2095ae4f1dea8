"""Spatial queries: near a point, in a box or shape, inside a feature, nearest N, attribute filters.

Every question is answered in EPSG:4547 metres through the layer's STRtree
(``GeoDataFrame.sindex``): the index proposes candidates, a vectorized shapely
predicate decides. The answers are the same as a brute-force shapely check over every
feature; ``tests/query/`` holds them to that.

The user's own coordinates (``point``, ``bbox``, ``intersects``) are longitude/latitude
in WGS-84 or, when ``input_crs="gcj02"`` or ``"bd09"``, in GCJ-02 or BD-09 (a coordinate
copied from a Chinese map app: AMap/Tencent or Baidu); they are converted explicitly, never guessed.

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

The files, in the order a question passes through them: ``inputs`` (points, boxes,
geometries and footprints from the user), ``filters`` (the ``--where`` grammar),
``_index`` (positions through the spatial index), ``spatial`` (the verbs and
:func:`query`), ``output`` (the answer as text); ``folder`` answers from a data folder
reading only the layers a question needs (``ecomap query``). ``_common`` holds what they share.
"""

from __future__ import annotations

from .filters import MAX_WHERE_LENGTH, Where, parse_where, where
from .folder import query_folder
from .inputs import footprint, parse_bbox, parse_geometry, parse_lonlat, user_geometry, user_point
from .output import format_result
from .spatial import in_bbox, intersecting, near, nearest, query, within

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
    "query_folder",
    "format_result",
]
