"""Line, polygon and point layers packed for the page: geometry as one encoded string, text as a word table.

A layer reaches the page as one object (decoded by ``ecomap.vector`` in the page runtime):

* ``g``: the geometry. Every vertex of the layer, in order, as latitude/longitude
  differences in 10^-PRECISION degrees, written with the *encoded polyline* algorithm
  (zigzag sign, 5-bit groups, each a character from ``?`` to ``~``) [1]_; plus the counts
  that cut this stream into rings or parts, polygons and features. A footpath vertex costs
  about 4 characters, against about 23 in GeoJSON.
* ``idPrefix``, ``id``, ``s``: the ids' common prefix, each id less it, and style codes.
* ``w``, ``f``: every text of the tooltips and popups (already escaped HTML), each distinct
  text once in the word table ``w``; a feature's ``f`` lists word numbers: popup title,
  subtitle, tooltip text (-1: the title's word), tooltip extra, the number of its row headers in ``h`` (the lists
  of header words, each distinct list once), then the value of each popup row. The page
  builds the HTML only when a tooltip or popup opens, the same HTML as ``str()`` of
  :class:`~._style._Pop` and :class:`~._style._Tip`.

References
----------
.. [1] Google, *Encoded Polyline Algorithm Format*,
   https://developers.google.com/maps/documentation/utilities/polylinealgorithm
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import numpy as np
import shapely

from ._style import PRECISION, _Pop, _Tip

__all__ = ["decode_polyline", "encode_polyline", "pack_layer"]

#: shapely's geometry type ids -> the page's kinds (points, lines, polygons; multi-parts allowed).
_FAMILY = {0: "point", 1: "line", 5: "line", 3: "polygon", 6: "polygon"}


def encode_polyline(values: np.ndarray) -> str:
    """Integers as one encoded-polyline string (each value as given: pass differences).

    Parameters
    ----------
    values : numpy.ndarray
        Integers whose magnitude is below 2**34.

    Returns
    -------
    str
        Printable ASCII from ``?`` to ``~``, 1 to 7 characters per value.
    """
    v = np.asarray(values, dtype=np.int64).ravel()
    if not len(v):
        return ""
    z = (v << 1) ^ (v >> 63)                      # zigzag: small magnitudes, small codes
    bits = np.zeros(len(z), dtype=np.int64)
    nz = z > 0
    bits[nz] = np.floor(np.log2(z[nz].astype(np.float64))).astype(np.int64) + 1
    n = np.maximum(1, -(-bits // 5))               # 5-bit groups per value
    k = np.arange(7)
    chunks = (z[:, None] >> (5 * k)) & 31
    chunks |= np.where(k[None, :] < (n[:, None] - 1), 0x20, 0)
    chars = (chunks + 63)[k[None, :] < n[:, None]]
    return chars.astype(np.uint8).tobytes().decode("ascii")


def decode_polyline(text: str) -> np.ndarray:
    """The integers of an encoded-polyline string (the inverse of :func:`encode_polyline`).

    Parameters
    ----------
    text : str
        The encoded string.

    Returns
    -------
    numpy.ndarray
        int64 values, as encoded (differences stay differences).
    """
    out, value, shift = [], 0, 0
    for ch in text.encode("ascii"):
        b = ch - 63
        value |= (b & 31) << shift
        shift += 5
        if b < 0x20:
            out.append(~(value >> 1) if value & 1 else value >> 1)
            value, shift = 0, 0
    return np.array(out, dtype=np.int64)


def _geometry(geoms: np.ndarray) -> dict:
    """The ``g`` object of a layer: kind, encoded vertex stream and its counts."""
    families = {_FAMILY.get(int(t)) for t in np.unique(shapely.get_type_id(geoms))}
    if len(families) != 1 or None in families:   # mixed or collections: plain GeoJSON
        return {"t": "geojson", "c": [json.loads(t) for t in shapely.to_geojson(geoms)]}
    kind = families.pop()
    if kind == "point":
        coords, offsets = shapely.get_coordinates(geoms), ()
    else:
        _, coords, offsets = shapely.to_ragged_array(geoms)
    scale = 10 ** PRECISION
    latlon = np.round(coords[:, [1, 0]] * scale).astype(np.int64)
    diffs = np.diff(latlon, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {"t": kind, "c": encode_polyline(diffs.ravel()),
            "o": [np.diff(o).astype(int).tolist() for o in offsets]}


def pack_layer(geoms: np.ndarray, ids: Sequence[str], codes: Sequence[int],
               tips: Sequence[_Tip | str | None], pops: Sequence[_Pop | str | None]) -> dict:
    """One layer as the page's ``ecomap.vector`` reads it (see the module's description).

    Parameters
    ----------
    geoms : numpy.ndarray
        Shapely geometries in page coordinates (longitude, latitude), none empty.
    ids : sequence of str
        The feature ids.
    codes : sequence of int
        Each feature's style number.
    tips, pops : sequence of _Tip, _Pop, str or None
        Tooltip and popup per feature, every part escaped HTML; a ``str`` is used as
        the whole HTML, None shows nothing.

    Returns
    -------
    dict
        ``{"g", "idPrefix", "id", "s", "w", "h", "f"}``, ready for ``_jsdump``.
    """
    words: dict[str, int] = {"": 0}
    heads: dict[tuple[int, ...], int] = {}

    def w(text: str) -> int:
        return words.setdefault(str(text), len(words))

    feats = []
    for tip, pop in zip(tips, pops, strict=True):
        if isinstance(pop, _Pop):
            rec = [w(pop.title), w(pop.subtitle)]
        else:   # a whole HTML text (or nothing): subtitle -1 marks it
            rec = [w(pop or ""), -1]
        rec += [w(tip.text), w(tip.extra)] if isinstance(tip, _Tip) else [w(tip or ""), 0]
        if rec[2] == rec[0]:
            rec[2] = -1   # the tooltip's text is the popup's title (a feature with no name: its id)
        if isinstance(pop, _Pop):
            rec.append(heads.setdefault(tuple(w(k) for k, _ in pop.rows), len(heads)))
            rec += [w(v) for _, v in pop.rows]
        feats.append(rec)
    ids = [str(i) for i in ids]
    prefix = os.path.commonprefix([min(ids), max(ids)]) if len(ids) > 1 else ""
    return {"g": _geometry(np.asarray(geoms, dtype=object)), "idPrefix": prefix,
            "id": [i[len(prefix):] for i in ids],
            "s": [int(c) for c in codes], "w": list(words), "h": [list(h) for h in heads], "f": feats}
