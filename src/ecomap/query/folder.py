"""A query straight from a data folder: only the layers it needs, reprojected only when it must.

``ecomap query`` asks one question of one layer; loading the whole network for it (every
layer read, checked and reprojected, then the answer reprojected back) cost more than the
question. :func:`query_folder` reads the layer asked about and the one ``within`` names
(checked as :func:`ecomap.network.load_network` checks them, against the extent of the
boundary and district layers), and:

* a question on attributes alone (``where``) never leaves WGS-84;
* a spatial question reprojects the layer to EPSG:4547 (where every distance and
  intersection is computed, as in :func:`ecomap.query.query`) and answers with the
  features' coordinates as read, not reprojected back, unless ``within`` clipped them.

Each reprojection direction builds a pyproj transformer, which searches PROJ's database
(0.1-0.2 s), so this is most of what it saves besides the other layers' files. For files
written at 7 decimals (as ecomap writes them, and the bundled data), the answer is the one
:func:`~ecomap.query.query` on the loaded network gives, digit for digit: the round trip
moves a coordinate by about 1e-14 degrees, and the answer keeps 7 decimals.
"""

from __future__ import annotations

import os

import geopandas as gpd

from .. import crs as _crs
from ..layers import empty_layer
from ..network import Network, read_lonlat_layers
from .spatial import query

__all__ = ["query_folder"]


def _within_layer(within: str | None) -> list[str]:
    return [within.split(":", 1)[0].strip()] if within and ":" in within else []


def query_folder(data_dir: str | os.PathLike | None, layer: str, **conditions) -> gpd.GeoDataFrame:
    """Answer :func:`ecomap.query.query` on a data folder, reading only the layers it needs.

    Parameters
    ----------
    data_dir : str or os.PathLike or None
        A data folder of ``<layer>.geojson`` files (None: the bundled data).
    layer : str
        The layer to search.
    **conditions
        The keyword arguments of :func:`ecomap.query.query` (``near``, ``radius_m``,
        ``bbox``, ``intersects``, ``within``, ``nearest``, ``to``, ``where``,
        ``input_crs``).

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows, columns and measures as ``query(load_network(data_dir), layer,
        **conditions)``; in EPSG:4326 (the coordinates as read) unless ``within`` clipped
        the features, then in EPSG:4547 as :func:`~ecomap.query.query` returns them. Either
        goes to :func:`ecomap.query.format_result`.

    Raises
    ------
    DataError
        For a problem in a layer read (see :func:`ecomap.network.read_lonlat_layers`).
    InputError
        As :func:`ecomap.query.query`.
    """
    within = conditions.get("within")
    frames = read_lonlat_layers(data_dir, [layer, *_within_layer(within)])
    if layer not in frames:
        frames[layer] = empty_layer(layer, crs=_crs.WGS84)
    spatial = any(conditions.get(k) is not None for k in ("near", "bbox", "intersects", "within", "nearest"))
    if not spatial:  # attributes only: no coordinate changes at all
        return query({layer: frames[layer]}, layer, **conditions)
    internal = Network({name: _crs.to_internal(gdf) for name, gdf in frames.items()})
    result = query(internal, layer, **conditions)
    if within is not None:  # clipped geometries exist only in EPSG:4547
        return result
    lonlat = frames[layer].geometry.loc[result.index]
    return result.set_geometry(gpd.GeoSeries(lonlat.values, index=result.index, crs=_crs.WGS84))
