"""The datum a file states for its coordinates, checked against ``--crs``.

ecomap's own GCJ-02 exports say so three ways: the file name ends in ``_gcj02``, a
GeoJSON carries ``"ecomap:coordinates": "GCJ-02"`` and a CSV a ``coordinates`` column.
GCJ-02 numbers look like WGS-84 ones, so such a file read as WGS-84 would land about
590 m off in Pingshan without a word; it is refused instead, naming ``--crs gcj02``.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd

from .. import crs as _crs
from .._errors import InputError

_MEMBER = re.compile(rb'"ecomap:coordinates"\s*:\s*"([^"]{0,40})"')


def _label(text: str) -> str | None:
    """``GCJ-02`` or ``WGS-84`` for the spellings ecomap writes, else None."""
    key = text.strip().upper().replace("-", "").replace(" ", "")
    return {"GCJ02": "GCJ-02", "WGS84": "WGS-84"}.get(key)


def stated_datum(path: Path, gdf: gpd.GeoDataFrame) -> tuple[str | None, str]:
    """The datum ``path`` states (``GCJ-02``, ``WGS-84`` or None) and where it says so.

    Parameters
    ----------
    path : pathlib.Path
        The file as given.
    gdf : geopandas.GeoDataFrame
        Its features as read, before columns are mapped or dropped.

    Returns
    -------
    tuple of (str or None, str)
        The datum and the words naming where the file states it (empty when it does not).
    """
    col = next((c for c in gdf.columns if str(c).lower() == "coordinates" and c != gdf.geometry.name), None)
    if col is not None:
        vals = {_label(str(v)) for v in gdf[col] if v is not None and str(v).strip()}
        if len(vals) == 1 and None not in vals:
            return vals.pop(), f"its '{col}' column"
    if path.suffix.lower() in {".geojson", ".json"}:
        try:
            with path.open("rb") as fh:
                head = fh.read(65536)
        except OSError:
            head = b""
        m = _MEMBER.search(head)
        if m and _label(m.group(1).decode("utf-8", "replace")):
            return _label(m.group(1).decode("utf-8", "replace")), '"ecomap:coordinates"'
    if path.stem.lower().endswith("_gcj02"):
        return "GCJ-02", "its name (_gcj02)"
    return None, ""


def check_stated_datum(path: Path, gdf: gpd.GeoDataFrame, crs: str | None) -> None:
    """Refuse a file whose stated datum disagrees with ``crs`` (None: read as the file's CRS).

    Parameters
    ----------
    path : pathlib.Path
        The file as given.
    gdf : geopandas.GeoDataFrame
        Its features as read.
    crs : str or None
        The ``--crs`` option.

    Returns
    -------
    None
        Returns when the file states nothing or agrees.

    Raises
    ------
    InputError
        A GCJ-02 file read without ``--crs gcj02``, or a WGS-84 file with ``--crs gcj02``
        or ``bd09``.
    """
    datum, where = stated_datum(path, gdf)
    asked = _crs.parse_crs(crs) if crs is not None else None
    if datum == "GCJ-02" and asked != _crs.GCJ02:
        raise InputError(f"{path}: the file says its coordinates are GCJ-02 ({where}), but it would be "
                         "read as WGS-84 (about 590 m off); pass --crs gcj02")
    if datum == "WGS-84" and asked in (_crs.GCJ02, _crs.BD09):
        raise InputError(f"{path}: the file says its coordinates are WGS-84 ({where}), but --crs {crs} "
                         "was given; leave --crs out")
