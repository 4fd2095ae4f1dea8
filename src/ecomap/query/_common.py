"""What every file of :mod:`ecomap.query` shares: finding the layer a question is about."""

from __future__ import annotations

import geopandas as gpd

from .._errors import InputError


def _frame(source, layer: str) -> gpd.GeoDataFrame:
    """Return layer ``layer`` of ``source`` (a Network or mapping), or ``source`` if it is a frame."""
    if isinstance(source, gpd.GeoDataFrame):
        return source
    try:
        return source[layer]
    except KeyError as exc:
        raise InputError(str(exc).strip("'\"")) from None
