"""Small helpers both importers use: cell values as text, an error's first line, a time stamp."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from ..io import _first_line as _io_first_line


def _first_line(exc: BaseException) -> str:
    """Return the first line of an exception's message (its class name when it has none).

    GDAL's advice to prefix the path with a driver name is cut: the user gives a file.
    """
    return _io_first_line(exc)


def _missing(v) -> bool:
    """Whether a cell is empty: ``None``, ``NaN``, ``NaT`` or blank text."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or str(v).strip() == ""


def _as_text(v) -> str:
    """Return a cell as text; whole floats (a Shapefile's integer read as 5.0) lose their ``.0``."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _now() -> str:
    """Return the current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``, for ``sources.json``."""
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
