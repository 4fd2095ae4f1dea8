"""What the connectivity steps share: defaults, the check of a positive number, pair values, JSON values.

Every file of the package may import this one; it imports nothing of the package.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._errors import InputError

__all__ = ["DEFAULT_MEDIAN_DISPERSAL_M", "MIN_LENGTH_M", "check_positive", "pair_values", "plain"]

#: Median dispersal distance (m) used when none is given: p = 0.5 at 2 km, a distance
#: small and medium mammals of the Pingshan hills (leopard cat, civets) cover routinely.
DEFAULT_MEDIAN_DISPERSAL_M = 2000.0
#: Zero-length links (touching patches) get this length so that they stay links in a sparse graph.
MIN_LENGTH_M = 1e-6


def check_positive(value: float | None, what: str, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float above 0 (or at least 0 with ``allow_zero``).

    Parameters
    ----------
    value : float or None
        What the user gave.
    what : str
        Its name in the message, e.g. ``"threshold"``.
    allow_zero : bool, default False
        Whether 0 is allowed.

    Returns
    -------
    float
        The value.

    Raises
    ------
    InputError
        If ``value`` is not a number, not finite, negative, or 0 without ``allow_zero``.
    """
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, not {value!r}") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(f"{what} must be {'0 or more' if allow_zero else 'more than 0'}, not {v:g}")
    return v


def pair_values(d: np.ndarray, *, kind: str, theta: float) -> np.ndarray:
    """Pair values from path lengths: 1 / (1 + nl) for IIC, exp(-θ d) for PC (0 when unreachable).

    Parameters
    ----------
    d : (n, m) float array
        Shortest-path lengths: links (IIC) or metres / cost units (PC); ``inf`` = unreachable.
    kind : {"iic", "pc"}
        Which index the values are for.
    theta : float
        θ = ln 2 / median dispersal distance, per metre (used by PC only).

    Returns
    -------
    (n, m) float array
        ``v_ij`` of IIC or PC.
    """
    if kind == "iic":
        return 1.0 / (1.0 + d)
    return np.exp(-theta * d)


def plain(v):
    """Make a value JSON-ready: numpy scalars as Python ones, NaN/inf and pandas' NA as ``None``.

    Parameters
    ----------
    v : object
        A value of a result table or summary (lists, tuples and dicts are walked).

    Returns
    -------
    object
        The value as :mod:`json` writes it.
    """
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, list | tuple):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if v is pd.NA or v is pd.NaT:
        return None
    return v
