"""Column-wide helpers of the catalogue's checks: feature labels and blank values.

Both used to run a Python expression per row of every column (``astype(str)`` on each
value); on a register of 20,000 sites that was most of the time ``check_layer`` took.
They now look at whole columns and only fall back to Python for the few values that
could be blank, with the same answers (``tests/test_read_once.py``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd


def _is_missing(series: pd.Series) -> np.ndarray:
    """Null, NaN, or text that is empty once stripped (``str.strip``), row by row.

    Only text can be blank. For a text column, a value can be blank only if it is empty
    or starts with a character that ``str.isspace``; only those are stripped.
    """
    miss = series.isna().to_numpy(copy=True)
    if series.dtype.kind in "biufcmM":
        return miss
    if isinstance(series.dtype, pd.StringDtype):
        head = series.str.slice(0, 1)
        maybe = (head == "") | head.isin([h for h in head.dropna().unique() if h.isspace()])
        at = np.flatnonzero(maybe.to_numpy(dtype=bool, na_value=False))
    else:
        at = np.arange(len(series))
    vals = series.iloc[at].to_numpy(dtype=object)
    miss[at[[isinstance(v, str) and not v.strip() for v in vals]]] = True
    return miss


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
