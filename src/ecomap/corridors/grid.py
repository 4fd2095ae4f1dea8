"""The raster grid of the corridor model (EPSG:4547 metres), the study extent, and rasterizing."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import EcomapWarning, InputError

__all__ = ["Grid", "make_grid"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: origin (west, north), square cells, shape.

    Attributes
    ----------
    west, north : float
        Coordinates of the grid's north-west corner (metres in ``crs``).
    cellsize : float
        Cell side in metres.
    width, height : int
        Columns and rows.
    crs : str, default ``"EPSG:4547"``
        The grid's CRS (CGCS2000 / 3-degree Gauss-Kruger CM 114E).
    """

    west: float
    north: float
    cellsize: float
    width: int
    height: int
    crs: str = "EPSG:4547"

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return (self.height, self.width)

    @property
    def transform(self):
        """The affine transform from (col, row) to (x, y), as rasterio takes it."""
        from affine import Affine

        return Affine(self.cellsize, 0.0, self.west, 0.0, -self.cellsize, self.north)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)`` in metres."""
        return (self.west, self.north - self.height * self.cellsize,
                self.west + self.width * self.cellsize, self.north)

    def xy(self, rows, cols) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre coordinates of cells.

        Parameters
        ----------
        rows, cols : array_like of int
            Row and column indices.

        Returns
        -------
        x, y : numpy.ndarray of float
            Easting and northing of the cell centres (metres).
        """
        rows = np.asarray(rows, dtype=float)
        cols = np.asarray(cols, dtype=float)
        return self.west + (cols + 0.5) * self.cellsize, self.north - (rows + 0.5) * self.cellsize

    def rowcol(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cells holding points.

        Parameters
        ----------
        x, y : array_like of float
            Coordinates in metres.

        Returns
        -------
        rows, cols : numpy.ndarray of int
            Indices; they may fall outside the grid.
        """
        c = np.floor((np.asarray(x, dtype=float) - self.west) / self.cellsize).astype(int)
        r = np.floor((self.north - np.asarray(y, dtype=float)) / self.cellsize).astype(int)
        return r, c

    def burn(self, shapes: Iterable[tuple[Any, float]], *, all_touched: bool = False,
             fill: float = np.nan) -> np.ndarray:
        """Rasterize (geometry, value) pairs; later shapes cover earlier ones.

        Parameters
        ----------
        shapes : iterable of (shapely geometry, float)
            Geometries in the grid's CRS and their values; None and empty geometries are skipped.
        all_touched : bool, default False
            Burn every cell a shape touches, not only those whose centre it covers.
        fill : float, default NaN
            Value of the cells no shape covers.

        Returns
        -------
        (rows, cols) numpy.ndarray of float
            The burnt values.
        """
        from rasterio.features import rasterize

        shapes = [(g, float(v)) for g, v in shapes if g is not None and not g.is_empty]
        if not shapes:
            return np.full(self.shape, fill, dtype=float)
        return rasterize(shapes, out_shape=self.shape, transform=self.transform, fill=fill,
                         all_touched=all_touched, dtype="float64")

    def mask(self, geoms: Iterable[Any], *, all_touched: bool = False) -> np.ndarray:
        """Mark the cells covered by geometries.

        Parameters
        ----------
        geoms : iterable of shapely geometry
            In the grid's CRS.
        all_touched : bool, default False
            As :meth:`burn`.

        Returns
        -------
        (rows, cols) numpy.ndarray of bool
        """
        return np.isfinite(self.burn(((g, 1.0) for g in geoms), all_touched=all_touched))


def make_grid(geometry, resolution: float) -> Grid:
    """Make the grid of ``resolution``-metre cells covering a geometry, snapped to multiples of it.

    Parameters
    ----------
    geometry : shapely geometry
        The extent, in EPSG:4547 metres.
    resolution : float
        Cell side in metres.

    Returns
    -------
    Grid
        At least one cell wide and high; its corners are multiples of ``resolution``.

    Raises
    ------
    InputError
        If ``resolution`` is not > 0.
    """
    if not resolution > 0:
        raise InputError(f"resolution {resolution!r} must be > 0 metres")
    x0, y0, x1, y1 = geometry.bounds
    west = math.floor(x0 / resolution) * resolution
    north = math.ceil(y1 / resolution) * resolution
    width = int(math.ceil((x1 - west) / resolution))
    height = int(math.ceil((north - y0) / resolution))
    return Grid(west, north, float(resolution), max(width, 1), max(height, 1))


def _extent_geometry(network, extent: str):
    """Return the study area: the district boundary, or the city (the districts layer and the boundary).

    Without a districts layer the city extent falls back to the district boundary, with an
    :class:`~ecomap.EcomapWarning`.
    """
    import shapely

    if extent == "district":
        geom = network.district
    elif extent == "city":
        d = network["districts"]
        # the districts layer holds the city's other districts: add the boundary to it
        geom = shapely.union_all([*d.geometry.values, network.district]) if len(d) else network.district
        if not len(d):
            msg = "no districts layer: the city extent falls back to the district boundary"
            log.warning(msg)
            warnings.warn(msg, EcomapWarning, stacklevel=3)
    else:
        raise InputError(f"extent {extent!r} must be 'district' or 'city'")
    if geom is None or geom.is_empty:
        raise InputError("the boundary layer is empty: no extent to build a raster on")
    return geom
