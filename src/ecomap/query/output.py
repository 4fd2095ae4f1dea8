"""A query's answer as text: a table for people, GeoJSON, CSV or JSON."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import InputError
from ..layers import CATALOGUE

__all__ = ["format_result"]

_MEASURES = ("distance_m", "length_m", "clipped_length_m", "area_m2", "clipped_area_m2")
_COMMON = {"name_zh", "name_en", "source", "confidence"}


def _prepared(result: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Prepare the result as export writes it: WGS-84, 7 decimals, catalogue columns in order."""
    from ..export import prepare

    return prepare(result, layer if layer in CATALOGUE else None)


def _records(result: gpd.GeoDataFrame, layer: str) -> pd.DataFrame:
    """Make the result a plain table: id, lon/lat for points, attributes, measures (WGS-84)."""
    frame = _prepared(result, layer)
    geom = frame.geometry.name
    names = [c for c in frame.columns if c != geom]
    columns = {c: frame[c] for c in names}  # put together once: each insert or setitem rebuilds the frame
    if len(frame) and set(frame.geom_type.dropna()) <= {"Point"}:
        pos = 1 if "id" in columns else 0
        names[pos:pos] = ["lon", "lat"]
        columns["lon"] = pd.Series(shapely.get_x(frame.geometry.values), index=frame.index)
        columns["lat"] = pd.Series(shapely.get_y(frame.geometry.values), index=frame.index)
    measures = [c for c in _MEASURES if c in columns]
    for c in measures:
        columns[c] = columns[c].round(2)
    return pd.DataFrame({c: columns[c] for c in [c for c in names if c not in measures] + measures})


def format_result(result: gpd.GeoDataFrame, layer: str, *, fmt: str = "table") -> str:
    """Write a query result as text: ``table`` (for people), ``geojson``, ``csv`` or ``json``.

    ``geojson`` is an RFC 7946 FeatureCollection (WGS-84, 7 decimals); ``csv`` and
    ``json`` hold the attributes, the measures and, for points, ``lon``/``lat``.

    Parameters
    ----------
    result : geopandas.GeoDataFrame
        An answer of :func:`ecomap.query.query` (or any verb), in EPSG:4547.
    layer : str
        The layer's name: it picks the catalogue columns and names the layer in the text.
    fmt : {"table", "geojson", "csv", "json"}, default ``"table"``
        The output format.

    Returns
    -------
    str
        The text, ending with a newline; measures are rounded to 0.01 m (or m²).

    Raises
    ------
    InputError
        For an unknown ``fmt``.
    """
    if fmt == "geojson":
        return _prepared(result, layer).to_json(na="null", drop_id=True, ensure_ascii=False) + "\n"
    table = _records(result, layer)
    if fmt == "csv":
        from ..spreadsheet import neutralise_frame

        return neutralise_frame(table).to_csv(index=False)
    if fmt == "json":
        rows = json.loads(table.to_json(orient="records", force_ascii=False))
        return json.dumps({"layer": layer, "count": len(table), "features": rows}, ensure_ascii=False, indent=1) + "\n"
    if fmt != "table":
        raise InputError(f"unknown format {fmt!r}; use table, geojson, csv or json")
    return _table_text(table, layer)


def _shown_columns(table: pd.DataFrame, layer: str) -> list[str]:
    """Pick the columns a person sees: id, lon/lat, the layer's own, name_en if any, measures."""
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
    return [c for c in keep if c in table.columns]


def _table_text(table: pd.DataFrame, layer: str) -> str:
    """Render the table for people, with a count line; empty cells blank, lon/lat to 6 decimals."""
    if table.empty:
        return f"no {layer} feature matches\n"
    shown = {}
    for c in _shown_columns(table, layer):  # built column by column: a frame's setitem costs more
        values = table[c].to_numpy()
        if table[c].dtype == object:
            values = np.where(pd.isna(values), "", values)
        if c in ("lon", "lat"):
            values = np.array([f"{v:.6f}" for v in values], dtype=object)
        shown[c] = values
    text = pd.DataFrame(shown, index=table.index).to_string(index=False, na_rep="")
    noun = "feature" if len(table) == 1 else "features"
    return f"{text}\n{len(table)} {layer} {noun}\n"
