"""What the raster core's files share: the neighbour offsets, the diagonal step, the neighbour check."""

from __future__ import annotations

import math

from .._errors import InputError

#: Length of a diagonal step in cell sides.
SQRT2 = math.sqrt(2.0)

#: Half the 4-neighbourhood (east, south): each undirected step once.
OFFSETS4 = ((0, 1), (1, 0))
#: Half the 8-neighbourhood (east, south, south-east, south-west): each undirected step once.
OFFSETS8 = ((0, 1), (1, 0), (1, 1), (1, -1))
#: Every step from a cell, orthogonal first (the first four are the 4-neighbourhood).
STEPS8 = ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1))


def check_neighbours(neighbours: int) -> None:
    """Refuse a neighbourhood other than 4 or 8 cells (:class:`~ecomap.InputError`)."""
    if neighbours not in (4, 8):
        raise InputError("neighbours must be 4 or 8")
