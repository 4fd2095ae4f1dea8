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
#: Half the knight's moves of ``r.cost -k`` (16 neighbours with OFFSETS8).
KNIGHT = ((1, 2), (2, 1), (2, -1), (1, -2))
#: Every step from a cell, orthogonal first (the first four are the 4-neighbourhood).
STEPS8 = ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1))


def check_neighbours(neighbours: int, allowed: tuple[int, ...] = (4, 8)) -> None:
    """Refuse a neighbourhood not in ``allowed`` (:class:`~ecomap.InputError`); 16 is r.cost's ``-k``."""
    if neighbours not in allowed:
        names = [str(a) for a in allowed]
        raise InputError(f"neighbours must be {', '.join(names[:-1])} or {names[-1]}")


def knight_between(dr: int, dc: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """The two cells a knight's move ``(dr, dc)`` passes between (GRASS ``r.cost -k``)."""
    if abs(dr) == 2:
        return (dr // 2, 0), (dr // 2, dc)
    return (0, dc // 2), (dr, dc // 2)
