"""Column-wide helpers of the catalogue's checks: feature labels and blank values.

Both used to run a Python expression per row of every column (``astype(str)`` on each
value); on a register of 20,000 sites that was most of the time ``check_layer`` took.
They now test each value once without formatting it, and pass whole columns of dates
or labels where that is known to give the same answers (``tests/test_read_once.py``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd


def _is_missing(series: pd.Series) -> np.ndarray:
    """Null, NaN, or text that is empty once stripped (``str.strip``), row by row.

    Only text can be blank: a column of numbers or dates is missing where it is null. In
    any other column each value is tested once, without formatting it as text first.
    """
    miss = series.isna().to_numpy(copy=True)
    if series.dtype.kind in "biufcmM":
        return miss
    if len(series) >= 1000 and getattr(series.dtype, "storage", None) == "pyarrow":
        at = _maybe_blank(series)  # a long text column: strip only what could be blank
        vals = series.iloc[at].to_numpy(dtype=object)
        miss[at[[isinstance(v, str) and not v.strip() for v in vals]]] = True
        return miss
    vals = series.to_numpy(dtype=object)
    miss |= np.fromiter((isinstance(v, str) and not v.strip() for v in vals), bool, len(vals))
    return miss


def _maybe_blank(series: pd.Series) -> np.ndarray:
    """Rows of an Arrow text column that are empty or start with a character ``str.isspace``.

    Blank text is empty or all spaces, so it is among these; pyarrow cuts the first
    character of every value and Python judges only the distinct ones.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    head = pc.utf8_slice_codeunits(pa.array(series.array), 0, 1)
    blank_heads = [h for h in pc.unique(head).to_pylist() if h is not None and not h.strip()]
    if not blank_heads:
        return np.array([], dtype=np.intp)
    hit = pc.fill_null(pc.is_in(head, value_set=pa.array(blank_heads, type=head.type)), False)
    return np.flatnonzero(hit.to_numpy(zero_copy_only=False))


def _ids(gdf: gpd.GeoDataFrame) -> list[str]:
    """Feature labels for messages: the id where there is one, else ``#row``."""
    if "id" not in gdf.columns:
        return [f"#{i + 1}" for i in range(len(gdf))]
    vals = gdf["id"].tolist()
    if isinstance(gdf["id"].dtype, pd.StringDtype) and not _is_missing(gdf["id"]).any():
        return vals  # text throughout, none blank: the labels as they are
    return [
        str(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) and str(v) != ""
        else f"#{i + 1}"
        for i, v in enumerate(vals)
    ]


def _plain_dates(col: pd.Series) -> bool:
    """Whether a column holds dates that all pass the date rule, known without formatting them.

    True for ``datetime64`` without a time zone (GDAL reads ISO dates as such) whose
    values all fall at midnight in the years 1678-2261: each then formats as
    ``YYYY-MM-DD`` and parses back, and missing ones are left to the missing-value rule.
    Anything else goes through the rule value by value.
    """
    if col.dtype.kind != "M" or getattr(col.dtype, "tz", None) is not None:
        return False
    v = col.dropna()
    if v.empty:
        return True
    years = v.dt.year
    return bool((v == v.dt.normalize()).all() and years.min() >= 1678 and years.max() <= 2261)
